package io.swarmlet.stack.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.HealthConfig;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.SecretReference;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.UpdateConfig;
import io.swarmlet.stack.internal.compose.ComposeFile;
import io.swarmlet.stack.internal.compose.ComposeLoader;
import io.swarmlet.stack.internal.compose.Project;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A table of compose services and the spec fields they map to, in stack "app": one row per key (and per
 * form where Docker's conversion differs); the last rows are the problems the mapping reports.
 */
class ServiceMapperTest {

    static final Map<String, byte[]> FILES = Map.of(
            "web.env", "# comment\n\nA=from-file\nB=file b\n  C=x=y\nFROM_ENV\nNOT_SET\r\n".getBytes(StandardCharsets.UTF_8),
            "override.env", "A=override\n".getBytes(StandardCharsets.UTF_8),
            "bad.env", "A B=1\n=x\n".getBytes(StandardCharsets.UTF_8));
    static final Map<String, String> ENV = Map.of("FROM_ENV", "env value");

    static Stream<Arguments> cases() {
        return Stream.of(
                row("name and namespace labels", "labels: {tier: front}",
                        s -> List.of(s.getAnnotations().getName(), s.getAnnotations().getLabelsMap(), s.getTask().getContainer().getLabelsMap()),
                        List.of("app_web", Map.of("com.docker.stack.namespace", "app"),
                                Map.of("com.docker.stack.namespace", "app", "tier", "front"))),
                row("deploy.labels are the service's labels", "deploy: {labels: [a=1]}", s -> s.getAnnotations().getLabelsMap(),
                        Map.of("com.docker.stack.namespace", "app", "a", "1")),
                row("image", "", s -> s.getTask().getContainer().getImage(), "nginx:1"),
                row("entrypoint is the command, command the args", "entrypoint: [/init]\ncommand: serve --fast",
                        s -> List.of(s.getTask().getContainer().getCommandList(), s.getTask().getContainer().getArgsList()),
                        List.of(List.of("/init"), List.of("serve", "--fast"))),
                row("command only", "command: [echo, hi]",
                        s -> List.of(s.getTask().getContainer().getCommandList(), s.getTask().getContainer().getArgsList()),
                        List.of(List.of(), List.of("echo", "hi"))),
                row("environment sorted", "environment: {Z: 1, A: 2, M: ''}", s -> s.getTask().getContainer().getEnvList(),
                        List.of("A=2", "M=", "Z=1")),
                row("env_file lines, environment over them", "env_file: [web.env, override.env]\nenvironment: [B=env]",
                        s -> s.getTask().getContainer().getEnvList(),
                        List.of("A=override", "B=env", "C=x=y", "FROM_ENV=env value")),
                row("published ports, sorted, 0 when not given", "ports: [\"8080:80\", \"443\", {target: 53, published: 53, protocol: udp, mode: host}]",
                        s -> s.getEndpoint().getPortsList(), List.of(
                                port(443, 0, PortConfig.Protocol.TCP, PortConfig.PublishMode.INGRESS),
                                port(53, 53, PortConfig.Protocol.UDP, PortConfig.PublishMode.HOST),
                                port(80, 8080, PortConfig.Protocol.TCP, PortConfig.PublishMode.INGRESS))),
                row("expose: INTERNAL ports after the published ones", "expose: [9000, \"53/udp\"]\nports: [\"80:80\"]",
                        s -> s.getEndpoint().getPortsList(), List.of(
                                port(80, 80, PortConfig.Protocol.TCP, PortConfig.PublishMode.INGRESS),
                                port(9000, 0, PortConfig.Protocol.TCP, PortConfig.PublishMode.INTERNAL),
                                port(53, 0, PortConfig.Protocol.UDP, PortConfig.PublishMode.INTERNAL))),
                row("replicated, 1 by default", "", s -> List.of(s.getModeCase(), s.getReplicated().getReplicas()),
                        List.of(ServiceSpec.ModeCase.REPLICATED, 1L)),
                row("replicas", "deploy: {replicas: 3}", s -> s.getReplicated().getReplicas(), 3L),
                row("global", "deploy: {mode: global}", ServiceSpec::getModeCase, ServiceSpec.ModeCase.GLOBAL),
                row("replicated-job", "deploy: {mode: replicated-job, replicas: 4}",
                        s -> List.of(s.getModeCase(), s.getReplicatedJob().getMaxConcurrent(), s.getReplicatedJob().getTotalCompletions()),
                        List.of(ServiceSpec.ModeCase.REPLICATED_JOB, 4L, 4L)),
                row("global-job", "deploy: {mode: global-job}", ServiceSpec::getModeCase, ServiceSpec.ModeCase.GLOBAL_JOB),
                row("placement", "deploy:\n  placement:\n    constraints: [node.role==worker]\n    preferences: [{spread: node.labels.zone}]\n    max_replicas_per_node: 2",
                        s -> List.of(s.getTask().getPlacement().getConstraintsList(), s.getTask().getPlacement().getPreferences(0).getSpread(),
                                s.getTask().getPlacement().getMaxReplicas()),
                        List.of(List.of("node.role==worker"), "node.labels.zone", 2L)),
                row("resources", "deploy:\n  resources:\n    limits: {cpus: '0.5', memory: 50M, pids: 100}\n    reservations: {cpus: '0.25', memory: 20M}",
                        s -> List.of(s.getTask().getResources().getLimits(), s.getTask().getResources().getReservations(),
                                s.getTask().getResources().getPidsLimit()),
                        List.of(Resources.newBuilder().setNanoCpus(500_000_000).setMemoryBytes(50L << 20).build(),
                                Resources.newBuilder().setNanoCpus(250_000_000).setMemoryBytes(20L << 20).build(), 100L)),
                row("restart_policy", "deploy:\n  restart_policy: {condition: on-failure, delay: 2s, max_attempts: 3, window: 1m}",
                        s -> s.getTask().getRestart(), RestartPolicy.newBuilder().setCondition(RestartPolicy.Condition.ON_FAILURE)
                                .setDelayMs(2000).setMaxAttempts(3).setWindowMs(60_000).build()),
                row("restart_policy none, default delay", "deploy:\n  restart_policy: {condition: none}",
                        s -> s.getTask().getRestart(), RestartPolicy.newBuilder().setCondition(RestartPolicy.Condition.NONE).setDelayMs(5000).build()),
                row("no restart_policy: the cluster's default", "", s -> s.getTask().hasRestart(), false),
                row("update_config", "deploy:\n  update_config: {parallelism: 2, delay: 10s, failure_action: rollback, monitor: 30s, max_failure_ratio: 0.5, order: start-first}",
                        ServiceSpec::getUpdate, UpdateConfig.newBuilder().setParallelism(2).setDelayMs(10_000)
                                .setFailureAction(UpdateConfig.FailureAction.ROLLBACK).setMonitorMs(30_000).setMaxFailureRatio(0.5f)
                                .setOrder(UpdateConfig.UpdateOrder.START_FIRST).build()),
                row("rollback_config, defaults", "deploy:\n  rollback_config: {failure_action: continue}",
                        ServiceSpec::getRollback, UpdateConfig.newBuilder().setParallelism(1).setMonitorMs(5000)
                                .setFailureAction(UpdateConfig.FailureAction.CONTINUE).build()),
                row("endpoint_mode dnsrr", "deploy: {endpoint_mode: dnsrr}", s -> s.getEndpoint().getMode().name(), "DNSRR"),
                row("endpoint_mode vip by default", "", s -> s.getEndpoint().getMode().name(), "VIP"),
                row("healthcheck", "healthcheck: {test: [CMD, 'true'], interval: 10s, timeout: 2s, retries: 3, start_period: 5s}",
                        s -> s.getTask().getContainer().getHealthcheck(), HealthConfig.newBuilder().addAllTest(List.of("CMD", "true"))
                                .setIntervalMs(10_000).setTimeoutMs(2000).setRetries(3).setStartPeriodMs(5000).build()),
                row("healthcheck as a string", "healthcheck: {test: curl -f localhost}", s -> s.getTask().getContainer().getHealthcheck().getTestList(),
                        List.of("CMD-SHELL", "curl -f localhost")),
                row("healthcheck disabled", "healthcheck: {disable: true}", s -> s.getTask().getContainer().getHealthcheck().getTestList(),
                        List.of("NONE")),
                row("secrets by full name", "secrets: [db_pass, {source: api_key, target: /etc/key, uid: '10', gid: '20', mode: 0400}, ext]",
                        s -> s.getTask().getContainer().getSecretsList(), List.of(
                                SecretReference.newBuilder().setSecretName("app_db_pass").setTarget("db_pass").build(),
                                SecretReference.newBuilder().setSecretName("custom_key").setTarget("/etc/key").setUid("10").setGid("20").setMode(0400).build(),
                                SecretReference.newBuilder().setSecretName("ext").setTarget("ext").build())),
                row("configs by full name", "configs: [nginx_conf]", s -> s.getTask().getContainer().getConfigsList(),
                        List.of(ConfigReference.newBuilder().setConfigName("app_nginx_conf").setTarget("/nginx_conf").build())),
                row("volumes: named, external, bind, anonymous, tmpfs",
                        "volumes: [\"data:/data\", \"shared:/shared:ro\", \"/srv:/srv\", /cache, {type: tmpfs, target: /tmp}]",
                        s -> s.getTask().getContainer().getMountsList(), List.of(
                                Mount.newBuilder().setType(Mount.Type.VOLUME).setSource("app_data").setTarget("/data").build(),
                                Mount.newBuilder().setType(Mount.Type.VOLUME).setSource("shared").setTarget("/shared").setReadOnly(true).build(),
                                Mount.newBuilder().setType(Mount.Type.BIND).setSource("/srv").setTarget("/srv").build(),
                                Mount.newBuilder().setType(Mount.Type.VOLUME).setTarget("/cache").build(),
                                Mount.newBuilder().setType(Mount.Type.TMPFS).setTarget("/tmp").build())),
                row("default network, aliased by the service name", "", s -> s.getTask().getNetworksList(),
                        List.of(NetworkAttachmentConfig.newBuilder().setTarget("app_default").addAliases("web").build())),
                row("declared, named and external networks, by target",
                        "networks:\n  front:\n    aliases: [www]\n  outside:\n  legacy:",
                        s -> s.getTask().getNetworksList(), List.of(
                                NetworkAttachmentConfig.newBuilder().setTarget("app_front").addAliases("web").addAliases("www").build(),
                                NetworkAttachmentConfig.newBuilder().setTarget("host_net").addAliases("web").build(),
                                NetworkAttachmentConfig.newBuilder().setTarget("legacy_net").addAliases("web").build())),
                row("user, working_dir, hostname", "user: '1000:1000'\nworking_dir: /app\nhostname: web1",
                        s -> List.of(s.getTask().getContainer().getUser(), s.getTask().getContainer().getDir(), s.getTask().getContainer().getHostname()),
                        List.of("1000:1000", "/app", "web1")),
                row("extra_hosts in Docker's IP HOST form", "extra_hosts: [\"db:10.0.0.2\", \"v6=[::1]\"]",
                        s -> s.getTask().getContainer().getHostsList(), List.of("10.0.0.2 db", "::1 v6")),
                row("extra_hosts as a mapping", "extra_hosts: {cache: 10.0.0.3}", s -> s.getTask().getContainer().getHostsList(),
                        List.of("10.0.0.3 cache")),
                row("init false", "init: false", s -> List.of(s.getTask().getContainer().hasInit(), s.getTask().getContainer().getInit()),
                        List.of(true, false)),
                row("init not given: the cluster's default", "", s -> s.getTask().getContainer().hasInit(), false),
                row("stop_grace_period, stop_signal", "stop_grace_period: 1m30s\nstop_signal: SIGINT",
                        s -> List.of(s.getTask().getContainer().getStopGracePeriodMs(), s.getTask().getContainer().getStopSignal()),
                        List.of(90_000L, "SIGINT")),
                // problems
                problem("relative bind", "volumes: [\"./static:/srv\"]", "services.web.volumes: bind mount source \"./static\" must be an"
                        + " absolute path: the managers deploy the stack and cannot resolve a path relative to the compose file"),
                problem("bad env file lines", "env_file: bad.env", "services.web.env_file: bad.env:1: variable 'A B' contains whitespaces",
                        "services.web.env_file: bad.env:2: no variable name on line '=x'"),
                problem("healthcheck disabled with a test", "healthcheck: {disable: true, test: [CMD, x]}",
                        "services.web.healthcheck: test and disable can't be set at the same time"),
                problem("replicas with global", "deploy: {mode: global, replicas: 2}",
                        "services.web.deploy.replicas: replicas can only be used with replicated or replicated-job mode"),
                problem("ingress port with dnsrr", "deploy: {endpoint_mode: dnsrr}\nports: [\"80:80\"]",
                        "services.web.ports: port published with ingress mode can't be used with dnsrr mode"
                                + " (publish it in host mode, or use endpoint_mode: vip)"));
    }

    static final String TOP = """
            networks:
              front:
              outside: {external: true, name: host_net}
              legacy: {name: legacy_net}
            volumes:
              data:
              shared: {external: true}
            secrets:
              db_pass: {file: db_pass.txt}
              api_key: {file: key.txt, name: custom_key}
              ext: {external: true}
            configs:
              nginx_conf: {file: nginx.conf}
            """;

    private static Arguments row(String name, String keys, Function<ServiceSpec, Object> read, Object expected) {
        return Arguments.of(name, keys, read, expected, List.of());
    }

    private static Arguments problem(String name, String keys, String... problems) {
        return Arguments.of(name, keys, null, null, List.of(problems));
    }

    private static PortConfig port(int target, int published, PortConfig.Protocol protocol, PortConfig.PublishMode mode) {
        return PortConfig.newBuilder().setTargetPort(target).setPublishedPort(published).setProtocol(protocol).setPublishMode(mode).build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void mapsEachKeyAsDockerDoes(String name, String keys, Function<ServiceSpec, Object> read, Object expected, List<String> problems) {
        String service = keys.isEmpty() ? "" : "    " + keys.replace("\n", "\n    ") + "\n";
        String text = "services:\n  web:\n    image: nginx:1\n" + service + TOP;
        Project project = ComposeLoader.load(List.of(new ComposeFile("compose.yml", text)), ENV);
        List<String> found = new ArrayList<>();
        ServiceSpec spec = new ServiceMapper(new Namespace("app"), project, FILES::get, ENV, found).map(project.services().get("web"));
        assertEquals(problems, found);
        if (read != null) {
            assertEquals(expected, read.apply(spec));
        }
    }
}
