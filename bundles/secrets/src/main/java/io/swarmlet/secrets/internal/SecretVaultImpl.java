package io.swarmlet.secrets.internal;

import io.swarmlet.api.security.DataKey;
import io.swarmlet.api.security.SecretVault;
import io.swarmlet.spi.secrets.SecretsDriver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Seals and opens secret values through the {@link SecretsDriver} a secret
 * names: the built-in one for "" (or null), else the driver service whose
 * {@link SecretsDriver#NAME} property is that name (a plugin). Needs the
 * {@link DataKey}, so it is registered only on an unlocked manager, and comes
 * and goes with it.
 */
@Component(service = SecretVault.class)
public class SecretVaultImpl implements SecretVault {

    /** Gates this component on an unlocked manager; the vault itself seals nothing with it. */
    @Reference
    private DataKey dataKey;

    private final Map<String, SecretsDriver> drivers = new ConcurrentHashMap<>();

    public SecretVaultImpl() {}

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "removeDriver")
    void addDriver(SecretsDriver driver, Map<String, Object> properties) {
        Object name = properties.get(SecretsDriver.NAME);
        if (name != null && !String.valueOf(name).isBlank()) {
            drivers.put(String.valueOf(name).trim(), driver);
        }
    }

    void removeDriver(SecretsDriver driver, Map<String, Object> properties) {
        Object name = properties.get(SecretsDriver.NAME);
        if (name != null) {
            drivers.remove(String.valueOf(name).trim(), driver);
        }
    }

    @Override
    public byte[] seal(String driver, String secretId, long version, byte[] plain) {
        return driver(driver).seal(secretId, version, plain);
    }

    @Override
    public byte[] open(String driver, String secretId, long version, byte[] sealed) {
        return driver(driver).open(secretId, version, sealed);
    }

    private SecretsDriver driver(String name) {
        String n = name == null || name.isBlank() ? SecretsDriver.BUILTIN : name.trim();
        SecretsDriver d = drivers.get(n);
        if (d == null) {
            throw new IllegalArgumentException("secrets driver '" + n + "' is not installed on this manager");
        }
        return d;
    }
}
