package dev.lockstep.core.definition.live;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.Problem;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.stream.TableId;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The logic of --connect, against a fake catalog and a fake type checker. */
class ConnectedValidatorTest {

    private static final String DEFINITION = """
            pipeline: shop
            source:
              postgres: { url: "jdbc:postgresql://db/shop", user: lockstep }
              tables: [public.customers, public.orders, public.regions, public.audit]
            warehouse:
              postgres: { url: "jdbc:postgresql://dw/warehouse", user: lockstep }
            dimensions:
              customer:
                from: public.customers
                key: id
                lookup: { reg: { from: public.regions, on: region_id } }
                columns: { name: "initcap(name)", region: reg.label }
              date: { generated: true }
            facts:
              order:
                from: public.orders
                grain: id
                dimensions: { customer: customer_ref, date: ordered_on }
                measures: { total: "quantity * price_text" }
            quality:
              - { rule: expression, target: order, check: "total" }
              - { rule: reconciliation, target: customer, count_tolerance: 1% }
            """;

    private final Map<TableId, SourceTable> tables = new HashMap<>();
    private String walLevel = "logical";
    private final Map<String, TypeCheck> types = new HashMap<>();

    ConnectedValidatorTest() {
        table("customers", List.of("id"), column("id", "bigint"), column("name", "text"), column("region_id", "integer"));
        table("orders", List.of("id"), column("id", "bigint"), column("customer_ref", "text"),
                column("ordered_on", "date"), column("quantity", "integer"), column("price_text", "text"));
        table("regions", List.of("id"), column("id", "integer"), column("label", "text"));
        table("audit", List.of(), column("at", "timestamp with time zone"));
        types.put("initcap(name)", TypeCheck.typed("text"));
        types.put("reg.label", TypeCheck.typed("text"));
        types.put("\"id\"", TypeCheck.typed("bigint"));
        types.put("customer_ref", TypeCheck.typed("text"));
        types.put("ordered_on", TypeCheck.typed("date"));
        types.put("quantity * price_text", TypeCheck.failed(new SqlError(
                "operator does not exist: integer * text", "42883", 10, Optional.of("No operator matches."))));
        types.put("total", TypeCheck.typed("numeric"));
    }

    @Test
    void shouldReportPostgresTypeErrorsAtTheirPositionInTheFile() {
        ConnectedReport report = validate(DEFINITION);

        assertThat(problem(report, ProblemType.TYPE_ERROR)).satisfies(p -> {
            assertThat(p.path()).isEqualTo("facts.order.measures.total");
            assertThat(p.location().line()).isEqualTo(19);
            assertThat(p.location().column()).as("at the `*`").isEqualTo(34);
            assertThat(p.message()).isEqualTo("PostgreSQL: operator does not exist: integer * text "
                    + "(hint: No operator matches.)");
        });
    }

    @Test
    void shouldPrintEachDerivedColumnsType() {
        ConnectedReport report = validate(DEFINITION);

        assertThat(report.columns()).extracting(c -> c.table() + "." + c.column() + " " + c.type())
                .containsExactly("dim_customer.name text", "dim_customer.region text");
    }

    @Test
    void shouldRefuseAReferenceWhoseTypeDiffersFromTheDimensionKey() {
        ConnectedReport report = validate(DEFINITION);

        assertThat(report.problems()).filteredOn(p -> p.type() == ProblemType.TYPE_MISMATCH)
                .extracting(Problem::path, Problem::message).contains(org.assertj.core.groups.Tuple.tuple(
                        "facts.order.dimensions.customer[0]", "dimension customer's key id is bigint, but "
                                + "`customer_ref` is text; cast it, e.g. (customer_ref)::bigint"));
    }

    @Test
    void shouldRequireABooleanCheckAndANumericSum() {
        types.put("quantity * price_text", TypeCheck.typed("numeric"));

        ConnectedReport report = validate(DEFINITION);

        assertThat(report.problems()).filteredOn(p -> p.type() == ProblemType.TYPE_MISMATCH).extracting(Problem::path)
                .contains("quality[0].check");
    }

