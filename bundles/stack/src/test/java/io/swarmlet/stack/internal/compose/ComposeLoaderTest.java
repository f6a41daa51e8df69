package io.swarmlet.stack.internal.compose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.stack.internal.compose.Project.FileRef;
import io.swarmlet.stack.internal.compose.Project.Mount;
import io.swarmlet.stack.internal.compose.Project.Port;
import io.swarmlet.stack.internal.compose.Project.Service;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A table of small compose files: each honoured key in its short and long syntax (both must give the same
 * model), interpolation, anchors and merge keys. One row: a file, what to read from the loaded web service,
 * and the expected value.
 */
class ComposeLoaderTest {

    static final Map<String, String> ENV = Map.of("TAG", "1.25", "PORT", "8080", "N", "3", "EMPTY", "", "HOME_DIR", "/home/me");

    static Stream<Arguments> cases() {
        return Stream.of(
                // image, command, entrypoint
                row("image", "image: nginx:1", Service::image, "nginx:1"),
                row("command as a string is split like a shell", "command: sh -c 'echo \"hi there\"'",
                        Service::command, List.of("sh", "-c", "echo \"hi there\"")),
                row("command as a list", "command: [sh, -c, echo hi]", Service::command, List.of("sh", "-c", "echo hi")),
                row("entrypoint as a string", "entrypoint: /bin/run --fast", Service::entrypoint, List.of("/bin/run", "--fast")),
                row("entrypoint as a list", "entrypoint: [\"/bin/run\", \"--fast\"]", Service::entrypoint, List.of("/bin/run", "--fast")),
                row("no command", "", Service::command, null),
                // environment and labels, list and map
                row("environment as a map", "environment:\n  A: 1\n  B: 'x y'\n  C: true\n  D:",
                        Service::environment, Map.of("A", "1", "B", "x y", "C", "true")),
                row("environment as a list", "environment:\n  - A=1\n  - B=x y\n  - C=a=b\n  - TAG",
                        Service::environment, Map.of("A", "1", "B", "x y", "C", "a=b", "TAG", "1.25")),
                row("labels as a map", "labels:\n  com.example.a: x\n  com.example.b: ''", Service::labels,
                        Map.of("com.example.a", "x", "com.example.b", "")),
                row("labels as a list", "labels: [com.example.a=x, com.example.b]", Service::labels,
                        Map.of("com.example.a", "x", "com.example.b", "")),
                row("env_file as a string", "env_file: .env.web", Service::envFiles, List.of(".env.web")),
                row("env_file as a list", "env_file: [a.env, {path: b.env, required: false}]", Service::envFiles, List.of("a.env", "b.env")),
                // ports
                row("port published:target", "ports: [\"8000:8000\"]", Service::ports, List.of(new Port(8000, 8000, "tcp", "ingress", null))),
                row("port unquoted", "ports:\n  - 5000:5000", Service::ports, List.of(new Port(5000, 5000, "tcp", "ingress", null))),
                row("port target only, udp", "ports: [\"3000/udp\"]", Service::ports, List.of(new Port(3000, null, "udp", "ingress", null))),
                row("port as a number", "ports: [80]", Service::ports, List.of(new Port(80, null, "tcp", "ingress", null))),
                row("port with host ip", "ports: [\"127.0.0.1:80:8080\"]", Service::ports, List.of(new Port(8080, 80, "tcp", "ingress", "127.0.0.1"))),
                row("port range", "ports: [\"9000-9001:7000-7001\"]", Service::ports,
                        List.of(new Port(7000, 9000, "tcp", "ingress", null), new Port(7001, 9001, "tcp", "ingress", null))),
                row("port long syntax, host mode", "ports:\n  - target: 80\n    published: \"8080\"\n    protocol: udp\n    mode: host",
                        Service::ports, List.of(new Port(80, 8080, "udp", "host", null))),
                row("port long syntax, defaults", "ports:\n  - target: 80\n    published: 8080", Service::ports,
                        List.of(new Port(80, 8080, "tcp", "ingress", null))),
                // expose: INTERNAL ports
                row("expose numbers and strings", "expose: [80, \"8080\", \"53/udp\"]", Service::expose,
                        List.of(new Port(80, null, "tcp", "internal", null), new Port(8080, null, "tcp", "internal", null),
                                new Port(53, null, "udp", "internal", null))),
                row("expose range, duplicates once", "expose: [\"9000-9001\", 9000]", Service::expose,
                        List.of(new Port(9000, null, "tcp", "internal", null), new Port(9001, null, "tcp", "internal", null))),
                row("no expose", "", Service::expose, List.of()),
                // volumes
                row("named volume short", "volumes: [\"data:/var/lib/data\"]", Service::volumes, List.of(new Mount("volume", "data", "/var/lib/data", false))),
                row("bind short, read-only", "volumes: [\"./static:/srv:ro\"]", Service::volumes, List.of(new Mount("bind", "./static", "/srv", true))),
                row("anonymous volume", "volumes: [/cache]", Service::volumes, List.of(new Mount("volume", null, "/cache", false))),
                row("volume long", "volumes:\n  - type: volume\n    source: data\n    target: /var/lib/data\n    read_only: true",
                        Service::volumes, List.of(new Mount("volume", "data", "/var/lib/data", true))),
                row("bind long", "volumes:\n  - {type: bind, source: /etc/app, target: /etc/app}", Service::volumes,
                        List.of(new Mount("bind", "/etc/app", "/etc/app", false))),
                row("tmpfs long", "volumes:\n  - {type: tmpfs, target: /tmp}", Service::volumes, List.of(new Mount("tmpfs", null, "/tmp", false))),
                // secrets and configs
                row("secret short", "secrets: [pw]", Service::secrets, List.of(new FileRef("pw", "pw", null, null, null))),
                row("secret long", "secrets:\n  - source: pw\n    target: db_password\n    uid: '103'\n    mode: 0440",
                        Service::secrets, List.of(new FileRef("pw", "db_password", "103", null, 0440))),
                row("config short", "configs: [conf]", Service::configs, List.of(new FileRef("conf", "/conf", null, null, null))),
                row("config long", "configs:\n  - {source: conf, target: /etc/app.conf, mode: \"0444\"}", Service::configs,
                        List.of(new FileRef("conf", "/etc/app.conf", null, null, 0444))),
                // networks
                row("networks as a list", "networks: [front, back]", s -> s.networks().keySet().stream().sorted().toList(), List.of("back", "front")),
                row("networks as a map with aliases", "networks:\n  front:\n    aliases: [www]\n  back:",
                        s -> s.networks().get("front").aliases(), List.of("www")),
                // deploy
                row("replicas", "deploy: {replicas: 2}", s -> s.deploy().replicas(), 2),
                row("mode global", "deploy: {mode: global}", s -> s.deploy().mode(), "global"),
                row("endpoint mode", "deploy: {endpoint_mode: dnsrr}", s -> s.deploy().endpointMode(), "dnsrr"),
                row("deploy labels as a list", "deploy: {labels: [a=b]}", s -> s.deploy().labels(), Map.of("a", "b")),
                row("deploy labels as a map", "deploy: {labels: {a: b}}", s -> s.deploy().labels(), Map.of("a", "b")),
                row("placement", "deploy:\n  placement:\n    constraints: [node.role==manager]\n    preferences:\n      - spread: node.labels.zone\n    max_replicas_per_node: 1",
                        s -> List.of(s.deploy().placement().constraints(), s.deploy().placement().preferences(), s.deploy().placement().maxReplicasPerNode()),
                        List.of(List.of("node.role==manager"), List.of("node.labels.zone"), 1)),
                row("resources", "deploy:\n  resources:\n    limits: {cpus: '0.1', memory: 300M}\n    reservations: {cpus: 0.01, memory: 100M}",
                        s -> List.of(s.deploy().resources().limits().nanoCpus(), s.deploy().resources().limits().memoryBytes(),
                                s.deploy().resources().reservations().nanoCpus(), s.deploy().resources().reservations().memoryBytes()),
                        List.of(100_000_000L, 300L * 1024 * 1024, 10_000_000L, 100L * 1024 * 1024)),
                row("memory in bytes and gigabytes", "deploy:\n  resources:\n    limits: {memory: 1.5g}\n    reservations: {memory: 1024}",
                        s -> List.of(s.deploy().resources().limits().memoryBytes(), s.deploy().resources().reservations().memoryBytes()),
                        List.of(1536L * 1024 * 1024, 1024L)),
                row("restart policy", "deploy:\n  restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 2m}",
                        s -> s.deploy().restartPolicy(), new Project.RestartPolicy("on-failure", Duration.ofSeconds(5), 3, Duration.ofMinutes(2))),
                row("update config", "deploy:\n  update_config: {parallelism: 2, delay: 10s, failure_action: rollback, monitor: 1m30s, max_failure_ratio: 0.5, order: start-first}",
                        s -> s.deploy().updateConfig(), new Project.UpdateConfig(2, Duration.ofSeconds(10), "rollback", Duration.ofSeconds(90), 0.5, "start-first")),
                row("rollback config", "deploy:\n  rollback_config: {parallelism: 0, order: stop-first}",
                        s -> s.deploy().rollbackConfig(), new Project.UpdateConfig(0, null, null, null, null, "stop-first")),
                // healthcheck
                row("healthcheck as a list", "healthcheck:\n  test: [CMD, curl, -f, http://localhost]\n  interval: 1m30s\n  timeout: 10s\n  retries: 3\n  start_period: 40s",
                        Service::healthcheck, new Project.Healthcheck(List.of("CMD", "curl", "-f", "http://localhost"),
                                Duration.ofSeconds(90), Duration.ofSeconds(10), Duration.ofSeconds(40), null, 3, false)),
                row("healthcheck as a string", "healthcheck: {test: curl -f http://localhost}", s -> s.healthcheck().test(),
                        List.of("CMD-SHELL", "curl -f http://localhost")),
                row("healthcheck disabled", "healthcheck: {disable: true}", s -> s.healthcheck().disable(), true),
                // the rest
                row("user, working_dir, hostname, stop_signal", "user: '1000:1000'\nworking_dir: /app\nhostname: web1\nstop_signal: SIGINT",
                        s -> List.of(s.user(), s.workingDir(), s.hostname(), s.stopSignal()), List.of("1000:1000", "/app", "web1", "SIGINT")),
                row("init", "init: true", Service::init, true),
                row("stop_grace_period", "stop_grace_period: 1m30s", Service::stopGracePeriod, Duration.ofSeconds(90)),
                row("stop_grace_period in milliseconds", "stop_grace_period: 1.5s", Service::stopGracePeriod, Duration.ofMillis(1500)),
                row("extra_hosts as a list", "extra_hosts: [\"db:10.0.0.2\"]", Service::extraHosts, List.of("db:10.0.0.2")),
                row("extra_hosts as a map", "extra_hosts:\n  db: 10.0.0.2", Service::extraHosts, List.of("db:10.0.0.2")),
                // interpolation
                row("${VAR}", "image: \"nginx:${TAG}\"", Service::image, "nginx:1.25"),
                row("$VAR", "image: nginx:$TAG", Service::image, "nginx:1.25"),
                row("$$ escapes", "command: echo $$HOME $${TAG}", Service::command, List.of("echo", "$HOME", "${TAG}")),
                row("${VAR:-default} when unset", "image: nginx:${NOPE:-latest}", Service::image, "nginx:latest"),
                row("${VAR:-default} when empty", "image: nginx:${EMPTY:-latest}", Service::image, "nginx:latest"),
                row("${VAR-default} when empty", "image: nginx${EMPTY-:latest}", Service::image, "nginx"),
                row("${VAR-default} when unset", "image: nginx${NOPE-:latest}", Service::image, "nginx:latest"),
                row("${VAR:?err} when set", "image: nginx:${TAG:?need TAG}", Service::image, "nginx:1.25"),
                row("${VAR?err} when empty", "image: nginx${EMPTY?need it}", Service::image, "nginx"),
                row("nested default", "image: nginx:${NOPE:-${TAG}}", Service::image, "nginx:1.25"),
                row("${VAR:+alt}", "image: nginx${TAG:+:alt}", Service::image, "nginx:alt"),
                row("an interpolated plain scalar gets its type", "deploy: {replicas: $N}", s -> s.deploy().replicas(), 3),
                row("an interpolated port", "ports: [\"${PORT}:80\"]", Service::ports, List.of(new Port(80, 8080, "tcp", "ingress", null))),
                row("an unset variable is blank", "image: nginx${NOPE}", Service::image, "nginx"),
                row("variables in environment values", "environment: [\"HOME=${HOME_DIR}\"]", Service::environment, Map.of("HOME", "/home/me")),
                // anchors, aliases and merge keys
                row("alias", "image: &img nginx:1\nlabels: {copy: *img}", Service::labels, Map.of("copy", "nginx:1")),
                row("x- fields are dropped", "x-note: hello\nimage: nginx", Service::image, "nginx")
        );
    }

