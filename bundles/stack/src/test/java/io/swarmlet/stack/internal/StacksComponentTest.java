package io.swarmlet.stack.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.control.Stacks;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.CreateNetworkRequest;
import io.swarmlet.api.types.CreateServiceRequest;
import io.swarmlet.api.types.DeployStackRequest;
import io.swarmlet.api.types.DeployStackResponse;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.ListStacksRequest;
import io.swarmlet.api.types.NetworkSpec;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.RemoveStackRequest;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.StackFile;
import io.swarmlet.api.types.StackSummary;
import io.swarmlet.api.types.TaskSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Deploy, redeploy, prune, ls and rm against {@link FakeControlApi}: what is written, in which order, with
 * Docker's messages; what is refused before anything is written.
 */
class StacksComponentTest {

    static final String COMPOSE = """
            services:
              web:
                image: swarmlet/busybox:1
                ports: ["5000:80"]
                env_file: web.env
                secrets: [db_pass]
                configs: [site]
                deploy: {replicas: 2}
              backend:
                image: swarmlet/busybox:1
                networks: [back]
                build: .
            networks:
              back:
              unused:
            secrets:
              db_pass: {file: ./db_pass.txt}
            configs:
              site: {file: site.conf}
            """;

    final FakeControlApi api = new FakeControlApi();
    final StacksComponent stacks = new StacksComponent(api, Duration.ofSeconds(5));

    static Map<String, ByteString> files(String secret, String config, String env) {
        return Map.of("./db_pass.txt", utf8(secret), "site.conf", utf8(config), "web.env", utf8(env));
    }

    static ByteString utf8(String s) {
        return ByteString.copyFrom(s.getBytes(StandardCharsets.UTF_8));
    }

    static DeployStackRequest.Builder request(String compose, Map<String, ByteString> files) {
        return DeployStackRequest.newBuilder().setName("app").addFiles(StackFile.newBuilder().setName("compose.yml").setContent(compose))
                .putAllLocalFiles(files);
    }

    DeployStackResponse deploy(String compose, Map<String, ByteString> files) {
        return stacks.deploy(request(compose, files).build());
    }

    @Test
    void firstDeployCreatesEverythingInDockersOrder() {
        DeployStackResponse r = deploy(COMPOSE, files("leak-canary-1", "server {}", "A=1\n"));
        assertEquals(List.of(), r.getMissingFilesList());
        assertEquals(List.of("Ignoring unsupported options: build"), r.getWarningsList());
        assertEquals(List.of("Creating network app_back", "Creating network app_default", "Creating secret app_db_pass",
                "Creating config app_site", "Creating service app_backend", "Creating service app_web"), r.getMessagesList());
        Service web = api.service("app_web");
        assertEquals(Stacks.NAMESPACE_LABEL, "com.docker.stack.namespace");
        assertEquals("app", web.getSpec().getAnnotations().getLabelsMap().get(Stacks.NAMESPACE_LABEL));
        assertEquals("app", web.getSpec().getTask().getContainer().getLabelsMap().get(Stacks.NAMESPACE_LABEL));
        assertEquals(List.of("A=1"), web.getSpec().getTask().getContainer().getEnvList());
        assertTrue(web.getSpec().getAnnotations().getLabelsMap().containsKey(StacksComponent.SPEC_HASH_LABEL));
        api.networks.values().forEach(n -> assertEquals("app", n.getSpec().getAnnotations().getLabelsMap().get(Stacks.NAMESPACE_LABEL)));
        api.secrets.values().forEach(s -> assertEquals("app", s.getSpec().getAnnotations().getLabelsMap().get(Stacks.NAMESPACE_LABEL)));
        String label = api.secrets.values().iterator().next().getSpec().getAnnotations().getLabelsMap().get(StacksComponent.DIGEST_LABEL);
        assertFalse(label.contains("leak-canary"), "the secret's fingerprint is not its value");
        assertEquals(List.of(StackSummary.newBuilder().setName("app").setServices(2).build()),
                stacks.list(ListStacksRequest.getDefaultInstance()).getStacksList());
    }

    @Test
    void missingLocalFilesAreAskedForAndNothingIsWritten() {
        DeployStackResponse r = deploy(COMPOSE, Map.of("site.conf", utf8("x")));
        assertEquals(List.of("./db_pass.txt", "web.env"), r.getMissingFilesList());
        assertEquals(List.of(), r.getMessagesList());
        assertEquals(List.of(), api.calls);
    }

