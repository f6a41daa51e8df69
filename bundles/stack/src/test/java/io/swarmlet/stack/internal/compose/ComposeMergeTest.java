package io.swarmlet.stack.internal.compose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.swarmlet.stack.internal.compose.Project.FileRef;
import io.swarmlet.stack.internal.compose.Project.Mount;
import io.swarmlet.stack.internal.compose.Project.Port;
import io.swarmlet.stack.internal.compose.Project.Service;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Several files, merged with Docker's rules: the later file wins. */
class ComposeMergeTest {

    private static final String BASE = """
            services:
              web:
                image: nginx:1
                command: [nginx, -g, daemon off;]
                entrypoint: /docker-entrypoint.sh
                environment: [A=1, B=2]
                labels: {tier: front}
                ports: ["80:80", "443:443"]
                volumes: ["data:/data", "./conf:/etc/nginx:ro"]
                secrets: [pw]
                configs: [conf]
                networks: [front]
                extra_hosts: ["db:10.0.0.2"]
                healthcheck:
                  test: [CMD, curl, -f, http://localhost]
                  interval: 30s
                deploy:
                  replicas: 2
                  placement: {constraints: [node.role==worker]}
                  update_config: {parallelism: 1, delay: 10s}
              db:
                image: redis
            networks: {front: {}}
            volumes: {data: {}}
            secrets: {pw: {file: ./pw.txt}}
            configs: {conf: {file: ./conf.txt}}
            """;

    private static final String OVERRIDE = """
            services:
              web:
                image: nginx:2
                command: nginx-debug
                environment:
                  B: "20"
                  C: "3"
                labels: [debug=true]
                ports:
                  - target: 443
                    published: 8443
                  - "8080:8080"
                volumes:
                  - type: bind
                    source: /srv/data
                    target: /data
                secrets:
                  - source: pw2
                    target: pw
                networks:
                  back:
                    aliases: [www]
                extra_hosts: ["cache:10.0.0.3"]
                healthcheck:
                  test: [CMD-SHELL, "true"]
                deploy:
                  replicas: 4
                  placement: {constraints: [node.labels.ssd==true]}
                  update_config: {delay: 20s}
              worker:
                image: busybox
            networks: {back: {}}
            secrets: {pw2: {external: true}}
            """;

    private static Project load(String... texts) {
        List<ComposeFile> files = new java.util.ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            files.add(new ComposeFile(i == 0 ? "compose.yml" : "override.yml", texts[i]));
        }
        return ComposeLoader.load(files, Map.of());
    }

    @Test
    void laterFileWinsWithDockersRules() {
        Project p = load(BASE, OVERRIDE);
        Service web = p.services().get("web");
        assertEquals("nginx:2", web.image());
        assertEquals(List.of("nginx-debug"), web.command(), "command is replaced");
        assertEquals(List.of("/docker-entrypoint.sh"), web.entrypoint(), "kept when not overridden");
        assertEquals(Map.of("A", "1", "B", "20", "C", "3"), web.environment(), "list and map forms merge");
        assertEquals(Map.of("tier", "front", "debug", "true"), web.labels());
        assertEquals(List.of(new Port(80, 80, "tcp", "ingress", null), new Port(443, 8443, "tcp", "ingress", null),
                new Port(8080, 8080, "tcp", "ingress", null)), web.ports(), "ports merge by target");
        assertEquals(List.of(new Mount("bind", "/srv/data", "/data", false), new Mount("bind", "./conf", "/etc/nginx", true)),
                web.volumes(), "volumes merge by target");
        assertEquals(List.of(new FileRef("pw2", "pw", null, null, null)), web.secrets(), "secrets merge by target");
        assertEquals(List.of(new FileRef("conf", "/conf", null, null, null)), web.configs());
        assertEquals(List.of("front", "back"), List.copyOf(web.networks().keySet()));
        assertEquals(List.of("www"), web.networks().get("back").aliases());
        assertEquals(List.of("db:10.0.0.2", "cache:10.0.0.3"), web.extraHosts(), "other lists are appended");
        assertEquals(List.of("CMD-SHELL", "true"), web.healthcheck().test(), "healthcheck.test is replaced");
        assertEquals(Duration.ofSeconds(30), web.healthcheck().interval(), "the rest of healthcheck is merged");
        assertEquals(4, web.deploy().replicas());
        assertEquals(List.of("node.role==worker", "node.labels.ssd==true"), web.deploy().placement().constraints());
        assertEquals(new Project.UpdateConfig(1, Duration.ofSeconds(20), null, null, null, null), web.deploy().updateConfig());
        assertEquals(List.of("db", "web", "worker"), p.services().keySet().stream().sorted().toList());
        assertEquals(List.of("back", "front"), p.networks().keySet().stream().sorted().toList());
        assertEquals(List.of("pw", "pw2"), p.secrets().keySet().stream().sorted().toList());
    }

    @Test
    void exposedPortsMergeByTargetAndProtocol() {
        Project p = load("services:\n  web:\n    image: nginx\n    expose: [80, \"53/udp\"]\n",
                "services:\n  web:\n    expose: [\"80\", 8080]\n");
        assertEquals(List.of(new Port(80, null, "tcp", "internal", null), new Port(53, null, "udp", "internal", null),
                new Port(8080, null, "tcp", "internal", null)), p.services().get("web").expose());
    }

    @Test
    void anOverrideMayOmitTheImage() {
        Project p = load(BASE, "services:\n  db:\n    deploy: {replicas: 3}\n");
        assertEquals("redis", p.services().get("db").image());
        assertEquals(3, p.services().get("db").deploy().replicas());
    }

    @Test
    void errorsNameTheFileTheyAreIn() {
        ComposeException e = assertThrows(ComposeException.class, () -> load(BASE,
                "services:\n  web:\n    deploy:\n      replicas: many\n"));
        assertEquals("override.yml:4: services.web.deploy.replicas must be an integer", e.getMessage());
    }

    @Test
    void problemsOfEveryFileAreReportedTogether() {
        ComposeException e = assertThrows(ComposeException.class, () -> load(
                "services:\n  web:\n    image: [nginx]\n", "services:\n  web:\n    init: yes\n"));
        assertEquals("compose.yml:3: services.web.image must be a string\n"
                + "override.yml:3: services.web.init must be a boolean", e.getMessage());
    }

    @Test
    void aReferenceToWhatOnlyTheOverrideDefinesIsFine() {
        Project p = load("services:\n  web:\n    image: nginx\n    networks: [extra]\n",
                "networks:\n  extra: {}\n");
        assertEquals(List.of("extra"), List.copyOf(p.services().get("web").networks().keySet()));
    }

    @Test
    void anUndefinedReferenceInTheOverrideNamesTheOverride() {
        ComposeException e = assertThrows(ComposeException.class, () -> load(BASE,
                "services:\n  web:\n    secrets: [missing]\n"));
        assertEquals("override.yml:3: services.web.secrets: service \"web\" refers to undefined secret missing", e.getMessage());
    }
}
