package io.swarmlet.cli;

import com.google.protobuf.ByteString;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.CreateSecretRequest;
import io.swarmlet.api.types.Driver;
import io.swarmlet.api.types.GetSecretRequest;
import io.swarmlet.api.types.ListSecretsRequest;
import io.swarmlet.api.types.RemoveSecretRequest;
import io.swarmlet.api.types.RotateSecretRequest;
import io.swarmlet.api.types.RotateSecretResponse;
import io.swarmlet.api.types.Secret;
import io.swarmlet.api.types.SecretSpec;
import io.swarmlet.api.types.SecretVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code swarmlet secret ...}: docker's secret verbs, plus {@code rotate}
 * (a new version under the same name, rolled out to the services that use
 * it). Values are sent once and never shown: the server answers without
 * them and without their sealed bytes, and the CLI strips those anyway.
 */
@Command(name = "secret",
        description = "Manage swarm secrets.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
                SecretCommands.Create.class,
                SecretCommands.Inspect.class,
                SecretCommands.Ls.class,
                SecretCommands.Rm.class,
                SecretCommands.Rotate.class,
        })
public final class SecretCommands extends CliCommand.Group {

    /** A secret as the verbs show it: never its value, never its sealed bytes. */
    static PayloadCommands.Item item(Secret secret) {
        Secret s = Output.withoutSecrets(secret);
        List<PayloadCommands.Version> versions = new ArrayList<>();
        for (SecretVersion v : s.getVersionsList()) {
            versions.add(new PayloadCommands.Version(v.getVersion(), v.getCreatedAt(), v.getSize()));
        }
        return new PayloadCommands.Item(s, s.getId(), s.getSpec().getAnnotations().getName(),
                s.getSpec().getAnnotations().getLabelsMap(), s.getSpec().getDriver().getName(), s.getMeta(), versions, null);
    }

    static final PayloadCommands.Kind KIND = new PayloadCommands.Kind("secret", true) {
        @Override
        PayloadCommands.Item create(ControlApi api, String name, Map<String, String> labels, String driver, byte[] data) {
            SecretSpec.Builder spec = SecretSpec.newBuilder()
                    .setAnnotations(Annotations.newBuilder().setName(name).putAllLabels(labels))
                    .setData(ByteString.copyFrom(data));
            if (driver != null && !driver.isBlank()) {
                spec.setDriver(Driver.newBuilder().setName(driver.trim()));
            }
            return item(api.createSecret(CreateSecretRequest.newBuilder().setSpec(spec).build()).getSecret());
        }

        @Override
        PayloadCommands.Item get(ControlApi api, String ref) {
            return item(api.getSecret(GetSecretRequest.newBuilder().setId(ref).build()).getSecret());
        }

        @Override
        List<PayloadCommands.Item> list(ControlApi api) {
            List<PayloadCommands.Item> items = new ArrayList<>();
            for (Secret s : api.listSecrets(ListSecretsRequest.getDefaultInstance()).getSecretsList()) {
                if (!s.getInternal()) {
                    items.add(item(s));
                }
            }
            return items;
        }

        @Override
        void remove(ControlApi api, String id) {
            api.removeSecret(RemoveSecretRequest.newBuilder().setId(id).build());
        }

        @Override
        PayloadCommands.Rotated rotate(ControlApi api, String id, byte[] data) {
            RotateSecretResponse r = api.rotateSecret(RotateSecretRequest.newBuilder().setId(id)
                    .setData(ByteString.copyFrom(data)).build());
            return new PayloadCommands.Rotated(item(r.getSecret()), r.getUpdatedServicesList());
        }
    };

    @Command(name = "create", description = "Create a secret from a file or from standard input (-); prints its ID.")
    static final class Create extends PayloadCommands.Create {
        @Option(names = {"-d", "--driver"}, paramLabel = "NAME", description = "The secrets driver that seals it (default: the built-in one).")
        String driver;

        @Override
        PayloadCommands.Kind kind() {
            return KIND;
        }

        @Override
        String driver() {
            return driver;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List secrets.")
    static final class Ls extends PayloadCommands.Ls {
        @Override
        PayloadCommands.Kind kind() {
            return KIND;
        }
    }

    @Command(name = "inspect", description = "Display detailed information on one or more secrets (never their values).")
    static final class Inspect extends PayloadCommands.Inspect {
        @Override
        PayloadCommands.Kind kind() {
            return KIND;
        }
    }

    @Command(name = "rm", aliases = "remove", description = "Remove one or more secrets (refused while a service uses one).")
    static final class Rm extends PayloadCommands.Rm {
        @Override
        PayloadCommands.Kind kind() {
            return KIND;
        }
    }

    @Command(name = "rotate", description = {"Store a new version of a secret, from a file or from standard input (-).",
            "Every service that uses it (unless pinned with NAME@VERSION) rolls to it through its own update config."})
    static final class Rotate extends PayloadCommands.Rotate {
        @Override
        PayloadCommands.Kind kind() {
            return KIND;
        }
    }
}
