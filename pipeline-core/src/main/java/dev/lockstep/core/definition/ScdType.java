package dev.lockstep.core.definition;

/** How a dimension keeps history: type 1 overwrites, type 2 adds a version per change. */
public enum ScdType {
    /** Overwrite in place; no history. */
    TYPE_1(1),
    /** A new row per change of a tracked column, with {@code valid_from}, {@code valid_to}, {@code is_current}. */
    TYPE_2(2);

    private final int number;

    ScdType(int number) {
        this.number = number;
    }

    /** Returns 1 or 2, as written in a definition. */
    public int number() {
        return number;
    }
}
