package dev.lockstep.connectors;

import dev.lockstep.core.stream.TableId;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the extract in a child JVM until it is killed:
 * {@code pipeline host port database user password bootstrap table...}. Prints {@code STARTED} once running.
 */
public final class ExtractMain {

    private ExtractMain() {}

    public static void main(String[] args) throws InterruptedException {
        ExtractSettings settings = ExtractSettings.of(args[0], args[1], Integer.parseInt(args[2]), args[3], args[4],
                args[5], Arrays.stream(args, 7, args.length).map(TableId::parse).toList(), args[6]);
        PostgresCdcSource extract = new PostgresCdcSource(settings).start();
        System.out.println("STARTED");
        System.out.flush();
        extract.completion().whenComplete((ok, failure) -> {
            System.out.println("STOPPED " + (failure == null ? "" : failure.getMessage()));
            System.out.flush();
        });
        new CountDownLatch(1).await();
    }

    /** The arguments that start {@code settings} in a child JVM. */
    static String[] args(ExtractSettings settings) {
        String[] fixed = {settings.pipeline(), settings.host(), Integer.toString(settings.port()), settings.database(),
            settings.user(), settings.password().isEmpty() ? "" : settings.password(), settings.bootstrapServers()};
        String[] tables = settings.tables().stream().map(TableId::toString).toArray(String[]::new);
        String[] all = Arrays.copyOf(fixed, fixed.length + tables.length);
        System.arraycopy(tables, 0, all, fixed.length, tables.length);
        return all;
    }
}
