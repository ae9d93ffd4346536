package dev.lockstep.core.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.core.stream.TableId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

class EnvelopeCodecTest {

    private final Map<Long, Schema> schemas = new HashMap<>();
    private final SchemaStore store = schemas::get;
    private final EnvelopeCodec codec = new EnvelopeCodec(store);

    private static final Schema KEY = SchemaBuilder.record("orders_Key").fields().requiredLong("id").endRecord();
    private static final Schema ROW_V1 = SchemaBuilder.record("orders_Row").fields()
            .optionalLong("id").optionalString("status").endRecord();
    private static final Schema ROW_V2 = SchemaBuilder.record("orders_Row").fields()
            .optionalLong("id").optionalString("status").optionalString("channel").endRecord();

    private Schema register(Schema schema) {
        schemas.put(EnvelopeCodec.fingerprint(schema), schema);
        return schema;
    }

    private GenericRecord change(Schema envelope, Schema row, Object... after) {
        GenericData.Record key = new GenericData.Record(KEY);
        key.put("id", 7L);
        GenericData.Record image = new GenericData.Record(row);
        for (int i = 0; i < after.length; i++) {
            image.put(i, after[i]);
        }
        GenericData.Record position = new GenericData.Record(ChangeSchemas.POSITION);
        position.put("commit_lsn", 1000L);
        position.put("sequence", 2L);
        GenericData.Record change = new GenericData.Record(envelope);
        change.put("op", new GenericData.EnumSymbol(ChangeSchemas.OPERATION, "UPDATE"));
        change.put("table", "public.orders");
        change.put("key", key);
        change.put("after", image);
        change.put("unchanged", List.of());
        change.put("tx_id", 55L);
        change.put("commit_ts", 1_700_000_000_000_000L);
        change.put("schema_version", ChangeSchemas.versionOf(envelope));
        change.put("snapshot", new GenericData.EnumSymbol(ChangeSchemas.SNAPSHOT_PHASE, "STREAMING"));
        change.put("position", position);
        return change;
    }

    @Test
    void shouldRoundTripWithSingleObjectHeader() {
        Schema envelope = register(ChangeSchemas.change("shop", TableId.parse("public.orders"), KEY, ROW_V1, 1));
        GenericRecord change = change(envelope, ROW_V1, 7L, "paid");

        byte[] bytes = codec.encode(change);

        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        assertThat(EnvelopeCodec.fingerprintOf(bytes)).isEqualTo(EnvelopeCodec.fingerprint(envelope));
        GenericRecord decoded = codec.decode(bytes);
        assertThat(decoded).isEqualTo(change);
        assertThat(ChangeSchemas.kindOf(decoded.getSchema())).isEqualTo(ChangeSchemas.Kind.CHANGE);
        assertThat(ChangeSchemas.tableOf(decoded.getSchema())).isEqualTo(TableId.parse("public.orders"));
    }

    @Test
    void shouldAppendPositionToPartialRecord() {
        Schema envelope = register(ChangeSchemas.change("shop", TableId.parse("public.orders"), KEY, ROW_V1, 1));
        GenericRecord change = change(envelope, ROW_V1, 7L, "paid");
        GenericData.Record prefix = new GenericData.Record(ChangeSchemas.withoutPosition(envelope));
        for (Schema.Field f : prefix.getSchema().getFields()) {
            prefix.put(f.pos(), change.get(f.name()));
        }

        byte[] completed = codec.encodeWithoutPosition(prefix, envelope).withPosition(1000L, 2L);

        assertThat(completed).isEqualTo(codec.encode(change));
    }

    @Test
    void shouldEvolveOldVersionToNewReaderSchema() {
        Schema v1 = register(ChangeSchemas.change("shop", TableId.parse("public.orders"), KEY, ROW_V1, 1));
        Schema v2 = register(ChangeSchemas.change("shop", TableId.parse("public.orders"), KEY, ROW_V2, 2));
        byte[] old = codec.encode(change(v1, ROW_V1, 7L, "paid"));

        GenericRecord evolved = codec.decode(old, v2);

        GenericRecord after = (GenericRecord) evolved.get("after");
        assertThat(after.get("status").toString()).isEqualTo("paid");
        assertThat(after.get("channel")).isNull();
    }

    @Test
    void shouldReportUnknownFingerprintAndCorruptBytes() {
        Schema envelope = ChangeSchemas.change("shop", TableId.parse("public.orders"), KEY, ROW_V1, 1);
        byte[] bytes = codec.encode(change(envelope, ROW_V1, 7L, "paid"));

        assertThatThrownBy(() -> codec.decode(bytes)).isInstanceOf(UndecodableRecordException.class)
                .hasMessageContaining("unknown schema fingerprint");
        assertThatThrownBy(() -> codec.decode("plain text".getBytes()))
                .hasMessageContaining("not an Avro single-object encoded record");
        register(envelope);
        byte[] truncated = java.util.Arrays.copyOf(bytes, 14);
        assertThatThrownBy(() -> codec.decode(truncated)).isInstanceOf(UndecodableRecordException.class)
                .hasMessageContaining("corrupt record body");
    }

    @Test
    void shouldGiveDistinctFingerprintsToVersionsPipelinesAndDecimalScales() {
        Schema row2 = SchemaBuilder.record("orders_Row").fields().name("amount").type(
                org.apache.avro.LogicalTypes.decimal(10, 2).addToSchema(Schema.create(Schema.Type.BYTES))).noDefault()
                .endRecord();
        Schema row4 = SchemaBuilder.record("orders_Row").fields().name("amount").type(
                org.apache.avro.LogicalTypes.decimal(12, 4).addToSchema(Schema.create(Schema.Type.BYTES))).noDefault()
                .endRecord();
        TableId orders = TableId.parse("public.orders");

        assertThat(ChangeSchemas.shapeOf(KEY, row2)).isNotEqualTo(ChangeSchemas.shapeOf(KEY, row4));
        assertThat(EnvelopeCodec.fingerprint(ChangeSchemas.change("shop", orders, KEY, row2, 1)))
                .isNotEqualTo(EnvelopeCodec.fingerprint(ChangeSchemas.change("shop", orders, KEY, row4, 2)))
                .isNotEqualTo(EnvelopeCodec.fingerprint(ChangeSchemas.change("crm", orders, KEY, row2, 1)));
    }

    @Test
    void shouldMakeValidAvroNamesFromAnyTableName() {
        assertThat(ChangeSchemas.avroName(new TableId("sales", "Order Lines"))).isEqualTo("sales__Order_Lines");
        assertThat(ChangeSchemas.avroName("2024data")).isEqualTo("_2024data");
    }
}
