package dev.polydb.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** JSON is compared as jsonb would keep it: keys sorted, spacing gone, numbers as written. */
class RowsTest {

  @Test
  void jsonObjectsCompareWhateverTheirKeyOrderAndSpacing() {
    assertThat(Rows.canonicalJson("{\"b\": \"x\",  \"a\" : 1.0}"))
        .isEqualTo(Rows.canonicalJson("{\"a\":1.0,\"b\":\"x\"}"))
        .isEqualTo("{\"a\":1.0,\"b\":\"x\"}");
  }

  @Test
  void aNumbersScaleIsKeptAsJsonbKeepsIt() {
    assertThat(Rows.canonicalJson("{\"a\":1.0}")).isNotEqualTo(Rows.canonicalJson("{\"a\":1}"));
  }

  @Test
  void textThatIsNotJsonComparesAsItIs() {
    assertThat(Rows.canonicalJson("")).isEmpty();
    assertThat(Rows.canonicalJson("   ")).isEqualTo("   ");
    assertThat(Rows.canonicalJson("{oops")).isEqualTo("{oops");
    assertThat(Rows.canonicalJson(null)).isNull();
  }
}
