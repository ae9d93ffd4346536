package dev.lockstep.core.definition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The definition fixtures under {@code src/test/resources/definitions/}, and the repository's own files. */
final class Fixtures {

    private Fixtures() {}

    /** Returns the fixture directory {@code definitions/<name>}. */
    static Path directory(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/definitions/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns the YAML files of a fixture directory, sorted. */
    static Stream<Path> files(String name) {
        try (Stream<Path> files = Files.list(directory(name))) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns a file of the repository (the module's parent directory), e.g. {@code examples/shop/pipeline.yaml}. */
    static Path repository(String path) {
        return Path.of("..").resolve(path).normalize();
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns the lines of a fixture that start with {@code # <tag>: }, without the prefix. */
    static List<String> tagged(Path file, String tag) {
        String prefix = "# " + tag + ": ";
        return read(file).lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).toList();
    }

    /** Returns the environment a fixture declares with {@code # env: NAME=value} lines. */
    static Map<String, String> environment(Path file) {
        Map<String, String> env = new HashMap<>();
        for (String line : tagged(file, "env")) {
            String[] pair = line.split("=", 2);
            env.put(pair[0], pair[1]);
        }
        return env;
    }

    /** Parses a fixture as {@code <file name>}, with the environment it declares. */
    static ParsedDefinition parse(Path file) {
        Map<String, String> env = environment(file);
        return DefinitionParser.create().withEnvironment(env::get).parse(file.getFileName().toString(), read(file));
    }

    /** Returns a problem the way fixtures write it: {@code line:column: [code] path: message}. */
    static String expectation(Problem problem) {
        return problem.location().line() + ":" + problem.location().column() + ": [" + problem.type().code() + "] "
                + (problem.path().isEmpty() ? "" : problem.path() + ": ") + (problem.isError() ? "" : "warning: ")
                + problem.message();
    }
}
