package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A value that must never be printed: a password, or a webhook URL that embeds a token.
 *
 * <p>{@link #toString()} shows where the value comes from, never the value; only {@link #reveal()}
 * returns it, for the one call that needs it (opening a connection, posting to a webhook).
 */
public final class Secret {

    private static final String MASK = "******";

    private final String origin;
    private final String shown;
    private final String value;
    private final Path file;

    private Secret(String origin, String shown, String value, Path file) {
        this.origin = requireNonNull(origin, "origin");
        this.shown = requireNonNull(shown, "shown");
        this.value = value;
        this.file = file;
    }

    /** Returns a secret read from an environment variable (already resolved). */
    public static Secret fromEnvironment(String variable, String value) {
        requireNonNull(variable, "variable");
        requireNonNull(value, "value");
        return new Secret("environment variable " + variable, MASK, value, null);
    }

    /** Returns a secret that is the content of a file, read when revealed, without a trailing newline. */
    public static Secret fromFile(Path file) {
        requireNonNull(file, "file");
        return new Secret("file " + file, MASK, null, file);
    }

    /** Returns a secret written in the definition itself, shown as {@code shown} (e.g. a URL without its path). */
    public static Secret literal(String value, String shown) {
        requireNonNull(value, "value");
        return new Secret("the definition", shown, value, null);
    }

    /** Returns the value; for a file secret, reads the file now. */
    public String reveal() {
        if (file == null) {
            return value;
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8).stripTrailing();
        } catch (IOException e) {
            throw new LockstepException(ErrorCode.INVALID_INPUT,
                    "cannot read the secret file " + file + ": " + e.getClass().getSimpleName());
        }
    }

    /** Returns where the value comes from, e.g. {@code environment variable SHOP_DB_PASSWORD}; never the value. */
    public String origin() {
        return origin;
    }

    /** Returns a masked form, e.g. {@code ****** (environment variable SHOP_DB_PASSWORD)}. */
    @Override
    public String toString() {
        return shown + " (" + origin + ")";
    }

    /** Secrets are equal when they come from the same place and show the same way; values are not compared. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Secret other && origin.equals(other.origin) && shown.equals(other.shown)
                && Objects.equals(file, other.file);
    }

    @Override
    public int hashCode() {
        return Objects.hash(origin, shown, file);
    }
}
