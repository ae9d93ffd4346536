package dev.lockstep.app;

import picocli.CommandLine.Option;

/** {@code --kafka}: the Kafka cluster the pipeline's topics live on. */
final class KafkaOption {

    @Option(names = "--kafka", paramLabel = "HOST:PORT[,…]",
            defaultValue = "${env:LOCKSTEP_KAFKA_BOOTSTRAP:-localhost:9092}",
            description = "Kafka bootstrap servers (default: $LOCKSTEP_KAFKA_BOOTSTRAP, else ${DEFAULT-VALUE}).")
    String bootstrapServers;
}
