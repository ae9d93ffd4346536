package dev.lockstep.connectors.internal;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.core.stream.TopicNames;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Turns Debezium records into Lockstep's Avro stream records: change envelopes, transaction boundaries and
 * control messages, single-object encoded, plus the schema-store registration of every schema the first time
 * it is used. Not thread-safe: the extract's single consumer thread owns it.
 */
public final class ChangeEncoder {

    private static final Schema EMPTY_KEY = SchemaBuilder.record("NoKey").namespace(ChangeSchemas.NAMESPACE)
            .fields().endRecord();

    private final String pipeline;
    private final int maxRecordBytes;
    private final String changesTopic;
    private final boolean fanout;
    private final KafkaSchemaStore store;
    private final EnvelopeCodec codec;
    private final ConnectToAvro mapper = new ConnectToAvro();
    private final Map<org.apache.kafka.connect.data.Schema, Envelope> envelopes = new IdentityHashMap<>();
    private final Map<TableId, Map<String, Integer>> versions = new HashMap<>();
    /**
     * One instance of each envelope schema and its prefix: Debezium hands out several Connect schemas of one table
     * shape (snapshot, streaming, after a relation message), and the codec finds its writer by schema — by identity
     * when the instance is the one it saw, by a deep comparison of the whole schema otherwise.
     */
    private final Map<Schema, Schema[]> sharedSchemas = new HashMap<>();
    private final Set<Long> registered = new java.util.HashSet<>();
    private final Set<Schema> registeredSchemas = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<String, GenericData.EnumSymbol> symbols = new HashMap<>();
    private final Set<TableId> changedSchemas = new TreeSet<>((a, b) -> a.toString().compareTo(b.toString()));

    private record Envelope(Schema schema, Schema prefix, int version, TableId table, ConnectToAvro.RowMapping row,
            ConnectToAvro.RowMapping key) {}

    private static final Schema CONTROL_PREFIX = ChangeSchemas.withoutPosition(ChangeSchemas.CONTROL);

    public ChangeEncoder(String pipeline, boolean fanout, KafkaSchemaStore store, int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes - 512; // room for the record batch's own framing
        this.pipeline = pipeline;
        this.changesTopic = TopicNames.changes(pipeline);
        this.fanout = fanout;
        this.store = store;
        this.codec = new EnvelopeCodec(store);
        for (Schema schema : store.all()) {
            if (isOurChange(schema)) {
                versions.computeIfAbsent(ChangeSchemas.tableOf(schema), t -> new HashMap<>())
                        .put(ChangeSchemas.shapeOf(schema), ChangeSchemas.versionOf(schema));
            }
            registered.add(EnvelopeCodec.fingerprint(schema));
        }
    }

    /** Returns the table a Debezium data record belongs to. */
    public static TableId tableOf(SourceRecord record) {
        Struct source = ((Struct) record.value()).getStruct("source");
        return new TableId(source.getString("schema"), source.getString("table"));
    }

    /** Returns and forgets the tables whose column schema changed since the last call. */
    public Set<TableId> drainChangedSchemas() {
        Set<TableId> out = Set.copyOf(changedSchemas);
        changedSchemas.clear();
        return out;
    }

    /** A change encoded but for its position, with what it needs once the position is known. */
    public record PreparedChange(EnvelopeCodec.PartialRecord partial, TableId table, byte[] fanoutKey,
            boolean control) {}