    @Test
    void anUnchangedRedeployWritesNothing() {
        deploy(COMPOSE, files("leak-canary-1", "server {}", "A=1\n"));
        api.calls.clear();
        DeployStackResponse r = deploy(COMPOSE, files("leak-canary-1", "server {}", "A=1\n"));
        assertEquals(List.of(), r.getMessagesList());
        assertEquals(List.of(), api.calls);
    }

    @Test
    void aChangedServiceIsTheOnlyOneUpdated() {
        deploy(COMPOSE, files("leak-canary-1", "server {}", "A=1\n"));
        Service before = api.service("app_web");
        api.calls.clear();
        DeployStackResponse r = deploy(COMPOSE.replace("replicas: 2", "replicas: 3"), files("leak-canary-1", "server {}", "A=1\n"));
        assertEquals(List.of("Updating service app_web (id: " + before.getId() + ")"), r.getMessagesList());
        assertEquals(List.of("updateService app_web"), api.calls);
        assertEquals(3, api.service("app_web").getSpec().getReplicated().getReplicas());
        // an env file is part of the spec
        api.calls.clear();
        deploy(COMPOSE.replace("replicas: 2", "replicas: 3"), files("leak-canary-1", "server {}", "A=2\n"));
        assertEquals(List.of("updateService app_web"), api.calls);
        assertEquals(List.of("A=2"), api.service("app_web").getSpec().getTask().getContainer().getEnvList());
    }

    @Test
    void aRedeployUndoesAManualScale() {
        deploy(COMPOSE, files("leak-canary-1", "server {}", "A=1\n"));
        api.scale("app_web", 7);
        api.calls.clear();
        deploy(COMPOSE, files("leak-canary-1", "server {}", "A=1\n"));
        assertEquals(List.of("updateService app_web"), api.calls);
        assertEquals(2, api.service("app_web").getSpec().getReplicated().getReplicas());
    }

    @Test
    void aChangedSecretFileRotatesTheSecretOnce() {
        deploy(COMPOSE, files("leak-canary-1", "server {}", "A=1\n"));
        api.calls.clear();
        DeployStackResponse r = deploy(COMPOSE, files("leak-canary-2", "server {}", "A=1\n"));
        assertEquals("Updating secret app_db_pass", r.getMessages(0));
        assertEquals("rotateSecret app_db_pass", api.calls.get(0));
        String id = api.secrets.keySet().iterator().next();
        assertEquals("leak-canary-2", new String(api.secretValues.get(id).get(1), StandardCharsets.UTF_8));
        // the rotation moved app_web; the deploy only records the new fingerprint on it (no task change)
        Service web = api.service("app_web");
        assertEquals(2, web.getSpec().getTask().getContainer().getSecrets(0).getVersion());
        assertEquals(web.getPreviousSpec().getTask(), web.getSpec().getTask(), "the label update changes no task");
        api.calls.clear();
        assertEquals(List.of(), deploy(COMPOSE, files("leak-canary-2", "server {}", "A=1\n")).getMessagesList());
        assertEquals(List.of(), api.calls, "the same value again rotates nothing");
    }

    @Test
    void aChangedConfigFileRotatesTheConfig() {
        deploy(COMPOSE, files("leak-canary-1", "server {}", "A=1\n"));
        api.calls.clear();
        DeployStackResponse r = deploy(COMPOSE, files("leak-canary-1", "server { listen 80; }", "A=1\n"));
        assertEquals(List.of("Updating config app_site"), r.getMessagesList());
        assertEquals(List.of("rotateConfig app_site"), api.calls);
    }

    @Test
    void pruneRemovesTheServicesTheFilesNoLongerName() {
        deploy(COMPOSE, files("leak-canary-1", "server {}", "A=1\n"));
        String without = COMPOSE.replace("  backend:\n    image: swarmlet/busybox:1\n    networks: [back]\n    build: .\n", "");
        api.calls.clear();
        assertEquals(List.of(), deploy(without, files("leak-canary-1", "server {}", "A=1\n")).getMessagesList(),
                "without --prune, a dropped service stays");
        DeployStackResponse r = stacks.deploy(request(without, files("leak-canary-1", "server {}", "A=1\n")).setPrune(true).build());
        assertEquals(List.of("Removing service app_backend"), r.getMessagesList());
        assertEquals(List.of("removeService app_backend"), api.calls);
    }

