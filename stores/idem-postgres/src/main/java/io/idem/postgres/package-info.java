/**
 * Idem's store on PostgreSQL, for many processes and machines sharing one database. Start with
 * {@link io.idem.postgres.PostgresIdempotencyStore#builder(javax.sql.DataSource)}; the schema is
 * applied on build, or by {@link io.idem.postgres.PostgresSchema} when you manage it yourself.
 */
@NullMarked
package io.idem.postgres;

import org.jspecify.annotations.NullMarked;
