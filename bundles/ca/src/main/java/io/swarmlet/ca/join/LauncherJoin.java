package io.swarmlet.ca.join;

import io.swarmlet.api.types.NodeRole;
import io.swarmlet.ca.pki.StateDir;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * {@link JoinClient#join} for the launcher, which loads this jar (with the api,
 * grpc and protobuf jars) in a class loader of its own and shares no classes
 * with it: strings in, strings out.
 *
 * <p>In: {@code join.addr}, {@code join.token}, {@code hostname},
 * {@code advertise.addr}, {@code timeout} (ISO-8601, default PT20S),
 * {@code worker.only} ("true": the worker-only distribution; a manager token is refused).
 * Out: {@code node.id}, {@code cluster.id}, {@code role} (manager|worker),
 * {@code key.pem}, {@code cert.pem}, {@code root.pem}, {@code root.key.pem}
 * (managers only), {@code data.key} (managers only: the cluster's data key,
 * base64, for {@code certificates/swarm-dek}, 0600, 32 bytes once decoded),
 * {@code managers} (the managers file's text: "nodeId remoteAddr raftAddr" per line).
 * A failed join throws an {@link IllegalStateException} whose message is the
 * {@link JoinException}'s one line (what went wrong, what to do).
 */
public final class LauncherJoin implements Function<Map<String, String>, Map<String, String>> {

    public LauncherJoin() {}

    @Override
    public Map<String, String> apply(Map<String, String> in) {
        Duration timeout = Duration.ofSeconds(20);
        String t = in.get("timeout");
        if (t != null && !t.isBlank()) {
            timeout = Duration.parse(t.trim());
        }
        JoinResult r;
        try {
            r = JoinClient.join(in.get("join.addr"), in.get("join.token"), in.get("hostname"), in.get("advertise.addr"),
                    timeout, Boolean.parseBoolean(in.get("worker.only")));
        } catch (JoinException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        Map<String, String> out = new LinkedHashMap<>();
        out.put("node.id", r.nodeId());
        out.put("cluster.id", r.clusterId());
        out.put("role", r.role() == NodeRole.MANAGER ? "manager" : "worker");
        out.put("key.pem", r.keyPem());
        out.put("cert.pem", r.certificatePem());
        out.put("root.pem", r.rootCertificatePem());
        if (r.rootKeyPem() != null) {
            out.put("root.key.pem", r.rootKeyPem());
        }
        if (r.dataKey() != null) {
            out.put("data.key", java.util.Base64.getEncoder().encodeToString(r.dataKey()));
        }
        out.put("managers", StateDir.managersFileContent(r.managers()));
        return out;
    }
}
