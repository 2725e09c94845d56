package io.idem;

/** The key was used before with another payload; nothing was changed. */
public final class PayloadMismatchException extends IdemException {
  private static final long serialVersionUID = 1L;

  private final String key;
  private final String storedFingerprint;
  private final String givenFingerprint;

  public PayloadMismatchException(String key, String storedFingerprint, String givenFingerprint) {
    super(
        "key "
            + key
            + " was used with another payload (stored fingerprint "
            + storedFingerprint
            + ", this call's "
            + givenFingerprint
            + ")");
    this.key = key;
    this.storedFingerprint = storedFingerprint;
    this.givenFingerprint = givenFingerprint;
  }

  public String key() {
    return key;
  }

  /** The fingerprint of the payload the key was first used with. */
  public String storedFingerprint() {
    return storedFingerprint;
  }

  /** The fingerprint of this call's payload. */
  public String givenFingerprint() {
    return givenFingerprint;
  }
}
