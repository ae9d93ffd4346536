package dev.lockstep.migrations.plan;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A hand-written warehouse migration from the definition's {@code warehouse.migrations} folder:
 * {@code V<n>__<description>.sql} and its down script {@code U<n>__<description>.sql} beside it (Flyway's naming;
 * {@code U} is Flyway's prefix for undo). {@code n} is the folder's own sequence, stable as the files are: a
 * deployment runs the new ones in that order, after the generated expand phase, under the next numbers of the
 * pipeline's warehouse migrations.
 */
public record HandWrittenMigration(int version, String description, String fileName, String up,
        Optional<String> down) {

    private static final Pattern NAME = Pattern.compile("([VU])([1-9][0-9]{0,8})__([A-Za-z0-9_]+)\\.sql");
    private static final Pattern STORED = Pattern.compile("hand_written_v([1-9][0-9]{0,8})_([a-z0-9_]+)");
    private static final String UNDO = "undo_";

    public HandWrittenMigration {
        requireNonNull(description, "description");
        requireNonNull(fileName, "fileName");
        requireNonNull(up, "up");
        requireNonNull(down, "down");
    }

    /**
     * Reads the migrations of {@code folder}, by version; every mistake at once — a {@code .sql} file named
     * otherwise, two files of one version, a down script without its migration — is one
     * {@link ErrorCode#INVALID_INPUT} naming the files.
     */
    public static List<HandWrittenMigration> read(Path folder) {
        Map<Integer, Path> ups = new TreeMap<>();
        Map<Integer, Path> downs = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.sorted().toList()) {
                String name = file.getFileName().toString();
                if (!name.endsWith(".sql")) {
                    continue;
                }
                Matcher m = NAME.matcher(name);
                if (!m.matches()) {
                    problems.add(file + ": not a migration's name; use V<n>__<description>.sql (letters, digits, _) "
                            + "and U<n>__<description>.sql for its down script");
                    continue;
                }
                Map<Integer, Path> kind = m.group(1).equals("V") ? ups : downs;
                Path other = kind.putIfAbsent(Integer.parseInt(m.group(2)), file);
                if (other != null) {
                    problems.add(file + ": version " + m.group(2) + " is also " + other.getFileName());
                }
            }
        } catch (IOException e) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "cannot read the hand-written migrations in "
                    + folder + ": " + e.getMessage());
        }
        downs.forEach((version, file) -> {
            Path up = ups.get(version);
            if (up == null || !description(up).equals(description(file))) {
                problems.add(file + ": a down script without its migration V" + version + "__" + description(file)
                        + ".sql");
            }
        });
        if (!problems.isEmpty()) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "hand-written migrations:\n" + String.join("\n",
                    problems));
        }
        List<HandWrittenMigration> migrations = new ArrayList<>();
        ups.forEach((version, file) -> migrations.add(new HandWrittenMigration(version, description(file),
                file.getFileName().toString(), text(file), Optional.ofNullable(downs.get(version))
                        .map(HandWrittenMigration::text))));
        return migrations;
    }

    private static String description(Path file) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        return m.matches() ? m.group(3) : "";
    }

    private static String text(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "cannot read " + file + ": " + e.getMessage());
        }
    }

    /**
     * Returns the description it is stored under among the pipeline's warehouse migrations, which number it on from
     * the generated ones: {@code hand_written_v<n>_<description>} (lower case), how a later deployment knows it is
     * deployed already.
     */
    public String storedDescription() {
        String stored = "hand_written_v" + version + "_" + description.substring(undone() ? UNDO.length() : 0);
        return (undone() ? UNDO : "") + stored.toLowerCase(Locale.ROOT);
    }

    /**
     * Returns the migration a rollback runs to undo this one — its down script as a new forward migration, stored as
     * {@code undo_hand_written_v<n>_<description>} — or empty when it has no down script.
     */
    public Optional<HandWrittenMigration> undo() {
        return down.map(script -> new HandWrittenMigration(version, UNDO + description, "U" + version + "__"
                + description + ".sql", script, Optional.of(up)));
    }

    /**
     * Returns the stored description of the hand-written migration that {@code storedDescription} undoes, or empty
     * when it is not an undo's.
     */
    public static Optional<String> undoneBy(String storedDescription) {
        return storedDescription.startsWith(UNDO) ? Optional.of(storedDescription.substring(UNDO.length()))
                : Optional.empty();
    }

    /** Tells whether this migration undoes a hand-written one ({@link #undo()}). */
    public boolean undone() {
        return description.startsWith(UNDO) && fileName.startsWith("U");
    }

    /**
     * Returns the hand-written migration stored as {@code storedDescription} with scripts {@code up} and
     * {@code down} (blank: none), or empty when the description is not a hand-written migration's (a generated
     * one, or an undo).
     */
    public static Optional<HandWrittenMigration> stored(String storedDescription, String up, String down) {
        Matcher m = STORED.matcher(storedDescription);
        if (!m.matches()) {
            return Optional.empty();
        }
        int version = Integer.parseInt(m.group(1));
        return Optional.of(new HandWrittenMigration(version, m.group(2), "V" + version + "__" + m.group(2) + ".sql",
                up, down.isBlank() ? Optional.empty() : Optional.of(down)));
    }

    /**
     * Tells whether this migration drops {@code object} — a view or materialized view ({@code schema.name}), or a
     * policy ({@code name on schema.table}) — so that a change breaking it is handled in the same deployment.
     */
    public boolean drops(String object, String kind) {
        String sql = up.replace("\"", "").toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        String name = object.replace("\"", "").toLowerCase(Locale.ROOT);
        if (kind.equals("policy")) {
            String[] parts = name.split(" on ", 2);
            return parts.length == 2 && Pattern.compile("drop policy (if exists )?" + Pattern.quote(parts[0])
                    + " on (" + Pattern.quote(parts[1]) + "|" + Pattern.quote(parts[1].substring(parts[1]
                    .indexOf('.') + 1)) + ")\\b").matcher(sql).find();
        }
        String schema = name.substring(0, Math.max(0, name.indexOf('.')));
        Matcher drop = Pattern.compile("drop (?:materialized )?view (?:if exists )?(?:([a-z0-9_]+)\\.)?"
                + Pattern.quote(name.substring(name.indexOf('.') + 1)) + "\\b").matcher(sql);
        while (drop.find()) {
            if (drop.group(1) == null || drop.group(1).equals(schema)) {
                return true; // unqualified: the search path's, as the user's session resolves it
            }
        }
        return false;
    }
}
