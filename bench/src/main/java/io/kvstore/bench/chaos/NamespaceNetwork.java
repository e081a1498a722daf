package io.kvstore.bench.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Linux network namespace per node, joined by a bridge in the caller's namespace: node {@code i} has
 * address {@code 10.213.S.i/24} on a veth whose other end is on the bridge ({@code 10.213.S.254}), so the
 * clients (in the caller's namespace) reach every node, and nodes reach each other through the bridge.
 * {@link #drop} adds an {@code iptables -j DROP} rule for the sender's address to the receiver's INPUT chain
 * (client traffic comes from the bridge address and is never dropped); {@link #heal} flushes those chains.
 *
 * <p>Names carry a per-run tag ({@code kvc<tag>-n1}, ...) so concurrent runs do not collide, and
 * {@link #close} deletes the namespaces (with their veth ends) and the bridge it created, nothing else.
 * Needs root, iproute2 and iptables: {@link #available()} says whether they are here.
 */
final class NamespaceNetwork implements Network {
  private final String tag;
  private final int subnet;
  private final int nodes;
  private final List<String> created = new ArrayList<>();
  private boolean bridgeCreated;

  private NamespaceNetwork(String tag, int subnet, int nodes) {
    this.tag = tag;
    this.subnet = subnet;
    this.nodes = nodes;
  }

  /** Whether this process may create namespaces here: root with {@code ip} and {@code iptables}. */
  static boolean available() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return false;
    }
    try {
      return run(List.of("ip", "netns", "list")).ok() && run(List.of("iptables", "--version")).ok();
    } catch (IllegalStateException e) {
      return false;
    }
  }

  /**
   * Creates the network of {@code nodes} nodes on the first free subnet from {@code firstTry} on (a subnet
   * is taken while its bridge exists, e.g. by a concurrent run).
   */
  static NamespaceNetwork createOnFreeSubnet(int nodes, int firstTry) {
    IllegalStateException last = null;
    for (int i = 0; i < 25; i++) {
      int subnet = 1 + Math.floorMod(firstTry - 1 + i * 37, 250);
      if (run(List.of("ip", "link", "show", "kvc" + subnet + "br")).ok()) {
        continue;
      }
      try {
        return create(Integer.toString(subnet), subnet, nodes);
      } catch (IllegalStateException e) {
        last = e;
      }
    }
    throw last != null ? last : new IllegalStateException("no free subnet 10.213.x.0/24 for the chaos network");
  }

  /**
   * Creates the namespaces, veths and bridge for {@code nodes} nodes. {@code tag} (a few letters or
   * digits) and {@code subnet} (1..250, the third byte of 10.213.S.0/24) must be unique among live runs.
   */
  static NamespaceNetwork create(String tag, int subnet, int nodes) {
    if (subnet < 1 || subnet > 250 || nodes < 1 || nodes > 200 || !tag.matches("[a-z0-9]{1,6}")) {
      throw new IllegalArgumentException("bad namespace network: tag " + tag + ", subnet " + subnet);
    }
    NamespaceNetwork net = new NamespaceNetwork(tag, subnet, nodes);
    try {
      net.setUp();
      return net;
    } catch (RuntimeException e) {
      net.close();
      throw e;
    }
  }

  private void setUp() {
    String bridge = bridge();
    must(List.of("ip", "link", "add", bridge, "type", "bridge"));
    bridgeCreated = true;
    Leftovers.note("link", bridge);
    must(List.of("ip", "addr", "add", "10.213." + subnet + ".254/24", "dev", bridge));
    must(List.of("ip", "link", "set", bridge, "up"));
    for (int i = 1; i <= nodes; i++) {
      String ns = namespace(i);
      String host = "kvc" + tag + "h" + i;
      String peer = "kvc" + tag + "p" + i;
      must(List.of("ip", "netns", "add", ns));
      created.add(ns);
      Leftovers.note("netns", ns);
      must(List.of("ip", "link", "add", host, "type", "veth", "peer", "name", peer));
      must(List.of("ip", "link", "set", peer, "netns", ns));
      must(List.of("ip", "link", "set", host, "master", bridge, "up"));
      must(List.of("ip", "netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", peer));
      must(List.of("ip", "netns", "exec", ns, "ip", "link", "set", peer, "up"));
      must(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"));
    }
  }

  /** A one-line description for reports. */
  String describe() {
    return "network namespaces " + namespace(1) + ".." + namespace(nodes) + " on 10.213." + subnet
        + ".0/24 via bridge " + bridge() + ", iptables DROP rules for partitions";
  }

  String namespace(int nodeId) {
    return "kvc" + tag + "-n" + nodeId;
  }

  private String bridge() {
    return "kvc" + tag + "br";
  }

  @Override
  public String address(int nodeId) {
    return "10.213." + subnet + "." + nodeId;
  }

  @Override
  public List<String> launchPrefix(int nodeId) {
    return List.of("ip", "netns", "exec", namespace(nodeId));
  }

  @Override
  public boolean canPartition() {
    return true;
  }

  @Override
  public void drop(int from, int to) {
    must(List.of("ip", "netns", "exec", namespace(to), "iptables", "-w", "-A", "INPUT", "-s", address(from),
        "-j", "DROP"));
  }

  @Override
  public void heal() {
    for (int i = 1; i <= nodes; i++) {
      must(List.of("ip", "netns", "exec", namespace(i), "iptables", "-w", "-F", "INPUT"));
    }
  }

  @Override
  public void close() {
    for (String ns : created) {
      run(List.of("ip", "netns", "del", ns));
    }
    created.clear();
    if (bridgeCreated) {
      run(List.of("ip", "link", "del", bridge()));
      bridgeCreated = false;
    }
  }

  private static void must(List<String> command) {
    Result r = run(command);
    if (!r.ok()) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + r.output().strip());
    }
  }

  private record Result(boolean ok, String output) {}

  private static Result run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(false, "timed out");
      }
      return new Result(p.exitValue() == 0, out);
    } catch (IOException e) {
      return new Result(false, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(false, "interrupted");
    }
  }
}
