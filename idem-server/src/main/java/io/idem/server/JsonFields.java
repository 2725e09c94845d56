package io.idem.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.idem.internal.Texts;
import io.javalin.http.Context;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A JSON request body read strictly, for the records, trackers and locks routes: the body must be
 * valid UTF-8 and one JSON object with only the fields a route knows; each field is read with its
 * exact JSON type (no coercion of {@code 1} into {@code "1"}), and every refusal is a 400
 * problem+json naming the field. Nothing is written before a body has been read whole.
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
    byte[] bytes = ctx.bodyAsBytes();
    if (bytes.length == 0) {
      throw Problem.badRequest("body", "the request body must be a JSON object, but was empty");
    }
    String text = utf8(bytes);
    if (text.isBlank()) {
      throw Problem.badRequest("body", "the request body must be a JSON object, but was blank");
    }
    JsonNode tree;
    try {
      tree =
          server
              .mapper()
              .reader()
              .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
              .readTree(text);
    } catch (JsonProcessingException e) {
      throw Problem.badRequest("body", "malformed JSON: " + e.getOriginalMessage());
    }
    if (tree == null || !tree.isObject()) {
      throw Problem.badRequest(
          "body",
          "the request body must be a JSON object, but was "
              + (tree == null ? "empty" : kind(tree)));
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

  /**
   * {@code bytes} decoded as UTF-8, strictly: a malformed sequence is refused rather than replaced
   * by U+FFFD (which would turn a bad request into a stored, different value).
   *
   * @throws Problem 400 naming the body
   */
  static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw Problem.badRequest("body", "the request body is not valid UTF-8");
    }
  }

  /**
   * {@link #requireStorable(String, JsonNode)} for a whole body: a problem names the top-level
   * member it is in.
   */
  static void requireStorable(JsonNode body) {
    if (body.isObject()) {
      body.properties().forEach(e -> requireStorable(e.getKey(), e.getValue()));
    } else {
      requireStorable("body", body);
    }
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
    return clean(name, n.asText(), max);
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

  /**
   * {@code text} when it is clean (not blank, at most {@code max} characters, no control characters
   * or unpaired surrogates).
   *
   * @throws Problem 400 naming {@code name}
   */
  static String clean(String name, String text, int max) {
    try {
      return Texts.requireCleanText(name, text, max);
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest(name, String.valueOf(e.getMessage()));
    }
  }

  /**
   * Refuses what cannot be kept as it was sent, anywhere in {@code node}: numbers that are not
   * finite (such as {@code 1e400}, read as infinity) and texts or field names with unpaired
   * surrogates (which do not survive UTF-8).
   */
  static void requireStorable(String name, @Nullable JsonNode node) {
    if (node == null) {
      return;
    }
    java.util.ArrayDeque<JsonNode> todo = new java.util.ArrayDeque<>();
    todo.push(node);
    while (!todo.isEmpty()) {
      JsonNode n = todo.pop();
      if (n.isFloatingPointNumber() && !n.isBigDecimal() && !Double.isFinite(n.doubleValue())) {
        throw Problem.badRequest(name, name + " has a number too large to keep: " + n);
      }
      if (n.isTextual() && hasUnpairedSurrogate(n.textValue())) {
        throw Problem.badRequest(name, name + " has a text with an unpaired surrogate");
      }
      if (n.isObject()) {
        Iterator<String> names = n.fieldNames();
        while (names.hasNext()) {
          if (hasUnpairedSurrogate(names.next())) {
            throw Problem.badRequest(name, name + " has a field name with an unpaired surrogate");
          }
        }
      }
      if (n.isContainerNode()) {
        n.elements().forEachRemaining(todo::push);
      }
    }
  }

  static boolean hasUnpairedSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
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
