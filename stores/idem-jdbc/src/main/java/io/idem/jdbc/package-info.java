/**
 * Shared support of the SQL stores: named statements kept in resources ({@link
 * io.idem.jdbc.SqlStatements}), versioned schema migrations ({@link io.idem.jdbc.SchemaMigrator}),
 * the small per-database {@link io.idem.jdbc.Dialect}, and {@link io.idem.jdbc.Rows} helpers.
 */
@NullMarked
package io.idem.jdbc;

import org.jspecify.annotations.NullMarked;
