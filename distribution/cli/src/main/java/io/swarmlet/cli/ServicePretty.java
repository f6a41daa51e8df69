package io.swarmlet.cli;

import io.swarmlet.api.types.PayloadTargets;
import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.HealthConfig;
import io.swarmlet.api.types.MeshPortStats;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.PlacementPreference;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.ResourceRequirements;
import io.swarmlet.api.types.SecretReference;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.UpdateConfig;
import io.swarmlet.api.types.UpdateStatus;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code service inspect --pretty} in docker's layout. docker writes its
 * template with tabs and lets the terminal expand them; this writes the same
 * text with the tabs expanded to 8-column stops, so it reads the same in a
 * terminal, a file or a test.
 */
final class ServicePretty {

    private ServicePretty() {}

    /** The readable block for {@code s}; {@code now} (unix millis) for "Started: 2 minutes ago". */
    static String render(Service s, long now) {
        return render(s, now, Map.of());
    }

    /** As above, with the networks' names by ID (docker shows names; an unknown target is shown as it is). */
    static String render(Service s, long now, Map<String, String> networkNames) {
        ServiceSpec spec = s.getSpec();
        ContainerSpec c = spec.getTask().getContainer();
        List<String> l = new ArrayList<>();
        l.add("ID:\t\t" + s.getId());
        l.add("Name:\t\t" + Services.name(s));
        Map<String, String> labels = spec.getAnnotations().getLabelsMap();
        if (!labels.isEmpty()) {
            l.add("Labels:");
            new TreeMap<>(labels).forEach((k, v) -> l.add(" " + k + (v.isEmpty() ? "" : "=" + v)));
        }
        switch (spec.getModeCase()) {
            case GLOBAL:
                l.add("Service Mode:\tGlobal");
                break;
            case REPLICATED_JOB:
                l.add("Service Mode:\tReplicated job");
                l.add(" Max Concurrent:\t" + spec.getReplicatedJob().getMaxConcurrent());
                l.add(" Total Completions:\t" + spec.getReplicatedJob().getTotalCompletions());
                break;
            case GLOBAL_JOB:
                l.add("Service Mode:\tGlobal job");
                break;
            default:
                l.add("Service Mode:\tReplicated");
                l.add(" Replicas:\t" + spec.getReplicated().getReplicas());
                break;
        }
        UpdateStatus st = s.getUpdateStatus();
        if (st.getState() != UpdateStatus.UpdateState.UNKNOWN && st.getState() != UpdateStatus.UpdateState.UNRECOGNIZED) {
            l.add("UpdateStatus:");
            l.add(" State:\t\t" + st.getState().name().toLowerCase(Locale.ROOT));
            if (st.getStartedAt() != 0) {
                l.add(" Started:\t" + HumanTime.ago(st.getStartedAt(), now));
            }
            if (st.getState() == UpdateStatus.UpdateState.COMPLETED && st.getCompletedAt() != 0) {
                l.add(" Completed:\t" + HumanTime.ago(st.getCompletedAt(), now));
            }
            l.add(" Message:\t" + st.getMessage());
        }
        if (!spec.getTask().getPlacement().getStrategy().isEmpty()) {
            // unset: the cluster's default (swarm update --default-placement-strategy), spread unless changed
            l.add("Placement strategy: " + spec.getTask().getPlacement().getStrategy());
        }
        l.add("Placement:");
        if (spec.getTask().getPlacement().getConstraintsCount() > 0) {
            l.add(" Constraints:\t" + list(spec.getTask().getPlacement().getConstraintsList()));
        }
        if (spec.getTask().getPlacement().getPreferencesCount() > 0) {
            List<String> prefs = new ArrayList<>();
            for (PlacementPreference p : spec.getTask().getPlacement().getPreferencesList()) {
                prefs.add("spread=" + p.getSpread());
            }
            l.add(" Preferences:   " + list(prefs));
        }
        if (spec.getTask().getPlacement().getMaxReplicas() > 0) {
            l.add(" Max Replicas Per Node:   " + spec.getTask().getPlacement().getMaxReplicas());
        }
        if (spec.hasUpdate()) {
            updateConfig(l, "UpdateConfig:", "Update order:      ", spec.getUpdate());
        }
        if (spec.hasRollback()) {
            updateConfig(l, "RollbackConfig:", "Rollback order:    ", spec.getRollback());
        }
        if (!spec.getTask().getRuntime().isEmpty()) {
            l.add("Runtime:\t" + spec.getTask().getRuntime()); // unset: container
        }
        l.add("ContainerSpec:");
        l.add(" Image:\t\t" + c.getImage());
        if (c.getCommandCount() > 0) {
            l.add(" Command:\t" + String.join(" ", c.getCommandList()));
        }
        if (c.getArgsCount() > 0) {
            l.add(" Args:\t\t" + String.join(" ", c.getArgsList()));
        }
        if (c.getEnvCount() > 0) {
            l.add(" Env:\t\t" + String.join(" ", c.getEnvList()));
        }
        if (!c.getDir().isEmpty()) {
            l.add(" Dir:\t\t" + c.getDir());
        }
        if (c.hasInit()) {
            l.add(" Init:\t\t" + c.getInit());
        }
        if (!c.getUser().isEmpty()) {
            l.add(" User: " + c.getUser());
        }
        if (c.getMountsCount() > 0) {
            l.add("Mounts:");
            for (Mount m : c.getMountsList()) {
                l.add(" Target:\t" + m.getTarget());
                l.add("  Source:\t" + m.getSource());
                l.add("  ReadOnly:\t" + m.getReadOnly());
                l.add("  Type:\t\t" + m.getType().name().toLowerCase(Locale.ROOT));
            }
        }
        if (c.getConfigsCount() > 0) {
            l.add("Configs:");
            for (ConfigReference r : c.getConfigsList()) {
                l.add(" Target:\t" + PayloadTargets.config(r));
                l.add("  Source:\t" + r.getConfigName());
                payloadVersion(l, r.getVersion(), r.getPinned());
            }
        }
        if (c.getSecretsCount() > 0) {
            l.add("Secrets:");
            for (SecretReference r : c.getSecretsList()) {
                l.add(" Target:\t" + PayloadTargets.secret(r));
                l.add("  Source:\t" + r.getSecretName());
                payloadVersion(l, r.getVersion(), r.getPinned());
            }
        }
        resources(l, spec.getTask().getResources());
        List<NetworkAttachmentConfig> networks = spec.getTask().getNetworksCount() > 0
                ? spec.getTask().getNetworksList() : spec.getNetworksList();
        if (!networks.isEmpty()) {
            StringBuilder n = new StringBuilder("Networks:");
            networks.forEach(x -> n.append(' ').append(networkNames.getOrDefault(x.getTarget(), x.getTarget())));
            l.add(n.toString());
        }
        l.add("Endpoint Mode:\t" + spec.getEndpoint().getMode().name().toLowerCase(Locale.ROOT));
        List<PortConfig> ports = Services.publishedPorts(s);
        if (!ports.isEmpty()) {
            l.add("Ports:");
            for (PortConfig p : ports) {
                l.add(" PublishedPort = " + p.getPublishedPort());
                l.add("  Protocol = " + Services.protocol(p));
                l.add("  TargetPort = " + p.getTargetPort());
                l.add("  PublishMode = " + p.getPublishMode().name().toLowerCase(Locale.ROOT));
            }
        }
        if (s.getEndpoint().getMeshStatsCount() > 0) {
            String lb = spec.getEndpoint().getLbStrategy();
            l.add("Routing Mesh:	" + (lb.isEmpty() ? "cluster default strategy" : lb));
            for (MeshPortStats m : s.getEndpoint().getMeshStatsList()) {
                l.add(" Port " + m.getPublishedPort() + "/" + m.getProtocol().name().toLowerCase(Locale.ROOT) + ":");
                l.add("  Connections = " + m.getConnectionsTotal() + " (" + m.getConnectionsActive() + " active)");
                l.add("  Bytes In = " + m.getBytesIn());
                l.add("  Bytes Out = " + m.getBytesOut());
                l.add("  Backend Errors = " + m.getBackendErrors());
                if (!m.getListenError().isEmpty()) {
                    l.add("  Unavailable = " + m.getListenError());
                }
            }
        }
        if (c.hasHealthcheck()) {
            HealthConfig h = c.getHealthcheck();
            l.add(" Healthcheck:");
            l.add("  Interval = " + Output.duration(h.getIntervalMs()));
            l.add("  Retries = " + h.getRetries());
            l.add("  StartPeriod =\t" + Output.duration(h.getStartPeriodMs()));
            l.add("  Timeout =\t" + Output.duration(h.getTimeoutMs()));
            if (h.getTestCount() > 0) {
                l.add("  Tests:");
                h.getTestList().forEach(t -> l.add("\t Test = " + t));
            }
        }
        StringBuilder out = new StringBuilder();
        for (String line : l) {
            out.append(stripTrailing(expandTabs(line))).append('\n');
        }
        return out.toString();
    }

