#!/usr/bin/env bash
# Hot module updates on a running node (issue 6), against a daemon restart in the same run:
#   one swarmletd; service `web` (3 replicas of swarmlet/httpecho:1) published on 18090 through the mesh.
#   1. `module update scheduler` -> new code in use: a new task placed by the updated scheduler
#      (ms from the update command to `service ps` showing the task on a node), median of 5
#   2. `module update` of orchestrator, agent, executor-docker, mesh: command round trip (CLI JVM
#      included), median of 5 each
#   3. mesh listener gap during `module update mesh`: first to last refused connection of a client
#      connecting every 2 ms, median of 5
#   4. containers restarted over the whole run (docker's container IDs and StartedAt before/after)
#   baseline, same run: the daemon restarted (SIGTERM, start, ready, mesh answering; the agent adopts
#   the containers), median of 3; the ratios are update / restart.
# Usage: bench/modules.sh   (after ./quickstart.sh or mvn -DskipTests install; needs root and dockerd)
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=$PWD/distribution/target/swarmlet
[ -x "$DIST/bin/swarmletd" ] || { echo "build first: mvn -DskipTests install" >&2; exit 1; }
.ci/setup-host.sh >/dev/null
ROUNDS=${BENCH_ROUNDS:-5}
PORT=18090
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
st=$(mktemp -d /tmp/swl-bench-modules-XXXX)
REMOTE=127.0.0.1:$(free_port); RAFT=127.0.0.1:$(free_port)
spid=
start() {
  "$DIST/bin/swarmletd" --state-dir "$st" --listen-control-api "$st/c.sock" --listen-remote-api "$REMOTE" \
     --listen-raft-api "$RAFT" --hostname bench-modules > "$st/out.log" 2>&1 < /dev/null &
  spid=$!
  until grep -q "swarmletd: ready" "$st/out.log" 2>/dev/null; do kill -0 $spid || { cat "$st/out.log"; exit 1; }; sleep 0.02; done
}
cleanup() {
  [ -z "$spid" ] || { kill $spid 2>/dev/null || true; wait $spid 2>/dev/null || true; }
  docker ps -aq --filter label=io.swarmlet.task.id | xargs -r docker rm -f >/dev/null 2>&1 || true
}
trap cleanup EXIT
SW="$DIST/bin/swarmlet --socket $st/c.sock"
jar() { ls "$DIST"/bundle/io.swarmlet."${1//-/.}"-*.jar | head -1; }
mesh_up() { python3 - "$PORT" <<'PY'
import socket, sys, time
deadline = time.time() + 30
while time.time() < deadline:
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n"); ok = s.recv(1) != b""; s.close()
        if ok: sys.exit(0)
    except OSError: pass
    time.sleep(0.005)
sys.exit(1)
PY
}
snapshot() { docker ps -q --no-trunc --filter label=com.docker.swarm.service.name=web | sort \
  | xargs -r docker inspect -f '{{.Id}} {{.State.StartedAt}}'; }

start
$SW service create --detach --name web --replicas 3 -p $PORT:80 swarmlet/httpecho:1 >/dev/null
$SW service create --detach --name probe --replicas 0 swarmlet/busybox:1 sleep 100000 >/dev/null
until $SW service ls | grep -Eq "web .* 3/3"; do sleep 0.1; done
mesh_up
before=$(snapshot)

# 1. scheduler: update -> the next task is placed by the new revision
replicas=0
for i in $(seq "$ROUNDS"); do
  t0=$(now_ms)
  $SW module update scheduler "$(jar scheduler)" >/dev/null
  replicas=$((replicas + 1))
  $SW service scale --detach probe=$replicas >/dev/null
  until [ "$($SW service ps probe --filter desired-state=running --format '{{.Node}}' | grep -c bench-modules)" -ge "$replicas" ]; do sleep 0.02; done
  echo $(( $(now_ms) - t0 ))
done > "$st/scheduler"

# 2. other modules: command round trip; 3. the mesh's listener gap
for m in orchestrator agent executor-docker; do
  for i in $(seq "$ROUNDS"); do t0=$(now_ms); $SW module update $m "$(jar $m)" >/dev/null; echo $(( $(now_ms) - t0 )); done > "$st/$m"
done
for i in $(seq "$ROUNDS"); do
  python3 - "$PORT" > "$st/gap.$i" <<'PY' &
import socket, sys, time
fails = []; end = time.time() + 6
while time.time() < end:
    t = time.time()
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1); s.close()
    except OSError:
        fails.append(t)
    time.sleep(0.002)
print(int((fails[-1] - fails[0]) * 1000) if fails else 0)
PY
  probe=$!
  sleep 1
  t0=$(now_ms); $SW module update mesh "$(jar mesh)" >/dev/null; echo $(( $(now_ms) - t0 )) >> "$st/mesh"
  wait $probe
  cat "$st/gap.$i" >> "$st/gaps"
done
mesh_up
after_updates=$(snapshot)

# baseline: restart the daemon
for i in 1 2 3; do
  t0=$(now_ms)
  kill $spid; wait $spid 2>/dev/null || true
  start
  mesh_up
  echo $(( $(now_ms) - t0 )) >> "$st/restart"
done
until $SW service ls | grep -Eq "web .* 3/3"; do sleep 0.1; done
after=$(snapshot)

restart=$(median < "$st/restart")
row() { local v; v=$(median < "$st/$2"); printf '| %s | %s ms | %s ms | %.2f |\n' "$1" "$v" "$restart" "$(echo "$v / $restart" | bc -l)"; }
{
  echo "# Hot module updates (bench/modules.sh, $(date -u +%F), $(nproc) cores, median of $ROUNDS)"
  echo
  echo "| figure | update | daemon restart (same run) | ratio |"
  echo "|---|---|---|---|"
  row "module update scheduler -> new task placed by it" scheduler
  row "module update orchestrator (round trip)" orchestrator
  row "module update agent (round trip)" agent
  row "module update executor-docker (round trip)" executor-docker
  row "module update mesh (round trip)" mesh
  echo
  echo "- mesh listener gap during its update: median $(median < "$st/gaps") ms (all: $(tr '\n' ' ' < "$st/gaps")), goal < 1000 ms"
  echo "- containers restarted by the $((ROUNDS * 5)) updates: $(comm -3 <(echo "$before") <(echo "$after_updates") | wc -l | awk '{print $1/2}') (goal 0)"
  echo "- containers restarted by the 3 daemon restarts: $(comm -3 <(echo "$after_updates") <(echo "$after") | wc -l | awk '{print $1/2}')"
  echo "- scheduler rounds: $(tr '\n' ' ' < "$st/scheduler")ms; restarts: $(tr '\n' ' ' < "$st/restart")ms"
  echo "- every figure includes the swarmlet CLI's JVM start (about 0.3-0.5 s per command)"
} | tee bench/results/modules.md
