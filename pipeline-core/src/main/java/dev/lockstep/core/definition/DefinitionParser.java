package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.internal.Binder;
import dev.lockstep.core.definition.internal.DefinitionChecks;
import dev.lockstep.core.definition.internal.DefinitionFormat;
import dev.lockstep.core.definition.internal.Interpolator;
import dev.lockstep.core.definition.internal.ModelBuilder;
import dev.lockstep.core.definition.internal.Problems;
import dev.lockstep.core.definition.internal.Section;
import dev.lockstep.core.definition.internal.SourceText;
import dev.lockstep.core.definition.internal.YamlNode;
import dev.lockstep.core.definition.internal.YamlReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Parses and validates pipeline definitions: YAML with positions, {@code ${VAR}} interpolation, the format's
 * declarations, then the checks that need the whole definition. Every problem is reported at once, with
 * {@code file:line:column}, the field path, what was found and what is allowed. Thread-safe.
 */
public final class DefinitionParser {

    /** The largest definition file accepted, in bytes. */
    public static final int MAX_FILE_BYTES = YamlReader.MAX_CHARS;

    private final Function<String, String> environment;

    private DefinitionParser(Function<String, String> environment) {
        this.environment = requireNonNull(environment, "environment");
    }

    /** Returns a parser that interpolates from the process environment. */
    public static DefinitionParser create() {
        return new DefinitionParser(System::getenv);
    }

    /** Returns a copy that interpolates from the given lookup (null for an unset variable). */
    public DefinitionParser withEnvironment(Function<String, String> environment) {
        return new DefinitionParser(environment);
    }

    /** Parses a file; the file name in problems is the path as given. */
    public ParsedDefinition parse(Path file) {
        String name = file.toString();
        Problems problems = new Problems(name);
        Optional<String> text = read(file, problems);
        if (text.isEmpty()) {
            return new ParsedDefinition(name, problems.sorted(), null, null, Set.of());
        }
        Path directory = file.toAbsolutePath().getParent();
        return parse(name, text.get(), directory == null ? Path.of("") : directory, problems);
    }

    /** Parses text as if read from {@code file}; relative file references resolve against the working directory. */
    public ParsedDefinition parse(String file, String text) {
        return parse(file, text, Path.of("").toAbsolutePath());
    }

    /**
     * Parses text named {@code file} in problems (e.g. a deployed version, which has no file of its own); relative
     * file references resolve against {@code directory}.
     */
    public ParsedDefinition parse(String file, String text, Path directory) {
        return parse(file, text, directory.toAbsolutePath(), new Problems(file));
    }

    private ParsedDefinition parse(String file, String text, Path directory, Problems problems) {
        String body = text.startsWith("\uFEFF") ? text.substring(1) : text;
        SourceText source = new SourceText(file, body);
        if (body.length() > YamlReader.MAX_CHARS) {
            problems.error(ProblemType.FILE_TOO_LARGE, Location.startOf(file), "", "the file has " + body.length()
                    + " characters; a definition may have at most " + YamlReader.MAX_CHARS);
            return new ParsedDefinition(file, problems.sorted(), null, null, Set.of());
        }
        Optional<YamlNode> root = new YamlReader(source, new Interpolator(environment), problems).read();
        if (root.isEmpty()) {
            return new ParsedDefinition(file, problems.sorted(), null, null, Set.of());
        }
        Binder binder = new Binder(source, problems, directory);
        Section section = DefinitionFormat.ROOT.read(root.get(), "", binder);
        Set<String> unparsed = section == null ? Set.of() : DefinitionChecks.run(section, binder);
        List<Problem> sorted = problems.sorted();
        boolean buildable = section != null && sorted.stream().filter(Problem::isError)
                .allMatch(p -> p.type() == ProblemType.EXPRESSION_SYNTAX && unparsed.contains(p.path()));
        PipelineDefinition definition = buildable ? ModelBuilder.build(section) : null;
        return new ParsedDefinition(file, sorted, definition, new SourceMap(source, binder.index()), unparsed);
    }

    private static Optional<String> read(Path file, Problems problems) {
        Location start = Location.startOf(file.toString());
        try {
            if (Files.isDirectory(file)) {
                problems.error(ProblemType.FILE_UNREADABLE, start, "", "is a directory, not a definition file");
                return Optional.empty();
            }
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                problems.error(ProblemType.FILE_TOO_LARGE, start, "", "the file is " + size + " bytes; a definition "
                        + "may be at most " + MAX_FILE_BYTES + " bytes");
                return Optional.empty();
            }
            return decode(file.toString(), Files.readAllBytes(file), problems);
        } catch (NoSuchFileException e) {
            problems.error(ProblemType.FILE_UNREADABLE, start, "", "no such file");
        } catch (AccessDeniedException e) {
            problems.error(ProblemType.FILE_UNREADABLE, start, "", "permission denied");
        } catch (IOException e) {
            problems.error(ProblemType.FILE_UNREADABLE, start, "", "cannot read the file: "
                    + e.getClass().getSimpleName());
        }
        return Optional.empty();
    }

    private static Optional<String> decode(String file, byte[] bytes, Problems problems) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            decoder.flush(out);
            out.flip();
            return Optional.of(out.toString());
        }
        out.flip();
        Location at = new SourceText(file, out.toString()).locationOf(out.length());
        problems.error(ProblemType.NOT_UTF8, at, "", String.format("byte 0x%02X is not valid UTF-8; save the file "
                + "as UTF-8", bytes[in.position()] & 0xFF));
        return Optional.empty();
    }
}
