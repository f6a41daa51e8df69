package io.swarmlet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.ContainerSpec;
import io.swarmlet.api.types.CreateSecretRequest;
import io.swarmlet.api.types.Meta;
import io.swarmlet.api.types.SecretReference;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import io.swarmlet.api.types.UpdateServiceRequest;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code secret} and {@code config} verbs, and services' {@code --secret}/{@code --config}
 * flags, in-process against {@link FakeControlApi}. Every output is checked for the
 * values used: they are sent, never printed.
 */
class SecretCommandsTest {

    static final long NOW = 1_700_000_000_000L;
    static final String VALUE = "leak-canary-hunter2-db-password";
    static final String VALUE2 = "leak-canary-correct-horse-battery";

    @TempDir
    Path dir;

    final TestClock clock = new TestClock(NOW);
    final FakeControlApi fake = new FakeControlApi();
    /** Every output of this test, to be searched for the values. */
    final StringBuilder everything = new StringBuilder();

    SecretCommandsTest() {
        fake.clock = clock;
    }

    record Result(int code, String out, String err) {}

    Result run(String... args) {
        return runWithInput("", args);
    }

    Result runWithInput(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Main root = new Main(() -> fake);
        root.clock = clock;
        root.stdin = () -> new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        int code = Main.run(root, new PrintWriter(out), new PrintWriter(err), args);
        everything.append(out).append(err);
        return new Result(code, out.toString(), err.toString());
    }

    private static void assertOk(Result r) {
        assertEquals("", r.err(), "stderr");
        assertEquals(0, r.code(), "exit code");
    }