    private static <T> Arguments row(String name, String keys, Function<Service, T> read, T expected) {
        return Arguments.of(name, keys, read, expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void readsTheKey(String name, String keys, Function<Service, Object> read, Object expected) {
        StringBuilder yaml = new StringBuilder("services:\n  web:\n");
        if (!keys.contains("image:")) {
            yaml.append("    image: nginx\n");
        }
        for (String line : keys.split("\n")) {
            if (!line.isEmpty()) {
                yaml.append("    ").append(line).append('\n');
            }
        }
        yaml.append("networks: {front: {}, back: {}}\nvolumes: {data: {}}\n");
        yaml.append("secrets: {pw: {file: ./pw.txt}}\nconfigs: {conf: {file: ./conf.txt}}\n");
        Project p = ComposeLoader.load(List.of(new ComposeFile("compose.yml", yaml.toString())), ENV);
        assertEquals(expected, read.apply(p.services().get("web")), yaml.toString());
    }

    @org.junit.jupiter.api.Test
    void mergeKeysAndAnchorsIncludingListsOfMaps() {
        String yaml = """
                x-base: &base
                  image: nginx
                  environment: {A: "1"}
                  deploy: {replicas: 2}
                x-logging: &more
                  hostname: from-more
                  user: nobody
                services:
                  web:
                    <<: *base
                    deploy: {replicas: 5}
                  api:
                    <<: [*more, *base]
                    user: root
                  worker:
                    <<: *base
                    environment:
                      <<: {A: "0", B: "2"}
                      A: "3"
                """;
        Project p = ComposeLoader.load(List.of(new ComposeFile("compose.yml", yaml)), Map.of());
        assertEquals("nginx", p.services().get("web").image());
        assertEquals(5, p.services().get("web").deploy().replicas());
        assertEquals(Map.of("A", "1"), p.services().get("web").environment());
        assertEquals("root", p.services().get("api").user());
        assertEquals("from-more", p.services().get("api").hostname());
        assertEquals("nginx", p.services().get("api").image());
        assertEquals(Map.of("A", "3", "B", "2"), p.services().get("worker").environment());
        assertEquals(List.of(), p.warnings());
    }

    @org.junit.jupiter.api.Test
    void topLevelDefinitions() {
        String yaml = """
                services:
                  web: {image: nginx}
                networks:
                  front:
                  back: {driver: overlay, attachable: true, labels: [a=b]}
                  outside: {external: true, name: host-net}
                  legacy: {external: {name: old-net}}
                volumes:
                  data:
                  shared: {external: true}
                  opts: {driver: local, driver_opts: {type: tmpfs, device: tmpfs}}
                secrets:
                  pw: {file: ./pw.txt}
                  ext: {external: true, name: prod_pw}
                configs:
                  conf: {file: ./conf.txt, labels: {k: v}}
                  shared: {external: true}
                """;
        Project p = ComposeLoader.load(List.of(new ComposeFile("compose.yml", yaml)), Map.of());
        assertEquals(new Project.Network(null, null, Map.of(), false, false, false, Map.of()), p.networks().get("front"));
        assertEquals(new Project.Network(null, "overlay", Map.of(), false, false, true, Map.of("a", "b")), p.networks().get("back"));
        assertEquals(new Project.Network("host-net", null, Map.of(), true, false, false, Map.of()), p.networks().get("outside"));
        assertEquals(new Project.Network("old-net", null, Map.of(), true, false, false, Map.of()), p.networks().get("legacy"));
        assertEquals(new Project.Volume(null, null, Map.of(), false, Map.of()), p.volumes().get("data"));
        assertTrue(p.volumes().get("shared").external());
        assertEquals(Map.of("type", "tmpfs", "device", "tmpfs"), p.volumes().get("opts").driverOpts());
        assertEquals(new Project.FileObject(null, "./pw.txt", false, Map.of()), p.secrets().get("pw"));
        assertEquals(new Project.FileObject("prod_pw", null, true, Map.of()), p.secrets().get("ext"));
        assertEquals(new Project.FileObject(null, "./conf.txt", false, Map.of("k", "v")), p.configs().get("conf"));
        assertTrue(p.configs().get("shared").external());
    }

    @org.junit.jupiter.api.Test
    void unsupportedKeysAreWarnedAsDockerDoes() {
        String yaml = """
                version: "3.8"
                services:
                  web:
                    image: nginx
                    build: .
                    privileged: true
                    cap_add: [NET_ADMIN]
                    depends_on: [db]
                    container_name: web1
                  db:
                    image: redis
                    restart: always
                    network_mode: host
                """;
        Project p = ComposeLoader.load(List.of(new ComposeFile("compose.yml", yaml)), Map.of());
        assertEquals(List.of("Ignoring unsupported options: build, cap_add, depends_on, network_mode, privileged, restart",
                "Ignoring deprecated options:\n\ncontainer_name: Setting the container name is not supported."), p.warnings());
    }

    @org.junit.jupiter.api.Test
    void unsetVariablesAreWarned() {
        Project p = ComposeLoader.load(List.of(new ComposeFile("compose.yml",
                "services:\n  web:\n    image: nginx${SUFFIX}\n")), Map.of());
        assertEquals(List.of("The \"SUFFIX\" variable is not set. Defaulting to a blank string."), p.warnings());
        assertEquals("nginx", p.services().get("web").image());
    }

    @org.junit.jupiter.api.Test
    void versionlessAndVersion3FilesLoad() {
        for (String version : List.of("", "version: \"3\"\n", "version: \"3.9\"\n", "version: 3.3\n")) {
            Project p = ComposeLoader.load(List.of(new ComposeFile("compose.yml",
                    version + "services:\n  web:\n    image: nginx\n")), Map.of());
            assertEquals("nginx", p.services().get("web").image());
        }
    }

    @org.junit.jupiter.api.Test
    void anEmptyFileIsAnEmptyProject() {
        Project p = ComposeLoader.load(List.of(new ComposeFile("compose.yml", "")), Map.of());
        assertTrue(p.services().isEmpty());
        assertNull(null);
    }
}
