package io.idem;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PayloadFingerprintTest {

  record Charge(String currency, BigDecimal amount) {}

  @Test
  void noneIsTheFingerprintOfNull() throws Exception {
    assertThat(PayloadFingerprint.of(null)).isEqualTo(PayloadFingerprint.NONE);
    assertThat(PayloadFingerprint.of(Optional.empty())).isEqualTo(PayloadFingerprint.NONE);
    byte[] sha =
        MessageDigest.getInstance("SHA-256").digest("null".getBytes(StandardCharsets.UTF_8));
    assertThat(PayloadFingerprint.NONE).isEqualTo(HexFormat.of().formatHex(sha));
  }

  @Test
  void isTheSha256OfTheCanonicalJson() throws Exception {
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("b", 2.0);
    payload.put("a", List.of(1, "x"));
    byte[] sha =
        MessageDigest.getInstance("SHA-256")
            .digest("{\"a\":[1,\"x\"],\"b\":2}".getBytes(StandardCharsets.UTF_8));

    assertThat(PayloadFingerprint.of(payload)).isEqualTo(HexFormat.of().formatHex(sha));
  }

  @Test
  void equalPayloadsHaveEqualFingerprints() {
    assertThat(PayloadFingerprint.of(new Charge("EUR", new BigDecimal("10.50"))))
        .isEqualTo(PayloadFingerprint.of(new Charge("EUR", new BigDecimal("10.5"))))
        .isEqualTo(PayloadFingerprint.of(Map.of("amount", 10.5, "currency", "EUR")));
  }

  @Test
  void differentPayloadsHaveDifferentFingerprints() {
    assertThat(PayloadFingerprint.of(new Charge("EUR", BigDecimal.TEN)))
        .isNotEqualTo(PayloadFingerprint.of(new Charge("USD", BigDecimal.TEN)));
    assertThat(PayloadFingerprint.of("")).isNotEqualTo(PayloadFingerprint.NONE);
    assertThat(PayloadFingerprint.of(0)).isNotEqualTo(PayloadFingerprint.NONE);
    assertThat(PayloadFingerprint.of("null")).isNotEqualTo(PayloadFingerprint.NONE);
  }

  @Test
  void isSixtyFourLowerCaseHexCharacters() {
    assertThat(PayloadFingerprint.NONE).matches("[0-9a-f]{64}");
    assertThat(PayloadFingerprint.of(Map.of("k", "v"))).matches("[0-9a-f]{64}");
    assertThat(PayloadFingerprint.of("x".repeat(100_000))).matches("[0-9a-f]{64}");
  }
}
