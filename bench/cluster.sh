#!/usr/bin/env bash
# A real cluster on one machine (issue 4): 3 managers + 2 workers, each its own swarmletd
# on 127.0.0.1, joined with tokens over mutual TLS, sharing the local dockerd.
#   1. leader SIGKILLed -> a write accepted through another manager (median of 5)
#      baseline, same run: a one-manager cluster SIGKILLed and restarted -> writable
#   2. worker SIGKILLed -> its tasks running on other nodes (median of 3)
#      baseline, same run: one task's container killed on a live node -> replaced
# Usage: bench/cluster.sh   (after ./quickstart.sh or mvn -DskipTests install; needs root and dockerd)
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=$PWD/distribution/target/swarmlet
[ -x "$DIST/bin/swarmletd" ] || { echo "build first: mvn -DskipTests install" >&2; exit 1; }
.ci/setup-host.sh >/dev/null
now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
root=$(mktemp -d /tmp/swl-cluster-bench-XXXX)
declare -A REMOTE RAFT PID STARTS
cleanup() {
  for n in "${!PID[@]}"; do kill "${PID[$n]}" 2>/dev/null || true; done
  sleep 2
  docker ps -aq --filter label=io.swarmlet.task.id | xargs -r docker rm -f >/dev/null 2>&1 || true
}
trap cleanup EXIT

start() { # name [flags...]
  local n=$1; shift
  [ -n "${REMOTE[$n]:-}" ] || { REMOTE[$n]=127.0.0.1:$(free_port); RAFT[$n]=127.0.0.1:$(free_port); }
  STARTS[$n]=$(( ${STARTS[$n]:-0} + 1 ))
  # a fresh output file per start: "ready" must be this start's
  "$DIST/bin/swarmletd" --state-dir "$root/$n" --listen-control-api "$root/$n.sock" \
     --listen-remote-api "${REMOTE[$n]}" --listen-raft-api "${RAFT[$n]}" --hostname "$n" "$@" \
     > "$root/$n.out.${STARTS[$n]}" 2>&1 < /dev/null &
  PID[$n]=$!
}
await_ready() { # name
  local deadline=$(( $(now_ms) + 90000 ))
  local out="$root/$1.out.${STARTS[$1]}"
  until grep -q "swarmletd: ready" "$out" 2>/dev/null && [ -S "$root/$1.sock" ]; do
    kill -0 "${PID[$1]}" 2>/dev/null || { cat "$out" >&2; exit 1; }
    [ "$(now_ms)" -lt "$deadline" ] || { echo "$1 not ready" >&2; exit 1; }
    sleep 0.1
  done
}
sw() { local n=$1; shift; "$DIST/bin/swarmlet" --socket "$root/$n.sock" "$@"; }
leader() { # on: the leader's hostname
  sw "$1" node ls | awk '$0 ~ / Leader / { for (i=1;i<=NF;i++) if ($i=="Leader") print ($2=="*" ? $3 : $2) }'
}
await_reachable() { # on name
  local deadline=$(( $(now_ms) + 90000 ))
  until sw "$1" node ls 2>/dev/null | grep -Eq " $2 +Ready +Active +(Reachable|Leader)"; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "$2 not reachable" >&2; exit 1; }
    sleep 0.2
  done
}
write_until_ok() { # t0 via: ms until a write through it is accepted (refusals logged in failover.log)
  local t0=$1 via=$2 i=0 out
  until out=$(sw "$via" node update --label-add "bench=$i" "$via" 2>&1); do
    echo "$(( $(now_ms) - t0 )) ms via $via: $out" >> "$root/failover.log"; i=$((i+1)); sleep 0.05
  done
  echo $(( $(now_ms) - t0 ))
}
running_except() { # service node-id: running containers of the service not on that node
  docker ps --filter "label=com.docker.swarm.service.name=$1" --format '{{.Label "io.swarmlet.node.id"}}' | grep -vc "^$2\$" || true
}

# ---------------------------------------------------------------- baseline 1: one manager restarted
start b1; await_ready b1
base_restart=()
for r in 1 2 3 4 5; do
  kill -9 "${PID[b1]}"; wait "${PID[b1]}" 2>/dev/null || true
  t0=$(now_ms); start b1
  until [ -S "$root/b1.sock" ] && sw b1 node update --label-add "bench=$r" b1 >/dev/null 2>&1; do sleep 0.05; done
  base_restart+=($(( $(now_ms) - t0 )))
