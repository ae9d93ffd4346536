package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/** The source database and the replication slot and publication Lockstep streams its changes through. */
public record SourcePostgres(
        Optional<String> url,
        Optional<String> host,
        int port,
        Optional<String> database,
        String user,
        Optional<Secret> password,
        String slot,
        String publication) implements PostgresConnection {

    public SourcePostgres {
        requireNonNull(url, "url");
        requireNonNull(host, "host");
        requireNonNull(database, "database");
        requireNonNull(user, "user");
        requireNonNull(password, "password");
        requireNonNull(slot, "slot");
        requireNonNull(publication, "publication");
        if (url.isEmpty() && (host.isEmpty() || database.isEmpty())) {
            throw new IllegalArgumentException("a connection needs a url, or a host and a database");
        }
    }

    /** Shows where it connects, never the URL's parameters or the password. */
    @Override
    public String toString() {
        return "SourcePostgres[" + describe() + ", password=" + password.map(Secret::toString).orElse("none")
                + ", slot=" + slot + ", publication=" + publication + "]";
    }
}
