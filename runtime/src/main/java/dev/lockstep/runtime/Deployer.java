package dev.lockstep.runtime;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lockstep.control.ApplyLease;
import dev.lockstep.control.OffsetStore;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.migrations.DeploymentState;
import dev.lockstep.migrations.Deployments;
import dev.lockstep.migrations.WarehouseMigrations;
import dev.lockstep.migrations.WarehouseMigrations.Phase;
import dev.lockstep.migrations.lint.LintRule;
import dev.lockstep.migrations.lint.Overrides;
import dev.lockstep.migrations.plan.HandWrittenMigration;
import dev.lockstep.migrations.plan.MigrationPlan;
import dev.lockstep.migrations.plan.Operation;
import dev.lockstep.warehouse.raw.MigrationScript;
import dev.lockstep.warehouse.star.ColumnRebuild;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lockstep deploy} of a changed definition: records it as the pipeline's next version with its scripts, then
 * runs expand → rebuild → switch → (hand-written) → contract, recording each state as the step before it commits,
 * so that a deploy killed at any step resumes from there when run again with the same file.
 *
 * <p>The apply stage is paused for the whole deployment: the deploy holds the pipeline's apply lease, so no batch
 * commits while the warehouse changes shape (extract keeps streaming into the topic; {@code run} catches up after).
 * A pipeline whose {@code run} holds the lease is refused: deploying between a running applier's batches is not
 * built yet. Rows are rebuilt from the raw layer into shadow columns, in chunks, each its own transaction; the switch
 * renames them into place in one transaction, so a reader sees the old values or the new ones, never a mix.
 */
public final class Deployer {

    private static final Logger LOG = LoggerFactory.getLogger(Deployer.class);

    /** The operations a deployment carries out today; the others are refused before anything is recorded. */
    private static final Set<Operation.Kind> DEPLOYABLE = EnumSet.of(Operation.Kind.ADD_ATTRIBUTE,
            Operation.Kind.ADD_MEASURE, Operation.Kind.DROP_ATTRIBUTE, Operation.Kind.DROP_MEASURE,
            Operation.Kind.RENAME_ATTRIBUTE, Operation.Kind.RENAME_MEASURE, Operation.Kind.CHANGE_EXPRESSION,
            Operation.Kind.CHANGE_TYPE, Operation.Kind.CHANGE_PII, Operation.Kind.ADD_RULE, Operation.Kind.DROP_RULE,
            Operation.Kind.CHANGE_RULE, Operation.Kind.CHANGE_SETTING, Operation.Kind.COMMENT_ONLY);

    /** A step of a deployment, where a test (or {@code LOCKSTEP_FAIL_POINT}) can stop it as a crash would. */
    public enum Step {
        /** Before the expand migration runs (state expanding). */
        EXPAND,
        /** After the first rebuild chunk committed (state rebuilding). */
        REBUILD,
        /** Before the switch migration runs (state rebuilding, every chunk committed). */
        SWITCH,
        /** Before the contract migration runs (state contracting). */
        CONTRACT
    }

    /**
     * How to deploy.
     *
     * @param overrides the lint rules allowed, with their reasons (recorded with the deployment)
     * @param operator who deploys, recorded with the deployment
     * @param contract whether to run the contract phase (drops) now; without it the deployment stays switched
     * @param chunkSize source rows per rebuild chunk
     * @param failPoint called as each {@link Step} is reached; a no-op outside tests
     */
    public record Options(Overrides overrides, String operator, boolean contract, int chunkSize,
            Consumer<Step> failPoint) {
        public Options {
            requireNonNull(overrides, "overrides");
            requireNonNull(operator, "operator");
            requireNonNull(failPoint, "failPoint");
            if (chunkSize < 1) {
                throw new IllegalArgumentException("chunkSize must be positive: " + chunkSize);
            }
        }

        /** Returns the default options for {@code operator}: no overrides, no contract, chunks of 10,000 rows. */
        public static Options of(String operator) {
            return new Options(Overrides.none(), operator, false, 10_000, step -> { });
        }

        /** Returns a copy that runs the contract phase. */
        public Options withContract() {
            return new Options(overrides, operator, true, chunkSize, failPoint);
        }

        /** Returns a copy calling {@code failPoint} at each step. */
        public Options withFailPoint(Consumer<Step> failPoint) {
            return new Options(overrides, operator, contract, chunkSize, failPoint);
        }
    }

