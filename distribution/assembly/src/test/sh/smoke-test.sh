#!/usr/bin/env bash
# shellcheck disable=SC2015 # "check && check || fail": fail when either check is false
# Smoke test of the assembled distribution (run by Maven in the integration-test phase):
# the scripts, both classpaths, conf/ and the bundle set, together. Quiet unless a check fails.
# With a second directory, the worker-only distribution: its layout and flags, its refusal to create a
# swarm, and its refusal of a manager token from the one-node cluster of the first.
#   smoke-test.sh DIST_DIR [WORKER_DIST_DIR]
set -euo pipefail

dist="$(cd "${1:?usage: smoke-test.sh DIST_DIR [WORKER_DIST_DIR]}" && pwd)"
worker_dist=""
if [ -n "${2:-}" ]; then worker_dist="$(cd "$2" && pwd)"; fi
swarmletd="$dist/bin/swarmletd"
swarmlet="$dist/bin/swarmlet"
start=$SECONDS
checks=0

tmp="$(mktemp -d /tmp/swarmlet-smoke.XXXXXX)" # short: the control socket path must fit 107 bytes
daemon_pid=""
cleanup() {
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill -KILL "$daemon_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
    echo "smoke-test: FAILED: $*" >&2
    for f in "$tmp/out" "$tmp/err" "$tmp/daemon.out"; do
        if [ -s "$f" ]; then echo "--- $f" >&2; tail -n 30 "$f" >&2; fi
    done
    if [ -s "$tmp/state/logs/swarmletd.log" ]; then
        echo "--- swarmletd.log" >&2; tail -n 40 "$tmp/state/logs/swarmletd.log" >&2
    fi
    exit 1
}
ok() { checks=$((checks + 1)); }

