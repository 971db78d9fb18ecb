/**
 * Spring Boot auto-configuration for polydb: {@link dev.polydb.spring.PolydbAutoConfiguration} and
 * its health indicator.
 */
package dev.polydb.spring;
