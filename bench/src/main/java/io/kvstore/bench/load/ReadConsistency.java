package io.kvstore.bench.load;

import java.util.Locale;

/**
 * The consistency a read asks for, as kv.proto names it. A driver for a store without one of these maps it
 * to the nearest it has and says so in {@link KvDriver#describe()}: etcd has no lease reads, so LEASE runs
 * as linearizable there, and STALE maps to etcd's serializable reads.
 */
public enum ReadConsistency {
  LINEARIZABLE,
  LEASE,
  STALE;

  public static ReadConsistency parse(String name) {
    String n = name.trim().toUpperCase(Locale.ROOT);
    if (n.equals("SERIALIZABLE")) {
      return STALE;
    }
    try {
      return valueOf(n);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown consistency '" + name + "': expected linearizable, lease or stale", e);
    }
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