# run CMD...: status in $rc, output in $tmp/out and $tmp/err
run() { rc=0; "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?; }

# --- the layout
for d in bin lib bundle cli conf deploy; do [ -d "$dist/$d" ] || fail "no $d/ in $dist"; done
[ -x "$swarmletd" ] && [ -x "$swarmlet" ] || fail "bin/swarmletd and bin/swarmlet must be executable"
[ -f "$dist/conf/log4j2.xml" ] && [ -f "$dist/conf/framework.properties" ] || fail "conf/ is incomplete"
ok
if [ -f "$dist/conf/distribution.properties" ]; then
    [ -f "$dist/conf/features.xml" ] || fail "conf/distribution.properties without conf/features.xml"
    grep -q '^features=.*manager' "$dist/conf/distribution.properties" || fail "$dist does not boot the manager feature"
    ok
fi

# --- the worker-only distribution: layout, flags, no swarm of its own
if [ -n "$worker_dist" ]; then
    for d in bin lib bundle cli conf deploy; do [ -d "$worker_dist/$d" ] || fail "no $d/ in $worker_dist"; done
    grep -q '^name=swarmlet-worker$' "$worker_dist/conf/distribution.properties" || fail "$worker_dist is not swarmlet-worker"
    [ -f "$worker_dist/conf/features.xml" ] || fail "no conf/features.xml in $worker_dist"
    ! ls "$worker_dist"/bundle/io.swarmlet.{store,scheduler,orchestrator,updater,dispatcher}-*.jar >/dev/null 2>&1 \
        || fail "the worker-only distribution holds manager bundles"
    ls "$worker_dist"/bundle/io.swarmlet.agent-*.jar >/dev/null 2>&1 || fail "the worker-only distribution has no agent"
    ok
    run "$worker_dist/bin/swarmletd" --version
    [ "$rc" = 0 ] && grep -Eq '^swarmletd [0-9]' "$tmp/out" || fail "swarmlet-worker: swarmletd --version (rc $rc)"
    run "$worker_dist/bin/swarmletd" --help
    [ "$rc" = 0 ] && grep -q -- '--join-token' "$tmp/out" || fail "swarmlet-worker: swarmletd --help (rc $rc)"
    run "$worker_dist/bin/swarmlet" --version
    [ "$rc" = 0 ] || fail "swarmlet-worker: swarmlet --version (rc $rc)"
    ok
    run "$worker_dist/bin/swarmletd" --state-dir "$tmp/wstate"
    [ "$rc" = 1 ] && [ "$(cat "$tmp/err")" = "swarmletd: error: this is the worker-only distribution (swarmlet-worker): it cannot create a swarm; join one with --join-addr and --join-token (swarmlet swarm join-token worker)" ] \
        || fail "swarmlet-worker without join flags must refuse to create a swarm, exit 1 (rc $rc)"
    [ ! -e "$tmp/wstate" ] || fail "swarmlet-worker must refuse before touching the state dir"
    ok
fi

# --- flags, without starting anything
run "$swarmletd" --version
[ "$rc" = 0 ] && grep -Eq '^swarmletd [0-9]' "$tmp/out" || fail "swarmletd --version (rc $rc)"
ok
run "$swarmlet" --version
[ "$rc" = 0 ] || fail "swarmlet --version (rc $rc)"
ok
ln -s "$swarmletd" "$tmp/swarmletd-link"
run "$tmp/swarmletd-link" --help
[ "$rc" = 0 ] && grep -q -- '--listen-control-api' "$tmp/out" || fail "swarmletd --help through a symlink (rc $rc)"
ok
run "$swarmletd" --no-such-flag
[ "$rc" = 2 ] && head -n 1 "$tmp/err" | grep -q "^swarmletd: Unknown option: '--no-such-flag'" \
    || fail "an unknown flag must be a usage error, exit 2 (rc $rc)"
ok
run "$swarmletd" --state-dir "$tmp/state" --join-addr 10.0.0.1:4242
[ "$rc" = 1 ] && grep -q "^swarmletd: error: --join-addr needs --join-token" "$tmp/err" \
    || fail "--join-addr without --join-token must be refused with exit 1 (rc $rc)"
[ ! -e "$tmp/state" ] || fail "--join-addr must be refused before touching the state dir"
ok
token="SWMTKN-1-$(printf '0%.0s' $(seq 50))-$(printf 'a%.0s' $(seq 25))"
run "$swarmletd" --state-dir "$tmp/state" --listen-remote-api 127.0.0.1:0 --join-addr 127.0.0.1:1 --join-token "$token"
[ "$rc" = 1 ] && grep -q "^swarmletd: error: cannot join the cluster at 127.0.0.1:1: cannot reach the manager" "$tmp/err" \
    || fail "a join with no manager there must fail with exit 1 (rc $rc)"
[ ! -e "$tmp/state" ] || fail "a failed join must write nothing to the state dir"
ok
touch "$tmp/a-file"
run "$swarmletd" --state-dir "$tmp/a-file"
[ "$rc" = 1 ] && [ "$(cat "$tmp/err")" = "swarmletd: error: state directory $tmp/a-file exists and is not a directory" ] \
    || fail "a state dir that is a file must be refused with exit 1 (rc $rc)"
ok

# --- a one-node cluster: ready, answers the CLI, stops cleanly on SIGTERM
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for _ in $(seq 50); do
    # below the kernel's ephemeral range (32768-60999 by default): a port there can be the local
    # end of some outgoing connection, which a connect probe does not see but a bind fails on
    p=$((20000 + RANDOM % 12000))
    if port_free "$p" && port_free $((p + 1)); then port=$p; break; fi
done
[ -n "$port" ] || fail "no free port pair found"

"$swarmletd" --state-dir "$tmp/state" --listen-control-api "$tmp/s.sock" --listen-remote-api "127.0.0.1:$port" \
    --hostname smoke-01 >"$tmp/daemon.out" 2>&1 </dev/null &
daemon_pid=$!
deadline=$((SECONDS + 90))
until grep -qs '^swarmletd: ready' "$tmp/daemon.out"; do
    kill -0 "$daemon_pid" 2>/dev/null || { wait "$daemon_pid" || rc=$?; fail "swarmletd exited (rc ${rc:-0}) before it was ready"; }
    [ "$SECONDS" -lt "$deadline" ] || fail "swarmletd did not print 'swarmletd: ready' within 90 s"
    sleep 0.2
done
grep -Eq "^swarmletd: ready \(.*control API at $tmp/s.sock(, web console at http://[^ )]+/)?\)" "$tmp/daemon.out" || fail "unexpected ready line"
[ -S "$tmp/s.sock" ] || fail "no control socket at $tmp/s.sock once ready"
ok
run "$swarmlet" --socket "$tmp/s.sock" node ls
[ "$rc" = 0 ] && grep -q smoke-01 "$tmp/out" || fail "swarmlet node ls (rc $rc) does not list smoke-01"
ok
run "$swarmletd" --state-dir "$tmp/state" --listen-control-api "$tmp/s2.sock" --listen-remote-api "127.0.0.1:$((port + 2))"
[ "$rc" = 1 ] && grep -q "^swarmletd: error: state directory $tmp/state is in use by another swarmletd (pid $daemon_pid)" "$tmp/err" \
    || fail "a second swarmletd on the same state dir must be refused with exit 1 (rc $rc)"
run "$swarmlet" --socket "$tmp/s.sock" node ls
[ "$rc" = 0 ] || fail "the first swarmletd must keep answering after a second one was refused (rc $rc)"
ok

if [ -n "$worker_dist" ]; then
    run "$swarmlet" --socket "$tmp/s.sock" swarm join-token -q manager
    [ "$rc" = 0 ] || fail "swarmlet swarm join-token -q manager (rc $rc)"
    mtoken="$(cat "$tmp/out")"
    run "$worker_dist/bin/swarmletd" --state-dir "$tmp/wstate" --listen-remote-api "127.0.0.1:$((port + 4))" \
        --hostname smoke-w --join-addr "127.0.0.1:$port" --join-token "$mtoken"
    [ "$rc" = 1 ] && grep -q "^swarmletd: error: cannot join the cluster at 127.0.0.1:$port: this node runs the worker-only distribution and cannot join as a manager: use the worker join token" "$tmp/err" \
        || fail "swarmlet-worker with the manager token must be refused, exit 1 (rc $rc)"
    [ ! -e "$tmp/wstate" ] || fail "a refused manager token must write nothing to the state dir"
    run "$swarmlet" --socket "$tmp/s.sock" node ls
    [ "$rc" = 0 ] && [ "$(grep -c . "$tmp/out")" = 2 ] || fail "a refused join must record no node (rc $rc)"
    ok
fi

kill -TERM "$daemon_pid"
deadline=$((SECONDS + 20))
while kill -0 "$daemon_pid" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || fail "swarmletd did not exit within 20 s of SIGTERM"
    sleep 0.1
done
rc=0; wait "$daemon_pid" || rc=$?
daemon_pid=""
[ "$rc" = 0 ] || fail "swarmletd exited with $rc after SIGTERM (expected 0)"
ok

echo "smoke-test: ok ($checks checks, $((SECONDS - start)) s)"
