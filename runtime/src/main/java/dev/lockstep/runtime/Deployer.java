package dev.lockstep.runtime;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lockstep.control.ApplyLease;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.migrations.DeploymentState;
import dev.lockstep.migrations.DeploymentStatus;
import dev.lockstep.migrations.Deployments;
import dev.lockstep.migrations.WarehouseMigrations.Phase;
import dev.lockstep.migrations.lint.Overrides;
import dev.lockstep.migrations.plan.HandWrittenMigration;
import dev.lockstep.migrations.plan.MigrationPlan;
import dev.lockstep.migrations.plan.Operation;
import dev.lockstep.warehouse.apply.ShadowTargets;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import dev.lockstep.warehouse.raw.MigrationScript;
import dev.lockstep.warehouse.star.StarSchema;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lockstep deploy} of a changed definition: records it as the pipeline's next version with its scripts, then
 * runs expand → rebuild → switch → (hand-written) → contract, recording each state as the step before it commits,
 * so that a deploy killed at any step resumes from there when run again with the same file.
 *
 * <p>When no {@code run} applies the pipeline, the deploy holds its apply lease for the whole deployment, so no
 * batch commits while the warehouse changes shape (extract may keep streaming into the topic; {@code run} catches up
 * after). When one does, the deployment is recorded and handed to it: its applier carries it out between batches
 * ({@link LiveDeployment}) while the deploy waits. Rows are rebuilt from the raw layer into shadow columns, in
 * chunks, each its own transaction; the switch renames them into place in one transaction, so a reader sees the old
 * values or the new ones, never a mix.
 */
public final class Deployer {

    private static final Logger LOG = LoggerFactory.getLogger(Deployer.class);

    /** The operations a deployment carries out today; the others are refused before anything is recorded. */
    private static final Set<Operation.Kind> DEPLOYABLE = EnumSet.of(Operation.Kind.ADD_ATTRIBUTE,
            Operation.Kind.ADD_MEASURE, Operation.Kind.DROP_ATTRIBUTE, Operation.Kind.DROP_MEASURE,
            Operation.Kind.RENAME_ATTRIBUTE, Operation.Kind.RENAME_MEASURE, Operation.Kind.CHANGE_EXPRESSION,
            Operation.Kind.CHANGE_TYPE, Operation.Kind.ADD_FACT, Operation.Kind.DROP_FACT,
            Operation.Kind.DROP_DIMENSION, Operation.Kind.DROP_REFERENCE, Operation.Kind.CHANGE_SCD,
            Operation.Kind.CHANGE_TRACKED, Operation.Kind.CHANGE_PII, Operation.Kind.ADD_RULE,
            Operation.Kind.DROP_RULE, Operation.Kind.CHANGE_RULE, Operation.Kind.CHANGE_SETTING,
            Operation.Kind.ADD_LOOKUP, Operation.Kind.DROP_LOOKUP, Operation.Kind.CHANGE_LOOKUP,
            Operation.Kind.ADD_REFERENCE, Operation.Kind.CHANGE_REFERENCE, Operation.Kind.CHANGE_DATE_RANGE,
            Operation.Kind.ADD_DIMENSION, Operation.Kind.CHANGE_ON_DELETE, Operation.Kind.ADD_SOURCE_TABLE,
            Operation.Kind.DROP_SOURCE_TABLE,
            Operation.Kind.COMMENT_ONLY);

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

    /** How often a deploy handed to a running pipeline looks at the deployment's state. */
    private static final Duration WAIT_POLL = Duration.ofMillis(200);

