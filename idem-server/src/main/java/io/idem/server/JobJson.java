package io.idem.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.idem.internal.Texts;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads the members of a JSON request body of the job routes, each checked for its type, length or
 * range, with a 400 {@link Problem} naming the member (with its path, such as {@code
 * jobs[3].unique.by}) for anything wrong. Never throws anything else for bad input.
 */
final class JobJson {

  /** The earliest instant accepted: the epoch. */
  static final Instant MIN_INSTANT = Instant.EPOCH;

  /** The latest instant accepted: the end of the year 9999. */
  static final Instant MAX_INSTANT = Instant.parse("9999-12-31T23:59:59.999Z");

  /** The longest duration accepted anywhere: 3,650 days. */
  static final Duration MAX_DURATION = Duration.ofDays(3650);

  private final ObjectNode node;
  private final String path;

  private JobJson(ObjectNode node, String path) {
    this.node = node;
    this.path = path;
  }

  /**
   * The request body of {@code ctx} read strictly ({@link StrictJson#read}): valid UTF-8 (a
   * malformed sequence is refused, not replaced), one JSON value with no duplicate member names and
   * nothing after it; {@link #object} checks that it is an object.
   *
   * @throws Problem 400 naming the body
   */
  static JsonNode read(ServerContext server, Context ctx) {
    return StrictJson.read(server.mapper(), ctx.bodyAsBytes(), StrictJson.Wording.JOBS);
  }

  /** {@link StrictJson#requireStorable} in this reader's words (args, a result). */
  static void requireStorable(String field, @Nullable JsonNode node) {
    StrictJson.requireStorable(field, node, StrictJson.Wording.JOBS);
  }

  /** {@code value} as an object at {@code path} ("" for the body itself). */
  static JobJson object(@Nullable JsonNode value, String path) {
    if (value == null || !value.isObject()) {
      throw Problem.badRequest(
          path.isEmpty() ? "body" : path,
          (path.isEmpty() ? "the request body" : path)
              + " must be a JSON object, but was "
              + kind(value));
    }
    return new JobJson((ObjectNode) value, path);
  }

  /** The path of member {@code name}. */
  String field(String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  /** Refuses members other than {@code allowed}. */
  JobJson allowOnly(Set<String> allowed) {
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String n = names.next();
      if (!allowed.contains(n)) {
        throw Problem.badRequest(
            field(n),
            "unknown member '"
                + Texts.printable(n)
                + "'"
                + (path.isEmpty() ? "" : " in " + path)
                + "; known: "
                + String.join(", ", new java.util.TreeSet<>(allowed)));
      }
    }
    return this;
  }

  boolean has(String name) {
    JsonNode v = node.get(name);
    return v != null && !v.isNull();
  }

  /** The member's value; null when missing or JSON null. */
  @Nullable JsonNode raw(String name) {
    JsonNode v = node.get(name);
    return v == null || v.isNull() ? null : v;
  }

