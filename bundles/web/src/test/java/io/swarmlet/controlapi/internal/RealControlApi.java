package io.swarmlet.controlapi.internal;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.store.Store;

/** The controlapi bundle's real {@link ControlApi} for the web console's tests (its constructor is package-private). */
public final class RealControlApi {

    private RealControlApi() {}

    public static ControlApi over(Store store, LocalNode local) {
        return new ControlApiImpl(store, local);
    }
}
