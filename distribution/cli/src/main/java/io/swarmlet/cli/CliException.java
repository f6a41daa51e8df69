package io.swarmlet.cli;

/** A command that cannot go on, for a reason the user can fix; printed as {@code Error: <message>}, exit code 1. */
public class CliException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CliException(String message) {
        super(message);
    }
}
