package io.idem.internal;

/** Validation of the texts that end up in keys and store records. */
public final class Texts {

  private Texts() {}

  /**
   * Refuses blank text, control characters and unpaired surrogates (which would not survive a round
   * trip through UTF-8, so two different keys could meet in a store).
   *
   * @param what what the text is, for the message ("key", "namespace", ...)
   */
  public static String requireCleanText(String what, String text, int maxLength) {
    if (text.isBlank()) {
      throw new IllegalArgumentException(
          what + " must not be blank, but was \"" + printable(text) + "\"");
    }
    if (text.length() > maxLength) {
      throw new IllegalArgumentException(
          what
              + " must be at most "
              + maxLength
              + " characters, but was "
              + text.length()
              + " characters: \""
              + abbreviate(text)
              + "\"");
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            what
                + " must not contain control characters, but \""
                + printable(text)
                + "\" has U+"
                + String.format("%04X", (int) c)
                + " at index "
                + i);
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
          continue;
        }
        throw new IllegalArgumentException(
            what + " has an unpaired surrogate at index " + i + ": \"" + printable(text) + "\"");
      }
      if (Character.isLowSurrogate(c)) {
        throw new IllegalArgumentException(
            what + " has an unpaired surrogate at index " + i + ": \"" + printable(text) + "\"");
      }
    }
    return text;
  }

  /** The first 80 characters and an ellipsis, for messages about long values. */
  public static String abbreviate(String text) {
    return text.length() <= 80 ? text : text.substring(0, 80) + "...";
  }

  /** {@code text} with control characters shown as \\uXXXX, for messages. */
  public static String printable(String text) {
    StringBuilder sb = new StringBuilder();
    String shown = abbreviate(text);
    for (int i = 0; i < shown.length(); i++) {
      char c = shown.charAt(i);
      if (Character.isISOControl(c) || Character.isSurrogate(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
