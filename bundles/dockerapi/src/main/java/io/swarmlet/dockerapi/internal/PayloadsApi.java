package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.swarmlet.api.types.Config;
import io.swarmlet.api.types.ConfigSpec;
import io.swarmlet.api.types.CreateConfigRequest;
import io.swarmlet.api.types.CreateSecretRequest;
import io.swarmlet.api.types.Driver;
import io.swarmlet.api.types.GetConfigRequest;
import io.swarmlet.api.types.GetSecretRequest;
import io.swarmlet.api.types.ListConfigsRequest;
import io.swarmlet.api.types.ListFilters;
import io.swarmlet.api.types.ListSecretsRequest;
import io.swarmlet.api.types.RemoveConfigRequest;
import io.swarmlet.api.types.RemoveSecretRequest;
import io.swarmlet.api.types.Secret;
import io.swarmlet.api.types.SecretSpec;
import io.swarmlet.api.types.UpdateConfigRequest;
import io.swarmlet.api.types.UpdateSecretRequest;
import java.util.Arrays;
import java.util.Base64;

/**
 * {@code /secrets} and {@code /configs}: list, create, inspect, update (labels only, as
 * Docker) and remove, in Docker's shapes (moby's convert/secret.go, config.go). A
 * secret's value goes in once, on create, straight to the control API (which seals it);
 * it never comes back, nor reaches a log or an error message. A config's value is shown
 * on inspect, as Docker does.
 */
final class PayloadsApi implements Router.Group {

    @Override
    public void register(Router r) {
        r.get("/secrets", this::listSecrets);
        r.post("/secrets/create", this::createSecret);
        r.get("/secrets/{id}", c -> secret(c.api().getSecret(GetSecretRequest.newBuilder().setId(c.param("id")).build()).getSecret()));
        r.post("/secrets/{id}/update", this::updateSecret);
        r.delete("/secrets/{id}", c -> {
            c.api().removeSecret(RemoveSecretRequest.newBuilder().setId(c.param("id")).build());
            return Router.Reply.noContent();
        });
        r.get("/configs", this::listConfigs);
        r.post("/configs/create", this::createConfig);
        r.get("/configs/{id}", c -> config(c.api().getConfig(GetConfigRequest.newBuilder().setId(c.param("id")).build()).getConfig()));
        r.post("/configs/{id}/update", this::updateConfig);
        r.delete("/configs/{id}", c -> {
            c.api().removeConfig(RemoveConfigRequest.newBuilder().setId(c.param("id")).build());
            return Router.Reply.noContent();
        });
    }

    // ------------------------------------------------------------ secrets

    private JsonNode listSecrets(Call c) {
        Filters f = c.filters().check("id", "label", "name", "names");
        ArrayNode out = Json.array();
        for (Secret s : c.api().listSecrets(ListSecretsRequest.newBuilder().setFilters(listFilters(f)).build()).getSecretsList()) {
            String name = s.getSpec().getAnnotations().getName();
            if (Shapes.anyPrefix(f.get("name"), name) && Shapes.anyPrefix(f.get("id"), s.getId())) {
                out.add(secret(s));
            }
        }
        return out;
    }

    /** Exact names and labels go to the control API; prefixes (name, id) are matched here, as Docker. */
    private static ListFilters listFilters(Filters f) {
        return ListFilters.newBuilder().addAllNames(f.get("names")).putAllLabels(f.labels()).build();
    }

    private Router.Reply createSecret(Call c) {
        Json.Obj o = Json.Obj.root(secretBody(c));
        SecretSpec.Builder spec = SecretSpec.newBuilder();
        spec.getAnnotationsBuilder().setName(o.str("Name")).putAllLabels(o.map("Labels"));
        byte[] data = data(o);
        try {
            Json.Obj driver = o.obj("Driver");
            spec.setDriver(Driver.newBuilder().setName(driver.str("Name")).putAllOptions(driver.map("Options")));
            driver.done();
            o.unsupported("Templating");
            o.done();
            spec.setData(ByteString.copyFrom(data));
        } finally {
            Arrays.fill(data, (byte) 0);
        }
        Secret s = c.api().createSecret(CreateSecretRequest.newBuilder().setSpec(spec).build()).getSecret();
        return Router.Reply.created(Json.object().put("ID", s.getId()));
    }

    private Router.Reply updateSecret(Call c) {
        long version = c.version("secret");
        Json.Obj o = Json.Obj.root(secretBody(c));
        SecretSpec.Builder spec = SecretSpec.newBuilder();
        spec.getAnnotationsBuilder().setName(o.str("Name")).putAllLabels(o.map("Labels"));
        byte[] data = data(o);
        try {
            Json.Obj driver = o.obj("Driver");
            String driverName = driver.str("Name");
            driver.map("Options");
            driver.done();
            o.unsupported("Templating");
            o.done();
            Secret current = c.api().getSecret(GetSecretRequest.newBuilder().setId(c.param("id")).build()).getSecret();
            if (!driverName.isEmpty() && !driverName.equals(current.getSpec().getDriver().getName())) {
                throw DockerError.badRequest("only updates to Labels are allowed: the secret's driver cannot change");
            }
            spec.setData(ByteString.copyFrom(data));
            c.api().updateSecret(UpdateSecretRequest.newBuilder().setId(current.getId()).setVersion(version).setSpec(spec).build());
        } finally {
            Arrays.fill(data, (byte) 0);
        }
        return Router.Reply.ok();
    }

