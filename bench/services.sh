#!/usr/bin/env bash
# Services on real containers, Swarmlet side by side with Docker's own swarm mode
# on the same dockerd, in the same run (issue 3):
#   1. `service create --replicas 50` until 50 containers run   (Swarmlet ÷ Docker)
#   2. rolling update of 20 replicas, parallelism 2, to a new image, until completed
# Docker runs with --init, as Swarmlet does by default, so both stop `sleep` on SIGTERM.
# Usage: bench/services.sh   (after ./quickstart.sh or mvn -DskipTests install; needs root and dockerd)
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=distribution/target/swarmlet
[ -x "$DIST/bin/swarmletd" ] || { echo "build first: mvn -DskipTests install" >&2; exit 1; }
.ci/setup-host.sh
now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
running() { docker ps -q --filter "label=com.docker.swarm.service.name=$1" --filter status=running | wc -l; }
wait_running() { # service count deadline_s
  local deadline=$(( $(now_ms) + $3 * 1000 ))
  until [ "$(running "$1")" -ge "$2" ]; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "timed out waiting for $2 running containers of $1 (have $(running "$1"))" >&2; return 1; }
    sleep 0.1
  done
}
wait_image() { # service image count deadline_s : all running containers of the service use the image
  local deadline=$(( $(now_ms) + $4 * 1000 ))
  while :; do
    local ids n
    ids=$(docker ps -q --filter "label=com.docker.swarm.service.name=$1" --filter status=running)
    n=0
    [ -n "$ids" ] && n=$(docker inspect --format '{{.Config.Image}}' $ids | grep -c "^$2" || true)
    [ "$n" -ge "$3" ] && [ "$(echo "$ids" | grep -c .)" -eq "$3" ] && return 0
    [ "$(now_ms)" -lt "$deadline" ] || { echo "timed out waiting for $1 on $2" >&2; return 1; }
    sleep 0.2
  done
}

# ---------------------------------------------------------------- Swarmlet
st=$(mktemp -d /tmp/swl-bench-XXXX)
"$DIST/bin/swarmletd" --state-dir "$st" --listen-control-api "$st/c.sock" \
   --listen-remote-api 127.0.0.1:$(free_port) --listen-raft-api 127.0.0.1:$(free_port) --hostname bench \
   > "$st/out.log" 2>&1 < /dev/null &
spid=$!
trap 'kill $spid 2>/dev/null || true; docker swarm leave --force >/dev/null 2>&1 || true' EXIT
until grep -q "swarmletd: ready" "$st/out.log" 2>/dev/null; do kill -0 $spid || { cat "$st/out.log"; exit 1; }; sleep 0.05; done
SW="$DIST/bin/swarmlet --socket $st/c.sock"

t0=$(now_ms)
$SW service create --detach --name bench50 --replicas 50 swarmlet/busybox:1 sleep 3600 >/dev/null
wait_running bench50 50 300
sl_create=$(( $(now_ms) - t0 ))
$SW service rm bench50 >/dev/null
until [ "$(running bench50)" -eq 0 ]; do sleep 0.2; done

$SW service create --detach --name roll --replicas 20 swarmlet/busybox:1 sleep 3600 >/dev/null
wait_running roll 20 300
t0=$(now_ms)
$SW service update --detach --image swarmlet/busybox:2 --update-parallelism 2 roll >/dev/null
wait_image roll swarmlet/busybox:2 20 600
sl_update=$(( $(now_ms) - t0 ))
# (not timed) the update finishes its last monitor period before the service may go
until $SW service inspect roll | grep -q '"COMPLETED"'; do sleep 0.2; done
$SW service rm roll >/dev/null
until [ "$(running roll)" -eq 0 ]; do sleep 0.2; done
kill $spid; wait $spid 2>/dev/null || true
# the daemon leaves its containers to be adopted by the next start: clean them for docker's turn
docker ps -aq --filter label=io.swarmlet.task.id | xargs -r docker rm -f >/dev/null

# ---------------------------------------------------------------- Docker swarm mode, same engine
docker swarm leave --force >/dev/null 2>&1 || true
docker swarm init --advertise-addr 127.0.0.1 >/dev/null
t0=$(now_ms)
docker service create --detach --quiet --init --name bench50 --replicas 50 swarmlet/busybox:1 sleep 3600 >/dev/null 2>&1
wait_running bench50 50 300
dk_create=$(( $(now_ms) - t0 ))
docker service rm bench50 >/dev/null
until [ "$(running bench50)" -eq 0 ]; do sleep 0.2; done

docker service create --detach --quiet --init --name roll --replicas 20 swarmlet/busybox:1 sleep 3600 >/dev/null 2>&1
wait_running roll 20 300
t0=$(now_ms)
docker service update --detach --quiet --image swarmlet/busybox:2 --update-parallelism 2 roll >/dev/null 2>&1
wait_image roll swarmlet/busybox:2 20 600
dk_update=$(( $(now_ms) - t0 ))
docker service rm roll >/dev/null
docker swarm leave --force >/dev/null

ratio() { awk "BEGIN{printf \"%.2f\", $1/$2}"; }
{
echo "# Services on real containers ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, dockerd $(docker version --format '{{.Server.Version}}'))"
echo
echo "| run | Swarmlet | Docker swarm mode (same engine, same run) | Swarmlet ÷ Docker | goal |"
echo "|---|---|---|---|---|"
echo "| service create --replicas 50 → 50 running | ${sl_create} ms | ${dk_create} ms | $(ratio $sl_create $dk_create) | ≤ 0.8 |"
echo "| rolling update, 20 replicas, parallelism 2 | ${sl_update} ms | ${dk_update} ms | $(ratio $sl_update $dk_update) | ≤ 0.8 |"
} | tee bench/results/services.md
