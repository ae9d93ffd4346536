package dev.lockstep.core.stream;

/** What a change did to its row. */
public enum Operation {
    /** A row read by a snapshot. */
    READ('r'),
    CREATE('c'),
    UPDATE('u'),
    DELETE('d');

    private final char code;

    Operation(char code) {
        this.code = code;
    }

    /** Returns Debezium's one-letter code for this operation. */
    public char code() {
        return code;
    }

    /** Returns the operation for Debezium's one-letter code. */
    public static Operation ofCode(String code) {
        if (code != null && code.length() == 1) {
            for (Operation op : values()) {
                if (op.code == code.charAt(0)) {
                    return op;
                }
            }
        }
        throw new IllegalArgumentException("unknown operation code: " + code);
    }
}
