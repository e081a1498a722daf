package io.kvstore.bench.load;

/**
 * The answer to a compare-and-swap.
 *
 * @param succeeded whether the expected version matched and the new value was written
 * @param version when succeeded, the key's new version; otherwise its current version (0: absent)
 */
public record CasResult(boolean succeeded, long version) {}
