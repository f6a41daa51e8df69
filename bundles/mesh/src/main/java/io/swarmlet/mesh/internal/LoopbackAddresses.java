package io.swarmlet.mesh.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@link LocalAddresses} on Linux: each address as a /32 on the loopback device, with iproute2
 * ({@code ip addr add A/32 dev lo}, {@code ip addr del A/32 dev lo}). Needs root (CAP_NET_ADMIN). The
 * {@code ip} command is {@code /usr/sbin/ip} or {@code /sbin/ip} when there, else {@code ip} on the PATH;
 * each run may take at most {@link #TIMEOUT_SECONDS}.
 */
final class LoopbackAddresses implements LocalAddresses {

    static final long TIMEOUT_SECONDS = 5;
    static final String DEVICE = "lo";

    private final String ip;

    LoopbackAddresses() {
        this(findIp());
    }

    LoopbackAddresses(String ip) {
        this.ip = ip;
    }

    private static String findIp() {
        for (String p : List.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        return "ip";
    }

    @Override
    public boolean add(String address) throws IOException {
        Run r = run("add", address);
        if (r.exit == 0) {
            return true;
        }
        String m = r.output.toLowerCase(Locale.ROOT);
        if (m.contains("file exists") || m.contains("already assigned")) {
            return false; // RTNETLINK's EEXIST, in old and new iproute2 words
        }
        throw new IOException("cannot add " + address + " to the loopback device (" + r.command + ": " + r.output
                + ")" + hint(m));
    }

    @Override
    public void remove(String address) throws IOException {
        Run r = run("del", address);
        String m = r.output.toLowerCase(Locale.ROOT);
        if (r.exit != 0 && !m.contains("cannot assign requested address") && !m.contains("not found")) {
            throw new IOException("cannot remove " + address + " from the loopback device (" + r.command + ": "
                    + r.output + ")");
        }
    }

    private static String hint(String output) {
        return output.contains("not permitted") ? ": run swarmletd as root, or turn virtual IPs off (vips=false in"
                + " io.swarmlet.mesh.cfg)" : "";
    }

    private record Run(String command, int exit, String output) {}

    private Run run(String verb, String address) throws IOException {
        List<String> cmd = List.of(ip, "addr", verb, address + "/32", "dev", DEVICE);
        String shown = "ip addr " + verb + " " + address + "/32 dev " + DEVICE;
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close(); // ip reads nothing
        } catch (IOException e) {
            throw new IOException("cannot add " + address + " to the loopback device: cannot run " + ip + " ("
                    + e.getMessage() + "): install iproute2, or turn virtual IPs off (vips=false in io.swarmlet.mesh.cfg)",
                    e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            Thread reader = new Thread(() -> {
                try {
                    in.transferTo(out);
                } catch (IOException e) {
                    // the process ended or was killed
                }
            }, "swarmlet-mesh-ip");
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(shown + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            reader.join(1_000);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(shown + " interrupted", e);
        }
        String text;
        synchronized (out) {
            text = out.toString(StandardCharsets.UTF_8).strip().replace('\n', ' ');
        }
        return new Run(shown, p.exitValue(), text);
    }
}
