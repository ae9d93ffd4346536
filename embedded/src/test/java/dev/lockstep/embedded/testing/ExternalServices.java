package dev.lockstep.embedded.testing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Deployments the suite is pointed at: {@code LOCKSTEP_PG_URL} (a JDBC URL of any database on the server, e.g.
 * {@code jdbc:postgresql://db:5432/postgres}), {@code LOCKSTEP_PG_USER}, {@code LOCKSTEP_PG_PASSWORD} and
 * {@code LOCKSTEP_KAFKA_BOOTSTRAP}. Nothing is started or stopped.
 */
final class ExternalServices implements Services {

    private static final Pattern URL = Pattern.compile("(jdbc:postgresql://[^/]+/)([^?]*)(\\?.*)?");

    private final String serverUrl;
    private final String query;
    private final String user;
    private final String password;
    private final String bootstrapServers;

    private ExternalServices(String serverUrl, String query, String user, String password, String bootstrap) {
        this.serverUrl = serverUrl;
        this.query = query;
        this.user = user;
        this.password = password;
        this.bootstrapServers = bootstrap;
    }

    static ExternalServices fromEnvironment() {
        String url = required("LOCKSTEP_PG_URL");
        Matcher m = URL.matcher(url);
        if (!m.matches()) {
            throw new IllegalStateException("LOCKSTEP_PG_URL must look like jdbc:postgresql://host:port/database, got "
                    + url.replaceAll("password=[^&]*", "password=***"));
        }
        return new ExternalServices(m.group(1), m.group(3) == null ? "" : m.group(3),
                System.getenv().getOrDefault("LOCKSTEP_PG_USER", "postgres"),
                System.getenv().getOrDefault("LOCKSTEP_PG_PASSWORD", ""),
                required("LOCKSTEP_KAFKA_BOOTSTRAP"));
    }

    private static String required(String variable) {
        String value = System.getenv(variable);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("-Dlockstep.services=external needs the environment variable " + variable);
        }
        return value;
    }

    @Override
    public String jdbcUrl(String database) {
        return serverUrl + database + query;
    }

    @Override
    public String user() {
        return user;
    }

    @Override
    public String password() {
        return password;
    }

    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        // external deployments outlive the suite
    }
}
