/**
 * Leased locks with fencing tokens: {@link io.idem.lock.LockManager} runs a task while holding a
 * lock, with lock-at-most and lock-at-least times and a keep-alive.
 */
@NullMarked
package io.idem.lock;

import org.jspecify.annotations.NullMarked;
