package dev.lockstep.warehouse.star;

import static dev.lockstep.warehouse.PlannerSwitches.JOINS_ANY;
import static dev.lockstep.warehouse.PlannerSwitches.JOINS_BY_PROBE;
import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.UniqueRule;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.quality.QualityMetrics;
import dev.lockstep.warehouse.star.StarSchema.DimensionTable;
import dev.lockstep.warehouse.star.StarSchema.FactTable;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Transforms and loads one batch into the star schema, inside the applier's warehouse transaction, after the raw
 * layer was merged: for each dimension, then each fact, the keys the batch touched are conformed with the
 * definition's expressions (set-based, in PostgreSQL) and loaded. A row whose expressions fail at run time is
 * isolated by bisection under savepoints and recorded in {@code lockstep.quarantine} with PostgreSQL's error; the
 * other rows load. Not thread-safe: it belongs to the applier's connection.
 */
public final class StarLoader {

    /** A TRUNCATE of a source table in the batch: its position and source commit time (microseconds). */
    public record Truncation(StreamPosition position, long commitMicros) {
        public Truncation {
            requireNonNull(position, "position");
        }
    }


    private final Connection connection;
    private final String pipeline;
    private final int definitionVersion;
    private final List<DimensionSql> dimensions = new ArrayList<>();
    private final List<FactSql> facts = new ArrayList<>();
    private final SessionStatements session;
    private final List<String> tables = new ArrayList<>();
    private final WorkTables workTables = new WorkTables();
    private final FactPartitions partitions;
    private final RowRules rowRules;
    private final StepwiseTouch stepwise;
    private ReferenceChecks references;
    private long rowsConformed;
    private long rowsQuarantined;
    private long superseded;
    /** Per target, how many keys {@link #replay} recorded as events for the next {@link #load}. */
    private final Map<TargetSql, Integer> replayed = new HashMap<>();
    private final Map<String, TargetCounts> pendingCounts = new LinkedHashMap<>();
    private final Map<String, TargetCounts> committedCounts = new LinkedHashMap<>();
    private final ShadowWrites shadows = new ShadowWrites();
    /**
     * The new targets of a deployment under way, dimensions first: each new dimension into its table, each new fact
     * into its shadow table, beside the others.
     */
    private final List<TargetSql> shadowTargets = new ArrayList<>();
    private Map<TableId, String> stages = Map.of();
    private QualityMetrics metrics;
    private boolean checksForeignKeys = true;

    private StarLoader(Connection connection, String pipeline, int definitionVersion) {
        this.metrics = new QualityMetrics(pipeline);
        this.connection = connection;
        this.session = new SessionStatements(connection);
        this.rowRules = new RowRules(connection, session, pipeline, definitionVersion);
        this.stepwise = new StepwiseTouch(connection, session, pipeline, definitionVersion);
        this.partitions = new FactPartitions(connection);
        this.pipeline = pipeline;
        this.definitionVersion = definitionVersion;
    }

    /**
     * Prepares loading {@code star} on {@code connection}, whose staging tables (one per source table, holding the
     * batch's change images) are {@code stages}: creates the temporary tables it works in and the fact partitions
     * of the current and next month.
     */
    public static StarLoader prepare(Connection connection, StarSchema star, Map<TableId, String> stages,
            String pipeline, int definitionVersion) throws SQLException {
        StarLoader loader = new StarLoader(connection, pipeline, definitionVersion);
        loader.references = new ReferenceChecks(star, pipeline, definitionVersion);
        loader.stages = Map.copyOf(stages);
        int n = 0;
        star.dimensions().forEach(d -> loader.tables.add(StarSchemaDdl.table(star, d.definition().tableName())));
        star.facts().forEach(f -> loader.tables.add(StarSchemaDdl.table(star, f.definition().tableName())));
        for (DimensionTable dimension : star.dimensions()) {
            loader.dimensions.add(new DimensionSql(star, dimension, stages, "lockstep_d" + (++n)));
        }
        for (FactTable fact : star.facts()) {
            loader.facts.add(new FactSql(star, fact, stages, "lockstep_f" + (++n)));
        }
        for (TargetSql target : loader.targets()) {
            loader.ready(star, target);
        }
        loader.checksForeignKeys = !ForeignKeyChecks.skip(connection, pipeline);
        return loader;
    }

