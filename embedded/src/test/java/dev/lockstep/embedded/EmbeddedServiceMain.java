package dev.lockstep.embedded;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one embedded service in a child JVM until it is killed: {@code postgres|kafka <base directory>}.
 * Prints {@code READY <server pid> <run directory>} once the service is up.
 */
public final class EmbeddedServiceMain {

    private EmbeddedServiceMain() {}

    public static void main(String[] args) throws InterruptedException {
        Path base = Path.of(args[1]);
        if (args[0].equals("postgres")) {
            EmbeddedPostgres postgres = EmbeddedPostgres.builder().baseDirectory(base).build().start();
            System.out.println("READY " + postgres.serverPid() + " " + postgres.dataDirectory().getParent());
        } else {
            EmbeddedKafka kafka = EmbeddedKafka.builder().baseDirectory(base).build().start();
            System.out.println("READY " + ProcessHandle.current().pid() + " " + kafka.directory());
        }
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
