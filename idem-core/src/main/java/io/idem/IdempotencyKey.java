package io.idem;

import io.idem.internal.CanonicalJson;
import io.idem.internal.Hashing;
import io.idem.internal.Texts;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The identity of one effect: {@code namespace:scope:digest}, where the digest is the SHA-256 of
 * the canonical JSON of the call's arguments (fields sorted, numbers normalised; see {@link
 * #of(String, Scope, Object)}). A readable key such as {@code autoclose:123:2025-10-01} can be used
 * instead ({@link #readable(String)}).
 *
 * <p>Immutable and thread-safe; equal when their {@link #value()}s are equal.
 */
public final class IdempotencyKey {

  /** Longest key accepted, in characters. */
  public static final int MAX_LENGTH = 512;

  /** Longest namespace accepted, in characters. */
  public static final int MAX_NAMESPACE_LENGTH = 100;

  private final String value;
  private final String namespace;
  private final Scope scope;
  private final @Nullable String digest;
  private final @Nullable String category;

  private IdempotencyKey(
      String value,
      String namespace,
      Scope scope,
      @Nullable String digest,
      @Nullable String category) {
    this.value = value;
    this.namespace = namespace;
    this.scope = scope;
    this.digest = digest;
    this.category = category;
  }

  /**
   * A key for {@code args} in {@code namespace} and {@code scope}. Arguments that are logically
   * equal give the same key: maps, records and beans are written with sorted fields, and {@code 1},
   * {@code 1L} and {@code 1.0} are the same number. See the rules in the class comment of {@code
   * io.idem.internal.CanonicalJson}.
   *
   * @param namespace what the effect is ("email.welcome", "report", ...): no ':' or control
   *     characters, at most {@value #MAX_NAMESPACE_LENGTH} characters
   * @throws IllegalArgumentException naming the bad value, for a bad namespace or arguments that
   *     have no canonical form (NaN, a cycle)
   */
  public static IdempotencyKey of(String namespace, Scope scope, @Nullable Object args) {
    checkNamespace(namespace);
    Objects.requireNonNull(scope, "scope");
    String digest = Hashing.sha256Hex(CanonicalJson.toBytes(args));
    String value = namespace + ':' + scope + ':' + digest;
    checkLength(value);
    return new IdempotencyKey(value, namespace, scope, digest, null);
  }

  /** A key for {@code args} in {@code namespace}, in the global scope. */
  public static IdempotencyKey of(String namespace, @Nullable Object args) {
    return of(namespace, Scope.global(), args);
  }

  /**
   * A key used as given, such as {@code autoclose:123:2025-10-01}. Its namespace is the text before
   * the first ':' (the whole key when there is none); its scope is global.
   *
   * @throws IllegalArgumentException naming the bad value when the key is blank, longer than
   *     {@value #MAX_LENGTH} characters, or has control characters or unpaired surrogates
   */
  public static IdempotencyKey readable(String key) {
    Objects.requireNonNull(key, "key");
    Texts.requireCleanText("key", key, MAX_LENGTH);
    int colon = key.indexOf(':');
    String namespace = colon < 0 ? key : key.substring(0, colon);
    return new IdempotencyKey(
        key, namespace.isBlank() ? key : namespace, Scope.global(), null, null);
  }

  /** A readable key made of {@code namespace} and {@code parts} joined with ':'. */
  public static IdempotencyKey readable(String namespace, Object... parts) {
    checkNamespace(namespace);
    StringBuilder sb = new StringBuilder(namespace);
    for (Object part : parts) {
      sb.append(':').append(part);
    }
    return readable(sb.toString());
  }

  private static void checkNamespace(String namespace) {
    Objects.requireNonNull(namespace, "namespace");
    Texts.requireCleanText("namespace", namespace, MAX_NAMESPACE_LENGTH);
    if (namespace.indexOf(':') >= 0) {
      throw new IllegalArgumentException(
          "namespace must not contain ':', but was \"" + Texts.printable(namespace) + "\"");
    }
  }

  private static void checkLength(String value) {
    if (value.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "key must be at most "
              + MAX_LENGTH
              + " characters, but was "
              + value.length()
              + " characters: \""
              + Texts.abbreviate(value)
              + "\"");
    }
  }

  /** The whole key as stored: {@code namespace:scope:digest}, or the readable text. */
  public String value() {
    return value;
  }

  /** What the effect is; for a readable key, the text before its first ':'. */
  public String namespace() {
    return namespace;
  }

  /** Whose key it is; global for readable keys. */
  public Scope scope() {
    return scope;
  }

  /** The hex SHA-256 of the canonical arguments, or null for a readable key. */
  public @Nullable String digest() {
    return digest;
  }

  /**
   * The TTL category of this key ("email", "report", "maintenance", ...; see {@link
   * TtlCategories}), or null to use the namespace as the category. Not part of the key's identity.
   */
  public @Nullable String category() {
    return category;
  }

  /** This key with a TTL category; the key's value and identity do not change. */
  public IdempotencyKey inCategory(String category) {
    Texts.requireCleanText("category", category, MAX_NAMESPACE_LENGTH);
    return new IdempotencyKey(value, namespace, scope, digest, category);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IdempotencyKey k && k.value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return value;
  }
}
