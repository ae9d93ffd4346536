package dev.lockstep.core.definition;

import java.util.Locale;

/** The kinds of problems a definition can have; {@link #code()} is stable and appears in JSON output. */
public enum ProblemType {
    // The file and its YAML
    FILE_UNREADABLE("the file cannot be read"),
    FILE_TOO_LARGE("the file is larger than a definition may be"),
    NOT_UTF8("the file is not valid UTF-8"),
    EMPTY_FILE("the file holds no definition"),
    YAML_SYNTAX("the YAML cannot be parsed"),
    MULTIPLE_DOCUMENTS("the file holds more than one YAML document"),
    TOO_DEEP("the YAML is nested too deeply"),
    ALIAS_LIMIT("YAML aliases expand to too many nodes"),
    UNKNOWN_ALIAS("a YAML alias names no anchor"),
    DUPLICATE_KEY("a key appears twice in one mapping"),
    // Interpolation and secrets
    MISSING_VARIABLE("a ${VAR} names an environment variable that is not set"),
    INVALID_INTERPOLATION("a ${...} is malformed"),
    LITERAL_SECRET("a password is written in the definition instead of referenced"),
    // Structure and values
    UNKNOWN_KEY("a key is not part of the definition format"),
    MISSING_KEY("a required key is missing"),
    WRONG_TYPE("a value has the wrong shape (mapping, list or scalar) or type"),
    NOT_ALLOWED("a value is not one of the allowed values"),
    OUT_OF_RANGE("a number, duration or percentage is outside its range"),
    INVALID_DURATION("a duration cannot be read"),
    INVALID_PERCENT("a percentage cannot be read"),
    INVALID_DATE("a date cannot be read"),
    INVALID_TIMEZONE("a time zone is unknown"),
    INVALID_URL("a URL cannot be read or has the wrong scheme"),
    EMPTY_LIST("a list that needs entries is empty"),
    // Names
    INVALID_NAME("a name is not a valid SQL identifier"),
    RESERVED_WORD("a name is a PostgreSQL reserved word"),
    NAME_TOO_LONG("a name, or a name derived from it, exceeds PostgreSQL's 63 bytes"),
    INVALID_TABLE_NAME("a table name cannot be read"),
    DUPLICATE_NAME("two things that need distinct names share one"),
    DUPLICATE_ENTRY("a list holds the same entry twice"),
    NAME_CONFLICT("a column name collides with a column Lockstep generates"),
    INVALID_RENAME("a renamed_from names a column that still exists, or one previous name twice"),
    // References
    TABLE_NOT_LISTED("a table is used but not listed in source.tables"),
    UNKNOWN_DIMENSION("a dimension reference names no dimension"),
    UNKNOWN_TARGET("a rule's target names no dimension or fact"),
    UNKNOWN_COLUMN("a column is not among the columns in scope"),
    UNKNOWN_LOOKUP("a qualifier names no lookup"),
    LOOKUP_CYCLE("lookups refer to each other in a cycle"),
    KEY_MISMATCH("a dimension reference gives a different number of key parts than the dimension's key"),
    INVALID_PARTITION("partition_by does not name a date dimension reference"),
    CONFLICTING_KEYS("keys that exclude each other are both given"),
    NOT_APPLICABLE("a key does not apply in this context"),
    INVALID_RANGE("a lower bound is above its upper bound"),
    INVALID_REGEX("a regular expression cannot be compiled"),
    ON_FAIL_NOT_ALLOWED("an on_fail action is not available for this rule kind"),
    DUPLICATE_PIPELINE("two definition files use the same pipeline name"),
    // Expressions
    EXPRESSION_SYNTAX("an expression is not valid PostgreSQL syntax"),
    EXPRESSION_SCOPE("an expression refers to something outside its scope"),
    EXPRESSION_NOT_ALLOWED("an expression uses a construct that cannot be evaluated per row"),
    // With --connect
    TABLE_NOT_FOUND("a source table does not exist"),
    NOT_A_TABLE("a source relation is not a table"),
    COLUMN_NOT_FOUND("a source column does not exist"),
    NO_ROW_IDENTITY("a source table has neither a primary key nor a usable replica identity"),
    FULL_ROW_IDENTITY("a source table is identified by REPLICA IDENTITY FULL only"),
    WAL_LEVEL("the source database does not run with wal_level = logical"),
    TYPE_ERROR("PostgreSQL rejects an expression"),
    TYPE_MISMATCH("an expression's result type does not fit where it is used"),
    OFFLINE_PARSER_LIMIT("the offline parser could not read an expression that PostgreSQL accepts");

    private final String description;

    ProblemType(String description) {
        this.description = description;
    }

    /** Returns the stable code, e.g. {@code unknown_key}. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns a one-line description for documentation. */
    public String description() {
        return description;
    }
}
