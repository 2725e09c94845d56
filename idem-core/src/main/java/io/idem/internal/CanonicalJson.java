package io.idem.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import com.fasterxml.jackson.core.io.schubfach.FloatToDecimal;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.ser.BeanSerializer;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Writes any argument value as canonical JSON: the same logical value always gives the same bytes.
 *
 * <p>Rules: object fields sorted by name (maps, records and beans alike); numbers normalised so
 * that {@code 1}, {@code 1L}, {@code 1.0} and {@code new BigDecimal("1.00")} are all written {@code
 * 1}, and {@code 0.1f} and {@code 0.1} both {@code 0.1}; sets written as arrays sorted by the
 * canonical form of their elements; enums by name; {@code Instant}, {@code OffsetDateTime}, {@code
 * ZonedDateTime} and {@code Date} as the ISO instant; other {@code java.time} values, {@code UUID}
 * and {@code CharSequence} as strings; {@code byte[]} as base64; {@code Optional} as its value or
 * null. Beans are written by the same rules, with the properties Jackson sees (renamed or ignored
 * by Jackson annotations); types Jackson writes otherwise (URI, Locale, {@code @JsonValue}) as
 * Jackson writes them, canonicalised. NaN and infinities are refused, as are values nested deeper
 * than {@value #MAX_DEPTH} levels (usually a cycle).
 *
 * <p>Thread-safe and stateless; Jackson does the JSON writing (escaping included).
 */
public final class CanonicalJson {

  /** Deepest nesting accepted. */
  public static final int MAX_DEPTH = 64;

  private static final JsonFactory FACTORY = new JsonFactory();
  private static final ObjectMapper MAPPER =
      new ObjectMapper(FACTORY)
          .registerModule(new JavaTimeModule())
          .registerModule(new Jdk8Module())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
  private static final ClassValue<RecordComponent[]> RECORD_COMPONENTS =
      new ClassValue<>() {
        @Override
        protected RecordComponent[] computeValue(Class<?> type) {
          RecordComponent[] components = type.getRecordComponents();
          RecordComponent[] sorted = components.clone();
          Arrays.sort(sorted, (a, b) -> a.getName().compareTo(b.getName()));
          for (RecordComponent c : sorted) {
            c.getAccessor().setAccessible(true);
          }
          return sorted;
        }
      };
  private static final ClassValue<List<BeanProperty>> BEAN_PROPERTIES =
      new ClassValue<>() {
        @Override
        protected List<BeanProperty> computeValue(Class<?> type) {
          return beanProperties(type);
        }
      };
  private static final ThreadLocal<Buffer> BUFFERS = ThreadLocal.withInitial(Buffer::new);
  private static final int KEEP_BUFFER_BYTES = 64 * 1024;

  /** A thread's reusable output buffer; not reused by a nested call on the same thread. */
  private static final class Buffer {
    final ByteArrayBuilder bytes = new ByteArrayBuilder(256);
    boolean inUse;
  }

  /** A bean property as Jackson sees it (name after renaming, ignored ones left out). */
  private record BeanProperty(String name, AnnotatedMember accessor) {}

  private CanonicalJson() {}

  /** The canonical JSON of {@code value} as UTF-8 bytes. */
  public static byte[] toBytes(@Nullable Object value) {
    Buffer buffer = BUFFERS.get();
    if (buffer.inUse) { // a getter of the value builds a key itself: use a buffer of its own
      return writeTo(new ByteArrayBuilder(256), value);
    }
    buffer.inUse = true;
    try {
      buffer.bytes.reset();
      byte[] bytes = writeTo(buffer.bytes, value);
      if (bytes.length > KEEP_BUFFER_BYTES) {
        BUFFERS.remove(); // do not keep a large buffer per thread
      }
      return bytes;
    } finally {
      buffer.inUse = false;
    }
  }

  private static byte[] writeTo(ByteArrayBuilder out, @Nullable Object value) {
    try (JsonGenerator gen = FACTORY.createGenerator(out)) {
      write(gen, value, 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The canonical JSON of {@code value} as a string. */
  public static String toJson(@Nullable Object value) {
    return new String(toBytes(value), StandardCharsets.UTF_8);
  }

  private static void write(JsonGenerator gen, @Nullable Object value, int depth)
      throws IOException {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException(
          "arguments nest deeper than "
              + MAX_DEPTH
              + " levels, at a "
              + (value == null ? "null" : value.getClass().getName())
              + " (is there a cycle?)");
    }
    if (value == null) {
      gen.writeNull();
    } else if (value instanceof String s) {
      gen.writeString(s);
    } else if (value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte
        || value instanceof AtomicInteger
        || value instanceof AtomicLong) {
      gen.writeNumber(((Number) value).longValue());
    } else if (value instanceof Boolean b) {
      gen.writeBoolean(b);
    } else if (value instanceof Double d) {
      writeDouble(gen, d, DoubleToDecimal.toString(d));
    } else if (value instanceof Float f) {
      writeDouble(gen, f.doubleValue(), FloatToDecimal.toString(f));
    } else if (value instanceof BigDecimal d) {
      gen.writeNumber(canonicalDecimal(d));
    } else if (value instanceof BigInteger i) {
      gen.writeNumber(i);
    } else if (value instanceof Number n) {
      gen.writeNumber(canonicalDecimal(new BigDecimal(n.toString())));
    } else if (value instanceof Enum<?> e) {
      gen.writeString(e.name());
    } else if (value instanceof Map<?, ?> map) {
      writeMap(gen, map, depth);
    } else if (value instanceof Set<?> set) {
      writeSet(gen, set, depth);
    } else if (value instanceof Collection<?> list) {
      gen.writeStartArray();
      for (Object item : list) {
        write(gen, item, depth + 1);
      }
      gen.writeEndArray();
    } else if (value instanceof Record) {
      writeRecord(gen, value, depth);
    } else if (value instanceof CharSequence
        || value instanceof Character
        || value instanceof UUID) {
      gen.writeString(value.toString());
    } else if (value instanceof Instant i) {
      gen.writeString(i.toString());
    } else if (value instanceof OffsetDateTime t) {
      gen.writeString(t.toInstant().toString());
    } else if (value instanceof ZonedDateTime t) {
      gen.writeString(t.toInstant().toString());
    } else if (value instanceof Date d) {
      gen.writeString(d.toInstant().toString());
    } else if (value instanceof TemporalAccessor
        || value instanceof java.time.Duration
        || value instanceof java.time.Period
        || value instanceof java.time.ZoneId) {
      gen.writeString(value.toString());
    } else if (value instanceof byte[] bytes) {
      gen.writeString(Base64.getEncoder().encodeToString(bytes));
    } else if (value instanceof Object[] array) {
      write(gen, Arrays.asList(array), depth);
    } else if (value instanceof Optional<?> o) {
      write(gen, o.orElse(null), depth);
    } else if (value instanceof OptionalInt o) {
      write(gen, o.isPresent() ? o.getAsInt() : null, depth);
    } else if (value instanceof OptionalLong o) {
      write(gen, o.isPresent() ? o.getAsLong() : null, depth);
    } else if (value instanceof OptionalDouble o) {
      write(gen, o.isPresent() ? o.getAsDouble() : null, depth);
    } else if (value instanceof JsonNode node) {
      writeNode(gen, node, depth);
    } else if (value.getClass().isArray()) {
      writeNode(gen, MAPPER.valueToTree(value), depth);
    } else {
      List<BeanProperty> properties = BEAN_PROPERTIES.get(value.getClass());
      if (properties.isEmpty()) {
        writeNode(gen, tree(value), depth); // Jackson's own serializer: URI, Locale, @JsonValue
      } else {
        writeBean(gen, value, properties, depth);
      }
    }
  }

  private static JsonNode tree(Object value) {
    try {
      return MAPPER.valueToTree(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "cannot write " + value.getClass().getName() + " as JSON: " + e.getMessage(), e);
    }
  }

  /**
   * The properties of {@code type} when Jackson would write it as a bean, sorted by name; empty
   * when Jackson has another serializer for it, so that its output is used as it is.
   */
  private static List<BeanProperty> beanProperties(Class<?> type) {
    try {
      JsonSerializer<Object> serializer =
          MAPPER.getSerializerProviderInstance().findValueSerializer(type);
      if (!(serializer instanceof BeanSerializer)) {
        return List.of();
      }
      BeanDescription description =
          MAPPER.getSerializationConfig().introspect(MAPPER.constructType(type));
      List<BeanProperty> properties = new ArrayList<>();
      for (BeanPropertyDefinition p : description.findProperties()) {
        AnnotatedMember accessor = p.getAccessor();
        if (accessor != null && p.couldSerialize()) {
          accessor.fixAccess(true);
          properties.add(new BeanProperty(p.getName(), accessor));
        }
      }
      properties.sort((a, b) -> a.name().compareTo(b.name()));
      return List.copyOf(properties);
    } catch (JsonMappingException | RuntimeException e) {
      return List.of(); // let valueToTree report what is wrong with the type
    }
  }

  /** A bean by the same rules as maps and records: its values go through {@link #write}. */
  private static void writeBean(
      JsonGenerator gen, Object bean, List<BeanProperty> properties, int depth) throws IOException {
    gen.writeStartObject();
    for (BeanProperty p : properties) {
      Object v;
      try {
        v = p.accessor().getValue(bean);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "cannot read " + bean.getClass().getName() + "." + p.name() + ": " + e, e);
      }
      gen.writeFieldName(p.name());
      write(gen, v, depth + 1);
    }
    gen.writeEndObject();
  }

  private static void writeDouble(JsonGenerator gen, double d, String text) throws IOException {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      throw new IllegalArgumentException("arguments must be finite numbers, but one was " + text);
    }
    if (d == Math.rint(d) && Math.abs(d) < 0x1p53) {
      gen.writeNumber((long) d); // also folds -0.0 into 0
    } else {
      gen.writeNumber(canonicalDecimal(new BigDecimal(text)));
    }
  }

  /** One text per numeric value: trailing zeros stripped, plain digits unless huge or tiny. */
  static String canonicalDecimal(BigDecimal value) {
    if (value.signum() == 0) {
      return "0";
    }
    BigDecimal stripped = value.stripTrailingZeros();
    return Math.abs(stripped.scale()) <= 40 ? stripped.toPlainString() : stripped.toString();
  }

  private static void writeMap(JsonGenerator gen, Map<?, ?> map, int depth) throws IOException {
    TreeMap<String, Object> sorted = new TreeMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      Object key = e.getKey();
      String name = key instanceof Enum<?> en ? en.name() : String.valueOf(key);
      if (sorted.containsKey(name)) {
        throw new IllegalArgumentException(
            "two map keys are both written as \"" + name + "\" in the canonical form");
      }
      sorted.put(name, e.getValue());
    }
    gen.writeStartObject();
    for (Map.Entry<String, Object> e : sorted.entrySet()) {
      gen.writeFieldName(e.getKey());
      write(gen, e.getValue(), depth + 1);
    }
    gen.writeEndObject();
  }

  private static void writeSet(JsonGenerator gen, Set<?> set, int depth) throws IOException {
    List<String> items = new ArrayList<>(set.size());
    for (Object item : set) {
      items.add(toJsonAt(item, depth + 1));
    }
    items.sort(null);
    gen.writeStartArray();
    for (String item : items) {
      gen.writeRawValue(item);
    }
    gen.writeEndArray();
  }

  private static String toJsonAt(@Nullable Object value, int depth) throws IOException {
    ByteArrayBuilder buffer = new ByteArrayBuilder(64);
    try (JsonGenerator gen = FACTORY.createGenerator(buffer)) {
      write(gen, value, depth);
    }
    return new String(buffer.toByteArray(), StandardCharsets.UTF_8);
  }

  private static void writeRecord(JsonGenerator gen, Object record, int depth) throws IOException {
    gen.writeStartObject();
    for (RecordComponent c : RECORD_COMPONENTS.get(record.getClass())) {
      gen.writeFieldName(c.getName());
      Object component;
      try {
        component = c.getAccessor().invoke(record);
      } catch (ReflectiveOperationException e) {
        throw new IllegalArgumentException(
            "cannot read " + record.getClass().getName() + "." + c.getName(), e);
      }
      write(gen, component, depth + 1);
    }
    gen.writeEndObject();
  }

  private static void writeNode(JsonGenerator gen, JsonNode node, int depth) throws IOException {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException(
          "arguments nest deeper than " + MAX_DEPTH + " levels (is there a cycle?)");
    }
    switch (node.getNodeType()) {
      case OBJECT -> {
        TreeMap<String, JsonNode> sorted = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          sorted.put(e.getKey(), e.getValue());
        }
        gen.writeStartObject();
        for (Map.Entry<String, JsonNode> e : sorted.entrySet()) {
          gen.writeFieldName(e.getKey());
          writeNode(gen, e.getValue(), depth + 1);
        }
        gen.writeEndObject();
      }
      case ARRAY -> {
        gen.writeStartArray();
        for (JsonNode item : node) {
          writeNode(gen, item, depth + 1);
        }
        gen.writeEndArray();
      }
      case NUMBER -> {
        if (node.isIntegralNumber()) {
          gen.writeNumber(node.bigIntegerValue());
        } else if (node.isDouble() || node.isFloat()) {
          writeDouble(
              gen,
              node.doubleValue(),
              node.isFloat()
                  ? FloatToDecimal.toString(node.floatValue())
                  : DoubleToDecimal.toString(node.doubleValue()));
        } else {
          gen.writeNumber(canonicalDecimal(node.decimalValue()));
        }
      }
      case STRING -> gen.writeString(node.textValue());
      case BOOLEAN -> gen.writeBoolean(node.booleanValue());
      case BINARY -> gen.writeString(Base64.getEncoder().encodeToString(node.binaryValue()));
      case NULL, MISSING -> gen.writeNull();
      case POJO ->
          write(gen, ((com.fasterxml.jackson.databind.node.POJONode) node).getPojo(), depth + 1);
    }
  }
}
