package io.idem.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void delaysDoubleToTheCapEachJitteredByAQuarter() {
    Backoff b = Backoff.forHolder();
    long base = Backoff.FIRST_NANOS;
    for (int i = 0; i < 12; i++) {
      long d = b.nextNanos();
      assertThat(d).as("delay %d", i).isBetween(base * 3 / 4, base * 5 / 4);
      base = Math.min(base * 2, Backoff.CAP_NANOS);
    }
    assertThat(base).isEqualTo(Backoff.CAP_NANOS);
  }
}
