package io.swarmlet.cli.shell;

import io.swarmlet.api.node.Console;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The daemon's {@link Console}: sessions of the Gogo shell (every
 * {@code swarm:*} command, and Gogo's own {@code lb}, {@code help}, ...),
 * which the control socket serves to {@code swarmlet console}. Each session
 * runs on its own thread (see {@link ShellSession}). When the Gogo runtime or
 * this bundle stops, open sessions end and their clients are told.
 */
@Component(service = Console.class)
public class GogoConsole implements Console {

    private static final Logger LOG = LogManager.getLogger(GogoConsole.class);

    @Reference
    private CommandProcessor processor;

    private final Set<ShellSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger counter = new AtomicInteger();

    public GogoConsole() {
    }

    /** For tests: sessions of {@code processor}. */
    GogoConsole(CommandProcessor processor) {
        this.processor = processor;
    }

    @Override
    public Session open(Consumer<byte[]> output, Runnable closed) {
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(closed, "closed");
        int n = counter.incrementAndGet();
        ShellSession[] self = new ShellSession[1];
        ShellSession s = new ShellSession(processor, output, () -> {
            sessions.remove(self[0]);
            LOG.info("console session {} ended", n);
            closed.run();
        });
        self[0] = s;
        sessions.add(s);
        LOG.info("console session {} opened", n);
        s.start("swarmlet-console-" + n);
        return s;
    }

    /** How many sessions are open. */
    int openSessions() {
        return sessions.size();
    }

    @Deactivate
    void deactivate() {
        for (ShellSession s : sessions) {
            s.hangUp();
        }
    }
}
