package io.swarmlet.itests;

import io.swarmlet.api.testing.FreePorts;
import static io.swarmlet.itests.ClusterIT.await;
import static io.swarmlet.itests.ClusterIT.docker;
import static io.swarmlet.itests.ClusterIT.lines;
import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.swarmlet.itests.ClusterIT.Member;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The web console in a real browser: Debian's chromium, headless, driven by
 * Selenium through the system chromedriver (nothing downloaded), against a
 * manager and two workers (swarmletd on 127.0.0.61–.63, the manager serving
 * {@code --listen-http} on its own address) running real containers. The page
 * follows the cluster live, without reloading: a killed container's card
 * changes and its replacement appears, a killed worker's column turns red; it
 * scales a service with a token from {@code swarmlet web token} and shows the
 * refusal without one; {@code /metrics} parses as Prometheus text and its task
 * counts follow the cluster. Saves target/web-console.png (the README's picture).
 * Tests run in order on one cluster; waits poll with deadlines.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebIT {

    static final String IMAGE = ServiceEndToEndIT.IMAGE_1;
    static final String CHROMIUM = System.getProperty("swarmlet.chromium", "/usr/bin/chromium");
    static final String CHROMEDRIVER = System.getProperty("webdriver.chrome.driver", "/usr/bin/chromedriver");
    /** Where the test leaves its screenshot (docs/web-console.png is a copy of one). */
    static final Path SCREENSHOT = Path.of("target/web-console.png");
    /** Set on the page once; a reload would lose it. */
    static final String MARK = "window.__webItMark";

    static Path root;
    static final Map<String, Member> nodes = new LinkedHashMap<>();
    static volatile boolean anyFailed;
    static final Map<String, String> figures = new TreeMap<>();
    static ChromeDriver browser;
    static HttpClient http;
    static String base;

    @RegisterExtension
    static final TestWatcher WATCHER = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            anyFailed = true;
            saveScreenshot(Path.of("target/web-console-failed-" + context.getDisplayName().replaceAll("\\W", "") + ".png"));
        }
    };

    @BeforeAll
    static void formClusterAndOpenTheBrowser() throws Exception {
        Dist.requireDistributionAndImages(IMAGE);
        assertTrue(Files.isExecutable(Path.of(CHROMIUM)) && Files.isExecutable(Path.of(CHROMEDRIVER)),
                "missing " + CHROMIUM + " or " + CHROMEDRIVER + ": run .ci/setup-host.sh (Debian's chromium and chromium-driver)");
        root = Files.createTempDirectory(Path.of("/tmp"), "swl-web-");
        nodes.put("m1", new Member(root, "web-m1", "127.0.0.61").withHttp(FreePorts.next()));
        nodes.put("w1", new Member(root, "web-w1", "127.0.0.62"));
        nodes.put("w2", new Member(root, "web-w2", "127.0.0.63"));
        ClusterIT.formManagerAndWorkers(nodes);
        Member m1 = nodes.get("m1");
        assertTrue(java.nio.file.Files.readString(m1.out).contains("web console at " + m1.httpUrl() + "/"),
                "the ready line says where the console is:\n" + Files.readString(m1.out));
        base = m1.httpUrl();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        List<String> create = new ArrayList<>(List.of("service", "create", "--detach", "--name", "web", "--replicas", "3"));
        create.addAll(List.of(MeshIT.HTTPD));
        create.add(IMAGE);
        create.addAll(List.of(MeshIT.HTTPD_CMD));
        m1.ok(create.toArray(String[]::new));
        ClusterIT.awaitReplicas(m1, "web", "3/3");
        m1.ok("service", "create", "--detach", "--name", "cache", "--replicas", "2", IMAGE, "sleep", "86400");
        ClusterIT.awaitReplicas(m1, "cache", "2/2");

        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        // root in a container: no sandbox; a small /dev/shm: use /tmp
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1440,900", "--lang=en-US");
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    }

    @AfterAll
    static void closeBrowserAndStopCluster() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        ClusterIT.stopAndClean("WebIT", root, nodes.values(), anyFailed, figures);
    }

    // ------------------------------------------------------------ helpers

    /** A task card as the page shows it. */
    record Card(String taskId, String service, String state, String desiredState, String nodeId, boolean ended) {}

    static Object js(String script, Object... args) {
        return browser.executeScript(script, args);
    }

    @SuppressWarnings("unchecked")
    static List<Card> cards() {
        List<List<Object>> raw = (List<List<Object>>) js("return [...document.querySelectorAll('.task-card')].map(c =>"
                + " [c.dataset.taskId || '', c.dataset.service || '', c.dataset.state || '', c.dataset.desiredState || '',"
                + " c.dataset.nodeId || '', c.dataset.ended === 'true' || c.classList.contains('ended')]);");
        return raw.stream().map(r -> new Card((String) r.get(0), (String) r.get(1), (String) r.get(2), (String) r.get(3),
                (String) r.get(4), (Boolean) r.get(5))).toList();
    }

    /**
     * The service's cards of tasks that run and are meant to (a down node's tasks keep their last
     * state, running, once told to shut down: the page shows them as service ps does).
     */
    static List<Card> running(String service) {
        return cards().stream().filter(c -> c.service().equals(service) && c.state().equals("running")
                && c.desiredState().equals("running") && !c.ended()).toList();
    }

    /** The node columns: hostname -> [node ID, "down" or "up", status]. */
    @SuppressWarnings("unchecked")
    static Map<String, List<String>> columns() {
        List<List<Object>> raw = (List<List<Object>>) js("return [...document.querySelectorAll('.node-column')].map(c =>"
                + " [c.dataset.hostname || '', c.dataset.nodeId || '', c.classList.contains('node-down') ? 'down' : 'up',"
                + " c.dataset.status || '']);");
        Map<String, List<String>> m = new TreeMap<>();
        for (List<Object> r : raw) {
            m.put((String) r.get(0), List.of((String) r.get(1), (String) r.get(2), (String) r.get(3)));
        }
        return m;
    }

    static boolean stillTheSamePage() {
        return Boolean.TRUE.equals(js("return " + MARK + " === true;"));
    }

    static void saveScreenshot(Path to) {
        if (browser == null) {
            return;
        }
        try {
            Files.createDirectories(to.toAbsolutePath().getParent());
            Files.write(to, browser.getScreenshotAs(OutputType.BYTES));
        } catch (Exception e) {
            System.err.println("WebIT: no screenshot " + to + ": " + e);
        }
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String path, String json, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String message(HttpResponse<String> r) {
        JsonElement e = JsonParser.parseString(r.body());
        return e.isJsonObject() && e.getAsJsonObject().has("message") ? e.getAsJsonObject().get("message").getAsString() : "";
    }

    static List<PrometheusText.Sample> scrape() throws Exception {
        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode(), r.body());
        String type = r.headers().firstValue("Content-Type").orElse("");
        assertTrue(type.startsWith("text/plain") && type.contains("version=0.0.4"), type);
        return PrometheusText.parse(r.body());
    }

    static double tasks(List<PrometheusText.Sample> samples, String service, String state) {
        return PrometheusText.sum(samples, "swarmlet_tasks", Map.of("service", service, "state", state));
    }

    static int serviceReplicas(Member on, String service) throws Exception {
        String json = on.ok("service", "inspect", service).out();
        JsonElement e = JsonParser.parseString(json);
        JsonObject s = (e.isJsonArray() ? e.getAsJsonArray().get(0) : e).getAsJsonObject();
        return s.getAsJsonObject("spec").getAsJsonObject("replicated").get("replicas").getAsInt();
    }

    /** Types into an input as a user does (the page learns of it through its input events). */
    static void type(String selector, String text) {
        WebElement e = browser.findElement(By.cssSelector(selector));
        e.clear();
        e.sendKeys(text);
    }

    /** Clicks the page's button and says yes to the confirmation it asks. */
    static void clickAndConfirm(String selector) throws Exception {
        browser.findElement(By.cssSelector(selector)).click();
        Alert confirm = await("the confirmation dialog", 10, () -> {
            try {
                return browser.switchTo().alert();
            } catch (org.openqa.selenium.NoAlertPresentException e) {
                return null;
            }
        }, a -> a != null);
        figures.put("confirmation: " + selector, confirm.getText());
        confirm.accept();
    }

    // ------------------------------------------------------------ tests

    @Test
    @Order(1)
    void thePageShowsEveryNodeAndTheRunningTasks() throws Exception {
        HttpResponse<String> nodesJson = get("/api/v1/nodes");
        assertEquals(200, nodesJson.statusCode(), nodesJson.body());
        JsonArray apiNodes = JsonParser.parseString(nodesJson.body()).getAsJsonArray();
        assertEquals(3, apiNodes.size(), nodesJson.body());

        long t0 = System.nanoTime();
        browser.get(base + "/");
        Map<String, List<String>> cols = await("3 node columns", 30, WebIT::columns, c -> c.size() == 3);
        figures.put("page load -> 3 columns (ms)", Long.toString((System.nanoTime() - t0) / 1_000_000));
        Map<String, String> ids = new TreeMap<>();
        nodes.values().forEach(m -> ids.put(m.name, m.nodeId));
        assertEquals(ids, cols.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get(0),
                (a, b) -> a, TreeMap::new)), "one column per node, by hostname");
        assertTrue(cols.values().stream().allMatch(c -> c.get(1).equals("up")), "no column is down: " + cols);
        List<Card> web = await("3 running cards of web", 30, () -> running("web"), c -> c.size() == 3);
        assertEquals(Set.copyOf(ids.values()), web.stream().map(Card::nodeId).collect(Collectors.toSet()),
                "one web task on each node (the scheduler spreads): " + web);
        await("2 running cards of cache", 30, () -> running("cache"), c -> c.size() == 2);
        js(MARK + " = true;");
        saveScreenshot(SCREENSHOT);
        assertTrue(Files.size(SCREENSHOT) > 10_000, "a screenshot with something in it");
    }

    @Test
    @Order(2)
    void aKilledContainersCardChangesAndItsReplacementAppearsWithoutReload() throws Exception {
        List<Card> before = await("3 running cards of web", 30, () -> running("web"), c -> c.size() == 3);
        Card victim = before.stream().filter(c -> c.nodeId().equals(nodes.get("w1").nodeId)).findFirst().orElseThrow();
        List<String> container = lines(docker("ps", "-q", "--filter", "label=com.docker.swarm.task.id=" + victim.taskId())
                .out());
        assertEquals(1, container.size(), "the container of task " + victim.taskId());
        long killed = System.nanoTime();
        assertEquals(0, docker("kill", container.get(0)).exit());
        await("the killed task's card to leave running", 20, WebIT::cards, cs -> cs.stream()
                .noneMatch(c -> c.taskId().equals(victim.taskId()) && c.state().equals("running") && !c.ended()));
        figures.put("docker kill -> card changed (ms)", Long.toString((System.nanoTime() - killed) / 1_000_000));
        Set<String> old = before.stream().map(Card::taskId).collect(Collectors.toSet());
        List<Card> after = await("a new running card of web", 60, () -> running("web"),
                c -> c.size() == 3 && c.stream().anyMatch(x -> !old.contains(x.taskId())));
        figures.put("docker kill -> replacement card running (ms)", Long.toString((System.nanoTime() - killed) / 1_000_000));
        assertEquals(2, after.stream().filter(c -> old.contains(c.taskId())).count(), "the other two stay: " + after);
        assertTrue(stillTheSamePage(), "the page was not reloaded");
    }

    @Test
    @Order(3)
    void aKilledWorkersColumnTurnsRed() throws Exception {
        Member w2 = nodes.get("w2");
        long killed = System.nanoTime();
        w2.kill();
        Map<String, List<String>> cols = await("w2's column marked down", 60, WebIT::columns,
                c -> c.containsKey(w2.name) && c.get(w2.name).get(1).equals("down"));
        figures.put("worker kill -> column down (ms)", Long.toString((System.nanoTime() - killed) / 1_000_000));
        assertEquals("up", cols.get(nodes.get("m1").name).get(1));
        assertEquals("up", cols.get(nodes.get("w1").name).get(1));
        String red = (String) js("return getComputedStyle(document.querySelector('.node-column.node-down')).borderTopColor"
                + " + ' ' + getComputedStyle(document.querySelector('.node-column.node-down .node-head')).backgroundColor;");
        figures.put("down column colours", red);
        assertTrue(stillTheSamePage(), "the page was not reloaded");
    }

    @Test
    @Order(4)
    void scalingFromThePageWithATokenChangesTheReplicas() throws Exception {
        Member m1 = nodes.get("m1");
        String token = m1.ok("web", "token", "-q").out().trim();
        assertTrue(token.matches("SWLWEB-1-[a-z0-9]{8,}-[A-Za-z0-9_=]+"), "a web token: " + token.replaceAll("-[^-]+$", "-…"));
        js("location.hash = '#/services/web';"); // as the card's link does: no reload
        await("the service page", 30, () -> browser.findElement(By.id("scale-input")).isDisplayed(), d -> d);
        type("#token-input", token);
        browser.findElement(By.id("token-save")).click();
        await("the token saved", 10, () -> js("return document.getElementById('token-form').dataset.token;"),
                "set"::equals);
        type("#scale-input", "5");
        clickAndConfirm("#scale-button");
        ClusterIT.awaitReplicas(m1, "web", "5/5");
        assertEquals(5, serviceReplicas(m1, "web"));
        assertTrue(Boolean.TRUE.equals(js("return document.getElementById('error').hidden;")),
                "no error shown: " + js("return document.getElementById('error-text').textContent;"));
        // the services page and the cluster view follow, without a reload
        browser.findElement(By.id("nav-services")).click();
        await("web 5/5 on the services page", 30, () -> js("const r = document.querySelector("
                + "'tr.service-row[data-service=web] td.replicas'); return r ? r.textContent : '';"), "5/5"::equals);
        browser.findElement(By.id("nav-cluster")).click();
        await("5 running cards of web", 60, () -> running("web"), c -> c.size() == 5);
        assertTrue(stillTheSamePage(), "the page was not reloaded");
    }

    @Test
    @Order(5)
    void withoutATokenThePageShowsTheRefusalAndNothingChanges() throws Exception {
        Member m1 = nodes.get("m1");
        browser.findElement(By.id("token-clear")).click();
        await("the token forgotten", 10, () -> js("return document.getElementById('token-form').dataset.token;"),
                "none"::equals);
        js("location.hash = '#/services/web';");
        await("the service page", 30, () -> browser.findElement(By.id("scale-input")).isDisplayed(), d -> d);
        type("#scale-input", "2");
        clickAndConfirm("#scale-button");
        String shown = await("the refusal in #error", 20,
                () -> (String) js("const e = document.getElementById('error');"
                        + " return e.hidden ? '' : e.dataset.status + ' ' + document.getElementById('error-text').textContent;"),
                s -> !s.isEmpty());
        figures.put("refusal shown", shown);
        assertTrue(shown.startsWith("401 "), shown);
        assertTrue(shown.length() > 10, "says what to do: " + shown);
        assertEquals(5, serviceReplicas(m1, "web"), "replicas unchanged");
        ClusterIT.awaitReplicas(m1, "web", "5/5");

        // the API itself: no token 401, a wrong one 403, another site's page 403
        String body = "{\"replicas\": 2}";
        assertEquals(401, post("/api/v1/services/web/scale", body, Map.of()).statusCode());
        HttpResponse<String> wrong = post("/api/v1/services/web/scale", body,
                Map.of("Authorization", "Bearer SWLWEB-1-nosuchid-" + "a".repeat(52)));
        assertEquals(403, wrong.statusCode(), wrong.body());
        assertFalse(message(wrong).isEmpty(), "a message: " + wrong.body());
        String token = m1.ok("web", "token", "-q").out().trim();
        HttpResponse<String> foreign = post("/api/v1/services/web/scale", body,
                Map.of("Authorization", "Bearer " + token, "Origin", "http://evil.example"));
        assertEquals(403, foreign.statusCode(), foreign.body());
        assertEquals(5, serviceReplicas(m1, "web"), "replicas still unchanged");
        // a rotated token ends the earlier ones
        String rotated = m1.ok("web", "token", "--rotate", "-q").out().trim();
        assertEquals(403, post("/api/v1/services/web/scale", body, Map.of("Authorization", "Bearer " + token)).statusCode());
        HttpResponse<String> ok = post("/api/v1/services/cache/scale", "{\"replicas\": 3}",
                Map.of("Authorization", "Bearer " + rotated));
        assertEquals(200, ok.statusCode(), ok.body());
        ClusterIT.awaitReplicas(m1, "cache", "3/3");
    }

    @Test
    @Order(6)
    void metricsParseAsPrometheusTextAndFollowTheTasks() throws Exception {
        Member m1 = nodes.get("m1");
        List<PrometheusText.Sample> samples = await("5 running web tasks in /metrics", 30, WebIT::scrape,
                s -> tasks(s, "web", "running") == 5);
        Set<String> names = new HashSet<>();
        samples.forEach(s -> names.add(s.name()));
        figures.put("metric families", Integer.toString(names.size()));
        assertTrue(PrometheusText.sum(samples, "swarmlet_nodes", Map.of("status", "down")) >= 1, "w2 is down: "
                + samples.stream().filter(s -> s.name().equals("swarmlet_nodes")).toList());
        assertTrue(names.stream().anyMatch(n -> n.startsWith("jvm_")), "JVM metrics: " + names);

        m1.ok("service", "scale", "--detach", "web=4");
        await("4 running web tasks in /metrics", 60, WebIT::scrape, s -> tasks(s, "web", "running") == 4);
        int cache = serviceReplicas(m1, "cache");
        ClusterIT.awaitReplicas(m1, "cache", cache + "/" + cache);
        List<PrometheusText.Sample> before = await(cache + " running cache tasks in /metrics", 30, WebIT::scrape,
                s -> tasks(s, "cache", "running") == cache);
        double errored = PrometheusText.sum(before, "swarmlet_tasks_errored", Map.of("service", "cache"));
        List<String> container = lines(docker("ps", "-q", "--filter", "label=com.docker.swarm.service.name=cache").out());
        assertFalse(container.isEmpty());
        assertEquals(0, docker("kill", container.get(0)).exit());
        List<PrometheusText.Sample> afterKill = await("the killed cache task counted as failed, its replacement running",
                60, WebIT::scrape, s -> tasks(s, "cache", "running") == cache
                        && PrometheusText.sum(s, "swarmlet_tasks_errored", Map.of("service", "cache")) > errored);
        figures.put("cache tasks errored", Double.toString(PrometheusText.sum(afterKill, "swarmlet_tasks_errored",
                Map.of("service", "cache"))));
    }
}