done
kill "${PID[b1]}"; wait "${PID[b1]}" 2>/dev/null || true; unset 'PID[b1]'

# ---------------------------------------------------------------- the cluster
start m1; await_ready m1
MT=$(sw m1 swarm join-token -q manager); WT=$(sw m1 swarm join-token -q worker)
for n in m2 m3; do start $n --join-addr "${REMOTE[m1]}" --join-token "$MT"; await_ready $n; done
for n in w1 w2; do start $n --join-addr "${REMOTE[m1]}" --join-token "$WT"; done
await_ready w1; await_ready w2
for n in m2 m3; do await_reachable m1 $n; done

# ---------------------------------------------------------------- 1. leader kill
failover=()
for r in 1 2 3 4 5; do
  L=$(leader m1 2>/dev/null || leader m2 2>/dev/null || leader m3)
  other=m1; [ "$L" = m1 ] && other=m2
  kill -9 "${PID[$L]}"; t0=$(now_ms)
  failover+=($(write_until_ok "$t0" "$other"))
  wait "${PID[$L]}" 2>/dev/null || true
  start "$L"; await_ready "$L"; await_reachable "$other" "$L"
done

[ "${BENCH_FAILOVER_ONLY:-}" = 1 ] && { printf '%s\n' "${failover[@]}"; cat "$root/failover.log" 2>/dev/null; exit 0; }

# ---------------------------------------------------------------- 2. worker kill
L=$(leader m1 2>/dev/null || leader m2)
sw "$L" service create --detach --name bench6 --replicas 6 swarmlet/busybox:1 sleep 3600 >/dev/null
until [ "$(docker ps -q --filter label=com.docker.swarm.service.name=bench6 | wc -l)" -eq 6 ]; do sleep 0.1; done
W1=$(sw "$L" node ls | awk '$2=="w1" {print $1}')
base_replace=(); moved=()
for r in 1 2 3; do
  # baseline: a task's container dies on a live node; the orchestrator replaces it
  c=$(docker ps -q --filter label=com.docker.swarm.service.name=bench6 | head -1)
  t0=$(now_ms); docker kill "$c" >/dev/null
  until [ "$(docker ps -q --filter label=com.docker.swarm.service.name=bench6 | wc -l)" -eq 6 ] \
        && ! docker ps -q | grep -q "^${c:0:12}"; do sleep 0.05; done
  base_replace+=($(( $(now_ms) - t0 )))
  # a worker process dies: its tasks must run elsewhere
  until [ "$(docker ps -q --filter label=com.docker.swarm.service.name=bench6 --filter label=io.swarmlet.node.id=$W1 | wc -l)" -ge 1 ]; do
    sw "$L" service update --detach --force bench6 >/dev/null; sleep 5; done
  kill -9 "${PID[w1]}"; t0=$(now_ms)
  until [ "$(running_except bench6 "$W1")" -ge 6 ]; do sleep 0.05; done
  moved+=($(( $(now_ms) - t0 )))
  wait "${PID[w1]}" 2>/dev/null || true
  start w1; await_ready w1
  until [ "$(docker ps -q --filter label=com.docker.swarm.service.name=bench6 | wc -l)" -eq 6 ]; do sleep 0.1; done
done

fo=$(printf '%s\n' "${failover[@]}" | median); br=$(printf '%s\n' "${base_restart[@]}" | median)
mv=$(printf '%s\n' "${moved[@]}" | median); bp=$(printf '%s\n' "${base_replace[@]}" | median)
cat <<EOF
# Cluster: failover ($(date -u +%F), $(nproc) cores, dockerd $(docker version --format '{{.Server.Version}}'))

3 managers + 2 workers, each a swarmletd on 127.0.0.1 (bench/cluster.sh).

| figure | Swarmlet | baseline (same run) | ratio | goal |
|---|---|---|---|---|
| leader SIGKILL -> write accepted via another manager, median of 5 | ${fo} ms (${failover[*]}) | one-manager cluster SIGKILLed + restarted -> writable: ${br} ms (${base_restart[*]}) | $(awk "BEGIN{printf \"%.2f\", $fo/$br}") | < 2000 ms |
| worker SIGKILL -> its tasks running elsewhere, median of 3 | ${mv} ms (${moved[*]}) | a task's container killed on a live node -> replaced: ${bp} ms (${base_replace[*]}) | $(awk "BEGIN{printf \"%.2f\", $mv/$bp}") | < 6000 ms |
EOF
