package dev.lockstep.core.testing;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.envelope.UndecodableRecordException;
import dev.lockstep.core.kafka.Topics;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.core.stream.TopicNames;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes change envelopes straight to a pipeline's changes topic, byte for byte as the extract
 * ({@code ChangeEncoder}, {@code ConnectToAvro}, {@code ExtractConsumer}) writes what Debezium reads from
 * PostgreSQL with pgoutput, so that an applier test needs no source database streaming. Connectors'
 * {@code ChangeEnvelopesMatchExtractIT} runs the extract and this writer on the same rows and holds the two to the
 * same schemas and bytes.
 *
 * <p>Rows are column → Java value: {@code Integer}/{@code Long} (int2, int4, int8), {@code String} (text,
 * varchar), {@code BigDecimal} (numeric), {@code Boolean}, {@code LocalDate} (date), {@code Instant} or
 * {@code OffsetDateTime} (timestamptz), {@code LocalDateTime} (timestamp), or null. Commit LSNs continue after the
 * last position on the topic, a few thousand apart. Where Debezium would put a NOT NULL column's constant DEFAULT
 * into a delete's before-image, this writes the type's fallback: the catalog does not describe defaults, and the
 * applier ignores those values. Not thread-safe.
 */
public final class ChangeEnvelopes implements AutoCloseable {

    /** The first commit LSN this writer uses on an empty topic ({@code 1/0}), and the step between commits. */
    private static final long FIRST_LSN = 1L << 32;
    private static final long LSN_STEP = 0x1000;
    /** ConnectToAvro.NOT_NULL: the field property of a NOT NULL column. */
    private static final String NOT_NULL = "lockstep.not_null";
    private static final Pattern NUMERIC = Pattern.compile("numeric\\((\\d+),(\\d+)\\)");

    private final String changesTopic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaSchemaStore store;
    private final EnvelopeCodec codec;
    private final Map<TableId, TableEncoding> tables = new HashMap<>();
    private final Set<Long> registered = new HashSet<>();
    private long lastLsn;
    private long nextTxId = 1000;
    private StreamPosition lastPosition;

    private ChangeEnvelopes(String pipeline, KafkaProducer<byte[], byte[]> producer, KafkaSchemaStore store,
            Map<TableId, SourceTable> sources, StreamPosition onTopic) {
        this.changesTopic = TopicNames.changes(pipeline);
        this.producer = producer;
        this.store = store;
        this.codec = new EnvelopeCodec(store);
        this.lastPosition = onTopic;
        this.lastLsn = Math.max(FIRST_LSN - LSN_STEP, onTopic.commitLsn());
        store.all().forEach(schema -> registered.add(EnvelopeCodec.fingerprint(schema)));
        sources.forEach((id, source) -> tables.put(id, new TableEncoding(pipeline, source, store.all())));
    }

