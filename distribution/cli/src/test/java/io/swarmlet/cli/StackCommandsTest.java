package io.swarmlet.cli;

import static io.swarmlet.cli.FakeControlApi.LEADER;
import static io.swarmlet.cli.FakeControlApi.MANAGER2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.swarmlet.api.control.Stacks;
import io.swarmlet.api.types.DeployStackRequest;
import io.swarmlet.api.types.Endpoint;
import io.swarmlet.api.types.Meta;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.Task;
import io.swarmlet.api.types.TaskState;
import io.swarmlet.api.types.TaskStatus;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stack verbs in-process against {@link FakeControlApi}: files read here, parsed by the manager. */
class StackCommandsTest {

    static final long NOW = 1_700_000_000_000L;
    static final String COMPOSE = "services:\n  web:\n    image: nginx:${TAG}\n";
    static final String OVERRIDE = "services:\n  web:\n    environment:\n      MODE: ${MODE}\n";
    static final String SECRET = "leak-canary-stack-db-password";

    @TempDir
    Path dir;

    final TestClock clock = new TestClock(NOW);
    final FakeControlApi fake = new FakeControlApi();
    /** This process's environment as the commands see it. */
    final Map<String, String> environ = new HashMap<>(Map.of("MODE", "from-process", "SHARED", "process-wins"));
    /** Where relative paths start. */
    Path cwd;

    StackCommandsTest() {
        fake.clock = clock;
    }

    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    Result run(String... args) {
        return runWithInput("", args);
    }

