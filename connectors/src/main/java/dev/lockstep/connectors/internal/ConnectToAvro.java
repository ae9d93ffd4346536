package dev.lockstep.connectors.internal;

import dev.lockstep.core.envelope.ChangeSchemas;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/**
 * Maps Debezium's Connect schemas and values to Avro, faithfully: integers by width, {@code numeric(p,s)} as an
 * Avro decimal (an unconstrained {@code numeric} as its exact text, never a float), dates, times and
 * timestamps in microseconds (timestamptz as an instant, timestamp as a local timestamp), uuid, json/jsonb as
 * text, bytea as bytes, arrays as arrays, enums as text.
 *
 * <p>Values Debezium could not read because PostgreSQL did not send an unchanged TOASTed column come as a
 * placeholder; {@link RowMapping#toAvro} reports those columns instead of writing the placeholder.
 * Mappings are cached per Connect schema instance. Not thread-safe.
 */
public final class ConnectToAvro {

    /** Debezium's default {@code unavailable.value.placeholder}. */
    public static final String UNAVAILABLE = "__debezium_unavailable_value";
    private static final byte[] UNAVAILABLE_BYTES = UNAVAILABLE.getBytes(StandardCharsets.UTF_8);
    private static final String SOURCE_TYPE = "__debezium.source.column.type";
    /** Field property: the source column is NOT NULL. */
    public static final String NOT_NULL = "lockstep.not_null";

    private final Map<org.apache.kafka.connect.data.Schema, RowMapping> mappings = new IdentityHashMap<>();

    /** Returns the Avro mapping of a Connect struct schema, as record {@code name}. */
    public RowMapping mapping(org.apache.kafka.connect.data.Schema struct, String name) {
        RowMapping mapping = mappings.get(struct);
        if (mapping == null) {
            mapping = new RowMapping(struct, name);
            mappings.put(struct, mapping);
        }
        return mapping;
    }

    /** An Avro record schema for one Connect struct schema, with its per-field value converters. */
    public static final class RowMapping {
        private final Schema schema;
        private final List<Field> connectFields;
        private final List<Function<Object, Object>> converters = new ArrayList<>();
        private final String[] columnNames;

        RowMapping(org.apache.kafka.connect.data.Schema struct, String name) {
            connectFields = struct.fields();
            columnNames = new String[connectFields.size()];
            SchemaBuilder.FieldAssembler<Schema> fields = SchemaBuilder.record(name)
                    .namespace(ChangeSchemas.NAMESPACE + ".change").fields();
            java.util.Set<String> used = new java.util.HashSet<>();
            for (int i = 0; i < connectFields.size(); i++) {
                Field field = connectFields.get(i);
                columnNames[i] = field.name();
                Mapped mapped = map(field.schema());
                converters.add(mapped.converter());
                // Every column is nullable in Avro: a delete's before-image under REPLICA IDENTITY DEFAULT
                // carries only the key, and an unchanged TOASTed value is null plus its name in "unchanged".
                Schema type = Schema.createUnion(Schema.create(Schema.Type.NULL), mapped.schema());
                String avroName = ChangeSchemas.avroName(field.name());
                for (int n = 2; !used.add(avroName); n++) { // "a-b" and "a_b" must not collide
                    avroName = ChangeSchemas.avroName(field.name()) + "_" + n;
                }
                var builder = fields.name(avroName);
                if (!avroName.equals(field.name())) {
                    builder = builder.prop(ChangeSchemas.COLUMN, field.name());
                }
                if (!field.schema().isOptional()) {
                    builder = builder.prop(NOT_NULL, "true");
                }
                Map<String, String> params = field.schema().parameters();
                if (params != null && params.get(SOURCE_TYPE) != null) {
                    builder = builder.prop(ChangeSchemas.PG_TYPE, params.get(SOURCE_TYPE).toLowerCase());
                }
                fields = builder.type(type).withDefault(null);
            }
            schema = fields.endRecord();
        }

        /** Returns the Avro record schema. */
        public Schema schema() {
            return schema;
        }

        /**
         * Converts a struct of this mapping's schema; names of columns that came as Debezium's unavailable
         * placeholder (unchanged TOAST) are added to {@code unchanged} and written as null.
         */
        public GenericRecord toAvro(Struct struct, List<String> unchanged) {
            return toAvro(struct, unchanged, null);
        }

