package io.swarmlet.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.types.Meta;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What the {@code secret} and {@code config} verbs share: both are named values
 * with labels and a history of versions, created from a file or standard input,
 * listed, inspected, removed and rotated the same way. {@link SecretCommands}
 * and {@link ConfigCommands} give each verb its {@link Kind} (the calls and the
 * proto types) and the flags only one of them has.
 *
 * <p>A secret's value is read here and sent in the create or rotate request,
 * nowhere else: it is never printed, never part of an error message, and what
 * the server answers is stripped of sealed bytes ({@link Output#withoutSecrets})
 * before anything looks at it.
 */
final class PayloadCommands {

    private PayloadCommands() {}

    /** One version of a value: its number, when it was made, its size in bytes. */
    record Version(long version, long createdAt, long size) {}

    /**
     * A secret or config as the verbs show it. {@code message} is what JSON
     * prints (for secrets already without sealed bytes); {@code data} is the
     * current value of a config, null for secrets.
     */
    record Item(Message message, String id, String name, Map<String, String> labels, String driver, Meta meta,
                List<Version> versions, ByteString data) {

        long currentVersion() {
            return versions.isEmpty() ? 0 : versions.get(versions.size() - 1).version();
        }

        long updatedAt() {
            return meta.getUpdatedAt() != 0 ? meta.getUpdatedAt() : meta.getCreatedAt();
        }
    }

    /** A rotation's outcome: the object with its new version, and the services moved to it (names). */
    record Rotated(Item item, List<String> services) {}

    /** The calls of one kind of value (secrets or configs). */
    abstract static class Kind {
        /** "secret" or "config". */
        final String word;
        /** Whether it has a driver (secrets do). */
        final boolean hasDriver;

        Kind(String word, boolean hasDriver) {
            this.word = word;
            this.hasDriver = hasDriver;
        }

        abstract Item create(ControlApi api, String name, Map<String, String> labels, String driver, byte[] data);

        /** By name, ID or unambiguous ID prefix (the server resolves it). */
        abstract Item get(ControlApi api, String ref);

        /** Every one the user may see (not the cluster's internal ones). */
        abstract List<Item> list(ControlApi api);

        abstract void remove(ControlApi api, String id);

        abstract Rotated rotate(ControlApi api, String id, byte[] data);
    }

    // ------------------------------------------------------------ the value

    /** The limit in the words of the messages: 500 KB. */
    static final String LIMIT = ControlApi.MAX_PAYLOAD_BYTES / 1024 + " KB";

    /**
     * The value in {@code file} ({@code -}: standard input), checked as the
     * server checks it (1 byte to {@link ControlApi#MAX_PAYLOAD_BYTES}) so that
     * nothing too big is read whole or sent. Errors name the file, never say
     * what is in it.
     */
    static byte[] readValue(String kind, String file, Supplier<InputStream> stdin) {
        byte[] data;
        String from;
        if ("-".equals(file)) {
            from = "on standard input";
            try {
                data = stdin.get().readNBytes(ControlApi.MAX_PAYLOAD_BYTES + 1);
            } catch (IOException e) {
                throw new CliException("cannot read " + kind + " data from standard input: " + e.getMessage());
            }
            if (data.length > ControlApi.MAX_PAYLOAD_BYTES) {
                Arrays.fill(data, (byte) 0);
                throw new CliException(kind + " data " + from + " is over the " + LIMIT + " limit");
            }
        } else {
            from = "in " + file;
            try {
                Path path = Path.of(file);
                if (Files.isDirectory(path)) {
                    throw new CliException("read " + file + ": is a directory");
                }
                long size = Files.size(path);
                if (size > ControlApi.MAX_PAYLOAD_BYTES) {
                    throw new CliException(kind + " data " + from + " is " + size + " bytes, over the " + LIMIT
                            + " limit (" + ControlApi.MAX_PAYLOAD_BYTES + " bytes)");
                }
                data = Files.readAllBytes(path);
            } catch (NoSuchFileException | InvalidPathException e) {
                throw new CliException("open " + file + ": no such file or directory");
            } catch (AccessDeniedException e) {
                throw new CliException("open " + file + ": permission denied");
            } catch (IOException e) {
                throw new CliException("open " + file + ": " + e.getMessage());
            }
            if (data.length > ControlApi.MAX_PAYLOAD_BYTES) { // it grew since it was measured
                Arrays.fill(data, (byte) 0);
                throw new CliException(kind + " data " + from + " is over the " + LIMIT + " limit");
            }
        }
        if (data.length == 0) {
            throw new CliException(kind + " data " + from + " is empty: a " + kind + " holds 1 byte to " + LIMIT);
        }
        return data;
    }

    // ------------------------------------------------------------ listing

    /**
     * The fields of {@code ls} (times in words, as docker's CREATED and
     * UPDATED columns) or, with {@code now} &lt; 0, of {@code inspect --format}
     * (RFC 3339 times).
     */
    static List<Field<Item>> fields(Kind kind, long now) {
        List<Field<Item>> f = new ArrayList<>();
        f.add(Field.column("ID", "ID", Item::id));
        f.add(Field.column("Name", "NAME", Item::name));
        if (kind.hasDriver) {
            f.add(Field.column("Driver", "DRIVER", Item::driver));
        }
        f.add(Field.column("CreatedAt", "CREATED", i -> time(i.meta().getCreatedAt(), now)));
        f.add(Field.column("UpdatedAt", "UPDATED", i -> time(i.updatedAt(), now)));
        f.add(Field.extra("Version", "VERSION", i -> String.valueOf(i.currentVersion())));
        f.add(Field.extra("Labels", "LABELS", i -> NodeCommands.labels(i.labels())));
        return f;
    }

    private static String time(long millis, long now) {
        if (millis == 0) {
            return "";
        }
        return now < 0 ? Output.timestamp(millis) : HumanTime.ago(millis, now);
    }

    /** {@code ls --filter}: id=PREFIX, name=PREFIX, label=KEY[=VALUE]; one key ORs its values, different keys AND. */
    static Predicate<Item> filter(List<String> filters) {
        Predicate<Item> all = i -> true;
        for (Map.Entry<String, List<String>> e : ServiceCommands.filters(filters, List.of("id", "name", "label")).entrySet()) {
            List<String> values = e.getValue();
            Predicate<Item> any;
            switch (e.getKey()) {
                case "id": any = i -> values.stream().anyMatch(v -> i.id().startsWith(v)); break;
                case "name": any = i -> values.stream().anyMatch(v -> i.name().startsWith(v)); break;
                default: any = i -> values.stream().anyMatch(v -> LabelFilter.matches(i.labels(), v)); break;
            }
            all = all.and(any);
        }
        return all;
    }

    /**
     * {@code inspect --pretty}: docker's fields, then the versions (never a
     * value); for a config, its current data last, as docker shows it.
     */
    static String pretty(Kind kind, Item i, long now) {
        Output.Pretty p = new Output.Pretty()
                .field("ID", i.id())
                .field("Name", i.name())
                .labels("Labels", i.labels());
        if (kind.hasDriver) {
            p.field("Driver", i.driver());
        }
        p.field("Created at", Output.timestamp(i.meta().getCreatedAt()))
                .field("Updated at", Output.timestamp(i.updatedAt()));
        if (!i.versions().isEmpty()) {
            Table t = new Table("VERSION", "CREATED", "SIZE");
            for (Version v : i.versions()) {
                t.row(String.valueOf(v.version()), v.createdAt() == 0 ? "" : HumanTime.ago(v.createdAt(), now), Output.bytes(v.size()));
            }
            p.section("Versions").end();
            for (String line : t.render().split("\n")) {
                p.text(" " + line);
            }
        }
        if (i.data() != null) {
            p.section("Data").end();
            String data = i.data().toString(StandardCharsets.UTF_8);
            p.text(data.endsWith("\n") ? data.substring(0, data.length() - 1) : data);
        }
        return p.render(true);
    }

    // ------------------------------------------------------------ commands

    /** {@code create [--label k=v]... NAME FILE|-}: prints the new ID. */
    abstract static class Create extends CliCommand {
        @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "Labels (repeatable).")
        List<String> labels = new ArrayList<>();

        @Parameters(index = "0", paramLabel = "NAME", description = "Its name (as a service name: letters, digits, '-', '_', '.').")
        String name;

        @Parameters(index = "1", paramLabel = "FILE|-", description = "Where the value is: a file, or - for standard input (1 byte to 500 KB).")
        String file;

        abstract Kind kind();

        /** The driver asked for; null for the default (and for configs). */
        String driver() {
            return null;
        }

        @Override
        public Integer call() {
            Map<String, String> labelMap;
            try {
                labelMap = FlagValues.labels(labels, "label");
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            byte[] data = readValue(kind().word, file, root().stdin);
            try {
                out().println(kind().create(api(), name, labelMap, driver(), data).id());
            } finally {
                Arrays.fill(data, (byte) 0);
            }
            return Main.EXIT_OK;
        }
    }

    /** {@code ls [-q] [--filter] [--format]}: sorted by name. */
    abstract static class Ls extends CliCommand {
        @Option(names = {"-q", "--quiet"}, description = "Only display IDs.")
        boolean quiet;

        @Option(names = "--format", paramLabel = "FORMAT",
                description = "'table' (default), 'json', 'table TEMPLATE' or a TEMPLATE with fields {{.ID}}, {{.Name}}, "
                        + "{{.Driver}} (secrets), {{.CreatedAt}}, {{.UpdatedAt}}, {{.Version}}, {{.Labels}} or {{json .}}.")
        String format;

        @Option(names = {"-f", "--filter"}, paramLabel = "KEY=VALUE",
                description = "Only those that match: id=PREFIX, name=PREFIX, label=KEY[=VALUE].")
        List<String> filters = new ArrayList<>();

        abstract Kind kind();

        @Override
        public Integer call() {
            long now = root().clock.millis();
            Format fmt = format(format, Format.Kind.TABLE, fields(kind(), now));
            if (fmt.is(Format.Kind.PRETTY)) {
                throw usage("--format pretty is for " + kind().word + " inspect; use table, json or a template");
            }
            Predicate<Item> filter;
            try {
                filter = filter(filters);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            List<Item> items = new ArrayList<>(kind().list(api()));
            items.removeIf(filter.negate());
            items.sort(Comparator.comparing(Item::name, Output.NATURAL).thenComparing(Item::id));
            if (quiet) {
                items.forEach(i -> out().println(i.id()));
                return Main.EXIT_OK;
            }
            fmt.print(out(), items, fields(kind(), now), Item::message);
            return Main.EXIT_OK;
        }
    }

    /** {@code inspect [--pretty] [--format] REF...}: JSON unless told otherwise. */
    abstract static class Inspect extends CliCommand {
        @Option(names = "--pretty", description = "Print the information in a human friendly format.")
        boolean pretty;

        @Option(names = {"-f", "--format"}, paramLabel = "FORMAT",
                description = "'json' (default), 'pretty' or a TEMPLATE (fields as in ls, times as RFC 3339).")
        String format;

        @Parameters(paramLabel = "NAME", arity = "1..*", description = "A name, ID or unambiguous ID prefix.")
        List<String> refs;

        abstract Kind kind();

        @Override
        public Integer call() {
            Format fmt = pretty ? Format.of(Format.Kind.PRETTY) : format(format, Format.Kind.JSON, fields(kind(), -1));
            ControlApi api = api();
            Lookup<Item> found = lookupEach(refs, ref -> kind().get(api, ref));
            if (fmt.is(Format.Kind.PRETTY)) {
                long now = root().clock.millis();
                for (int n = 0; n < found.found.size(); n++) {
                    if (n > 0) {
                        out().println();
                    }
                    out().print(pretty(kind(), found.found.get(n), now));
                }
            } else {
                fmt.print(out(), found.found, fields(kind(), -1), Item::message);
            }
            return found.finish();
        }
    }

    /** {@code rm REF...}: each removed one is printed as given, each refusal is an error line (the server's words). */
    abstract static class Rm extends CliCommand {
        @Parameters(paramLabel = "NAME", arity = "1..*", description = "A name, ID or unambiguous ID prefix.")
        List<String> refs;

        abstract Kind kind();

        @Override
        public Integer call() {
            ControlApi api = api();
            Lookup<String> result = lookupEach(refs, ref -> {
                kind().remove(api, kind().get(api, ref).id());
                out().println(ref);
                return ref;
            });
            return result.finish();
        }
    }

    /**
     * {@code rotate NAME FILE|-}: a new version of the value under the same
     * name; every service that uses it unpinned moves to it, rolling through
     * its own update config. Prints the new version and those services.
     */
    abstract static class Rotate extends CliCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "A name, ID or unambiguous ID prefix.")
        String ref;

        @Parameters(index = "1", paramLabel = "FILE|-", description = "Where the new value is: a file, or - for standard input (1 byte to 500 KB).")
        String file;

        abstract Kind kind();

        @Override
        public Integer call() {
            byte[] data = readValue(kind().word, file, root().stdin);
            Rotated r;
            try {
                ControlApi api = api();
                r = kind().rotate(api, kind().get(api, ref).id(), data);
            } finally {
                Arrays.fill(data, (byte) 0);
            }
            out().println("version " + r.item().currentVersion());
            out().println("updated services: " + (r.services().isEmpty() ? "none" : String.join(", ", r.services())));
            return Main.EXIT_OK;
        }
    }
}