    /**
     * Creates the changes topic (as the extract does) and the schema store when missing, and opens a
     * transactional producer; {@code tables} describe the source tables as {@code PostgresSourceCatalog} does.
     */
    public static ChangeEnvelopes open(String bootstrapServers, String pipeline, Map<TableId, SourceTable> tables) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            Topics.ensure(admin, TopicNames.changes(pipeline), 1, Map.of("retention.ms",
                    Long.toString(Duration.ofDays(7).toMillis()), "max.message.bytes",
                    Integer.toString(16 * 1024 * 1024), "cleanup.policy", "delete"));
        }
        KafkaSchemaStore store = KafkaSchemaStore.open(bootstrapServers);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "lockstep-test-envelopes-" + pipeline,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
        try {
            producer.initTransactions();
            return new ChangeEnvelopes(pipeline, producer, store, tables,
                    lastOnTopic(bootstrapServers, TopicNames.changes(pipeline), store));
        } catch (RuntimeException e) {
            producer.close();
            store.close();
            throw e;
        }
    }

    /**
     * Writes an initial snapshot of these tables' rows in one Kafka transaction, as the extract writes Debezium's
     * initial snapshot: op READ, outside any source transaction, at a new snapshot LSN with sequences 1…n, phase
     * SNAPSHOT and SNAPSHOT_LAST on the very last row, commit_ts the time of reading (now).
     */
    public void snapshot(Map<String, List<Map<String, Object>>> rowsByTable) {
        int total = rowsByTable.values().stream().mapToInt(List::size).sum();
        if (total == 0) {
            return;
        }
        long lsn = nextLsn();
        long txId = nextTxId++;
        long readMicros = micros(Instant.now());
        List<GenericRecord> records = new ArrayList<>(total);
        rowsByTable.forEach((name, rows) -> {
            TableEncoding table = table(name);
            for (Map<String, Object> row : rows) {
                String phase = records.size() + 1 == total ? "SNAPSHOT_LAST" : "SNAPSHOT";
                GenericData.Record change = table.change("READ", null, table.row(row, null), row, txId, readMicros,
                        phase);
                change.put("position", position(StreamPosition.of(lsn, records.size() + 1)));
                records.add(change);
            }
        });
        write(records);
        lastPosition = StreamPosition.of(lsn, total);
    }

    /** Starts a source transaction that commits at {@code commitTs}; its commit LSN is taken when it commits. */
    public Tx begin(Instant commitTs) {
        return new Tx(nextTxId++, micros(requireNonNull(commitTs, "commitTs")));
    }

    /** Returns the position of the last record written (a transaction's END, or the snapshot's last row). */
    public StreamPosition lastPosition() {
        return lastPosition;
    }

    /**
     * Returns the end offset of {@code pipeline}'s changes topic: its high watermark, which holds every record of a
     * committed transaction once the producer's commit returned. (A read_committed consumer's end — the last stable
     * offset — moves only when the broker has written the commit markers, which it does after the commit returns: a
     * test reading it at once could see an earlier end and apply less than it wrote.) An applier reaches it once
     * the markers are written; every transaction this writer writes is committed.
     */
    public static long endOffset(String bootstrapServers, String pipeline) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            TopicPartition partition = new TopicPartition(TopicNames.changes(pipeline), 0);
            consumer.assign(List.of(partition)); // unassigned, endOffsets logs "no longer assigned"
            return consumer.endOffsets(List.of(partition)).get(partition);
        }
    }

    @Override
    public void close() {
        producer.close();
        store.close();
    }

    /** A source transaction: its changes, written with BEGIN and END markers in one Kafka transaction. */
    public final class Tx {
        private final long txId;
        private final long commitMicros;
        private final List<GenericData.Record> changes = new ArrayList<>();
        private final Map<String, Long> counts = new LinkedHashMap<>();
        private boolean committed;

        private Tx(long txId, long commitMicros) {
            this.txId = txId;
            this.commitMicros = commitMicros;
        }

        /** Adds an insert of a full row (column → value; a missing column is null). */
        public Tx insert(String table, Map<String, Object> row) {
            TableEncoding t = table(table);
            return add(t, t.change("CREATE", null, t.row(row, null), row, txId, commitMicros, "STREAMING"));
        }

        /** Adds an update to this full new row, without a before-image (pgoutput sends none but under FULL). */
        public Tx update(String table, Map<String, Object> row) {
            TableEncoding t = table(table);
            return add(t, t.change("UPDATE", null, t.row(row, null), row, txId, commitMicros, "STREAMING"));
        }

        /**
         * Adds a delete of the row with this replica identity (the primary key unless the table has another); the
         * before-image has only those columns, the others null, or Debezium's fallback (0, "", false, the epoch)
         * where they are NOT NULL.
         */
        public Tx delete(String table, Map<String, Object> key) {
            TableEncoding t = table(table);
            return add(t, t.change("DELETE", t.row(key, t.identity), null, key, txId, commitMicros, "STREAMING"));
        }

        /** Adds a {@code TRUNCATE} of the table, as the extract writes it: a control record, prefix lockstep.truncate. */
        public Tx truncate(String table) {
            TableEncoding t = table(table);
            GenericData.Record control = new GenericData.Record(ChangeSchemas.CONTROL);
            control.put("prefix", "lockstep.truncate");
            control.put("content", ByteBuffer.wrap(t.id.toString().getBytes(StandardCharsets.UTF_8)));
            control.put("transactional", true);
            control.put("tx_id", txId);
            control.put("commit_ts", commitMicros);
            return add("message", control); // the extract counts a truncate, as a logical message, under "message"
        }

        /** Writes BEGIN, the changes and END in one Kafka transaction; a transaction without changes writes nothing. */
        public void commit() {
            if (changes.isEmpty()) {
                markCommitted();
                return; // the extract writes nothing for a source transaction without changes
            }
            List<GenericRecord> records = beginAndChanges();
            StreamPosition end = StreamPosition.of(lsn(records), changes.size() + 1L);
            records.add(boundary("END", end));
            write(records);
            lastPosition = end;
        }

        /**
         * Writes BEGIN and the changes but not END, and leaves the transaction unfinished: a reader sees a source
         * transaction whose end is not on the topic yet, so the batch holding it stays open.
         */
        public void writeUnfinished() {
            write(beginAndChanges());
        }

        /** Marks this transaction written and returns its BEGIN and its changes, positioned at a new commit LSN. */
        private List<GenericRecord> beginAndChanges() {
            markCommitted();
            long lsn = nextLsn();
            List<GenericRecord> records = new ArrayList<>(changes.size() + 2);
            records.add(boundary("BEGIN", StreamPosition.of(lsn, 0)));
            for (GenericData.Record change : changes) {
                change.put("position", position(StreamPosition.of(lsn, records.size())));
                records.add(change);
            }
            return records;
        }

        private long lsn(List<GenericRecord> records) {
            return ChangeStreamReader.positionOf(records.get(0)).commitLsn();
        }

        private void markCommitted() {
            if (committed) {
                throw new IllegalStateException("transaction " + txId + " is already committed");
            }
            committed = true;
        }

        private Tx add(TableEncoding table, GenericData.Record change) {
            return add(table.id.toString(), change);
        }

        /** Adds a change counted under {@code counted} in the boundaries' table_counts. */
        private Tx add(String counted, GenericData.Record change) {
            if (committed) {
                throw new IllegalStateException("transaction " + txId + " is already committed");
            }
            changes.add(change);
            counts.merge(counted, 1L, Long::sum);
            return this;
        }

        private GenericRecord boundary(String status, StreamPosition at) {
            GenericData.Record boundary = new GenericData.Record(ChangeSchemas.TRANSACTION);
            boundary.put("status", new GenericData.EnumSymbol(ChangeSchemas.BOUNDARY_STATUS, status));
            boundary.put("tx_id", txId);
            boundary.put("commit_ts", commitMicros);
            boundary.put("event_count", (long) changes.size());
            boundary.put("table_counts", counts);
            boundary.put("position", position(at));
            return boundary;
        }
    }

    private TableEncoding table(String name) {
        TableEncoding table = tables.get(TableId.parse(name));
        if (table == null) {
            throw new IllegalArgumentException("unknown table " + name + "; tables: " + tables.keySet());
        }
        return table;
    }

    private long nextLsn() {
        lastLsn += LSN_STEP;
        return lastLsn;
    }

    /** Sends the schema registrations these records need, then the records, in one Kafka transaction. */
    private void write(List<GenericRecord> records) {
        Map<Long, Schema> needed = new LinkedHashMap<>();
        for (GenericRecord record : records) {
            long fingerprint = EnvelopeCodec.fingerprint(record.getSchema());
            if (!registered.contains(fingerprint)) {
                needed.putIfAbsent(fingerprint, record.getSchema());
            }
        }
        producer.beginTransaction();
        try {
            needed.values().forEach(schema -> producer.send(KafkaSchemaStore.registration(schema)));
            records.forEach(record -> producer.send(new ProducerRecord<>(changesTopic, 0, null, codec.encode(record))));
            producer.commitTransaction();
        } catch (KafkaException e) {
            try {
                producer.abortTransaction();
            } catch (KafkaException abortFailed) {
                e.addSuppressed(abortFailed);
            }
            throw e;
        }
        registered.addAll(needed.keySet());
        needed.values().forEach(store::remember);
    }

    /** Returns the highest position on the changes topic (it never decreases, so its tail has it), or ZERO. */
    private static StreamPosition lastOnTopic(String bootstrapServers, String topic, KafkaSchemaStore store) {
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            consumer.assign(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            consumer.seek(partition, Math.max(0, end - 1000));
            EnvelopeCodec codec = new EnvelopeCodec(store);
            StreamPosition last = StreamPosition.ZERO;
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        StreamPosition position = ChangeStreamReader.positionOf(codec.decode(record.value()));
                        last = position.isAfter(last) ? position : last;
                    } catch (UndecodableRecordException e) {
                        // a poison record some test wrote: it has no position
                    }
                }
            }
            return last;
        }
    }

    private static GenericRecord position(StreamPosition position) {
        GenericData.Record record = new GenericData.Record(ChangeSchemas.POSITION);
        record.put("commit_lsn", position.commitLsn());
        record.put("sequence", position.sequence());
        return record;
    }

    private static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1000);
    }

    /** One source table's envelope schema (version as the extract would number it) and its column encodings. */
    private static final class TableEncoding {
        final TableId id;
        final Schema envelope;
        final Schema key;
        final Schema row;
        final List<String> identity;
        private final SourceTable source;
        private final Map<String, ColumnType> types = new LinkedHashMap<>();

        TableEncoding(String pipeline, SourceTable source, Iterable<Schema> known) {
            this.id = source.id();
            this.source = source;
            for (SourceColumn column : source.columns()) {
                types.put(column.name(), ColumnType.of(source.id(), column));
            }
            String name = ChangeSchemas.avroName(id);
            row = record(name + "_Row", source.columns(), true);
            key = source.primaryKey().isEmpty()
                    ? SchemaBuilder.record("NoKey").namespace(ChangeSchemas.NAMESPACE).fields().endRecord()
                    : record(name + "_Key", source.columns().stream()
                            .filter(c -> source.primaryKey().contains(c.name())).toList(), false);
            identity = switch (source.replicaIdentity().mode()) {
                case DEFAULT, INDEX -> source.replicaIdentity().columns();
                case FULL -> source.columnNames();
                case NOTHING -> List.of();
            };
            envelope = ChangeSchemas.change(pipeline, id, key, row, version(pipeline, known));
        }

        /** The column version the extract would give this shape: a known one's, else one past the highest. */
        private int version(String pipeline, Iterable<Schema> known) {
            String shape = ChangeSchemas.shapeOf(key, row);
            int highest = 0;
            for (Schema schema : known) {
                if ("change".equals(schema.getProp(ChangeSchemas.KIND))
                        && pipeline.equals(schema.getProp(ChangeSchemas.PIPELINE))
                        && id.equals(ChangeSchemas.tableOf(schema))) {
                    if (shape.equals(ChangeSchemas.shapeOf(schema))) {
                        return ChangeSchemas.versionOf(schema);
                    }
                    highest = Math.max(highest, ChangeSchemas.versionOf(schema));
                }
            }
            return highest + 1;
        }

        /** ConnectToAvro's record: nullable fields, Avro-safe names, and the column's name, NOT NULL and type. */
        private Schema record(String name, List<SourceColumn> columns, boolean withSourceType) {
            SchemaBuilder.FieldAssembler<Schema> fields = SchemaBuilder.record(name)
                    .namespace(ChangeSchemas.NAMESPACE + ".change").fields();
            Set<String> used = new HashSet<>();
            for (SourceColumn column : columns) {
                String avroName = ChangeSchemas.avroName(column.name());
                for (int n = 2; !used.add(avroName); n++) {
                    avroName = ChangeSchemas.avroName(column.name()) + "_" + n;
                }
                var field = fields.name(avroName);
                if (!avroName.equals(column.name())) {
                    field = field.prop(ChangeSchemas.COLUMN, column.name());
                }
                if (column.notNull()) {
                    field = field.prop(NOT_NULL, "true");
                }
                ColumnType type = types.get(column.name());
                if (withSourceType) { // Debezium propagates the source type to value fields only, not to the key
                    field = field.prop(ChangeSchemas.PG_TYPE, type.pgType());
                }
                fields = field.type(Schema.createUnion(Schema.create(Schema.Type.NULL), type.avro().get()))
                        .withDefault(null);
            }
            return fields.endRecord();
        }

        /** A row image from {@code values}; {@code only}, when given, lists the only columns it has. */
        GenericData.Record row(Map<String, Object> values, List<String> only) {
            return image(row, values, only);
        }

        GenericData.Record change(String op, GenericRecord before, GenericRecord after, Map<String, Object> values,
                long txId, long commitMicros, String phase) {
            GenericData.Record change = new GenericData.Record(envelope);
            change.put("op", new GenericData.EnumSymbol(ChangeSchemas.OPERATION, op));
            change.put("table", id.toString());
            change.put("key", image(key, values, source.primaryKey()));
            change.put("before", before);
            change.put("after", after);
            change.put("unchanged", List.of());
            change.put("tx_id", txId);
            change.put("commit_ts", commitMicros);
            change.put("schema_version", ChangeSchemas.versionOf(envelope));
            change.put("snapshot", new GenericData.EnumSymbol(ChangeSchemas.SNAPSHOT_PHASE, phase));
            return change;
        }

        /**
         * An image of {@code schema} from {@code values}; with {@code only} (a delete's before-image) the other
         * columns are absent, which Debezium writes as null, or as its fallback value when the column is NOT NULL.
         */
        private GenericData.Record image(Schema schema, Map<String, Object> values, List<String> only) {
            for (String column : values.keySet()) {
                if (!types.containsKey(column)) {
                    throw new IllegalArgumentException(id + " has no column '" + column + "'; columns: "
                            + source.columnNames());
                }
                if (only != null && schema == row && !only.contains(column)) {
                    throw new IllegalArgumentException("a delete from " + id + " takes its replica identity "
                            + only + " only, not '" + column + "'");
                }
            }
            GenericData.Record image = new GenericData.Record(schema);
            for (Schema.Field field : schema.getFields()) {
                String column = field.getProp(ChangeSchemas.COLUMN) != null ? field.getProp(ChangeSchemas.COLUMN)
                        : field.name();
                boolean notNull = "true".equals(field.getProp(NOT_NULL));
                ColumnType type = types.get(column);
                Object value = values.get(column);
                if (value == null && notNull && (only == null || only.contains(column))) {
                    throw new IllegalArgumentException(id + "." + column + " is NOT NULL and needs a value");
                }
                value = value == null && notNull ? type.fallback() : value;
                image.put(field.pos(), value == null ? null : type.convert(id, column, value));
            }
            return image;
        }
    }

    /**
     * How the extract writes a PostgreSQL type: the field's source type, the Avro type ConnectToAvro gives
     * Debezium's Connect type, the Java value to Avro value conversion, and Debezium's fallback for a NOT NULL
     * column a delete's before-image lacks.
     */
    private record ColumnType(String pgType, Supplier<Schema> avro, Function<Object, Object> converter,
            Object fallback) {

        static ColumnType of(TableId table, SourceColumn column) {
            String type = column.kind() == SourceColumn.Kind.BASE ? column.type() : "";
            Matcher numeric = NUMERIC.matcher(type);
            if (numeric.matches()) {
                int precision = Integer.parseInt(numeric.group(1));
                int scale = Integer.parseInt(numeric.group(2));
                return new ColumnType("numeric", () -> LogicalTypes.decimal(precision, scale)
                        .addToSchema(Schema.create(Schema.Type.BYTES)),
                        v -> ByteBuffer.wrap(((BigDecimal) v).setScale(scale).unscaledValue().toByteArray()),
                        BigDecimal.ZERO);
            }
            return switch (type.replaceAll("\\(\\d+\\)", "")) {
                case "smallint" -> new ColumnType("int2", () -> Schema.create(Schema.Type.INT),
                        v -> Math.toIntExact(integral(v)), 0);
                case "integer" -> new ColumnType("int4", () -> Schema.create(Schema.Type.INT),
                        v -> Math.toIntExact(integral(v)), 0);
                case "bigint" -> new ColumnType("int8", () -> Schema.create(Schema.Type.LONG), ColumnType::integral,
                        0L);
                case "text" -> new ColumnType("text", () -> Schema.create(Schema.Type.STRING), v -> (String) v, "");
                case "character varying" -> new ColumnType("varchar", () -> Schema.create(Schema.Type.STRING),
                        v -> (String) v, "");
                // Debezium strips an unconstrained numeric's trailing zeros: 1.50 travels as "1.5", 100 as "100".
                case "numeric" -> new ColumnType("numeric", () -> lockstepType(Schema.Type.STRING, "numeric"),
                        v -> ((BigDecimal) v).stripTrailingZeros().toPlainString(), BigDecimal.ZERO);
                case "boolean" -> new ColumnType("bool", () -> Schema.create(Schema.Type.BOOLEAN), v -> (Boolean) v,
                        false);
                case "date" -> new ColumnType("date", () -> LogicalTypes.date().addToSchema(
                        Schema.create(Schema.Type.INT)), v -> Math.toIntExact(((LocalDate) v).toEpochDay()),
                        LocalDate.EPOCH);
                case "timestamp with time zone" -> new ColumnType("timestamptz", () -> LogicalTypes.timestampMicros()
                        .addToSchema(Schema.create(Schema.Type.LONG)), v -> micros(instant(v)), Instant.EPOCH);
                case "timestamp without time zone" -> new ColumnType("timestamp", () -> LogicalTypes
                        .localTimestampMicros().addToSchema(Schema.create(Schema.Type.LONG)),
                        v -> micros(((LocalDateTime) v).toInstant(ZoneOffset.UTC)),
                        LocalDateTime.ofEpochSecond(0, 0, ZoneOffset.UTC));
                default -> throw new IllegalArgumentException(table + "." + column.name() + " has type "
                        + column.type() + " (" + column.kind() + "), which ChangeEnvelopes does not write; it writes "
                        + "smallint, integer, bigint, text, character varying, numeric, boolean, date, timestamp and "
                        + "timestamp with time zone");
            };
        }

        Object convert(TableId table, String column, Object value) {
            try {
                return converter.apply(value);
            } catch (ClassCastException | ArithmeticException e) {
                throw new IllegalArgumentException(table + "." + column + " (" + pgType + "): cannot write "
                        + value + " (" + value.getClass().getSimpleName() + "): " + e.getMessage(), e);
            }
        }

        private static long integral(Object value) {
            if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
                return ((Number) value).longValue();
            }
            throw new ClassCastException("an integer column takes Integer or Long");
        }

        private static Instant instant(Object value) {
            return value instanceof OffsetDateTime t ? t.toInstant()
                    : value instanceof ZonedDateTime t ? t.toInstant() : (Instant) value;
        }

        private static Schema lockstepType(Schema.Type type, String lockstepType) {
            Schema schema = Schema.create(type);
            schema.addProp("lockstep.type", lockstepType);
            return schema;
        }
    }
}
