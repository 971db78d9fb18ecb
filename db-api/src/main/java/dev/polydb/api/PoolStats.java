package dev.polydb.api;

/**
 * A connection pool's figures at one instant.
 *
 * @param active connections in use
 * @param idle connections ready for use
 * @param pending threads waiting for a connection
 * @param total connections open
 * @param max the pool's size limit
 */
public record PoolStats(int active, int idle, int pending, int total, int max) {}
