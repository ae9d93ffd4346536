package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A validated pipeline definition: one source database, its star schema in the warehouse, the quality rules
 * and the runtime settings. Instances come from {@link DefinitionParser}; every reference in them resolves.
 */
public record PipelineDefinition(
        String pipeline,
        ZoneId timezone,
        Source source,
        Warehouse warehouse,
        Map<String, Dimension> dimensions,
        Map<String, Fact> facts,
        List<QualityRule> quality,
        SchemaChangePolicy schemaChanges,
        Load load,
        Sla sla,
        Alerts alerts) {

    public PipelineDefinition {
        requireNonNull(pipeline, "pipeline");
        requireNonNull(timezone, "timezone");
        requireNonNull(source, "source");
        requireNonNull(warehouse, "warehouse");
        dimensions = Copies.orderedMap(dimensions);
        facts = Copies.orderedMap(facts);
        quality = List.copyOf(quality);
        requireNonNull(schemaChanges, "schemaChanges");
        requireNonNull(load, "load");
        requireNonNull(sla, "sla");
        requireNonNull(alerts, "alerts");
    }

    /** Returns the pipeline's name (the {@code pipeline} key). */
    public String name() {
        return pipeline;
    }

    /** Returns the dimension with this name, if any. */
    public Optional<Dimension> dimension(String name) {
        return Optional.ofNullable(dimensions.get(name));
    }

    /** Returns the fact with this name, if any. */
    public Optional<Fact> fact(String name) {
        return Optional.ofNullable(facts.get(name));
    }
}