    /**
     * How to deploy.
     *
     * @param overrides the lint rules allowed, with their reasons (recorded with the deployment)
     * @param operator who deploys, recorded with the deployment
     * @param contract whether to run the contract phase (drops) now; without it the deployment stays switched
     * @param contractAfter how long after the switch the contract phase runs by itself (recorded); empty: only
     *     when asked for
     * @param chunkSize source rows per rebuild chunk at most, recorded with the deployment
     * @param waitFor how long to wait for a running pipeline to carry the deployment out
     * @param notices where to say what happens while waiting
     * @param failPoint called as each {@link Step} is reached; a no-op outside tests
     * @param environment where the definition's {@code ${VAR}}s come from
     */
    public record Options(Overrides overrides, String operator, boolean contract, Optional<Duration> contractAfter,
            int chunkSize, Duration waitFor, Consumer<String> notices, Consumer<Step> failPoint,
            Function<String, String> environment) {
        public Options {
            requireNonNull(environment, "environment");
            requireNonNull(overrides, "overrides");
            requireNonNull(operator, "operator");
            requireNonNull(contractAfter, "contractAfter");
            requireNonNull(waitFor, "waitFor");
            requireNonNull(notices, "notices");
            requireNonNull(failPoint, "failPoint");
            if (chunkSize < 1) {
                throw new IllegalArgumentException("chunkSize must be positive: " + chunkSize);
            }
            if (contractAfter.filter(Duration::isNegative).isPresent()) {
                throw new IllegalArgumentException("contractAfter must not be negative: " + contractAfter.get());
            }
        }

        /** Options without a contract delay. */
        public Options(Overrides overrides, String operator, boolean contract, int chunkSize, Duration waitFor,
                Consumer<String> notices, Consumer<Step> failPoint, Function<String, String> environment) {
            this(overrides, operator, contract, Optional.empty(), chunkSize, waitFor, notices, failPoint,
                    environment);
        }

        /** Returns the default options for {@code operator}: no overrides, no contract, chunks of 10,000 rows. */
        public static Options of(String operator) {
            return new Options(Overrides.none(), operator, false, 10_000, Duration.ofMinutes(10), notice -> { },
                    step -> { }, System::getenv);
        }

        /** Returns a copy that runs the contract phase. */
        public Options withContract() {
            return new Options(overrides, operator, true, contractAfter, chunkSize, waitFor, notices, failPoint,
                    environment);
        }

        /** Returns a copy whose contract phase runs by itself {@code delay} after the switch. */
        public Options withContractAfter(Duration delay) {
            return new Options(overrides, operator, contract, Optional.of(delay), chunkSize, waitFor, notices,
                    failPoint, environment);
        }

        /** Returns a copy rebuilding {@code rows} source rows per chunk. */
        public Options withChunkSize(int rows) {
            return new Options(overrides, operator, contract, contractAfter, rows, waitFor, notices, failPoint,
                    environment);
        }

        /** Returns a copy calling {@code failPoint} at each step. */
        public Options withFailPoint(Consumer<Step> failPoint) {
            return new Options(overrides, operator, contract, contractAfter, chunkSize, waitFor, notices, failPoint,
                    environment);
        }
    }

