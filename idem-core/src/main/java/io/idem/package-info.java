/**
 * Idem: exactly-once effects for background work. Start with {@link io.idem.Idem} and {@link
 * io.idem.IdempotencyKey}.
 */
@NullMarked
package io.idem;

import org.jspecify.annotations.NullMarked;
