package dev.polydb.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** validate-export on files written by hand: what it lets through and each reason it refuses. */
class ExportValidatorTest {
  static final String USERS =
      "INSERT INTO users (id, provider, provider_subject, email, display_name, avatar_url,"
          + " created_at, updated_at, last_login_at) VALUES\n";
  static final String CHUNKS =
      "INSERT INTO chunks (id, user_id, document_id, chunk_index, text, metadata, embedding,"
          + " model, created_at) VALUES\n";
  static final String VALID =
      "-- polydb export: a comment\n"
          + "SET client_encoding = 'UTF8';\n"
          + "SET standard_conforming_strings = on;\n"
          + "BEGIN;\n"
          + USERS
          + "('u1', 'google', 's1', NULL, 'it''s \u00e9 \u05e9', '', '2026-01-01T00:00:00Z',"
          + " '0001-01-01T00:00:00.001Z', NULL),\n"
          + "('u2', 'github', 's2', 'a\\b@x', E'tab\\there \\' quote', $$dollar ' \\ $$, "
          + "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z')\n"
          + "ON CONFLICT DO NOTHING;\n"
          + CHUNKS
          + "('c1', 'u1', 'd1', -0, 'text', '{\"k\": \"v\"}', '[1.5,-2.0E-5,3]', 'm',"
          + " '2026-01-01T00:00:00Z')\n"
          + "ON CONFLICT DO NOTHING;\n"
          + "COMMIT;\n";

  @TempDir Path dir;

  @Test
  void theShapeExportWritesIsValid() throws IOException {
    assertThat(validate(VALID)).isEmpty();
  }

