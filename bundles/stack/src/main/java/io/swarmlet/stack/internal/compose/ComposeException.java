package io.swarmlet.stack.internal.compose;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The compose files cannot be deployed. Carries every problem found, each with its file and line
 * ({@code compose.yml:14: services.web.deploy.replicas must be an integer}); the message lists them one a line.
 */
public final class ComposeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** One problem: where (file and 1-based line; 0 when no line applies) and what. */
    public record Problem(String file, int line, String message) {
        @Override
        public String toString() {
            return line > 0 ? file + ":" + line + ": " + message : file + ": " + message;
        }
    }

    private final transient List<Problem> problems;

    public ComposeException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public ComposeException(Loc at, String message) {
        this(List.of(new Problem(at.file(), at.line(), message)));
    }

    public List<Problem> problems() {
        return problems;
    }
}
