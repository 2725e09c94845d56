package io.idem.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.idem.IdempotencyKey;
import io.idem.Scope;
import io.idem.internal.CanonicalJson;
import io.idem.internal.Hashing;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
 * Diagnostics, not part of the default suite: the steps of {@link KeyBuildBenchmark#idemKey} and of
 * its naive peer one by one, on the same arguments, each reported against the whole Idem key.
 *
 * <pre>{@code
 * java -jar idem-bench/target/idem-bench.jar --include KeyBuildPartsBenchmark
 * }</pre>
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
public class KeyBuildPartsBenchmark {

  private final KeyBuildBenchmark whole = new KeyBuildBenchmark();
  private final ObjectMapper naiveMapper = KeyBuildBenchmark.naiveMapper();
  private Map<String, Object> args = Map.of();
  private byte[] canonical = new byte[0];
  private long userId;

  @Setup
  public void setup() {
    whole.setup();
    args = KeyBuildBenchmark.args();
    canonical = CanonicalJson.toBytes(args);
    userId = 42;
  }

  /** The whole Idem key, as {@link KeyBuildBenchmark#idemKey}. */
  @Benchmark
  public IdempotencyKey idemKey() {
    return whole.idemKey();
  }

  /** The whole naive key, as {@link KeyBuildBenchmark#jacksonSha256}. */
  @Benchmark
  public String jacksonSha256() throws JsonProcessingException, NoSuchAlgorithmException {
    return whole.jacksonSha256();
  }

  /** {@code Scope.user(42)}: the kind is checked against a pattern, the id for clean text. */
  @Benchmark
  public Scope scopeUser() {
    return Scope.user(userId);
  }

  /** Idem's canonical JSON of the five arguments. */
  @Benchmark
  public byte[] canonicalJson() {
    return CanonicalJson.toBytes(args);
  }

  /** Idem's SHA-256 in hex of the canonical JSON (a digest per thread, reused). */
  @Benchmark
  public String sha256Hex() {
    return Hashing.sha256Hex(canonical);
  }

  /** The naive peer's JSON: Jackson with sorted map entries. */
  @Benchmark
  public byte[] jacksonJson() throws JsonProcessingException {
    return naiveMapper.writeValueAsBytes(args);
  }

  /** The naive peer's {@code MessageDigest.getInstance("SHA-256")} on every call. */
  @Benchmark
  public MessageDigest digestGetInstance() throws NoSuchAlgorithmException {
    return MessageDigest.getInstance("SHA-256");
  }
}
