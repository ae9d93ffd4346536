package dev.lockstep.quality.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.Severity;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import java.net.URI;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class AlertEventsTest {

    static final UUID ID = UUID.fromString("0f8e6a3c-2b7d-4a51-9c1e-3d4f5a6b7c8d");
    static final Instant TIME = Instant.parse("2026-11-21T16:20:00.123Z");
    static final ObjectMapper JSON = new ObjectMapper();

    static Alert breached() {
        Map<String, Object> key = new LinkedHashMap<>();
        key.put("id", 42);
        key.put("email", "****@example.com");
        return Alert.breached(ID, "shop", "customer_email_not_null", Severity.WARNING, TIME,
                new AlertData(3, 5000, "customer", "not_null", "email is null", List.of(key)));
    }

    @Test
    void shouldWriteExactCloudEventsAttributesAndExtensions() {
        CloudEvent event = AlertEvents.toCloudEvent(breached());

        assertThat(event.getSpecVersion()).isEqualTo(SpecVersion.V1);
        assertThat(event.getId()).isEqualTo(ID.toString());
        assertThat(event.getType()).isEqualTo("dev.lockstep.rule.breached");
        assertThat(event.getSource()).isEqualTo(URI.create("urn:lockstep:pipeline:shop"));
        assertThat(event.getSubject()).isEqualTo("customer_email_not_null");
        assertThat(event.getTime()).isEqualTo(OffsetDateTime.of(2026, 11, 21, 16, 20, 0, 123_000_000, ZoneOffset.UTC));
        assertThat(event.getDataContentType()).isEqualTo("application/json");
        assertThat(event.getExtensionNames()).containsExactlyInAnyOrder("severity", "pipeline", "rule");
        assertThat(event.getExtension("severity")).isEqualTo("warning");
        assertThat(event.getExtension("pipeline")).isEqualTo("shop");
        assertThat(event.getExtension("rule")).isEqualTo("customer_email_not_null");
    }

    @Test
    void shouldWriteStructuredModeJsonDocument() throws Exception {
        JsonNode document = JSON.readTree(AlertEvents.serialize(breached()));

        JsonNode expected = JSON.readTree("""
                {
                  "specversion": "1.0",
                  "id": "0f8e6a3c-2b7d-4a51-9c1e-3d4f5a6b7c8d",
                  "source": "urn:lockstep:pipeline:shop",
                  "type": "dev.lockstep.rule.breached",
                  "datacontenttype": "application/json",
                  "subject": "customer_email_not_null",
                  "time": "2026-11-21T16:20:00.123Z",
                  "severity": "warning",
                  "pipeline": "shop",
                  "rule": "customer_email_not_null",
                  "data": {
                    "violations": 3,
                    "rows_checked": 5000,
                    "target": "customer",
                    "rule_kind": "not_null",
                    "message": "email is null",
                    "sample_keys": [ { "id": 42, "email": "****@example.com" } ]
                  }
                }
                """);
        assertThat(document).isEqualTo(expected);
        assertThat(AlertEvents.CONTENT_TYPE).isEqualTo("application/cloudevents+json");
    }

    @Test
    void shouldRoundTripEveryAlertType() {
        for (AlertType type : AlertType.values()) {
            Alert alert = new Alert(UUID.randomUUID(), type, "shop", "freshness_order_line", Severity.CRITICAL,
                    TIME, breached().data());

            assertThat(AlertEvents.parse(AlertEvents.toJson(alert))).isEqualTo(alert);
            assertThat(AlertType.fromType(type.type())).isEqualTo(type);
        }
    }

    @Test
    void shouldOmitRuleAndSubjectOfPipelineFailureWithoutRule() throws Exception {
        Alert alert = Alert.pipelineFailed(ID, "shop", null, TIME, AlertData.message("schema change under fail"));

        JsonNode document = JSON.readTree(AlertEvents.serialize(alert));

        assertThat(document.has("rule")).isFalse();
        assertThat(document.has("subject")).isFalse();
        assertThat(document.get("severity").asText()).isEqualTo("critical");
        assertThat(document.get("type").asText()).isEqualTo("dev.lockstep.pipeline.failed");
        assertThat(document.get("data").has("target")).isFalse();
        assertThat(AlertEvents.parse(AlertEvents.serialize(alert))).isEqualTo(alert);
    }

    @Test
    void shouldKeepAtMostTenSampleKeysAndAllowNullKeyValues() {
        List<Map<String, Object>> keys = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            Map<String, Object> key = new LinkedHashMap<>();
            key.put("id", i);
            key.put("region", null);
            keys.add(key);
        }
        AlertData data = new AlertData(25, 25, "customer", "unique", "duplicate email", keys);

        assertThat(data.sampleKeys()).hasSize(AlertData.MAX_SAMPLE_KEYS);
        Alert alert = Alert.violation(ID, "shop", "u", Severity.INFO, TIME, data);
        assertThat(AlertEvents.parse(AlertEvents.serialize(alert)).data().sampleKeys()).isEqualTo(data.sampleKeys());
    }

    @Test
    void shouldRejectDocumentThatIsNotALockstepAlert() {
        String foreign = """
                {"specversion":"1.0","id":"1","source":"urn:other","type":"com.example.thing",
                 "datacontenttype":"application/json","data":{}}
                """;

        assertThatThrownBy(() -> AlertEvents.parse(foreign))
                .isInstanceOf(LockstepException.class)
                .hasMessageContaining("CloudEvent 1 is not a Lockstep alert")
                .satisfies(e -> assertThat(((LockstepException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT));
        assertThatThrownBy(() -> AlertEvents.parse("{not json"))
                .isInstanceOf(LockstepException.class)
                .hasMessageContaining("not a CloudEvents JSON document");
    }

    @Test
    void shouldRequireRuleForRuleAlerts() {
        assertThatThrownBy(() -> Alert.breached(ID, "shop", null, Severity.INFO, TIME, AlertData.message("x")))
                .hasMessageContaining("dev.lockstep.rule.breached needs a rule");
        assertThatThrownBy(() -> new AlertData(-1, 0, null, null, "x", List.of()))
                .hasMessageContaining("violations=-1");
        assertThatThrownBy(() -> AlertType.fromType("dev.lockstep.nope"))
                .hasMessageContaining("unknown alert type dev.lockstep.nope");
    }
}
