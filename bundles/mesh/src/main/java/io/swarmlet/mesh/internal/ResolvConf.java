package io.swarmlet.mesh.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The host's resolvers, where the networks' DNS servers forward the names they do not know: the
 * {@code nameserver} lines of {@code /etc/resolv.conf} (port 53), read again when the file changes
 * (looked at no more than once a second: the DNS servers ask on their event loops).
 */
final class ResolvConf implements Supplier<List<InetSocketAddress>> {

    private static final Logger LOG = LogManager.getLogger(ResolvConf.class);
    static final Path DEFAULT = Path.of("/etc/resolv.conf");

    private static final long CHECK_NANOS = 1_000_000_000L;

    private final Path file;
    private long checkedAt;
    private boolean checked;
    private FileTime readAt;
    private List<InetSocketAddress> servers = List.of();

    ResolvConf(Path file) {
        this.file = file;
    }

    @Override
    public synchronized List<InetSocketAddress> get() {
        long now = System.nanoTime();
        if (checked && now - checkedAt < CHECK_NANOS) {
            return servers;
        }
        checked = true;
        checkedAt = now;
        FileTime t;
        try {
            t = Files.getLastModifiedTime(file);
        } catch (IOException e) {
            LOG.debug("mesh DNS: no {} ({}): no resolver to forward to", file, e.toString());
            readAt = null;
            servers = List.of();
            return servers;
        }
        if (!t.equals(readAt)) {
            try {
                servers = parse(Files.readAllLines(file, StandardCharsets.UTF_8));
                readAt = t;
                LOG.debug("mesh DNS: resolvers {}", servers);
            } catch (IOException e) {
                LOG.warn("mesh DNS: cannot read {}: {}", file, e.toString());
            }
        }
        return servers;
    }

    /** The {@code nameserver} addresses, in file order; lines naming no IP address are skipped. */
    static List<InetSocketAddress> parse(List<String> lines) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.strip().split("\\s+");
            if (f.length >= 2 && f[0].equals("nameserver")) {
                InetAddress a = Addresses.literal(f[1]);
                if (a != null) {
                    out.add(new InetSocketAddress(a, 53));
                }
            }
        }
        return List.copyOf(out);
    }
}
