package dev.polydb.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Strings a user may pass as a database URL, each carrying a known password: the accepted forms,
 * typos of them and other databases' URLs, with the password placed raw or percent-encoded, then
 * mutated around it. Shared with the backend modules' tests (test-jar), which also open them.
 */
public final class SecretUrls {

  /** Shorter pieces of a password than this may appear by chance; longer ones must not. */
  public static final int FRAGMENT = 8;

  /** Where the password goes: {@code {P}}. */
  static final List<String> TEMPLATES =
      List.of(
          "postgres://alice:{P}@db.example.com:5432/app",
          "postgresql://alice:{P}@db.example.com/app?sslmode=require",
          "POSTGRES://alice:{P}@db.example.com/app?application_name=me@home",
          "jdbc:postgresql://db.example.com:5432/app?user=alice&password={P}",
          "jdbc:postgresql://db.example.com/app?password={P}&sslmode=require",
          "postgres://alice@db.example.com/app?sslpassword={P}&sslmode=verify-full",
          "postgres://alice@db.example.com/app?pass%77ord={P}",
          "postgres://alice:{P}@[::1]:5432/app",
          "postgres://alice:{P}@db.example.com:5432/",
          "postgres://alice:{P}@db.example.com:5432",
          "postgres://alice:{P}/app",
          "postgres://alice:{P}",
          "postgres://alice:{P}@db.example.com/app?sslmode=sometimes",
          "postgres://alice:{P}@db.example.com/my app",
          "postgres://alice:{P}@db.example.com/app?connect_timeout=soon",
          "mysql://alice:{P}@db.example.com/app",
          "postgres//alice:{P}@db.example.com/app",
          "postgres:alice:{P}@db.example.com/app",
          "postgres:/alice:{P}@db.example.com/app",
          "jdbc:postgres://alice:{P}@db.example.com/app",
          "redis://:{P}@cache:6379/0",
          "host=db.example.com user=alice password={P} dbname=app",
          "sqlite:/tmp/app.db?password={P}",
          "file://alice:{P}@db.example.com/app.db");

  private static final String RAW_CHARS =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$&'()*+,;=:@/?#[]%~-._ é€";
  private static final String SYNTAX = ":/@?#&=%[]. a";

  private SecretUrls() {}

  /**
   * A URL string and the password it carries.
   *
   * @param url the string, as a user would pass it
   * @param placed the password as written into the string (raw or percent-encoded)
   * @param password the password itself
   */
  public record SecretUrl(String url, String placed, String password) {
    /**
     * The forms that must never be shown.
     *
     * @return the password, as placed and decoded
     */
    public Set<String> forms() {
      Set<String> forms = new LinkedHashSet<>();
      forms.add(password);
      forms.add(placed);
      forms.add(lenientDecode(placed));
      return forms;
    }

    @Override
    public String toString() {
      return url;
    }
  }

  /**
   * Well-formed and malformed URL strings with a password in them.
   *
   * @return the arbitrary
   */
  public static Arbitrary<SecretUrl> any() {
    Arbitrary<String> template = Arbitraries.of(TEMPLATES);
    Arbitrary<String> password =
        Arbitraries.strings().withChars(RAW_CHARS.toCharArray()).ofMinLength(10).ofMaxLength(24);
    Arbitrary<Boolean> encode = Arbitraries.of(true, false);
    return Combinators.combine(template, password, encode)
        .as(
            (t, p, e) -> {
              // without an '@' of its own, the URL's only '@' would be the password's: then it
              // is a valid URL whose password is what precedes it
              // is a valid URL whose password is what precedes it; and a password that starts with
              // '/' or '?' there reads as an empty port and a path
              String placed = e ? encode(p) : t.contains("@") ? p : "x" + p.replace("@", "%40");
              return new SecretUrl(t.replace("{P}", placed), placed, lenientDecode(placed));
            });
  }

