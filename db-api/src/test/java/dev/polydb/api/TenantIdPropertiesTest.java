package dev.polydb.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;

/**
 * SPEC §12: tenant ids. 100,000 generated ids, most of them hostile (quotes, ';', NUL, look-alike
 * Unicode letters, over-long, reserved words, case, spaces), against an independent statement of
 * the rule: none outside it is accepted, none inside it is refused, and an accepted id is never
 * changed.
 */
class TenantIdPropertiesTest {
  private static final Pattern RULE = Pattern.compile("[a-z][a-z0-9_]*");
  private static final List<String> RESERVED_SAMPLE =
      List.of(
          "public",
          "information_schema",
          "pg_catalog",
          "pg_temp",
          "select",
          "user",
          "table",
          "all",
          "current_user",
          "order",
          "null",
          "true",
          "with",
          "window",
          "verbose");
  private static final String LOOK_ALIKES =
      "\u0430\u0435\u043e\u0440\u0441\u0445" // Cyrillic a e o p c x
          + "\u03bf\u03b1\u03b9" // Greek omicron alpha iota
          + "\uff41\uff42\uff10" // fullwidth a b 0
          + "\u0131\u212a\u017f" // dotless i, Kelvin sign, long s
          + "\u00e9\u0301\u200b\u00a0" // e acute, combining acute, zero-width space, no-break space
          + "\uff3f\u2010"; // fullwidth low line, hyphen

  @Property(tries = 100_000)
  void onlyIdsInsideTheRuleAreAcceptedAndNoneIsChanged(@ForAll("ids") String id) {
    boolean inside =
        RULE.matcher(id).matches()
            && (TenantId.DEFAULT_PREFIX + id).getBytes(StandardCharsets.UTF_8).length <= 63
            && !id.startsWith("pg_")
            && !RESERVED_SAMPLE.contains(id)
            && !isReservedKeyWord(id);
    Statistics.label("inside the rule").collect(inside);

    DbValidationException refused =
        catchThrowableOfType(DbValidationException.class, () -> TenantId.of(id));

    if (inside) {
      assertThat(refused).as(id).isNull();
      TenantId tenant = TenantId.of(id);
      assertThat(tenant.value()).isEqualTo(id);
      assertThat(tenant.schema(TenantId.DEFAULT_PREFIX)).isEqualTo(TenantId.DEFAULT_PREFIX + id);
      assertThat(tenant.quotedSchema(TenantId.DEFAULT_PREFIX))
          .isEqualTo("\"" + TenantId.DEFAULT_PREFIX + id + "\"");
    } else {
      assertThat(refused).as(id).isNotNull();
      assertThat(refused.field()).isEqualTo("tenant");
      // the message is one of the rules, word for word: it never carries the id
      assertThat(refused.getMessage())
          .satisfiesAnyOf(
              m -> assertThat(m).startsWith("tenant must match [a-z][a-z0-9_]*: a lower-case"),
              m -> assertThat(m).startsWith("tenant must be at most 56 characters, so that"),
              m -> assertThat(m).startsWith("tenant must not be, or make a schema named, public"));
    }
  }

  @Test
  void theRulesAreNamed() {
    assertThat(message("Acme")).contains("must match [a-z][a-z0-9_]*");
    assertThat(message("x".repeat(57))).contains("at most 56 characters");
    assertThat(message("public")).contains("reserved");
    assertThat(message("pg_x")).contains("reserved");
    assertThat(message("select")).contains("reserved");
    assertThat(TenantId.of("x".repeat(56)).schema(TenantId.DEFAULT_PREFIX)).hasSize(63);
    assertThat(TenantId.of("acme", "t_").schema("t_")).isEqualTo("t_acme");
    assertThat(catchThrowableOfType(DbValidationException.class, () -> TenantId.of("public", "t_")))
        .hasMessageContaining("reserved");
    assertThat(catchThrowableOfType(DbValidationException.class, () -> TenantId.of("a", "pg_")))
        .hasMessageContaining("tenant prefix");
    assertThat(catchThrowableOfType(DbValidationException.class, () -> TenantId.of("lic", "pub")))
        .hasMessageContaining("reserved");
    assertThat(
            catchThrowableOfType(
                DbConfigException.class, () -> DbConfig.builder().tenant("acme;drop")))
        .hasMessageContaining("must match")
        .hasMessageNotContaining("drop");
  }