    /**
     * Readies {@code target} of {@code star}: its rules, the temporary tables it works in (indexed for its
     * {@code unique} rules) and, for a partitioned fact, the partitions of the current and next month.
     */
    private void ready(StarSchema star, TargetSql target) throws SQLException {
        rowRules.add(star, target);
        try (Statement s = connection.createStatement()) {
            for (Map.Entry<String, String> table : target.temporaryTables().entrySet()) {
                s.execute(TargetSql.temporary(table.getKey(), table.getValue()));
            }
            workTables.add(target);
            List<UniqueRule> unique = star.rulesOn(target.target()).stream()
                    .filter(UniqueRule.class::isInstance).map(UniqueRule.class::cast).toList();
            for (String ddl : target.indexConformed(unique)) {
                s.execute(ddl);
            }
        }
        if (target instanceof FactSql fact && fact.fact().partition().isPresent()) {
            partitions.track(star, fact);
            partitions.ensure(fact, Set.of(LocalDate.now(star.timezone()).withDayOfMonth(1)));
        }
    }

    /**
     * Has each batch from now on also load the new dimensions and facts {@code tables} names (target to table: a new
     * dimension's own, a new fact's shadow table) of a deployment's next version {@code next}, with their rules;
     * {@link #backfill} loads the raw layer's. None: stops.
     */
    public void loadShadowTargets(StarSchema next, Map<String, String> tables) throws SQLException {
        shadowTargets.forEach(workTables::forget);
        shadowTargets.clear();
        List<TargetSql> loaded = new ArrayList<>();
        try {
            for (DimensionTable dimension : next.dimensions()) {
                if (tables.containsKey(dimension.definition().name())) {
                    loaded.add(new DimensionSql(next, dimension, stages, "lockstep_s" + (loaded.size() + 1)));
                }
            }
            for (FactTable fact : next.facts()) {
                String table = tables.get(fact.definition().name());
                if (table != null) {
                    loaded.add(new FactSql(next, fact, stages, "lockstep_s" + (loaded.size() + 1), table));
                }
            }
            if (loaded.size() != tables.size()) {
                throw new IllegalArgumentException("not every new target is in the next version: " + tables.keySet());
            }
            for (TargetSql target : loaded) {
                ready(next, target);
            }
        } catch (SQLException | RuntimeException e) {
            loaded.forEach(workTables::forget); // the caller rolls back: the tables created are gone
            throw e;
        }
        shadowTargets.addAll(loaded);
    }

    /** Returns the last source key the backfill of new target {@code target} covers (empty: none). */
    public Optional<List<String>> backfillEnd(String target) throws SQLException {
        return TargetBackfill.end(connection, shadowTarget(target));
    }

    /**
     * Loads into new target {@code target} the next {@code rows} source rows after key {@code after} (the first when
     * empty) up to {@code upTo}, in the open transaction ({@link TargetBackfill}); returns them and the last key read.
     */
    public ColumnRebuild.Chunk backfill(String target, Optional<List<String>> after, List<String> upTo, int rows)
            throws SQLException {
        TargetSql loaded = shadowTarget(target);
        ColumnRebuild.Chunk chunk = TargetBackfill.record(session, loaded, after, upTo, rows);
        if (chunk.rows() > 0) {
            workTables.filled(loaded);
            replayed.merge(loaded, (int) chunk.rows(), Integer::sum);
            load(Set.of(), Map.of(), Optional.empty());
        }
        return chunk;
    }

    private TargetSql shadowTarget(String target) {
        return shadowTargets.stream().filter(f -> f.target().equals(target)).findFirst()
                .orElseThrow(() -> new IllegalStateException(target + " is not a new target being loaded"));
    }

    /** Returns true when the facts' foreign keys are checked per row on this session (see {@link #prepare}). */
    public boolean checksForeignKeys() {
        return checksForeignKeys;
    }

    /** Returns every temporary table a batch may fill (the applier truncates them now and then). */
    public List<String> workTables() {
        return workTables.all();
    }

    /**
     * Returns the work tables written since the last call (the targets a batch or replay touched), and forgets them:
     * the applier empties those before it commits.
     */
    public List<String> drainFilledWorkTables() {
        return workTables.drainFilled();
    }

    /** Returns the star schema's tables (qualified): the dimensions, then the facts. */
    public List<String> tables() {
        return tables;
    }

    /** Returns how many target rows were conformed so far (dimension candidates and fact rows). */
    public long rowsConformed() {
        return rowsConformed;
    }

