package io.idem.redis;

import io.idem.job.Job;
import io.idem.job.JobState;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks, behind a quiet {@link RedisJobStore}'s back, that its indexes, counters and unique-key
 * holder strings agree with its job hashes. Answers the problems found (empty when none).
 */
final class RedisJobInvariants {

  private RedisJobInvariants() {}

  static List<String> check(String prefix, Instant now) {
    RedisCommands<String, String> r = RedisTesting.admin();
    String b = RedisJobStore.keyBase(prefix);
    List<String> problems = new ArrayList<>();
    Map<String, Job> jobs = new HashMap<>();
    for (String key : scan(r, b + ":j:*")) {
      String id = key.substring((b + ":j:").length());
      Job j = JobFields.toJob(r.hgetall(key), key);
      if (!j.id().equals(id)) {
        problems.add(key + " holds job " + j.id());
      }
      if (!JobFields.order(id).equals(r.hget(key, "ord"))) {
        problems.add(key + " has ord " + r.hget(key, "ord"));
      }
      jobs.put(id, j);
    }
    Set<String> created = new HashSet<>(r.zrange(b + ":created", 0, -1));
    if (!created.equals(jobs.keySet())) {
      problems.add("created " + created + " but jobs " + jobs.keySet());
    }
    Map<String, Long> byState = new HashMap<>();
    Map<String, Long> byType = new HashMap<>();
    Map<String, Map<String, Long>> byKey = new HashMap<>();
    Map<String, Set<String>> idsByKey = new HashMap<>();
    Map<String, String> holders = new HashMap<>();
    for (Job j : jobs.values()) {
      String id = j.id();
      String code = Integer.toString(j.state().code());
      byState.merge(code, 1L, Long::sum);
      byType.merge(code + ":" + j.type(), 1L, Long::sum);
      check(problems, id + " created score", score(r, b + ":created", id), ms(j.createdAt()));
      boolean waiting = JobState.WAITING.contains(j.state());
      String ready = b + ":r:" + utf8Length(j.queue()) + ":" + j.queue() + ":" + j.type();
      String member = member(j);
      boolean inReady = r.zscore(ready, member) != null;
      Double sched = score(r, b + ":sched", id);
      Double lazy = score(r, b + ":lazy", id);
      boolean expired = j.expiresAt() != null && !j.expiresAt().isAfter(now);
      if (j.state() == JobState.QUEUED) {
        if (!inReady && !expired) {
          problems.add(id + " QUEUED but not ready");
        }
        if (sched != null || lazy != null) {
          problems.add(id + " QUEUED but in sched/lazy");
        }
      } else if (waiting) {
        if (sched != null) {
          check(problems, id + " sched score", sched, ms(j.runAt()));
          if (inReady || lazy != null) {
            problems.add(id + " both scheduled and ready");
          }
        } else if (lazy != null) {
          check(problems, id + " lazy score", lazy, ms(j.runAt()));
          if (!inReady && !expired) {
            problems.add(id + " lazy but not ready");
          }
        } else {
          problems.add(id + " " + j.state() + " in no index");
        }
      } else if (inReady || sched != null || lazy != null) {
        problems.add(id + " " + j.state() + " still ready or scheduled");
      }
      if (inReady && !r.sismember(b + ":qt:" + j.queue(), j.type())) {
        problems.add(id + " ready but its type is not listed for its queue");
      }
      check(
          problems,
          id + " exp score",
          score(r, b + ":exp", id),
          waiting && j.expiresAt() != null ? ms(j.expiresAt()) : null);
      check(
          problems,
          id + " run score",
          score(r, b + ":run", id),
          j.state() == JobState.RUNNING ? ms(Objects.requireNonNull(j.leaseUntil())) : null);
      check(
          problems,
          id + " fin score",
          score(r, b + ":fin", id),
          j.state().isFinal() ? ms(Objects.requireNonNull(j.finishedAt())) : null);
      if (j.uniqueKey() != null) {
        byKey.computeIfAbsent(j.uniqueKey(), k -> new HashMap<>()).merge(code, 1L, Long::sum);
        idsByKey.computeIfAbsent(j.uniqueKey(), k -> new HashSet<>()).add(id);
        if (j.holdsUniqueKey()) {
          String other = holders.put(j.uniqueKey(), id);
          if (other != null) {
            problems.add("unique key " + j.uniqueKey() + " held by " + other + " and " + id);
          }
        }
      }
    }
    for (String idx : List.of(":sched", ":lazy", ":exp", ":run", ":fin")) {
      for (String id : r.zrange(b + idx, 0, -1)) {
        if (!jobs.containsKey(id)) {
          problems.add(idx + " names missing job " + id);
        }
      }
    }
    for (String key : scan(r, b + ":r:*")) {
      for (String m : r.zrange(key, 0, -1)) {
        String id = m.substring(m.indexOf(' ', 42) + 1);
        Job j = jobs.get(id);
        if (j == null || !member(j).equals(m) || !JobState.WAITING.contains(j.state())) {
          problems.add(key + " has stale member " + m);
        }
      }
    }
    counts(problems, "by state", r.hgetall(b + ":n"), byState);
    counts(problems, "by type", r.hgetall(b + ":nt"), byType);
    for (String key : scan(r, b + ":u:*")) {
      String uk = key.substring((b + ":u:").length());
      if (!Objects.equals(r.get(key), holders.get(uk))) {
        problems.add(
            "holder string of " + uk + " is " + r.get(key) + ", holder " + holders.get(uk));
      }
    }
    for (Map.Entry<String, String> h : holders.entrySet()) {
      if (!h.getValue().equals(r.get(b + ":u:" + h.getKey()))) {
        problems.add("no holder string for " + h.getKey() + " held by " + h.getValue());
      }
    }
    for (Map.Entry<String, Set<String>> e : idsByKey.entrySet()) {
      Set<String> stored = r.smembers(b + ":k:" + e.getKey());
      if (!stored.equals(e.getValue())) {
        problems.add("ids of key " + e.getKey() + ": " + stored + ", jobs " + e.getValue());
      }
      counts(
          problems,
          "counts of key " + e.getKey(),
          r.hgetall(b + ":kc:" + e.getKey()),
          byKey.get(e.getKey()));
    }
    return problems;
  }

