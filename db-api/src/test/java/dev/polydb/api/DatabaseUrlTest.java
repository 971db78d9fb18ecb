package dev.polydb.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cases the acceptance run and the fuzzer found, one by one. */
class DatabaseUrlTest {

  @Test
  void aUrlMissingTheColonAfterItsSchemeHidesThePassword() {
    String raw = "postgres//app:SECRET@host/db";

    assertThatThrownBy(() -> DatabaseUrl.parse(raw))
        .isInstanceOf(DbConfigException.class)
        .hasMessageNotContaining("SECRET")
        .hasMessageContaining("has no scheme");
    assertThatThrownBy(() -> DbConfig.builder().url(raw))
        .isInstanceOf(DbConfigException.class)
        .hasMessageNotContaining("SECRET");
    assertThat(DatabaseUrl.redact(raw)).isEqualTo("postgres//***@host/db");
  }

  /** Found by the mutation property: "://" and "@" both lost, the user glued to the scheme. */
  @Test
  void aUserGluedToItsSchemeWithNoAtSignHidesWhatFollowsItsColon() {
    String raw = "postgresalice:aaaaaaaaaa/app";

    assertThat(DatabaseUrl.redact(raw)).isEqualTo("postgresalice:***");
    assertThatThrownBy(() -> DatabaseUrl.parse(raw))
        .isInstanceOf(DbConfigException.class)
        .hasMessageNotContaining("aaaaaaaaaa");
    assertThat(DatabaseUrl.redact("sqlite:data/app.db")).isEqualTo("sqlite:data/app.db");
    assertThat(DatabaseUrl.redact("jdbc:postgresql:app")).isEqualTo("jdbc:postgresql:app");
  }

  @Test
  void theBuilderRefusesASchemeNoBackendClaims() {
    assertThatThrownBy(() -> DbConfig.builder().url("mysql://u:pw@h:3306/db"))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("unknown scheme 'mysql'")
        .hasMessageContaining("postgres://");
  }

  @Test
  void optionValuesTheLibraryKnowsAreChecked() {
    assertThatThrownBy(() -> DatabaseUrl.parse("postgres://u@h/db?sslmode=sometimes"))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("sslmode must be")
        .hasMessageContaining("verify-full")
        .hasMessageContaining("'sometimes'");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgres://u@h/db?connect_timeout=soon"))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("connect_timeout must be");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgres://u@h/db?target_session_attrs=leader"))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("target_session_attrs must be");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgres://u@h/db?sslmode=require&sslmode=disable"))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("twice");
    assertThat(DatabaseUrl.parse("postgres://u@h/db?sslmode=Verify-Full").options())
        .isEqualTo(Map.of("sslmode", "Verify-Full"));
  }

  @Test
  void aUrlWithoutADatabaseIsRefused() {
    for (String raw :
        List.of("postgres://u:pw@h:5432", "postgres://u:pw@h/", "jdbc:postgresql://h:5432/")) {
      assertThatThrownBy(() -> DatabaseUrl.parse(raw))
          .as(raw)
          .isInstanceOf(DbConfigException.class)
          .hasMessageContaining("missing database name");
    }
  }

  @Test
  void unencodedSpacesAreRefusedAndEncodedOnesKept() {
    assertThatThrownBy(() -> DatabaseUrl.parse("postgres://u@h/my db"))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("%20");
    assertThat(DatabaseUrl.parse("postgres://u@h/my%20db").database()).contains("my db");
  }

  @Test
  void anIpv6HostComesBackWithoutBrackets() {
    DatabaseUrl url = DatabaseUrl.parse("postgres://u@[::1]:6543/db");

    assertThat(url.host()).contains("::1");
    assertThat(url.port()).isEqualTo(6543);
    assertThat(DatabaseUrl.parse("postgres://u@[fe80::1%25eth0]/db").host()).isPresent();
    assertThatThrownBy(() -> DatabaseUrl.parse("postgres://u@[nothex]/db"))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("IPv6");
  }

  @Test
  void aPercentEncodedPasswordParameterIsRedactedAndUsed() {
    String raw = "jdbc:postgresql://h/db?pass%77ord=SECRET&sslmode=require";

    assertThat(DatabaseUrl.redact(raw)).doesNotContain("SECRET").contains("sslmode=require");
    assertThat(DatabaseUrl.parse(raw).password()).contains("SECRET");
    assertThat(DatabaseUrl.parse(raw).toString()).doesNotContain("SECRET");
  }

  @Test
  void aPasswordWithUnencodedSeparatorsIsTakenWholeAndNeverQuoted() {
    // '?' in the password used to start the query, leaving "ab" to be read as a port
    String raw = "postgres://app:ab?cdSECRET@h/db";

    assertThat(DatabaseUrl.parse(raw).password()).contains("ab?cdSECRET");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgres://app:ab?cdSECRET@h:x/db"))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("bad port")
        .hasMessageNotContaining("SECRET")
        .hasMessageNotContaining("ab?cd");
    // a password that lost its '@' reads as host:port: neither is shown
    assertThatThrownBy(() -> DatabaseUrl.parse("postgres://app:SECRETPW/db"))
        .isInstanceOf(DbConfigException.class)
        .hasMessageNotContaining("SECRETPW");
  }

  @Test
  void anAtSignInAKnownOptionValueDoesNotEndTheCredentials() {
    DatabaseUrl url = DatabaseUrl.parse("postgres://u:pw@h/db?application_name=me@home");

    assertThat(url.host()).contains("h");
    assertThat(url.password()).contains("pw");
    assertThat(url.options()).isEqualTo(Map.of("application_name", "me@home"));
  }

  @Test
  void inputsTheFuzzerFoundAreConfigErrors() {
    for (String raw :
        List.of(
            "sqlite:x.db?=", "sqlite:x.db?&", "postgres://h/db?x", "file:\u0000", "postgres://")) {
      assertThatThrownBy(() -> DatabaseUrl.parse(raw))
          .as(raw)
          .isInstanceOf(DbConfigException.class);
    }
  }

  @Test
  void toStringOfAConfigShowsEverySettingAndNoPassword() {
    DbConfig config = DbConfig.builder().url("postgres://u:SECRET@h/db").build();

    assertThat(config.toString())
        .doesNotContain("SECRET")
        .contains("refreshReuseGrace=PT10S")
        .contains("jtiNegativeCacheTtl=")
        .contains("journalQuotaBytes=none");
  }
}