        /**
         * Converts an after-image; an unchanged TOASTed column takes its value from {@code before} when the
         * before-image has it (REPLICA IDENTITY FULL), and is reported in {@code unchanged} only otherwise.
         */
        public GenericRecord toAvro(Struct struct, List<String> unchanged, Struct before) {
            GenericData.Record record = new GenericData.Record(schema);
            for (int i = 0; i < connectFields.size(); i++) {
                Object value = struct.get(connectFields.get(i));
                if (value != null && isUnavailable(value) && before != null) {
                    Object old = before.get(connectFields.get(i));
                    value = old != null && !isUnavailable(old) ? old : value;
                }
                if (value != null && isUnavailable(value)) {
                    if (unchanged != null) {
                        unchanged.add(columnNames[i]);
                    }
                    value = null;
                }
                record.put(i, value == null ? null : converters.get(i).apply(value));
            }
            return record;
        }
    }

    private record Mapped(Schema schema, Function<Object, Object> converter) {}

    private static Mapped map(org.apache.kafka.connect.data.Schema s) {
        String name = s.name() == null ? "" : s.name();
        switch (name) {
            case "org.apache.kafka.connect.data.Decimal":
                return decimal(s);
            case "io.debezium.data.VariableScaleDecimal":
                return new Mapped(prop(Schema.create(Schema.Type.STRING), "numeric"), v -> {
                    Struct st = (Struct) v;
                    return new BigDecimal(new BigInteger(bytes(st.get("value"))), st.getInt32("scale")).toPlainString();
                });
            case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date":
                return new Mapped(LogicalTypes.date().addToSchema(Schema.create(Schema.Type.INT)),
                        v -> v instanceof java.util.Date d ? (int) (d.getTime() / 86_400_000L) : v);
            case "io.debezium.time.MicroTime":
                return new Mapped(LogicalTypes.timeMicros().addToSchema(Schema.create(Schema.Type.LONG)), v -> v);
            case "io.debezium.time.Time":
                return new Mapped(LogicalTypes.timeMicros().addToSchema(Schema.create(Schema.Type.LONG)),
                        v -> ((Number) v).longValue() * 1000);
            case "io.debezium.time.NanoTime":
                return new Mapped(LogicalTypes.timeMicros().addToSchema(Schema.create(Schema.Type.LONG)),
                        v -> ((Number) v).longValue() / 1000);
            case "io.debezium.time.MicroTimestamp":
                return new Mapped(LogicalTypes.localTimestampMicros().addToSchema(Schema.create(Schema.Type.LONG)),
                        v -> v);
            case "io.debezium.time.Timestamp":
                return new Mapped(LogicalTypes.localTimestampMicros().addToSchema(Schema.create(Schema.Type.LONG)),
                        v -> ((Number) v).longValue() * 1000);
            case "io.debezium.time.NanoTimestamp":
                return new Mapped(LogicalTypes.localTimestampMicros().addToSchema(Schema.create(Schema.Type.LONG)),
                        v -> ((Number) v).longValue() / 1000);
            case "io.debezium.time.ZonedTimestamp":
                return new Mapped(LogicalTypes.timestampMicros().addToSchema(Schema.create(Schema.Type.LONG)),
                        ConnectToAvro::zonedMicros);
            case "io.debezium.data.Uuid":
                return new Mapped(LogicalTypes.uuid().addToSchema(Schema.create(Schema.Type.STRING)), v -> v);
            case "io.debezium.data.Json":
                return new Mapped(prop(Schema.create(Schema.Type.STRING), "json"), v -> v);
            case "io.debezium.data.Enum":
                return new Mapped(prop(Schema.create(Schema.Type.STRING), "enum"), v -> v);
            case "io.debezium.time.MicroDuration":
                return new Mapped(prop(Schema.create(Schema.Type.LONG), "interval_micros"), v -> v);
            default:
                return byType(s);
        }
    }

