package dev.lockstep.benchmarks.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The WARN and ERROR lines of a run's {@code lockstep run} logs ({@code --log-file}, Lockstep's and the libraries'
 * lines), summarised for a failed run's report: per log file,
 * how many there are and which kinds (logger and message, numbers blanked; a Kafka "Error: CODE" by its code).
 */
final class LogScan {

    private static final Pattern LOGGED = Pattern.compile("^(?:\\d{4}-\\d\\d-\\d\\d )?"
            + "\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (WARN|ERROR) +(?:\\[[^\\]]*\\] )?(\\S+) - (.*)$");
    private static final Pattern KAFKA_ERROR = Pattern.compile("Error: ([A-Z_]+)");
    private static final int KINDS = 3;
    private static final int WIDTH = 140;

    private LogScan() {}

    /** Returns one line per {@code lockstep-run-*.detail.log} in {@code directory} that has WARN or ERROR lines. */
    static List<String> summarise(Path directory) {
        List<String> summary = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path log : files.filter(f -> f.getFileName().toString().matches("lockstep-run-\\d+\\.detail\\.log"))
                    .sorted((a, b) -> Integer.compare(number(a), number(b))).toList()) {
                Map<String, Integer> kinds = kinds(log);
                if (!kinds.isEmpty()) {
                    int total = kinds.values().stream().mapToInt(Integer::intValue).sum();
                    summary.add(log.getFileName() + ": " + total + " WARN/ERROR line(s): " + kinds.entrySet()
                            .stream().limit(KINDS).map(e -> e.getKey() + " (" + e.getValue() + ")")
                            .collect(Collectors.joining("; ")) + (kinds.size() > KINDS ? "; …" : ""));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the logs in " + directory, e);
        }
        return summary;
    }

    private static Map<String, Integer> kinds(Path log) throws IOException {
        Map<String, Integer> kinds = new LinkedHashMap<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            Matcher logged = LOGGED.matcher(line);
            if (logged.matches()) {
                kinds.merge(kind(logged.group(1), logged.group(2), logged.group(3)), 1, Integer::sum);
            }
        }
        return kinds;
    }

    private static String kind(String level, String logger, String message) {
        Matcher code = KAFKA_ERROR.matcher(message);
        String text = code.find() ? "Error: " + code.group(1) : message.replaceAll("\\d+", "#");
        String kind = level + " " + logger + " " + text;
        return kind.length() <= WIDTH ? kind : kind.substring(0, WIDTH) + "…";
    }

    private static int number(Path log) {
        String name = log.getFileName().toString();
        return Integer.parseInt(name.substring("lockstep-run-".length(), name.length() - ".detail.log".length()));
    }
}
