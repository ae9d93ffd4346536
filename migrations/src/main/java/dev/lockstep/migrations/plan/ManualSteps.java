package dev.lockstep.migrations.plan;

import dev.lockstep.core.definition.PipelineDefinition;
import java.util.List;

/** The steps a data engineer takes by hand for a change a deployment refuses. */
final class ManualSteps {

    private ManualSteps() {}

    /**
     * A change PostgreSQL cannot make to a loaded table in place (grain, natural key, partitioning, source table):
     * build the target again beside the old one, move to it, drop the old one.
     */
    static List<String> rebuildBeside(String kind, String name, String table, String change, String from) {
        String copy = name + "_v2";
        return List.of(
                "Add a " + kind + " `" + copy + "` (from " + from + ") with the " + change + " beside `" + name
                        + "` and deploy: the deployment loads it from the raw layer before its switch.",
                "Move queries, quality rules" + (kind.equals("dimension") ? " and the facts' references" : "")
                        + " from " + table + " to its new table.",
                "Remove `" + name + "` from the definition and deploy: " + table + " is dropped.");
    }

    /**
     * A new time zone changes every date key and every expression that reads a time of day or a date from a
     * timestamp: in effect a new warehouse.
     */
    static List<String> timezone(PipelineDefinition next) {
        String copy = next.pipeline() + "_tz";
        return List.of(
                "Keep `timezone` as deployed, and derive the local dates you need in expressions instead "
                        + "(`(created_at AT TIME ZONE '" + next.timezone() + "')::date`, a new reference or measure).",
                "Or build the warehouse again in the new time zone beside this one: a pipeline `" + copy + "` with "
                        + "its own warehouse schema, slot and publication (deploy and run it: its initial snapshot "
                        + "loads it), move readers to it, then `lockstep undeploy` this one.");
    }

    static List<String> warehouseSchema(String deployed, String next) {
        return List.of(
                "Stop the pipeline.",
                "In the warehouse: ALTER SCHEMA " + deployed + " RENAME TO " + next + "; ALTER SCHEMA " + deployed
                        + "_raw RENAME TO " + next + "_raw; (Flyway's history table moves with the schema).",
                "Deploy the definition with `warehouse.schema: " + next + "`, or keep `schema: " + deployed + "`.");
    }

    static List<String> slot(String deployed, PipelineDefinition next) {
        return List.of(
                "Keep `source.postgres.slot: " + deployed + "` if you can: a new slot starts at the WAL position at "
                        + "which it is created, and the changes before it would never reach the warehouse.",
                "To move anyway: stop the pipeline, deploy with the new slot, then have every source table read "
                        + "again (`lockstep resnapshot <definition> --table <table>` for each of "
                        + next.source().tables() + "), and run.",
                "Drop the old slot on the source, or it holds WAL forever: SELECT pg_drop_replication_slot('"
                        + deployed + "');");
    }

    static List<String> publication(String deployed, PipelineDefinition next) {
        return List.of(
                "Stop the pipeline.",
                "On the source: ALTER PUBLICATION " + deployed + " RENAME TO " + next.source().postgres().publication()
                        + ";",
                "Deploy the definition; or keep `source.postgres.publication: " + deployed + "`.");
    }
}
