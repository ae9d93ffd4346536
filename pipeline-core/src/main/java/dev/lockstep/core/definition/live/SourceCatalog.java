package dev.lockstep.core.definition.live;

import dev.lockstep.core.stream.TableId;
import java.util.Collection;
import java.util.Map;

/** The source database's catalog, as {@code --connect} needs it. Implemented in connectors; not thread-safe. */
public interface SourceCatalog extends AutoCloseable {

    /** Returns the relations that exist among {@code tables}, by id; a missing table has no entry. */
    Map<TableId, SourceTable> describe(Collection<TableId> tables);

    /** Returns the server's {@code wal_level} setting. */
    String walLevel();

    /** Returns {@code user@host:port/database}, for messages; never a password. */
    String describeDatabase();

    /** Closes the connection. */
    @Override
    void close();
}