    /**
     * Encodes a data change without its position (its transaction's commit LSN is not known yet); schema
     * registrations it needs go to {@code out} now, in the transaction that will carry the change.
     */
    public PreparedChange prepareChange(SourceRecord record, String snapshotPhase,
            Consumer<ProducerRecord<byte[], byte[]>> out) {
        Struct value = (Struct) record.value();
        Envelope envelope = envelopeFor(record, out);
        Struct source = value.getStruct("source");
        List<String> unchanged = new ArrayList<>(0);
        GenericData.Record change = new GenericData.Record(envelope.prefix());
        change.put(0, symbol(ChangeSchemas.OPERATION, operation(value.getString("op"))));
        change.put(1, envelope.table().toString());
        GenericRecord key = key(record, envelope);
        change.put(2, key);
        Struct before = value.getStruct("before");
        Struct after = value.getStruct("after");
        change.put(3, before == null ? null : envelope.row().toAvro(before, null));
        change.put(4, after == null ? null : envelope.row().toAvro(after, unchanged, before));
        change.put(5, unchanged);
        change.put(6, source.getInt64("txId"));
        change.put(7, source.getInt64("ts_us"));
        change.put(8, envelope.version());
        change.put(9, symbol(ChangeSchemas.SNAPSHOT_PHASE, snapshotPhase));
        byte[] fanoutKey = null;
        if (fanout) {
            register(key.getSchema(), out);
            fanoutKey = codec.encode(key);
        }
        return new PreparedChange(codec.encodeWithoutPosition(change, envelope.schema()), envelope.table(), fanoutKey,
                false);
    }

    /** Encodes a logical decoding message without its position. */
    public PreparedChange prepareControl(SourceRecord record, Consumer<ProducerRecord<byte[], byte[]>> out) {
        register(ChangeSchemas.CONTROL, out);
        Struct value = (Struct) record.value();
        Struct message = value.getStruct("message");
        Struct source = value.getStruct("source");
        GenericData.Record control = new GenericData.Record(CONTROL_PREFIX);
        control.put(0, message.getString("prefix"));
        Object content = message.get("content");
        control.put(1, content instanceof byte[] b ? ByteBuffer.wrap(b) : content);
        control.put(2, value.get("transaction") != null);
        control.put(3, source.getInt64("txId"));
        control.put(4, source.getInt64("ts_us"));
        return new PreparedChange(codec.encodeWithoutPosition(control, ChangeSchemas.CONTROL), null, null, true);
    }

    /** Prefix of the control record that carries a TRUNCATE of a source table (content: the table's name). */
    public static final String TRUNCATE_PREFIX = "lockstep.truncate";

