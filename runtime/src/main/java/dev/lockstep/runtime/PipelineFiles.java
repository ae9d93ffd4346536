package dev.lockstep.runtime;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Problem;
import dev.lockstep.core.definition.Secret;
import dev.lockstep.core.definition.SourcePostgres;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Loads a definition for a command that runs it, and maps it to the stages' settings. */
public final class PipelineFiles {

    private PipelineFiles() {}

    /** Parses and validates {@code file}; every error, with its position, is in the exception's message. */
    public static PipelineDefinition load(Path file) {
        return load(file, System::getenv);
    }

    /** As {@link #load(Path)}, interpolating {@code ${VAR}} from {@code environment} instead of the process's. */
    public static PipelineDefinition load(Path file, Function<String, String> environment) {
        ParsedDefinition parsed = DefinitionParser.create().withEnvironment(environment).parse(file);
        if (!parsed.isValid() || parsed.definition().isEmpty()) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "invalid definition:\n" + parsed.errors().stream()
                    .map(Problem::format).collect(Collectors.joining("\n")));
        }
        return parsed.definition().orElseThrow();
    }

    /** Returns the extract settings of {@code definition}, streaming to Kafka at {@code bootstrapServers}. */
    public static ExtractSettings extractSettings(PipelineDefinition definition, String bootstrapServers) {
        SourcePostgres pg = definition.source().postgres();
        String host = pg.host().orElse(null);
        int port = pg.port();
        String database = pg.database().orElse(null);
        if (pg.url().isPresent()) {
            URI uri = URI.create(pg.url().get().substring("jdbc:".length()));
            host = uri.getHost();
            port = uri.getPort() > 0 ? uri.getPort() : 5432;
            database = uri.getPath().substring(1);
        }
        ExtractSettings settings = new ExtractSettings(definition.pipeline(), host, port, database, pg.user(),
                pg.password().map(Secret::reveal).orElse(""), definition.source().tables(), pg.slot(),
                pg.publication(), switch (definition.source().snapshot()) {
                    case INITIAL -> ExtractSettings.SnapshotMode.INITIAL;
                    case NEVER -> ExtractSettings.SnapshotMode.NEVER;
                }, definition.source().fanout(), bootstrapServers, Duration.ofDays(7), 16 * 1024 * 1024,
                Duration.ofSeconds(10), 8192);
        return settings;
    }
}
