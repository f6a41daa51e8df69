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
 * {@code nameserver} lines of {@code /etc/resolv.conf} (port 53), read again when the file changes.
 */
final class ResolvConf implements Supplier<List<InetSocketAddress>> {

    private static final Logger LOG = LogManager.getLogger(ResolvConf.class);
    static final Path DEFAULT = Path.of("/etc/resolv.conf");

    private final Path file;
    private FileTime readAt;
    private List<InetSocketAddress> servers = List.of();

    ResolvConf(Path file) {
        this.file = file;
    }

    @Override
    public synchronized List<InetSocketAddress> get() {
        FileTime t;
        try {
            t = Files.getLastModifiedTime(file);
        } catch (IOException e) {
            if (readAt != null || servers.isEmpty()) {
                LOG.debug("mesh DNS: no {} ({}): no resolver to forward to", file, e.toString());
            }
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

    /** The {@code nameserver} addresses, in file order; IPv6 zone suffixes and unparsable lines are skipped. */
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