    Result runWithInput(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Main root = new Main(() -> fake);
        root.clock = clock;
        root.sleeper = clock::advance;
        root.convergeTimeoutMillis = 60_000;
        root.environ = () -> environ;
        root.environment = environ::get;
        root.workingDir = () -> cwd == null ? dir : cwd;
        root.stdin = () -> new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        int code = Main.run(root, new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    private static void assertOk(Result r) {
        assertEquals("", r.err(), "stderr");
        assertEquals(0, r.code(), "exit code");
    }

    private Path file(String name, String content) throws Exception {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, content);
        return f;
    }

    private List<String> deployCalls() {
        return fake.calls.stream().filter(c -> c.startsWith("deployStack")).toList();
    }

    // ------------------------------------------------------------ deploy

    @Test
    void deployBuildsTheRequestFromTheFilesAndDotEnvWithTheEnvironmentOverridingIt() throws Exception {
        Path compose = file("app/docker-compose.yml", COMPOSE);
        Path override = file("app/override.yml", OVERRIDE);
        file("app/.env", "# versions\nTAG=1.25 # pinned\nMODE=from-dotenv\nSHARED=dotenv\nQUOTED=\"a # b\"\n");
        file(".env", "TAG=never-read\n");
        cwd = dir.resolve("elsewhere");

        Result r = run("stack", "deploy", "-c", compose.toString(), "--compose-file", override.toString(), "--prune",
                "--resolve-image", "never", "--with-registry-auth", "app");
        assertOk(r);
        assertEquals("Creating network app_default\nCreating service app_web\n", r.out());

        assertEquals(1, fake.stackDeploys.size());
        DeployStackRequest q = fake.stackDeploys.get(0);
        assertEquals("app", q.getName());
        assertEquals(List.of(compose.toString(), override.toString()), q.getFilesList().stream().map(f -> f.getName()).toList(),
                "files as given, in -c order");
        assertEquals(List.of(COMPOSE, OVERRIDE), q.getFilesList().stream().map(f -> f.getContent()).toList());
        assertEquals("1.25", q.getEnvOrThrow("TAG"), ".env next to the first file, comment dropped");
        assertEquals("a # b", q.getEnvOrThrow("QUOTED"));
        assertEquals("from-process", q.getEnvOrThrow("MODE"), "the environment overrides .env");
        assertEquals("process-wins", q.getEnvOrThrow("SHARED"));
        assertTrue(q.getPrune());
        assertEquals("never", q.getResolveImage());
        assertTrue(q.getLocalFilesMap().isEmpty());

        // again, with the short comma form and the defaults: the existing service is updated
        r = run("stack", "deploy", "-c", compose + "," + override, "app");
        assertOk(r);
        String id = fake.services.keySet().iterator().next();
        assertEquals("Updating service app_web (id: " + id + ")\n", r.out());
        DeployStackRequest q2 = fake.stackDeploys.get(1);
        assertEquals(2, q2.getFilesCount());
        assertFalse(q2.getPrune());
        assertEquals("always", q2.getResolveImage(), "docker's default");
    }

    @Test
    void filesTheComposeFilesNameAreSentWhenTheManagerAsks() throws Exception {
        Path compose = file("app/stack.yml", COMPOSE);
        file("app/web.env", "A=1\n");
        file("app/secrets/db.txt", SECRET);
        Path abs = file("shared/ca.pem", "-----BEGIN CERTIFICATE-----\n");
        fake.stackNeeds.addAll(List.of("./web.env", "secrets/db.txt", abs.toString()));
        cwd = dir.resolve("elsewhere");

        Result r = run("stack", "deploy", "-c", compose.toString(), "app");
        assertOk(r);
        assertEquals(List.of("deployStack app", "deployStack app"), deployCalls(), "asked once, sent once");
        DeployStackRequest second = fake.stackDeploys.get(1);
        assertEquals("A=1\n", second.getLocalFilesOrThrow("./web.env").toStringUtf8(), "relative to the compose file's directory");
        assertEquals(SECRET, second.getLocalFilesOrThrow("secrets/db.txt").toStringUtf8(), "keyed by the path as written");
        assertEquals("-----BEGIN CERTIFICATE-----\n", second.getLocalFilesOrThrow(abs.toString()).toStringUtf8());
        assertEquals(second.getFilesList(), fake.stackDeploys.get(0).getFilesList(), "the same files again");
        assertFalse(r.out().contains(SECRET) || r.err().contains(SECRET), "a file's content is never printed");
    }

    @Test
    void aLocalFileThatCannotBeReadIsAnErrorAndNothingIsDeployed() throws Exception {
        Path compose = file("app/stack.yml", COMPOSE);
        file("app/present.env", "A=1\n");
        fake.stackNeeds.addAll(List.of("present.env", "../missing/db.txt"));

        Result r = run("stack", "deploy", "-c", compose.toString(), "app");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertEquals("Error: open " + dir.resolve("missing/db.txt") + ": no such file or directory\n", r.err(),
                "the absolute path, normalised");
        assertEquals(List.of("deployStack app"), deployCalls(), "not sent again");
        assertTrue(fake.services.isEmpty() && fake.networks.isEmpty(), "nothing deployed");
    }

    @Test
    void composeFileFromStandardInputReadsRelativeFilesFromTheWorkingDirectory() throws Exception {
        file(".env", "TAG=stdin-dotenv\n");
        file("web.env", "B=2\n");
        fake.stackNeeds.add("web.env");

        Result r = runWithInput(COMPOSE, "stack", "deploy", "-c", "-", "app");
        assertOk(r);
        DeployStackRequest q = fake.stackDeploys.get(1);
        assertEquals("-", q.getFiles(0).getName());
        assertEquals(COMPOSE, q.getFiles(0).getContent());
        assertEquals("stdin-dotenv", q.getEnvOrThrow("TAG"), ".env of the working directory");
        assertEquals("B=2\n", q.getLocalFilesOrThrow("web.env").toStringUtf8());
    }

    @Test
    void composeFileErrorsAreDockers() throws Exception {
        Result r = run("stack", "deploy", "-c", "missing.yml", "app");
        assertEquals(1, r.code());
        assertEquals("Error: open missing.yml: no such file or directory\n", r.err());
        r = run("stack", "deploy", "-c", dir.toString(), "app");
        assertEquals("Error: read " + dir + ": is a directory\n", r.err());
        r = run("stack", "deploy", "app");
        assertEquals(1, r.code());
        assertEquals("Error: Please specify a Compose file (with --compose-file)\n", r.err());
        r = run("stack", "deploy", "-c", file("a.yml", COMPOSE).toString(), " ");
        assertEquals("Error: invalid stack name: \" \"\n", r.err());
        file(".env", "BAD NAME=1\n");
        r = run("stack", "deploy", "-c", dir.resolve("a.yml").toString(), "app");
        assertEquals("Error: failed to read " + dir.resolve(".env") + ": line 1: unexpected character \" \" in variable name"
                + " \"BAD NAME\" (use KEY=VALUE)\n", r.err());
        assertTrue(fake.calls.isEmpty(), "nothing sent: " + fake.calls);

        r = run("stack", "deploy", "-c", dir.resolve("a.yml").toString(), "--resolve-image", "sometimes", "app");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("Error: invalid option sometimes for flag --resolve-image"), r.err());
        assertTrue(fake.calls.isEmpty(), "nothing sent: " + fake.calls);
    }

    @Test
    void warningsGoToStandardErrorBeforeTheMessages() throws Exception {
        fake.stackWarnings.add("Ignoring unsupported options: build");
        Result r = run("stack", "deploy", "-c", file("a.yml", COMPOSE).toString(), "app");
        assertEquals(0, r.code());
        assertEquals("Ignoring unsupported options: build\n\n", r.err());
        assertEquals("Creating network app_default\nCreating service app_web\n", r.out());
    }

