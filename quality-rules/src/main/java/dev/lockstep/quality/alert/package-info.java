/**
 * Alerts as CloudEvents 1.0 (JSON, structured mode) and the sinks that deliver them: {@link
 * dev.lockstep.quality.alert.KafkaAlertSink} and {@link dev.lockstep.quality.alert.WebhookAlertSink}.
 */
package dev.lockstep.quality.alert;