  static Stream<Arguments> harmless() {
    return Stream.of(
        Arguments.of("quotes doubled in a value", "'it''s'", "'''; DROP TABLE users; --'"),
        Arguments.of("a dollar-quoted value", "'it''s'", "$x$ COPY users FROM PROGRAM 'id' $x$"),
        Arguments.of("an E'' value with \\'", "'it''s'", "E'\\'; \\\\! rm -rf / \\''"),
        Arguments.of("a meta-command in a comment", "BEGIN;", "BEGIN; -- \\! rm -rf /"),
        Arguments.of(
            "a nested block comment",
            "BEGIN;",
            "BEGIN; /* /* */ COPY users FROM PROGRAM 'x'; \\! id */"),
        Arguments.of("a function name in a string", "'it''s'", "'pg_read_file(''/etc/passwd'')'"),
        Arguments.of(
            "upper-case key words",
            "ON CONFLICT DO NOTHING;\nCOMMIT",
            "on conflict do nothing;\ncommit work"),
        Arguments.of(
            "a quoted table and schema",
            "INSERT INTO chunks",
            "INSERT INTO \"public\".\"chunks\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("harmless")
  void harmlessVariantsPass(String name, String from, String to) throws IOException {
    assertThat(
            validate(
                VALID.replaceFirst(
                    java.util.regex.Pattern.quote(from),
                    java.util.regex.Matcher.quoteReplacement(to))))
        .isEmpty();
  }

  static Stream<Arguments> refused() {
    String v = "'it''s \u00e9 \u05e9'";
    return Stream.of(
        Arguments.of("BEGIN;", "BEGIN;\n\\! rm -rf /", "a psql meta-command: \\!", 5),
        Arguments.of("BEGIN;", "BEGIN;\n\\copy users from '/tmp/x'", "meta-command: \\copy", 5),
        Arguments.of("BEGIN;", "BEGIN;\n\\i /etc/passwd", "meta-command: \\i", 5),
        Arguments.of("BEGIN;", "BEGIN; \\gexec", "meta-command: \\gexec", 4),
        Arguments.of("BEGIN;", "BEGIN;\nCOPY users FROM PROGRAM 'id';", "PROGRAM", 5),
        Arguments.of("BEGIN;", "BEGIN;\ncopy users from '/etc/passwd';", "a file on the server", 5),
        Arguments.of("BEGIN;", "BEGIN;\nCoPy/**/users FROM STDIN;", "COPY, which", 5),
        Arguments.of(
            "BEGIN;", "BEGIN;\nCREATE ROLE evil SUPERUSER;", "a role change: CREATE ROLE", 5),
        Arguments.of("BEGIN;", "BEGIN;\nalter user app superuser;", "a role change: ALTER USER", 5),
        Arguments.of(
            "BEGIN;", "BEGIN;\nGRANT ALL ON users TO PUBLIC;", "privilege change: GRANT", 5),
        Arguments.of("BEGIN;", "BEGIN;\nSET ROLE postgres;", "a role change: SET ROLE", 5),
        Arguments.of("BEGIN;", "BEGIN;\nSET SESSION AUTHORIZATION postgres;", "role change", 5),
        Arguments.of("BEGIN;", "BEGIN;\nRESET ROLE;", "a role change: RESET ROLE", 5),
        Arguments.of("BEGIN;", "BEGIN;\nCREATE EXTENSION dblink;", "an extension change", 5),
        Arguments.of("BEGIN;", "BEGIN;\ndrop extension vector cascade;", "an extension change", 5),
        Arguments.of("BEGIN;", "BEGIN;\nCREATE SCHEMA evil;", "a schema change", 5),
        Arguments.of(
            "BEGIN;", "BEGIN;\nSET search_path = evil, public;", "a search-path change", 5),
        Arguments.of("BEGIN;", "BEGIN;\nset local search_path to evil;", "search-path", 5),
        Arguments.of(
            "BEGIN;",
            "BEGIN;\nSELECT set_config('search_path', 'evil', false);",
            "setting change: set_config",
            5),
        Arguments.of(v, "pg_read_file('/etc/passwd')", "the function pg_read_file", 6),
        Arguments.of(v, "\"pg_read_file\"('/etc/passwd')", "the function pg_read_file", 6),
        Arguments.of(v, "pg_catalog.PG_READ_FILE ('/x')", "the function pg_read_file", 6),
        Arguments.of(v, "lo_import('/etc/passwd')::text", "the function lo_import", 6),
        Arguments.of(v, "(SELECT dblink_exec('host=evil', 'x'))", "the function dblink_exec", 6),
        Arguments.of(v, "upper('x')", "a value other than a constant", 6),
        Arguments.of(v, "'x'::text", "a ':' outside quotes", 6),
        Arguments.of(v, ":'var'", "a psql variable", 6),
        Arguments.of(v, "'a'\n'b'", "a value other than a constant", 6),
        Arguments.of(v, "B'101'", "a bit-string constant", 6),
        Arguments.of(v, "U&'\\0041'", "a U&'' constant", 6),
        Arguments.of(v, "$1", "a parameter $1", 6),
        Arguments.of("BEGIN;\n", "", "no BEGIN", 0),
        Arguments.of("COMMIT;\n", "", "no COMMIT", 0),
        Arguments.of("COMMIT;\n", "COMMIT;\nDELETE FROM users;\n", "after COMMIT", 13),
        Arguments.of("BEGIN;", "BEGIN;\nBEGIN;", "a second BEGIN", 5),
        Arguments.of("BEGIN;", "BEGIN;\nROLLBACK;\nBEGIN;", "transaction control", 5),
        Arguments.of("BEGIN;", "BEGIN ISOLATION LEVEL SERIALIZABLE;", "BEGIN with options", 4),
        Arguments.of("BEGIN;", "BEGIN;\nDELETE FROM users;", "outside the allow-list: DELETE", 5),
        Arguments.of(
            "BEGIN;", "BEGIN;\nDO $$ BEGIN NULL; END $$;", "outside the allow-list: DO", 5),
        Arguments.of("BEGIN;", "BEGIN;\nTRUNCATE users;", "outside the allow-list: TRUNCATE", 5),
        Arguments.of("BEGIN;", "BEGIN;\nLOAD 'evil';", "outside the allow-list: LOAD", 5),
        Arguments.of(
            "BEGIN;", "BEGIN;\n\u0406NSERT INTO users VALUES (1);", "outside the allow-list", 5),
        Arguments.of(
            "ON CONFLICT DO NOTHING;\nCOMMIT",
            "ON CONFLICT (id) DO UPDATE SET text = 'x';\nCOMMIT",
            "ON CONFLICT with a target",
            11),
        Arguments.of(
            "ON CONFLICT DO NOTHING;\nCOMMIT",
            "ON CONFLICT DO UPDATE SET text = 'x';\nCOMMIT",
            "ON CONFLICT DO UPDATE",
            11),
        Arguments.of(
            "ON CONFLICT DO NOTHING;\nCOMMIT", ";\nCOMMIT", "without ON CONFLICT DO NOTHING", 10),
        Arguments.of(
            "ON CONFLICT DO NOTHING;\nCOMMIT",
            "ON CONFLICT DO NOTHING RETURNING id;\nCOMMIT",
            "RETURNING",
            11),
        Arguments.of(
            "INSERT INTO chunks", "INSERT INTO refresh_tokens", "refresh tokens are never", 9),
        Arguments.of(
            "INSERT INTO chunks", "INSERT INTO pg_authid", "a table exports never write", 9),
        Arguments.of("INSERT INTO chunks", "INSERT INTO evil.chunks", "outside schema public", 9),
        Arguments.of("'c1', 'u1'", "'c1', 'u1', 'extra'", "a row of 10 values for 9 columns", 10),
        Arguments.of(
            "INSERT INTO users", "INSERT INTO journal_entries", "columns are not the table's", 5),
        Arguments.of(
            "(id, provider, provider_subject, email,",
            "(id, provider_subject, provider, email,",
            "in its order",
            5),
        Arguments.of(
            "(id, provider, provider_subject, email,",
            "(id, provider, email,",
            "columns are not the table's",
            5),
        Arguments.of("'it''s", "N'it''s", "an N'' constant", 6),
        Arguments.of(
            USERS,
            "INSERT INTO users SELECT * FROM users;\n",
            "an INSERT without a column list",
            5),
        Arguments.of("('u1', ", "('u1'; ", "a ';' inside parentheses", 6),
        Arguments.of("'it''s", "'it''s\u0000", "a NUL character", 6),
        Arguments.of(
            "COMMIT;\n", "COMMIT;\n'never closed", "a string constant that never ends", 13),
        Arguments.of("COMMIT;\n", "COMMIT", "has no ';'", 12),
        Arguments.of("BEGIN;", "BEGIN; /* never closed", "a comment that never ends", 4),
        Arguments.of("'a\\b@x'", "'a\\'; SELECT 1; --'", "outside the allow-list: SELECT", 7),
        Arguments.of("BEGIN;", "BEGIN; -- a comment\rDELETE FROM users;", "DELETE", 4),
        Arguments.of("INSERT INTO chunks", "INSERT INTO chun\u212as", "a table exports never", 9),
        Arguments.of("BEGIN;", "BEGIN;\n\u212aILL 1;", "outside the allow-list", 5));
  }

  @ParameterizedTest(name = "{2}: {1}")
  @MethodSource("refused")
  void everyForbiddenFormIsRefusedWithItsLine(String from, String to, String reason, int line)
      throws IOException {
    String text =
        VALID.replaceFirst(
            java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to));
    assertThat(text).isNotEqualTo(VALID);

    List<ExportValidator.Problem> problems = validate(text);

    assertThat(problems)
        .as(text)
        .anySatisfy(
            p -> {
              assertThat(p.reason()).contains(reason);
              assertThat(p.line()).isEqualTo(line);
            });
  }

  @Test
  void notUtf8AndSettingsThatComeTooLateAreRefused() throws IOException {
    byte[] bytes = VALID.getBytes(StandardCharsets.UTF_8);
    byte[] latin1 = VALID.replace("\u00e9", "\u00e8").getBytes(StandardCharsets.ISO_8859_1);
    assertThat(validate(latin1))
        .extracting(ExportValidator.Problem::reason)
        .contains("bytes that are not UTF-8");
    assertThat(validate(latin1)).extracting(ExportValidator.Problem::line).contains(6L);
    assertThat(bytes.length).isGreaterThan(0);

    String lateEncoding =
        VALID.replace("SET client_encoding = 'UTF8';\n", "").replace("COMMIT;\n", "COMMIT;\n");
    assertThat(validate(lateEncoding))
        .extracting(ExportValidator.Problem::reason)
        .anyMatch(r -> r.contains("text beyond ASCII before SET client_encoding"));
    String sameLine =
        "SET client_encoding = 'UTF8';\nBEGIN;\nSET standard_conforming_strings = on; "
            + USERS.replace("\n", " ")
            + "('u1', 'google', 's1', 'a\\b', NULL, NULL, '2026-01-01T00:00:00Z',"
            + " '2026-01-01T00:00:00Z', NULL) ON CONFLICT DO NOTHING;\nCOMMIT;\n";
    assertThat(validate(sameLine))
        .containsExactly(
            new ExportValidator.Problem(
                3,
                "a backslash in a string before SET standard_conforming_strings = on has taken"
                    + " effect: psql and the server may read it as an escape"));
    assertThat(validate(sameLine.replace("on; INSERT", "on;\nINSERT"))).isEmpty();
    String noUsers = VALID.replaceAll("(?s)INSERT INTO users.*?NOTHING;\n", "");
    assertThat(validate(noUsers))
        .extracting(ExportValidator.Problem::reason)
        .contains("no INSERT INTO users: an export always holds the users its rows belong to");
  }

  private List<ExportValidator.Problem> validate(String text) throws IOException {
    return validate(text.getBytes(StandardCharsets.UTF_8));
  }

  private List<ExportValidator.Problem> validate(byte[] bytes) throws IOException {
    Path file = Files.write(dir.resolve("export.sql"), bytes);
    return ExportValidator.validate(file);
  }
}
