package io.swarmlet.stack.internal.compose;

import io.swarmlet.stack.internal.compose.YNode.YMap;
import io.swarmlet.stack.internal.compose.YNode.YScalar;
import io.swarmlet.stack.internal.compose.YNode.YSeq;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.ConstructNode;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.resolver.ScalarResolver;
import org.snakeyaml.engine.v2.schema.CoreSchema;
import org.snakeyaml.engine.v2.schema.Schema;

/**
 * Reads one compose file into a {@link YNode} tree: SnakeYAML Engine composes the node graph (anchors and
 * aliases, YAML 1.2 core schema, marks); this class expands the aliases, resolves the YAML 1.1 merge keys
 * ({@code <<: *base}, {@code <<: [*a, *b]}: explicit keys win, then earlier maps of the list) and refuses
 * duplicate keys, as Docker's YAML parser does.
 */
final class YamlReader {

    private static final CoreSchema CORE = new CoreSchema();
    /**
     * The YAML 1.2 core schema, except that {@code <<} stays a plain string: SnakeYAML Engine would
     * otherwise merge in its composer, and we resolve merge keys here, with Docker's rules and our messages.
     */
    private static final Schema SCHEMA = new Schema() {
        @Override
        public ScalarResolver getScalarResolver() {
            return (value, implicit) -> {
                Tag tag = CORE.getScalarResolver().resolve(value, implicit);
                return Tag.MERGE.equals(tag) ? Tag.STR : tag;
            };
        }

        @Override
        public Map<Tag, ConstructNode> getSchemaTagConstructors() {
            return CORE.getSchemaTagConstructors();
        }
    };
    private static final String MERGE = "<<";

    private final String file;
    private final Set<Node> inProgress = Collections.newSetFromMap(new IdentityHashMap<>());

    private YamlReader(String file) {
        this.file = file;
    }

    /** The file's root node: an empty mapping for an empty file. */
    static YNode read(ComposeFile source) {
        YamlReader reader = new YamlReader(source.name());
        LoadSettings settings = LoadSettings.builder()
                .setLabel(source.name())
                .setSchema(SCHEMA)
                .setAllowDuplicateKeys(true) // checked here, with Docker's message
                .setMaxAliasesForCollections(200)
                .setCodePointLimit(8 * 1024 * 1024)
                .build();
        Optional<Node> root;
        try {
            root = new Compose(settings).composeString(source.text());
        } catch (MarkedYamlEngineException e) {
            int line = e.getProblemMark().map(m -> m.getLine() + 1).orElse(0);
            String what = e.getProblem();
            if (e.getContext() != null && !e.getContext().isBlank()) {
                what = e.getContext() + ": " + what;
            }
            throw new ComposeException(new Loc(source.name(), line), "invalid YAML: " + what);
        } catch (YamlEngineException e) {
            throw new ComposeException(new Loc(source.name(), 0), "invalid YAML: " + e.getMessage());
        }
        if (root.isEmpty()) {
            return new YMap(new Loc(source.name(), 1));
        }
        return reader.convert(root.get());
    }

    private Loc loc(Node n) {
        return new Loc(file, n.getStartMark().map(Mark::getLine).orElse(0) + 1);
    }

    private YNode convert(Node node) {
        if (node instanceof ScalarNode s) {
            return new YScalar(loc(s), typed(s.getValue(), s.getTag()), s.isPlain());
        }
        if (!inProgress.add(node)) {
            throw new ComposeException(loc(node), "invalid YAML: recursive alias");
        }
        try {
            if (node instanceof SequenceNode seq) {
                YSeq out = new YSeq(loc(seq));
                for (Node item : seq.getValue()) {
                    out.items().add(convert(item));
                }
                return out;
            }
            return convertMap((MappingNode) node);
        } finally {
            inProgress.remove(node);
        }
    }

    private YMap convertMap(MappingNode node) {
        YMap explicit = new YMap(loc(node));
        List<YMap> merged = new ArrayList<>();
        for (NodeTuple t : node.getValue()) {
            Node keyNode = t.getKeyNode();
            if (!(keyNode instanceof ScalarNode keyScalar)) {
                throw new ComposeException(loc(keyNode), "invalid YAML: a mapping key must be a scalar");
            }
            String key = keyScalar.getValue();
            if (MERGE.equals(key) && keyScalar.isPlain()) {
                Node v = t.getValueNode();
                if (v instanceof MappingNode m) {
                    merged.add(convertMap(m));
                } else if (v instanceof SequenceNode s && s.getValue().stream().allMatch(i -> i instanceof MappingNode)) {
                    for (Node i : s.getValue()) {
                        merged.add(convertMap((MappingNode) i));
                    }
                } else {
                    throw new ComposeException(loc(v), "invalid YAML: map merge requires map or sequence of maps as the value");
                }
                continue;
            }
            if (explicit.entries().containsKey(key)) {
                throw new ComposeException(loc(keyNode), "invalid YAML: mapping key \"" + key
                        + "\" already defined at line " + explicit.keyLoc(key).line());
            }
            explicit.put(key, loc(keyNode), convert(t.getValueNode()));
        }
        if (merged.isEmpty()) {
            return explicit;
        }
        YMap out = new YMap(explicit.loc());
        for (YMap m : merged) {
            m.entries().forEach(out.entries()::putIfAbsent);
        }
        explicit.entries().forEach((k, e) -> {
            out.entries().remove(k);
            out.entries().put(k, e);
        });
        return out;
    }

    /** The value of a scalar as the YAML 1.2 core schema types it. */
    static Object typed(String text, Tag tag) {
        try {
            if (Tag.NULL.equals(tag)) {
                return null;
            }
            if (Tag.BOOL.equals(tag)) {
                return Boolean.valueOf(text.toLowerCase(java.util.Locale.ROOT));
            }
            if (Tag.INT.equals(tag)) {
                String t = text.startsWith("+") ? text.substring(1) : text;
                if (t.startsWith("0x")) {
                    return Long.parseLong(t.substring(2), 16);
                }
                if (t.startsWith("0o")) {
                    return Long.parseLong(t.substring(2), 8);
                }
                if (t.length() > 1 && t.startsWith("0") && t.chars().allMatch(c -> c >= '0' && c <= '7')) {
                    return Long.parseLong(t, 8); // YAML 1.1 octal, as Docker reads "mode: 0440"
                }
                return Long.parseLong(t);
            }
            if (Tag.FLOAT.equals(tag)) {
                String t = text.toLowerCase(java.util.Locale.ROOT);
                if (t.endsWith(".inf")) {
                    return t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                }
                if (t.equals(".nan")) {
                    return Double.NaN;
                }
                return Double.parseDouble(text);
            }
        } catch (NumberFormatException e) {
            return text; // out of range: keep the text, the schema names the key
        }
        return text;
    }

    /** The value a plain scalar written as {@code text} would have (after interpolation). */
    static Object resolvePlain(String text) {
        return typed(text, CORE.getScalarResolver().resolve(text, true));
    }
}
