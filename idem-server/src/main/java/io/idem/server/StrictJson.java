package io.idem.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.idem.internal.Texts;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;
import org.jspecify.annotations.Nullable;

/**
 * The strict-JSON rules of every request body, in one place, for both readers of the routes ({@link
 * JobJson} for the jobs and workers routes, {@link JsonFields} for the records, trackers and locks
 * routes) and {@link ServerContext#body}: UTF-8 decoded strictly, one JSON value with no duplicate
 * member names and nothing after it (the server's mapper refuses trailing tokens), values refused
 * when they could not be stored and read back as sent, and clean texts. Every refusal is a 400
 * {@link Problem} naming the field. Stateless.
 */
final class StrictJson {

  /**
   * The words of the two readers, which differ in small ways in the same refusals; each keeps its
   * own (clients may show them). {@link #JOBS}: a whitespace-only body "was empty", an infinite
   * number is written as its text ({@code Infinity}), an object's key is a "member name". {@link
   * #FIELDS}: "was blank" (and "was empty" for no bytes at all), the number as JSON ({@code
   * "Infinity"}), a "field name".
   */
  enum Wording {
    JOBS,
    FIELDS
  }

  private StrictJson() {}

  /**
   * A request body read strictly: valid UTF-8 (a malformed sequence is refused, not replaced), one
   * JSON value with no duplicate member names and nothing after it. The value may be of any kind;
   * the readers check that it is an object, in their words.
   *
   * @throws Problem 400 naming the body when it is not UTF-8, blank or not JSON
   */
  static JsonNode read(ObjectMapper mapper, byte[] bytes, Wording wording) {
    String text = utf8(bytes);
    if (text.isBlank()) {
      boolean blank = wording == Wording.FIELDS && bytes.length > 0;
      throw Problem.badRequest(
          "body", "the request body must be a JSON object, but was " + (blank ? "blank" : "empty"));
    }
    JsonNode tree;
    try {
      tree = mapper.reader().with(StreamReadFeature.STRICT_DUPLICATE_DETECTION).readTree(text);
    } catch (JsonProcessingException e) {
      throw Problem.badRequest("body", "malformed JSON: " + e.getOriginalMessage());
    }
    if (tree == null || tree.isMissingNode()) { // not for a text that is not blank, in Jackson 2
      throw Problem.badRequest("body", "the request body must be a JSON object, but was empty");
    }
    return tree;
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
   * Refuses what cannot be kept as it was sent, anywhere in {@code node} (args, a payload, a
   * result): numbers that are not finite (such as {@code 1e400}, read as infinity) and texts or
   * member names with unpaired surrogates (which do not survive UTF-8).
   *
   * @throws Problem 400 naming {@code field}
   */
  static void requireStorable(String field, @Nullable JsonNode node, Wording wording) {
    if (node == null) {
      return;
    }
    ArrayDeque<JsonNode> todo = new ArrayDeque<>();
    todo.push(node);
    while (!todo.isEmpty()) {
      JsonNode n = todo.pop();
      if (n.isFloatingPointNumber() && !n.isBigDecimal() && !Double.isFinite(n.doubleValue())) {
        String number = wording == Wording.JOBS ? n.asText() : n.toString();
        throw Problem.badRequest(field, field + " has a number too large to keep: " + number);
      }
      if (n.isTextual() && hasUnpairedSurrogate(n.textValue())) {
        throw Problem.badRequest(field, field + " has a text with an unpaired surrogate");
      }
      if (n.isObject()) {
        Iterator<String> names = n.fieldNames();
        while (names.hasNext()) {
          if (hasUnpairedSurrogate(names.next())) {
            String name = wording == Wording.JOBS ? "member name" : "field name";
            throw Problem.badRequest(
                field, field + " has a " + name + " with an unpaired surrogate");
          }
        }
      }
      if (n.isContainerNode()) {
        n.elements().forEachRemaining(todo::push);
      }
    }
  }

  /**
   * {@link #requireStorable(String, JsonNode, Wording)} for a whole body: a problem names the
   * top-level member it is in ({@link Wording#FIELDS}).
   */
  static void requireStorableMembers(JsonNode body) {
    if (body.isObject()) {
      body.properties().forEach(e -> requireStorable(e.getKey(), e.getValue(), Wording.FIELDS));
    } else {
      requireStorable("body", body, Wording.FIELDS);
    }
  }

  /** True when {@code s} has a surrogate that is not part of a pair. */
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

  /**
   * {@code text} when it is clean (not blank, at most {@code max} characters, no control characters
   * or unpaired surrogates): for body members, path and query parameters.
   *
   * @throws Problem 400 naming {@code field}
   */
  static String cleanText(String field, String text, int max) {
    try {
      return Texts.requireCleanText(field, text, max);
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest(field, String.valueOf(e.getMessage()));
    }
  }
}
