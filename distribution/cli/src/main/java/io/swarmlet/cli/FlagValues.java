package io.swarmlet.cli;

import io.swarmlet.api.types.ConfigReference;
import io.swarmlet.api.types.Mount;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.PortConfig;
import io.swarmlet.api.types.SecretReference;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The value syntaxes of docker's service flags, parsed on the client so that
 * a bad value is a usage error before anything is sent: Go durations
 * ({@code 1m30s}, {@code 500ms}), memory sizes ({@code 64M}, {@code 1g},
 * plain bytes), CPUs as decimals ({@code 0.5}), {@code --publish} in short
 * ({@code 8080:80/udp}) and long ({@code mode=host,target=80}) syntax,
 * {@code --mount} fields, {@code --secret} and {@code --config} references
 * ({@code db_pass}, {@code source=db_pass@2,target=/etc/db,mode=0400}),
 * {@code --network} ({@code backend}, {@code name=backend,alias=db}),
 * {@code --host} ({@code db.local:10.0.0.5}) and shell words ({@code --entrypoint}).
 *
 * <p>Every parser throws {@link IllegalArgumentException} with a message that
 * says what is wrong and what would be right; the picocli converters nested
 * here turn that into picocli's "Invalid value for option" usage error.
 */
final class FlagValues {

    private FlagValues() {}

    // ------------------------------------------------------------ durations

    private static final Pattern DURATION_PART = Pattern.compile("(\\d*(?:\\.\\d*)?)(ns|us|µs|μs|ms|s|m|h)");
    private static final Map<String, Long> NANOS_PER_UNIT = Map.of(
            "ns", 1L, "us", 1_000L, "µs", 1_000L, "μs", 1_000L, "ms", 1_000_000L,
            "s", 1_000_000_000L, "m", 60_000_000_000L, "h", 3_600_000_000_000L);

