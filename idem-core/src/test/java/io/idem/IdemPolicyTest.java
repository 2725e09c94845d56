package io.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class IdemPolicyTest {

  @Nested
  class Policy {

    @Test
    void defaults() {
      IdemPolicy p = IdemPolicy.defaults();

      assertThat(p.ttl()).isNull();
      assertThat(p.category()).isNull();
      assertThat(p.lease()).isEqualTo(Duration.ofSeconds(30));
      assertThat(p.heartbeat()).isEqualTo(Duration.ofSeconds(10));
      assertThat(p.onInProgress().rejects()).isFalse();
      assertThat(p.onInProgress().maxWait()).isEqualTo(Duration.ofSeconds(30));
      assertThat(p.onFailure()).isSameAs(FailurePolicy.release());
      assertThat(p.maxAttempts()).isEqualTo(Integer.MAX_VALUE);
      assertThat(IdemPolicy.builder().build().toString()).isEqualTo(p.toString());
    }

    @Test
    void zeroOrNegativeLeaseIsRefusedNamingTheValue() {
      assertThatThrownBy(() -> IdemPolicy.builder().lease(Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("lease must be positive, but was PT0S");
      assertThatThrownBy(() -> IdemPolicy.builder().lease(Duration.ofMillis(-5)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("lease must be positive, but was PT-0.005S");
    }

    @Test
    void heartbeatLongerThanTheLeaseIsRefusedWhateverTheOrderTheyAreSetIn() {
      assertThatThrownBy(
              () ->
                  IdemPolicy.builder()
                      .heartbeat(Duration.ofSeconds(20))
                      .lease(Duration.ofSeconds(6))
                      .build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("heartbeat must be shorter than the lease (PT6S), but was PT20S");
    }

    @Test
    void heartbeatAsLongAsTheLeaseIsRefusedNamingBoth() {
      assertThatThrownBy(
              () ->
                  IdemPolicy.builder()
                      .lease(Duration.ofSeconds(10))
                      .heartbeat(Duration.ofSeconds(10))
                      .build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("heartbeat must be shorter than the lease (PT10S), but was PT10S");
      assertThatThrownBy(
              () ->
                  IdemPolicy.builder()
                      .lease(Duration.ofSeconds(10))
                      .heartbeat(Duration.ofMinutes(1))
                      .build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("PT10S")
          .hasMessageContaining("PT1M");
      assertThatThrownBy(() -> IdemPolicy.builder().heartbeat(Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("heartbeat must be positive, but was PT0S");
    }

    @Test
    void maxAttemptsBelowOneIsRefused() {
      assertThatThrownBy(() -> IdemPolicy.builder().maxAttempts(0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("but was 0");
      assertThatThrownBy(() -> IdemPolicy.builder().maxAttempts(-3))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("maxAttempts must be at least 1, but was -3");
      assertThat(IdemPolicy.builder().maxAttempts(1).build().maxAttempts()).isEqualTo(1);
    }

    @Test
    void badTtlAndCategoryAreRefused() {
      assertThatThrownBy(() -> IdemPolicy.builder().ttl(Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("ttl must be positive, but was PT0S");
      assertThatThrownBy(() -> IdemPolicy.builder().category(""))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("category must not be blank");
    }

    @Test
    void defaultHeartbeatIsAThirdOfTheLease() {
      assertThat(IdemPolicy.builder().lease(Duration.ofSeconds(3)).build().heartbeat())
          .isEqualTo(Duration.ofSeconds(1));
      assertThat(IdemPolicy.builder().lease(Duration.ofMillis(300)).build().heartbeat())
          .isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void explicitHeartbeatIsKept() {
      IdemPolicy p =
          IdemPolicy.builder()
              .lease(Duration.ofSeconds(3))
              .heartbeat(Duration.ofMillis(50))
              .build();

      assertThat(p.heartbeat()).isEqualTo(Duration.ofMillis(50));
      assertThat(p.lease()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void noHeartbeatGivesNull() {
      assertThat(IdemPolicy.builder().noHeartbeat().build().heartbeat()).isNull();
      assertThat(
              IdemPolicy.builder().noHeartbeat().lease(Duration.ofSeconds(9)).build().heartbeat())
          .isNull();
      assertThat(
              IdemPolicy.builder()
                  .noHeartbeat()
                  .heartbeat(Duration.ofSeconds(1))
                  .build()
                  .heartbeat())
          .isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void toBuilderCopiesEverything() {
      IdemPolicy p =
          IdemPolicy.builder()
              .ttl(Duration.ofMinutes(5))
              .category("report")
              .lease(Duration.ofSeconds(12))
              .heartbeat(Duration.ofSeconds(2))
              .onInProgress(InProgressPolicy.reject())
              .onFailure(FailurePolicy.cacheFor(Duration.ofMinutes(1)))
              .maxAttempts(4)
              .build();

      IdemPolicy copy = p.toBuilder().build();

      assertThat(copy.ttl()).isEqualTo(Duration.ofMinutes(5));
      assertThat(copy.category()).isEqualTo("report");
      assertThat(copy.lease()).isEqualTo(Duration.ofSeconds(12));
      assertThat(copy.heartbeat()).isEqualTo(Duration.ofSeconds(2));
      assertThat(copy.onInProgress()).isSameAs(InProgressPolicy.reject());
      assertThat(copy.onFailure()).isSameAs(p.onFailure());
      assertThat(copy.maxAttempts()).isEqualTo(4);
      assertThat(copy).hasToString(p.toString());
      assertThat(IdemPolicy.builder().noHeartbeat().build().toBuilder().build().heartbeat())
          .isNull();
    }

    @Test
    void toBuilderKeepsTheDefaultHeartbeatAThirdOfTheNewLease() {
      // Regression: toBuilder() used to turn the derived heartbeat (lease / 3) into an explicit
      // one, so a longer lease kept the old lease's heartbeat.
      IdemPolicy longer = IdemPolicy.defaults().toBuilder().lease(Duration.ofSeconds(90)).build();

      assertThat(longer.heartbeat()).isEqualTo(Duration.ofSeconds(30));
    }
  }

  @Nested
  class Failure {

    @Test
    void releaseRetriesAtOnce() {
      assertThat(FailurePolicy.release().retryAfterFor(new RuntimeException()))
          .isEqualTo(Duration.ZERO);
      assertThat(FailurePolicy.release()).hasToString("release");
    }

    @Test
    void cacheForCachesEveryFailure() {
      FailurePolicy p = FailurePolicy.cacheFor(Duration.ofHours(1));

      assertThat(p.retryAfterFor(new IllegalStateException())).isEqualTo(Duration.ofHours(1));
      assertThat(p.retryAfterFor(new IOException())).isEqualTo(Duration.ofHours(1));
      assertThat(p).hasToString("cacheFor(PT1H)");
    }

    @Test
    void cacheForZeroOrNegativeIsRefused() {
      assertThatThrownBy(() -> FailurePolicy.cacheFor(Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("cacheFor duration must be positive, but was PT0S");
      assertThatThrownBy(() -> FailurePolicy.cacheFor(Duration.ofSeconds(-1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("PT-1S");
    }

    @Test
    void byExceptionPicksTheFirstMatchingRuleElseTheFallback() {
      FailurePolicy p =
          FailurePolicy.byException()
              .on(IllegalArgumentException.class, FailurePolicy.cacheFor(Duration.ofMinutes(1)))
              .on(RuntimeException.class, FailurePolicy.cacheFor(Duration.ofMinutes(2)))
              .on(IllegalStateException.class, FailurePolicy.cacheFor(Duration.ofMinutes(3)))
              .otherwise(FailurePolicy.release());

      assertThat(p.retryAfterFor(new IllegalArgumentException())).isEqualTo(Duration.ofMinutes(1));
      assertThat(p.retryAfterFor(new NumberFormatException())).isEqualTo(Duration.ofMinutes(1));
      assertThat(p.retryAfterFor(new IllegalStateException())).isEqualTo(Duration.ofMinutes(2));
      assertThat(p.retryAfterFor(new UncheckedIOException(new IOException())))
          .isEqualTo(Duration.ofMinutes(2));
      assertThat(p.retryAfterFor(new IOException())).isEqualTo(Duration.ZERO);
      assertThat(p.retryAfterFor(new AssertionError())).isEqualTo(Duration.ZERO);
      assertThat(p.toString())
          .isEqualTo(
              "byException(IllegalArgumentException->cacheFor(PT1M), "
                  + "RuntimeException->cacheFor(PT2M), IllegalStateException->cacheFor(PT3M), "
                  + "otherwise release)");
    }

    @Test
    void byExceptionFallbackMayItselfChooseByException() {
      FailurePolicy p =
          FailurePolicy.byException()
              .on(IllegalStateException.class, FailurePolicy.release())
              .otherwise(
                  FailurePolicy.byException()
                      .on(IOException.class, FailurePolicy.cacheFor(Duration.ofMinutes(5)))
                      .otherwise(FailurePolicy.cacheFor(Duration.ofMinutes(7))));

      assertThat(p.retryAfterFor(new IllegalStateException())).isEqualTo(Duration.ZERO);
      assertThat(p.retryAfterFor(new IOException())).isEqualTo(Duration.ofMinutes(5));
      assertThat(p.retryAfterFor(new RuntimeException())).isEqualTo(Duration.ofMinutes(7));
    }

    @Test
    void byExceptionWithNoRuleIsTheFallback() {
      FailurePolicy p =
          FailurePolicy.byException().otherwise(FailurePolicy.cacheFor(Duration.ofSeconds(9)));

      assertThat(p.retryAfterFor(new RuntimeException())).isEqualTo(Duration.ofSeconds(9));
    }
  }

  @Nested
  class InProgress {

    @Test
    void rejectDoesNotWait() {
      assertThat(InProgressPolicy.reject().rejects()).isTrue();
      assertThat(InProgressPolicy.reject().maxWait()).isEqualTo(Duration.ZERO);
      assertThat(InProgressPolicy.reject()).hasToString("reject");
    }

    @Test
    void waitUpTo() {
      InProgressPolicy p = InProgressPolicy.waitUpTo(Duration.ofSeconds(5));

      assertThat(p.rejects()).isFalse();
      assertThat(p.maxWait()).isEqualTo(Duration.ofSeconds(5));
      assertThat(p).hasToString("waitUpTo(PT5S)");
      assertThat(InProgressPolicy.waitDefault().maxWait()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void waitUpToZeroOrNegativeIsRefused() {
      assertThatThrownBy(() -> InProgressPolicy.waitUpTo(Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("reject()")
          .hasMessageContaining("but was PT0S");
      assertThatThrownBy(() -> InProgressPolicy.waitUpTo(Duration.ofSeconds(-1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("PT-1S");
    }
  }
}
