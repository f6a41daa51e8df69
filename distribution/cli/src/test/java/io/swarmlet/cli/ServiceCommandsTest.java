package io.swarmlet.cli;

import static io.swarmlet.cli.FakeControlApi.LEADER;
import static io.swarmlet.cli.FakeControlApi.MANAGER2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.EndpointSpec;
import io.swarmlet.api.types.HealthConfig;
import io.swarmlet.api.types.Meta;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.Placement;
import io.swarmlet.api.types.PlacementPreference;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.PortStatus;
import io.swarmlet.api.types.ResourceRequirements;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.RestartPolicy;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskSpec;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import io.swarmlet.api.types.UpdateConfig;
import io.swarmlet.api.types.UpdateServiceRequest;
import io.swarmlet.api.types.UpdateStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The service commands in-process against {@link FakeControlApi}, with a clock that moves only when the CLI would sleep. */
class ServiceCommandsTest {

    static final long NOW = 1_700_000_000_000L;

    final TestClock clock = new TestClock(NOW);
    final FakeControlApi fake = new FakeControlApi();

    ServiceCommandsTest() {
        fake.clock = clock;
    }

    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    Result run(String... args) {
        return run(false, args);
    }

    Result run(boolean tty, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Main root = new Main(() -> fake);
        root.clock = clock;
        root.sleeper = clock::advance;
        root.tty = tty;
        root.convergeTimeoutMillis = 60_000;
        root.environment = k -> k.equals("HOME") ? "/home/me" : null;
        int code = Main.run(root, new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    private static void assertOk(Result r) {
        assertEquals("", r.err(), "stderr");
        assertEquals(0, r.code(), "exit code");
    }

    private void assertUsageError(Result r, String message) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("Error: " + message), r.err());
        assertTrue(r.err().contains("--help'."), r.err());
        assertTrue(fake.calls.isEmpty(), "nothing may be sent: " + fake.calls);
    }

    /** A service as the server would hold it. */
    private Service service(String id, String name, ServiceSpec.Builder spec) {
        spec.getAnnotationsBuilder().setName(name);
        return fake.putService(Service.newBuilder().setId(id)
                .setMeta(Meta.newBuilder().setVersion(7).setCreatedAt(NOW - 3_600_000))
                .setSpec(spec).setSpecVersion(2)
                .setEndpoint(Endpoint.newBuilder().setSpec(spec.getEndpoint()).addAllPorts(spec.getEndpoint().getPortsList()))
                .build());
    }

    private static ServiceSpec.Builder replicated(String image, long replicas) {
        ServiceSpec.Builder b = ServiceSpec.newBuilder();
        b.getTaskBuilder().getContainerBuilder().setImage(image);
        b.getReplicatedBuilder().setReplicas(replicas);
        return b;
    }

    private Task task(String id, Service s, long slot, String node, TaskState desired, TaskState state, long agoMillis) {
        return fake.putTask(Task.newBuilder().setId(id).setServiceId(s.getId()).setSlot(slot).setNodeId(node)
                .setMeta(Meta.newBuilder().setCreatedAt(NOW - agoMillis - 1_000))
                .setSpec(s.getSpec().getTask()).setSpecVersion(s.getSpecVersion())
                .setServiceAnnotations(s.getSpec().getAnnotations())
                .setDesiredState(desired)
                .setStatus(TaskStatus.newBuilder().setState(state).setTimestamp(NOW - agoMillis))
                .build());
    }

    // ------------------------------------------------------------ create: spec from flags