    @Test
    void shouldCheckTablesRowIdentityAndWalLevel() {
        walLevel = "replica";
        tables.remove(new TableId("public", "regions"));

        ConnectedReport report = validate(DEFINITION);

        assertThat(report.problems()).extracting(Problem::type).contains(ProblemType.WAL_LEVEL,
                ProblemType.TABLE_NOT_FOUND, ProblemType.NO_ROW_IDENTITY);
        assertThat(problem(report, ProblemType.TABLE_NOT_FOUND).format())
                .isEqualTo("shop.yaml:4:45: source.tables[2]: table public.regions does not exist in the source "
                        + "database (lockstep@db/shop), or the user cannot see it");
        assertThat(problem(report, ProblemType.NO_ROW_IDENTITY).message()).contains("REPLICA IDENTITY USING INDEX");
    }

    @Test
    void shouldFindMissingColumnsWithASuggestion() {
        ConnectedReport report = validate(DEFINITION.replace("on: region_id", "on: regionid"));

        assertThat(problem(report, ProblemType.COLUMN_NOT_FOUND).format()).isEqualTo("shop.yaml:11:44: "
                + "dimensions.customer.lookup.reg.on: column `regionid` does not exist in public.customers; did you "
                + "mean `region_id`? columns: id, name, region_id");
    }

    @Test
    void shouldTurnAnOfflineParserFailureIntoAWarningWhenPostgresAcceptsTheExpression() {
        String unreadable = "name ^@ 'A'";
        ParsedDefinition offline = parse(DEFINITION.replace("\"initcap(name)\"", "\"" + unreadable.replace("\\", "\\\\")
                + "\""));
        assertThat(offline.errors()).extracting(Problem::type).containsExactly(ProblemType.EXPRESSION_SYNTAX);
        types.put(unreadable, TypeCheck.typed("boolean"));

        ConnectedReport report = ConnectedValidator.validate(offline, catalog(), checker());

        assertThat(report.problems()).extracting(Problem::type).doesNotContain(ProblemType.EXPRESSION_SYNTAX)
                .contains(ProblemType.OFFLINE_PARSER_LIMIT);
    }

    private ConnectedReport validate(String definition) {
        ParsedDefinition parsed = parse(definition);
        assertThat(parsed.problems()).isEmpty();
        return ConnectedValidator.validate(parsed, catalog(), checker());
    }

    private static ParsedDefinition parse(String definition) {
        return DefinitionParser.create().parse("shop.yaml", definition);
    }

    private static Problem problem(ConnectedReport report, ProblemType type) {
        return report.problems().stream().filter(p -> p.type() == type).findFirst().orElseThrow(
                () -> new AssertionError("no " + type + " in " + report.problems()));
    }

    private void table(String name, List<String> primaryKey, SourceColumn... columns) {
        TableId id = new TableId("public", name);
        tables.put(id, new SourceTable(id, true, "table", List.of(columns), primaryKey,
                new ReplicaIdentity(ReplicaIdentity.Mode.DEFAULT, List.of())));
    }

    private static SourceColumn column(String name, String type) {
        return new SourceColumn(name, type, SourceColumn.Kind.BASE, type, false);
    }

    private SourceCatalog catalog() {
        return new SourceCatalog() {
            @Override
            public Map<TableId, SourceTable> describe(Collection<TableId> ids) {
                Map<TableId, SourceTable> found = new LinkedHashMap<>();
                ids.stream().filter(tables::containsKey).forEach(id -> found.put(id, tables.get(id)));
                return found;
            }

            @Override
            public String walLevel() {
                return walLevel;
            }

            @Override
            public String describeDatabase() {
                return "lockstep@db/shop";
            }

            @Override
            public void close() {}
        };
    }

    private ExpressionTypeChecker checker() {
        Function<String, TypeCheck> lookup = sql -> types.getOrDefault(sql, sql.startsWith("\"")
                ? TypeCheck.typed("bigint") : TypeCheck.typed("boolean"));
        java.util.Set<String> declared = new java.util.HashSet<>();
        return new ExpressionTypeChecker() {
            @Override
            public void declareSourceTable(SourceTable table) {
                declared.add(table.id().toString());
            }

            @Override
            public void declareRelation(String name, Map<String, String> columnTypes) {
                declared.add(name);
            }

            @Override
            public TypeCheck typeOf(ExpressionProbe probe) {
                assertThat(declared).as("declared relations").contains(probe.from());
                probe.joins().forEach(j -> assertThat(declared).as("declared relations").contains(j.relation()));
                return lookup.apply(probe.expression());
            }

            @Override
            public Optional<SqlError> checkRegex(String pattern) {
                return Optional.empty();
            }

            @Override
            public String serverVersion() {
                return "17";
            }

            @Override
            public void close() {}
        };
    }
}
