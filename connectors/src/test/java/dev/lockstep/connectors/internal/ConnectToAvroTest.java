package dev.lockstep.connectors.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

class ConnectToAvroTest {

    private final ConnectToAvro mapper = new ConnectToAvro();

    private static final org.apache.kafka.connect.data.Schema VARIABLE_SCALE = SchemaBuilder.struct()
            .name("io.debezium.data.VariableScaleDecimal").optional()
            .field("scale", org.apache.kafka.connect.data.Schema.INT32_SCHEMA)
            .field("value", org.apache.kafka.connect.data.Schema.BYTES_SCHEMA).build();

    private static final org.apache.kafka.connect.data.Schema ROW = SchemaBuilder.struct().name("row")
            .field("id", org.apache.kafka.connect.data.Schema.INT64_SCHEMA)
            .field("price", Decimal.builder(2).parameter("connect.decimal.precision", "10").optional().build())
            .field("ratio", VARIABLE_SCALE)
            .field("paid_at", SchemaBuilder.string().name("io.debezium.time.ZonedTimestamp").optional().build())
            .field("ordered_at", SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").optional().build())
            .field("day", SchemaBuilder.int32().name("io.debezium.time.Date").optional().build())
            .field("body", SchemaBuilder.string().optional().parameter("__debezium.source.column.type", "TEXT").build())
            .field("Order Note", org.apache.kafka.connect.data.Schema.OPTIONAL_STRING_SCHEMA)
            .field("tags", SchemaBuilder.array(org.apache.kafka.connect.data.Schema.OPTIONAL_STRING_SCHEMA).optional()
                    .build())
            .build();

    @Test
    void shouldMapTypesExactly() {
        ConnectToAvro.RowMapping mapping = mapper.mapping(ROW, "orders_Row");
        Schema avro = mapping.schema();

        assertThat(nonNull(avro, "price").getLogicalType()).isEqualTo(LogicalTypes.decimal(10, 2));
        assertThat(nonNull(avro, "ratio").getType()).isEqualTo(Schema.Type.STRING);
        assertThat(nonNull(avro, "paid_at").getLogicalType()).isEqualTo(LogicalTypes.timestampMicros());
        assertThat(nonNull(avro, "ordered_at").getLogicalType()).isEqualTo(LogicalTypes.localTimestampMicros());
        assertThat(nonNull(avro, "day").getLogicalType()).isEqualTo(LogicalTypes.date());
        assertThat(avro.getField("body").getProp("lockstep.pg.type")).isEqualTo("text");
        assertThat(avro.getField("Order_Note").getProp("lockstep.column")).isEqualTo("Order Note");
        assertThat(avro.getField("id").getProp(ConnectToAvro.NOT_NULL)).isEqualTo("true");

        Struct row = new Struct(ROW).put("id", 7L).put("price", new BigDecimal("12.50"))
                .put("ratio", new Struct(VARIABLE_SCALE).put("scale", 4).put("value",
                        BigInteger.valueOf(31416).toByteArray()))
                .put("paid_at", "2026-03-01T10:15:30.123456Z").put("ordered_at", 1_000_001L).put("day", 19_000)
                .put("body", "text").put("Order Note", "fragile").put("tags", List.of("a", "b"));
        GenericRecord record = mapping.toAvro(row, new ArrayList<>());

        assertThat(new BigDecimal(new BigInteger(bytes((ByteBuffer) record.get("price"))), 2))
                .isEqualByComparingTo("12.50");
        assertThat(record.get("ratio")).isEqualTo("3.1416");
        assertThat(record.get("paid_at")).isEqualTo(1_772_360_130_123_456L);
        assertThat(record.get("ordered_at")).isEqualTo(1_000_001L);
        assertThat(record.get("Order_Note")).isEqualTo("fragile");
    }

    @Test
    void shouldReportUnavailableToastedValuesAsUnchanged() {
        ConnectToAvro.RowMapping mapping = mapper.mapping(ROW, "orders_Row");
        Struct row = new Struct(ROW).put("id", 7L).put("body", ConnectToAvro.UNAVAILABLE)
                .put("tags", List.of(ConnectToAvro.UNAVAILABLE));
        List<String> unchanged = new ArrayList<>();

        GenericRecord record = mapping.toAvro(row, unchanged);

        assertThat(unchanged).containsExactly("body", "tags");
        assertThat(record.get("body")).isNull();
        assertThat(record.get("tags")).isNull();
    }

    @Test
    void shouldTakeUnchangedValueFromFullBeforeImage() {
        ConnectToAvro.RowMapping mapping = mapper.mapping(ROW, "orders_Row");
        Struct before = new Struct(ROW).put("id", 7L).put("body", "the old body");
        Struct after = new Struct(ROW).put("id", 7L).put("body", ConnectToAvro.UNAVAILABLE);
        List<String> unchanged = new ArrayList<>();

        GenericRecord record = mapping.toAvro(after, unchanged, before);

        assertThat(record.get("body")).isEqualTo("the old body");
        assertThat(unchanged).isEmpty();
    }

    @Test
    void shouldKeepColumnsApartWhoseAvroNamesCollide() {
        org.apache.kafka.connect.data.Schema row = SchemaBuilder.struct().name("collide")
                .field("a-b", org.apache.kafka.connect.data.Schema.OPTIONAL_STRING_SCHEMA)
                .field("a_b", org.apache.kafka.connect.data.Schema.OPTIONAL_STRING_SCHEMA).build();

        Schema avro = mapper.mapping(row, "collide_Row").schema();

        assertThat(avro.getFields()).extracting(Schema.Field::name).containsExactly("a_b", "a_b_2");
        assertThat(avro.getField("a_b").getProp("lockstep.column")).isEqualTo("a-b");
        assertThat(avro.getField("a_b_2").getProp("lockstep.column")).isEqualTo("a_b");
    }

    @Test
    void shouldCacheMappingPerConnectSchema() {
        assertThat(mapper.mapping(ROW, "orders_Row")).isSameAs(mapper.mapping(ROW, "orders_Row"));
    }

    private static Schema nonNull(Schema record, String field) {
        return record.getField(field).schema().getTypes().get(1);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}
