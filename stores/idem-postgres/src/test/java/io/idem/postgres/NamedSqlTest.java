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
          "record.insert",
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
    assertThat(NamedSql.load("record.insert", "billing").sql())
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
                "lock.take",
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
  void everyJobStatementLoadsWithTheSchemaQuotedAndNoPlaceholderLeft() {
    for (String name :
        List.of(
            "job.enqueue",
            "job.claim",
            "job.enqueue_bulk",
            "job.complete_fenced",
            "job.list_key",
            "job.heartbeat",
            "job.complete",
            "job.fail",
            "job.release",
            "job.cancel",
            "job.retry",
            "job.holder",
            "job.select",
            "job.list",
            "job.pending",
            "job.stats.duplicates",
            "job.maintain",
            "job.purge")) {
      NamedSql sql = NamedSql.load(NamedSql.JOBS, name, "billing");
      assertThat(sql.sql())
          .as(name)
          .containsPattern("\"billing\"\\.idem_job(s|_duplicates)\\b")
          .doesNotContain("{")
          .doesNotContainPattern("(?<!:):[a-z_]");
      assertThat(sql.parameters()).as(name).isNotEmpty();
    }
    assertThat(NamedSql.load(NamedSql.JOBS, "job.stats.counts", "billing").parameters()).isEmpty();
  }

  @Test
  void aRepeatedStatementBindsEachCopyApart() throws Exception {
    NamedSql sql = NamedSql.parse("t", "SELECT :a, :b, :a");
    assertThat(sql.repeatedSql(3)).isEqualTo("SELECT ?, ?, ?;\nSELECT ?, ?, ?;\nSELECT ?, ?, ?");
    List<String> bound = new java.util.ArrayList<>();
    java.sql.PreparedStatement ps =
        (java.sql.PreparedStatement)
            java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {java.sql.PreparedStatement.class},
                (proxy, method, args) -> {
                  bound.add(method.getName() + " " + args[0] + "=" + args[1]);
                  return null;
                });
    sql.setLong(ps, 2, "a", 7);
    sql.setLongOrNull(ps, 1, "b", null);
    assertThat(bound).containsExactly("setLong 7=7", "setLong 9=7", "setNull 5=-5");
    assertThatThrownBy(() -> sql.repeatedSql(0)).isInstanceOf(IllegalArgumentException.class);
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