    /**
     * What a deploy did: the definition version, the state it left, the migrations applied now, the rows rebuilt
     * (-1: by the running pipeline, which counted them in its progress), and the drops still pending (the contract
     * phase, when not run).
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

    Deployer(Path file, Options options) {
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
        DefinitionText read = DefinitionText.read(file, options.environment());
        String text = read.text();
        var definition = read.load();
        DataSource warehouse = WarehouseDeployment.dataSource(definition.warehouse().postgres());
        try (Connection c = warehouse.getConnection()) {
            RetiredTables.dropExpired(c, definition);
        } catch (SQLException e) {
            LOG.warn("pipeline '{}': cannot drop the expired retired tables: {}", definition.pipeline(), e.getMessage());
        }
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
            plan = DeploymentPlan.of(read, options.overrides(),
                    OptionalInt.of(deployments.switchedBefore(under).version()));
            version = under;
            LOG.info("pipeline '{}': resuming the deployment of version {} ({})", definition.pipeline(), version,
                    active.get().getValue().sql());
        } else {
            plan = DeploymentPlan.of(read, options.overrides(), OptionalInt.empty());
            if (plan.deployed().isEmpty()) {
                WarehouseDeployment first = WarehouseDeployment.deploy(file, options.environment());
                return new Outcome(first.version(), DeploymentState.DONE, first.applied(), 0, List.of());
            }
            if (plan.unchanged()) {
                return new Outcome(plan.deployed().get().version(), plan.deployed().get().state(), List.of(), 0,
                        List.of());
            }
            requireDeployable(plan);
            version = -1;
        }
        return carryOut(plan, deployments, version, text);
    }

    /**
     * Carries out the deployment of {@code text} planned as {@code plan}: recorded as the next version (when
     * {@code recorded} is negative) and run with the apply stage paused, or handed to the running pipeline.
     */
    Outcome carryOut(DeploymentPlan plan, Deployments deployments, int recorded, String text) {
        DataSource warehouse = WarehouseDeployment.dataSource(plan.definition().warehouse().postgres());
        try (Connection lease = warehouse.getConnection()) {
            if (!ApplyLease.isFree(lease, plan.definition().pipeline())) {
                return handOff(plan, deployments, recorded, text);
            }
            lease.setAutoCommit(false);
            holdLease(lease, plan);
            int version = recorded < 0 ? begin(plan, deployments, text) : recorded;
            if (options.contract()) {
                // Recorded, so that a run carrying on a deployment this deploy leaves under way (killed) contracts it.
                deployments.requestContract(version);
            }
            return run(new DeploymentSteps(plan, warehouse, version), lease);
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "pipeline " + plan.definition().pipeline()
                    + ": cannot deploy: " + e.getMessage(), e);
        }
    }

    private int begin(DeploymentPlan plan, Deployments deployments, String text) {
        int version = deployments.begin(text, options.operator(), overridesJson(options.overrides()),
                options.chunkSize(), staged(plan), options.contractAfter());
        LOG.info("pipeline '{}': recorded definition version {} by {}", plan.definition().pipeline(), version,
                options.operator());
        return version;
    }

    /**
     * Runs deployment {@code steps} from the state it is in, the apply stage paused: {@code lease} holds its lease
     * (and loads the new targets, if any).
     */
    private Outcome run(DeploymentSteps steps, Connection lease) throws SQLException {
        DeploymentState state = steps.deployments().version(steps.version()).orElseThrow().state();
        if (state == DeploymentState.PLANNED || state == DeploymentState.EXPANDING) {
            steps.state(DeploymentState.EXPANDING);
            options.failPoint().accept(Step.EXPAND);
            steps.expand();
            steps.state(DeploymentState.REBUILDING);
            state = DeploymentState.REBUILDING;
        }
        if (state == DeploymentState.REBUILDING) {
            if (!steps.switchApplied()) {
                steps.buildIndexes();
                steps.clearMarks();
                boolean first = true;
                ShadowTargets facts = newTargets(lease, steps);
                while (steps.rebuildChunk(options.chunkSize(), facts)) {
                    if (first) {
                        first = false;
                        options.failPoint().accept(Step.REBUILD);
                    }
                }
                options.failPoint().accept(Step.SWITCH);
            }
            steps.switchOver();
            state = DeploymentState.SWITCHED;
        }
        if (state == DeploymentState.SWITCHED) {
            steps.handWritten();
            if (!options.contract() && steps.contractDrops() && !contractDue(steps)) {
                return new Outcome(steps.version(), state, steps.applied(), steps.rebuiltRows(),
                        steps.plan().migrations().contract());
            }
            steps.state(DeploymentState.CONTRACTING);
            state = DeploymentState.CONTRACTING;
        }
        if (state == DeploymentState.CONTRACTING) {
            options.failPoint().accept(Step.CONTRACT);
            steps.contract();
            steps.state(DeploymentState.DONE);
            state = DeploymentState.DONE;
        }
        return new Outcome(steps.version(), state, steps.applied(), steps.rebuiltRows(), List.of());
    }

    /**
     * Returns what loads a paused deployment's new dimensions and facts (none: it has none): an applier of no stream on the
     * connection that holds the lease, loading those only.
     */
    private static ShadowTargets newTargets(Connection lease, DeploymentSteps steps) throws SQLException {
        if (steps.newTargets().isEmpty()) {
            return null;
        }
        StarSchema next = steps.plan().star();
        StarSchema none = new StarSchema(next.schema(), next.timezone(), List.of(), next.date(), List.of(),
                next.sources(), List.of());
        ShadowTargets facts = WarehouseApplier.open(lease, steps.plan().definition().pipeline(), next.schema(),
                next.sources(), steps.version(), 1, Optional.of(none)).shadowTargets();
        facts.load(next, steps.newTargets());
        return facts;
    }

    /** Tells whether the deployment's contract phase is due by itself: its {@code --contract-after} delay passed. */
    private boolean contractDue(DeploymentSteps steps) {
        options.contractAfter().ifPresent(delay -> steps.deployments().delayContract(steps.version(), delay));
        return steps.deployments().status().filter(s -> s.version() == steps.version())
                .map(DeploymentStatus::contractRequested).orElse(false);
    }

    /**
     * The pipeline is running (its {@code run} holds the apply lease): the deployment is recorded and the running
     * applier carries it out between its batches ({@link LiveDeployment}); waits until it switched (and, with
     * {@code --contract}, contracted) or failed, or {@link Options#waitFor} passed.
     */
    private Outcome handOff(DeploymentPlan plan, Deployments deployments, int recorded, String text) {
        int version = recorded < 0 ? begin(plan, deployments, text) : recorded;
        if (options.contract()) {
            deployments.requestContract(version);
        }
        if (recorded >= 0) {
            options.contractAfter().ifPresent(delay -> deployments.delayContract(version, delay));
        }
        options.notices().accept("Pipeline " + plan.definition().pipeline() + " is running: its applier carries out "
                + "the deployment of version " + version + " between batches.");
        long deadline = System.nanoTime() + options.waitFor().toNanos();
        String shown = "";
        try (Deployments.Watch watch = deployments.watch()) {
            while (true) {
                DeploymentStatus status = watch.status().orElseThrow();
                String line = status.state().sql() + status.progress().map(p -> ": " + p).orElse("")
                        + status.failure().map(f -> " (last attempt failed: " + f + ")").orElse("");
                if (!line.equals(shown)) {
                    options.notices().accept("  " + line);
                    shown = line;
                }
                boolean drops = plan.migrations().contract().stream().anyMatch(d -> !MigrationPlan.bookkeeping(d));
                boolean settled = status.version() != version || !status.state().active()
                        || status.state() == DeploymentState.SWITCHED && !options.contract() && drops;
                if (settled || System.nanoTime() > deadline) {
                    DeploymentState state = status.version() == version ? status.state() : DeploymentState.DONE;
                    return new Outcome(version, state, List.of(), -1, state == DeploymentState.SWITCHED
                            ? plan.migrations().contract() : List.of());
                }
                try {
                    Thread.sleep(WAIT_POLL.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LockstepException(ErrorCode.INTERNAL, "interrupted while waiting for the deployment", e);
                }
            }
        }
    }

    /** Refuses what this deployment cannot carry out yet, before anything is recorded. */
    static void requireDeployable(DeploymentPlan plan) {
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

    static void holdLease(Connection lease, DeploymentPlan plan) throws SQLException {
        try {
            ApplyLease.acquire(lease, plan.definition().pipeline());
        } catch (LockstepException e) {
            throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "pipeline " + plan.definition().pipeline()
                    + " is being applied (`lockstep run` holds its apply lease): stop it, deploy, and start it again "
                    + "— deploying between a running applier's batches is not available yet; nothing was changed", e);
        }
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
