package dev.lockstep.warehouse;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PostgresConnection;
import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.core.definition.live.ExpressionProbe;
import dev.lockstep.core.definition.live.ExpressionTypeChecker;
import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.definition.live.SqlError;
import dev.lockstep.core.definition.live.TypeCheck;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Asks the warehouse PostgreSQL for the type of each expression: the expression becomes a temporary view over
 * temporary tables shaped like the raw layer, which PostgreSQL parses and types without evaluating anything. All
 * of it happens in one transaction, rolled back on {@link #close()}. Not thread-safe.
 */
public final class PostgresExpressionTypeChecker implements ExpressionTypeChecker {

    private static final String PREFIX = "lockstep_probe_";

    private final Connection connection;
    private final String description;
    private final Map<String, String> relations = new HashMap<>();
    /**
     * The relations declared so far by name and columns, and the types found so far by probe: a deployment plan
     * types the deployed definition and the new one with one checker, and most of their expressions are the same
     * (each probe a savepoint, a temporary view and a catalog read on a warehouse the stream is loading).
     */
    private final Map<String, String> declared = new HashMap<>();
    private final Map<String, TypeCheck> typed = new HashMap<>();
    private int counter;

    private PostgresExpressionTypeChecker(Connection connection, String description) {
        this.connection = connection;
        this.description = description;
    }

    /** Connects to the warehouse; a failure is {@link ErrorCode#UNAVAILABLE}, naming the database, never the password. */
    public static PostgresExpressionTypeChecker connect(PostgresConnection warehouse) {
        Properties properties = new Properties();
        properties.setProperty("user", warehouse.user());
        warehouse.password().ifPresent(p -> properties.setProperty("password", p.reveal()));
        properties.setProperty("connectTimeout", "10");
        properties.setProperty("ApplicationName", "lockstep validate");
        try {
            Connection connection = DriverManager.getConnection(warehouse.jdbcUrl(), properties);
            connection.setAutoCommit(false);
            try (Statement s = connection.createStatement()) {
                s.execute("SET LOCAL statement_timeout = '10s'");
                s.execute("SET LOCAL lock_timeout = '5s'");
            }
            return new PostgresExpressionTypeChecker(connection, warehouse.describe());
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot connect to the warehouse "
                    + warehouse.describe() + ": " + e.getMessage());
        }
    }

    @Override
    public void declareSourceTable(SourceTable table) {
        Map<String, String> columns = new LinkedHashMap<>();
        for (SourceColumn column : table.columns()) {
            columns.put(column.name(), RawLayerTypes.of(column));
        }
        declareRelation(table.id().toString(), columns);
    }

    @Override
    public void declareRelation(String name, Map<String, String> columnTypes) {
        String columns = columnTypes.entrySet().stream()
                .map(c -> SqlIdentifiers.quote(c.getKey()) + " " + c.getValue()).collect(Collectors.joining(", "));
        String same = declared.get(name + "\0" + columns);
        if (same != null) {
            relations.put(name, same);
            return;
        }
        String relation = PREFIX + (++counter);
        try {
            inSavepoint("CREATE TEMP TABLE " + relation + " (" + columns + ")");
        } catch (SQLException e) {
            String text = columnTypes.keySet().stream().map(c -> SqlIdentifiers.quote(c) + " text")
                    .collect(Collectors.joining(", "));
            try {
                inSavepoint("CREATE TEMP TABLE " + relation + " (" + text + ")");
            } catch (SQLException again) {
                throw failure("cannot create a temporary relation for " + name, again);
            }
        }
        relations.put(name, relation);
        declared.put(name + "\0" + columns, relation);
    }

    @Override
    public TypeCheck typeOf(ExpressionProbe probe) {
        StringBuilder query = new StringBuilder(probe.expression()).append("\n) AS v FROM ")
                .append(relation(probe.from())).append(" AS ").append(SqlIdentifiers.quote(probe.alias()));
        for (ExpressionProbe.Join join : probe.joins()) {
            String alias = SqlIdentifiers.quote(join.alias());
            query.append(" LEFT JOIN ").append(relation(join.relation())).append(" AS ").append(alias)
                    .append(" ON ").append(alias).append('.').append(SqlIdentifiers.quote(join.key())).append(" = ")
                    .append(SqlIdentifiers.quote(join.fromAlias())).append('.')
                    .append(SqlIdentifiers.quote(join.fromColumn()));
        }
        return typed.computeIfAbsent(query.toString(), q -> probe(q, probe.expression().length()));
    }

    /** Types {@code query} (an expression of {@code length} characters, its closing parenthesis and its FROM). */
    private TypeCheck probe(String query, int length) {
        String view = PREFIX + "view_" + (++counter);
        String prefix = "CREATE TEMP VIEW " + view + " AS SELECT (\n";
        Savepoint savepoint = savepoint();
        try (Statement s = connection.createStatement()) {
            s.execute(prefix + query);
            try (ResultSet rs = s.executeQuery("SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) "
                    + "FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'pg_temp." + view + "'::regclass "
                    + "AND a.attname = 'v'")) {
                rs.next();
                return TypeCheck.typed(rs.getString(1));
            }
        } catch (SQLException e) {
            return TypeCheck.failed(error(e, prefix.length(), length));
        } finally {
            rollbackTo(savepoint);
        }
    }

    @Override
    public Optional<SqlError> checkRegex(String pattern) {
        Savepoint savepoint = savepoint();
        try (PreparedStatement s = connection.prepareStatement("SELECT '' ~ ?")) {
            s.setString(1, pattern);
            s.executeQuery().close();
            return Optional.empty();
        } catch (SQLException e) {
            return Optional.of(error(e, 0, 0));
        } finally {
            rollbackTo(savepoint);
        }
    }

    @Override
    public String serverVersion() {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SHOW server_version")) {
            rs.next();
            return "PostgreSQL " + rs.getString(1);
        } catch (SQLException e) {
            throw failure("cannot read the server version", e);
        }
    }

    @Override
    public void close() {
        try {
            connection.rollback();
            connection.close();
        } catch (SQLException e) {
            // The transaction only ever held temporary objects.
        }
    }

    private String relation(String name) {
        String relation = relations.get(name);
        if (relation == null) {
            throw new IllegalArgumentException("relation " + name + " was not declared");
        }
        return relation;
    }

    /** PostgreSQL's error, its position made relative to the expression (0 when it lies outside). */
    private static SqlError error(SQLException e, int expressionStart, int expressionLength) {
        ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
        if (server == null) {
            return new SqlError(String.valueOf(e.getMessage()), String.valueOf(e.getSQLState()), 0, Optional.empty());
        }
        int position = server.getPosition() - expressionStart;
        return new SqlError(String.valueOf(server.getMessage()), String.valueOf(server.getSQLState()),
                position >= 1 && position <= expressionLength ? position : 0, Optional.ofNullable(server.getHint()));
    }

    private void inSavepoint(String sql) throws SQLException {
        Savepoint savepoint = savepoint();
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
            connection.releaseSavepoint(savepoint);
        } catch (SQLException e) {
            rollbackTo(savepoint);
            throw e;
        }
    }

    private Savepoint savepoint() {
        try {
            return connection.setSavepoint();
        } catch (SQLException e) {
            throw failure("cannot set a savepoint", e);
        }
    }

    private void rollbackTo(Savepoint savepoint) {
        try {
            connection.rollback(savepoint);
        } catch (SQLException e) {
            throw failure("cannot roll back to a savepoint", e);
        }
    }

    private LockstepException failure(String what, SQLException e) {
        return new LockstepException(ErrorCode.UNAVAILABLE, what + " in " + description + ": " + e.getMessage(), e);
    }
}