    /** No value, no base64 of one, no sealed bytes in anything printed so far. */
    private void assertNoValuePrinted() {
        String all = everything.toString();
        for (String v : List.of(VALUE, VALUE2)) {
            assertFalse(all.contains(v), "a value was printed");
            assertFalse(all.contains(Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))), "a value was printed as base64");
        }
        assertFalse(all.contains("SEALED-bytes"), "sealed bytes were printed");
        assertFalse(all.contains(Base64.getEncoder().encodeToString(FakeControlApi.SEALED.toByteArray())), "sealed bytes were printed as base64");
    }

    private Path file(String name, String content) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        return f;
    }

    // ------------------------------------------------------------ create

    @Test
    void createFromAFileSendsTheValueWithLabelsAndDriverAndPrintsTheId() throws Exception {
        Path f = file("db_pass.txt", VALUE);
        Result r = run("secret", "create", "--label", "env=prod", "-l", "team", "--driver", "vault", "db_pass", f.toString());
        assertOk(r);
        String id = fake.secrets.keySet().iterator().next();
        assertEquals(id + "\n", r.out());
        CreateSecretRequest q = fake.secretCreates.get(0);
        assertEquals("db_pass", q.getSpec().getAnnotations().getName());
        assertEquals(VALUE, q.getSpec().getData().toStringUtf8());
        assertEquals("prod", q.getSpec().getAnnotations().getLabelsOrThrow("env"));
        assertEquals("", q.getSpec().getAnnotations().getLabelsOrThrow("team"));
        assertEquals("vault", q.getSpec().getDriver().getName());
        assertNoValuePrinted();
    }

    @Test
    void createFromStandardInput() {
        Result r = runWithInput(VALUE + "\n", "secret", "create", "db_pass", "-");
        assertOk(r);
        assertEquals(VALUE + "\n", fake.secretCreates.get(0).getSpec().getData().toStringUtf8(), "sent as read, newline included");
        assertFalse(fake.secretCreates.get(0).getSpec().hasDriver(), "no --driver: the built-in one");

        Result c = runWithInput("listen 80\n", "config", "create", "app.conf", "-");
        assertOk(c);
        assertEquals("listen 80\n", fake.configCreates.get(0).getSpec().getData().toStringUtf8());
        assertNoValuePrinted();
    }

    @Test
    void emptyOversizedAndMissingValuesAreRefusedBeforeAnythingIsSent() throws Exception {
        Path empty = file("empty", "");
        Result r = run("secret", "create", "s", empty.toString());
        assertEquals(1, r.code());
        assertEquals("Error: secret data in " + empty + " is empty: a secret holds 1 byte to 500 KB\n", r.err());

        Path big = dir.resolve("big");
        Files.write(big, new byte[ControlApi.MAX_PAYLOAD_BYTES + 1]);
        r = run("secret", "create", "s", big.toString());
        assertEquals(1, r.code());
        assertEquals("Error: secret data in " + big + " is 512001 bytes, over the 500 KB limit (512000 bytes)\n", r.err());

        Path exact = dir.resolve("exact");
        Files.write(exact, new byte[ControlApi.MAX_PAYLOAD_BYTES]);
        Files.write(big, new byte[612 * 1024]);
        r = run("config", "create", "c", big.toString());
        assertEquals("Error: config data in " + big + " is 626688 bytes, over the 500 KB limit (512000 bytes)\n", r.err());

        r = runWithInput("x".repeat(ControlApi.MAX_PAYLOAD_BYTES + 10), "secret", "create", "s", "-");
        assertEquals(1, r.code());
        assertEquals("Error: secret data on standard input is over the 500 KB limit\n", r.err());

        r = runWithInput("", "secret", "rotate", "s", "-");
        assertEquals("Error: secret data on standard input is empty: a secret holds 1 byte to 500 KB\n", r.err());

        r = run("secret", "create", "s", "no-such-file");
        assertEquals(1, r.code());
        assertEquals("Error: open no-such-file: no such file or directory\n", r.err());

        r = run("secret", "create", "s", dir.toString());
        assertEquals("Error: read " + dir + ": is a directory\n", r.err());
        assertTrue(fake.calls.isEmpty(), "nothing sent: " + fake.calls);

        assertOk(run("secret", "create", "s", exact.toString()));
        assertEquals(ControlApi.MAX_PAYLOAD_BYTES, fake.secretCreates.get(0).getSpec().getData().size(), "the limit itself is fine");
    }

    @Test
    void aServerRefusalIsPrintedAsItIs() throws Exception {
        Path f = file("v", VALUE);
        assertOk(run("secret", "create", "db_pass", f.toString()));
        Result r = run("secret", "create", "db_pass", f.toString());
        assertEquals(1, r.code());
        assertEquals("Error: secret db_pass already exists\n", r.err());
        assertNoValuePrinted();
    }

    // ------------------------------------------------------------ ls and inspect

    private String create(String kind, String name, String value) {
        Result r = runWithInput(value, kind, "create", "--label", "env=prod", name, "-");
        assertOk(r);
        return r.out().strip();
    }

    @Test
    void lsIsDockersTableWithRelativeTimesSortedByName() {
        String b = create("secret", "db_pass", VALUE);
        clock.advance(3_600_000);
        String a = create("secret", "api_key", VALUE2);
        clock.advance(120_000);
        runWithInput(VALUE2, "secret", "rotate", "db_pass", "-");
        clock.advance(1_000);
        Result r = run("secret", "ls");
        assertOk(r);
        assertEquals(""
                + "ID                          NAME      DRIVER    CREATED             UPDATED\n"
                + a + "   api_key             2 minutes ago       2 minutes ago\n"
                + b + "   db_pass             About an hour ago   1 second ago\n", r.out());

        assertEquals(a + "\n" + b + "\n", run("secret", "ls", "-q").out());
        assertEquals(b + "\n", run("secret", "ls", "-q", "--filter", "name=db").out());
        assertEquals(a + "\n", run("secret", "ls", "-q", "-f", "id=" + a.substring(0, 24) + "2").out());
        assertEquals(a + "\n" + b + "\n", run("secret", "ls", "-q", "-f", "label=env=prod").out());
        assertEquals("", run("secret", "ls", "-q", "-f", "label=env=dev").out());
        assertEquals("api_key 1 env=prod\ndb_pass 2 env=prod\n",
                run("secret", "ls", "--format", "{{.Name}} {{.Version}} {{.Labels}}").out());
        Result bad = run("secret", "ls", "-f", "driver=x");
        assertEquals(2, bad.code());
        assertTrue(bad.err().startsWith("Error: invalid filter 'driver' (use id, name, label)"), bad.err());

        JsonArray json = JsonParser.parseString(run("secret", "ls", "--format", "json").out()).getAsJsonArray();
        assertEquals(2, json.size());
        assertNoValuePrinted();
    }

    @Test
    void configLsHasNoDriverColumn() {
        String id = create("config", "app.conf", "listen 80\n");
        Result r = run("config", "ls");
        assertOk(r);
        assertEquals(""
                + "ID                          NAME       CREATED                  UPDATED\n"
                + id + "   app.conf   Less than a second ago   Less than a second ago\n", r.out());
    }

    @Test
    void inspectIsJsonWithVersionsButNoValueAndNoSealedBytes() {
        String id = create("secret", "db_pass", VALUE);
        runWithInput(VALUE2, "secret", "rotate", "db_pass", "-");
        Result r = run("secret", "inspect", "db_pass", id.substring(0, 10));
        assertOk(r);
        JsonArray a = JsonParser.parseString(r.out()).getAsJsonArray();
        assertEquals(2, a.size());
        JsonObject s = a.get(0).getAsJsonObject();
        assertEquals(id, s.get("id").getAsString());
        assertEquals("db_pass", s.getAsJsonObject("spec").getAsJsonObject("annotations").get("name").getAsString());
        assertEquals("", s.getAsJsonObject("spec").get("data").getAsString());
        JsonArray versions = s.getAsJsonArray("versions");
        assertEquals(2, versions.size());
        assertEquals("", versions.get(0).getAsJsonObject().get("sealed").getAsString(), "sealed bytes stripped");
        assertEquals(String.valueOf(VALUE2.length()), versions.get(1).getAsJsonObject().get("size").getAsString());

        assertEquals(id + " 2\n", run("secret", "inspect", "--format", "{{.ID}} {{.Version}}", "db_pass").out());
        assertEquals("db_pass 2023-11-14T22:13:20Z\n", run("secret", "inspect", "-f", "{{.Name}} {{.CreatedAt}}", "db_pass").out());
        assertFalse(run("secret", "inspect", "--format", "{{json .}}", "db_pass").out().contains("SEALED"));

        Result missing = run("secret", "inspect", "db_pass", "nope");
        assertEquals(1, missing.code());
        assertEquals("Error: secret nope not found\n", missing.err());
        assertNoValuePrinted();
    }

    @Test
    void inspectPrettyShowsTheFieldsAndTheVersionHistory() {
        String id = create("secret", "db_pass", VALUE);
        clock.advance(7_200_000);
        runWithInput(VALUE2, "secret", "rotate", "db_pass", "-");
        clock.advance(300_000);
        Result r = run("secret", "inspect", "--pretty", "db_pass");
        assertOk(r);
        assertEquals(""
                + "ID:          " + id + "\n"
                + "Name:        db_pass\n"
                + "Labels:\n"
                + " - env=prod\n"
                + "Driver:\n"
                + "Created at:  2023-11-14T22:13:20Z\n"
                + "Updated at:  2023-11-15T00:13:20Z\n"
                + "Versions:\n"
                + " VERSION   CREATED         SIZE\n"
                + " 1         2 hours ago     " + VALUE.length() + "B\n"
                + " 2         5 minutes ago   " + VALUE2.length() + "B\n", r.out());
        assertNoValuePrinted();
    }

    @Test
    void configInspectPrettyShowsTheDataAsDockerDoes() {
        String id = create("config", "app.conf", "listen 80\nworkers 4\n");
        Result r = run("config", "inspect", "--pretty", "app.conf");
        assertOk(r);
        assertEquals(""
                + "ID:          " + id + "\n"
                + "Name:        app.conf\n"
                + "Labels:\n"
                + " - env=prod\n"
                + "Created at:  2023-11-14T22:13:20Z\n"
                + "Updated at:  2023-11-14T22:13:20Z\n"
                + "Versions:\n"
                + " VERSION   CREATED                  SIZE\n"
                + " 1         Less than a second ago   20B\n"
                + "Data:\n"
                + "listen 80\n"
                + "workers 4\n", r.out());
    }

    // ------------------------------------------------------------ rm and rotate

    private Service serviceUsing(String name, String secret, boolean pinned) {
        ServiceSpec.Builder spec = ServiceSpec.newBuilder();
        spec.getAnnotationsBuilder().setName(name);
        spec.getReplicatedBuilder().setReplicas(1);
        spec.getTaskBuilder().getContainerBuilder().setImage("busybox")
                .addSecrets(SecretReference.newBuilder().setSecretName(secret).setVersion(1).setPinned(pinned));
        return fake.putService(Service.newBuilder().setId(fake.newId("svc")).setMeta(Meta.newBuilder().setVersion(1))
                .setSpec(spec).build());
    }

    @Test
    void rmPrintsEachRemovedAndTheServersRefusalForOneInUse() {
        create("secret", "db_pass", VALUE);
        String other = create("secret", "api_key", VALUE2);
        serviceUsing("web", "db_pass", false);
        serviceUsing("api", "db_pass", true);
        Result r = run("secret", "rm", "db_pass", "nope", other);
        assertEquals(1, r.code());
        assertEquals(other + "\n", r.out());
        assertEquals("Error: secret 'db_pass' is in use by the following services: api, web\n"
                + "Error: secret nope not found\n", r.err());
        assertEquals(1, fake.secrets.size());
        assertNoValuePrinted();
    }

    @Test
    void rotatePrintsTheNewVersionAndTheServicesItRolls() {
        String id = create("secret", "db_pass", VALUE);
        serviceUsing("web", "db_pass", false);
        serviceUsing("api", "db_pass", false);
        serviceUsing("pinned", "db_pass", true);
        Result r = runWithInput(VALUE2, "secret", "rotate", "db_pass", "-");
        assertOk(r);
        assertEquals("version 2\nupdated services: api, web\n", r.out());
        assertEquals(id, fake.secretRotations.get(0).getId(), "rotated by ID, resolved from the name");
        assertEquals(VALUE2, fake.secretRotations.get(0).getData().toStringUtf8());

        create("config", "app.conf", "a=1\n");
        Result c = runWithInput("a=2\n", "config", "rotate", "app.conf", "-");
        assertOk(c);
        assertEquals("version 2\nupdated services: none\n", c.out());
        assertNoValuePrinted();
    }

    // ------------------------------------------------------------ services

    @Test
    void serviceCreateTakesSecretsAndConfigsShortAndLong() {
        Result r = run("service", "create", "--detach", "--name", "web",
                "--secret", "db_pass",
                "--secret", "source=api_key@3,target=/etc/api.key,uid=100,gid=101,mode=0400",
                "--secret", "src=tls,target=tls.pem,mode=0o440",
                "--config", "app.conf",
                "--config", "source=nginx@2,target=/etc/nginx.conf,mode=0644",
                "busybox");
        assertOk(r);
        ContainerSpec c = fake.serviceCreates.get(0).getSpec().getTask().getContainer();
        assertEquals(List.of(
                SecretReference.newBuilder().setSecretName("db_pass").setUid("0").setGid("0").setMode(0444).build(),
                SecretReference.newBuilder().setSecretName("api_key").setTarget("/etc/api.key").setUid("100").setGid("101")
                        .setMode(0400).setVersion(3).setPinned(true).build(),
                SecretReference.newBuilder().setSecretName("tls").setTarget("tls.pem").setUid("0").setGid("0").setMode(0440).build()),
                c.getSecretsList());
        assertEquals(List.of(
                ConfigReference.newBuilder().setConfigName("app.conf").setUid("0").setGid("0").setMode(0444).build(),
                ConfigReference.newBuilder().setConfigName("nginx").setTarget("/etc/nginx.conf").setUid("0").setGid("0")
                        .setMode(0644).setVersion(2).setPinned(true).build()),
                c.getConfigsList());
    }

    @Test
    void badSecretAndConfigFlagsAreUsageErrors() {
        for (List<String> flag : List.of(
                List.of("--secret", "source=db@0", "Invalid value for option '--secret' (secret): invalid secret version in 'db@0'"),
                List.of("--secret", "db@x", "invalid secret version in 'db@x'"),
                List.of("--secret", "target=/x", "source is required"),
                List.of("--secret", "source=db,mode=rw", "invalid mode specified: 'rw'"),
                List.of("--secret", "source=db,mode=0999", "invalid mode specified"),
                List.of("--config", "source=c,owner=me", "invalid field in config request: owner"),
                List.of("--config", "source=c,bare", "invalid field 'bare' must be a key=value pair"),
                List.of("--secret", "a,target=/run/x", "invalid field 'a' must be a key=value pair"))) {
            Result r = run("service", "create", "--detach", flag.get(0), flag.get(1), "busybox");
            assertEquals(2, r.code(), flag + ": " + r.err());
            assertTrue(r.err().contains(flag.get(2)), flag + ": " + r.err());
        }
        Result dup = run("service", "create", "--detach", "--secret", "db", "--secret", "source=other,target=db", "busybox");
        assertEquals(2, dup.code());
        assertTrue(dup.err().startsWith("Error: duplicate secret target for other not allowed (/run/secrets/db)"), dup.err());
        assertTrue(fake.calls.isEmpty(), "nothing sent: " + fake.calls);
    }

    @Test
    void fileModesAreReadAsGoReadsThem() {
        assertEquals(0400, FlagValues.fileMode("0400"));
        assertEquals(0440, FlagValues.fileMode("0o440"));
        assertEquals(0x1ff, FlagValues.fileMode("0x1ff"));
        assertEquals(400, FlagValues.fileMode("400"), "decimal, as docker reads it");
        assertEquals(0, FlagValues.fileMode("0"));
    }

    @Test
    void serviceUpdateAddsReplacesAndRemovesSecretsAndConfigs() {
        ServiceSpec.Builder spec = ServiceSpec.newBuilder();
        spec.getAnnotationsBuilder().setName("web");
        spec.getReplicatedBuilder().setReplicas(1);
        spec.getTaskBuilder().getContainerBuilder().setImage("busybox")
                .addSecrets(SecretReference.newBuilder().setSecretId("sec1").setSecretName("db_pass")
                        .setTarget("/run/secrets/db_pass").setUid("0").setGid("0").setMode(0444).setVersion(1))
                .addSecrets(SecretReference.newBuilder().setSecretId("sec2").setSecretName("api_key")
                        .setTarget("/etc/api.key").setUid("0").setGid("0").setMode(0444).setVersion(4))
                .addSecrets(SecretReference.newBuilder().setSecretId("sec3").setSecretName("old")
                        .setTarget("/run/secrets/old").setUid("0").setGid("0").setMode(0444).setVersion(1))
                .addConfigs(ConfigReference.newBuilder().setConfigId("cfg1").setConfigName("app.conf")
                        .setTarget("/app.conf").setUid("0").setGid("0").setMode(0444).setVersion(1));
        fake.putService(Service.newBuilder().setId("svc0000000000000000000077").setMeta(Meta.newBuilder().setVersion(5))
                .setSpec(spec).setSpecVersion(1).build());

        Result r = run("service", "update", "--detach",
                "--secret-add", "source=db_pass@1",          // pins the one at the same target
                "--secret-rm", "/etc/api.key",               // by target
                "--secret-rm", "sec3",                       // by ID
                "--secret-add", "tls",
                "--config-rm", "app.conf",                   // by name
                "--config-add", "source=nginx,target=/etc/nginx.conf",
                "web");
        assertOk(r);
        UpdateServiceRequest q = fake.serviceUpdates.get(0);
        ContainerSpec c = q.getSpec().getTask().getContainer();
        assertEquals(List.of(
                SecretReference.newBuilder().setSecretName("db_pass").setUid("0").setGid("0").setMode(0444).setVersion(1).setPinned(true).build(),
                SecretReference.newBuilder().setSecretName("tls").setUid("0").setGid("0").setMode(0444).build()),
                c.getSecretsList());
        assertEquals(List.of(ConfigReference.newBuilder().setConfigName("nginx").setTarget("/etc/nginx.conf").setUid("0")
                .setGid("0").setMode(0444).build()), c.getConfigsList());

        Result other = run("service", "update", "--detach", "--replicas", "2", "web");
        assertOk(other);
        assertEquals(c.getSecretsList(), fake.serviceUpdates.get(1).getSpec().getTask().getContainer().getSecretsList(),
                "untouched unless asked");
    }

    @Test
    void serviceInspectPrettyListsConfigsAndSecrets() {
        ServiceSpec.Builder spec = ServiceSpec.newBuilder();
        spec.getAnnotationsBuilder().setName("web");
        spec.getReplicatedBuilder().setReplicas(1);
        spec.getTaskBuilder().getContainerBuilder().setImage("busybox")
                .addSecrets(SecretReference.newBuilder().setSecretId("sec1").setSecretName("db_pass").setVersion(2))
                .addSecrets(SecretReference.newBuilder().setSecretId("sec2").setSecretName("api_key").setTarget("/etc/api.key")
                        .setVersion(3).setPinned(true))
                .addConfigs(ConfigReference.newBuilder().setConfigId("cfg1").setConfigName("app.conf").setVersion(1));
        fake.putService(Service.newBuilder().setId("svc0000000000000000000078").setMeta(Meta.newBuilder().setVersion(5))
                .setSpec(spec).build());
        Result r = run("service", "inspect", "--pretty", "web");
        assertOk(r);
        assertTrue(r.out().contains(""
                + "Configs:\n"
                + " Target:        /app.conf\n"
                + "  Source:       app.conf\n"
                + "  Version:      1\n"
                + "Secrets:\n"
                + " Target:        /run/secrets/db_pass\n"
                + "  Source:       db_pass\n"
                + "  Version:      2\n"
                + " Target:        /etc/api.key\n"
                + "  Source:       api_key\n"
                + "  Version:      3 (pinned)\n"), r.out());
    }
}
