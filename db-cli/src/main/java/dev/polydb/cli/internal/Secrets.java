package dev.polydb.cli.internal;

import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfigException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The passwords of the URLs this run was given, masked in every message the tool prints: URLs are
 * printed redacted already; this catches a password that a driver or Flyway may have quoted.
 */
public final class Secrets {
  private static final Set<String> PASSWORDS = ConcurrentHashMap.newKeySet();

  private Secrets() {}

  /**
   * Remembers a URL's password, if it has one and parses.
   *
   * @param url a database URL
   */
  public static void rememberUrl(String url) {
    try {
      DatabaseUrl parsed = DatabaseUrl.parse(url);
      parsed.password().filter(p -> !p.isEmpty()).ifPresent(PASSWORDS::add);
      parsed
          .options()
          .forEach(
              (name, value) -> {
                if (name.toLowerCase(java.util.Locale.ROOT).contains("password")
                    && !value.isEmpty()) {
                  PASSWORDS.add(value);
                }
              });
    } catch (DbConfigException e) {
      // a URL that does not parse is refused with a redacted message and never connects
    }
  }

  /**
   * Masks every remembered password.
   *
   * @param text a message
   * @return the message with each password replaced by {@code ***}
   */
  public static String scrub(String text) {
    String result = text;
    for (String password : PASSWORDS) {
      result = result.replace(password, "***");
    }
    return result;
  }
}
