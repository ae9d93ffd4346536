package dev.lockstep.quality.alert;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CloudEvents {@code data} of an alert: counts, the target and rule kind (null when the alert has none), a
 * message, and up to {@link #MAX_SAMPLE_KEYS} sample keys of failing rows, which the caller has already masked (PII
 * columns never reach an alert unmasked). Values of a sample key are JSON scalars (string, number, boolean, null).
 */
public record AlertData(long violations, long rowsChecked, String target, String ruleKind, String message,
        List<Map<String, Object>> sampleKeys) {

    /** At most this many sample keys are kept; further ones are dropped. */
    public static final int MAX_SAMPLE_KEYS = 10;

    public AlertData {
        if (violations < 0 || rowsChecked < 0) {
            throw new IllegalArgumentException("counts must not be negative: violations=" + violations
                    + ", rowsChecked=" + rowsChecked);
        }
        requireNonNull(message, "message");
        sampleKeys = copy(requireNonNull(sampleKeys, "sampleKeys"));
    }

    /** Returns data that carries only a message: no counts, target, rule kind or samples. */
    public static AlertData message(String message) {
        return new AlertData(0, 0, null, null, message, List.of());
    }

    private static List<Map<String, Object>> copy(List<Map<String, Object>> keys) {
        return keys.stream().limit(MAX_SAMPLE_KEYS)
                .map(k -> Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(k, "sample key"))))
                .toList();
    }
}