  /** A string member of clean text (no control characters), 1 to {@code max} characters. */
  @Nullable String text(String name, int max) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw Problem.badRequest(field(name), field(name) + " must be a string, but was " + kind(v));
    }
    return StrictJson.cleanText(field(name), v.textValue(), max);
  }

  String requiredText(String name, int max) {
    String s = text(name, max);
    if (s == null) {
      throw missing(name, "a string");
    }
    return s;
  }

  /** A string member of any text (newlines allowed), unpaired surrogates replaced. */
  @Nullable String freeText(String name) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw Problem.badRequest(field(name), field(name) + " must be a string, but was " + kind(v));
    }
    return wellFormed(v.textValue());
  }

  @Nullable Integer integer(String name, int min, int max) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw Problem.badRequest(
          field(name), field(name) + " must be an integer, but was " + kind(v));
    }
    long l = v.longValue();
    if (l < min || l > max) {
      throw Problem.badRequest(
          field(name), field(name) + " must be between " + min + " and " + max + ", but was " + l);
    }
    return (int) l;
  }

  @Nullable Long longInteger(String name, long min) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw Problem.badRequest(
          field(name), field(name) + " must be an integer, but was " + kind(v));
    }
    long l = v.longValue();
    if (l < min) {
      throw Problem.badRequest(
          field(name), field(name) + " must be at least " + min + ", but was " + l);
    }
    return l;
  }

  @Nullable Boolean bool(String name) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isBoolean()) {
      throw Problem.badRequest(
          field(name), field(name) + " must be true or false, but was " + kind(v));
    }
    return v.booleanValue();
  }

  /** An ISO-8601 duration ({@code PT30S}) between {@code min} and {@code max}. */
  @Nullable Duration duration(String name, Duration min, Duration max) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw Problem.badRequest(
          field(name),
          field(name) + " must be an ISO-8601 duration such as PT30S, but was " + kind(v));
    }
    return parseDuration(field(name), v.textValue(), min, max);
  }

  /** An ISO-8601 instant ({@code 2026-01-31T10:15:30Z}) from the epoch to the year 9999. */
  @Nullable Instant instant(String name) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw Problem.badRequest(
          field(name),
          field(name)
              + " must be an ISO-8601 instant such as 2026-01-31T10:15:30Z, but was "
              + kind(v));
    }
    Instant t;
    try {
      t = java.time.OffsetDateTime.parse(v.textValue()).toInstant();
    } catch (DateTimeParseException e) {
      throw Problem.badRequest(
          field(name),
          field(name)
              + " must be an ISO-8601 instant such as 2026-01-31T10:15:30Z, but was '"
              + Texts.printable(v.textValue())
              + "'");
    }
    if (t.isBefore(MIN_INSTANT) || t.isAfter(MAX_INSTANT)) {
      throw Problem.badRequest(
          field(name),
          field(name) + " must be between 1970 and the year 9999, but was " + v.textValue());
    }
    return t;
  }

  /** A string member naming a constant of {@code type} (any case). */
  <E extends Enum<E>> @Nullable E enumValue(String name, Class<E> type) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw Problem.badRequest(
          field(name), field(name) + " must be one of " + names(type) + ", but was " + kind(v));
    }
    return parseEnum(field(name), v.textValue(), type);
  }

  /** An array of clean texts, 1 to {@code maxLength} characters each, at most {@code maxItems}. */
  @Nullable List<String> texts(String name, int maxItems, int maxLength) {
    JsonNode v = raw(name);
    if (v == null) {
      return null;
    }
    if (!v.isArray()) {
      throw Problem.badRequest(
          field(name), field(name) + " must be an array of strings, but was " + kind(v));
    }
    if (v.size() > maxItems) {
      throw Problem.badRequest(
          field(name),
          field(name) + " must have at most " + maxItems + " items, but has " + v.size());
    }
    List<String> out = new ArrayList<>(v.size());
    for (int i = 0; i < v.size(); i++) {
      JsonNode item = v.get(i);
      String f = field(name) + "[" + i + "]";
      if (!item.isTextual()) {
        throw Problem.badRequest(f, f + " must be a string, but was " + kind(item));
      }
      out.add(StrictJson.cleanText(f, item.textValue(), maxLength));
    }
    return out;
  }

  Problem missing(String name, String what) {
    return Problem.badRequest(field(name), field(name) + " is required: " + what);
  }

  // ---- shared with query parameters and the CLI -----------------------------------------------

  static Duration parseDuration(String field, String text, Duration min, Duration max) {
    Duration d;
    try {
      d = Duration.parse(text);
    } catch (DateTimeParseException | ArithmeticException e) {
      throw Problem.badRequest(
          field,
          field
              + " must be an ISO-8601 duration such as PT30S, but was '"
              + Texts.printable(text)
              + "'");
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw Problem.badRequest(
          field, field + " must be between " + min + " and " + max + ", but was " + d);
    }
    return d;
  }

  static <E extends Enum<E>> E parseEnum(String field, String text, Class<E> type) {
    String t = text.trim().toUpperCase(Locale.ROOT);
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(t)) {
        return e;
      }
    }
    throw Problem.badRequest(
        field,
        field + " must be one of " + names(type) + ", but was '" + Texts.printable(text) + "'");
  }

  static <E extends Enum<E>> String names(Class<E> type) {
    List<String> n = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      n.add(e.name());
    }
    return String.join(", ", n);
  }

  /** {@code s} with unpaired surrogates replaced by U+FFFD (so it survives UTF-8). */
  static String wellFormed(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean bad;
      if (Character.isHighSurrogate(c)) {
        bad = i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        if (!bad) {
          if (sb != null) {
            sb.append(c).append(s.charAt(i + 1));
          }
          i++;
          continue;
        }
      } else {
        bad = Character.isLowSurrogate(c);
      }
      if (bad && sb == null) {
        sb = new StringBuilder(s.length()).append(s, 0, i);
      }
      if (sb != null) {
        sb.append(bad ? '\uFFFD' : c);
      }
    }
    return sb == null ? s : sb.toString();
  }

  static String kind(@Nullable JsonNode v) {
    if (v == null || v.isMissingNode()) {
      return "missing";
    }
    return switch (v.getNodeType()) {
      case STRING -> "a string";
      case NUMBER -> "a number (" + v.asText() + ")";
      case BOOLEAN -> v.asText();
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case NULL -> "null";
      default -> v.getNodeType().name().toLowerCase(Locale.ROOT);
    };
  }
}
