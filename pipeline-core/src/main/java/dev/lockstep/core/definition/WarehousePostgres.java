package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/** The warehouse database. */
public record WarehousePostgres(
        Optional<String> url,
        Optional<String> host,
        int port,
        Optional<String> database,
        String user,
        Optional<Secret> password) implements PostgresConnection {

    public WarehousePostgres {
        requireNonNull(url, "url");
        requireNonNull(host, "host");
        requireNonNull(database, "database");
        requireNonNull(user, "user");
        requireNonNull(password, "password");
        if (url.isEmpty() && (host.isEmpty() || database.isEmpty())) {
            throw new IllegalArgumentException("a connection needs a url, or a host and a database");
        }
    }

    /** Shows where it connects, never the URL's parameters or the password. */
    @Override
    public String toString() {
        return "WarehousePostgres[" + describe() + ", password=" + password.map(Secret::toString).orElse("none") + "]";
    }
}
