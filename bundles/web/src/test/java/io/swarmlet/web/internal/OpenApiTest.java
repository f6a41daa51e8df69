package io.swarmlet.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** The contract the page and the tests rely on is valid YAML and lists exactly what the server serves. */
class OpenApiTest {

    @Test
    @SuppressWarnings("unchecked")
    void theContractParsesAndNamesEveryPath() throws Exception {
        Map<String, Object> doc;
        try (InputStream in = WebConsole.class.getClassLoader().getResourceAsStream("static/openapi.yaml")) {
            assertNotNull(in, "static/openapi.yaml in the bundle");
            doc = (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromInputStream(in);
        }
        assertEquals("3.0.3", doc.get("openapi"));
        Set<String> paths = new TreeSet<>(((Map<String, Object>) doc.get("paths")).keySet());
        assertEquals(new TreeSet<>(List.of("/api/v1/cluster", "/api/v1/nodes", "/api/v1/services", "/api/v1/services/{id}",
                "/api/v1/services/{id}/scale", "/api/v1/services/{id}/rollback", "/api/v1/services/{id}/logs",
                "/api/v1/nodes/{id}/availability", "/api/v1/tasks", "/api/v1/events", "/metrics")), paths);
        Map<String, Object> schemas = (Map<String, Object>) ((Map<String, Object>) doc.get("components")).get("schemas");
        Map<String, Object> service = (Map<String, Object>) ((Map<String, Object>) schemas.get("Service")).get("properties");
        assertEquals(Set.of("id", "name", "stack", "mode", "desired", "running", "image", "ports", "updateState",
                "updateMessage", "createdAt", "updatedAt", "labels"), service.keySet(), "as Views.service writes them");
    }
}
