/**
 * The tiered store: Redis in front of a source of truth (PostgreSQL in practice). Start with {@link
 * io.idem.tiered.TieredIdempotencyStore}.
 */
@NullMarked
package io.idem.tiered;

import org.jspecify.annotations.NullMarked;