    /** The version a secret or config reference gives the tasks (not docker's: secrets have no versions there). */
    private static void payloadVersion(List<String> l, long version, boolean pinned) {
        if (version > 0) {
            l.add("  Version:\t" + version + (pinned ? " (pinned)" : ""));
        }
    }

    private static void updateConfig(List<String> l, String title, String orderKey, UpdateConfig u) {
        l.add(title);
        l.add(" Parallelism:\t" + u.getParallelism());
        if (u.getDelayMs() > 0) {
            l.add(" Delay:\t\t" + Output.duration(u.getDelayMs()));
        }
        l.add(" On failure:\t" + u.getFailureAction().name().toLowerCase(Locale.ROOT));
        if (u.getMonitorMs() > 0) {
            l.add(" Monitoring Period: " + Output.duration(u.getMonitorMs()));
        }
        l.add(" Max failure ratio: " + new BigDecimal(Float.toString(u.getMaxFailureRatio())).stripTrailingZeros().toPlainString());
        l.add(" " + orderKey + u.getOrder().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    private static void resources(List<String> l, ResourceRequirements r) {
        Resources res = r.getReservations();
        Resources lim = r.getLimits();
        boolean reservations = res.getNanoCpus() > 0 || res.getMemoryBytes() > 0;
        boolean limits = lim.getNanoCpus() > 0 || lim.getMemoryBytes() > 0 || r.getPidsLimit() > 0;
        if (!reservations && !limits) {
            return;
        }
        l.add("Resources:");
        if (reservations) {
            l.add(" Reservations:");
            if (res.getNanoCpus() > 0) {
                l.add("  CPU:\t\t" + Output.cpus(res.getNanoCpus()));
            }
            if (res.getMemoryBytes() > 0) {
                l.add("  Memory:\t" + Output.bytes(res.getMemoryBytes()));
            }
        }
        if (limits) {
            l.add(" Limits:");
            if (lim.getNanoCpus() > 0) {
                l.add("  CPU:\t\t" + Output.cpus(lim.getNanoCpus()));
            }
            if (lim.getMemoryBytes() > 0) {
                l.add("  Memory:\t" + Output.bytes(lim.getMemoryBytes()));
            }
            if (r.getPidsLimit() > 0) {
                l.add("  PIDs:\t\t" + r.getPidsLimit());
            }
        }
    }

    /** Go's {@code %v} of a string slice: {@code [a b]}. */
    private static String list(List<String> items) {
        return "[" + String.join(" ", items) + "]";
    }

    /** Tabs expanded to the next multiple of 8 columns, as a terminal shows them. */
    static String expandTabs(String line) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '\t') {
                do {
                    sb.append(' ');
                } while (sb.length() % 8 != 0);
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    private static String stripTrailing(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == ' ') {
            end--;
        }
        return s.substring(0, end);
    }
}
