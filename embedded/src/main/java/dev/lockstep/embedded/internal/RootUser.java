package dev.lockstep.embedded.internal;

import dev.lockstep.embedded.EmbeddedServiceException;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** PostgreSQL refuses to run as root; zonky then runs it in a user namespace ({@code unshare -U}). */
public final class RootUser {

    private static volatile Boolean checked;

    private RootUser() {}

    /** Fails with what to do when this JVM runs as root and user namespaces are not available. */
    public static void requireUserNamespacesWhenRoot() {
        if (Boolean.TRUE.equals(checked)) {
            return;
        }
        if (!isRoot()) {
            checked = true;
            return;
        }
        if (!unshareWorks()) {
            throw new EmbeddedServiceException("embedded PostgreSQL cannot run as root here: PostgreSQL refuses to "
                    + "run as root, and 'unshare -U' (a user namespace, which zonky uses to drop root) was refused. "
                    + "Run as a non-root user, allow unprivileged user namespaces "
                    + "(sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces > 0), "
                    + "or use an external PostgreSQL.");
        }
        checked = true;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"))
                || ProcessHandle.current().info().user().map("root"::equals).orElse(false);
    }

    private static boolean unshareWorks() {
        try {
            Process p = new ProcessBuilder("unshare", "-U", "true").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
