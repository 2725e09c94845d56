package io.idem.redis;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * The key layout of one prefix and shard count. A key's shard is the CRC32 of its UTF-8 bytes
 * modulo the shard count, and every Redis key of a shard carries the hash tag {@code
 * {prefix:shard}}, so that each script touches one cluster slot:
 *
 * <pre>
 * {prefix:N}:r:&lt;key&gt;   hash: the record of key (fields named like the SQL columns)
 * {prefix:N}:seq       string: the shard's fencing-token sequence (never expires)
 * {prefix:N}:exp       zset: member key, score expires_at (epoch ms of the store clock), for purge
 * {prefix}:layout      string: "v1 shards=N", so that stores with another shard count are refused
 * </pre>
 *
 * Immutable.
 */
final class RedisKeys {

  /** Written to {@link #layout()}; a store refuses a prefix laid out otherwise. */
  static final String LAYOUT_VERSION = "v1";

  private final String prefix;
  private final int shards;

  RedisKeys(String prefix, int shards) {
    this.prefix = prefix;
    this.shards = shards;
  }

  String prefix() {
    return prefix;
  }

  int shards() {
    return shards;
  }

  /** The shard of {@code key}: CRC32 of its UTF-8 bytes, modulo the shard count. */
  int shardOf(String key) {
    CRC32 crc = new CRC32();
    crc.update(key.getBytes(StandardCharsets.UTF_8));
    return (int) (crc.getValue() % shards);
  }

  /** The hash tag of a shard: {@code {prefix:N}}. */
  String tag(int shard) {
    return "{" + prefix + ":" + shard + "}";
  }

  /** The hash holding the record of {@code key}. */
  String record(String key) {
    return recordPrefix(shardOf(key)) + key;
  }

  /** What the record keys of a shard start with: {@code {prefix:N}:r:}. */
  String recordPrefix(int shard) {
    return tag(shard) + ":r:";
  }

  /** The fencing-token sequence of a shard. */
  String sequence(int shard) {
    return tag(shard) + ":seq";
  }

  /** The expiry index (zset) of a shard. */
  String expiry(int shard) {
    return tag(shard) + ":exp";
  }

  /** The key holding the layout of this prefix. */
  String layout() {
    return "{" + prefix + "}:layout";
  }

  /** What {@link #layout()} holds for this store. */
  String layoutValue() {
    return LAYOUT_VERSION + " shards=" + shards;
  }
}
