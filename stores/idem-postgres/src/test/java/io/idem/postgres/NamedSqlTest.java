package io.idem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
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
  void everySetAndLockStatementLoadsWithTheSchemaQuotedAndNoPlaceholderLeft() {
    Map<String, List<String>> statements =
        Map.of(
            NamedSql.SETS,
            List.of(
                "set.add",
                "set.remove",
                "set.contains",
                "set.members",
                "set.clear",
                "set.last_modified"),
            NamedSql.LOCKS,
            List.of(
                "lock.acquire",
                "lock.extend",
                "lock.release",
                "lock.holder",
                "advisory.acquire",
                "advisory.lease",
                "advisory.release",
                "advisory.holder"));
    statements.forEach(
        (resource, names) -> {
          for (String name : names) {
            NamedSql sql = NamedSql.load(resource, name, "billing");
            assertThat(sql.sql())
                .as(name)
                .containsPattern("\"billing\"\\.idem_(set_members|sets|locks)\\b")
                .doesNotContain("{")
                .doesNotContainPattern("(?<!:):[a-z_]");
            assertThat(sql.parameters()).as(name).isNotEmpty();
          }
        });
    assertThat(NamedSql.load(NamedSql.LOCKS, "advisory.holder", "billing").parameters())
        .containsExactly("name", "key_high", "key_low");
    NamedSql unlock = NamedSql.load(NamedSql.LOCKS, "advisory.unlock", "billing");
    assertThat(unlock.sql()).isEqualTo("SELECT pg_advisory_unlock(?)");
    assertThat(unlock.parameters()).containsExactly("key");
  }

  @Test
  void anUnknownStatementIsRefusedNamingIt() {
    assertThatThrownBy(() -> NamedSql.load(NamedSql.LOCKS, "lock.nope", "billing"))
        .hasMessageContaining("lock.nope")
        .hasMessageContaining("locks.sql");
  }

  @Test
  void anUnterminatedQuoteIsRefused() {
    assertThatThrownBy(() -> NamedSql.parse("t", "SELECT 'x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'t'");
  }
}
