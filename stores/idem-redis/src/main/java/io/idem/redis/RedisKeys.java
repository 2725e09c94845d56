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
 * The static methods name the keys of the other stores of a prefix, which have no shards: a
 * processed set or a lock is its own hash tag, with its name {@linkplain #escape escaped} so that
 * braces in it cannot end the tag early:
 *
 * <pre>
 * {prefix:s:&lt;set&gt;}:m    set: the members of a processed set (RedisProcessedSetStore)
 * {prefix:s:&lt;set&gt;}:t    string: its last-modified time (epoch ms of the store clock)
 * {prefix:l:&lt;name&gt;}     hash: a lock (RedisLockStore): owner, token, acquired_at, lease_until
 * </pre>
 *
 * Thread-safe: immutable, but for a cache of the shards' key names.
 */
final class RedisKeys {

  /** Written to {@link #layout()}; a store refuses a prefix laid out otherwise. */
  static final String LAYOUT_VERSION = "v1";

  private final String prefix;
  private final int shards;

  /**
   * The names of each shard's keys, made on first use. Racy but safe: {@link ShardKeys} has only
   * final fields, so a thread sees either none (and makes the same names again) or a whole one.
   */
  private final ShardKeys[] shardKeys;

  /** The names of one shard's keys. */
  private record ShardKeys(String recordPrefix, String sequence, String expiry) {}

  RedisKeys(String prefix, int shards) {
    this.prefix = prefix;
    this.shards = shards;
    this.shardKeys = new ShardKeys[shards];
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
    return shardKeys(shard).recordPrefix();
  }

  /** The fencing-token sequence of a shard. */
  String sequence(int shard) {
    return shardKeys(shard).sequence();
  }

  /** The expiry index (zset) of a shard. */
  String expiry(int shard) {
    return shardKeys(shard).expiry();
  }

  private ShardKeys shardKeys(int shard) {
    ShardKeys names = shardKeys[shard];
    if (names == null) {
      String tag = tag(shard);
      names = new ShardKeys(tag + ":r:", tag + ":seq", tag + ":exp");
      shardKeys[shard] = names;
    }
    return names;
  }

  /** The key holding the layout of this prefix. */
  String layout() {
    return "{" + prefix + "}:layout";
  }

  /** What {@link #layout()} holds for this store. */
  String layoutValue() {
    return LAYOUT_VERSION + " shards=" + shards;
  }

  // ---- processed sets and locks -------------------------------------------------------------

  /** The members (a Redis set) of the processed set {@code set}: {@code {prefix:s:<set>}:m}. */
  static String setMembers(String prefix, String set) {
    return setTag(prefix, set) + ":m";
  }

  /** The last-modified time of the processed set {@code set}: {@code {prefix:s:<set>}:t}. */
  static String setModified(String prefix, String set) {
    return setTag(prefix, set) + ":t";
  }

  private static String setTag(String prefix, String set) {
    return "{" + prefix + ":s:" + escape(set) + "}";
  }

  /** The hash of the lock {@code name}: {@code {prefix:l:<name>}}. */
  static String lock(String prefix, String name) {
    return "{" + prefix + ":l:" + escape(name) + "}";
  }

  /**
   * {@code name} with '%', '{' and '}' percent-encoded ({@code %25}, {@code %7B}, {@code %7D}), so
   * that it cannot end or open a hash tag; one-to-one, and other names are kept as they are.
   */
  static String escape(String name) {
    if (name.indexOf('%') < 0 && name.indexOf('{') < 0 && name.indexOf('}') < 0) {
      return name;
    }
    StringBuilder b = new StringBuilder(name.length() + 8);
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      switch (c) {
        case '%' -> b.append("%25");
        case '{' -> b.append("%7B");
        case '}' -> b.append("%7D");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
