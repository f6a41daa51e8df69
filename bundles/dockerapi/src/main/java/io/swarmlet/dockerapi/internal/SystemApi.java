package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmlet.api.types.VersionRequest;
import io.swarmlet.api.types.VersionResponse;

/**
 * {@code /_ping} and {@code /version}: what a client asks first. The ping's
 * {@code Api-Version} header (set on every answer) is what the docker CLI negotiates
 * down to: 1.41.
 */
final class SystemApi implements Router.Group {

    private final String version;

    SystemApi(String version) {
        this.version = version;
    }

    @Override
    public void register(Router r) {
        r.get("/_ping", c -> new Router.Text(200, "OK"));
        r.head("/_ping", c -> new Router.Text(200, "OK"));
        r.get("/version", this::version);
    }

    private ObjectNode version(Call c) {
        VersionResponse v = c.api().version(VersionRequest.getDefaultInstance());
        String version = v.getVersion().isEmpty() ? this.version : v.getVersion();
        String os = System.getProperty("os.name", "linux").toLowerCase(java.util.Locale.ROOT);
        String arch = goArch(System.getProperty("os.arch", "amd64"));
        ObjectNode o = Json.object();
        o.putObject("Platform").put("Name", "Swarmlet " + version);
        ObjectNode engine = o.putArray("Components").addObject();
        engine.put("Name", "Engine").put("Version", version);
        engine.putObject("Details").put("ApiVersion", Router.API_VERSION_TEXT).put("MinAPIVersion", Router.MIN_API_VERSION_TEXT)
                .put("GitCommit", v.getGitCommit()).put("GoVersion", "java" + v.getJavaVersion()).put("Os", os).put("Arch", arch)
                .put("KernelVersion", System.getProperty("os.version", "")).put("Experimental", "false");
        o.put("Version", version).put("ApiVersion", Router.API_VERSION_TEXT).put("MinAPIVersion", Router.MIN_API_VERSION_TEXT)
                .put("GitCommit", v.getGitCommit()).put("GoVersion", "java" + v.getJavaVersion()).put("Os", os).put("Arch", arch)
                .put("KernelVersion", System.getProperty("os.version", "")).put("BuildTime", "");
        return o;
    }

    /** The JVM's architecture in Go's words (amd64, arm64). */
    static String goArch(String javaArch) {
        return switch (javaArch) {
            case "x86_64", "amd64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> javaArch;
        };
    }
}
