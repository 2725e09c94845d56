package io.idem;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.idem.internal.JacksonResultCodec;
import io.idem.spi.StoredResult;
import java.lang.reflect.Type;
import org.jspecify.annotations.Nullable;

/**
 * Turns results into text for the store and back. The default is Jackson JSON ({@link #jackson()});
 * implementations are thread-safe.
 */
public interface ResultCodec {

  /** Results larger than this many characters of encoded text are refused by default: 4 MiB. */
  int DEFAULT_MAX_ENCODED_CHARS = 4 * 1024 * 1024;

  /**
   * Encodes {@code value}; the returned result keeps the live value too, for stores that keep
   * objects.
   *
   * @throws ResultCodecException when the value cannot be encoded or is too large
   */
  StoredResult encode(@Nullable Object value);

  /**
   * Decodes {@code stored} into {@code type}, or into the type it was stored with when {@code type}
   * is null.
   *
   * @throws ResultCodecException when the text does not fit the type
   */
  @Nullable Object decode(StoredResult stored, @Nullable Type type);

  /** Jackson JSON with java.time and Optional support, up to {@link #DEFAULT_MAX_ENCODED_CHARS}. */
  static ResultCodec jackson() {
    return JacksonResultCodec.DEFAULT;
  }

  /** Jackson JSON with the caller's mapper and size limit. */
  static ResultCodec jackson(ObjectMapper mapper, int maxEncodedChars) {
    return new JacksonResultCodec(mapper, maxEncodedChars);
  }
}
