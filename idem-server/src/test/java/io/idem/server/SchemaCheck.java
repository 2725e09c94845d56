package io.idem.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A small JSON Schema (2020-12) checker for the schemas of the server's OpenAPI document: local
 * {@code $ref}, allOf / anyOf / oneOf / not, type, const, enum, required, properties,
 * additionalProperties, propertyNames, dependentSchemas, items, min/maxItems, uniqueItems,
 * min/maxLength, pattern, minimum / maximum, and the formats date-time, duration, int32 and int64.
 * Enough for the document (which uses nothing else), not a general validator.
 *
 * <p>In strict mode an object may not have members its schema (with its allOf parts) does not name,
 * unless the schema says what other members may be: answers must not carry undocumented members.
 */
final class SchemaCheck {

  private final JsonNode document;
  private final Map<String, Pattern> patterns = new ConcurrentHashMap<>();

  SchemaCheck(JsonNode document) {
    this.document = document;
  }

  /** What is wrong with {@code value} under {@code schema}; empty when it fits. */
  List<String> errors(JsonNode schema, JsonNode value, boolean strict) {
    List<String> errors = new ArrayList<>();
    check(schema, value, "$", strict, false, errors);
    return errors;
  }

  /** {@code node} with its {@code $ref}s followed. */
  JsonNode resolve(JsonNode node) {
    JsonNode n = node;
    for (int hops = 0; n.has("$ref"); hops++) {
      String ref = n.get("$ref").asText();
      if (!ref.startsWith("#/") || hops > 20) {
        throw new IllegalArgumentException("unsupported $ref " + ref);
      }
      JsonNode target = document.at(ref.substring(1));
      if (target.isMissingNode()) {
        throw new IllegalArgumentException("dangling $ref " + ref);
      }
      n = target;
    }
    return n;
  }

  private void check(
      JsonNode schemaRef,
      JsonNode v,
      String at,
      boolean strict,
      boolean partOfAllOf,
      List<String> errors) {
    JsonNode s = resolve(schemaRef);
    for (JsonNode part : s.path("allOf")) {
      check(part, v, at, strict, true, errors);
    }
    if (s.has("anyOf") && fitting(s.get("anyOf"), v, at, strict) == 0) {
      errors.add(at + ": fits none of anyOf " + firstErrors(s.get("anyOf"), v, at, strict));
    }
    if (s.has("oneOf")) {
      int n = fitting(s.get("oneOf"), v, at, strict);
      if (n != 1) {
        errors.add(
            at
                + ": fits "
                + n
                + " of oneOf (one expected) "
                + (n == 0 ? firstErrors(s.get("oneOf"), v, at, strict) : ""));
      }
    }
    if (s.has("not") && fitting(List.of(s.get("not")), v, at, false) == 1) {
      errors.add(at + ": fits what it must not: " + s.get("not"));
    }
    if (s.has("type") && !typeFits(s.get("type"), v)) {
      errors.add(at + ": is " + v.getNodeType() + ", not " + s.get("type"));
      return;
    }
    if (s.has("const") && !s.get("const").equals(v)) {
      errors.add(at + ": is " + v + ", not " + s.get("const"));
    }
    if (s.has("enum")) {
      boolean found = false;
      for (JsonNode e : s.get("enum")) {
        found |= e.equals(v);
      }
      if (!found) {
        errors.add(at + ": " + v + " is not one of " + s.get("enum"));
      }
    }
    if (v.isObject()) {
      object(s, v, at, strict, partOfAllOf, errors);
    } else if (v.isArray()) {
      array(s, v, at, strict, errors);
    } else if (v.isTextual()) {
      string(s, v.textValue(), at, errors);
    } else if (v.isNumber()) {
      number(s, v, at, errors);
    }
  }

  private int fitting(Iterable<JsonNode> branches, JsonNode v, String at, boolean strict) {
    int n = 0;
    for (JsonNode b : branches) {
      List<String> e = new ArrayList<>();
      check(b, v, at, strict, false, e);
      n += e.isEmpty() ? 1 : 0;
    }
    return n;
  }

  private List<String> firstErrors(
      Iterable<JsonNode> branches, JsonNode v, String at, boolean strict) {
    List<String> all = new ArrayList<>();
    for (JsonNode b : branches) {
      List<String> e = new ArrayList<>();
      check(b, v, at, strict, false, e);
      all.add(String.join("; ", e));
    }
    return all;
  }

  private static boolean typeFits(JsonNode type, JsonNode v) {
    if (type.isArray()) {
      for (JsonNode t : type) {
        if (typeFits(t, v)) {
          return true;
        }
      }
      return false;
    }
    return switch (type.asText()) {
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "string" -> v.isTextual();
      case "integer" -> v.isIntegralNumber();
      case "number" -> v.isNumber();
      case "boolean" -> v.isBoolean();
      case "null" -> v.isNull();
      default -> throw new IllegalArgumentException("unknown type " + type);
    };
  }

