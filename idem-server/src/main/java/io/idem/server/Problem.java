package io.idem.server;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An error answered as RFC 9457 problem+json: {@code {"type", "title", "status", "detail",
 * "field"?, ...extensions}}. Thrown by route handlers; {@link IdemServer} renders it.
 */
public final class Problem extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String title;
  private final @Nullable String field;
  private final transient Map<String, Object> extensions = new LinkedHashMap<>();

  public Problem(int status, String title, String detail, @Nullable String field) {
    super(detail);
    this.status = status;
    this.title = title;
    this.field = field;
  }

  /** 400: {@code field} is missing or wrong; {@code detail} names the bad value. */
  public static Problem badRequest(String field, String detail) {
    return new Problem(400, "Bad request", detail, field);
  }

  public static Problem notFound(String detail) {
    return new Problem(404, "Not found", detail, null);
  }

  public static Problem conflict(String detail) {
    return new Problem(409, "Conflict", detail, null);
  }

  /** Adds a member to the problem document (for example the existing job of a 409). */
  public Problem with(String name, Object value) {
    extensions.put(name, value);
    return this;
  }

  public int status() {
    return status;
  }

  /**
   * The problem document; {@code instance} is the request's path, or null when the request was
   * refused before its path could be read (the member is then left out).
   */
  public Map<String, Object> body(@Nullable String instance) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "about:blank");
    m.put("title", title);
    m.put("status", status);
    m.put("detail", getMessage());
    if (instance != null) {
      m.put("instance", instance);
    }
    if (field != null) {
      m.put("field", field);
    }
    m.putAll(extensions);
    return m;
  }
}