    private static Mapped byType(org.apache.kafka.connect.data.Schema s) {
        switch (s.type()) {
            case INT8, INT16:
                return new Mapped(Schema.create(Schema.Type.INT), v -> ((Number) v).intValue());
            case INT32:
                return new Mapped(Schema.create(Schema.Type.INT), v -> v);
            case INT64:
                return new Mapped(Schema.create(Schema.Type.LONG), v -> v);
            case FLOAT32:
                return new Mapped(Schema.create(Schema.Type.FLOAT), v -> v);
            case FLOAT64:
                return new Mapped(Schema.create(Schema.Type.DOUBLE), v -> v);
            case BOOLEAN:
                return new Mapped(Schema.create(Schema.Type.BOOLEAN), v -> v);
            case STRING:
                return new Mapped(Schema.create(Schema.Type.STRING), v -> v);
            case BYTES:
                return new Mapped(Schema.create(Schema.Type.BYTES), v -> ByteBuffer.wrap(bytes(v)));
            case ARRAY: {
                Mapped element = map(s.valueSchema());
                Schema items = s.valueSchema().isOptional()
                        ? Schema.createUnion(Schema.create(Schema.Type.NULL), element.schema()) : element.schema();
                return new Mapped(Schema.createArray(items), v -> {
                    List<?> in = (List<?>) v;
                    List<Object> out = new ArrayList<>(in.size());
                    for (Object e : in) {
                        out.add(e == null ? null : element.converter().apply(e));
                    }
                    return out;
                });
            }
            case MAP: {
                Mapped value = map(s.valueSchema());
                Schema values = s.valueSchema().isOptional()
                        ? Schema.createUnion(Schema.create(Schema.Type.NULL), value.schema()) : value.schema();
                return new Mapped(Schema.createMap(values), v -> {
                    Map<String, Object> out = new HashMap<>();
                    ((Map<?, ?>) v).forEach((k, e) -> out.put(String.valueOf(k),
                            e == null ? null : value.converter().apply(e)));
                    return out;
                });
            }
            default:
                // Structs Lockstep has no mapping for (geometry, …) travel as a stable text form, bytes in hex.
                return new Mapped(prop(Schema.create(Schema.Type.STRING), "struct"), ConnectToAvro::text);
        }
    }

    private static Mapped decimal(org.apache.kafka.connect.data.Schema s) {
        int scale = Integer.parseInt(s.parameters().getOrDefault("scale", "0"));
        String precisionParam = s.parameters().get("connect.decimal.precision");
        if (precisionParam == null) {
            return new Mapped(prop(Schema.create(Schema.Type.STRING), "numeric"),
                    v -> ((BigDecimal) v).toPlainString());
        }
        int precision = Integer.parseInt(precisionParam);
        return new Mapped(LogicalTypes.decimal(precision, scale).addToSchema(Schema.create(Schema.Type.BYTES)),
                v -> ByteBuffer.wrap(((BigDecimal) v).setScale(scale).unscaledValue().toByteArray()));
    }

    private static Schema prop(Schema schema, String lockstepType) {
        schema.addProp("lockstep.type", lockstepType);
        return schema;
    }

    private static Object zonedMicros(Object value) {
        String text = (String) value;
        try {
            var instant = OffsetDateTime.parse(text).toInstant();
            return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1000);
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new IllegalArgumentException("timestamptz value out of range for microseconds: " + text, e);
        }
    }

    private static String text(Object value) {
        if (value instanceof Struct struct) {
            StringBuilder out = new StringBuilder("{");
            for (Field field : struct.schema().fields()) {
                if (out.length() > 1) {
                    out.append(", ");
                }
                Object v = struct.get(field);
                out.append(field.name()).append('=').append(v == null ? "null" : text(v));
            }
            return out.append('}').toString();
        }
        if (value instanceof byte[] || value instanceof ByteBuffer) {
            return java.util.HexFormat.of().formatHex(bytes(value));
        }
        if (value instanceof List<?> list) {
            return list.stream().map(e -> e == null ? "null" : text(e)).toList().toString();
        }
        return String.valueOf(value);
    }

    private static byte[] bytes(Object v) {
        if (v instanceof byte[] b) {
            return b;
        }
        ByteBuffer buffer = ((ByteBuffer) v).duplicate();
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    private static boolean isUnavailable(Object value) {
        if (value instanceof String s) {
            return s.equals(UNAVAILABLE);
        }
        if (value instanceof byte[] || value instanceof ByteBuffer) {
            return Arrays.equals(bytes(value), UNAVAILABLE_BYTES);
        }
        if (value instanceof List<?> list && list.size() == 1) {
            return list.get(0) != null && isUnavailable(list.get(0));
        }
        return false;
    }
}
