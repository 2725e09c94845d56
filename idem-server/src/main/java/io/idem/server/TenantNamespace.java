package io.idem.server;

import io.idem.internal.Hashing;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Where a tenant's items live: one namespace per tenant, the same on every backend, from which
 * {@link Backend} names the tenant's SQLite file ({@code <dataDir>/<namespace>.db}), PostgreSQL
 * schema ({@code idem_<namespace>}), Redis prefix ({@code idem:<namespace>}) and tiered cache
 * prefix ({@code idem-cache:<namespace>}).
 *
 * <p>The namespace of a tenant is its name with every byte of its UTF-8 form that is not {@code
 * a-z} or {@code 0-9} written as {@code _} and two lower-case hex digits: {@code acme} is {@code
 * acme}, {@code a-b} is {@code a_2db}, {@code a_b} is {@code a_5fb}. Since a {@code _} only ever
 * starts such an escape, the name can be read back from the namespace: two names never share one.
 * The result has only lower-case letters, digits and {@code _} (a plain PostgreSQL identifier, a
 * Redis prefix without braces or spaces, a file name that does not depend on case).
 *
 * <p>When that text is longer than {@value #MAX_LENGTH} characters (so that {@code idem_} and it
 * would pass PostgreSQL's 63-byte limit on identifiers), the namespace is its first characters, at
 * most {@value #KEPT}, cut between escapes, then {@code _h} and the first {@value #HASH_HEX} hex
 * digits of the SHA-256 of the name. {@code _h} occurs in no readable namespace ({@code h} is not a
 * hex digit), so a long name never meets a short one; two long names meet only when they start
 * alike and their 48-bit hashes are equal. {@link #requireDistinct} refuses such tenants when the
 * server starts: it, not the width of the hash, is what keeps two configured tenants apart (the
 * width decides how rarely a long name has to be renamed).
 *
 * <p>Thread-safe (no state).
 */
final class TenantNamespace {

  /** The longest namespace: 63 (PostgreSQL's identifier limit) less {@code "idem_"}. */
  static final int MAX_LENGTH = 58;

  /** How much of a long name's escaped text a hashed namespace keeps, at most. */
  static final int KEPT = 44;

  /** How many hex digits of the SHA-256 of a long name a hashed namespace ends with. */
  static final int HASH_HEX = 12;

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private TenantNamespace() {}

  /** The namespace of {@code tenant}. */
  static String of(String tenant) {
    byte[] utf8 = tenant.getBytes(StandardCharsets.UTF_8);
    StringBuilder escaped = new StringBuilder(utf8.length * 3);
    int kept = -1; // where a hashed namespace cuts: the end of the last unit within KEPT
    for (byte b : utf8) {
      if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')) {
        escaped.append((char) b);
      } else {
        escaped.append('_').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
      }
      if (escaped.length() <= KEPT) {
        kept = escaped.length();
      }
    }
    if (escaped.length() <= MAX_LENGTH) {
      return escaped.toString();
    }
    return escaped.substring(0, kept) + "_h" + Hashing.sha256Hex(utf8).substring(0, HASH_HEX);
  }

  /** The SQLite file of {@code tenant}: {@code <dataDir>/<namespace>.db}. */
  static Path sqliteFile(Path dataDir, String tenant) {
    return dataDir.resolve(of(tenant) + ".db");
  }

  /** The PostgreSQL schema of {@code tenant}: {@code idem_<namespace>}. */
  static String postgresSchema(String tenant) {
    return "idem_" + of(tenant);
  }

  /** The Redis key prefix of {@code tenant}: {@code idem:<namespace>}. */
  static String redisPrefix(String tenant) {
    return "idem:" + of(tenant);
  }

  /** The prefix of {@code tenant}'s cached records on the tiered backend. */
  static String cachePrefix(String tenant) {
    return "idem-cache:" + of(tenant);
  }

  /**
   * Refuses two of {@code tenants} that have the same namespace, in one line naming both and the
   * namespace.
   *
   * @throws IllegalArgumentException when two tenants share a namespace
   */
  static void requireDistinct(Collection<String> tenants) {
    Map<String, String> byNamespace = new TreeMap<>();
    for (String tenant : new TreeSet<>(tenants)) {
      String ns = of(tenant);
      String other = byNamespace.putIfAbsent(ns, tenant);
      if (other != null) {
        throw new IllegalArgumentException(
            "tenants '"
                + other
                + "' and '"
                + tenant
                + "' would share the namespace '"
                + ns
                + "' (SQLite file "
                + ns
                + ".db, PostgreSQL schema idem_"
                + ns
                + ", Redis prefix idem:"
                + ns
                + "): rename one of them");
      }
    }
  }
}
