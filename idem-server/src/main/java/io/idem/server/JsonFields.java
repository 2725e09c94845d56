package io.idem.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.idem.internal.Texts;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A JSON request body read strictly, for the records, trackers and locks routes: the body must be
 * valid UTF-8 and one JSON object with only the fields a route knows; each field is read with its
 * exact JSON type (no coercion of {@code 1} into {@code "1"}), and every refusal is a 400
 * problem+json naming the field. Nothing is written before a body has been read whole. The strict
 * reading and the checks shared with {@link JobJson} are {@link StrictJson}'s.
 */
final class JsonFields {

  private final ObjectNode body;

  private JsonFields(ObjectNode body) {
    this.body = body;
  }

  /**
   * The request body of {@code ctx}: a JSON object with no fields other than {@code known}.
   *
   * @throws Problem 400 naming the body or the unknown field
   */
  static JsonFields read(ServerContext server, Context ctx, Set<String> known) {
    JsonNode tree = StrictJson.read(server.mapper(), ctx.bodyAsBytes(), StrictJson.Wording.FIELDS);
    if (!tree.isObject()) {
      throw Problem.badRequest(
          "body", "the request body must be a JSON object, but was " + kind(tree));
    }
    ObjectNode object = (ObjectNode) tree;
    Iterator<String> names = object.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!known.contains(name)) {
        throw Problem.badRequest(
            printableName(name),
            "unknown field \""
                + printableName(name)
                + "\"; this route takes "
                + String.join(", ", known.stream().sorted().toList()));
      }
    }
    return new JsonFields(object);
  }

  /** True when the body has {@code name}, even as JSON null. */
  boolean has(String name) {
    return body.has(name);
  }

  /** The raw value of {@code name} (null when absent; a NullNode for JSON null). */
  @Nullable JsonNode node(String name) {
    return body.get(name);
  }

  /**
   * The text of {@code name}: present, a JSON string, not blank, at most {@code max} characters,
   * without control characters or unpaired surrogates.
   */
  String text(String name, int max) {
    String t = optionalText(name, max);
    if (t == null) {
      throw Problem.badRequest(name, name + " is required");
    }
    return t;
  }

  /** {@link #text}, or null when absent or JSON null. */
  @Nullable String optionalText(String name, int max) {
    JsonNode n = body.get(name);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw Problem.badRequest(name, name + " must be a string, but was " + kind(n));
    }
    return StrictJson.cleanText(name, n.asText(), max);
  }

  /** A whole number in {@code [min, max]}, required. */
  long integer(String name, long min, long max) {
    JsonNode n = body.get(name);
    if (n == null || n.isNull()) {
      throw Problem.badRequest(name, name + " is required");
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw Problem.badRequest(
          name, name + " must be a whole number from " + min + " to " + max + ", but was " + n);
    }
    long v = n.longValue();
    if (v < min || v > max) {
      throw Problem.badRequest(
          name, name + " must be from " + min + " to " + max + ", but was " + v);
    }
    return v;
  }

  /** A JSON boolean, or {@code fallback} when absent or null. */
  boolean bool(String name, boolean fallback) {
    JsonNode n = body.get(name);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isBoolean()) {
      throw Problem.badRequest(name, name + " must be true or false, but was " + kind(n));
    }
    return n.booleanValue();
  }

  /**
   * An ISO-8601 duration ({@code PT30S}, {@code P1D}) in {@code [min, max]}, or {@code fallback}
   * when absent or null (a null fallback: required).
   */
  Duration duration(String name, @Nullable Duration fallback, Duration min, Duration max) {
    JsonNode n = body.get(name);
    if (n == null || n.isNull()) {
      if (fallback == null) {
        throw Problem.badRequest(name, name + " is required (an ISO-8601 duration such as PT30S)");
      }
      return fallback;
    }
    if (!n.isTextual()) {
      throw Problem.badRequest(
          name, name + " must be an ISO-8601 duration string such as PT30S, but was " + kind(n));
    }
    return parseDuration(name, n.asText(), min, max);
  }

  /** {@code text} as an ISO-8601 duration in {@code [min, max]}. */
  static Duration parseDuration(String name, String text, Duration min, Duration max) {
    Duration d;
    try {
      d = text.length() > 64 ? null : Duration.parse(text);
    } catch (DateTimeParseException | ArithmeticException e) {
      d = null;
    }
    if (d == null) {
      throw Problem.badRequest(
          name,
          name
              + " must be an ISO-8601 duration such as PT30S, but was \""
              + Texts.printable(text)
              + "\"");
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw Problem.badRequest(
          name, name + " must be from " + min + " to " + max + ", but was " + d);
    }
    return d;
  }

  /** {@link StrictJson#requireStorable} in this reader's words. */
  static void requireStorable(String name, @Nullable JsonNode node) {
    StrictJson.requireStorable(name, node, StrictJson.Wording.FIELDS);
  }

  /** What a JSON value is, for messages. */
  static String kind(JsonNode n) {
    if (n.isObject()) {
      return "an object";
    }
    if (n.isArray()) {
      return "an array";
    }
    if (n.isTextual()) {
      return "a string";
    }
    if (n.isNumber()) {
      return "a number";
    }
    if (n.isBoolean()) {
      return "a boolean";
    }
    if (n.isNull()) {
      return "null";
    }
    return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }

  private static String printableName(String name) {
    return Texts.printable(name);
  }
}
