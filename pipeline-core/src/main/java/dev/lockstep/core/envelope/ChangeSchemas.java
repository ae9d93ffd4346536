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
    /** Schema property of a change envelope: digest of its key and row schemas, see {@link #shapeOf}. */
    public static final String SHAPE = "lockstep.shape";
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
            .name("commit_ts").type(TIMESTAMP_MICROS).noDefault()
            .requiredLong("event_count")
            .name("table_counts").type().map().values().longType().noDefault()
            .name("position").type(POSITION).noDefault()
            .endRecord(), "transaction");

    /** A logical decoding message ({@code pg_logical_emit_message}) with its place in the stream. */
    public static final Schema CONTROL = withKind(SchemaBuilder.record("ControlMessage")
            .namespace(NAMESPACE).fields()
            .requiredString("prefix")
            .requiredBytes("content")
            .requiredBoolean("transactional")
            .optionalLong("tx_id")
            .name("commit_ts").type(TIMESTAMP_MICROS).noDefault()
            .name("position").type(POSITION).noDefault()
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
     * whose unchanged TOASTed value the source did not send), tx_id, commit_ts, schema_version, snapshot phase
     * and position. Position is the last field of every stream schema that has one.
     *
     * @param key the primary key columns, a record
     * @param row every column, a record whose fields are nullable where the column is
     */
    public static Schema change(String pipeline, TableId table, Schema key, Schema row, int version) {
        requireNonNull(pipeline, "pipeline");
        Schema nullableRow = Schema.createUnion(Schema.create(Schema.Type.NULL), row);
        String namespace = NAMESPACE + ".change." + avroName(pipeline);
        // Pipeline and version are in the full name, so that two versions (or two pipelines' same-shaped tables)
        // never share a fingerprint: the fingerprint ignores logical types and properties, a name it does not.
        Schema envelope = SchemaBuilder.record(changeName(table, version)).namespace(namespace).fields()
                .name("op").type(OPERATION).noDefault()
                .requiredString("table")
                .name("key").type(key).noDefault()
                .name("before").type(nullableRow).withDefault(null)
                .name("after").type(nullableRow).withDefault(null)
                .name("unchanged").type().array().items().stringType().noDefault()
                .optionalLong("tx_id")
                .name("commit_ts").type(TIMESTAMP_MICROS).noDefault()
                .requiredInt("schema_version")
                .name("snapshot").type(SNAPSHOT_PHASE).noDefault()
                // Last, so that a writer can encode a change before its transaction's commit LSN is known.
                .name("position").type(POSITION).noDefault()
                .endRecord();
        for (int earlier = 1; earlier < version; earlier++) {
            envelope.addAlias(changeName(table, earlier), namespace); // lets a newer reader resolve older versions
        }
        envelope.addProp(TABLE, table.toString());
        envelope.addProp(PIPELINE, pipeline);
        envelope.addProp(VERSION, version);
        envelope.addProp(SHAPE, shapeOf(key, row));
        return withKind(envelope, "change");
    }

    /**
     * Returns a digest of a table's key and row schemas with every logical type and property (precision, scale,
     * source type, nullability): two column lists with the same shape are the same version.
     */
    public static String shapeOf(Schema key, Schema row) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest((key.toString() + "\n" + row.toString()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns the shape digest recorded in a change envelope schema. */
    public static String shapeOf(Schema changeSchema) {
        return changeSchema.getProp(SHAPE);
    }

    private static String changeName(TableId table, int version) {
        return avroName(table) + "_Change_v" + version;
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

    /** Returns {@code schema} without its last field (the position): what a writer encodes ahead of it. */
    public static Schema withoutPosition(Schema schema) {
        java.util.List<Schema.Field> fields = schema.getFields();
        if (!fields.get(fields.size() - 1).name().equals("position")) {
            throw new IllegalArgumentException(schema.getFullName() + " does not end with a position");
        }
        java.util.List<Schema.Field> prefix = new java.util.ArrayList<>();
        for (Schema.Field f : fields.subList(0, fields.size() - 1)) {
            prefix.add(new Schema.Field(f, f.schema()));
        }
        return Schema.createRecord(schema.getName() + "_Prefix", null, schema.getNamespace(), false, prefix);
    }

    private static Schema withKind(Schema schema, String kind) {
        schema.addProp(KIND, kind);
        return schema;
    }
}
