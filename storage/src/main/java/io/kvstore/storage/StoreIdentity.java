package io.kvstore.storage;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Who a store belongs to and how it is laid out, recorded once when the store is created and checked on
 * every open: a directory written by another node, another cluster or another format version is refused.
 * Stored as readable text ({@code format=1\nnode=3\ncluster=prod-eu\n}) so an operator can dump it.
 */
record StoreIdentity(int formatVersion, long nodeId, String clusterId) {

  /** The on-disk format this code writes and reads (the key layout in {@link Keys}). */
  static final int CURRENT_FORMAT = 1;

  byte[] encode() {
    return ("format=" + formatVersion + "\nnode=" + Long.toUnsignedString(nodeId) + "\ncluster=" + clusterId
        + "\n").getBytes(StandardCharsets.UTF_8);
  }

  static StoreIdentity decode(byte[] bytes) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        fields.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    try {
      return new StoreIdentity(Integer.parseInt(fields.get("format")),
          Long.parseUnsignedLong(fields.get("node")), fields.getOrDefault("cluster", ""));
    } catch (RuntimeException e) {
      throw new StoreException(StoreException.Reason.CORRUPTION,
          "undecodable identity record: " + new String(bytes, StandardCharsets.UTF_8), e);
    }
  }
}
