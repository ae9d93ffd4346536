package dev.lockstep.warehouse.raw;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class CopyTextTest {

    private static String copy(Schema schema, Object value) {
        StringBuilder line = new StringBuilder();
        CopyText.append(line, schema, value);
        return line.toString();
    }

    @Test
    void shouldWriteExactValuesInPostgresInputSyntax() {
        Schema decimal = LogicalTypes.decimal(12, 3).addToSchema(Schema.create(Schema.Type.BYTES));
        assertThat(copy(decimal, ByteBuffer.wrap(BigInteger.valueOf(-1234567).toByteArray()))).isEqualTo("-1234.567");
        assertThat(copy(LogicalTypes.date().addToSchema(Schema.create(Schema.Type.INT)), 19_000)).isEqualTo("2022-01-08");
        assertThat(copy(LogicalTypes.timestampMicros().addToSchema(Schema.create(Schema.Type.LONG)), -1L))
                .isEqualTo("1969-12-31 23:59:59.999999+00");
        assertThat(copy(LogicalTypes.localTimestampMicros().addToSchema(Schema.create(Schema.Type.LONG)), 1_500_000L))
                .isEqualTo("1970-01-01 00:00:01.500");
        assertThat(copy(LogicalTypes.timeMicros().addToSchema(Schema.create(Schema.Type.LONG)), 3_723_000_001L))
                .isEqualTo("01:02:03.000001");
        assertThat(copy(Schema.create(Schema.Type.BOOLEAN), true)).isEqualTo("t");
        Schema date = LogicalTypes.date().addToSchema(Schema.create(Schema.Type.INT));
        assertThat(copy(date, (int) java.time.LocalDate.of(10_000, 1, 2).toEpochDay())).isEqualTo("10000-01-02");
        assertThat(copy(date, (int) java.time.LocalDate.of(9_999, 12, 31).toEpochDay())).isEqualTo("9999-12-31");
        assertThat(copy(date, (int) java.time.LocalDate.of(999, 1, 2).toEpochDay())).isEqualTo("0999-01-02");
        assertThat(copy(date, (int) java.time.LocalDate.of(1, 1, 1).toEpochDay())).isEqualTo("0001-01-01");
        assertThat(copy(date, (int) java.time.LocalDate.of(0, 12, 31).toEpochDay())).isEqualTo("0001-12-31 BC");
        assertThat(copy(date, (int) java.time.LocalDate.of(-43, 3, 15).toEpochDay())).isEqualTo("0044-03-15 BC");
        assertThat(copy(LogicalTypes.timeMicros().addToSchema(Schema.create(Schema.Type.LONG)), 86_400_000_000L))
                .isEqualTo("24:00:00");
        assertThat(copy(LogicalTypes.localTimestampMicros().addToSchema(Schema.create(Schema.Type.LONG)),
                java.time.LocalDateTime.of(-43, 3, 15, 12, 0).toEpochSecond(java.time.ZoneOffset.UTC) * 1_000_000L))
                .isEqualTo("0044-03-15 12:00 BC");
    }

    @Test
    void shouldEscapeForCopyAndQuoteArrayElements() {
        assertThat(copy(Schema.create(Schema.Type.STRING), "a\tb\nc\\d")).isEqualTo("a\\tb\\nc\\\\d");
        assertThat(copy(Schema.create(Schema.Type.BYTES), ByteBuffer.wrap(new byte[] {(byte) 0xCA, (byte) 0xFE})))
                .isEqualTo("\\\\xcafe");
        Schema texts = Schema.createArray(Schema.createUnion(Schema.create(Schema.Type.NULL),
                Schema.create(Schema.Type.STRING)));
        assertThat(copy(texts, Arrays.asList("a,b", null, "q\"x"))).isEqualTo("{\"a,b\",NULL,\"q\\\\\"x\"}");
        assertThat(copy(Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)), null))
                .isEqualTo("\\N");
    }
}
