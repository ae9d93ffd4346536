package dev.lockstep.runtime;

import dev.lockstep.control.ApplyLease;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.migrations.DeploymentState;
import dev.lockstep.migrations.Deployments;
import dev.lockstep.migrations.WarehouseMigrations;
import dev.lockstep.migrations.lint.Overrides;
import dev.lockstep.migrations.plan.HandWrittenMigration;
import dev.lockstep.migrations.plan.MigrationPlan;
import dev.lockstep.migrations.plan.Operation;
import dev.lockstep.warehouse.star.StarSchema;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lockstep rollback}: a deployment of an older version. A deployment still before its switch is cancelled —
 * its expand phase undone by a new forward migration built from its down script, the version recorded rolled back.
 * A switched one is finished (its contract phase), then the older version's text is deployed as the next version:
 * the columns it changed are rebuilt from the raw layer under the older definition (the down DDL alone would not
 * restore values), the columns it had are added back and derived again. What cannot come back — the historical
 * versions of an SCD 2 attribute added back, whose values the raw layer does not hold; the versions of a dimension
 * turned back into SCD 2; rows deleted while {@code on_delete} was {@code hard} — is named, and refused without
 * {@code --force}.
 */
public final class Rollback {

    private static final Logger LOG = LoggerFactory.getLogger(Rollback.class);

    private Rollback() {}