    @Test
    void deployWithDetachFalseWaitsForTheStacksServices() throws Exception {
        fake.simulate = true;
        Result r = run("stack", "deploy", "-c", file("a.yml", COMPOSE).toString(), "--detach=false", "app");
        assertOk(r);
        assertTrue(r.out().startsWith("Creating network app_default\nCreating service app_web\napp_web\noverall progress: "), r.out());
        assertTrue(r.out().contains("overall progress: 1 out of 1 tasks"), r.out());
        assertTrue(r.out().trim().endsWith("verify: Service converged"), r.out());

        r = run("stack", "deploy", "-c", dir.resolve("a.yml").toString(), "-d=false", "-q", "app");
        assertOk(r);
        assertEquals("Updating service app_web (id: " + fake.services.keySet().iterator().next() + ")\n", r.out(), "-q: no progress");
    }

    // ------------------------------------------------------------ ls, services, ps, rm

    private Service service(String id, String name, String stack, String image, long replicas) {
        ServiceSpec.Builder spec = ServiceSpec.newBuilder();
        spec.getAnnotationsBuilder().setName(name);
        if (stack != null) {
            spec.getAnnotationsBuilder().putLabels(Stacks.NAMESPACE_LABEL, stack);
        }
        spec.getTaskBuilder().getContainerBuilder().setImage(image);
        spec.getReplicatedBuilder().setReplicas(replicas);
        return fake.putService(Service.newBuilder().setId(id)
                .setMeta(Meta.newBuilder().setVersion(3).setCreatedAt(NOW - 3_600_000))
                .setSpec(spec).setSpecVersion(1).setEndpoint(Endpoint.getDefaultInstance()).build());
    }

    private void task(String id, Service s, long slot, String node, long agoMillis) {
        fake.putTask(Task.newBuilder().setId(id).setServiceId(s.getId()).setSlot(slot).setNodeId(node)
                .setMeta(Meta.newBuilder().setCreatedAt(NOW - agoMillis - 1_000))
                .setSpec(s.getSpec().getTask()).setSpecVersion(s.getSpecVersion())
                .setServiceAnnotations(s.getSpec().getAnnotations())
                .setDesiredState(TaskState.RUNNING)
                .setStatus(TaskStatus.newBuilder().setState(TaskState.RUNNING).setTimestamp(NOW - agoMillis))
                .build());
    }

    private void twoStacks() {
        Service web = service("webservice000000000000001", "app_web", "app", "docker.io/library/nginx:1.25", 2);
        Service db = service("dbservice0000000000000001", "app_db", "app", "postgres:16", 1);
        service("other00000000000000000001", "monitoring_agent", "monitoring", "agent:2", 1);
        service("plain00000000000000000001", "app_plain", null, "busybox", 1);
        task("t1web00000000000000000001", web, 1, LEADER, 59_000);
        task("t2web00000000000000000001", web, 2, MANAGER2, 59_000);
        task("t1db000000000000000000001", db, 1, LEADER, 120_000);
    }

    @Test
    void lsShowsEachStackWithItsServiceCount() {
        twoStacks();
        Result r = run("stack", "ls");
        assertOk(r);
        assertEquals(""
                + "NAME         SERVICES\n"
                + "app          2\n"
                + "monitoring   1\n", r.out());
        r = run("stack", "list", "--format", "{{.Name}}:{{.Services}}");
        assertOk(r);
        assertEquals("app:2\nmonitoring:1\n", r.out());
        r = run("stack", "ls", "--format", "{{.Nope}}");
        assertEquals(2, r.code());
    }

    @Test
    void servicesIsServiceLsOfTheStack() {
        twoStacks();
        Result r = run("stack", "services", "app");
        assertOk(r);
        assertEquals(""
                + "ID             NAME      MODE         REPLICAS   IMAGE         PORTS\n"
                + "dbservice000   app_db    replicated   1/1        postgres:16\n"
                + "webservice00   app_web   replicated   2/2        nginx:1.25\n", r.out());
        r = run("stack", "services", "-q", "--filter", "name=app_w", "app");
        assertOk(r);
        assertEquals("webservice00\n", r.out());
        r = run("stack", "services", "--format", "{{.Name}} {{.Replicas}}", "app");
        assertOk(r);
        assertEquals("app_db 1/1\napp_web 2/2\n", r.out());

        r = run("stack", "services", "nope");
        assertEquals(0, r.code(), "docker: nothing found is no error");
        assertEquals("", r.out());
        assertEquals("Nothing found in stack: nope\n", r.err());
        r = run("stack", "services", "-f", "name=zzz", "app");
        assertEquals("Nothing found in stack: app\n", r.err());
    }

