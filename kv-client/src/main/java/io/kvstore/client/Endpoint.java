package io.kvstore.client;

import java.util.ArrayList;
import java.util.List;

/** A node's gRPC address, {@code host:port}. */
public record Endpoint(String host, int port) {

  public Endpoint {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("endpoint host must not be empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("endpoint port must be 1..65535, got " + port);
    }
  }

  /**
   * Parses a comma-separated list such as {@code 127.0.0.1:7001,127.0.0.1:7002}. Throws
   * IllegalArgumentException with a message that names the bad entry and shows the expected form.
   */
  public static List<Endpoint> parseList(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("no endpoints given: expected HOST:PORT[,HOST:PORT...]");
    }
    List<Endpoint> endpoints = new ArrayList<>();
    for (String part : spec.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      endpoints.add(parse(p));
    }
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no endpoints given: expected HOST:PORT[,HOST:PORT...]");
    }
    return List.copyOf(endpoints);
  }

  /** Parses one {@code host:port}; {@code [::1]:7001} for IPv6. */
  public static Endpoint parse(String s) {
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException("bad endpoint '" + s + "': expected HOST:PORT, e.g. 127.0.0.1:7001");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad endpoint '" + s + "': the port must be a number");
    }
    try {
      return new Endpoint(host, port);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad endpoint '" + s + "': " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
  }
}