  /**
   * {@link #any()} with one to four characters inserted, deleted or replaced outside the password,
   * the characters on either side of it and the name of the parameter that holds it: a password
   * that loses both its delimiters can no longer be told from a host name.
   *
   * @return the arbitrary
   */
  public static Arbitrary<SecretUrl> mutated() {
    Arbitrary<List<int[]>> edits =
        Combinators.combine(
                Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 10_000),
                Arbitraries.integers().between(0, SYNTAX.length() - 1))
            .as((kind, at, c) -> new int[] {kind, at, c})
            .list()
            .ofMinSize(1)
            .ofMaxSize(4);
    return Combinators.combine(any(), edits).as(SecretUrls::mutate);
  }

  private static SecretUrl mutate(SecretUrl base, List<int[]> edits) {
    String url = base.url();
    int start = url.indexOf(base.placed());
    int end = start + base.placed().length();
    // the parameter name in front of a password in a query is part of what makes it a password
    int eq = start - 1;
    if (eq >= 0 && url.charAt(eq) == '=') {
      while (start > 0 && "?& ".indexOf(url.charAt(start - 1)) < 0) {
        start--;
      }
    }
    start = Math.max(0, start - 1);
    end = Math.min(url.length(), end + 1);
    StringBuilder s = new StringBuilder(url);
    for (int[] edit : edits) {
      int outside = s.length() - (end - start);
      if (outside <= 0) {
        break;
      }
      int pos = edit[1] % (outside + 1);
      int at = pos < start ? pos : pos + (end - start);
      char c = SYNTAX.charAt(edit[2]);
      switch (edit[0]) {
        case 0 -> {
          s.insert(at, c);
          if (at <= start) {
            start++;
            end++;
          }
        }
        case 1 -> {
          if (at < s.length() && (at < start || at >= end)) {
            s.deleteCharAt(at);
            if (at < start) {
              start--;
              end--;
            }
          }
        }
        default -> {
          if (at < s.length() && (at < start || at >= end)) {
            s.setCharAt(at, c);
          }
        }
      }
    }
    return new SecretUrl(s.toString(), base.placed(), base.password());
  }

  /**
   * Everything the library shows for a URL string: the redacted forms, every configuration and
   * provider description, and each exception of every call with its whole cause chain.
   *
   * @param url the URL string
   * @return the texts, with what produced each
   */
  public static Map<String, String> shown(String url) {
    Map<String, String> shown = new java.util.LinkedHashMap<>();
    shown.put("redact", DatabaseUrl.redact(url));
    record(shown, "parse", () -> DatabaseUrl.parse(url));
    record(shown, "builder", () -> DbConfig.builder().url(url).build());
    record(shown, "fromEnv", () -> DbConfig.fromEnv(Map.of("DATABASE_URL", url)));
    record(
        shown,
        "open",
        () -> {
          try (DbProvider p = DbProviders.open(url)) {
            return p + " " + p.config() + " " + p.health();
          }
        });
    return shown;
  }

  private static void record(Map<String, String> shown, String what, Supplier<Object> call) {
    try {
      shown.put(what, String.valueOf(call.get()));
    } catch (Throwable t) {
      shown.put(what + " threw", describe(t));
    }
  }

  /**
   * An exception, its causes and suppressed exceptions, each as {@code toString()}.
   *
   * @param t the exception
   * @return the description
   */
  public static String describe(Throwable t) {
    List<String> parts = new ArrayList<>();
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    List<Throwable> todo = new ArrayList<>(List.of(t));
    while (!todo.isEmpty()) {
      Throwable c = todo.remove(todo.size() - 1);
      if (c == null || seen.put(c, true) != null) {
        continue;
      }
      parts.add(c.toString());
      todo.add(c.getCause());
      todo.addAll(List.of(c.getSuppressed()));
    }
    return String.join(" | ", parts);
  }

  /**
   * Fails when any shown text holds the password, in any form, or a long piece of it.
   *
   * @param secret the URL and its password
   * @param shown what the library showed
   */
  public static void assertHidden(SecretUrl secret, Map<String, String> shown) {
    shown.forEach(
        (what, text) -> {
          for (String form : secret.forms()) {
            assertThat(text).as("%s of %s", what, secret.url()).doesNotContain(form);
            for (int i = 0; i + FRAGMENT <= form.length(); i++) {
              assertThat(text)
                  .as("%s of %s shows part of the password", what, secret.url())
                  .doesNotContain(form.substring(i, i + FRAGMENT));
            }
          }
        });
  }

  private static String encode(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }

  private static String lenientDecode(String s) {
    try {
      return java.net.URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }
}
