package io.idem.memory;

import io.idem.spi.ProcessedSetStore;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link ProcessedSetStore} in a {@link ConcurrentHashMap} of sets: for tests and single
 * processes. Each step is one {@code compute} on the set's entry. Thread-safe.
 */
public final class InMemoryProcessedSetStore implements ProcessedSetStore {

  private record Entry(Set<String> members, Instant lastModified) {}

  private final ConcurrentHashMap<String, Entry> sets = new ConcurrentHashMap<>();
  private final Clock clock;

  private InMemoryProcessedSetStore(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public static InMemoryProcessedSetStore create() {
    return new InMemoryProcessedSetStore(Clock.systemUTC());
  }

  public static InMemoryProcessedSetStore create(Clock clock) {
    return new InMemoryProcessedSetStore(clock);
  }

  @Override
  public boolean add(String set, String member) {
    Objects.requireNonNull(member, "member");
    boolean[] added = new boolean[1];
    sets.compute(
        set,
        (s, e) -> {
          if (e != null && e.members.contains(member)) {
            return e;
          }
          Set<String> next = e == null ? new LinkedHashSet<>() : new LinkedHashSet<>(e.members);
          next.add(member);
          added[0] = true;
          return new Entry(Set.copyOf(next), clock.instant());
        });
    return added[0];
  }

  @Override
  public boolean remove(String set, String member) {
    boolean[] removed = new boolean[1];
    sets.computeIfPresent(
        set,
        (s, e) -> {
          if (!e.members.contains(member)) {
            return e;
          }
          Set<String> next = new LinkedHashSet<>(e.members);
          next.remove(member);
          removed[0] = true;
          return new Entry(Set.copyOf(next), clock.instant());
        });
    return removed[0];
  }

  @Override
  public boolean contains(String set, String member) {
    Entry e = sets.get(set);
    return e != null && e.members.contains(member);
  }

  @Override
  public Set<String> members(String set) {
    Entry e = sets.get(set);
    return e == null ? Set.of() : e.members;
  }

  @Override
  public int clear(String set) {
    Entry e = sets.remove(set);
    return e == null ? 0 : e.members.size();
  }

  @Override
  public Optional<Instant> lastModified(String set) {
    Entry e = sets.get(set);
    return e == null ? Optional.empty() : Optional.of(e.lastModified);
  }

  @Override
  public void close() {
    sets.clear();
  }
}
