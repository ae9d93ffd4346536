package dev.lockstep.core.definition;

/** A dimension of the star schema: built from a source table, or generated (the date dimension). */
public sealed interface Dimension permits SourceDimension, DateDimension {

    /** Returns the dimension's name, as written in the definition. */
    String name();

    /** Returns the warehouse table, {@code dim_<name>}. */
    default String tableName() {
        return "dim_" + name();
    }

    /** Returns the surrogate key column, {@code <name>_key}. */
    default String surrogateKey() {
        return name() + "_key";
    }

    /** Returns how many expressions a fact gives to reference this dimension. */
    int keyArity();
}
