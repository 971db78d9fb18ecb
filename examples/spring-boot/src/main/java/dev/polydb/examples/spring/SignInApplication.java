package dev.polydb.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot application whose one endpoint signs a user in. The {@code DbProvider} it uses is
 * made by polydb's auto-configuration from {@code DATABASE_URL}.
 */
@SpringBootApplication
public class SignInApplication {
  public static void main(String[] args) {
    SpringApplication.run(SignInApplication.class, args);
  }
}