    @Test
    void psIsServicePsOverTheStacksServices() {
        twoStacks();
        Result r = run("stack", "ps", "app");
        assertOk(r);
        assertEquals(""
                + "ID             NAME        IMAGE         NODE       DESIRED STATE   CURRENT STATE            ERROR     PORTS\n"
                + "t1db00000000   app_db.1    postgres:16   manager1   Running         Running 2 minutes ago\n"
                + "t1web0000000   app_web.1   nginx:1.25    manager1   Running         Running 59 seconds ago\n"
                + "t2web0000000   app_web.2   nginx:1.25    manager2   Running         Running 59 seconds ago\n", r.out());
        r = run("stack", "ps", "-q", "-f", "node=manager2", "app");
        assertOk(r);
        assertEquals("t2web00000000000000000001\n", r.out());
        r = run("stack", "ps", "--no-resolve", "--format", "{{.Name}} {{.Node}}", "-f", "name=app_db", "app");
        assertOk(r);
        assertEquals("dbservice0000000000000001.1 " + LEADER + "\n", r.out(), "IDs where names would be");

        r = run("stack", "ps", "nope");
        assertEquals(1, r.code());
        assertEquals("Error: nothing found in stack: nope\n", r.err());
        r = run("stack", "ps", "-f", "node=worker1", "app");
        assertEquals("Error: nothing found in stack: app\n", r.err(), "nothing left after the filters");
    }

    @Test
    void rmPrintsWhatWasRemovedAndGoesOnPastAnEmptyStack() {
        fake.createNetwork(io.swarmlet.api.types.CreateNetworkRequest.newBuilder().setSpec(io.swarmlet.api.types.NetworkSpec.newBuilder()
                .setAnnotations(io.swarmlet.api.types.Annotations.newBuilder().setName("app_default")
                        .putLabels(Stacks.NAMESPACE_LABEL, "app"))).build());
        fake.calls.clear();
        twoStacks();
        Result r = run("stack", "rm", "app", "nope", "monitoring");
        assertEquals(0, r.code());
        assertEquals(""
                + "Removing service app_db\n"
                + "Removing service app_web\n"
                + "Removing network app_default\n"
                + "Removing service monitoring_agent\n", r.out());
        assertEquals("Nothing found in stack: nope\n", r.err());
        assertEquals(List.of("app_plain"), fake.services.values().stream().map(Services::name).toList(), "a service outside stacks stays");
        assertEquals(List.of("removeStack app", "removeStack nope", "removeStack monitoring"),
                fake.calls.stream().filter(c -> c.startsWith("removeStack")).toList());

        r = run("stack", "down", "app");
        assertEquals("Nothing found in stack: app\n", r.err());
        r = run("stack", "remove", "-d", "monitoring");
        assertEquals("Nothing found in stack: monitoring\n", r.err());
    }

    @Test
    void aRefusalAfterSomeWritesShowsWhatWasDoneThenTheError() throws Exception {
        fake.stackFailure = new io.swarmlet.api.control.ControlException(io.swarmlet.api.control.ControlException.Code.FAILED_PRECONDITION,
                "Creating network app_default\nCreating service app_web\nfailed to create service app_web: port 8080 is taken");
        Result r = run("stack", "deploy", "-c", file("a.yml", COMPOSE).toString(), "app");
        assertEquals(1, r.code());
        assertEquals("Creating network app_default\nCreating service app_web\n", r.out());
        assertEquals("Error: failed to create service app_web: port 8080 is taken\n", r.err());

        fake.stackFailure = new io.swarmlet.api.control.ControlException(io.swarmlet.api.control.ControlException.Code.FAILED_PRECONDITION,
                "Removing service app_web\nRemoving network app_default\nFailed to remove network app_default: in use\n"
                        + "Failed to remove some resources from stack: app");
        r = run("stack", "rm", "app");
        assertEquals(1, r.code());
        assertEquals("Removing service app_web\nRemoving network app_default\n", r.out());
        assertEquals("Error: Failed to remove network app_default: in use\nFailed to remove some resources from stack: app\n", r.err());

        fake.stackFailure = io.swarmlet.api.control.ControlException.invalid("a.yml:3: services.web.image must be a string\n"
                + "a.yml:5: services.web.ports must be a list");
        r = run("stack", "deploy", "-c", dir.resolve("a.yml").toString(), "app");
        assertEquals("", r.out());
        assertEquals("Error: a.yml:3: services.web.image must be a string\na.yml:5: services.web.ports must be a list\n", r.err());
    }
}