  static String member(Job j) {
    return String.format(
            "%010d%016d%016d",
            (long) Integer.MAX_VALUE - j.priority(),
            ms(j.runAt()) + JobFields.MAX_ABS_MILLIS,
            ms(j.createdAt()) + JobFields.MAX_ABS_MILLIS)
        + JobFields.order(j.id())
        + " "
        + j.id();
  }

  private static void counts(
      List<String> problems, String what, Map<String, String> stored, Map<String, Long> expected) {
    Map<String, Long> nonZero = new HashMap<>();
    stored.forEach(
        (k, v) -> {
          if (Long.parseLong(v) != 0) {
            nonZero.put(k, Long.parseLong(v));
          }
        });
    if (!nonZero.equals(expected)) {
      problems.add(what + ": stored " + nonZero + ", counted " + expected);
    }
  }

  private static void check(List<String> problems, String what, Double actual, Long expected) {
    Long a = actual == null ? null : actual.longValue();
    if (!Objects.equals(a, expected)) {
      problems.add(what + " is " + a + ", expected " + expected);
    }
  }

  private static Double score(RedisCommands<String, String> r, String key, String member) {
    return r.zscore(key, member);
  }

  private static long ms(Instant t) {
    return t.toEpochMilli();
  }

  private static int utf8Length(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  static List<String> scan(RedisCommands<String, String> r, String pattern) {
    List<String> found = new ArrayList<>();
    ScanArgs args = ScanArgs.Builder.matches(escapeGlob(pattern)).limit(1000);
    KeyScanCursor<String> cursor = r.scan(args);
    while (true) {
      found.addAll(cursor.getKeys());
      if (cursor.isFinished()) {
        return found;
      }
      cursor = r.scan(ScanCursor.of(cursor.getCursor()), args);
    }
  }

  /** The pattern with glob characters of its fixed part escaped (only a trailing '*' is glob). */
  private static String escapeGlob(String pattern) {
    String fixed = pattern.substring(0, pattern.length() - 1);
    StringBuilder b = new StringBuilder();
    for (char c : fixed.toCharArray()) {
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.append('*').toString();
  }
}
