package io.idem;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Objects;

/**
 * The type a replayed result is decoded into, generic types included: {@code new
 * ResultType<List<Receipt>>() {}} or {@code ResultType.of(Receipt.class)}. Without one, a result is
 * decoded into the class it had when it was stored, which loses the element types of generic
 * collections.
 *
 * @param <T> the result's type
 */
public abstract class ResultType<T> {

  private final Type type;

  /** Captures the type argument of the anonymous subclass. */
  protected ResultType() {
    Type superclass = getClass().getGenericSuperclass();
    if (!(superclass instanceof ParameterizedType p)) {
      throw new IllegalArgumentException(
          "ResultType must be created with a type argument, as new ResultType<List<X>>() {}");
    }
    this.type = p.getActualTypeArguments()[0];
  }

  private ResultType(Type type) {
    this.type = type;
  }

  /** The result type {@code type}. */
  public static <T> ResultType<T> of(Class<T> type) {
    Objects.requireNonNull(type, "type");
    return new ResultType<T>(type) {};
  }

  /** The captured type. */
  public Type type() {
    return type;
  }

  @Override
  public String toString() {
    return "ResultType[" + type.getTypeName() + "]";
  }
}
