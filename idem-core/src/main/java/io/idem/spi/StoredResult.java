package io.idem.spi;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A body's result as a store keeps it: the codec's text (JSON by default) and the name of the
 * result's type, plus, in stores that keep objects by reference (in-memory), the live value.
 *
 * @param type the result's type as the codec names it ("null" for a null result)
 * @param encoded the codec's text
 * @param value the live object, when the store keeps it; null after a round trip through text
 */
public record StoredResult(String type, String encoded, @Nullable Object value) {

  public StoredResult {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(encoded, "encoded");
  }

  /** This result without its live value, as a store that keeps only text returns it. */
  public StoredResult withoutValue() {
    return value == null ? this : new StoredResult(type, encoded, null);
  }

  /** Text sizes only: the live value is not printed. */
  @Override
  public String toString() {
    return "StoredResult[type=" + type + ", " + encoded.length() + " chars]";
  }
}