  private void object(
      JsonNode s, JsonNode v, String at, boolean strict, boolean partOfAllOf, List<String> errors) {
    for (JsonNode r : s.path("required")) {
      if (!v.has(r.asText())) {
        errors.add(at + ": lacks the required member " + r.asText());
      }
    }
    Iterator<Map.Entry<String, JsonNode>> dependent = s.path("dependentSchemas").fields();
    while (dependent.hasNext()) {
      Map.Entry<String, JsonNode> d = dependent.next();
      if (v.has(d.getKey())) {
        check(d.getValue(), v, at, strict, true, errors);
      }
    }
    JsonNode props = s.path("properties");
    JsonNode additional = s.get("additionalProperties");
    Iterator<Map.Entry<String, JsonNode>> members = v.fields();
    while (members.hasNext()) {
      Map.Entry<String, JsonNode> m = members.next();
      String name = m.getKey();
      if (props.has(name)) {
        check(props.get(name), m.getValue(), at + "." + name, strict, false, errors);
      } else if (additional != null && additional.isBoolean() && !additional.booleanValue()) {
        errors.add(at + ": has the member " + name + ", which is not allowed");
      } else if (additional != null && additional.isObject()) {
        check(additional, m.getValue(), at + "." + name, strict, false, errors);
      }
      if (s.has("propertyNames")) {
        check(
            s.get("propertyNames"),
            TextNode.valueOf(name),
            at + "{" + name + "}",
            strict,
            false,
            errors);
      }
    }
    if (strict && !partOfAllOf && declaresProperties(s) && !opensMembers(s)) {
      Set<String> known = new HashSet<>();
      knownMembers(s, known);
      v.fieldNames()
          .forEachRemaining(
              n -> {
                if (!known.contains(n)) {
                  errors.add(at + ": has the undocumented member " + n);
                }
              });
    }
  }

  private boolean declaresProperties(JsonNode s) {
    if (s.has("properties")) {
      return true;
    }
    for (JsonNode part : s.path("allOf")) {
      if (declaresProperties(resolve(part))) {
        return true;
      }
    }
    return false;
  }

  private boolean opensMembers(JsonNode s) {
    if (s.has("additionalProperties") || s.has("propertyNames")) {
      return true;
    }
    for (JsonNode part : s.path("allOf")) {
      if (opensMembers(resolve(part))) {
        return true;
      }
    }
    return false;
  }

  private void knownMembers(JsonNode s, Set<String> known) {
    s.path("properties").fieldNames().forEachRemaining(known::add);
    for (JsonNode part : s.path("allOf")) {
      knownMembers(resolve(part), known);
    }
  }

  private void array(JsonNode s, JsonNode v, String at, boolean strict, List<String> errors) {
    if (s.has("minItems") && v.size() < s.get("minItems").asInt()) {
      errors.add(at + ": has " + v.size() + " items, fewer than " + s.get("minItems"));
    }
    if (s.has("maxItems") && v.size() > s.get("maxItems").asInt()) {
      errors.add(at + ": has " + v.size() + " items, more than " + s.get("maxItems"));
    }
    if (s.path("uniqueItems").asBoolean(false)) {
      Set<JsonNode> seen = new HashSet<>();
      for (JsonNode item : v) {
        if (!seen.add(item)) {
          errors.add(at + ": has the item " + item + " twice");
        }
      }
    }
    if (s.has("items")) {
      for (int i = 0; i < v.size(); i++) {
        check(s.get("items"), v.get(i), at + "[" + i + "]", strict, false, errors);
      }
    }
  }

  private void string(JsonNode s, String text, String at, List<String> errors) {
    int length = text.codePointCount(0, text.length());
    if (s.has("minLength") && length < s.get("minLength").asInt()) {
      errors.add(at + ": is shorter than " + s.get("minLength"));
    }
    if (s.has("maxLength") && length > s.get("maxLength").asInt()) {
      errors.add(at + ": is longer than " + s.get("maxLength"));
    }
    if (s.has("pattern")) {
      Pattern p = patterns.computeIfAbsent(s.get("pattern").asText(), Pattern::compile);
      if (!p.matcher(text).find()) {
        errors.add(at + ": '" + text + "' does not match " + p);
      }
    }
    String format = s.path("format").asText("");
    try {
      switch (format) {
        case "date-time" -> OffsetDateTime.parse(text);
        case "duration" -> Duration.parse(text);
        default -> {
          // other formats are not checked
        }
      }
    } catch (RuntimeException e) {
      errors.add(at + ": '" + text + "' is not a " + format);
    }
  }

  private static void number(JsonNode s, JsonNode v, String at, List<String> errors) {
    BigDecimal n = v.decimalValue();
    if (s.has("minimum") && n.compareTo(s.get("minimum").decimalValue()) < 0) {
      errors.add(at + ": " + n + " is below " + s.get("minimum"));
    }
    if (s.has("maximum") && n.compareTo(s.get("maximum").decimalValue()) > 0) {
      errors.add(at + ": " + n + " is above " + s.get("maximum"));
    }
    String format = s.path("format").asText("");
    if (format.equals("int32") && (!v.isIntegralNumber() || !v.canConvertToInt())) {
      errors.add(at + ": " + v + " is not an int32");
    }
    if (format.equals("int64") && (!v.isIntegralNumber() || !v.canConvertToLong())) {
      errors.add(at + ": " + v + " is not an int64");
    }
  }
}
