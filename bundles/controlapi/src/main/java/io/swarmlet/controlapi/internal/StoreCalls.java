package io.swarmlet.controlapi.internal;

import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.store.StoreException;
import io.swarmlet.api.store.WriteTx;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Reads and writes of the store of the moment, as every part of the control API makes
 * them: a write's refusal becomes the control API's error ({@link ControlApiImpl#translate}).
 */
final class StoreCalls {

    private final Supplier<Store> store;

    StoreCalls(Supplier<Store> store) {
        this.store = store;
    }

    <R> R read(Function<ReadTx, R> reader) {
        return store.get().view(reader);
    }

    void write(Consumer<WriteTx> writer) {
        try {
            store.get().update(writer);
        } catch (StoreException e) {
            throw ControlApiImpl.translate(e);
        }
    }
}
