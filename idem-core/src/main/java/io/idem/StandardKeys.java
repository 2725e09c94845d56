package io.idem;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Keys for the effects that most services have, each in its TTL category (see {@link
 * TtlCategories}). Use them as they are or as examples for your own.
 */
public final class StandardKeys {

  private StandardKeys() {}

  /**
   * The nightly auto-close of one job on one day, readable: {@code autoclose:123:2025-10-01}.
   * Category {@code maintenance}.
   */
  public static IdempotencyKey autoclose(Object jobId, LocalDate date) {
    Objects.requireNonNull(date, "date");
    return IdempotencyKey.readable("autoclose", jobId, date).inCategory(TtlCategories.MAINTENANCE);
  }

  /**
   * One report of {@code type} with {@code params} in {@code format}, for one user. Category {@code
   * report}.
   */
  public static IdempotencyKey report(
      String type, @Nullable Object params, Object userId, String format) {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("type", Objects.requireNonNull(type, "type"));
    args.put("params", params);
    args.put("format", Objects.requireNonNull(format, "format"));
    return IdempotencyKey.of("report", Scope.user(userId), args).inCategory(TtlCategories.REPORT);
  }

  /** One email from {@code template} to one user. Category {@code email}. */
  public static IdempotencyKey email(Object userId, String template) {
    return IdempotencyKey.of(
            "email", Scope.user(userId), Map.of("template", Objects.requireNonNull(template)))
        .inCategory(TtlCategories.EMAIL);
  }

  /** One email from {@code template} to one user on one day. Category {@code email}. */
  public static IdempotencyKey dailyEmail(Object userId, String template, LocalDate day) {
    return IdempotencyKey.of(
            "email",
            Scope.user(userId),
            Map.of("template", Objects.requireNonNull(template), "day", day))
        .inCategory(TtlCategories.EMAIL);
  }

  /**
   * One change ({@code operation} with {@code args}) to one entity, such as a charge or a status
   * change. Category {@code mutation}.
   */
  public static IdempotencyKey mutation(
      String entityType, Object entityId, String operation, @Nullable Object args) {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("entity", Objects.requireNonNull(entityType, "entityType"));
    all.put("id", String.valueOf(entityId));
    all.put("args", args);
    return IdempotencyKey.of(operation, Scope.global(), all).inCategory(TtlCategories.MUTATION);
  }
}
