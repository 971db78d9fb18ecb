package dev.polydb.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.polydb.api.SecretUrls.SecretUrl;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Generated and mutated URL strings: the password never shows, and nothing but a {@link
 * DbConfigException} ever escapes the parser.
 */
class DatabaseUrlPropertiesTest {

  @Property(tries = 4000)
  void aPasswordNeverShowsInAWellFormedOrTypoedUrl(@ForAll("secretUrls") SecretUrl secret) {
    SecretUrls.assertHidden(secret, SecretUrls.shown(secret.url()));
  }

  @Property(tries = 6000)
  void aPasswordNeverShowsInAMutatedUrl(@ForAll("mutatedUrls") SecretUrl secret) {
    SecretUrls.assertHidden(secret, SecretUrls.shown(secret.url()));
  }

  @Property(tries = 3000)
  void aWellFormedUrlGivesBackItsPassword(@ForAll("encodedPasswords") String password) {
    String url = "postgres://alice:" + password + "@db.example.com:5432/app";

    DatabaseUrl parsed = DatabaseUrl.parse(url);

    assertThat(parsed.password()).contains(java.net.URLDecoder.decode(password, UTF8));
    assertThat(parsed.user()).contains("alice");
    assertThat(parsed.host()).contains("db.example.com");
    assertThat(parsed.database()).contains("app");
  }

  @Property(tries = 5000)
  void parseThrowsNothingButAConfigException(@ForAll("junk") String junk) {
    assertThatCode(
            () -> {
              try {
                DatabaseUrl.parse(junk);
              } catch (DbConfigException expected) {
                assertThat(expected.getMessage()).startsWith("database url ");
              }
            })
        .as(junk)
        .doesNotThrowAnyException();
    assertThatCode(() -> DatabaseUrl.redact(junk)).as(junk).doesNotThrowAnyException();
  }

  private static final java.nio.charset.Charset UTF8 = java.nio.charset.StandardCharsets.UTF_8;

  @Provide
  Arbitrary<SecretUrl> secretUrls() {
    return SecretUrls.any();
  }

  @Provide
  Arbitrary<SecretUrl> mutatedUrls() {
    return SecretUrls.mutated();
  }

  @Provide
  Arbitrary<String> encodedPasswords() {
    return Arbitraries.strings()
        .ofMinLength(1)
        .ofMaxLength(30)
        .map(p -> java.net.URLEncoder.encode(p, UTF8).replace("+", "%20"));
  }

  @Provide
  Arbitrary<String> junk() {
    Arbitrary<String> noise =
        Arbitraries.strings()
            .withChars("postgres:/@?#&=%[]1:.sqlitejdbcfile ")
            .withCharRange('\u0000', '\u007f')
            .ofMaxLength(60);
    Arbitrary<String> prefixed =
        Arbitraries.of(
                "postgres://",
                "postgresql://",
                "jdbc:postgresql:",
                "jdbc:postgresql://",
                "sqlite:",
                "jdbc:sqlite:",
                "file:",
                "file://",
                "")
            .flatMap(p -> noise.map(n -> p + n));
    return Arbitraries.oneOf(noise, prefixed, Arbitraries.strings().ofMaxLength(40));
  }
}
