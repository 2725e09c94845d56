package io.idem.postgres;

import io.idem.StoreUnavailableException;
import java.time.Clock;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * What every PostgreSQL store's builder sets: the pool, the schema, the clock, and whether {@link
 * #build()} applies the schema. Not thread-safe.
 *
 * @param <B> the concrete builder
 * @param <S> the store it builds
 */
public abstract class PostgresStoreBuilder<B extends PostgresStoreBuilder<B, S>, S> {

  private final DataSource dataSource;
  String schema = PostgresSchema.DEFAULT_SCHEMA;
  Clock clock = Clock.systemUTC();
  private boolean applySchema = true;

  PostgresStoreBuilder(DataSource dataSource) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /**
   * The PostgreSQL schema of the tables: a plain lower-case SQL identifier. Default {@value
   * PostgresSchema#DEFAULT_SCHEMA}.
   *
   * @throws IllegalArgumentException {@code schema} is not a plain lower-case identifier (the
   *     message names it)
   */
  public B schema(String schema) {
    this.schema = PostgresSchema.requireValid(schema);
    return self();
  }

  /** The clock of the times the store writes (leases, expiry). Default: system UTC. */
  public B clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return self();
  }

  /**
   * Whether {@link #build()} brings the schema up to date ({@link PostgresSchema#apply}). Default
   * true; false when you apply {@link PostgresSchema#scripts} yourself.
   */
  public B applySchema(boolean applySchema) {
    this.applySchema = applySchema;
    return self();
  }

  /**
   * The store; with {@code applySchema} (the default), after applying the schema.
   *
   * @throws StoreUnavailableException the schema could not be applied
   */
  public S build() {
    PostgresDatabase db = new PostgresDatabase(dataSource, schema);
    if (applySchema) {
      PostgresSchema.apply(db, clock);
    }
    return create(db);
  }

  /** The store over {@code db}, with this builder's settings. */
  abstract S create(PostgresDatabase db);
}