  private static String message(String id) {
    return catchThrowableOfType(DbValidationException.class, () -> TenantId.of(id)).getMessage();
  }

  private static boolean isReservedKeyWord(String id) {
    // a few of PostgreSQL's reserved words beyond the sample, spelled out independently
    return List.of(
            "analyse",
            "analyze",
            "and",
            "any",
            "array",
            "as",
            "asc",
            "both",
            "case",
            "cast",
            "check",
            "collate",
            "column",
            "constraint",
            "create",
            "default",
            "desc",
            "distinct",
            "do",
            "else",
            "end",
            "except",
            "false",
            "fetch",
            "for",
            "foreign",
            "from",
            "grant",
            "group",
            "having",
            "in",
            "into",
            "is",
            "join",
            "limit",
            "not",
            "offset",
            "on",
            "only",
            "or",
            "primary",
            "references",
            "returning",
            "some",
            "then",
            "to",
            "union",
            "unique",
            "using",
            "when",
            "where",
            "authorization",
            "binary",
            "collation",
            "concurrently",
            "cross",
            "current_catalog",
            "current_date",
            "current_role",
            "current_schema",
            "current_time",
            "current_timestamp",
            "deferrable",
            "freeze",
            "full",
            "ilike",
            "initially",
            "inner",
            "intersect",
            "isnull",
            "lateral",
            "leading",
            "left",
            "like",
            "localtime",
            "localtimestamp",
            "natural",
            "notnull",
            "outer",
            "overlaps",
            "placing",
            "right",
            "session_user",
            "similar",
            "symmetric",
            "system_user",
            "tablesample",
            "trailing",
            "variadic",
            "asymmetric")
        .contains(id);
  }

  @Provide
  Arbitrary<String> ids() {
    Arbitrary<String> valid =
        Arbitraries.strings()
            .withCharRange('a', 'z')
            .ofMinLength(1)
            .ofMaxLength(1)
            .flatMap(
                first ->
                    Arbitraries.strings()
                        .withCharRange('a', 'z')
                        .withCharRange('0', '9')
                        .withChars('_')
                        .ofMaxLength(70)
                        .map(rest -> first + rest));
    Arbitrary<String> hostileChars =
        Arbitraries.strings()
            .withCharRange('a', 'z')
            .withChars("'\";\\\0 \t\n-.$`/*A" + LOOK_ALIKES)
            .ofMinLength(0)
            .ofMaxLength(30);
    Arbitrary<String> oneHostile =
        Arbitraries.of(
                "'",
                "\"",
                ";",
                "\0",
                " ",
                "-",
                "A",
                "1",
                "_",
                "\u212a",
                "\u0430",
                "\uff41",
                "\u0131",
                "\u00e9",
                "\u200b",
                "$",
                "''; drop schema public cascade; --")
            .flatMap(
                bad ->
                    valid.flatMap(
                        good ->
                            Arbitraries.integers()
                                .between(0, good.length())
                                .map(at -> good.substring(0, at) + bad + good.substring(at))));
    Arbitrary<String> reserved =
        Arbitraries.of(RESERVED_SAMPLE)
            .flatMap(
                word ->
                    Arbitraries.of(word, word.toUpperCase(), word + "_", "pg_" + word, word + "1"));
    Arbitrary<String> overLong = Arbitraries.integers().between(50, 80).map("t"::repeat);
    Arbitrary<String> anything = Arbitraries.strings().all().ofMaxLength(40);
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(30, valid),
        net.jqwik.api.Tuple.of(25, oneHostile),
        net.jqwik.api.Tuple.of(20, hostileChars),
        net.jqwik.api.Tuple.of(10, reserved),
        net.jqwik.api.Tuple.of(5, overLong),
        net.jqwik.api.Tuple.of(10, anything));
  }
}