    @Test
    void removeTakesServicesThenNetworksSecretsAndConfigsButNotExternalOnes() {
        api.externalSecret("shared");
        api.createNetwork(CreateNetworkRequest.newBuilder().setSpec(NetworkSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName("outside"))).build());
        String compose = COMPOSE.replace("secrets: [db_pass]", "secrets: [db_pass, shared]\n    networks: [default, outside]")
                .replace("  unused:\n", "  unused:\n  outside: {external: true}\n")
                .replace("secrets:\n  db_pass", "secrets:\n  shared: {external: true}\n  db_pass");
        deploy(compose, files("leak-canary-1", "server {}", "A=1\n"));
        api.networkBusy = 2; // tasks still going away: refused twice, then removed
        api.calls.clear();
        List<String> messages = stacks.remove(RemoveStackRequest.newBuilder().setName("app").build()).getMessagesList();
        assertEquals(List.of("Removing service app_backend", "Removing service app_web", "Removing network app_back",
                "Removing network app_default", "Removing secret app_db_pass", "Removing config app_site"), messages);
        assertEquals(List.of("removeService app_backend", "removeService app_web", "removeNetwork app_back",
                "removeNetwork app_default", "removeSecret app_db_pass", "removeConfig app_site"), api.calls);
        assertEquals(List.of("shared"), api.secrets.values().stream().map(s -> s.getSpec().getAnnotations().getName()).toList());
        assertEquals(List.of("outside"), api.networks.values().stream().map(n -> n.getSpec().getAnnotations().getName()).toList());
        ControlException e = assertThrows(ControlException.class, () -> stacks.remove(RemoveStackRequest.newBuilder().setName("app").build()));
        assertEquals(ControlException.Code.NOT_FOUND, e.code());
        assertEquals("Nothing found in stack: app", e.getMessage());
    }

    // ------------------------------------------------------------ refused before anything is written

    void refused(String compose, Map<String, ByteString> files, String message) {
        refused(request(compose, files), message);
    }

    void refused(DeployStackRequest.Builder request, String message) {
        List<String> before = List.copyOf(api.calls);
        ControlException e = assertThrows(ControlException.class, () -> stacks.deploy(request.build()));
        assertEquals(ControlException.Code.INVALID_ARGUMENT, e.code());
        assertEquals(message, e.getMessage());
        assertEquals(before, api.calls, "nothing written");
    }

    @Test
    void badNamesAndOptions() {
        refused(request(COMPOSE, files("leak-canary-1", "x", "")).setName(""), "invalid stack name: \"\"");
        refused(request(COMPOSE, files("leak-canary-1", "x", "")).setName(" '' "), "invalid stack name: \" '' \"");
        refused(request(COMPOSE, files("leak-canary-1", "x", "")).setName("a/b"),
                "invalid stack name: \"a/b\": use letters, digits, '_', '.' or '-', starting with a letter or digit");
        refused(request(COMPOSE, files("leak-canary-1", "x", "")).setResolveImage("sometimes"),
                "Invalid option sometimes for flag --resolve-image");
        for (String ok : List.of("", "always", "changed", "never")) {
            stacks.deploy(request(COMPOSE, files("leak-canary-1", "x", "")).setResolveImage(ok).build());
        }
    }

    @Test
    void loaderErrorsKeepTheirFileAndLine() {
        refused("services:\n  web:\n    image: nginx\n    deploy: {replicas: many}\n", Map.of(),
                "compose.yml:4: services.web.deploy.replicas must be an integer");
        refused("services:\n  web:\n    command: x\n", Map.of(), "compose.yml:2: services.web.image is required");
    }

    @Test
    void missingExternalObjectsAreAllReportedAtOnce() {
        refused("""
                services:
                  web:
                    image: nginx
                    networks: [outside]
                    secrets: [pw]
                    configs: [conf]
                networks:
                  outside: {external: true, name: corp_net}
                secrets:
                  pw: {external: true}
                configs:
                  conf: {external: true, name: shared_conf}
                """, Map.of(), String.join("\n",
                "network \"corp_net\" is declared as external, but could not be found. You need to create a swarm-scoped network"
                        + " before the stack is deployed",
                "secret not found: pw",
                "config not found: shared_conf"));
    }

    @Test
    void aPortHeldByAServiceOutsideTheStackIsRefused() {
        Service other = api.createService(CreateServiceRequest.newBuilder().setSpec(ServiceSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName("other_web"))
                .setTask(TaskSpec.newBuilder().setContainer(io.swarmlet.api.types.ContainerSpec.newBuilder().setImage("nginx")))
                .setEndpoint(EndpointSpec.newBuilder().addPorts(PortConfig.newBuilder().setTargetPort(80).setPublishedPort(5000)))).build())
                .getService();
        api.calls.clear();
        refused(COMPOSE, files("leak-canary-1", "x", ""), "port '5000' is already in use by service 'other_web' (" + other.getId()
                + ") as an ingress port: publish another port for app_web in the compose file, or free it"
                + " (swarmlet service update --publish-rm 5000 other_web)");
        refused("services:\n  a:\n    image: nginx\n    ports: [\"6000:80\"]\n  b:\n    image: nginx\n    ports: [\"6000:81\"]\n",
                Map.of(), "port '6000' is published by both services app_a and app_b: publish another port for one of them");
    }

    @Test
    void mappingProblemsAndBadLocalFiles() {
        refused(COMPOSE.replace("env_file: web.env", "env_file: web.env\n    volumes: [\"./data:/data\"]"),
                files("", "x", "A B=1\n"), String.join("\n",
                        "services.web.env_file: web.env:1: variable 'A B' contains whitespaces",
                        "services.web.volumes: bind mount source \"./data\" must be an absolute path: the managers deploy the stack"
                                + " and cannot resolve a path relative to the compose file",
                        "secret app_db_pass: the file ./db_pass.txt has 0 bytes: a secret holds 1 to 512000 bytes"));
    }

    @Test
    void anUnsupportedNetworkDriverIsRefused() {
        refused("services:\n  web:\n    image: nginx\n    networks: [lan]\nnetworks:\n  lan: {driver: macvlan}\n", Map.of(),
                "networks.lan: network driver \"macvlan\" is not supported: a stack's network is a bridge network on each node,"
                        + " joined by the routing mesh; use driver: overlay (the default)");
    }

    @Test
    void aWriteRefusedAfterValidationReportsWhatWasDone() {
        String compose = "services:\n  web:\n    image: nginx\n    secrets: [pw]\nsecrets:\n  pw: {file: pw.txt}\n";
        // the secret is created by someone else between validation and the write: the fake refuses the create
        FakeControlApi racing = new FakeControlApi() {
            @Override
            public io.swarmlet.api.types.CreateSecretResponse createSecret(io.swarmlet.api.types.CreateSecretRequest request) {
                throw new ControlException(ControlException.Code.ALREADY_EXISTS, "secret app_pw already exists");
            }
        };
        ControlException e = assertThrows(ControlException.class, () -> new StacksComponent(racing, Duration.ofSeconds(1))
                .deploy(request(compose, Map.of("pw.txt", utf8("leak-canary-pw"))).build()));
        assertEquals(ControlException.Code.ALREADY_EXISTS, e.code());
        assertEquals("Creating network app_default\nCreating secret app_pw\nfailed to create secret app_pw: secret app_pw already exists",
                e.getMessage());
    }

    @Test
    void aNetworkOfTheSameNameOutsideTheStackIsRefused() {
        api.createNetwork(CreateNetworkRequest.newBuilder().setSpec(NetworkSpec.newBuilder()
                .setAnnotations(Annotations.newBuilder().setName("app_default"))).build());
        api.calls.clear();
        refused(COMPOSE, files("leak-canary-1", "x", ""), "network app_default already exists and is not part of stack app:"
                + " declare it external in the compose file to use it, or remove it first");
    }

    @Test
    void theSpecHashIsStableAndIgnoresNothingElse() {
        ServiceSpec a = ServiceSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("x").putLabels("a", "1").putLabels("b", "2")).build();
        ServiceSpec b = ServiceSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName("x").putLabels("b", "2").putLabels("a", "1")).build();
        assertEquals(Fingerprints.specHash(a), Fingerprints.specHash(b));
        assertNotEquals(Fingerprints.specHash(a), Fingerprints.specHash(a.toBuilder().setAnnotations(a.getAnnotations().toBuilder().setName("y")).build()));
        String f = Fingerprints.secret("leak-canary-pw".getBytes(StandardCharsets.UTF_8));
        assertTrue(Fingerprints.matches(f, "leak-canary-pw".getBytes(StandardCharsets.UTF_8)));
        assertFalse(Fingerprints.matches(f, "leak-canary-pX".getBytes(StandardCharsets.UTF_8)));
        assertNotEquals(f, Fingerprints.secret("leak-canary-pw".getBytes(StandardCharsets.UTF_8)), "salted");
    }
}
