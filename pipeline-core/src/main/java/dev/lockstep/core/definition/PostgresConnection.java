package dev.lockstep.core.definition;

import java.util.Optional;

/** How to reach a PostgreSQL database: a JDBC URL, or host, port and database; the password is a {@link Secret}. */
public interface PostgresConnection {

    /** The default PostgreSQL port. */
    int DEFAULT_PORT = 5432;

    /** Returns the JDBC URL as written, if the definition gives one instead of host and database. */
    Optional<String> url();

    /** Returns the host, when no URL is given. */
    Optional<String> host();

    /** Returns the port used with {@link #host()}. */
    int port();

    /** Returns the database name, when no URL is given. */
    Optional<String> database();

    /** Returns the user name; never null. */
    String user();

    /** Returns the password, if one is needed. */
    Optional<Secret> password();

    /** Returns the JDBC URL to connect with; it may carry parameters, so never print it: use {@link #describe()}. */
    default String jdbcUrl() {
        return url().orElseGet(() -> "jdbc:postgresql://" + host().orElseThrow() + ":" + port() + "/"
                + database().orElseThrow());
    }

    /** Returns {@code user@host:port/database} without parameters or secrets, for messages. */
    default String describe() {
        String target = url().map(PostgresConnection::withoutParameters)
                .orElseGet(() -> host().orElse("?") + ":" + port() + "/" + database().orElse("?"));
        return user() + "@" + target;
    }

    private static String withoutParameters(String url) {
        String plain = url.startsWith("jdbc:postgresql://") ? url.substring("jdbc:postgresql://".length()) : url;
        int query = plain.indexOf('?');
        plain = query < 0 ? plain : plain.substring(0, query);
        int at = plain.indexOf('@');
        int slash = plain.indexOf('/');
        return at >= 0 && (slash < 0 || at < slash) ? plain.substring(at + 1) : plain;
    }
}
