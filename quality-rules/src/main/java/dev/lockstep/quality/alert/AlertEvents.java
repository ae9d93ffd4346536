package dev.lockstep.quality.alert;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.Severity;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonCloudEventData;
import io.cloudevents.jackson.JsonFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Converts {@link Alert}s to and from CloudEvents 1.0 in the JSON event format, structured mode (content type
 * {@value #CONTENT_TYPE}), with the official CloudEvents SDK. Extension attributes: {@code severity}, {@code pipeline}
 * and {@code rule} (absent when no rule raised the alert). Thread-safe; the methods are static.
 */
public final class AlertEvents {

    /** The content type of a structured-mode CloudEvents JSON document. */
    public static final String CONTENT_TYPE = JsonFormat.CONTENT_TYPE;
    /** The content type of an alert's {@code data}. */
    public static final String DATA_CONTENT_TYPE = "application/json";
    /** Extension attribute: the alert's severity, lower case ({@code info}, {@code warning}, {@code critical}). */
    public static final String SEVERITY = "severity";
    /** Extension attribute: the pipeline's name. */
    public static final String PIPELINE = "pipeline";
    /** Extension attribute: the rule's name; absent when no rule raised the alert. */
    public static final String RULE = "rule";

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> SAMPLE_KEY = new TypeReference<>() {};
    private static final EventFormat FORMAT = requireNonNull(
            EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE),
            "no CloudEvents JSON format on the class path (cloudevents-json-jackson)");

    private AlertEvents() {}

    /** Returns {@code alert} as a CloudEvent; never null. */
    public static CloudEvent toCloudEvent(Alert alert) {
        CloudEventBuilder builder = CloudEventBuilder.v1()
                .withId(alert.id().toString())
                .withSource(alert.source())
                .withType(alert.type().type())
                .withTime(alert.time().atOffset(ZoneOffset.UTC))
                .withDataContentType(DATA_CONTENT_TYPE)
                .withData(JsonCloudEventData.wrap(dataJson(alert.data())))
                .withExtension(SEVERITY, alert.severity().yamlName())
                .withExtension(PIPELINE, alert.pipeline());
        if (alert.rule() != null) {
            builder.withSubject(alert.rule()).withExtension(RULE, alert.rule());
        }
        return builder.build();
    }

    /** Returns {@code alert} as a structured-mode CloudEvents JSON document, UTF-8. */
    public static byte[] serialize(Alert alert) {
        return FORMAT.serialize(toCloudEvent(alert));
    }

    /** Returns {@code alert} as a structured-mode CloudEvents JSON document. */
    public static String toJson(Alert alert) {
        return new String(serialize(alert), StandardCharsets.UTF_8);
    }

    /** Parses a structured-mode CloudEvents JSON document written by {@link #serialize}; throws INVALID_INPUT. */
    public static Alert parse(byte[] document) {
        CloudEvent event;
        try {
            event = FORMAT.deserialize(requireNonNull(document, "document"));
        } catch (RuntimeException e) {
            throw invalid("not a CloudEvents JSON document: " + e.getMessage(), e);
        }
        return fromCloudEvent(event);
    }

    /** Parses a structured-mode CloudEvents JSON document written by {@link #toJson}; throws INVALID_INPUT. */
    public static Alert parse(String document) {
        return parse(requireNonNull(document, "document").getBytes(StandardCharsets.UTF_8));
    }

    /** Returns the alert a CloudEvent written by {@link #toCloudEvent} carries; throws INVALID_INPUT. */
    public static Alert fromCloudEvent(CloudEvent event) {
        String id = event.getId();
        try {
            String source = event.getSource().toString();
            String pipeline = text(event, PIPELINE);
            if (!source.equals(Alert.SOURCE_PREFIX + pipeline)) {
                throw new IllegalArgumentException("source " + source + " does not match pipeline " + pipeline);
            }
            if (event.getTime() == null) {
                throw new IllegalArgumentException("time is missing");
            }
            Severity severity = Severity.valueOf(text(event, SEVERITY).toUpperCase(Locale.ROOT));
            Object rule = event.getExtension(RULE);
            return new Alert(UUID.fromString(id), AlertType.fromType(event.getType()), pipeline,
                    rule == null ? null : rule.toString(), severity, event.getTime().toInstant(), data(event));
        } catch (IllegalArgumentException | NullPointerException | IOException e) {
            throw invalid("CloudEvent " + id + " is not a Lockstep alert: " + e.getMessage(), e);
        }
    }

    private static String text(CloudEvent event, String extension) {
        Object value = event.getExtension(extension);
        if (value == null) {
            throw new IllegalArgumentException("extension " + extension + " is missing");
        }
        return value.toString();
    }

    private static ObjectNode dataJson(AlertData data) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("violations", data.violations());
        node.put("rows_checked", data.rowsChecked());
        if (data.target() != null) {
            node.put("target", data.target());
        }
        if (data.ruleKind() != null) {
            node.put("rule_kind", data.ruleKind());
        }
        node.put("message", data.message());
        ArrayNode samples = node.putArray("sample_keys");
        data.sampleKeys().forEach(key -> samples.add(MAPPER.valueToTree(key)));
        return node;
    }

    /** Returns the event data of {@code data} as JSON text: what the alerts outbox stores as a row's payload. */
    public static String dataToJson(AlertData data) {
        return dataJson(data).toString();
    }

    /** Parses a sample key given as a JSON object (e.g. a quarantine row's natural_key); throws INVALID_INPUT. */
    public static Map<String, Object> sampleKey(String json) {
        try {
            return MAPPER.readValue(json, SAMPLE_KEY);
        } catch (IOException e) {
            throw invalid("not a JSON object: " + e.getMessage(), e);
        }
    }

    /** Parses event data written by {@link #dataToJson}; throws INVALID_INPUT. */
    public static AlertData dataFromJson(String json) {
        try {
            return data(MAPPER.readTree(json));
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw invalid("not Lockstep alert data: " + e.getMessage(), e);
        }
    }

    private static AlertData data(CloudEvent event) throws IOException {
        if (event.getData() == null) {
            throw new IllegalArgumentException("data is missing");
        }
        return data(event.getData() instanceof JsonCloudEventData json ? json.getNode()
                : MAPPER.readTree(event.getData().toBytes()));
    }

    private static AlertData data(JsonNode node) {
        List<Map<String, Object>> samples = new ArrayList<>();
        for (JsonNode key : node.path("sample_keys")) {
            samples.add(MAPPER.convertValue(key, SAMPLE_KEY));
        }
        return new AlertData(node.path("violations").asLong(), node.path("rows_checked").asLong(),
                optionalText(node, "target"), optionalText(node, "rule_kind"),
                requireNonNull(optionalText(node, "message"), "data.message is missing"), samples);
    }

    private static String optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static LockstepException invalid(String message, Exception cause) {
        return new LockstepException(ErrorCode.INVALID_INPUT, message, cause);
    }
}
