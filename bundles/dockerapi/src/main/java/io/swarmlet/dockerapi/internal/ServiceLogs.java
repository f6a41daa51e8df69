package io.swarmlet.dockerapi.internal;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.types.GetServiceRequest;
import io.swarmlet.api.types.GetTaskRequest;
import io.swarmlet.api.types.LogMessage;
import io.swarmlet.api.types.LogsRequest;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.Task;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * {@code GET /services/{id}/logs} and {@code GET /tasks/{id}/logs}: the control API's log
 * lines in Docker's stream format. Without a TTY each line is a multiplexed frame (8-byte
 * header: stream 1 stdout or 2 stderr, three zero bytes, big-endian uint32 length), with a
 * TTY the bytes go raw, as dockerd. {@code details} puts the node, service and task IDs
 * before each line (the docker CLI always asks for them and needs all three);
 * {@code timestamps} puts an RFC 3339 time with nanoseconds before that. {@code since} keeps
 * the lines from that time on. A follow stream ends when the client goes away: the server
 * sees the connection close and interrupts the control API's {@code logs} call.
 */
final class ServiceLogs {

    static final String RAW_STREAM = "application/vnd.docker.raw-stream";
    /** Go's RFC3339Nano with a fixed nine-digit fraction, as dockerd prints log timestamps. */
    static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    private ServiceLogs() {}

    /** The options of one logs request. */
    record Options(boolean stdout, boolean stderr, boolean follow, boolean timestamps, boolean details, int tail, long sinceMillis) {}

    static Options options(Call c) {
        boolean stdout = c.flag("stdout");
        boolean stderr = c.flag("stderr");
        if (!stdout && !stderr) {
            throw DockerError.badRequest("must specify at least one of 'stdout' or 'stderr'");
        }
        String tailText = c.query("tail");
        int tail;
        if (tailText.isEmpty() || tailText.equals("all")) {
            tail = -1;
        } else {
            try {
                tail = Integer.parseInt(tailText);
            } catch (NumberFormatException e) {
                throw DockerError.badRequest("tail value must be a positive integer or \"all\"");
            }
            if (tail < 0) {
                throw DockerError.badRequest("negative tail values not supported");
            }
        }
        return new Options(stdout, stderr, c.flag("follow"), c.flag("timestamps"), c.flag("details"), tail,
                c.unixMillis("since"));
    }

    /** Resolves the service or task first (404 before the stream starts), then streams. */
    static Router.Streamed stream(Call c, boolean ofService) {
        Options opt = options(c);
        ControlApi api = c.api();
        String id;
        String serviceId;
        boolean tty;
        if (ofService) {
            Service s = api.getService(GetServiceRequest.newBuilder().setId(c.param("id")).build()).getService();
            id = s.getId();
            serviceId = s.getId();
            tty = s.getSpec().getTask().getContainer().getTty();
        } else {
            Task t = api.getTask(GetTaskRequest.newBuilder().setId(c.param("id")).build()).getTask();
            id = t.getId();
            serviceId = t.getServiceId();
            tty = t.getSpec().getContainer().getTty();
        }
        LogsRequest req = LogsRequest.newBuilder().setId(id).setTail(opt.tail()).setFollow(opt.follow()).build();
        return new Router.Streamed() {
            @Override
            public String contentType() {
                return RAW_STREAM;
            }

            @Override
            public boolean open() {
                return opt.follow();
            }

            @Override
            public void write(OutputStream out) throws IOException, InterruptedException {
                out.flush(); // the status and headers go now: a follow stream may wait long for its first line
                try {
                    api.logs(req, m -> {
                        if (m.getStderr() ? !opt.stderr() : !opt.stdout()) {
                            return;
                        }
                        if (opt.sinceMillis() > 0 && m.getTimestamp() < opt.sinceMillis()) {
                            return;
                        }
                        try {
                            byte[] line = line(m, serviceId, opt).getBytes(StandardCharsets.UTF_8);
                            if (tty) {
                                out.write(line);
                            } else {
                                frame(out, m.getStderr() ? 2 : 1, line);
                            }
                            out.flush();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
                } catch (UncheckedIOException e) {
                    // the client went away
                } catch (ControlException e) {
                    byte[] msg = ("Error grabbing logs: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
                    if (tty) {
                        out.write(msg);
                    } else {
                        frame(out, 3, msg);
                    }
                    out.flush();
                }
            }
        };
    }

    /** One line as dockerd writes it: [timestamp ][details ]text, ending in a newline. */
    static String line(LogMessage m, String serviceId, Options opt) {
        StringBuilder b = new StringBuilder();
        if (opt.timestamps()) {
            b.append(TIMESTAMP.format(Instant.ofEpochMilli(m.getTimestamp()))).append(' ');
        }
        if (opt.details()) {
            b.append("com.docker.swarm.node.id=").append(enc(m.getNodeId()))
                    .append(",com.docker.swarm.service.id=").append(enc(serviceId))
                    .append(",com.docker.swarm.task.id=").append(enc(m.getTaskId())).append(' ');
        }
        b.append(m.getLine());
        if (!m.getLine().endsWith("\n")) {
            b.append('\n');
        }
        return b.toString();
    }

    private static String enc(String v) {
        return URLEncoder.encode(v, StandardCharsets.UTF_8);
    }

    /** One multiplexed frame: stream (1 stdout, 2 stderr, 3 system error), 3 zero bytes, length, payload. */
    static void frame(OutputStream out, int stream, byte[] payload) throws IOException {
        int n = payload.length;
        out.write(new byte[] {(byte) stream, 0, 0, 0, (byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        out.write(payload);
    }
}
