package dev.lockstep.core.definition;

import dev.lockstep.core.definition.internal.FormatDocs;

/**
 * The definition format as documents, generated from the same declarations the parser reads: the JSON Schema
 * (checked in as {@code docs/pipeline.schema.json}, for editors' completion) and the reference tables of
 * {@code docs/pipeline-definition.md}.
 */
public final class DefinitionSchema {

    private DefinitionSchema() {}

    /** Returns the JSON Schema (draft-07), pretty-printed, ending with a newline. */
    public static String jsonSchema() {
        return FormatDocs.jsonSchema();
    }

    /** Returns the Markdown reference: every key with its type, default, description and example. */
    public static String referenceMarkdown() {
        return FormatDocs.referenceMarkdown();
    }
}
