package io.swarmlet.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * A features file in Apache Karaf's XML format, read without Karaf: the
 * features, the features each one needs, and the bundles each one names as
 * {@code mvn:groupId/artifactId/version[/type[/classifier]]}. A distribution
 * keeps the jars flat by file name ({@code artifactId-version[-classifier].type}),
 * so a bundle URI maps to one file name ({@link #fileName}).
 *
 * <p>Supported: {@code <features name>}, {@code <feature name [description]>},
 * nested {@code <feature>NAME</feature>} (a prerequisite feature, whatever its
 * {@code version} attribute), {@code <bundle [start="false"]>}. Other
 * elements (configuration, conditional, capability) are refused, so a file
 * never means more than the launcher does.
 */
final class Features {

    /** A bundle of a feature. */
    record FeatureBundle(String uri, boolean start) {
        String fileName() {
            return Features.fileName(uri);
        }
    }

    /** A feature: the features it needs first, then its own bundles. */
    record Feature(String name, String description, List<String> needs, List<FeatureBundle> bundles) {}

    private final String name;
    private final Map<String, Feature> features;

    Features(String name, Map<String, Feature> features) {
        this.name = name;
        this.features = Collections.unmodifiableMap(new LinkedHashMap<>(features));
    }

    String name() {
        return name;
    }

    Map<String, Feature> all() {
        return features;
    }

    /** Reads a features file; a malformed one is a {@link StartupException} naming the file. */
    static Features read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        } catch (IOException e) {
            throw new StartupException("cannot read the features file " + file + ": " + Daemon.reason(e));
        }
    }

    static Features parse(InputStream in, String source) {
        Document doc;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            doc = b.parse(in);
        } catch (SAXException e) {
            throw new StartupException("the features file " + source + " is not valid XML: " + Daemon.oneLine(e));
        } catch (ParserConfigurationException | IOException e) {
            throw new StartupException("cannot read the features file " + source + ": " + Daemon.oneLine(e));
        }
        Element root = doc.getDocumentElement();
        if (!"features".equals(local(root))) {
            throw new StartupException("the features file " + source + " must have <features> as its root element, not <"
                    + local(root) + ">");
        }
        Map<String, Feature> features = new LinkedHashMap<>();
        for (Element fe : children(root)) {
            if ("repository".equals(local(fe))) {
                throw new StartupException("the features file " + source + ": <repository> is not supported; give the"
                        + " distribution every features file instead (they are merged)");
            }
            if (!"feature".equals(local(fe))) {
                throw new StartupException("the features file " + source + ": unsupported element <" + local(fe) + ">");
            }
            String fname = fe.getAttribute("name").trim();
            if (fname.isEmpty()) {
                throw new StartupException("the features file " + source + " has a <feature> without a name");
            }
            List<String> needs = new ArrayList<>();
            List<FeatureBundle> bundles = new ArrayList<>();
            for (Element c : children(fe)) {
                String text = c.getTextContent().trim();
                switch (local(c)) {
                    case "feature" -> needs.add(text);
                    case "bundle" -> {
                        fileName(text, source, fname); // checks the URI
                        bundles.add(new FeatureBundle(text, !"false".equalsIgnoreCase(c.getAttribute("start").trim())));
                    }
                    case "details" -> { }
                    default -> throw new StartupException("the features file " + source + ": feature " + fname
                            + " has an unsupported element <" + local(c) + ">");
                }
            }
            if (features.put(fname, new Feature(fname, fe.getAttribute("description").trim(), List.copyOf(needs),
                    List.copyOf(bundles))) != null) {
                throw new StartupException("the features file " + source + " defines feature " + fname + " twice");
            }
        }
        return new Features(root.getAttribute("name").trim(), features);
    }

    /** Several files as one; a feature defined in two of them is an error. */
    static Features merge(String name, List<Features> files) {
        Map<String, Feature> all = new LinkedHashMap<>();
        for (Features f : files) {
            for (Feature feature : f.features.values()) {
                if (all.put(feature.name(), feature) != null) {
                    throw new StartupException("feature " + feature.name() + " is defined in more than one features file ("
                            + f.name() + " and another)");
                }
            }
        }
        return new Features(name, all);
    }

    /**
     * The features {@code boot} needs, each after the features it needs, each
     * once, in the order first met.
     */
    List<String> resolve(List<String> boot) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String f : boot) {
            visit(f, null, out, new LinkedHashSet<>());
        }
        return List.copyOf(out);
    }

    private void visit(String name, String neededBy, Set<String> out, LinkedHashSet<String> path) {
        if (out.contains(name)) {
            return;
        }
        Feature f = features.get(name);
        if (f == null) {
            throw new StartupException(neededBy == null
                    ? "no feature " + name + " in the features file (it has: " + String.join(", ", features.keySet()) + ")"
                    : "feature " + neededBy + " needs feature " + name + ", which the features file does not define");
        }
        if (!path.add(name)) {
            throw new StartupException("features need each other in a cycle: " + String.join(" -> ", path) + " -> " + name);
        }
        for (String need : f.needs()) {
            visit(need, name, out, path);
        }
        path.remove(name);
        out.add(name);
    }

    /** The bundles of the resolved {@code boot} features, each once, in feature order. */
    List<FeatureBundle> bundles(List<String> boot) {
        List<FeatureBundle> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String f : resolve(boot)) {
            for (FeatureBundle b : features.get(f).bundles()) {
                if (seen.add(b.fileName())) {
                    out.add(b);
                }
            }
        }
        return out;
    }

    /** This model as a features file (Karaf's format): what a distribution keeps in conf/features.xml. */
    String toXml() {
        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
                .append("<!-- The features of this distribution (Apache Karaf's features XML, read by the launcher);\n")
                .append("     conf/distribution.properties names the ones it boots. See design/distribution.md. -->\n")
                .append("<features xmlns=\"").append(NAMESPACE).append("\" name=\"").append(xml(name)).append("\">\n");
        for (Feature f : features.values()) {
            sb.append("  <feature name=\"").append(xml(f.name())).append('"');
            if (!f.description().isEmpty()) {
                sb.append(" description=\"").append(xml(f.description())).append('"');
            }
            sb.append(">\n");
            for (String need : f.needs()) {
                sb.append("    <feature>").append(xml(need)).append("</feature>\n");
            }
            for (FeatureBundle b : f.bundles()) {
                sb.append(b.start() ? "    <bundle>" : "    <bundle start=\"false\">").append(xml(b.uri())).append("</bundle>\n");
            }
            sb.append("  </feature>\n");
        }
        return sb.append("</features>\n").toString();
    }

    static final String NAMESPACE = "http://karaf.apache.org/xmlns/features/v1.6.0";

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** {@code mvn:g/a/v[/type[/classifier]]} to {@code a-v[-classifier].type} (type jar by default). */
    static String fileName(String uri) {
        return fileName(uri, null, null);
    }

    private static String fileName(String uri, String source, String feature) {
        String[] p = uri.startsWith("mvn:") ? uri.substring(4).split("/", -1) : new String[0];
        if (p.length < 3 || p.length > 5 || p[0].isBlank() || p[1].isBlank() || p[2].isBlank()) {
            throw new StartupException((source == null ? "" : "the features file " + source + ": feature " + feature + ": ")
                    + "bundle " + uri + " is not mvn:groupId/artifactId/version[/type[/classifier]]");
        }
        String type = p.length > 3 && !p[3].isBlank() ? p[3] : "jar";
        String classifier = p.length > 4 && !p[4].isBlank() ? "-" + p[4] : "";
        return p[1] + "-" + p[2] + classifier + "." + type;
    }

    private static String local(Node n) {
        return n.getLocalName() != null ? n.getLocalName() : n.getNodeName();
    }

    private static List<Element> children(Element e) {
        List<Element> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element el) {
                out.add(el);
            }
        }
        return out;
    }
}
