package dev.lockstep.warehouse.star;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The monthly partitions of the partitioned facts: which exist (read once, at the start of the session) and the
 * creation of those a batch needs, with the month after each, ahead of need.
 */
final class FactPartitions {

    private final Connection connection;
    private final Map<String, Set<LocalDate>> existing = new HashMap<>();

    FactPartitions(Connection connection) {
        this.connection = connection;
    }

    /** Reads which partitions of {@code fact} exist. */
    void track(StarSchema star, FactSql fact) throws SQLException {
        Set<LocalDate> months = new HashSet<>();
        Pattern name = Pattern.compile(Pattern.quote(fact.tableName()) + "_(\\d{4})_(\\d{2})");
        try (PreparedStatement ps = connection.prepareStatement("SELECT c.relname FROM pg_inherits i JOIN pg_class c "
                + "ON c.oid = i.inhrelid WHERE i.inhparent = ?::regclass")) {
            ps.setString(1, StarSchemaDdl.table(star, fact.tableName()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Matcher m = name.matcher(rs.getString(1));
                    if (m.matches()) {
                        months.add(LocalDate.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), 1));
                    }
                }
            }
        }
        existing.put(fact.target(), months);
    }

    /** Creates the partitions of {@code months}, and of the month after each (ahead of need), that do not exist. */
    void ensure(FactSql fact, Set<LocalDate> months) throws SQLException {
        Set<LocalDate> created = existing.get(fact.target());
        for (LocalDate month : months) {
            for (LocalDate m : List.of(month, month.plusMonths(1))) {
                if (created.add(m)) {
                    try (Statement s = connection.createStatement()) {
                        for (String sql : fact.createPartition(m)) {
                            s.execute(sql);
                        }
                    }
                }
            }
        }
    }
}
