package io.swarmlet.stack.internal.compose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kind of bad input, with the exact message the user gets (file and line included). */
class ComposeLoaderErrorsTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                bad("replicas not an integer", """
                        services:
                          web:
                            image: nginx
                            deploy:
                              replicas: two
                        """, "compose.yml:5: services.web.deploy.replicas must be an integer"),
                bad("quoted replicas are a string", """
                        services:
                          web:
                            image: nginx
                            deploy:
                              replicas: "2"
                        """, "compose.yml:5: services.web.deploy.replicas must be an integer"),
                bad("unknown deploy key", """
                        services:
                          web:
                            image: nginx
                            deploy:
                              replicase: 4
                        """, "compose.yml:5: services.web.deploy Additional property replicase is not allowed"),
                bad("unknown service key", """
                        services:
                          web:
                            image: nginx
                            imagee: nginx
                        """, "compose.yml:4: services.web Additional property imagee is not allowed"),
                bad("unknown top-level key", """
                        service:
                          web:
                            image: nginx
                        """, "compose.yml:1: (root) Additional property service is not allowed"),
                bad("enum", """
                        services:
                          web:
                            image: nginx
                            deploy:
                              mode: everywhere
                        """, "compose.yml:5: services.web.deploy.mode must be one of the following: \"replicated\", \"global\", \"replicated-job\", \"global-job\""),
                bad("ports long syntax without target", """
                        services:
                          web:
                            image: nginx
                            ports:
                              - published: 80
                        """, "compose.yml:5: services.web.ports.0 target is required"),
                bad("environment of the wrong type", """
                        services:
                          web:
                            image: nginx
                            environment: FOO=bar
                        """, "compose.yml:4: services.web.environment must be a mapping or list"),
                bad("command of the wrong type", """
                        services:
                          web:
                            image: nginx
                            command: {a: b}
                        """, "compose.yml:4: services.web.command must be a null, string or list"),
                bad("negative replicas", """
                        services:
                          web:
                            image: nginx
                            deploy: {replicas: -1}
                        """, "compose.yml:4: services.web.deploy.replicas must be greater than or equal to 0"),
                bad("invalid YAML", """
                        services:
                          web:
                            image: nginx
                           ports: []
                        """, "compose.yml:4: invalid YAML: while parsing a block mapping: expected <block end>, but found '<block mapping start>'"),
                bad("duplicate key", """
                        services:
                          web:
                            image: nginx
                            image: redis
                        """, "compose.yml:4: invalid YAML: mapping key \"image\" already defined at line 3"),
                bad("top level not a mapping", "- a\n- b\n", "compose.yml:1: Top-level object must be a mapping"),
                bad("required variable", """
                        services:
                          web:
                            image: "nginx:${TAG:?set TAG to the release}"
                        """, "compose.yml:3: services.web.image: required variable TAG is missing a value: set TAG to the release"),
                bad("required variable, not empty", """
                        services:
                          web:
                            image: nginx
                            environment:
                              EMPTY: ${EMPTY:?}
                        """, "compose.yml:5: services.web.environment.EMPTY: required variable EMPTY is missing a value"),
                bad("required variable without colon: only unset fails", """
                        services:
                          web:
                            image: nginx${EMPTY?}${NOPE?tell me NOPE}
                        """, "compose.yml:3: services.web.image: required variable NOPE is missing a value: tell me NOPE"),
                bad("huge replicas", """
                        services:
                          web:
                            image: nginx
                            deploy: {replicas: 99999999999}
                        """, "compose.yml:4: services.web.deploy.replicas must be less than or equal to 2147483647"),
                bad("published port not a number", """
                        services:
                          web:
                            image: nginx
                            ports:
                              - target: 80
                                published: http
                        """, "compose.yml:6: services.web.ports.0.published must be a port number, not \"http\""),
                bad("port out of range", """
                        services:
                          web:
                            image: nginx
                            ports: ["70000:80"]
                        """, "compose.yml:4: services.web.ports.0 invalid port \"70000:80\": port numbers go from 1 to 65535"),
                bad("bad volume mode", """
                        services:
                          web:
                            image: nginx
                            volumes: ["/a:/b:rx"]
                        """, "compose.yml:4: services.web.volumes.0 invalid volume specification \"/a:/b:rx\": unknown mode rx"),
                bad("long volume without target", """
                        services:
                          web:
                            image: nginx
                            volumes:
                              - type: bind
                                source: /a
                        """, "compose.yml:5: services.web.volumes.0 target is required"),
                bad("invalid interpolation", """
                        services:
                          web:
                            image: nginx:${TAG
                        """, "compose.yml:3: invalid interpolation format for services.web.image: \"nginx:${TAG\". You may need to escape any $ with another $."),
                bad("bad short port", """
                        services:
                          web:
                            image: nginx
                            ports: ["80:http"]
                        """, "compose.yml:4: services.web.ports.0 invalid port \"80:http\": expected [HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]"),
                bad("bad protocol", """
                        services:
                          web:
                            image: nginx
                            ports:
                              - "53/icmp"
                        """, "compose.yml:5: services.web.ports.0 invalid port \"53/icmp\": unknown protocol icmp"),
                bad("bad expose protocol", """
                        services:
                          web:
                            image: nginx
                            expose: ["53/icmp"]
                        """, "compose.yml:4: services.web.expose.0 invalid port \"53/icmp\": unknown protocol icmp"),
                bad("bad expose port", """
                        services:
                          web:
                            image: nginx
                            expose: [80, "http"]
                        """, "compose.yml:4: services.web.expose.1 invalid port \"http\": expected PORT[-PORT][/PROTOCOL], port numbers from 1 to 65535"),
                bad("expose not a list", """
                        services:
                          web:
                            image: nginx
                            expose: 80
                        """, "compose.yml:4: services.web.expose must be a list"),
                bad("bad duration", """
                        services:
                          web:
                            image: nginx
                            stop_grace_period: 10 seconds
                        """, "compose.yml:4: services.web.stop_grace_period must be a duration, like 10s or 1m30s, not \"10 seconds\""),
                bad("unterminated quote in a command", """
                        services:
                          web:
                            image: nginx
                            command: sh -c 'echo hi
                        """, "compose.yml:4: command: unterminated quote in \"sh -c 'echo hi\""),
                bad("bad memory", """
                        services:
                          web:
                            image: nginx
                            deploy:
                              resources:
                                limits:
                                  memory: lots
                        """, "compose.yml:7: services.web.deploy.resources.limits.memory must be a size, like 300M or 1.5G, not \"lots\""),
                bad("bad cpus", """
                        services:
                          web:
                            image: nginx
                            deploy:
                              resources:
                                limits:
                                  cpus: half
                        """, "compose.yml:7: services.web.deploy.resources.limits.cpus must be a number of CPUs, like '0.5', not \"half\""),
                bad("missing image", """
                        services:
                          web:
                            command: echo
                        """, "compose.yml:2: services.web.image is required"),
                bad("undefined network", """
                        services:
                          web:
                            image: nginx
                            networks: [front]
                        """, "compose.yml:4: services.web.networks: service \"web\" refers to undefined network front"),
                bad("undefined secret", """
                        services:
                          web:
                            image: nginx
                            secrets:
                              - db_password
                        """, "compose.yml:5: services.web.secrets: service \"web\" refers to undefined secret db_password"),
                bad("undefined volume", """
                        services:
                          web:
                            image: nginx
                            volumes:
                              - data:/data
                        """, "compose.yml:5: services.web.volumes: service \"web\" refers to undefined volume data"),
                bad("secret with neither file nor external", """
                        services:
                          web: {image: nginx}
                        secrets:
                          pw:
                            labels: [a=b]
                        """, "compose.yml:4: secrets.pw must set file or external"),
                bad("secret both file and external", """
                        services:
                          web: {image: nginx}
                        secrets:
                          pw:
                            external: true
                            file: ./pw.txt
                        """, "compose.yml:6: secret \"pw\": conflicting parameters \"external\" and \"file\" specified"),
                bad("config must be a mapping", """
                        services:
                          web: {image: nginx}
                        configs:
                          c: ./c.txt
                        """, "compose.yml:4: configs.c must be a mapping"),
                bad("version 2", """
                        version: "2.4"
                        services:
                          web: {image: nginx}
                        """, "compose.yml:1: unsupported Compose file version: 2.4 (stacks read the Compose Specification: versionless files and version 3.x)"),
                bad("merge key of a scalar", """
                        services:
                          web:
                            <<: nginx
                            image: nginx
                        """, "compose.yml:3: invalid YAML: map merge requires map or sequence of maps as the value"),
                bad("undefined alias", """
                        services:
                          web:
                            <<: *base
                        """, "compose.yml:3: invalid YAML: found undefined alias base"),
                bad("several problems at once, in line order", """
                        services:
                          web:
                            image: nginx
                            deploy:
                              replicas: x
                              bogus: 1
                        """, "compose.yml:5: services.web.deploy.replicas must be an integer\n"
                                + "compose.yml:6: services.web.deploy Additional property bogus is not allowed"));
    }

    private static Arguments bad(String name, String yaml, String message) {
        return Arguments.of(name, yaml, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reportsTheFileTheLineAndWhat(String name, String yaml, String message) {
        ComposeException e = assertThrows(ComposeException.class,
                () -> ComposeLoader.load(List.of(new ComposeFile("compose.yml", yaml)), Map.of("EMPTY", "")));
        assertEquals(message, e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyProblemHasALine(String name, String yaml, String message) {
        ComposeException e = assertThrows(ComposeException.class,
                () -> ComposeLoader.load(List.of(new ComposeFile("compose.yml", yaml)), Map.of("EMPTY", "")));
        e.problems().forEach(p -> assertEquals("compose.yml", p.file()));
        e.problems().forEach(p -> org.junit.jupiter.api.Assertions.assertTrue(p.line() > 0, p.toString()));
    }
}
