package io.idem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NamedSqlTest {

  @Test
  void parametersBecomeMarkersInOrderAndMayRepeat() {
    NamedSql sql =
        NamedSql.parse(
            "t", "SELECT a::bigint, ':no' FROM x WHERE k = :key AND t <= :now OR u <= :now");

    assertThat(sql.sql())
        .isEqualTo("SELECT a::bigint, ':no' FROM x WHERE k = ? AND t <= ? OR u <= ?");
    assertThat(sql.parameters()).containsExactly("key", "now", "now");
  }

  @Test
  void everyStatementLoadsWithTheSchemaQuotedAndNoPlaceholderLeft() {
    for (String name :
        new String[] {
          "record.claim",
          "record.select",
          "record.complete",
          "record.fail",
          "record.extend",
          "record.delete",
          "record.purge"
        }) {
      NamedSql sql = NamedSql.load(name, "billing");
      assertThat(sql.sql())
          .contains("\"billing\".idem_records")
          .doesNotContain(":")
          .doesNotContain("{");
      assertThat(sql.parameters()).isNotEmpty();
    }
    assertThat(NamedSql.load("record.claim", "billing").sql())
        .contains("nextval('\"billing\".idem_token_seq')");
  }

  @Test
  void anUnterminatedQuoteIsRefused() {
    assertThatThrownBy(() -> NamedSql.parse("t", "SELECT 'x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'t'");
  }
}