    /** Returns how many rows were quarantined so far, for run-time errors or by rules. */
    public long rowsQuarantined() {
        return rowsQuarantined;
    }

    /** Returns, per target (dimensions first), the rows of the batches committed so far by this loader. */
    public Map<String, TargetCounts> targetCounts() {
        return Collections.unmodifiableMap(committedCounts);
    }

    /**
     * Loads the batch staged on the connection: {@code staged} names the source tables it staged changes of (only
     * their statements run), {@code truncations} the source tables truncated in it. With
     * {@code newSince}, the batch holds no replayed change and starts at that position: a key the raw layer first
     * saw from there on has no fact row yet.
     */
    public void load(Set<TableId> staged, Map<TableId, Truncation> truncations, Optional<StreamPosition> newSince)
            throws SQLException {
        rowRules.beginBatch(); // forgets a batch rolled back
        pendingCounts.clear();
        for (DimensionSql dimension : dimensions) {
            loadDimension(dimension, staged, truncations);
        }
        for (TargetSql target : shadowTargets) {
            if (target instanceof DimensionSql dimension) {
                loadDimension(dimension, staged, truncations); // a deployment's new dimension, before the facts
            }
        }
        for (FactSql fact : facts) {
            loadFact(fact, staged, truncations, newSince);
        }
        for (TargetSql target : shadowTargets) {
            if (target instanceof FactSql fact) {
                // A new fact's rows may have been backfilled already: merged, never inserted as new.
                loadFact(fact, staged, truncations, Optional.empty());
            }
        }
        replayed.clear();
        references.run(connection);
    }

    /** Loads the batch's rows of {@code dimension}, if it touched any. */
    private void loadDimension(DimensionSql dimension, Set<TableId> staged, Map<TableId, Truncation> truncations)
            throws SQLException {
        long before = rowsConformed;
        long quarantinedBefore = rowsQuarantined;
        if (touch(dimension, staged, truncations) == 0) {
            return;
        }
        long diverted = validateRules(dimension, rowsConformed - before);
        count(dimension, rowsConformed - before - diverted, rowsQuarantined - quarantinedBefore);
        List<String> statements = new ArrayList<>();
        statements.add(JOINS_BY_PROBE); // as in touch: the ledger by its open-key index
        statements.add(dimension.supersedeByLoaded());
        statements.add(JOINS_ANY);
        List<String> load = dimension.load();
        for (int i = 0; i < load.size(); i++) {
            if (i == dimension.probesFrom()) {
                // Closing and inserting versions (SCD 2) or merging (SCD 1): each batch row probes the
                // dimension's key (measured: hashing the whole dimension, 7.5 ms per batch of ~14 customers).
                statements.add(JOINS_BY_PROBE);
            }
            statements.add(load.get(i));
        }
        statements.add(JOINS_ANY);
        superseded += session.send(statements, pipeline, pipeline).get(1).updated(); // after the probe switch
        shadows.send(session, dimension);
    }

    /** Loads the batch's rows of {@code fact}, if it touched any. */
    private void loadFact(FactSql fact, Set<TableId> staged, Map<TableId, Truncation> truncations,
            Optional<StreamPosition> newSince) throws SQLException {
        long before = rowsConformed;
        long quarantinedBefore = rowsQuarantined;
        if (touch(fact, staged, truncations) == 0) {
            return;
        }
        long diverted = validateRules(fact, rowsConformed - before);
        count(fact, rowsConformed - before - diverted, rowsQuarantined - quarantinedBefore);
        // A batch touches few rows of large tables: inferring members (is the key in the dimension, was it
        // deleted at the source), marking new keys (raw layer), inserting them and resolving their dimension
        // keys, and merging the others (matching by grain alone cannot prune partitions) each probe an index per
        // row of the batch rather than hash a whole table — a plan that does not grow with the warehouse
        // (measured: the mark hashed the whole raw table every batch; inferring members hashed the customer
        // dimension and its raw table, 6 ms per batch of ~100 changes for no row).
        List<String> prepare = new ArrayList<>();
        prepare.add(JOINS_BY_PROBE);
        prepare.addAll(fact.inferMembers());
        prepare.addAll(fact.extendDates());
        boolean partitioned = fact.fact().partition().isPresent();
        if (partitioned) {
            prepare.add(fact.monthsNeeded());
        }
        List<SessionStatements.Outcome> prepared = session.send(prepare);
        if (partitioned) {
            Set<LocalDate> months = new HashSet<>();
            prepared.get(prepared.size() - 1).rows().forEach(row -> months.add(LocalDate.parse(row[0])));
            partitions.ensure(fact, months);
        }
        List<String> load = new ArrayList<>();
        Object[] parameters = {};
        if (newSince.isPresent() && fact.markNew().isPresent()) {
            load.add(fact.markNew().get());
            parameters = new Object[] {newSince.get().commitLsn(), newSince.get().sequence()};
        }
        load.addAll(fact.load());
        load.add(JOINS_ANY);
        session.send(load, parameters);
        shadows.send(session, fact);
    }

