package dev.lockstep.core.envelope;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

/**
 * Avro single-object encoding (marker {@code C3 01}, the writer schema's 64-bit fingerprint, then the binary
 * body): any Avro library can decode Lockstep's topics given the schema store.
 *
 * <p>Writers and readers are cached per schema; an instance is not thread-safe (keep one per thread).
 */
public final class EnvelopeCodec {

    private static final byte MARKER_0 = (byte) 0xC3;
    private static final byte MARKER_1 = (byte) 0x01;
    private static final int HEADER = 10;

    private final SchemaStore store;
    private final Map<Schema, Writer> writers = new ConcurrentHashMap<>();
    private final Map<Long, GenericDatumReader<GenericRecord>> readers = new ConcurrentHashMap<>();
    private final Map<ResolutionKey, GenericDatumReader<GenericRecord>> resolvingReaders = new ConcurrentHashMap<>();
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024);
    private BinaryEncoder encoder;
    private BinaryDecoder decoder;

    /** A codec that decodes with {@code store}; encoding needs no store. */
    public EnvelopeCodec(SchemaStore store) {
        this.store = requireNonNull(store, "store");
    }

    /** Returns the 64-bit parsing fingerprint single-object encoding uses for {@code schema}. */
    public static long fingerprint(Schema schema) {
        return SchemaNormalization.parsingFingerprint64(schema);
    }

    /** Encodes {@code record} with its own schema. */
    public byte[] encode(GenericRecord record) {
        Writer writer = writers.computeIfAbsent(record.getSchema(), Writer::new);
        buffer.reset();
        buffer.write(writer.header, 0, HEADER);
        encoder = EncoderFactory.get().directBinaryEncoder(buffer, encoder);
        try {
            writer.datumWriter.write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }

    /** Returns the fingerprint in the header of {@code bytes}; fails when they are not single-object encoded. */
    public static long fingerprintOf(byte[] bytes) {
        if (bytes == null || bytes.length < HEADER || bytes[0] != MARKER_0 || bytes[1] != MARKER_1) {
            throw new UndecodableRecordException("not an Avro single-object encoded record ("
                    + (bytes == null ? "null" : bytes.length + " bytes") + ")", null);
        }
        return ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** Decodes {@code bytes} with the schema they were written with. */
    public GenericRecord decode(byte[] bytes) {
        long fingerprint = fingerprintOf(bytes);
        GenericDatumReader<GenericRecord> reader = readers.computeIfAbsent(fingerprint, fp -> {
            Schema writer = store.findByFingerprint(fp);
            return writer == null ? null : new GenericDatumReader<>(writer, writer, GenericData.get());
        });
        if (reader == null) {
            throw new UndecodableRecordException("unknown schema fingerprint " + Long.toHexString(fingerprint)
                    + ": not in the schema store", null);
        }
        try {
            decoder = DecoderFactory.get().binaryDecoder(bytes, HEADER, bytes.length - HEADER, decoder);
            return reader.read(null, decoder);
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new UndecodableRecordException("corrupt record body for schema "
                    + reader.getSchema().getFullName() + ": " + e, e);
        }
    }

    /** Decodes {@code bytes} and resolves them to {@code reader} (an older version evolves to the newer one). */
    public GenericRecord decode(byte[] bytes, Schema reader) {
        long fingerprint = fingerprintOf(bytes);
        Schema writer = store.findByFingerprint(fingerprint);
        if (writer == null) {
            throw new UndecodableRecordException("unknown schema fingerprint " + Long.toHexString(fingerprint)
                    + ": not in the schema store", null);
        }
        GenericDatumReader<GenericRecord> resolving = resolvingReaders
                .computeIfAbsent(new ResolutionKey(fingerprint, reader),
                        k -> new GenericDatumReader<>(writer, reader, GenericData.get()));
        try {
            decoder = DecoderFactory.get().binaryDecoder(bytes, HEADER, bytes.length - HEADER, decoder);
            return resolving.read(null, decoder);
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new UndecodableRecordException("cannot read record of schema " + writer.getFullName()
                    + " as " + reader.getFullName() + ": " + e, e);
        }
    }

    private record ResolutionKey(long fingerprint, Schema reader) {}

    private static final class Writer {
        final byte[] header = new byte[HEADER];
        final GenericDatumWriter<GenericRecord> datumWriter;

        Writer(Schema schema) {
            header[0] = MARKER_0;
            header[1] = MARKER_1;
            ByteBuffer.wrap(header, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(fingerprint(schema));
            datumWriter = new GenericDatumWriter<>(schema, GenericData.get());
        }
    }
}
