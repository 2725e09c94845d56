package io.idem;

import io.idem.internal.Texts;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Whose key it is: {@linkplain #global() global}, one {@linkplain #user(Object) user}'s, one
 * {@linkplain #tenant(Object) tenant}'s, or another kind of owner ({@link #of(String, Object)}, for
 * example a session). Two calls with the same arguments in different scopes have different keys.
 *
 * <p>Immutable and thread-safe. Rendered in keys as {@code global} or {@code kind=id}.
 */
public final class Scope {

  /** Longest id accepted, in characters. */
  public static final int MAX_ID_LENGTH = 200;

  private static final Pattern KIND = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
  private static final Scope GLOBAL = new Scope("global", null);

  private final String kind;
  private final @Nullable String id;
  private final String rendered;

  private Scope(String kind, @Nullable String id) {
    this.kind = kind;
    this.id = id;
    this.rendered = id == null ? kind : kind + "=" + id;
  }

  /** Shared by everybody. */
  public static Scope global() {
    return GLOBAL;
  }

  /** One user's; {@code id} is written with {@code String.valueOf}. */
  public static Scope user(Object id) {
    return of("user", id);
  }

  /** One tenant's; {@code id} is written with {@code String.valueOf}. */
  public static Scope tenant(Object id) {
    return of("tenant", id);
  }

  /** One session's; {@code id} is written with {@code String.valueOf}. */
  public static Scope session(Object id) {
    return of("session", id);
  }

  /**
   * A scope of another kind.
   *
   * @param kind lower-case letters, digits, '_' or '-', starting with a letter, at most 32
   * @param id any text without control characters, at most {@value #MAX_ID_LENGTH} characters
   */
  public static Scope of(String kind, Object id) {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(id, "id");
    if (!KIND.matcher(kind).matches()) {
      throw new IllegalArgumentException(
          "scope kind must be lower-case letters, digits, '_' or '-' (at most 32), but was \""
              + Texts.printable(kind)
              + "\"");
    }
    if (kind.equals("global")) {
      throw new IllegalArgumentException("use Scope.global() for the global scope");
    }
    String text = String.valueOf(id);
    Texts.requireCleanText(kind + " id", text, MAX_ID_LENGTH);
    return new Scope(kind, text);
  }

  /** "global", "user", "tenant", "session" or the kind given to {@link #of}. */
  public String kind() {
    return kind;
  }

  /** The owner's id, or null for the global scope. */
  public @Nullable String id() {
    return id;
  }

  /** True for {@link #global()}. */
  public boolean isGlobal() {
    return id == null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Scope s && s.rendered.equals(rendered);
  }

  @Override
  public int hashCode() {
    return rendered.hashCode();
  }

  /** {@code global} or {@code kind=id}, as in keys. */
  @Override
  public String toString() {
    return rendered;
  }
}
