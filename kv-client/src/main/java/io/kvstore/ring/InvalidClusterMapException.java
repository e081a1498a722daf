package io.kvstore.ring;

/**
 * A cluster map, a set of hash ranges or a placement input that breaks a rule of
 * {@code kvstore/v1/cluster.proto}: ranges that leave a gap or overlap, duplicate or zero ids, replicas on
 * unknown nodes, and so on. The message names the offending shard, node or range (hash values in hex), so
 * that an operator can tell what is wrong without a debugger.
 *
 * <p>Unchecked: a map that fails validation is a bug in whoever built it, and callers that receive maps
 * from the network (the routing client) catch it where they install a new map and keep the old one.
 */
public final class InvalidClusterMapException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** A map or input that breaks the rule described by {@code message}. */
    public InvalidClusterMapException(String message) {
        super(message);
    }
}
