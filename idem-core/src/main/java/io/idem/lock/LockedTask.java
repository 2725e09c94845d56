package io.idem.lock;

/**
 * A task run while holding a lock.
 *
 * @param <T> its result
 */
@FunctionalInterface
public interface LockedTask<T> {
  T run(LockContext lock) throws Exception;
}
