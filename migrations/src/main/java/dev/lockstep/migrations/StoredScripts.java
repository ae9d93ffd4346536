package dev.lockstep.migrations;

import java.io.Reader;
import java.io.StringReader;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.flywaydb.core.api.ResourceProvider;
import org.flywaydb.core.api.resource.LoadableResource;

/**
 * Flyway's only source of SQL migrations for a pipeline: the up scripts stored in
 * {@code lockstep.warehouse_migrations}, served from memory as {@code V<version>__<description>.sql}. Nothing is
 * written to disk, and the text Flyway checksums is exactly the stored text. Down scripts are never served.
 */
final class StoredScripts implements ResourceProvider {

    private final List<Script> scripts;

    StoredScripts(String pipeline, Collection<StoredMigration> stored) {
        this.scripts = stored.stream().map(m -> new Script(pipeline, m.fileName(), m.up())).toList();
    }

    @Override
    public LoadableResource getResource(String name) {
        return scripts.stream().filter(s -> s.getFilename().equals(name)).findFirst().orElse(null);
    }

    @Override
    public Collection<LoadableResource> getResources(String prefix, String[] suffixes) {
        return scripts.stream()
                .filter(s -> s.getFilename().startsWith(prefix))
                .filter(s -> Arrays.stream(suffixes).anyMatch(s.getFilename()::endsWith))
                .map(LoadableResource.class::cast)
                .toList();
    }

    /** One stored up script; its paths name the control table it came from. */
    private static final class Script extends LoadableResource {

        private final String path;
        private final String fileName;
        private final String text;

        Script(String pipeline, String fileName, String text) {
            this.path = "lockstep.warehouse_migrations/" + pipeline + "/" + fileName;
            this.fileName = fileName;
            this.text = text;
        }

        @Override
        public Reader read() {
            return new StringReader(text);
        }

        @Override
        public String getAbsolutePath() {
            return path;
        }

        @Override
        public String getAbsolutePathOnDisk() {
            return path;
        }

        @Override
        public String getFilename() {
            return fileName;
        }

        @Override
        public String getRelativePath() {
            return fileName;
        }
    }
}
