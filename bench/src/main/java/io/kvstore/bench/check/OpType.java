package io.kvstore.bench.check;

/** The kinds of operation a history can hold: register operations for the register workload, set
 * operations for the set workload. */
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
    READ;

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