    /**
     * Rolls the pipeline of {@code file} back to definition version {@code to} (the version before the newest
     * when empty).
     *
     * @throws LockstepException {@link ErrorCode#INVALID_INPUT} for a version that cannot be rolled back to, or a
     *     loss not forced; {@link ErrorCode#PIPELINE_STOPPED} for a cancel while {@code run} applies the pipeline
     */
    public static Deployer.Outcome rollBack(Path file, Deployer.Options options, OptionalInt to, boolean force) {
        DefinitionText read = DefinitionText.read(file, options.environment());
        PipelineDefinition definition = read.load();
        DataSource warehouse = WarehouseDeployment.dataSource(definition.warehouse().postgres());
        Deployments deployments = new Deployments(warehouse, definition.pipeline());
        WarehouseMigrations.Deployed newest = deployments.latest().orElseThrow(() -> new LockstepException(
                ErrorCode.INVALID_INPUT, "pipeline " + definition.pipeline() + " was never deployed: nothing to roll "
                + "back"));
        if (newest.state().active() && !newest.state().switched()) {
            return cancel(definition, warehouse, deployments, newest, read);
        }
        if (newest.state().active()) {
            // Switched with its contract pending: finished first, the older version then rebuilds what it needs.
            DefinitionText text = read.other("deployed version " + newest.version(), newest.definition());
            DeploymentPlan plan = DeploymentPlan.of(text, options.overrides(), OptionalInt.of(
                    deployments.switchedBefore(newest.version()).version()));
            new Deployer(file, options.withContract()).carryOut(plan, deployments, newest.version(),
                    newest.definition());
        }
        int target = to.orElseGet(() -> deployments.switchedBefore(newest.version()).version());
        WarehouseMigrations.Deployed older = deployments.version(target).filter(d -> d.version() < newest.version()
                && d.state().switched()).orElseThrow(() -> new LockstepException(ErrorCode.INVALID_INPUT, "pipeline "
                + definition.pipeline() + ": version " + target + " is not an older version that was deployed "
                + "(the newest is " + newest.version() + ")"));
        DefinitionText text = read.other("deployed version " + target, older.definition());
        // The hand-written migrations of the versions rolled back are undone by their down scripts, newest first.
        List<HandWrittenMigration> handWritten = deployments.handWrittenAfter(target);
        DeploymentPlan plan = DeploymentPlan.of(text, options.overrides(), OptionalInt.empty(), handWritten.stream()
                .flatMap(m -> m.undo().stream()).toList());
        List<String> losses = new ArrayList<>(losses(plan));
        handWritten.stream().filter(m -> m.down().isEmpty()).forEach(m -> losses.add("hand-written migration "
                + m.fileName() + " has no down script: what it made stays"));
        if (!losses.isEmpty() && !force) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "rolling pipeline " + definition.pipeline()
                    + " back to version " + target + " cannot bring everything back, so nothing was changed:\n  "
                    + String.join("\n  ", losses) + "\nRoll back with --force to accept it.");
        }
        Deployer.requireDeployable(plan);
        LOG.info("pipeline '{}': rolling back from version {} to the text of version {}", definition.pipeline(),
                newest.version(), target);
        return new Deployer(file, options).carryOut(plan, deployments, -1, older.definition());
    }

    /**
     * What the rollback cannot restore: historical SCD 2 values of the attributes it adds back, the versions of a
     * dimension it turns back into SCD 2, the rows deleted while {@code on_delete} was {@code hard}.
     */
    private static List<String> losses(DeploymentPlan plan) {
        StarSchema star = plan.star();
        String retired = MigrationPlan.retiredSchema(star);
        List<String> losses = new ArrayList<>();
        for (Operation o : plan.diff().operations()) {
            boolean scd2 = star.dimension(o.target()).filter(StarSchema.DimensionTable::scd2).isPresent();
            if ((o.kind() == Operation.Kind.ADD_ATTRIBUTE || o.kind() == Operation.Kind.RENAME_ATTRIBUTE) && scd2) {
                losses.add("the historical versions of " + o.target() + "." + o.item() + " come back NULL (the raw "
                        + "layer holds current state only; values a contract phase dropped are kept in " + retired
                        + ")");
            } else if (o.kind() == Operation.Kind.CHANGE_SCD && scd2) {
                losses.add("the versions of " + o.target() + " do not come back: each member's row becomes its first "
                        + "version again (the versions SCD 1 retired are kept in " + retired + ")");
            } else if (o.kind() == Operation.Kind.CHANGE_ON_DELETE && o.after().filter("soft"::equals).isPresent()) {
                losses.add("the rows of " + o.target() + " deleted while on_delete was hard do not come back (those "
                        + "a contract deleted are kept in " + retired + ")");
            }
        }
        return losses;
    }

    /**
     * Cancels deployment {@code newest} before its switch: its shadow columns are dropped by a new forward migration
     * (its expand phase's down script), and it is recorded rolled back. Needs the apply stage paused.
     */
    private static Deployer.Outcome cancel(PipelineDefinition definition, DataSource warehouse,
            Deployments deployments, WarehouseMigrations.Deployed newest, DefinitionText read) {
        try (Connection lease = warehouse.getConnection()) {
            if (!ApplyLease.isFree(lease, definition.pipeline())) {
                throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "pipeline " + definition.pipeline() + " is "
                        + "being applied (`lockstep run` holds its apply lease) while the deployment of version "
                        + newest.version() + " is " + newest.state().sql() + ": stop it, then roll back; nothing was "
                        + "changed");
            }
            lease.setAutoCommit(false);
            ApplyLease.acquire(lease, definition.pipeline());
            DefinitionText text = read.other("deployed version " + newest.version(), newest.definition());
            DeploymentPlan plan = DeploymentPlan.of(text, Overrides.none(),
                    OptionalInt.of(deployments.switchedBefore(newest.version()).version()));
            Map<Integer, String> scripts = deployments.migrations(newest.version());
            List<Integer> applied = List.of();
            boolean expanded = newest.state() != DeploymentState.PLANNED && !plan.migrations().expandDown().isEmpty()
                    && scripts.values().stream().anyMatch(f -> f.endsWith("__expand.sql"));
            if (expanded) {
                deployments.forgetUnapplied(newest.version()); // its switch and contract never run
                int version = deployments.store(newest.version(), "rollback", MigrationPlan.script(plan.migrations()
                        .expandDown()), MigrationPlan.script(plan.migrations().expand()),
                        WarehouseMigrations.Phase.CONTRACT);
                applied = WarehouseMigrations.builder().dataSource(warehouse).pipeline(definition.pipeline())
                        .warehouseSchema(definition.warehouse().schema())
                        .deployment(WarehouseMigrations.Deployment.of(newest.version(), newest.definition())).build()
                        .migrateTo(version);
            }
            deployments.state(newest.version(), DeploymentState.ROLLED_BACK, "rolled back before its switch");
            LOG.info("pipeline '{}': cancelled the deployment of version {} ({})", definition.pipeline(),
                    newest.version(), newest.state().sql());
            return new Deployer.Outcome(newest.version(), DeploymentState.ROLLED_BACK, applied, 0, List.of());
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "pipeline " + definition.pipeline() + ": cannot roll "
                    + "back: " + e.getMessage(), e);
        }
    }
}