    /**
     * What a deploy did: the definition version, the state it left, the migrations applied now, the rows rebuilt,
     * and the drops still pending (the contract phase, when not run).
     */
    public record Outcome(int version, DeploymentState state, List<Integer> applied, long rebuiltRows,
            List<String> pendingContract) {
        public Outcome {
            applied = List.copyOf(applied);
            pendingContract = List.copyOf(pendingContract);
        }
    }

    private final Path file;
    private final Options options;
    private final List<Integer> applied = new ArrayList<>();
    private long rebuiltRows;

    private Deployer(Path file, Options options) {
        this.file = file;
        this.options = options;
    }

    /**
     * Deploys {@code file}: a first version as {@code run} would, a changed definition as a new version, and the
     * version of a deployment under way from where it stopped.
     *
     * @throws LockstepException {@link ErrorCode#INVALID_INPUT} for an invalid definition or a refused plan,
     *     {@link ErrorCode#PIPELINE_STOPPED} for an operation not deployable yet, another deployment under way or
     *     a running applier; nothing is changed in each case
     */
    public static Outcome deploy(Path file, Options options) {
        return new Deployer(file, options).deploy();
    }

    private Outcome deploy() {
        String text = WarehouseDeployment.read(file);
        var definition = PipelineFiles.load(file);
        DataSource warehouse = WarehouseDeployment.dataSource(definition.warehouse().postgres());
        Deployments deployments = new Deployments(warehouse, definition.pipeline());
        Optional<Map.Entry<Integer, DeploymentState>> active = deployments.active();
        DeploymentPlan plan;
        int version;
        if (active.isPresent()) {
            int under = active.get().getKey();
            String activeText = deployments.version(under).orElseThrow().definition();
            if (!activeText.equals(text)) {
                throw deployments.underWay(active.get());
            }
            plan = DeploymentPlan.of(file, options.overrides(), OptionalInt.of(previous(deployments, under)));
            version = under;
            LOG.info("pipeline '{}': resuming the deployment of version {} ({})", definition.pipeline(), version,
                    active.get().getValue().sql());
        } else {
            plan = DeploymentPlan.of(file, options.overrides());
            if (plan.deployed().isEmpty()) {
                WarehouseDeployment first = WarehouseDeployment.deploy(file);
                return new Outcome(first.version(), DeploymentState.DONE, first.applied(), 0, List.of());
            }
            if (plan.unchanged()) {
                return new Outcome(plan.deployed().get().version(), plan.deployed().get().state(), List.of(), 0,
                        List.of());
            }
            requireDeployable(plan);
            version = -1;
        }
        try (Connection lease = warehouse.getConnection()) {
            lease.setAutoCommit(false);
            holdLease(lease, plan);
            if (version < 0) {
                version = deployments.begin(text, options.operator(), overridesJson(options.overrides()),
                        staged(plan));
                LOG.info("pipeline '{}': recorded definition version {} by {}", definition.pipeline(), version,
                        options.operator());
            }
            return run(plan, deployments, warehouse, version);
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "pipeline " + definition.pipeline() + ": cannot "
                    + "deploy: " + e.getMessage(), e);
        }
    }

    /** Runs deployment {@code version} from the state it is in. */
    private Outcome run(DeploymentPlan plan, Deployments deployments, DataSource warehouse, int version)
            throws SQLException {
        WarehouseMigrations migrations = migrations(plan, warehouse, version);
        Map<Integer, String> scripts = deployments.migrations(version);
        DeploymentState state = deployments.version(version).orElseThrow().state();
        if (state == DeploymentState.PLANNED || state == DeploymentState.EXPANDING) {
            deployments.state(version, DeploymentState.EXPANDING);
            options.failPoint().accept(Step.EXPAND);
            migrate(migrations, scripts, "expand");
            deployments.state(version, DeploymentState.REBUILDING);
            state = DeploymentState.REBUILDING;
        }
        if (state == DeploymentState.REBUILDING) {
            if (!applied(migrations, scripts, "switch")) {
                rebuild(plan, warehouse);
                options.failPoint().accept(Step.SWITCH);
                migrate(migrations, scripts, "switch");
            }
            WarehouseDeployment.ensureRuleIndexes(plan.definition(), plan.star());
            recordSwitch(deployments, warehouse, plan.definition().pipeline(), version);
            state = DeploymentState.SWITCHED;
        }
        if (state == DeploymentState.SWITCHED) {
            migrateHandWritten(migrations, scripts);
            boolean drops = plan.migrations().contract().stream().anyMatch(s -> !s.startsWith("DROP INDEX"));
            if (!options.contract() && drops && !applied(migrations, scripts, "contract")) {
                return new Outcome(version, state, applied, rebuiltRows, plan.migrations().contract());
            }
            deployments.state(version, DeploymentState.CONTRACTING);
            state = DeploymentState.CONTRACTING;
        }
        if (state == DeploymentState.CONTRACTING) {
            options.failPoint().accept(Step.CONTRACT);
            migrate(migrations, scripts, "contract");
            deployments.state(version, DeploymentState.DONE);
            state = DeploymentState.DONE;
        }
        return new Outcome(version, state, applied, rebuiltRows, List.of());
    }

    /** Rebuilds every shadow column of the plan from the raw layer, chunk by chunk, each chunk committed. */
    private void rebuild(DeploymentPlan plan, DataSource warehouse) throws SQLException {
        try (Connection c = warehouse.getConnection()) {
            c.setAutoCommit(false);
            boolean first = true;
            for (MigrationPlan.Rebuild rebuild : plan.migrations().rebuilds()) {
                ColumnRebuild columns = ColumnRebuild.of(plan.star(), rebuild.target(), rebuild.column(),
                        rebuild.into().orElseThrow(), rebuild.fallback());
                Optional<List<String>> after = Optional.empty();
                do {
                    ColumnRebuild.Chunk chunk = columns.chunk(c, after, options.chunkSize());
                    c.commit();
                    rebuiltRows += chunk.rows();
                    after = chunk.lastKey();
                    if (first) {
                        first = false;
                        options.failPoint().accept(Step.REBUILD);
                    }
                } while (after.isPresent());
                LOG.info("pipeline '{}': rebuilt {}.{} from the raw layer", plan.definition().pipeline(),
                        rebuild.target(), rebuild.column());
            }
        }
    }

    /**
     * Records the switch with the position the warehouse reflects: every row at a later position is loaded under
     * the new version. The apply lease is held, so the position cannot move meanwhile.
     */
    private static void recordSwitch(Deployments deployments, DataSource warehouse, String pipeline, int version)
            throws SQLException {
        try (Connection c = warehouse.getConnection()) {
            c.setAutoCommit(false);
            StreamPosition position = new OffsetStore(c, pipeline).read().map(OffsetStore.Offsets::applied)
                    .orElse(StreamPosition.ZERO);
            deployments.switched(c, version, position.commitLsn(), position.sequence());
            c.commit();
            LOG.info("pipeline '{}': switched to definition version {} after position {}", pipeline, version,
                    position);
        }
    }

    private void migrateHandWritten(WarehouseMigrations migrations, Map<Integer, String> scripts) {
        scripts.entrySet().stream().filter(e -> !isGenerated(e.getValue(), "expand")
                && !isGenerated(e.getValue(), "switch") && !isGenerated(e.getValue(), "contract"))
                .map(Map.Entry::getKey).max(Integer::compare).ifPresent(v -> applied.addAll(migrations.migrateTo(v)));
    }

    /** Applies the stored migration of this deployment named {@code V<n>__<phase>.sql}, if it has one. */
    private void migrate(WarehouseMigrations migrations, Map<Integer, String> scripts, String phase) {
        scripts.entrySet().stream().filter(e -> isGenerated(e.getValue(), phase)).map(Map.Entry::getKey)
                .findFirst().ifPresent(v -> applied.addAll(migrations.migrateTo(v)));
    }

    private static boolean applied(WarehouseMigrations migrations, Map<Integer, String> scripts, String phase) {
        return migrations.info().stream().filter(i -> isGenerated(i.getScript(), phase))
                .anyMatch(i -> i.getState().isApplied() && scripts.containsKey(Integer.parseInt(
                        i.getVersion().getVersion())));
    }

    private static boolean isGenerated(String script, String phase) {
        return script.endsWith("__" + phase + ".sql");
    }

    /** Refuses what this deployment cannot carry out yet, before anything is recorded. */
    private static void requireDeployable(DeploymentPlan plan) {
        String pipeline = plan.definition().pipeline();
        if (plan.refused()) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "the deployment of pipeline " + pipeline + " is "
                    + "refused (refused operations, objects it would break, or lint errors): see `lockstep plan`; "
                    + "nothing was changed");
        }
        List<String> notYet = plan.diff().operations().stream().filter(o -> !DEPLOYABLE.contains(o.kind()))
                .map(Operation::describe).collect(Collectors.toCollection(ArrayList::new));
        plan.migrations().rebuilds().stream().filter(r -> r.into().isEmpty())
                .map(r -> r.target() + "." + r.column() + ": " + r.how()).forEach(notYet::add);
        if (!notYet.isEmpty()) {
            throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "pipeline " + pipeline + ": the deployment "
                    + "needs steps the coordinator cannot carry out yet, so nothing was changed:\n  "
                    + String.join("\n  ", notYet) + "\nDeploy the other changes first, or make these by hand "
                    + "(docs/migrations.md, \"By hand\").");
        }
    }

    private static void holdLease(Connection lease, DeploymentPlan plan) throws SQLException {
        try {
            ApplyLease.acquire(lease, plan.definition().pipeline());
        } catch (LockstepException e) {
            throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "pipeline " + plan.definition().pipeline()
                    + " is being applied (`lockstep run` holds its apply lease): stop it, deploy, and start it again "
                    + "— deploying between a running applier's batches is not available yet; nothing was changed", e);
        }
    }

    /** The version a deployment of {@code version} was planned over: the newest older one not failed or undone. */
    private static int previous(Deployments deployments, int version) {
        for (int v = version - 1; v > 0; v--) {
            Optional<WarehouseMigrations.Deployed> d = deployments.version(v);
            if (d.isPresent() && d.get().state().switched()) {
                return v;
            }
        }
        throw new IllegalStateException("definition version " + version + " has no deployed version before it");
    }

    /** Returns the deployment's scripts numbered on from the highest stored migration, with their phases. */
    private static List<Deployments.Staged> staged(DeploymentPlan plan) {
        MigrationPlan migrations = plan.migrations();
        List<Deployments.Staged> staged = new ArrayList<>();
        int next = plan.deployed().orElseThrow().lastMigration() + 1;
        if (!migrations.expand().isEmpty()) {
            staged.add(new Deployments.Staged(new MigrationScript(next++, "expand", MigrationPlan.script(
                    migrations.expand()), MigrationPlan.script(migrations.expandDown())), Phase.EXPAND));
        }
        if (!migrations.switchOver().isEmpty()) {
            staged.add(new Deployments.Staged(new MigrationScript(next++, "switch", MigrationPlan.script(
                    migrations.switchOver()), MigrationPlan.script(migrations.switchDown())), Phase.SWITCH));
        }
        for (HandWrittenMigration migration : plan.handWritten()) {
            staged.add(new Deployments.Staged(new MigrationScript(next++, migration.storedDescription(),
                    migration.up(), migration.down().orElse("")), Phase.CONTRACT));
        }
        if (!migrations.contract().isEmpty()) {
            staged.add(new Deployments.Staged(new MigrationScript(next, "contract", MigrationPlan.script(
                    migrations.contract()), MigrationPlan.script(migrations.contractDown())), Phase.CONTRACT));
        }
        return staged;
    }

    private static WarehouseMigrations migrations(DeploymentPlan plan, DataSource warehouse, int version) {
        Deployments deployments = new Deployments(warehouse, plan.definition().pipeline());
        WarehouseMigrations.Deployed deployed = deployments.version(version).orElseThrow();
        return WarehouseMigrations.builder().dataSource(warehouse).pipeline(plan.definition().pipeline())
                .warehouseSchema(plan.definition().warehouse().schema())
                .deployment(WarehouseMigrations.Deployment.of(version, deployed.definition())).build();
    }

    /** Returns the allowed lint rules as the JSON array {@code deployments.lint_overrides} holds. */
    static String overridesJson(Overrides overrides) {
        List<Map<String, String>> allowed = overrides.reasons().entrySet().stream()
                .map(e -> Map.of("rule", e.getKey().id(), "reason", e.getValue())).toList();
        try {
            return new ObjectMapper().writeValueAsString(allowed);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("strings always serialize", e);
        }
    }
}