    /**
     * Has each batch from now on also derive {@code rebuilds}' shadow columns for the keys it touched, in its
     * transaction (none: stops it): while a deployment rebuilds them, rows the stream changes get their new values
     * as they load.
     */
    public void writeShadows(List<ColumnRebuild> rebuilds) {
        shadows.set(rebuilds, targets());
    }

    /**
     * Applies the {@code references} rules whose grace passed, in the connection's open transaction, outside a
     * batch (a batch runs them at its end); returns the facts acted on.
     */
    public long checkReferences() throws SQLException {
        return references.run(connection);
    }

    /** Returns how many open quarantine rows were marked superseded so far (a newer change of their key came). */
    public long superseded() {
        return superseded;
    }

    /**
     * Prepares replaying the open quarantine rows {@code ids} of a rule or a run-time error in the next
     * {@link #load}: a row whose key the raw layer holds at a newer position is marked superseded; the others are
     * marked replayed and their keys conformed from the raw layer, checked with the current rules and loaded — or
     * diverted again, as new ledger rows. Returns how many rows it marked superseded.
     */
    public long replay(long[] ids) throws SQLException {
        long before = superseded;
        Array array = connection.createArrayOf("bigint", Arrays.stream(ids).boxed().toArray());
        for (TargetSql target : targets()) {
            PreparedStatement supersede = session.statement(target.supersedeReplayed());
            supersede.setArray(1, array);
            superseded += supersede.executeUpdate();
            PreparedStatement replay = session.statement(target.replay());
            replay.setArray(1, array);
            int keys = replay.executeUpdate();
            if (keys > 0) {
                workTables.filled(target);
                replayed.merge(target, keys, Integer::sum);
            }
        }
        return superseded - before;
    }

    /** Returns, per rule, how many rows failed it so far (quarantined, or loaded with a warning). */
    public Map<String, Long> violations() {
        return rowRules.violations();
    }

    /** Step 4: the target's per-row rules; returns how many conformed rows they diverted to the ledger. */
    private long validateRules(TargetSql target, long conformedRows) throws SQLException {
        long diverted = rowRules.validate(target, conformedRows);
        rowsQuarantined += diverted;
        return diverted;
    }

    private void count(TargetSql target, long loaded, long quarantined) {
        pendingCounts.merge(target.target(), new TargetCounts(loaded, quarantined), TargetCounts::plus);
    }

    /** Uses {@code metrics} for the quality metrics of the batches loaded from now on. */
    public void metrics(QualityMetrics metrics) {
        this.metrics = requireNonNull(metrics, "metrics");
    }

    /** Records the metrics of the batch just committed; call after each commit of a {@link #load}. */
    public void committed() {
        pendingCounts.forEach((target, counts) -> committedCounts.merge(target, counts, TargetCounts::plus));
        pendingCounts.clear();
        rowRules.committed(metrics);
    }

    /**
     * Records the target's events, numbers the touched keys and conforms them; returns how many keys were touched.
     * One round trip under a savepoint: when an expression fails on a row, it is rolled back and done again a
     * statement at a time, the conform bisected down to the failing rows ({@link StepwiseTouch}).
     */
    private int touch(TargetSql target, Set<TableId> staged, Map<TableId, Truncation> truncations) throws SQLException {
        List<String> record = target.recordBatchEvents(staged, truncations);
        int replays = replayed.getOrDefault(target, 0);
        if (record.isEmpty() && replays == 0) {
            return 0;
        }
        workTables.filled(target);
        StepwiseTouch.Tally tally = stepwise.touchAtOnce(target, record, replays);
        superseded += tally.superseded();
        rowsConformed += tally.conformed();
        rowsQuarantined += tally.quarantined();
        return tally.touched();
    }

    private List<TargetSql> targets() {
        List<TargetSql> targets = new ArrayList<>(dimensions);
        targets.addAll(facts);
        return targets;
    }

}
