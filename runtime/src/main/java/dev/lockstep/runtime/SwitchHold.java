package dev.lockstep.runtime;

import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deployment's switch made ready off the applying thread once every rebuild chunk is done: the tables it alters
 * held against autovacuum ({@link DeploymentSteps#hold}) and the alerting of the version it switches to opened (~200
 * ms of connections and topic checks), so that the switch's control point holds only its renames and record.
 */
final class SwitchHold {

    private static final Logger LOG = LoggerFactory.getLogger(SwitchHold.class);

    private final CompletableFuture<Void> ready;
    /** Opened by {@link #ready}, read once it is done (null: not opened, or taken). */
    private Alerting alerting;

    private SwitchHold(DeploymentSteps steps, LiveDeployment.AlertingOpener opener, Executor executor) {
        ready = CompletableFuture.runAsync(() -> {
            try {
                steps.hold("switch");
                alerting = opener.open(steps.plan().definition(), steps.plan().star());
            } catch (SQLException e) {
                throw new CompletionException(e);
            }
        }, executor);
    }

    /** Begins making the switch of {@code steps} ready on {@code executor}. */
    static SwitchHold begin(DeploymentSteps steps, LiveDeployment.AlertingOpener opener, Executor executor) {
        return new SwitchHold(steps, opener, executor);
    }

    /** Tells whether it is ready (or failed: {@link #join} says which). */
    boolean isDone() {
        return ready.isDone();
    }

    /** Waits until it is ready; its failure is thrown as it was raised (a runtime exception), or wrapped. */
    void join() {
        LiveDeployment.joined(ready);
    }

    /** Returns the switched-to version's alerting, once ready, if it was opened; the caller owns it. */
    Optional<Alerting> takeAlerting() {
        if (!ready.isDone()) {
            return Optional.empty(); // a failed one opened nothing
        }
        Optional<Alerting> opened = Optional.ofNullable(alerting);
        alerting = null;
        return opened;
    }

    /**
     * Waits for it to end and closes the alerting it opened if nobody took it. The locks it took are let go of by the
     * steps' close, after this.
     */
    void close() {
        try {
            ready.join();
        } catch (RuntimeException e) {
            LOG.debug("making the switch ready failed too", e);
        }
        takeAlerting().ifPresent(Alerting::close);
    }
}
