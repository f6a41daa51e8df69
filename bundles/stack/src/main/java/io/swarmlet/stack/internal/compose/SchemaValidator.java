package io.swarmlet.stack.internal.compose;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import io.swarmlet.stack.internal.compose.ComposeException.Problem;
import io.swarmlet.stack.internal.compose.YNode.YMap;
import io.swarmlet.stack.internal.compose.YNode.YScalar;
import io.swarmlet.stack.internal.compose.YNode.YSeq;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Validates one file's tree against the bundle's compose schema ({@code compose-schema.json}, written for
 * Swarmlet from the Compose Specification's documented keys) with networknt's validator, and words each
 * violation as Docker does ({@code services.web.deploy Additional property replicase is not allowed},
 * {@code services.web.deploy.replicas must be an integer}) with the file and line of the offending key.
 */
final class SchemaValidator {

    private static final Schema SCHEMA = load();

    private SchemaValidator() {
    }

    private static Schema load() {
        try (InputStream in = SchemaValidator.class.getResourceAsStream("compose-schema.json")) {
            if (in == null) {
                throw new IllegalStateException("compose-schema.json is missing from the bundle");
            }
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7).getSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every violation in the file, sorted by line; empty when the file is valid. */
    static List<Problem> validate(YNode root) {
        List<Error> errors = SCHEMA.validate(toJson(root));
        Set<String> pathsWithUnknownKeys = new HashSet<>();
        for (Error e : errors) {
            if ("additionalProperties".equals(e.getKeyword())) {
                pathsWithUnknownKeys.add(path(e.getInstanceLocation()));
            }
        }
        Set<Problem> problems = new LinkedHashSet<>();
        for (Error e : errors) {
            String path = path(e.getInstanceLocation());
            if ("required".equals(e.getKeyword()) && pathsWithUnknownKeys.contains(path)) {
                continue; // "Additional property data is not allowed" says it better than "type is required"
            }
            YNode at = root;
            Loc loc = root.loc();
            for (int i = 0; i < e.getInstanceLocation().getNameCount(); i++) {
                Object el = e.getInstanceLocation().getElement(i);
                if (at instanceof YMap m && m.get(String.valueOf(el)) != null) {
                    loc = m.keyLoc(String.valueOf(el));
                    at = m.get(String.valueOf(el));
                } else if (at instanceof YSeq s && el instanceof Integer idx && idx < s.items().size()) {
                    at = s.items().get(idx);
                    loc = at.loc();
                }
            }
            if ("additionalProperties".equals(e.getKeyword()) && at instanceof YMap m && e.getProperty() != null) {
                loc = m.keyLoc(e.getProperty());
            }
            problems.add(new Problem(loc.file(), loc.line(), (path.isEmpty() ? "(root)" : path) + " " + describe(e, at)));
        }
        List<Problem> sorted = new ArrayList<>(problems);
        sorted.sort(Comparator.comparingInt(Problem::line));
        return sorted;
    }

    private static String describe(Error e, YNode at) {
        switch (e.getKeyword()) {
            case "additionalProperties":
                return "Additional property " + e.getProperty() + " is not allowed";
            case "type":
                return "must be " + article(humanTypes(e.getSchemaNode()));
            case "required":
                return e.getProperty() + " is required";
            case "enum":
                return "must be one of the following: " + stream(e.getSchemaNode()).stream()
                        .map(n -> "\"" + n.asString() + "\"").collect(Collectors.joining(", "));
            case "minimum":
                return "must be greater than or equal to " + e.getSchemaNode().asString();
            case "maximum":
                return "must be less than or equal to " + e.getSchemaNode().asString();
            case "uniqueItems":
                return "must not contain duplicate items";
            default:
                return e.getMessage().replaceFirst("^\\S+: ", "");
        }
    }

    private static List<JsonNode> stream(JsonNode n) {
        List<JsonNode> out = new ArrayList<>();
        if (n != null && n.isArray()) {
            n.forEach(out::add);
        } else if (n != null) {
            out.add(n);
        }
        return out;
    }

    private static String humanTypes(JsonNode type) {
        List<String> names = stream(type).stream().map(t -> human(t.asString())).collect(Collectors.toList());
        if (names.size() <= 1) {
            return names.isEmpty() ? "valid value" : names.get(0);
        }
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }

    private static String human(String type) {
        switch (type) {
            case "object":
                return "mapping";
            case "array":
                return "list";
            default:
                return type;
        }
    }

    private static String article(String noun) {
        return ("aeiou".indexOf(noun.charAt(0)) >= 0 ? "an " : "a ") + noun;
    }

    static String path(NodePath p) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < p.getNameCount(); i++) {
            parts.add(String.valueOf(p.getElement(i)));
        }
        return String.join(".", parts);
    }

    static JsonNode toJson(YNode n) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (n instanceof YMap m) {
            ObjectNode o = f.objectNode();
            m.entries().forEach((k, e) -> o.set(k, toJson(e.value())));
            return o;
        }
        if (n instanceof YSeq s) {
            ArrayNode a = f.arrayNode();
            s.items().forEach(i -> a.add(toJson(i)));
            return a;
        }
        Object v = ((YScalar) n).value();
        if (v == null) {
            return f.nullNode();
        }
        if (v instanceof Long l) {
            return f.numberNode(l.longValue());
        }
        if (v instanceof Double d) {
            return f.numberNode(d.doubleValue());
        }
        if (v instanceof Boolean b) {
            return f.booleanNode(b);
        }
        return f.stringNode(v.toString());
    }
}
