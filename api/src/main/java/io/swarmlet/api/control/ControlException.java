package io.swarmlet.api.control;

/**
 * A control API call that was refused. The message is meant for the user
 * and says what to do; it never contains a secret value. The code maps onto
 * a gRPC status code of the same name.
 */
public class ControlException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public enum Code { INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED, UNAVAILABLE, UNIMPLEMENTED, INTERNAL }

    private final Code code;

    public ControlException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public ControlException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() { return code; }

    public static ControlException invalid(String message) { return new ControlException(Code.INVALID_ARGUMENT, message); }

    public static ControlException notFound(String message) { return new ControlException(Code.NOT_FOUND, message); }
}
