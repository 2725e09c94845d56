package io.idem.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.idem.ResultCodec;
import io.idem.ResultCodecException;
import io.idem.spi.StoredResult;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** The default {@link ResultCodec}: Jackson JSON and the result's class name. Thread-safe. */
public final class JacksonResultCodec implements ResultCodec {

  public static final JacksonResultCodec DEFAULT =
      new JacksonResultCodec(defaultMapper(), DEFAULT_MAX_ENCODED_CHARS);

  private static final String NULL_TYPE = "null";

  private final ObjectMapper mapper;
  private final int maxEncodedChars;

  public JacksonResultCodec(ObjectMapper mapper, int maxEncodedChars) {
    this.mapper = Objects.requireNonNull(mapper, "mapper");
    if (maxEncodedChars < 1) {
      throw new IllegalArgumentException(
          "maxEncodedChars must be positive, but was " + maxEncodedChars);
    }
    this.maxEncodedChars = maxEncodedChars;
  }

  /** The mapper the default codec uses. */
  public static ObjectMapper defaultMapper() {
    return new ObjectMapper()
        .registerModule(new JavaTimeModule())
        .registerModule(new Jdk8Module())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  }

  @Override
  public StoredResult encode(@Nullable Object value) {
    if (value == null) {
      return new StoredResult(NULL_TYPE, "null", null);
    }
    String json;
    try {
      json = mapper.writeValueAsString(value);
    } catch (JsonProcessingException | RuntimeException e) {
      throw new ResultCodecException(
          "cannot encode a result of type " + value.getClass().getName() + ": " + e.getMessage(),
          e);
    }
    if (json.length() > maxEncodedChars) {
      throw new ResultCodecException(
          "a result of type "
              + value.getClass().getName()
              + " is "
              + json.length()
              + " characters encoded, above the codec's limit of "
              + maxEncodedChars,
          null);
    }
    return new StoredResult(value.getClass().getName(), json, value);
  }

  @Override
  public @Nullable Object decode(StoredResult stored, @Nullable Type type) {
    try {
      if (type != null) {
        return mapper.readValue(stored.encoded(), mapper.constructType(type));
      }
      if (NULL_TYPE.equals(stored.type())) {
        return null;
      }
      Class<?> raw = load(stored.type());
      if (raw == null) {
        return mapper.readValue(stored.encoded(), Object.class);
      }
      if (Set.class.isAssignableFrom(raw) && !constructible(raw)) {
        return new LinkedHashSet<>(mapper.readValue(stored.encoded(), List.class));
      }
      if ((Collection.class.isAssignableFrom(raw) || Map.class.isAssignableFrom(raw))
          && !constructible(raw)) {
        return mapper.readValue(stored.encoded(), Object.class);
      }
      JavaType javaType = mapper.constructType(raw);
      return mapper.readValue(stored.encoded(), javaType);
    } catch (JsonProcessingException | RuntimeException e) {
      throw new ResultCodecException(
          "cannot decode a stored result of type "
              + stored.type()
              + (type == null ? "" : " into " + type.getTypeName())
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private static @Nullable Class<?> load(String name) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    try {
      return Class.forName(
          name, false, loader != null ? loader : JacksonResultCodec.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      try {
        return Class.forName(name, false, JacksonResultCodec.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e2) {
        return null; // decode as plain JSON values
      }
    }
  }

  private static boolean constructible(Class<?> type) {
    if (type.isInterface()
        || Modifier.isAbstract(type.getModifiers())
        || !Modifier.isPublic(type.getModifiers())) {
      return false;
    }
    try {
      return Modifier.isPublic(type.getConstructor().getModifiers());
    } catch (NoSuchMethodException e) {
      return false;
    }
  }
}
