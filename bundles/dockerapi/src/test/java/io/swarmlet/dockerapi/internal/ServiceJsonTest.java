package io.swarmlet.dockerapi.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.HealthConfig;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.Placement;
import io.swarmlet.api.types.PlacementPreference;
import io.swarmlet.api.types.Platform;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.ResourceRequirements;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.SecretReference;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.UpdateConfig;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Docker's ServiceSpec JSON to Swarmlet's spec and back, row by row; refusals name the field. */
class ServiceJsonTest {

    static ServiceSpec parse(String json) {
        return ServiceJson.toSpec(Json.parse(json.getBytes(StandardCharsets.UTF_8)));
    }

    /** Rows: what the docker CLI sends -> the fields of the spec it becomes. */
    static Stream<Arguments> cliBodies() {
        return Stream.of(
                Arguments.of("service create web", CliBodies.CREATE_WEB, (Consumer<ServiceSpec>) s -> {
                    assertEquals("web", s.getAnnotations().getName());
                    ContainerSpec c = s.getTask().getContainer();
                    assertEquals("swarmlet/busybox:1", c.getImage());
                    assertEquals(List.of("httpd", "-f", "-p", "80"), c.getArgsList());
                    assertTrue(c.hasInit());
                    assertFalse(c.getInit());
                    assertEquals(3, s.getReplicated().getReplicas());
                    assertFalse(s.getTask().hasResources(), "empty Limits and Reservations are no resources");
                    assertFalse(s.getTask().hasPlacement());
                    assertFalse(s.getTask().hasRestart(), "the control API fills Docker's default restart policy");
                    assertFalse(s.hasUpdate());
                    assertEquals(EndpointSpec.ResolutionMode.VIP, s.getEndpoint().getMode());
                    assertEquals(PortConfig.newBuilder().setProtocol(PortConfig.Protocol.TCP).setTargetPort(80)
                            .setPublishedPort(18080).setPublishMode(PortConfig.PublishMode.INGRESS).build(), s.getEndpoint().getPorts(0));
                }),
                Arguments.of("service update --image", CliBodies.UPDATE_IMAGE, (Consumer<ServiceSpec>) s -> {
                    assertEquals("swarmlet/busybox:2", s.getTask().getContainer().getImage());
                    assertEquals(10_000, s.getTask().getContainer().getStopGracePeriodMs());
                    assertTrue(s.getTask().getContainer().getInit());
                    assertEquals(RestartPolicy.newBuilder().setCondition(RestartPolicy.Condition.ANY).setDelayMs(5_000).build(),
                            s.getTask().getRestart());
                    assertEquals(UpdateConfig.newBuilder().setParallelism(1).setDelayMs(3_000).setMonitorMs(5_000)
                            .setFailureAction(UpdateConfig.FailureAction.PAUSE).build(), s.getUpdate());
                    assertEquals(UpdateConfig.newBuilder().setParallelism(1).setMonitorMs(5_000).build(), s.getRollback());
                    assertFalse(s.getTask().hasPlacement(), "an empty Placement is none");
                    assertEquals("", s.getTask().getRuntime());
                }),
                Arguments.of("service scale", CliBodies.SCALE_5, (Consumer<ServiceSpec>) s ->
                        assertEquals(5, s.getReplicated().getReplicas())),
                Arguments.of("stack deploy (web)", CliBodies.STACK_WEB, (Consumer<ServiceSpec>) s -> {
                    assertEquals("app", s.getAnnotations().getLabelsOrThrow("com.docker.stack.namespace"));
                    assertEquals("swarmlet/busybox:1", s.getAnnotations().getLabelsOrThrow("com.docker.stack.image"));
                    assertEquals("app", s.getTask().getContainer().getLabelsOrThrow("com.docker.stack.namespace"));
                    assertEquals(NetworkAttachmentConfig.newBuilder().setTarget("app_default").addAliases("web").build(),
                            s.getTask().getNetworks(0));
                    assertEquals(2, s.getReplicated().getReplicas());
                    assertEquals(18081, s.getEndpoint().getPorts(0).getPublishedPort());
                    assertFalse(s.getTask().getContainer().hasInit());
                }),
                Arguments.of("stack deploy (db)", CliBodies.STACK_DB, (Consumer<ServiceSpec>) s -> {
                    assertEquals(1, s.getReplicated().getReplicas(), "Replicated without Replicas is 1, as Docker");
                    assertFalse(s.hasEndpoint());
                }),
                Arguments.of("stack deploy (every deploy key)", CliBodies.STACK_FULL_WEB, (Consumer<ServiceSpec>) s -> {
                    ContainerSpec c = s.getTask().getContainer();
                    assertEquals("lbl", s.getAnnotations().getLabelsOrThrow("dep"));
                    assertEquals(Mount.newBuilder().setType(Mount.Type.VOLUME).setSource("app_data").setTarget("/data").build(),
                            c.getMounts(0), "the stack's volume label is accepted, not kept");
                    assertEquals(HealthConfig.newBuilder().addTest("CMD").addTest("true").setIntervalMs(5_000).setTimeoutMs(3_000)
                            .setStartPeriodMs(1_000).setRetries(2).build(), c.getHealthcheck());
                    assertEquals("pw", c.getSecrets(0).getTarget());
                    assertEquals("app_cfg", c.getConfigs(0).getConfigName());
                    assertEquals(50, s.getTask().getResources().getPidsLimit());
                    assertEquals(1, s.getTask().getPlacement().getMaxReplicas());
                    assertEquals(0.1f, s.getUpdate().getMaxFailureRatio());
                    assertEquals(UpdateConfig.UpdateOrder.START_FIRST, s.getUpdate().getOrder());
                    assertEquals(UpdateConfig.newBuilder().setParallelism(1).build(), s.getRollback(), "Order \"\" is stop-first");
                    assertEquals(PortConfig.PublishMode.HOST, s.getEndpoint().getPorts(0).getPublishMode());
                    assertTrue(c.getInit());
                }),
                Arguments.of("stack deploy (global)", CliBodies.STACK_GLOBAL, (Consumer<ServiceSpec>) s -> {
                    assertTrue(s.hasGlobal());
                    assertEquals("worker", s.getTask().getNetworks(0).getAliases(0));
                }),
                Arguments.of("replicated job", CliBodies.CREATE_JOB, (Consumer<ServiceSpec>) s -> {
                    assertEquals(1, s.getReplicatedJob().getMaxConcurrent());
                    assertEquals(2, s.getReplicatedJob().getTotalCompletions());
                }),
                Arguments.of("every flag", CliBodies.CREATE_RICH, (Consumer<ServiceSpec>) s -> {
                    assertEquals("v", s.getAnnotations().getLabelsOrThrow("l"));
                    assertTrue(s.hasGlobal());
                    ContainerSpec c = s.getTask().getContainer();
                    assertEquals("d", c.getLabelsOrThrow("c"));
                    assertEquals("h", c.getHostname());
                    assertEquals(List.of("A=1"), c.getEnvList());
                    assertEquals("/w", c.getDir());
                    assertEquals("nobody", c.getUser());
                    assertEquals("SIGINT", c.getStopSignal());
                    assertTrue(c.getTty());
                    assertEquals(List.of(
                            Mount.newBuilder().setType(Mount.Type.BIND).setSource("/tmp").setTarget("/data").setReadOnly(true).build(),
                            Mount.newBuilder().setType(Mount.Type.VOLUME).setSource("vol").setTarget("/v").build(),
                            Mount.newBuilder().setType(Mount.Type.TMPFS).setTarget("/t").build()), c.getMountsList());
                    assertEquals(20_000, c.getStopGracePeriodMs());
                    assertEquals(HealthConfig.newBuilder().addTest("CMD-SHELL").addTest("true").setIntervalMs(5_000).setRetries(2).build(),
                            c.getHealthcheck());
                    assertEquals(List.of("1.2.3.4 foo"), c.getHostsList());
                    assertEquals(SecretReference.newBuilder().setSecretId("SECRET_ID").setSecretName("s1").setTarget("s1")
                            .setUid("0").setGid("0").setMode(0444).build(), c.getSecrets(0));
                    assertEquals(ConfigReference.newBuilder().setConfigId("CONFIG_ID").setConfigName("c1").setTarget("/etc/c")
                            .setUid("0").setGid("0").setMode(0400).build(), c.getConfigs(0));
                    assertEquals(ResourceRequirements.newBuilder()
                            .setLimits(Resources.newBuilder().setNanoCpus(500_000_000).setMemoryBytes(64L << 20))
                            .setReservations(Resources.newBuilder().setMemoryBytes(32L << 20)).setPidsLimit(100).build(),
                            s.getTask().getResources());
                    assertEquals(RestartPolicy.newBuilder().setCondition(RestartPolicy.Condition.ON_FAILURE).setDelayMs(2_000)
                            .setMaxAttempts(3).setWindowMs(10_000).build(), s.getTask().getRestart());
                    assertEquals(Placement.newBuilder().addConstraints("node.role==worker")
                            .addPreferences(PlacementPreference.newBuilder().setSpread("node.labels.zone")).build(), s.getTask().getPlacement());
                    assertEquals("NETWORK_ID", s.getTask().getNetworks(0).getTarget());
                    assertEquals(UpdateConfig.newBuilder().setParallelism(1).setFailureAction(UpdateConfig.FailureAction.ROLLBACK)
                            .setMonitorMs(5_000).setMaxFailureRatio(0.25f).setOrder(UpdateConfig.UpdateOrder.START_FIRST).build(), s.getUpdate());
                    assertEquals(2, s.getRollback().getParallelism());
                    assertEquals(EndpointSpec.newBuilder().setMode(EndpointSpec.ResolutionMode.DNSRR).addPorts(PortConfig.newBuilder()
                            .setProtocol(PortConfig.Protocol.UDP).setTargetPort(90).setPublishedPort(9090)
                            .setPublishMode(PortConfig.PublishMode.HOST)).build(), s.getEndpoint());
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cliBodies")
    void dockerCliBodiesBecomeTheseSpecs(String what, String json, Consumer<ServiceSpec> expect) {
        ServiceSpec s = parse(json);
        expect.accept(s);
        assertEquals(s, parse(Json.MAPPER.valueToTree(ServiceJson.spec(s)).toString()), "the JSON shown converts back to the same spec");
    }

    /** Rows: a body -> the 400 message (a part of it) it gets. */
    static Stream<Arguments> refused() {
        String ok = "{\"Name\":\"x\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"i\"%s}%s}%s}";
        return Stream.of(
                Arguments.of("{\"Name\":\"x\"}", "ContainerSpec: image reference must be provided"),
                Arguments.of("{\"Name\":\"x\",\"TaskTemplate\":{\"ContainerSpec\":{\"Args\":[\"a\"]}}}",
                        "ContainerSpec: image reference must be provided"),
                Arguments.of("[1]", "expected a JSON object"),
                Arguments.of(String.format(ok, "", "", ",\"Bogus\":1"), "unknown field \"Bogus\""),
                Arguments.of(String.format(ok, ",\"Imagee\":\"x\"", "", ""), "unknown field \"Imagee\" in TaskTemplate.ContainerSpec"),
                Arguments.of(String.format(ok, "", "", ",\"Mode\":{\"Replicated\":{\"Replicas\":\"3\"}}"),
                        "Mode.Replicated.Replicas: expected an integer"),
                Arguments.of(String.format(ok, "", "", ",\"Mode\":{\"Replicated\":{\"Replicas\":-1}}"),
                        "Mode.Replicated.Replicas: expected a non-negative integer"),
                Arguments.of(String.format(ok, "", "", ",\"Mode\":{\"Replicated\":{},\"Global\":{}}"), "must specify only one service mode"),
                Arguments.of(String.format(ok, ",\"Env\":\"A=1\"", "", ""), "TaskTemplate.ContainerSpec.Env: expected an array of strings"),
                Arguments.of(String.format(ok, ",\"Privileges\":{\"NoNewPrivileges\":true}", "", ""),
                        "TaskTemplate.ContainerSpec.Privileges is not supported by Swarmlet"),
                Arguments.of(String.format(ok, ",\"CapabilityAdd\":[\"NET_ADMIN\"]", "", ""),
                        "TaskTemplate.ContainerSpec.CapabilityAdd is not supported"),
                Arguments.of(String.format(ok, ",\"ReadOnly\":true", "", ""), "TaskTemplate.ContainerSpec.ReadOnly is not supported"),
                Arguments.of(String.format(ok, ",\"DNSConfig\":{\"Nameservers\":[\"8.8.8.8\"]}", "", ""),
                        "TaskTemplate.ContainerSpec.DNSConfig is not supported"),
                Arguments.of(String.format(ok, ",\"Isolation\":\"hyperv\"", "", ""), "TaskTemplate.ContainerSpec.Isolation \"hyperv\""),
                Arguments.of(String.format(ok, ",\"StopGracePeriod\":1500", "", ""), "StopGracePeriod: 1500ns is not a whole number of milliseconds"),
                Arguments.of(String.format(ok, ",\"Mounts\":[{\"Type\":\"npipe\",\"Target\":\"/x\"}]", "", ""),
                        "TaskTemplate.ContainerSpec.Mounts[0].Type \"npipe\""),
                Arguments.of(String.format(ok, ",\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/a\",\"Target\":\"/x\",\"BindOptions\":{\"Propagation\":\"shared\"}}]", "", ""),
                        "TaskTemplate.ContainerSpec.Mounts[0].BindOptions is not supported"),
                Arguments.of(String.format(ok, "", ",\"LogDriver\":{\"Name\":\"json-file\"}", ""), "TaskTemplate.LogDriver is not supported"),
                Arguments.of(String.format(ok, "", ",\"Runtime\":\"plugin\"", ""), "TaskTemplate.Runtime \"plugin\" is not supported"),
                Arguments.of(String.format(ok, "", ",\"RestartPolicy\":{\"Condition\":\"always\"}", ""), "invalid RestartCondition: \"always\""),
                Arguments.of(String.format(ok, "", ",\"Resources\":{\"Reservations\":{\"GenericResources\":[{\"DiscreteResourceSpec\":{\"Kind\":\"gpu\",\"Value\":1}}]}}", ""),
                        "TaskTemplate.Resources.Reservations.GenericResources is not supported"),
                Arguments.of(String.format(ok, "", ",\"Networks\":[{\"Target\":\"n\",\"DriverOpts\":{\"a\":\"b\"}}]", ""),
                        "TaskTemplate.Networks[0].DriverOpts is not supported"),
                Arguments.of(String.format(ok, "", "", ",\"UpdateConfig\":{\"FailureAction\":\"explode\"}"), "unrecognized update failure action explode"),
                Arguments.of(String.format(ok, "", "", ",\"UpdateConfig\":{\"Order\":\"random\"}"), "unrecognized update order random"),
                Arguments.of(String.format(ok, "", "", ",\"EndpointSpec\":{\"Mode\":\"lb\"}"), "invalid resolution mode: \"lb\""),
                Arguments.of(String.format(ok, "", "", ",\"EndpointSpec\":{\"Ports\":[{\"TargetPort\":70000}]}"),
                        "EndpointSpec.Ports[0].TargetPort: 70000 is not a port"),
                Arguments.of(String.format(ok, "", "", ",\"EndpointSpec\":{\"Ports\":[{\"TargetPort\":80,\"PublishMode\":\"edge\"}]}"),
                        "EndpointSpec.Ports[0].PublishMode \"edge\""));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("refused")
    void badBodiesAreRefusedNamingTheField(String json, String message) {
        DockerError e = assertThrows(DockerError.class, () -> parse(json));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    /** Rows: a spec -> what its JSON shows (proto to JSON), and it converts back to itself. */
    static Stream<Arguments> specs() {
        TaskSpec.Builder task = TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("i").setStopGracePeriodMs(10_000)
                .setInit(true).addSecrets(SecretReference.newBuilder().setSecretId("sid").setSecretName("s").setTarget("/run/secrets/s")
                        .setUid("0").setGid("0").setMode(0444).setVersion(3))
                .setHealthcheck(HealthConfig.newBuilder().addTest("NONE")))
                .setRestart(RestartPolicy.newBuilder().setCondition(RestartPolicy.Condition.NONE).setDelayMs(0))
                .setPlacement(Placement.newBuilder().setMaxReplicas(2).addPlatforms(Platform.newBuilder().setArchitecture("amd64").setOs("linux")))
                .setResources(ResourceRequirements.newBuilder().setPidsLimit(5))
                .setRuntime("process").setForceUpdate(7);
        return Stream.of(
                Arguments.of(ServiceSpec.newBuilder().setAnnotations(io.swarmlet.api.types.Annotations.newBuilder().setName("g")).setTask(task).setGlobal(io.swarmlet.api.types.GlobalService.getDefaultInstance()).build(),
                        "{\"Name\":\"g\",\"Labels\":{},\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"i\",\"Init\":true,"
                                + "\"StopGracePeriod\":10000000000,\"Healthcheck\":{\"Test\":[\"NONE\"]},\"Secrets\":[{\"File\":{\"Name\":\"s\","
                                + "\"UID\":\"0\",\"GID\":\"0\",\"Mode\":292},\"SecretID\":\"sid\",\"SecretName\":\"s\"}]},"
                                + "\"Resources\":{\"Limits\":{\"Pids\":5}},\"RestartPolicy\":{\"Condition\":\"none\",\"Delay\":0,\"MaxAttempts\":0},"
                                + "\"Placement\":{\"MaxReplicas\":2,\"Platforms\":[{\"Architecture\":\"amd64\",\"OS\":\"linux\"}]},"
                                + "\"ForceUpdate\":7,\"Runtime\":\"process\"},\"Mode\":{\"Global\":{}}}"),
                Arguments.of(ServiceSpec.newBuilder().setAnnotations(io.swarmlet.api.types.Annotations.newBuilder().setName("j").putLabels("k", "v")).setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("i")))
                                .setGlobalJob(io.swarmlet.api.types.GlobalJob.getDefaultInstance())
                                .setEndpoint(EndpointSpec.newBuilder().addPorts(PortConfig.newBuilder().setTargetPort(80)
                                        .setPublishMode(PortConfig.PublishMode.INTERNAL))).build(),
                        "{\"Name\":\"j\",\"Labels\":{\"k\":\"v\"},\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"i\"},\"ForceUpdate\":0,"
                                + "\"Runtime\":\"container\"},\"Mode\":{\"GlobalJob\":{}},\"EndpointSpec\":{\"Mode\":\"vip\",\"Ports\":[{"
                                + "\"Protocol\":\"tcp\",\"TargetPort\":80,\"PublishMode\":\"internal\"}]}}"));
    }

    @ParameterizedTest
    @MethodSource("specs")
    void specsShowAsDockerDoes(ServiceSpec spec, String json) throws Exception {
        JsonNode shown = ServiceJson.spec(spec);
        assertEquals(Json.MAPPER.readTree(json), Json.MAPPER.readTree(shown.toString()));
        ServiceSpec back = parse(shown.toString());
        // the secret's version is the one thing Docker's JSON has no word for: an update carries it over
        assertEquals(spec, ServiceJson.carryOver(back, spec));
    }

    @Test
    void updateCarriesOverWhatDockerCannotSay() {
        ServiceSpec cur = ServiceSpec.newBuilder().setTask(TaskSpec.newBuilder()
                        .setContainer(ContainerSpec.newBuilder().setImage("i")
                                .addSecrets(SecretReference.newBuilder().setSecretId("sid").setSecretName("s").setTarget("/run/secrets/s").setVersion(2).setPinned(true))
                                .addConfigs(ConfigReference.newBuilder().setConfigId("cid").setConfigName("c").setTarget("/c").setVersion(4)))
                        .setPlacement(Placement.newBuilder().setStrategy("binpack"))
                        .setResources(ResourceRequirements.getDefaultInstance()))
                .setEndpoint(EndpointSpec.newBuilder().setLbStrategy("least-connections")).build();
        ServiceSpec next = parse("{\"Name\":\"\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"i\",\"Secrets\":[{\"File\":{\"Name\":\"s\"},"
                + "\"SecretID\":\"sid\",\"SecretName\":\"s\"}],\"Configs\":[{\"File\":{\"Name\":\"/other\"},\"ConfigID\":\"cid\",\"ConfigName\":\"c\"}]}}}");
        ServiceSpec merged = ServiceJson.carryOver(next, cur);
        assertEquals(2, merged.getTask().getContainer().getSecrets(0).getVersion());
        assertTrue(merged.getTask().getContainer().getSecrets(0).getPinned());
        assertEquals(0, merged.getTask().getContainer().getConfigs(0).getVersion(), "a config moved elsewhere takes the latest version");
        assertEquals("binpack", merged.getTask().getPlacement().getStrategy());
        assertEquals("least-connections", merged.getEndpoint().getLbStrategy());
        assertTrue(merged.getTask().hasResources(), "empty resources stay as they were");
    }
}
