package io.kvstore.bench.check;

/** The kinds of operation a history can hold: register operations for the register workload, set
 * operations for the set workload, lock operations (and a READ of the guarded writes) for the lock workload. */
public enum OpType {
    /** Read a register: {@link Operation#value()} is the value returned, {@code null} when the key was absent. */
    GET,
    /** Write a register: {@link Operation#value()} is the value written. */
    PUT,
    /**
     * Compare-and-swap a register: if it holds {@link Operation#expected()} ({@code null} = absent), write
     * {@link Operation#value()}. {@link Operation#swapped()} tells which happened when the outcome is OK.
     */
    CAS,
    /** Add the unique element {@link Operation#value()} to the set named by the key. */
    ADD,
    /** Read the whole set named by the key: {@link Operation#elements()} is what was returned. */
    READ,
    /**
     * Acquire the lock named by the key for the lease {@link Operation#value()} (the holder, decimal);
     * {@link Operation#token()} is the fencing token granted, when OK.
     */
    ACQUIRE,
    /**
     * A write fenced by the lock named by the key, presenting {@link Operation#token()}: it writes the unique
     * value {@link Operation#value()}; {@link Operation#version()} is the version the store acknowledged
     * (the index of the Raft entry that applied it), when OK. FAIL means the store refused the fence.
     */
    GUARDED_PUT,
    /** Release the lock named by the key, held by the lease {@link Operation#value()} with {@link Operation#token()}. */
    RELEASE;

    /** The lower-case name used in history files. */
    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    static OpType fromJson(String name) {
        return valueOf(name.toUpperCase(java.util.Locale.ROOT));
    }

    /** True for operations that may change a register. */
    boolean writesRegister() {
        return this == PUT || this == CAS;
    }
}