    /** Docker's Secret: never its value. */
    static ObjectNode secret(Secret s) {
        ObjectNode o = Json.object();
        o.put("ID", s.getId());
        Shapes.meta(o, s.getMeta());
        ObjectNode spec = o.putObject("Spec");
        spec.put("Name", s.getSpec().getAnnotations().getName());
        spec.set("Labels", Json.labels(s.getSpec().getAnnotations().getLabelsMap()));
        if (!s.getSpec().getDriver().getName().isEmpty()) {
            ObjectNode d = spec.putObject("Driver");
            d.put("Name", s.getSpec().getDriver().getName());
            d.set("Options", Json.labels(s.getSpec().getDriver().getOptionsMap()));
        }
        return o;
    }

    // ------------------------------------------------------------ configs

    private JsonNode listConfigs(Call c) {
        Filters f = c.filters().check("id", "label", "name", "names");
        ArrayNode out = Json.array();
        for (Config cf : c.api().listConfigs(ListConfigsRequest.newBuilder().setFilters(listFilters(f)).build()).getConfigsList()) {
            if (Shapes.anyPrefix(f.get("name"), cf.getSpec().getAnnotations().getName()) && Shapes.anyPrefix(f.get("id"), cf.getId())) {
                out.add(config(cf));
            }
        }
        return out;
    }

    private Router.Reply createConfig(Call c) {
        Json.Obj o = Json.Obj.root(c.body());
        ConfigSpec.Builder spec = ConfigSpec.newBuilder();
        spec.getAnnotationsBuilder().setName(o.str("Name")).putAllLabels(o.map("Labels"));
        spec.setData(ByteString.copyFrom(data(o)));
        o.unsupported("Templating");
        o.done();
        Config cf = c.api().createConfig(CreateConfigRequest.newBuilder().setSpec(spec).build()).getConfig();
        return Router.Reply.created(Json.object().put("ID", cf.getId()));
    }

    private Router.Reply updateConfig(Call c) {
        long version = c.version("config");
        Json.Obj o = Json.Obj.root(c.body());
        ConfigSpec.Builder spec = ConfigSpec.newBuilder();
        spec.getAnnotationsBuilder().setName(o.str("Name")).putAllLabels(o.map("Labels"));
        spec.setData(ByteString.copyFrom(data(o)));
        o.unsupported("Templating");
        o.done();
        c.api().updateConfig(UpdateConfigRequest.newBuilder().setId(c.param("id")).setVersion(version).setSpec(spec).build());
        return Router.Reply.ok();
    }

    /** Docker's Config: its current value in {@code Spec.Data} (base64). */
    static ObjectNode config(Config cf) {
        ObjectNode o = Json.object();
        o.put("ID", cf.getId());
        Shapes.meta(o, cf.getMeta());
        ObjectNode spec = o.putObject("Spec");
        spec.put("Name", cf.getSpec().getAnnotations().getName());
        spec.set("Labels", Json.labels(cf.getSpec().getAnnotations().getLabelsMap()));
        byte[] data = cf.getVersionsCount() == 0 ? new byte[0] : cf.getVersions(cf.getVersionsCount() - 1).getData().toByteArray();
        spec.put("Data", Base64.getEncoder().encodeToString(data));
        return o;
    }

    /**
     * {@code Data}: base64 as Go encodes a byte slice. The message never quotes it (it may be
     * a secret).
     */
    private static byte[] data(Json.Obj o) {
        JsonNode v = o.raw("Data");
        if (v == null || v.isNull()) {
            return new byte[0];
        }
        if (!v.isTextual()) {
            throw DockerError.badRequest(o.path("Data") + ": expected a base64 string");
        }
        try {
            return Base64.getDecoder().decode(v.textValue());
        } catch (IllegalArgumentException e) {
            throw DockerError.badRequest(o.path("Data") + ": not valid base64 (standard alphabet, padded)");
        }
    }

    /**
     * The body of a secrets call: malformed JSON is refused without Jackson's message,
     * which may quote the text it choked on (the secret's value).
     */
    private static JsonNode secretBody(Call c) {
        try {
            return c.body();
        } catch (DockerError e) {
            if (e.status() != 400) {
                throw e;
            }
            throw DockerError.badRequest("invalid JSON in the secret request body (not quoted here: it may hold the secret)");
        }
    }
}
