/**
 * The embedded default: Idem's stores in one SQLite file (WAL mode), with nothing to install or
 * configure. Start with {@link io.idem.sqlite.SqliteDatabase}.
 */
@NullMarked
package io.idem.sqlite;

import org.jspecify.annotations.NullMarked;
