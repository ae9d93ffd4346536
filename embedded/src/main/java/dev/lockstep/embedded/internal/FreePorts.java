package dev.lockstep.embedded.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports on the loopback interface, chosen below the kernel's usual ephemeral range (32768–60999 on Linux):
 * a port the system handed out as ephemeral can be taken by any outgoing connection (the suite opens thousands)
 * between the moment it was found free and the server's bind — seen once in CI, where it took the embedded broker's
 * controller port and Kafka stopped the test JVM.
 */
public final class FreePorts {

    private static final int FROM = 20_000;
    private static final int TO = 32_000;
    private static final int TRIES = 100;

    private FreePorts() {}

    /** Returns a port that was free a moment ago; the caller binds it soon. */
    public static int next() {
        for (int i = 0; i < TRIES; i++) {
            int port = ThreadLocalRandom.current().nextInt(FROM, TO);
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException taken) {
                // in use: another one
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on loopback", e);
        }
    }
}