    @Test
    void createBuildsTheSpecFromDockerFlags() {
        Result r = run("service", "create", "--detach", "--name", "web", "--replicas", "3",
                "-e", "A=1", "--env", "B=2", "-e", "HOME", "-l", "tier=front", "--label", "flag",
                "--container-label", "c=1", "--constraint", "node.role==manager", "--placement-pref", "spread=node.labels.zone",
                "--replicas-max-per-node", "2", "-p", "8080:80", "--publish", "mode=host,target=443,published=8443",
                "--mount", "type=bind,source=/srv,target=/data,readonly", "--mount", "type=tmpfs,target=/tmp",
                "--limit-cpu", "0.5", "--limit-memory", "64M", "--limit-pids", "100", "--reserve-cpu", "0.25", "--reserve-memory", "32m",
                "--restart-condition", "on-failure", "--restart-delay", "10s", "--restart-max-attempts", "3", "--restart-window", "1m30s",
                "--update-parallelism", "2", "--update-delay", "10s", "--update-failure-action", "rollback", "--update-monitor", "30s",
                "--update-max-failure-ratio", "0.2", "--update-order", "start-first", "--rollback-parallelism", "0",
                "--health-cmd", "curl -f http://localhost/", "--health-interval", "30s", "--health-retries", "3",
                "--health-start-period", "1m", "--health-timeout", "5s", "--no-init", "-w", "/app", "-u", "nobody",
                "--hostname", "web-host", "--stop-grace-period", "30s", "--entrypoint", "/docker-entrypoint.sh --verbose", "-t",
                "nginx:1.25", "nginx", "-g", "daemon off;");
        assertOk(r);
        String id = fake.services.keySet().iterator().next();
        assertEquals(id + "\n", r.out(), "prints the new service's ID");

        ServiceSpec.Builder want = ServiceSpec.newBuilder();
        want.getAnnotationsBuilder().setName("web").putLabels("tier", "front").putLabels("flag", "");
        want.getReplicatedBuilder().setReplicas(3);
        TaskSpec.Builder task = want.getTaskBuilder();
        task.setContainer(ContainerSpec.newBuilder()
                .setImage("nginx:1.25").addAllArgs(List.of("nginx", "-g", "daemon off;"))
                .addAllCommand(List.of("/docker-entrypoint.sh", "--verbose"))
                .addAllEnv(List.of("A=1", "B=2", "HOME=/home/me"))
                .putLabels("c", "1")
                .addMounts(Mount.newBuilder().setType(Mount.Type.BIND).setSource("/srv").setTarget("/data").setReadOnly(true))
                .addMounts(Mount.newBuilder().setType(Mount.Type.TMPFS).setTarget("/tmp"))
                .setDir("/app").setUser("nobody").setHostname("web-host").setTty(true).setInit(false)
                .setStopGracePeriodMs(30_000)
                .setHealthcheck(HealthConfig.newBuilder().addTest("CMD-SHELL").addTest("curl -f http://localhost/")
                        .setIntervalMs(30_000).setRetries(3).setStartPeriodMs(60_000).setTimeoutMs(5_000)));
        task.setResources(ResourceRequirements.newBuilder()
                .setLimits(Resources.newBuilder().setNanoCpus(500_000_000L).setMemoryBytes(64L << 20))
                .setReservations(Resources.newBuilder().setNanoCpus(250_000_000L).setMemoryBytes(32L << 20))
                .setPidsLimit(100));
        task.setRestart(RestartPolicy.newBuilder().setCondition(RestartPolicy.Condition.ON_FAILURE).setDelayMs(10_000)
                .setMaxAttempts(3).setWindowMs(90_000));
        task.setPlacement(Placement.newBuilder().addConstraints("node.role==manager")
                .addPreferences(PlacementPreference.newBuilder().setSpread("node.labels.zone")).setMaxReplicas(2));
        want.setUpdate(UpdateConfig.newBuilder().setParallelism(2).setDelayMs(10_000)
                .setFailureAction(UpdateConfig.FailureAction.ROLLBACK).setMonitorMs(30_000).setMaxFailureRatio(0.2f)
                .setOrder(UpdateConfig.UpdateOrder.START_FIRST));
        want.setRollback(UpdateConfig.newBuilder().setParallelism(0).setFailureAction(UpdateConfig.FailureAction.PAUSE)
                .setMonitorMs(5_000).setOrder(UpdateConfig.UpdateOrder.STOP_FIRST));
        want.setEndpoint(EndpointSpec.newBuilder()
                .addPorts(PortConfig.newBuilder().setPublishedPort(8080).setTargetPort(80))
                .addPorts(PortConfig.newBuilder().setPublishedPort(8443).setTargetPort(443).setPublishMode(PortConfig.PublishMode.HOST)));
        assertEquals(want.build(), fake.serviceCreates.get(0).getSpec());
        assertFalse(fake.calls.contains("listTasks"), "--detach does not wait");
    }

    @Test
    void createWithoutFlagsLeavesDefaultsToTheServer() {
        assertOk(run("service", "create", "-d", "nginx"));
        ServiceSpec want = replicated("nginx", 1).build();
        assertEquals(want, fake.serviceCreates.get(0).getSpec(), "image and docker's 1 replica, nothing else");
        assertFalse(fake.serviceCreates.get(0).getSpec().getTask().getContainer().hasInit(), "init left to the server (on)");
    }

    @Test
    void createAcceptsSwarmctlsImageFlag() {
        assertOk(run("service", "create", "--name", "nginx", "--image", "nginx:1.11.1-alpine", "-d"));
        ServiceSpec spec = fake.serviceCreates.get(0).getSpec();
        assertEquals("nginx:1.11.1-alpine", spec.getTask().getContainer().getImage());
        assertEquals("nginx", spec.getAnnotations().getName());
        assertEquals(0, spec.getTask().getContainer().getArgsCount());

        assertOk(run("service", "create", "-d", "--name", "sh", "--image", "busybox", "sleep", "60"));
        assertEquals(List.of("sleep", "60"), fake.serviceCreates.get(1).getSpec().getTask().getContainer().getArgsList(),
                "with --image every argument is the command");
    }

    @Test
    void optionsAfterTheImageBelongToTheCommand() {
        assertOk(run("service", "create", "-d", "--name", "ls", "busybox", "ls", "-l", "--all", "-d"));
        ServiceSpec spec = fake.serviceCreates.get(0).getSpec();
        assertEquals("busybox", spec.getTask().getContainer().getImage());
        assertEquals(List.of("ls", "-l", "--all", "-d"), spec.getTask().getContainer().getArgsList());
    }

    @Test
    void createModes() {
        assertOk(run("service", "create", "-d", "--mode", "global", "--name", "agent", "agent:1"));
        assertEquals(ServiceSpec.ModeCase.GLOBAL, fake.serviceCreates.get(0).getSpec().getModeCase());
        assertOk(run("service", "create", "-d", "--mode", "replicated-job", "--replicas", "5", "--max-concurrent", "2",
                "--name", "batch", "job:1"));
        ServiceSpec job = fake.serviceCreates.get(1).getSpec();
        assertEquals(5, job.getReplicatedJob().getTotalCompletions());
        assertEquals(2, job.getReplicatedJob().getMaxConcurrent());
        assertOk(run("service", "create", "-d", "--mode", "replicated-job", "--replicas", "4", "--name", "batch2", "job:1"));
        assertEquals(4, fake.serviceCreates.get(2).getSpec().getReplicatedJob().getMaxConcurrent(), "docker: concurrency defaults to --replicas");
        assertOk(run("service", "create", "-d", "--mode", "global-job", "--name", "once", "job:1"));
        assertEquals(ServiceSpec.ModeCase.GLOBAL_JOB, fake.serviceCreates.get(3).getSpec().getModeCase());
    }

