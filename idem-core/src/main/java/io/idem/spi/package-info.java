/**
 * The store SPI: what a backend implements so that Idem runs on it. Users rarely need it; store
 * authors start with {@link io.idem.spi.IdempotencyStore} and {@link
 * io.idem.spi.RecordTransitions}.
 */
@NullMarked
package io.idem.spi;

import org.jspecify.annotations.NullMarked;
