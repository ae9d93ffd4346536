package dev.lockstep.core.envelope;

import org.apache.avro.Schema;

/** Resolves the schema a single-object-encoded record was written with. Thread-safe. */
public interface SchemaStore extends org.apache.avro.message.SchemaStore {

    /** Returns the schema with this 64-bit parsing fingerprint, or null when it is not (yet) known. */
    @Override
    Schema findByFingerprint(long fingerprint);
}