    @Test
    void badValuesAreUsageErrorsBeforeAnythingIsSent() {
        String[][] cases = {
            {"Invalid value for option '--replicas': '-1' is not a whole number of 0 or more", "--replicas", "-1"},
            {"Invalid value for option '--restart-delay': invalid duration \"5\": missing unit", "--restart-delay", "5"},
            {"Invalid value for option '--update-delay': duration -1s must not be negative", "--update-delay", "-1s"},
            {"Invalid value for option '--limit-memory': invalid size \"lots\"", "--limit-memory", "lots"},
            {"Invalid value for option '--limit-cpu': CPUs -0.5 must not be negative", "--limit-cpu", "-0.5"},
            {"Invalid value for option '--publish': invalid port \"10.0.0.1:80:80\": a host IP is not supported", "-p", "10.0.0.1:80:80"},
            {"Invalid value for option '--mount'", "--mount", "type=bind,target=/x"},
            {"Invalid value for option '--restart-condition': 'sometimes' (use none, on-failure or any)", "--restart-condition", "sometimes"},
            {"Invalid value for option '--update-order': 'random'", "--update-order", "random"},
            {"Invalid value for option '--rollback-failure-action': 'rollback' (use pause or continue)", "--rollback-failure-action", "rollback"},
            {"Invalid value for option '--mode': 'daemon'", "--mode", "daemon"},
            {"Invalid value for option '--update-max-failure-ratio': '2' is not a ratio between 0 and 1", "--update-max-failure-ratio", "2"},
            {"replicas can only be used with replicated or replicated-job mode", "--mode=global", "--replicas=2"},
            {"max-concurrent can only be used with replicated-job mode", "--max-concurrent=2"},
            {"update and rollback configuration is not supported for jobs", "--mode=global-job", "--update-delay=1s"},
            {"--no-healthcheck conflicts with --health-* options", "--no-healthcheck", "--health-cmd=true"},
            {"invalid label '=x'", "-l", "=x"},
            {"invalid environment variable '=1'", "-e", "=1"},
            {"unsupported placement preference pack", "--placement-pref", "pack=x"},
            {"duplicate mount target /x", "--mount", "type=volume,target=/x", "--mount", "type=tmpfs,target=/x"},
            {"Invalid value for option '--entrypoint': unterminated quote", "--entrypoint", "sh '-c"},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("service", "create"));
            args.addAll(List.of(c).subList(1, c.length));
            args.add("nginx");
            assertUsageError(run(args.toArray(String[]::new)), c[0]);
        }
        assertUsageError(run("service", "create", "--name", "web"), "Missing required parameter: 'IMAGE' (or --image)");
        assertUsageError(run("service", "update", "--limit-cpu", "x", "web"), "Invalid value for option '--limit-cpu'");
        assertUsageError(run("service", "update", "--publish-add", "80:http", "web"), "Invalid value for option '--publish-add'");
        assertUsageError(run("service", "update", "--rollback", "--image", "x", "web"),
                "other flags may not be combined with --rollback (--image)");
        assertUsageError(run("service", "scale", "web"), "invalid scale specifier 'web'");
        assertUsageError(run("service", "scale", "web=-2"), "invalid replicas value for web: '-2' is not a whole number");
        assertUsageError(run("service", "ls", "-f", "colour=red"), "invalid filter 'colour'");
        assertUsageError(run("service", "ps", "-f", "desired-state=sleeping", "web"), "invalid filter 'desired-state=sleeping'");
        assertUsageError(run("service", "logs", "--tail", "some", "web"), "Invalid value for option '--tail'");
        assertUsageError(run("service", "inspect", "--pretty", "--format", "{{.ID}}", "web"), "--format is incompatible with human friendly format");
    }

    // ------------------------------------------------------------ update: spec edits

    private Service web() {
        ServiceSpec.Builder spec = replicated("nginx:1", 2);
        spec.getAnnotationsBuilder().putLabels("tier", "front").putLabels("old", "1");
        spec.getTaskBuilder().getContainerBuilder().addAllEnv(List.of("A=1", "B=2", "C=3"))
                .addMounts(Mount.newBuilder().setType(Mount.Type.VOLUME).setSource("data").setTarget("/data"));
        spec.getTaskBuilder().getPlacementBuilder().addConstraints("zone==a").addConstraints("node.role==worker");
        spec.getEndpointBuilder().addPorts(PortConfig.newBuilder().setPublishedPort(8080).setTargetPort(80));
        spec.setUpdate(ServiceFlags.defaultUpdateConfig());
        return service("svc0000000000000000000web", "web", spec);
    }

    @Test
    void updateEditsTheSpecReadAtItsVersion() {
        Service before = web();
        Result r = run("service", "update", "-d", "--env-add", "B=20", "--env-add", "D=4", "--env-rm", "A",
                "--constraint-add", "zone==b", "--constraint-rm", "zone==a", "--label-add", "new=yes", "--label-rm", "old",
                "--image", "nginx:2", "--force", "--publish-rm", "80", "--publish-add", "9090:90/udp",
                "--mount-add", "type=tmpfs,target=/cache", "--mount-rm", "/data", "--replicas", "4", "--limit-memory", "128M",
                "--update-delay", "5s", "--args", "nginx -g 'daemon off;'", "svc0000000000000000000w");
        assertOk(r);
        assertEquals("svc0000000000000000000w\n", r.out(), "docker prints the service as it was named");
        UpdateServiceRequest u = fake.serviceUpdates.get(0);
        assertEquals(before.getId(), u.getId(), "the full ID");
        assertEquals(7, u.getVersion(), "the version read");
        assertFalse(u.getRollback());
        ServiceSpec s = u.getSpec();
        ContainerSpec c = s.getTask().getContainer();
        assertEquals("nginx:2", c.getImage());
        assertEquals(List.of("B=20", "C=3", "D=4"), c.getEnvList(), "replaced in place, added at the end, removed by name");
        assertEquals(List.of("nginx", "-g", "daemon off;"), c.getArgsList());
        assertEquals(List.of(Mount.newBuilder().setType(Mount.Type.TMPFS).setTarget("/cache").build()), c.getMountsList());
        assertEquals(List.of("node.role==worker", "zone==b"), s.getTask().getPlacement().getConstraintsList(), "docker sorts them");
        assertEquals(Map.of("tier", "front", "new", "yes"), s.getAnnotations().getLabelsMap());
        assertEquals(1, s.getTask().getForceUpdate(), "--force bumps force_update");
        assertEquals(List.of(PortConfig.newBuilder().setPublishedPort(9090).setTargetPort(90).setProtocol(PortConfig.Protocol.UDP).build()),
                s.getEndpoint().getPortsList());
        assertEquals(4, s.getReplicated().getReplicas());
        assertEquals(128L << 20, s.getTask().getResources().getLimits().getMemoryBytes());
        assertEquals(5_000, s.getUpdate().getDelayMs());
        assertEquals(5_000, s.getUpdate().getMonitorMs(), "the rest of the update config is kept");
        assertEquals("web", s.getAnnotations().getName());
    }

    @Test
    void updateChangesOnlyWhatWasAsked() {
        Service before = web();
        assertOk(run("service", "update", "-d", "--image", "nginx:2", "web"));
        ServiceSpec want = before.getSpec().toBuilder().setTask(before.getSpec().getTask().toBuilder()
                .setContainer(before.getSpec().getTask().getContainer().toBuilder().setImage("nginx:2"))).build();
        assertEquals(want, fake.serviceUpdates.get(0).getSpec());
        assertOk(run("service", "update", "-d", "--force", "web"));
        assertOk(run("service", "update", "-d", "--force", "web"));
        assertEquals(2, fake.serviceUpdates.get(2).getSpec().getTask().getForceUpdate(), "each --force bumps it again");
        assertOk(run("service", "update", "-d", "--no-healthcheck", "web"));
        assertEquals(List.of("NONE"), fake.serviceUpdates.get(3).getSpec().getTask().getContainer().getHealthcheck().getTestList());
        assertOk(run("service", "update", "-d", "--health-cmd", "true", "web"));
        assertEquals(List.of("CMD-SHELL", "true"), fake.serviceUpdates.get(4).getSpec().getTask().getContainer().getHealthcheck().getTestList(),
                "a health command replaces NONE");
    }

    @Test
    void updateRetriesOnceWhenTheServiceChangedMeanwhile() {
        web();
        fake.conflicts = 1;
        Result r = run("service", "update", "-d", "--env-add", "X=1", "web");
        assertOk(r);
        assertEquals(1, fake.serviceUpdates.size());
        assertEquals(8, fake.serviceUpdates.get(0).getVersion(), "the version of the fresh read");
        assertEquals(2, fake.calls.stream().filter(c -> c.startsWith("getService")).count());

        fake.conflicts = 2;
        r = run("service", "update", "-d", "--env-add", "X=2", "web");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("Error: update out of sequence"), r.err());
    }

    @Test
    void updateErrorsComeFromTheServiceAsIs() {
        web();
        service("svc00000000000000000agent", "agent", ServiceSpec.newBuilder().setGlobal(io.swarmlet.api.types.GlobalService.getDefaultInstance()));
        Result r = run("service", "update", "-d", "--replicas", "3", "agent");
        assertEquals(1, r.code());
        assertEquals("Error: replicas can only be used with replicated or replicated-job mode\n", r.err());
        r = run("service", "update", "-d", "--image", "x", "nope");
        assertEquals("Error: No such service: nope\n", r.err());
        r = run("service", "update", "-d", "--rollback", "web");
        assertEquals("Error: service web does not have a previous spec to roll back to\n", r.err());
        assertTrue(fake.serviceUpdates.isEmpty());
    }

    // ------------------------------------------------------------ ls

    @Test
    void lsShowsDockersTable() {
        ServiceSpec.Builder webSpec = replicated("docker.io/library/nginx:1.25@sha256:0123456789abcdef", 3);
        webSpec.getEndpointBuilder().addPorts(PortConfig.newBuilder().setPublishedPort(8080).setTargetPort(80))
                .addPorts(PortConfig.newBuilder().setPublishedPort(8081).setTargetPort(81))
                .addPorts(PortConfig.newBuilder().setPublishedPort(5353).setTargetPort(53).setProtocol(PortConfig.Protocol.UDP));
        Service web = service("6ag3k2u4dpkh1ek1qzwj2gg6v", "web", webSpec);
        Service agent = service("b4kx0t9c8yqp2zq7lyqj3x8c1", "agent",
                ServiceSpec.newBuilder().setGlobal(io.swarmlet.api.types.GlobalService.getDefaultInstance())
                        .setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("agent:2"))));
        ServiceSpec.Builder jobSpec = ServiceSpec.newBuilder();
        jobSpec.getTaskBuilder().getContainerBuilder().setImage("migrate:7");
        jobSpec.getReplicatedJobBuilder().setMaxConcurrent(2).setTotalCompletions(5);
        Service job = service("c1job00000000000000000001", "migrate", jobSpec);
        ServiceSpec.Builder spread = replicated("redis:7", 2);
        spread.getTaskBuilder().getPlacementBuilder().setMaxReplicas(1);
        Service cache = service("d2cache000000000000000001", "cache", spread);

        task("t1", web, 1, LEADER, TaskState.RUNNING, TaskState.RUNNING, 59_000);
        task("t2", web, 2, MANAGER2, TaskState.RUNNING, TaskState.RUNNING, 59_000);
        task("t3", web, 3, MANAGER2, TaskState.RUNNING, TaskState.PREPARING, 1_000);
        task("t0", web, 1, LEADER, TaskState.SHUTDOWN, TaskState.RUNNING, 1_000);
        task("a1", agent, 0, LEADER, TaskState.RUNNING, TaskState.RUNNING, 1_000);
        task("a2", agent, 0, MANAGER2, TaskState.RUNNING, TaskState.STARTING, 1_000);
        task("j1", job, 1, LEADER, TaskState.COMPLETE, TaskState.COMPLETE, 1_000);
        task("j2", job, 2, LEADER, TaskState.COMPLETE, TaskState.COMPLETE, 1_000);
        task("j3", job, 3, MANAGER2, TaskState.COMPLETE, TaskState.RUNNING, 1_000);
        task("c1", cache, 1, FakeControlApi.WORKER, TaskState.RUNNING, TaskState.RUNNING, 1_000);
        task("c2", cache, 2, LEADER, TaskState.RUNNING, TaskState.RUNNING, 1_000);

        Result r = run("service", "ls");
        assertOk(r);
        String row = "%-15s%-10s%-17s%-23s%-13s%s";
        assertEquals(List.of(
                String.format(row, "ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"),
                String.format(row, "b4kx0t9c8yqp", "agent", "global", "1/2", "agent:2", "").trim(),
                String.format(row, "d2cache00000", "cache", "replicated", "1/2 (max 1 per node)", "redis:7", "").trim(),
                String.format(row, "c1job0000000", "migrate", "replicated job", "1/2 (2/5 completed)", "migrate:7", "").trim(),
                String.format(row, "6ag3k2u4dpkh", "web", "replicated", "2/3", "nginx:1.25", "*:8080-8081->80-81/tcp, *:5353->53/udp")),
                r.lines(), "the worker is down: its task does not count; the task being shut down neither");

        r = run("service", "ls", "-q", "-f", "mode=replicated", "-f", "name=w");
        assertOk(r);
        assertEquals("6ag3k2u4dpkh\n", r.out());
        r = run("service", "ls", "--format", "{{.Name}} {{.Mode}} {{.Replicas}}", "--filter", "mode=replicated-job");
        assertOk(r);
        assertEquals("migrate replicated job 1/2 (2/5 completed)\n", r.out());
        r = run("service", "ls", "--format", "json");
        assertOk(r);
        assertEquals(4, JsonParser.parseString(r.out()).getAsJsonArray().size());
    }

    // ------------------------------------------------------------ ps

    @Test
    void psShowsHistoryErrorsAndTimesLikeDocker() {
        ServiceSpec.Builder spec = replicated("nginx:1.25@sha256:abc", 2);
        Service web = service("6ag3k2u4dpkh1ek1qzwj2gg6v", "web", spec);
        task("x1running00000000000000001", web, 1, LEADER, TaskState.RUNNING, TaskState.RUNNING, 59_000);
        fake.putTask(task("x0failed000000000000000001", web, 1, LEADER, TaskState.SHUTDOWN, TaskState.FAILED, 125_000).toBuilder()
                .setStatus(TaskStatus.newBuilder().setState(TaskState.FAILED).setTimestamp(NOW - 125_000)
                        .setErr("task: non-zero exit (137): container killed by the OOM killer"))
                .setMeta(Meta.newBuilder().setCreatedAt(NOW - 600_000)).build());
        fake.putTask(task("x2preparing000000000000001", web, 2, MANAGER2, TaskState.RUNNING, TaskState.RUNNING, 3_600_000).toBuilder()
                .setStatus(TaskStatus.newBuilder().setState(TaskState.RUNNING).setTimestamp(NOW - 3_600_000)
                        .setPortStatus(PortStatus.newBuilder().addPorts(PortConfig.newBuilder().setPublishedPort(30080).setTargetPort(80)
                                .setPublishMode(PortConfig.PublishMode.HOST))))
                .build());
        fake.putTask(task("x3pending00000000000000001", web, 2, "", TaskState.SHUTDOWN, TaskState.SHUTDOWN, 7_200_000));

        Result r = run("service", "ps", "web");
        assertOk(r);
        assertEquals(""
                + "ID             NAME        IMAGE        NODE       DESIRED STATE   CURRENT STATE               ERROR                              PORTS\n"
                + "x1running000   web.1       nginx:1.25   manager1   Running         Running 59 seconds ago\n"
                + "x0failed0000    \\_ web.1   nginx:1.25   manager1   Shutdown        Failed 2 minutes ago        \"task: non-zero exit (137): co…\"\n"
                + "x2preparing0   web.2       nginx:1.25   manager2   Running         Running about an hour ago                                      *:30080->80/tcp\n"
                + "x3pending000    \\_ web.2   nginx:1.25              Shutdown        Shutdown 2 hours ago\n",
                r.out());

        r = run("service", "ps", "--no-trunc", "-f", "desired-state=running", "web");
        assertOk(r);
        assertTrue(r.out().contains("x1running00000000000000001   web.1     nginx:1.25@sha256:abc   manager1   Running         Running 59 seconds ago"), r.out());
        assertEquals(3, r.lines().size(), r.out());

        r = run("service", "ps", "-q", "-f", "node=manager2", "6ag3");
        assertOk(r);
        assertEquals("x2preparing000000000000001\n", r.out(), "quiet prints full IDs");

        r = run("service", "ps", "--no-trunc", "--format", "{{.Name}}|{{.Error}}", "-f", "desired-state=shutdown", "web");
        assertOk(r);
        assertEquals("web.1|\"task: non-zero exit (137): container killed by the OOM killer\"\nweb.2|\n", r.out(),
                "no history indent outside tables, no truncation with --no-trunc");
    }

    @Test
    void psOfSeveralServicesReportsTheMissingOnes() {
        Service web = service("6ag3k2u4dpkh1ek1qzwj2gg6v", "web", replicated("nginx", 1));
        task("x1", web, 1, LEADER, TaskState.RUNNING, TaskState.RUNNING, 1_000);
        Result r = run("service", "ps", "-q", "web", "nope");
        assertEquals(1, r.code());
        assertEquals("x1\n", r.out());
        assertEquals("Error: No such service: nope\n", r.err());
        r = run("service", "ps", "nope");
        assertEquals(1, r.code());
        assertEquals("", r.out());
    }

    // ------------------------------------------------------------ converge progress

    @Test
    void createShowsConvergeProgressUntilVerified() {
        fake.simulate = true;
        Result r = run("service", "create", "--name", "web", "--replicas", "2", "nginx");
        assertOk(r);
        String id = fake.services.keySet().iterator().next();
        assertEquals(List.of(
                id,
                "overall progress: 0 out of 2 tasks",
                "1/2: pending   [================>                                  ]",
                "2/2: pending   [================>                                  ]",
                "1/2: assigned  [======================>                            ]",
                "2/2: assigned  [======================>                            ]",
                "1/2: accepted  [===========================>                       ]",
                "2/2: accepted  [===========================>                       ]",
                "1/2: preparing [=================================>                 ]",
                "2/2: preparing [=================================>                 ]",
                "1/2: starting  [============================================>      ]",
                "2/2: starting  [============================================>      ]",
                "overall progress: 2 out of 2 tasks",
                "1/2: running   [==================================================>]",
                "2/2: running   [==================================================>]",
                "verify: Waiting 5 seconds to verify that tasks are stable...",
                "verify: Waiting 4 seconds to verify that tasks are stable...",
                "verify: Waiting 3 seconds to verify that tasks are stable...",
                "verify: Waiting 2 seconds to verify that tasks are stable...",
                "verify: Waiting 1 seconds to verify that tasks are stable...",
                "verify: Service converged"), r.lines());
    }

    @Test
    void aRejectedTaskShowsItsErrorAndTheWaitIsBounded() {
        fake.simulate = true;
        Result r = run("service", "create", "--name", "broken", "fail:1");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.lines().contains("1/1: No such image: fail:1"), r.out());
        assertTrue(r.lines().contains("overall progress: 0 out of 1 tasks"), r.out());
        assertEquals("Error: service broken has not converged after 1m0s; it goes on converging in the background: "
                + "see `swarmlet service ps broken`\n", r.err());
    }

    @Test
    void quietWaitsWithoutDrawing() {
        fake.simulate = true;
        Result r = run("service", "create", "-q", "--name", "web", "nginx");
        assertOk(r);
        assertEquals(1, r.lines().size(), r.out());
        assertTrue(fake.calls.contains("listTasks"), "it still waits");
        assertTrue(clock.millis() - NOW >= ConvergeProgress.DEFAULT_MONITOR_MILLIS, "through the monitor period");
    }

    @Test
    void onATerminalTheBlockIsRedrawnInPlace() {
        fake.simulate = true;
        Result r = run(true, "service", "create", "--name", "web", "nginx");
        assertOk(r);
        assertTrue(r.out().contains("\033[2A"), "moves up over the two lines drawn");
        assertTrue(r.out().contains("\r\033[2K1/1: running   [==================================================>]\n"), r.out());
        String last = r.out().substring(r.out().lastIndexOf("\033[3A"));
        assertEquals("\033[3A\r\033[2Koverall progress: 1 out of 1 tasks\n\r\033[2K1/1: running   [==================================================>]\n"
                + "\r\033[2Kverify: Service converged\n", last);
    }

    @Test
    void globalServicesShowOneLinePerNode() {
        fake.simulate = true;
        Result r = run("service", "create", "--mode", "global", "--name", "agent", "agent:1");
        assertOk(r);
        assertTrue(r.lines().contains("overall progress: 2 out of 2 tasks"), r.out());
        assertTrue(r.lines().contains(LEADER.substring(0, 12) + ": running   [==================================================>]"), r.out());
        assertTrue(r.lines().contains(MANAGER2.substring(0, 12) + ": running   [==================================================>]"), r.out());
        assertEquals("verify: Service converged", r.lines().get(r.lines().size() - 1));
    }

    @Test
    void jobsEndWhenComplete() {
        fake.simulate = true;
        Result r = run("service", "create", "--mode", "replicated-job", "--replicas", "2", "--name", "batch", "job:1");
        assertOk(r);
        assertTrue(r.lines().contains("job progress: 2 out of 2 complete [==================================================>]"), r.out());
        assertTrue(r.lines().contains("1/2: complete  [==================================================>]"), r.out());
        assertTrue(r.lines().contains("active tasks: 0 out of 0 tasks"), r.out());
        assertEquals("job complete", r.lines().get(r.lines().size() - 1));
    }

    @Test
    void updateShowsProgressOfTheNewTasks() {
        fake.simulate = true;
        assertOk(run("service", "create", "-d", "--name", "web", "--replicas", "2", "nginx:1"));
        fake.tick();
        for (int i = 0; i < 6; i++) {
            fake.tick();
        }
        Result r = run("service", "update", "--image", "nginx:2", "web");
        assertOk(r);
        assertEquals("web", r.lines().get(0));
        assertEquals("overall progress: 0 out of 2 tasks", r.lines().get(1));
        assertEquals("verify: Service converged", r.lines().get(r.lines().size() - 1));
        long running = fake.tasks.values().stream().filter(t -> t.getDesiredState() == TaskState.RUNNING
                && t.getSpec().getContainer().getImage().equals("nginx:2") && t.getStatus().getState() == TaskState.RUNNING).count();
        assertEquals(2, running);
    }

    // ------------------------------------------------------------ scale, rollback, rm

    @Test
    void scaleSaysWhatItDidAndRefusesGlobalServices() {
        web();
        service("svc00000000000000000agent", "agent", ServiceSpec.newBuilder().setGlobal(io.swarmlet.api.types.GlobalService.getDefaultInstance()));
        Result r = run("service", "scale", "-d", "web=5", "agent=2", "nope=1");
        assertEquals(1, r.code());
        assertEquals("web scaled to 5\n", r.out());
        assertEquals("Error: agent: scale can only be used with replicated or replicated-job mode\n"
                + "Error: nope: No such service: nope\n", r.err());
        assertEquals(5, fake.serviceUpdates.get(0).getSpec().getReplicated().getReplicas());
        assertEquals(1, fake.serviceUpdates.size());
    }

    @Test
    void scaleWaitsForConvergence() {
        fake.simulate = true;
        assertOk(run("service", "create", "-d", "--name", "web", "nginx"));
        Result r = run("service", "scale", "web=3");
        assertOk(r);
        assertEquals("web scaled to 3", r.lines().get(0));
        assertTrue(r.lines().contains("overall progress: 3 out of 3 tasks"), r.out());
        assertTrue(r.lines().contains("3/3: running   [==================================================>]"), r.out());
        assertEquals("verify: Service converged", r.lines().get(r.lines().size() - 1));
    }

    @Test
    void rollbackPrintsDockersMessages() {
        fake.simulate = true;
        assertOk(run("service", "create", "-q", "--name", "web", "nginx:1"));
        assertOk(run("service", "update", "-q", "--image", "nginx:2", "web"));
        Result r = run("service", "rollback", "web");
        assertOk(r);
        assertEquals("web", r.lines().get(0));
        assertEquals("rollback: manually requested rollback", r.lines().get(1));
        assertEquals("overall progress: rolling back update: 0 out of 1 tasks", r.lines().get(2));
        assertTrue(r.lines().contains("overall progress: rolling back update: 1 out of 1 tasks"), r.out());
        assertEquals("verify: Service converged", r.lines().get(r.lines().size() - 1));
        assertTrue(fake.serviceUpdates.get(1).getRollback());
        assertEquals("nginx:1", fake.services.values().iterator().next().getSpec().getTask().getContainer().getImage());
    }

    @Test
    void updateRollbackFlagIsTheSameRequest() {
        fake.simulate = true;
        assertOk(run("service", "create", "-q", "--name", "web", "nginx:1"));
        assertOk(run("service", "update", "-q", "--image", "nginx:2", "web"));
        Result r = run("service", "update", "--rollback", "-d", "web");
        assertOk(r);
        assertEquals("web\n", r.out());
        assertTrue(fake.serviceUpdates.get(1).getRollback());
    }

    @Test
    void rmPrintsEachNameAndEachError() {
        web();
        Result r = run("service", "rm", "nope", "web");
        assertEquals(1, r.code());
        assertEquals("web\n", r.out());
        assertEquals("Error: No such service: nope\n", r.err());
        assertTrue(fake.services.isEmpty());
    }

    @Test
    void placementStrategyAndRuntimeFlags() {
        assertOk(run("service", "create", "-d", "--name", "batch", "--placement-strategy", "binpack",
                "--runtime", "process", "busybox", "sleep", "9"));
        TaskSpec created = fake.serviceCreates.get(0).getSpec().getTask();
        assertEquals("binpack", created.getPlacement().getStrategy());
        assertEquals("process", created.getRuntime());
        assertOk(run("service", "create", "-d", "--runtime", "container", "--placement-strategy", "", "nginx"));
        assertEquals(replicated("nginx", 1).build(), fake.serviceCreates.get(1).getSpec(),
                "container is the default runtime and \"\" the default strategy: nothing set");

        assertOk(run("service", "update", "-d", "--image", "busybox:2", "batch"));
        TaskSpec kept = fake.serviceUpdates.get(0).getSpec().getTask();
        assertEquals("binpack", kept.getPlacement().getStrategy(), "kept when not given");
        assertEquals("process", kept.getRuntime());
        assertOk(run("service", "update", "-d", "--placement-strategy", "spread", "batch"));
        assertEquals("spread", fake.serviceUpdates.get(1).getSpec().getTask().getPlacement().getStrategy());
        assertOk(run("service", "update", "-d", "--placement-strategy", "", "--runtime", "container", "batch"));
        TaskSpec reset = fake.serviceUpdates.get(2).getSpec().getTask();
        assertEquals("", reset.getPlacement().getStrategy(), "\"\" is back to the cluster's default");
        assertEquals("", reset.getRuntime());

        Result help = run("service", "create", "--help");
        assertTrue(help.out().contains("--placement-strategy=string") && help.out().contains("binpack"), help.out());
        assertTrue(help.out().contains("--runtime=string"), help.out());
        help = run("service", "update", "--help");
        assertTrue(help.out().contains("--placement-strategy=string"), help.out());
    }

    @Test
    void inspectPrettyShowsAStrategyAndARuntimeWhenSet() {
        ServiceSpec.Builder spec = replicated("busybox", 2);
        spec.getTaskBuilder().setRuntime("process").getPlacementBuilder().setStrategy("binpack");
        fake.putService(service("6ag3k2u4dpkh1ek1qzwj2gg6v", "batch", spec));
        Result r = run("service", "inspect", "--pretty", "batch");
        assertOk(r);
        List<String> lines = r.lines();
        assertEquals(lines.indexOf("Placement:") - 1, lines.indexOf("Placement strategy: binpack"), r.out());
        assertEquals(lines.indexOf("ContainerSpec:") - 1, lines.indexOf("Runtime:        process"), r.out());
    }

    // ------------------------------------------------------------ inspect

    @Test
    void inspectPrettyLikeDocker() {
        ServiceSpec.Builder spec = replicated("nginx:1.25", 3);
        spec.getAnnotationsBuilder().putLabels("tier", "front");
        spec.getTaskBuilder().getContainerBuilder().addArgs("nginx").addArgs("-g").addEnv("A=1").setInit(true)
                .addMounts(Mount.newBuilder().setType(Mount.Type.VOLUME).setSource("data").setTarget("/data"));
        spec.getTaskBuilder().getPlacementBuilder().addConstraints("node.role==worker");
        spec.getTaskBuilder().getResourcesBuilder().getLimitsBuilder().setNanoCpus(500_000_000L).setMemoryBytes(64L << 20);
        spec.setUpdate(ServiceFlags.defaultUpdateConfig().setDelayMs(10_000));
        spec.setRollback(ServiceFlags.defaultUpdateConfig());
        spec.getEndpointBuilder().addPorts(PortConfig.newBuilder().setPublishedPort(8080).setTargetPort(80));
        Service s = service("6ag3k2u4dpkh1ek1qzwj2gg6v", "web", spec);
        fake.putService(s.toBuilder().setUpdateStatus(UpdateStatus.newBuilder().setState(UpdateStatus.UpdateState.COMPLETED)
                .setStartedAt(NOW - 120_000).setCompletedAt(NOW - 61_000).setMessage("update completed")).build());
        Result r = run("service", "inspect", "--pretty", "web");
        assertOk(r);
        assertEquals(""
                + "ID:             6ag3k2u4dpkh1ek1qzwj2gg6v\n"
                + "Name:           web\n"
                + "Labels:\n"
                + " tier=front\n"
                + "Service Mode:   Replicated\n"
                + " Replicas:      3\n"
                + "UpdateStatus:\n"
                + " State:         completed\n"
                + " Started:       2 minutes ago\n"
                + " Completed:     About a minute ago\n"
                + " Message:       update completed\n"
                + "Placement:\n"
                + " Constraints:   [node.role==worker]\n"
                + "UpdateConfig:\n"
                + " Parallelism:   1\n"
                + " Delay:         10s\n"
                + " On failure:    pause\n"
                + " Monitoring Period: 5s\n"
                + " Max failure ratio: 0\n"
                + " Update order:      stop-first\n"
                + "RollbackConfig:\n"
                + " Parallelism:   1\n"
                + " On failure:    pause\n"
                + " Monitoring Period: 5s\n"
                + " Max failure ratio: 0\n"
                + " Rollback order:    stop-first\n"
                + "ContainerSpec:\n"
                + " Image:         nginx:1.25\n"
                + " Args:          nginx -g\n"
                + " Env:           A=1\n"
                + " Init:          true\n"
                + "Mounts:\n"
                + " Target:        /data\n"
                + "  Source:       data\n"
                + "  ReadOnly:     false\n"
                + "  Type:         volume\n"
                + "Resources:\n"
                + " Limits:\n"
                + "  CPU:          0.5\n"
                + "  Memory:       64MiB\n"
                + "Endpoint Mode:  vip\n"
                + "Ports:\n"
                + " PublishedPort = 8080\n"
                + "  Protocol = tcp\n"
                + "  TargetPort = 80\n"
                + "  PublishMode = ingress\n", r.out());

        r = run("service", "inspect", "web", "6ag3", "nope");
        assertEquals(1, r.code());
        assertEquals(2, JsonParser.parseString(r.out()).getAsJsonArray().size());
        assertEquals("Error: No such service: nope\n", r.err());
        r = run("service", "inspect", "-f", "{{.ID}} {{.Mode}} {{.Replicas}} {{.Ports}}", "web");
        assertOk(r);
        assertEquals("6ag3k2u4dpkh1ek1qzwj2gg6v replicated 3 *:8080->80/tcp\n", r.out());
    }

    // ------------------------------------------------------------ a service with an Annotations-less task, for coverage of names

    @Test
    void globalTaskNamesUseTheNodeId() {
        Service agent = service("svc00000000000000000agent", "agent",
                ServiceSpec.newBuilder().setGlobal(io.swarmlet.api.types.GlobalService.getDefaultInstance())
                        .setTask(TaskSpec.newBuilder().setContainer(ContainerSpec.newBuilder().setImage("agent:1"))));
        fake.putTask(task("g1", agent, 0, LEADER, TaskState.RUNNING, TaskState.RUNNING, 1_000).toBuilder()
                .setServiceAnnotations(Annotations.getDefaultInstance()).build());
        Result r = run("service", "ps", "--format", "{{.Name}} {{.Node}}", "agent");
        assertOk(r);
        assertEquals("agent." + LEADER + " manager1\n", r.out());
    }
}
