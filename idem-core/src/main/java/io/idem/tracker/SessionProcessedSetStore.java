package io.idem.tracker;

import io.idem.spi.ProcessedSetStore;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link ProcessedSetStore} over one session's attribute map, in the seed's layout: for set
 * {@code t}, a list of ids under {@code dedup_t} and an ISO-8601 timestamp under {@code
 * __dedup_t_last_modified}. Each step holds the map's monitor, so steps on one map are atomic with
 * respect to each other (other code writing those two attributes directly is not synchronised). A
 * list that holds other things than strings is read with {@code String.valueOf}.
 */
final class SessionProcessedSetStore implements ProcessedSetStore {

  private final Map<String, Object> attributes;
  private final Clock clock;

  SessionProcessedSetStore(Map<String, Object> attributes) {
    this(attributes, Clock.systemUTC());
  }

  SessionProcessedSetStore(Map<String, Object> attributes, Clock clock) {
    this.attributes = Objects.requireNonNull(attributes, "attributes");
    this.clock = clock;
  }

  static String listKey(String set) {
    return "dedup_" + set;
  }

  static String timeKey(String set) {
    return "__dedup_" + set + "_last_modified";
  }

  private List<String> read(String set) {
    Object v = attributes.get(listKey(set));
    List<String> out = new ArrayList<>();
    if (v instanceof Collection<?> c) {
      for (Object o : c) {
        out.add(String.valueOf(o));
      }
    }
    return out;
  }

  private void write(String set, List<String> ids) {
    attributes.put(listKey(set), new ArrayList<>(ids));
    attributes.put(timeKey(set), clock.instant().toString());
  }

  @Override
  public boolean add(String set, String member) {
    synchronized (attributes) {
      List<String> ids = read(set);
      if (ids.contains(member)) {
        return false;
      }
      ids.add(member);
      write(set, ids);
      return true;
    }
  }

  @Override
  public boolean remove(String set, String member) {
    synchronized (attributes) {
      List<String> ids = read(set);
      if (!ids.remove(member)) {
        return false;
      }
      write(set, ids);
      return true;
    }
  }

  @Override
  public boolean contains(String set, String member) {
    synchronized (attributes) {
      return read(set).contains(member);
    }
  }

  @Override
  public Set<String> members(String set) {
    synchronized (attributes) {
      return Set.copyOf(new LinkedHashSet<>(read(set)));
    }
  }

  @Override
  public int clear(String set) {
    synchronized (attributes) {
      int n = new LinkedHashSet<>(read(set)).size();
      attributes.remove(listKey(set));
      attributes.remove(timeKey(set));
      return n;
    }
  }

  @Override
  public Optional<Instant> lastModified(String set) {
    synchronized (attributes) {
      Object v = attributes.get(timeKey(set));
      if (v instanceof Instant i) {
        return Optional.of(i);
      }
      if (v instanceof Number n) { // epoch seconds, as a Python time.time() would leave it
        return Optional.of(Instant.ofEpochMilli((long) (n.doubleValue() * 1000)));
      }
      if (v != null) {
        try {
          return Optional.of(Instant.parse(v.toString()));
        } catch (DateTimeParseException e) {
          return Optional.empty();
        }
      }
      return Optional.empty();
    }
  }

  @Override
  public void close() {}
}