    /**
     * A Go duration ({@code 1h2m3.5s}, {@code 500ms}, {@code 0}) in whole
     * milliseconds (rounded down); negative durations are refused.
     */
    static long durationMillis(String text) {
        String s = text.trim();
        String hint = " (use a number and a unit: 500ms, 5s, 1m30s, 2h)";
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty duration" + hint);
        }
        if (s.startsWith("-")) {
            throw new IllegalArgumentException("duration " + text + " must not be negative");
        }
        if (s.startsWith("+")) {
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return 0;
        }
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher m = DURATION_PART.matcher(s);
        int at = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at || m.group(1).isEmpty() || m.group(1).equals(".")) {
                String rest = s.substring(at);
                throw new IllegalArgumentException("invalid duration \"" + text + "\""
                        + (rest.matches("[0-9.]+") ? ": missing unit" : "") + hint);
            }
            nanos = nanos.add(new BigDecimal(m.group(1).startsWith(".") ? "0" + m.group(1) : m.group(1))
                    .multiply(BigDecimal.valueOf(NANOS_PER_UNIT.get(m.group(2)))));
            at = m.end();
        }
        return nanos.divide(BigDecimal.valueOf(1_000_000), 0, RoundingMode.DOWN).longValueExact();
    }

    // ------------------------------------------------------------ sizes, CPUs, counts

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?");

    /** A memory size like docker's {@code RAMInBytes}: {@code 64M}, {@code 1g}, {@code 1.5GiB}, {@code 512} (bytes); binary units. */
    static long memoryBytes(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid size \"" + text + "\" (use bytes or a number with a unit: 64M, 512m, 1g, 1.5GiB)");
        }
        long unit = 1;
        if (m.group(2) != null) {
            int power = "kmgtp".indexOf(Character.toLowerCase(m.group(2).charAt(0))) + 1;
            unit = 1L << (10 * power);
        }
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit));
        try {
            return bytes.setScale(0, RoundingMode.DOWN).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("size \"" + text + "\" is too large");
        }
    }

    /** CPUs as a decimal ({@code 0.5}, {@code 2}) in nano CPUs, like docker's {@code --limit-cpu}. */
    static long nanoCpus(String text) {
        BigDecimal cpus;
        try {
            cpus = new BigDecimal(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid CPUs \"" + text + "\" (use a decimal number of CPUs: 0.5, 1, 2.25)");
        }
        if (cpus.signum() < 0) {
            throw new IllegalArgumentException("CPUs " + text + " must not be negative");
        }
        BigDecimal nanos = cpus.movePointRight(9);
        if (nanos.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("CPUs " + text + " is too precise (at most 9 decimal places)");
        }
        try {
            return nanos.longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("CPUs " + text + " is too large");
        }
    }

    /** A non-negative whole number (docker's uint flags). */
    static long unsigned(String text) {
        try {
            long v = Long.parseLong(text.trim());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("'" + text + "' is not a whole number of 0 or more");
    }

    /** A failure ratio between 0 and 1. */
    static float ratio(String text) {
        try {
            float f = Float.parseFloat(text.trim());
            if (f >= 0 && f <= 1) {
                return f;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("'" + text + "' is not a ratio between 0 and 1 (e.g. 0.2)");
    }

    // ------------------------------------------------------------ key=value lists

    /** {@code KEY=VALUE} or {@code KEY} (empty value), as docker reads labels. */
    static Map<String, String> labels(List<String> values, String what) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String v : values) {
            int eq = v.indexOf('=');
            String key = eq < 0 ? v : v.substring(0, eq);
            if (key.isBlank()) {
                throw new IllegalArgumentException("invalid " + what + " '" + v + "': the name is empty (use KEY=VALUE)");
            }
            map.put(key, eq < 0 ? "" : v.substring(eq + 1));
        }
        return map;
    }

    /**
     * Environment variables as docker takes them: {@code KEY=VALUE}, or
     * {@code KEY} alone for the value the client's own environment has (kept
     * as {@code KEY} if it has none); a later value of a key replaces an
     * earlier one.
     */
    static List<String> env(List<String> values, UnaryOperator<String> clientEnv) {
        Map<String, String> byKey = new LinkedHashMap<>();
        for (String v : values) {
            int eq = v.indexOf('=');
            String key = eq < 0 ? v : v.substring(0, eq);
            if (key.isBlank()) {
                throw new IllegalArgumentException("invalid environment variable '" + v + "': the name is empty (use KEY=VALUE)");
            }
            String entry = v;
            if (eq < 0) {
                String local = clientEnv.apply(key);
                entry = local == null ? key : key + "=" + local;
            }
            byKey.remove(key);
            byKey.put(key, entry);
        }
        return new ArrayList<>(byKey.values());
    }

    /** The name part of an environment entry. */
    static String envKey(String entry) {
        int eq = entry.indexOf('=');
        return eq < 0 ? entry : entry.substring(0, eq);
    }

    // ------------------------------------------------------------ ports

    /**
     * One {@code --publish} value: {@code [published:]target[/protocol]}
     * (each port may be a range, {@code 8080-8081:80-81}) or the long syntax
     * {@code mode=host,target=80,published=8080,protocol=udp}. A published
     * port of 0 lets the cluster choose.
     */
    static List<PortConfig> ports(String text) {
        String v = text.trim();
        if (v.contains("=")) {
            return List.of(longPort(v));
        }
        String proto = "tcp";
        int slash = v.lastIndexOf('/');
        if (slash >= 0) {
            proto = v.substring(slash + 1);
            v = v.substring(0, slash);
        }
        PortConfig.Protocol protocol = protocol(proto);
        String[] parts = v.split(":", -1);
        if (parts.length > 2) {
            throw new IllegalArgumentException("invalid port \"" + text + "\": a host IP is not supported (use [published:]target[/protocol])");
        }
        long[] target = portRange(parts[parts.length - 1], text);
        long[] published = parts.length == 2 ? portRange(parts[0], text) : new long[] {0, 0};
        long targets = target[1] - target[0] + 1;
        long publisheds = published[1] - published[0] + 1;
        if (parts.length == 2 && targets != publisheds && targets != 1) {
            throw new IllegalArgumentException("invalid port \"" + text + "\": the published and target ranges differ in size");
        }
        List<PortConfig> out = new ArrayList<>();
        long count = Math.max(targets, publisheds);
        for (long i = 0; i < count; i++) {
            out.add(PortConfig.newBuilder()
                    .setProtocol(protocol)
                    .setTargetPort((int) (targets == 1 ? target[0] : target[0] + i))
                    .setPublishedPort((int) (published[0] == 0 ? 0 : published[0] + i))
                    .setPublishMode(PortConfig.PublishMode.INGRESS)
                    .build());
        }
        return out;
    }

    private static PortConfig longPort(String text) {
        PortConfig.Builder p = PortConfig.newBuilder().setProtocol(PortConfig.Protocol.TCP).setPublishMode(PortConfig.PublishMode.INGRESS);
        for (String field : csv(text)) {
            int eq = field.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("invalid field '" + field + "' in \"" + text + "\" (use key=value)");
            }
            String key = field.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String val = field.substring(eq + 1).trim().toLowerCase(Locale.ROOT);
            switch (key) {
                case "protocol": p.setProtocol(protocol(val)); break;
                case "mode":
                    if (val.equals("ingress")) {
                        p.setPublishMode(PortConfig.PublishMode.INGRESS);
                    } else if (val.equals("host")) {
                        p.setPublishMode(PortConfig.PublishMode.HOST);
                    } else {
                        throw new IllegalArgumentException("invalid publish mode '" + val + "': use ingress or host");
                    }
                    break;
                case "target": p.setTargetPort((int) port(val, "target port")); break;
                case "published": p.setPublishedPort((int) port(val, "published port")); break;
                default:
                    throw new IllegalArgumentException("invalid field key '" + key + "' in \"" + text
                            + "\" (use mode, target, published, protocol)");
            }
        }
        if (p.getTargetPort() == 0) {
            throw new IllegalArgumentException("missing mandatory field 'target' in \"" + text + "\"");
        }
        return p.build();
    }

    private static PortConfig.Protocol protocol(String p) {
        switch (p.toLowerCase(Locale.ROOT)) {
            case "tcp": return PortConfig.Protocol.TCP;
            case "udp": return PortConfig.Protocol.UDP;
            case "sctp": return PortConfig.Protocol.SCTP;
            default: throw new IllegalArgumentException("invalid protocol '" + p + "': use tcp, udp or sctp");
        }
    }

    private static long port(String v, String what) {
        try {
            long p = Long.parseLong(v);
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("invalid " + what + " '" + v + "': use a number from 1 to 65535");
    }

    private static long[] portRange(String v, String text) {
        int dash = v.indexOf('-');
        if (v.isEmpty()) {
            throw new IllegalArgumentException("invalid port \"" + text + "\" (use [published:]target[/protocol], e.g. 8080:80)");
        }
        if (dash < 0) {
            long p = port(v, "port");
            return new long[] {p, p};
        }
        long from = port(v.substring(0, dash), "port");
        long to = port(v.substring(dash + 1), "port");
        if (to < from) {
            throw new IllegalArgumentException("invalid port range '" + v + "' in \"" + text + "\"");
        }
        return new long[] {from, to};
    }

    /** The comma-separated fields of a flag value, with docker's (Go CSV) double-quote rules. */
    static List<String> csv(String text) {
        List<String> fields = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unterminated quote in \"" + text + "\"");
        }
        fields.add(cur.toString());
        return fields;
    }

    // ------------------------------------------------------------ mounts

    /**
     * One {@code --mount} value: {@code type=bind|volume|tmpfs} (default
     * volume), {@code source|src}, {@code target|dst|destination},
     * {@code readonly|ro[=true|false]}. A bind source starting with
     * {@code .} is made absolute against the client's working directory.
     */
    static Mount mount(String text) {
        String v = text.trim();
        if (v.isEmpty()) {
            throw new IllegalArgumentException("empty mount (use type=bind|volume|tmpfs,source=...,target=...)");
        }
        Mount.Builder m = Mount.newBuilder().setType(Mount.Type.VOLUME);
        for (String field : csv(v)) {
            int eq = field.indexOf('=');
            String key = (eq < 0 ? field : field.substring(0, eq)).toLowerCase(Locale.ROOT);
            String val = eq < 0 ? null : field.substring(eq + 1);
            if (!key.equals(key.trim())) {
                throw new IllegalArgumentException("invalid option '" + key.trim() + "' in '" + field + "': no spaces around names");
            }
            if (val != null && val.isBlank()) {
                throw new IllegalArgumentException("invalid value for '" + key + "': value is empty");
            }
            if (val == null && !key.equals("readonly") && !key.equals("ro")) {
                throw new IllegalArgumentException("invalid field '" + field + "' must be a key=value pair");
            }
            switch (key) {
                case "type":
                    switch (val.toLowerCase(Locale.ROOT)) {
                        case "bind": m.setType(Mount.Type.BIND); break;
                        case "volume": m.setType(Mount.Type.VOLUME); break;
                        case "tmpfs": m.setType(Mount.Type.TMPFS); break;
                        default: throw new IllegalArgumentException("invalid mount type '" + val + "': use bind, volume or tmpfs");
                    }
                    break;
                case "source": case "src":
                    m.setSource(val.startsWith(".") ? Path.of(val).toAbsolutePath().normalize().toString() : val);
                    break;
                case "target": case "dst": case "destination":
                    m.setTarget(val);
                    break;
                case "readonly": case "ro":
                    m.setReadOnly(bool(key, val));
                    break;
                case "consistency": case "bind-propagation": case "bind-recursive": case "bind-create-src":
                case "volume-driver": case "volume-label": case "volume-nocopy": case "volume-opt": case "volume-subpath":
                case "tmpfs-size": case "tmpfs-mode":
                    throw new IllegalArgumentException("mount option '" + key + "' is not supported by swarmlet (use type, source, target, readonly)");
                default:
                    throw new IllegalArgumentException("unknown option '" + key + "' in '" + field + "' (use type, source, target, readonly)");
            }
        }
        if (m.getTarget().isEmpty()) {
            throw new IllegalArgumentException("target is required in mount \"" + text + "\"");
        }
        if (m.getType() == Mount.Type.BIND && m.getSource().isEmpty()) {
            throw new IllegalArgumentException("a bind mount needs a source: \"" + text + "\"");
        }
        if (m.getType() == Mount.Type.TMPFS && !m.getSource().isEmpty()) {
            throw new IllegalArgumentException("a tmpfs mount takes no source: \"" + text + "\"");
        }
        return m.build();
    }

    private static boolean bool(String key, String val) {
        if (val == null) {
            return true;
        }
        switch (val.toLowerCase(Locale.ROOT)) {
            case "1": case "true": return true;
            case "0": case "false": return false;
            default: throw new IllegalArgumentException("invalid value for " + key + ": " + val + " (use true or false)");
        }
    }

    // ------------------------------------------------------------ secrets and configs

    /**
     * One {@code --secret} or {@code --config} value, docker's syntax: {@code NAME}
     * alone, or {@code source|src=NAME[@VERSION],target=PATH,uid=UID,gid=GID,mode=MODE}
     * (mode as Go reads it: {@code 0400} octal, {@code 0o400}, {@code 0x100} or decimal).
     * {@code NAME@VERSION} pins that version ({@code secret rotate} leaves it there).
     * Unset: target empty (the server's default path), uid and gid "0", mode 0444.
     */
    record PayloadRef(String source, long version, String target, String uid, String gid, int mode) {

        boolean pinned() {
            return version > 0;
        }

        SecretReference secret() {
            return SecretReference.newBuilder().setSecretName(source).setTarget(target).setUid(uid).setGid(gid)
                    .setMode(mode).setVersion(version).setPinned(pinned()).build();
        }

        ConfigReference config() {
            return ConfigReference.newBuilder().setConfigName(source).setTarget(target).setUid(uid).setGid(gid)
                    .setMode(mode).setVersion(version).setPinned(pinned()).build();
        }
    }

    /** docker's default file mode of a secret or config. */
    static final int DEFAULT_PAYLOAD_MODE = 0444;

    static PayloadRef payloadRef(String text, String kind) {
        List<String> fields = csv(text.trim());
        String source = null;
        String target = "";
        String uid = "0";
        String gid = "0";
        int mode = DEFAULT_PAYLOAD_MODE;
        if (fields.size() == 1 && !fields.get(0).contains("=")) {
            source = fields.get(0).trim();
        } else {
            for (String field : fields) {
                int eq = field.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("invalid field '" + field + "' must be a key=value pair");
                }
                String key = field.substring(0, eq).trim().toLowerCase(Locale.ROOT);
                String val = field.substring(eq + 1).trim();
                switch (key) {
                    case "source": case "src": source = val; break;
                    case "target": target = val; break;
                    case "uid": uid = val; break;
                    case "gid": gid = val; break;
                    case "mode": mode = fileMode(val); break;
                    default:
                        throw new IllegalArgumentException("invalid field in " + kind + " request: " + key
                                + " (use source, target, uid, gid, mode)");
                }
            }
        }
        if (source == null || source.isEmpty()) {
            throw new IllegalArgumentException("source is required (use NAME or source=NAME,target=PATH)");
        }
        long version = 0;
        int at = source.lastIndexOf('@');
        if (at >= 0) {
            String v = source.substring(at + 1);
            try {
                version = Long.parseLong(v);
            } catch (NumberFormatException e) {
                version = -1;
            }
            if (version < 1 || at == 0) {
                throw new IllegalArgumentException("invalid " + kind + " version in '" + source
                        + "' (use NAME@VERSION with a version of 1 or more)");
            }
            source = source.substring(0, at);
        }
        if (uid.isEmpty() || gid.isEmpty()) {
            throw new IllegalArgumentException("invalid " + (uid.isEmpty() ? "uid" : "gid") + ": value is empty");
        }
        return new PayloadRef(source, version, target, uid, gid, mode);
    }

    /** A file mode the way Go's {@code strconv.ParseUint(s, 0, 32)} reads it, as docker does. */
    static int fileMode(String text) {
        String v = text.trim().toLowerCase(Locale.ROOT).replace("_", "");
        long mode;
        try {
            if (v.startsWith("0x")) {
                mode = Long.parseLong(v.substring(2), 16);
            } else if (v.startsWith("0o")) {
                mode = Long.parseLong(v.substring(2), 8);
            } else if (v.startsWith("0b")) {
                mode = Long.parseLong(v.substring(2), 2);
            } else if (v.length() > 1 && v.startsWith("0")) {
                mode = Long.parseLong(v.substring(1), 8);
            } else {
                mode = Long.parseLong(v);
            }
        } catch (NumberFormatException e) {
            mode = -1;
        }
        if (mode < 0 || mode > 07777) {
            throw new IllegalArgumentException("invalid mode specified: '" + text + "' (use an octal file mode such as 0400 or 0444)");
        }
        return (int) mode;
    }

    // ------------------------------------------------------------ networks and hosts

    /**
     * One {@code --network} value, docker's syntax: a network name or ID, or
     * {@code name=NETWORK,alias=ALIAS[,alias=...]}.
     */
    static NetworkAttachmentConfig network(String text) {
        String v = text.trim();
        if (v.isEmpty()) {
            throw new IllegalArgumentException("network name/id is not specified");
        }
        if (!v.contains("=")) {
            return NetworkAttachmentConfig.newBuilder().setTarget(v).build();
        }
        NetworkAttachmentConfig.Builder n = NetworkAttachmentConfig.newBuilder();
        for (String field : csv(v)) {
            int eq = field.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("invalid field " + field);
            }
            String key = field.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String val = field.substring(eq + 1).trim();
            switch (key) {
                case "name": n.setTarget(val); break;
                case "alias":
                    if (val.isEmpty()) {
                        throw new IllegalArgumentException("invalid field " + field + ": an alias is a name");
                    }
                    n.addAliases(val);
                    break;
                default:
                    throw new IllegalArgumentException("invalid field key " + key + " (use name and alias)");
            }
        }
        if (n.getTarget().isEmpty()) {
            throw new IllegalArgumentException("network name/id is not specified");
        }
        return n.build();
    }

    private static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(:" + IPV4.pattern() + ")?");

    /** Whether {@code s} is an IPv4 or IPv6 address (no name lookups). */
    static boolean isIp(String s) {
        if (IPV4.matcher(s).matches()) {
            return true;
        }
        if (!IPV6.matcher(s).matches()) {
            return false;
        }
        int doubles = s.split("::", -1).length - 1;
        String[] groups = s.replace("::", ":").split(":");
        if (doubles > 1) {
            return false;
        }
        for (String g : groups) {
            if (g.length() > 4 && !IPV4.matcher(g).matches()) {
                return false;
            }
        }
        return true;
    }

    /**
     * One {@code --host} value, docker's {@code HOST:IP} (or {@code HOST=IP}), as the
     * {@code /etc/hosts} line the container gets: {@code "IP HOST"}.
     */
    static String host(String text) {
        String v = text.trim();
        int sep = v.indexOf('=');
        if (sep < 0) {
            sep = v.indexOf(':');
        }
        if (sep <= 0) {
            throw new IllegalArgumentException("bad format for add-host: \"" + text + "\" (use HOST:IP)");
        }
        String host = v.substring(0, sep).trim();
        String ip = v.substring(sep + 1).trim();
        if (ip.startsWith("[") && ip.endsWith("]")) {
            ip = ip.substring(1, ip.length() - 1);
        }
        if (host.isEmpty() || host.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("bad format for add-host: \"" + text + "\" (use HOST:IP)");
        }
        if (!isIp(ip)) {
            throw new IllegalArgumentException("invalid IP address in add-host: \"" + ip + "\"");
        }
        return ip + " " + host;
    }

    // ------------------------------------------------------------ shell words

    /** {@code text} split into words the way a POSIX shell would (quotes and backslashes), for {@code --entrypoint} and {@code --args}. */
    static List<String> shellWords(String text) {
        return io.swarmlet.api.types.ShellWords.split(text);
    }

    // ------------------------------------------------------------ picocli converters

    private static <T> T convert(java.util.function.Function<String, T> parse, String value) {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    /** {@code --restart-delay 5s}: milliseconds. */
    static final class Duration implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return FlagValues.convert(FlagValues::durationMillis, value);
        }
    }

    /** {@code --limit-memory 64M}: bytes. */
    static final class Bytes implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return FlagValues.convert(FlagValues::memoryBytes, value);
        }
    }

    /** {@code --limit-cpu 0.5}: nano CPUs. */
    static final class Cpus implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return FlagValues.convert(FlagValues::nanoCpus, value);
        }
    }

    /** {@code --replicas 3}: 0 or more. */
    static final class Unsigned implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return FlagValues.convert(FlagValues::unsigned, value);
        }
    }

    /** {@code --update-max-failure-ratio 0.2}. */
    static final class Ratio implements ITypeConverter<Float> {
        @Override
        public Float convert(String value) {
            return FlagValues.convert(FlagValues::ratio, value);
        }
    }

    /** {@code --secret NAME} or {@code --secret source=NAME[@VERSION],target=PATH,uid=,gid=,mode=}. */
    static final class SecretRef implements ITypeConverter<PayloadRef> {
        @Override
        public PayloadRef convert(String value) {
            return FlagValues.convert(v -> payloadRef(v, "secret"), value);
        }
    }

    /** {@code --config NAME} or {@code --config source=NAME[@VERSION],target=PATH,uid=,gid=,mode=}. */
    static final class ConfigRef implements ITypeConverter<PayloadRef> {
        @Override
        public PayloadRef convert(String value) {
            return FlagValues.convert(v -> payloadRef(v, "config"), value);
        }
    }

    /** {@code --mount type=bind,source=/a,target=/b}. */
    static final class MountSpec implements ITypeConverter<Mount> {
        @Override
        public Mount convert(String value) {
            return FlagValues.convert(FlagValues::mount, value);
        }
    }

    /** {@code --network backend} or {@code --network name=backend,alias=db}. */
    static final class NetworkRef implements ITypeConverter<NetworkAttachmentConfig> {
        @Override
        public NetworkAttachmentConfig convert(String value) {
            return FlagValues.convert(FlagValues::network, value);
        }
    }

    /** {@code --host db.local:10.0.0.5}: the hosts line {@code "10.0.0.5 db.local"}. */
    static final class HostEntry implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            return FlagValues.convert(FlagValues::host, value);
        }
    }
}
