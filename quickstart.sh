#!/usr/bin/env bash
# Builds Swarmlet and starts a one-node cluster in the background, then shows what to try.
# State: /tmp/swarmlet (control socket /tmp/swarmlet/swarmletd.sock, Docker Engine API socket
# /tmp/swarmlet/docker.sock, output /tmp/swarmlet/swarmletd.out).
# Run it again at any time: a swarmletd it started earlier that is still running is reused.
# SKIP_BUILD=1 ./quickstart.sh uses the distribution already built.
# LISTEN_REMOTE_API=0.0.0.0:4242 ./quickstart.sh takes nodes from other machines (default: this
# machine's 127.0.0.1, so that more nodes can run here on 127.0.0.2, .3... each with its own mesh).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"

STATE=/tmp/swarmlet
SOCK=$STATE/swarmletd.sock
DOCKER_SOCK=$STATE/docker.sock
OUT=$STATE/swarmletd.out
PIDFILE=$STATE/quickstart.pid
DIST=$PWD/distribution/target/swarmlet
READY_WAIT_S=${READY_WAIT_S:-90}

step() { echo "==> $*"; }
die() { echo "quickstart: error: $*" >&2; exit 1; }

step "Preparing this machine (Java, Maven, Docker, test images)"
./.ci/setup-host.sh

if [ "${SKIP_BUILD:-0}" = 1 ] && [ -x "$DIST/bin/swarmletd" ]; then
    step "Using the distribution already built in $DIST"
else
    # the distribution and what goes into it (not the test-only modules)
    step "Building (mvn -B -q -DskipTests install -pl distribution/assembly -am)"
    # (sed: Maven 3.8 prints stray colour resets even with -B -q)
    mvn -B -q -DskipTests install -pl distribution/assembly -am 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g'
fi

# A swarmletd from an earlier quickstart: its pid file names a live launcher process.
running_pid() {
    local pid
    pid="$(cat "$PIDFILE" 2>/dev/null)" || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'io.swarmlet.launcher.Main' \
        && echo "$pid"
}

answers() { "$DIST/bin/swarmlet" --socket "$SOCK" node ls >"$STATE/node-ls.out" 2>&1; }

if pid="$(running_pid)"; then
    step "swarmletd is already running from an earlier quickstart (pid $pid): reusing it"
    echo "    (it runs the build it was started with; for this build: kill $pid && ./quickstart.sh)"
else
    mkdir -p "$STATE"
    step "Starting swarmletd in the background (state $STATE, output $OUT)"
    "$DIST/bin/swarmletd" --state-dir "$STATE" --listen-control-api "$SOCK" --hostname "$(hostname)" \
        --listen-docker-api "$DOCKER_SOCK" --listen-remote-api "${LISTEN_REMOTE_API:-127.0.0.1:4242}" >"$OUT" 2>&1 </dev/null &
    pid=$!
    started=1
    echo "$pid" >"$PIDFILE"
fi

# Wait until the control API answers (or the daemon gives up, or the deadline passes); a daemon
# just started says "swarmletd: ready" first, which is cheaper to watch for than running the CLI.
deadline=$((SECONDS + READY_WAIT_S))
if [ "${started:-0}" = 1 ]; then
    until grep -q '^swarmletd: ready' "$OUT"; do
        kill -0 "$pid" 2>/dev/null || break
        [ "$SECONDS" -lt "$deadline" ] || break
        sleep 0.2
    done
fi
until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
        tail -n 20 "$OUT" >&2 || true
        die "swarmletd exited before it answered; see $OUT and $STATE/logs/swarmletd.log"
    fi
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$OUT" >&2; die "swarmletd did not answer on $SOCK within ${READY_WAIT_S}s; see $OUT"; }
    sleep 1
done

step "swarmletd is up (pid $pid). swarmlet node ls:"
sed 's/^/    /' "$STATE/node-ls.out"
# the ready line says where the web console is (absent when its port was taken: see $OUT)
WEB_URL="$(sed -n 's/^swarmletd: ready (.*web console at \([^ )]*\)).*/\1/p' "$OUT" | tail -n 1)"
if [ -n "$WEB_URL" ]; then
    step "The web console: open $WEB_URL (reading needs nothing; to act, enter a token from: swarmlet web token)"
fi
cat <<MSG

Next, try:

    export PATH="$DIST/bin:\$PATH"
    export SWARM_SOCKET=$SOCK
    swarmlet node ls
    swarmlet cluster inspect default
    swarmlet service create --name nginx --replicas 3 swarmlet/busybox:1 sleep 3600
    swarmlet service ls
    swarmlet service ps nginx
    swarmlet service update --image swarmlet/busybox:2 --update-parallelism 2 nginx
    swarmlet service logs nginx
    swarmlet service rm nginx
    swarmlet service create --name web --publish 8080:80 --replicas 3 swarmlet/busybox:1 \\
        sh -c 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www'
    curl 127.0.0.1:8080             # a different container each time (the routing mesh)
    swarmlet node drain <ID>        # then: swarmlet node activate <ID>

The stock docker CLI drives it too (the swarm part of the Docker Engine API):

    export DOCKER_HOST=unix://$DOCKER_SOCK
    docker node ls
    docker service create --name hello --replicas 2 swarmlet/busybox:1 sleep 3600
    docker service ps hello
    docker service rm hello

Logs: $OUT and $STATE/logs/swarmletd.log. Stop it: kill $pid
MSG
