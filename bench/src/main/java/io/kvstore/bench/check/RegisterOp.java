package io.kvstore.bench.check;

/**
 * One operation as the linearizability search sees it, with the sequential specification of a register
 * ({@link #apply}). Values are interned to small integers per key: {@link #ABSENT} is the empty register,
 * {@link #ANY} a register whose value is unknown (used when a failing window is cut out of a longer
 * history and the value at its start is not known).
 *
 * @param source    the recorded operation this came from
 * @param kind      what it does to the register
 * @param value     READ: value observed; WRITE / CAS_*: value written
 * @param expected  CAS_*: value compared against
 * @param invoke    invocation time
 * @param complete  completion time; ignored when {@code mandatory} is false
 * @param mandatory true when the operation completed OK and must appear in every linearization; false for
 *                  operations that may have taken effect at any time after {@code invoke}, or never
 */
record RegisterOp(Operation source, Kind kind, int value, int expected, long invoke, long complete,
                  boolean mandatory) {
    static final int ABSENT = 0;
    static final int ANY = -1;
    /** Returned by {@link #apply} when the operation cannot take effect in that state. */
    static final int REJECT = -2;

    enum Kind {
        /** An OK get that returned {@code value}. */
        READ,
        /** A put (OK or INFO). */
        WRITE,
        /** An OK CAS that swapped, or an INFO CAS (which only matters if it swapped). */
        CAS_SWAPPED,
        /** An OK CAS that found a value other than {@code expected}. */
        CAS_NOT_SWAPPED
    }

    /** The register state after this operation takes effect in {@code state}, or {@link #REJECT}. */
    int apply(int state) {
        return switch (kind) {
            case READ -> state == value || state == ANY ? value : REJECT;
            case WRITE -> value;
            case CAS_SWAPPED -> state == expected || state == ANY ? value : REJECT;
            // From ANY the value stays unknown: "anything but expected" is weakened to "anything", which can
            // only make a window easier to linearize, so a window found failing still proves the failure.
            case CAS_NOT_SWAPPED -> state == expected ? REJECT : state;
        };
    }
}
