package dev.lockstep.core.envelope;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.stream.TableId;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;

/**
 * The Avro schemas of everything on a pipeline's changes topic: one change envelope schema per source table
 * (and per version of that table's columns), transaction boundaries and control messages.
 *
 * <p>A reader tells them apart by {@link #kindOf(Schema)}; every schema is registered in the schema store
 * under its fingerprint before a record written with it becomes visible.
 */
public final class ChangeSchemas {

    /** Schema property: {@code change}, {@code transaction} or {@code control}. */
    public static final String KIND = "lockstep.kind";
    /** Schema property of a change envelope: the source table, {@code schema.table}. */
    public static final String TABLE = "lockstep.table";
    /** Schema property of a change envelope: the pipeline that wrote it. */
    public static final String PIPELINE = "lockstep.pipeline";
    /** Schema property of a change envelope: the version of the table's columns, 1, 2, … */
    public static final String VERSION = "lockstep.schema.version";
    /** Field property: the column's name in the source, where Avro needed another. */
    public static final String COLUMN = "lockstep.column";
    /** Field property: the column's PostgreSQL type, as the source catalog names it. */
    public static final String PG_TYPE = "lockstep.pg.type";

    public static final String NAMESPACE = "dev.lockstep.stream";

    /** Position in commit order: see {@code StreamPosition}. */
    public static final Schema POSITION = SchemaBuilder.record("Position").namespace(NAMESPACE).fields()
            .requiredLong("commit_lsn")
            .requiredLong("sequence")
            .endRecord();

    public static final Schema OPERATION = SchemaBuilder.enumeration("Operation").namespace(NAMESPACE)
            .symbols("READ", "CREATE", "UPDATE", "DELETE");

    /** Whether a change came from the initial snapshot (and whether it is the snapshot's last row). */
    public static final Schema SNAPSHOT_PHASE = SchemaBuilder.enumeration("SnapshotPhase").namespace(NAMESPACE)
            .symbols("STREAMING", "SNAPSHOT", "SNAPSHOT_LAST");

    public static final Schema BOUNDARY_STATUS = SchemaBuilder.enumeration("BoundaryStatus").namespace(NAMESPACE)
            .symbols("BEGIN", "END");

    /** Microsecond timestamps, as PostgreSQL keeps them. */
    public static final Schema TIMESTAMP_MICROS = LogicalTypes.timestampMicros()
            .addToSchema(Schema.create(Schema.Type.LONG));

    /** The start ({@code BEGIN}, sequence 0) or end ({@code END}, with counts) of one source transaction. */
    public static final Schema TRANSACTION = withKind(SchemaBuilder.record("TransactionBoundary")
            .namespace(NAMESPACE).fields()
            .name("status").type(BOUNDARY_STATUS).noDefault()
            .requiredLong("tx_id")
            .name("position").type(POSITION).noDefault()
            .name("commit_ts").type(TIMESTAMP_MICROS).noDefault()
            .requiredLong("event_count")
            .name("table_counts").type().map().values().longType().noDefault()
            .endRecord(), "transaction");

    /** A logical decoding message ({@code pg_logical_emit_message}) with its place in the stream. */
    public static final Schema CONTROL = withKind(SchemaBuilder.record("ControlMessage")
            .namespace(NAMESPACE).fields()
            .requiredString("prefix")
            .requiredBytes("content")
            .requiredBoolean("transactional")
            .name("position").type(POSITION).noDefault()
            .optionalLong("tx_id")
            .name("commit_ts").type(TIMESTAMP_MICROS).noDefault()
            .endRecord(), "control");

    private ChangeSchemas() {}

    /** What kind of record a schema on the changes topic describes. */
    public enum Kind {
        CHANGE, TRANSACTION, CONTROL
    }

    /** Returns the kind of a schema read from the changes topic. */
    public static Kind kindOf(Schema schema) {
        String kind = schema.getProp(KIND);
        if (kind == null) {
            throw new IllegalArgumentException("not a Lockstep stream schema: " + schema.getFullName());
        }
        return Kind.valueOf(kind.toUpperCase(java.util.Locale.ROOT));
    }

    /**
     * Returns the change envelope schema of {@code table}: op, table, key, before, after, unchanged (columns
     * whose unchanged TOASTed value the source did not send), position, tx_id, commit_ts, schema_version and
     * snapshot phase.
     *
     * @param key the primary key columns, a record
     * @param row every column, a record whose fields are nullable where the column is
     */
    public static Schema change(String pipeline, TableId table, Schema key, Schema row, int version) {
        requireNonNull(pipeline, "pipeline");
        Schema nullableRow = Schema.createUnion(Schema.create(Schema.Type.NULL), row);
        Schema envelope = SchemaBuilder.record(avroName(table) + "_Change").namespace(NAMESPACE + ".change").fields()
                .name("op").type(OPERATION).noDefault()
                .requiredString("table")
                .name("key").type(key).noDefault()
                .name("before").type(nullableRow).withDefault(null)
                .name("after").type(nullableRow).withDefault(null)
                .name("unchanged").type().array().items().stringType().noDefault()
                .name("position").type(POSITION).noDefault()
                .optionalLong("tx_id")
                .name("commit_ts").type(TIMESTAMP_MICROS).noDefault()
                .requiredInt("schema_version")
                .name("snapshot").type(SNAPSHOT_PHASE).noDefault()
                .endRecord();
        envelope.addProp(TABLE, table.toString());
        envelope.addProp(PIPELINE, pipeline);
        envelope.addProp(VERSION, version);
        return withKind(envelope, "change");
    }

    /** Returns the table a change envelope schema belongs to. */
    public static TableId tableOf(Schema changeSchema) {
        return TableId.parse(changeSchema.getProp(TABLE));
    }

    /** Returns the column-version of a change envelope schema. */
    public static int versionOf(Schema changeSchema) {
        Object version = changeSchema.getObjectProp(VERSION);
        return version instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(version));
    }

    /** An Avro name for a table: {@code <schema>__<table>}, other characters replaced by {@code _}. */
    public static String avroName(TableId table) {
        return avroName(table.schema()) + "__" + avroName(table.table());
    }

    /** Returns {@code name} as a valid Avro name: other characters become {@code _}, a leading digit gets one. */
    public static String avroName(String name) {
        StringBuilder out = new StringBuilder(name.length() + 1);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
            if (i == 0 && c >= '0' && c <= '9') {
                out.append('_').append(c);
            } else {
                out.append(ok ? c : '_');
            }
        }
        return out.length() == 0 ? "_" : out.toString();
    }

    private static Schema withKind(Schema schema, String kind) {
        schema.addProp(KIND, kind);
        return schema;
    }
}
