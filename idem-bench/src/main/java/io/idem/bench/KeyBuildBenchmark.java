package io.idem.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.idem.IdempotencyKey;
import io.idem.Scope;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * Building a content key for a call with five arguments: {@link IdempotencyKey#of(String, Scope,
 * Object)} ({@link #idemKey}) against the naive way ({@link #jacksonSha256}): an {@link
 * ObjectMapper} with {@link SerializationFeature#ORDER_MAP_ENTRIES_BY_KEYS} writes the map, and a
 * {@link MessageDigest} fetched with {@code getInstance} on every call hashes the bytes into hex.
 * Both produce {@code report:user=42:<64 hex>} from the same map, built once.
 *
 * <p>Target: {@link #idemKey} at most 2 µs per key (the system Idem replaces quoted 0.3 ms).
 *
 * <p>Run alone:
 *
 * <pre>{@code
 * java -jar idem-bench/target/idem-bench.jar --include KeyBuildBenchmark
 * }</pre>
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
public class KeyBuildBenchmark {

  private static final HexFormat HEX = HexFormat.of();

  private final ObjectMapper naiveMapper = naiveMapper();

  private Map<String, Object> args = Map.of();
  private long userId;

  /** Builds the arguments once. */
  @Setup
  public void setup() {
    args = args();
    userId = 42;
  }

  /** The arguments of a report request: five fields of five types, in no particular order. */
  static Map<String, Object> args() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "monthly-sales");
    m.put("userId", 42L);
    m.put("from", LocalDate.of(2025, 10, 1));
    m.put("includeDrafts", false);
    m.put("limit", 500);
    return m;
  }

  /** The naive peer's mapper, made once: java.time as ISO text, map entries sorted by key. */
  static ObjectMapper naiveMapper() {
    return new ObjectMapper()
        .registerModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  }

  /** Idem: canonical JSON (sorted fields, normalised numbers) and a per-thread SHA-256. */
  @Benchmark
  public IdempotencyKey idemKey() {
    return IdempotencyKey.of("report", Scope.user(userId), args);
  }

  /** The naive peer: Jackson with sorted map entries, a fresh MessageDigest, hex. */
  @Benchmark
  public String jacksonSha256() throws JsonProcessingException, NoSuchAlgorithmException {
    byte[] json = naiveMapper.writeValueAsBytes(args);
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    return "report:user=" + userId + ':' + HEX.formatHex(sha256.digest(json));
  }
}