    /** Encodes a TRUNCATE of a source table, without its position, as a control record. */
    public PreparedChange prepareTruncate(SourceRecord record, Consumer<ProducerRecord<byte[], byte[]>> out) {
        register(ChangeSchemas.CONTROL, out);
        Struct source = ((Struct) record.value()).getStruct("source");
        GenericData.Record control = new GenericData.Record(CONTROL_PREFIX);
        control.put(0, TRUNCATE_PREFIX);
        control.put(1, ByteBuffer.wrap(tableOf(record).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        control.put(2, true);
        control.put(3, source.getInt64("txId"));
        control.put(4, source.getInt64("ts_us"));
        return new PreparedChange(codec.encodeWithoutPosition(control, ChangeSchemas.CONTROL), tableOf(record), null,
                true);
    }

    /** Returns true for Debezium's TRUNCATE events. */
    public static boolean isTruncate(SourceRecord record) {
        return record.value() instanceof Struct value && value.schema().field("op") != null
                && "t".equals(value.getString("op"));
    }

    /** Completes a prepared change or message with its position and sends it. */
    public void emit(PreparedChange prepared, StreamPosition position, Consumer<ProducerRecord<byte[], byte[]>> out) {
        byte[] bytes = prepared.partial().withPosition(position.commitLsn(), position.sequence());
        if (bytes.length > maxRecordBytes) {
            throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "a " + (prepared.control() ? "control record"
                    : "change of " + prepared.table()) + " at position " + position + " is " + bytes.length
                    + " bytes encoded, more than the changes topic takes (" + maxRecordBytes + "); raise the "
                    + "topic's max.message.bytes and the extract's limit, or exclude the column");
        }
        out.accept(new ProducerRecord<>(changesTopic, 0, null, bytes));
        if (prepared.fanoutKey() != null) {
            out.accept(new ProducerRecord<>(TopicNames.raw(pipeline, prepared.table()), null, prepared.fanoutKey(),
                    bytes));
        }
    }

    /** Encodes a transaction boundary. */
    public void boundary(boolean begin, long txId, StreamPosition position, long commitMicros, long eventCount,
            Map<String, Long> tableCounts, Consumer<ProducerRecord<byte[], byte[]>> out) {
        register(ChangeSchemas.TRANSACTION, out);
        GenericData.Record boundary = new GenericData.Record(ChangeSchemas.TRANSACTION);
        boundary.put(0, symbol(ChangeSchemas.BOUNDARY_STATUS, begin ? "BEGIN" : "END"));
        boundary.put(1, txId);
        boundary.put(2, commitMicros);
        boundary.put(3, eventCount);
        boundary.put(4, tableCounts);
        boundary.put(5, position(position));
        out.accept(new ProducerRecord<>(changesTopic, 0, null, codec.encode(boundary)));
    }

    private Envelope envelopeFor(SourceRecord record, Consumer<ProducerRecord<byte[], byte[]>> out) {
        org.apache.kafka.connect.data.Schema valueSchema = record.valueSchema();
        Envelope envelope = envelopes.get(valueSchema);
        if (envelope == null) {
            TableId table = tableOf(record);
            String name = ChangeSchemas.avroName(table);
            ConnectToAvro.RowMapping row = mapper.mapping(valueSchema.field("after").schema(), name + "_Row");
            ConnectToAvro.RowMapping key = record.keySchema() == null ? null
                    : mapper.mapping(record.keySchema(), name + "_Key");
            Schema keySchema = key == null ? EMPTY_KEY : key.schema();
            Map<String, Integer> known = versions.computeIfAbsent(table, t -> new HashMap<>());
            String shape = ChangeSchemas.shapeOf(keySchema, row.schema());
            Integer version = known.get(shape);
            if (version == null) {
                version = known.values().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
                known.put(shape, version);
                if (version > 1) {
                    changedSchemas.add(table);
                }
            }
            Schema[] shared = sharedSchemas.computeIfAbsent(ChangeSchemas.change(pipeline, table, keySchema,
                    row.schema(), version), s -> new Schema[] {s, ChangeSchemas.withoutPosition(s)});
            envelope = new Envelope(shared[0], shared[1], version, table, row, key);
            envelopes.put(valueSchema, envelope);
        }
        register(envelope.schema(), out);
        return envelope;
    }

    private GenericRecord key(SourceRecord record, Envelope envelope) {
        if (envelope.key() == null || record.key() == null) {
            return new GenericData.Record(EMPTY_KEY);
        }
        return envelope.key().toAvro((Struct) record.key(), null);
    }

    private void register(Schema schema, Consumer<ProducerRecord<byte[], byte[]>> out) {
        // Called for every change: the identity check keeps the fingerprint off the hot path.
        if (registeredSchemas.add(schema) && registered.add(EnvelopeCodec.fingerprint(schema))) {
            store.remember(schema);
            out.accept(KafkaSchemaStore.registration(schema));
        }
    }

    private boolean isOurChange(Schema schema) {
        return "change".equals(schema.getProp(ChangeSchemas.KIND)) && pipeline.equals(schema.getProp(ChangeSchemas.PIPELINE));
    }

    private GenericData.EnumSymbol symbol(Schema enumSchema, String symbol) {
        return symbols.computeIfAbsent(enumSchema.getName() + ":" + symbol,
                k -> new GenericData.EnumSymbol(enumSchema, symbol));
    }

    private static GenericData.Record position(StreamPosition position) {
        GenericData.Record record = new GenericData.Record(ChangeSchemas.POSITION);
        record.put(0, position.commitLsn());
        record.put(1, position.sequence());
        return record;
    }

    private static String operation(String code) {
        return switch (code) {
            case "c" -> "CREATE";
            case "u" -> "UPDATE";
            case "d" -> "DELETE";
            case "r" -> "READ";
            default -> throw new IllegalArgumentException("unknown Debezium operation '" + code + "'");
        };
    }
}
