package io.swarmlet.grpc;

import io.grpc.Status;
import io.swarmlet.api.control.ControlException;

/** The one mapping between {@link ControlException} codes and gRPC status codes. */
final class Errors {

    private Errors() {}

    static Status.Code grpcCode(ControlException.Code code) {
        return Status.Code.valueOf(code.name());
    }

    static ControlException.Code controlCode(Status.Code code) {
        switch (code) {
            case INVALID_ARGUMENT: case OUT_OF_RANGE: return ControlException.Code.INVALID_ARGUMENT;
            case NOT_FOUND: return ControlException.Code.NOT_FOUND;
            case ALREADY_EXISTS: return ControlException.Code.ALREADY_EXISTS;
            case FAILED_PRECONDITION: return ControlException.Code.FAILED_PRECONDITION;
            case ABORTED: return ControlException.Code.ABORTED;
            case UNAVAILABLE: case DEADLINE_EXCEEDED: return ControlException.Code.UNAVAILABLE;
            case UNIMPLEMENTED: return ControlException.Code.UNIMPLEMENTED;
            default: return ControlException.Code.INTERNAL;
        }
    }
}
