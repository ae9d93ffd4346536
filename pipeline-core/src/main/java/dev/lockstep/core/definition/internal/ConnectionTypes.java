package dev.lockstep.core.definition.internal;

import static dev.lockstep.core.definition.internal.ScalarType.string;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.Secret;
import dev.lockstep.core.definition.internal.YamlNode.Scalar;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The scalar types of the definition format that reach other systems: a database's JDBC URL, a password (never
 * written in the definition: an environment variable or a file), a webhook's URL (which may carry a token).
 */
public final class ConnectionTypes {

    private static final Pattern SOLE_VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?}");

    private ConnectionTypes() {}

    /** A PostgreSQL JDBC URL. */
    public static Type<String> jdbcUrl() {
        return ScalarType.of("a JDBC URL such as jdbc:postgresql://localhost:5432/shop", "JDBC URL",
                w -> string(w).put("pattern", "^(jdbc:postgresql://.+|\\$\\{.+\\})$"), (s, path, b) -> {
                    String url = s.value().strip();
                    if (url.startsWith("jdbc:postgresql://") && url.length() > "jdbc:postgresql://".length()) {
                        return url;
                    }
                    String hint = url.startsWith("postgresql://") || url.startsWith("postgres://")
                            ? "write it as a JDBC URL: jdbc:postgresql://host:5432/database"
                            : "use jdbc:postgresql://host:5432/database";
                    b.error(ProblemType.INVALID_URL, s, path, s.describe() + " is not a PostgreSQL JDBC URL; " + hint);
                    return null;
                });
    }

    /** A password: {@code ${ENV_VAR}}, or {@code {file: path}} read when connecting. */
    public static Type<Secret> secret(ObjectSpec fileSpec, Field<String> fileField) {
        return new Type<>() {
            @Override
            public Secret read(YamlNode node, String path, Binder b) {
                if (node instanceof YamlNode.Mapping) {
                    Section file = fileSpec.read(node, path, b);
                    String name = file == null ? null : file.value(fileField);
                    return name == null ? null : Secret.fromFile(b.baseDirectory().resolve(name).normalize());
                }
                Scalar s = b.scalar(node, path, "${ENV_VAR} or {file: path}");
                if (s == null) {
                    return null;
                }
                Matcher sole = SOLE_VARIABLE.matcher(s.raw().strip());
                if (s.interpolated() && sole.matches()) {
                    return Secret.fromEnvironment(sole.group(1), s.value());
                }
                if (s.interpolated() && s.raw().contains("${") && !s.raw().contains("$${")) {
                    return Secret.fromEnvironment("interpolated into " + path, s.value());
                }
                b.error(ProblemType.LITERAL_SECRET, s, path, "a password is never written in a definition (it is "
                        + "reviewed, committed and shared); reference it: ${SHOP_DB_PASSWORD}, or {file: "
                        + "/run/secrets/shop_db}");
                return null;
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                ObjectNode any = w.object();
                any.putArray("anyOf")
                        .add(w.object().put("type", "string").put("pattern", SchemaWriter.INTERPOLATION))
                        .add(w.ref(fileSpec));
                return any;
            }

            @Override
            public String describe() {
                return "secret: `${ENV_VAR}` or `{file: path}`";
            }

            @Override
            public List<ObjectSpec> nested() {
                return List.of(fileSpec);
            }
        };
    }

    /** An http(s) URL that may embed a token, so it is kept as a {@link Secret}. */
    public static Type<Secret> webhook() {
        return ScalarType.of("an http(s) URL", "URL", w -> string(w).put("pattern", "^(https?://.+|.*\\$\\{.+\\}.*)$"),
                ConnectionTypes::toWebhook);
    }

    private static Secret toWebhook(Scalar s, String path, Binder b) {
        String text = s.value().strip();
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || uri.getScheme() == null
                || !Set.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))) {
            b.error(ProblemType.INVALID_URL, s, path, s.describe()
                    + " is not an http(s) URL; e.g. https://hooks.example.com/lockstep");
            return null;
        }
        String shown = uri.getScheme() + "://" + uri.getHost() + "/…";
        Matcher sole = SOLE_VARIABLE.matcher(s.raw().strip());
        if (s.interpolated() && sole.matches()) {
            return Secret.fromEnvironment(sole.group(1), text);
        }
        return s.interpolated() ? Secret.fromEnvironment("interpolated into " + path, text)
                : Secret.literal(text, shown);
    }
}
