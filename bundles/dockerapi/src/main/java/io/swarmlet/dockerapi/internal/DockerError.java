package io.swarmlet.dockerapi.internal;

import io.swarmlet.api.control.ControlException;

/**
 * A refused call, answered as Docker does: the status code and {@code {"message": ...}}.
 * The message is for the user (the docker CLI prints it after "Error response from
 * daemon: ") and never carries a secret value.
 */
final class DockerError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    DockerError(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() { return status; }

    static DockerError badRequest(String message) { return new DockerError(400, message); }

    static DockerError notFound(String message) { return new DockerError(404, message); }

    static DockerError conflict(String message) { return new DockerError(409, message); }

    /**
     * The control API's refusals with Docker's status codes: a stale version (ABORTED) is
     * 409, no leader or quorum (UNAVAILABLE) 503, a service in use (FAILED_PRECONDITION)
     * 400 as Docker answers "is in use by the following service".
     */
    static DockerError of(ControlException e) {
        int status = switch (e.code()) {
            case INVALID_ARGUMENT, FAILED_PRECONDITION -> 400;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED -> 409;
            case UNAVAILABLE -> 503;
            case UNIMPLEMENTED -> 501;
            case INTERNAL -> 500;
        };
        return new DockerError(status, e.getMessage());
    }
}
