#!/usr/bin/env bash
# Stacks, virtual IPs and DNS on real containers, with baselines from the same run (issue 8):
#   1. `stack deploy` of the seed's stack (redis + 2 page-hit counters, stand-in images) plus a
#      keep-alive HTTP backend → every task running: Swarmlet against Docker's own swarm mode
#      (`docker stack deploy`, same engine, same file); then a redeploy of the unchanged file
#      (Swarmlet must replace nothing), and `stack rm` until no container is left.
#   2. requests/s and p99 to the backend through its virtual IP (each node's mesh, what a
#      container reaching `backend` by name uses) against the container's own address
#      (no proxy at all), wrk from the host, keep-alive, 32 connections, alternating, median of 3.
#   3. 100 name lookups from a container: a VIP name (Docker's DNS → the mesh's DNS server)
#      against a `tasks.` name (Docker's embedded DNS alone).
# Each time is the median of 3. Usage: bench/stacks.sh (after mvn -DskipTests install; root, dockerd)
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=distribution/target/swarmlet
[ -x "$DIST/bin/swarmletd" ] || { echo "build first: mvn -DskipTests install" >&2; exit 1; }
.ci/setup-host.sh >/dev/null
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
RUNS=3
SECS=${BENCH_SECONDS:-10}
now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
ratio() { awk "BEGIN{printf \"%.2f\", $1/$2}"; }
running() { docker ps -q --filter "label=com.docker.stack.namespace=$1" --filter status=running | grep -c . || true; }
wait_count() { # stack count deadline_s
  local deadline=$(( $(now_ms) + $3 * 1000 ))
  until [ "$(running "$1")" -eq "$2" ] && [ "$(docker ps -aq --filter "label=com.docker.stack.namespace=$1" | grep -c . || true)" -eq "$2" ]; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "timed out waiting for $2 containers of stack $1" >&2; return 1; }
    sleep 0.1
  done
}
tmp=$(mktemp -d /tmp/swl-bench-stacks-XXXX)
cat > "$tmp/compose.yml" <<'YAML'
version: "3.3"
services:
  redis:
    image: swarmlet/kvstore:1
    networks: [demo-net]
  app:
    image: swarmlet/hitcounter:1
    ports: ["5000:5000"]
    networks: [demo-net]
    deploy:
      replicas: 2
  backend:
    image: swarmlet/httpecho:1
    expose: ["80"]
    networks: [demo-net]
networks:
  demo-net:
    driver: overlay
YAML
TASKS=4

st=$tmp/state
mkdir -p "$st"
"$DIST/bin/swarmletd" --state-dir "$st" --listen-control-api "$tmp/c.sock" \
   --listen-remote-api 127.0.0.1:$(free_port) --listen-raft-api 127.0.0.1:$(free_port) --hostname bench \
   > "$tmp/out.log" 2>&1 < /dev/null &
spid=$!
cleanup() {
  kill $spid 2>/dev/null || true; wait $spid 2>/dev/null || true
  docker stack rm dk >/dev/null 2>&1 || true
  docker swarm leave --force >/dev/null 2>&1 || true
  local ids; ids=$(docker ps -aq --filter label=com.docker.stack.namespace=sl)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
  for n in $(docker network ls -q --filter label=io.swarmlet.network.id); do docker network rm "$n" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
until grep -q "swarmletd: ready" "$tmp/out.log" 2>/dev/null; do kill -0 $spid || { cat "$tmp/out.log"; exit 1; }; sleep 0.05; done
SW="$DIST/bin/swarmlet --socket $tmp/c.sock"

# ---------------------------------------------------------------- 1. deploy, redeploy, rm
sl_deploy=(); sl_redeploy=(); sl_rm=()
for i in $(seq 1 $RUNS); do
  t0=$(now_ms); $SW stack deploy -c "$tmp/compose.yml" sl >/dev/null; wait_count sl $TASKS 300
  sl_deploy+=($(( $(now_ms) - t0 )))
  before=$(docker ps -q --no-trunc --filter label=com.docker.stack.namespace=sl | sort)
  t0=$(now_ms); out=$($SW stack deploy -c "$tmp/compose.yml" sl)
  sl_redeploy+=($(( $(now_ms) - t0 )))
  if echo "$out" | grep -q "Updating service"; then echo "an unchanged redeploy updated a service: $out" >&2; exit 1; fi
  [ "$before" = "$(docker ps -q --no-trunc --filter label=com.docker.stack.namespace=sl | sort)" ] \
    || { echo "an unchanged redeploy replaced containers" >&2; exit 1; }
  if [ "$i" -lt "$RUNS" ]; then
    t0=$(now_ms); $SW stack rm sl >/dev/null; wait_count sl 0 300
    sl_rm+=($(( $(now_ms) - t0 )))
  fi
done

# ---------------------------------------------------------------- 2. the VIP against the container
vip=$($SW service inspect sl_backend --format '{{range .Endpoint.VirtualIps}}{{.Addr}}{{end}}' 2>/dev/null || true)
if [ -z "$vip" ]; then
  vip=$($SW service inspect sl_backend | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["endpoint"]["virtualIps"][0]["addr"])')
fi
vip=${vip%%/*}
bid=$(docker ps -q --filter label=com.docker.swarm.service.name=sl_backend)
cip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$bid")
deadline=$((SECONDS + 60))
until curl -fs -o /dev/null "http://$vip/"; do
  [ $SECONDS -lt $deadline ] || { echo "the VIP $vip did not answer" >&2; tail -30 "$tmp/out.log" >&2; exit 1; }
  sleep 0.2
done
run_wrk() { # url → "requests/s p99_ms"
  local out; out=$(wrk -t2 -c32 -d"${SECS}s" --latency "$1" 2>&1)
  local rps p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v=v/1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v=v*1000}; print v}')
  echo "$rps $p99"
}
d_rps=(); d_p99=(); v_rps=(); v_p99=()
for i in $(seq 1 $RUNS); do
  read -r r p < <(run_wrk "http://$cip/"); d_rps+=("$r"); d_p99+=("$p")
  read -r r p < <(run_wrk "http://$vip/"); v_rps+=("$r"); v_p99+=("$p")
done

# ---------------------------------------------------------------- 3. name lookups in a container
app=$(docker ps -q --filter label=com.docker.swarm.service.name=sl_app | head -1)
lookups() { # name → ms for 100 lookups
  local t0; t0=$(now_ms)
  docker exec "$app" sh -c "i=0; while [ \$i -lt 100 ]; do nslookup $1 >/dev/null 2>&1 || exit 1; i=\$((i+1)); done" \
    || { echo "nslookup $1 failed in $app" >&2; exit 1; }
  echo $(( $(now_ms) - t0 ))
}
n_vip=(); n_tasks=()
for i in $(seq 1 $RUNS); do n_vip+=($(lookups backend)); n_tasks+=($(lookups tasks.backend)); done
$SW stack rm sl >/dev/null; wait_count sl 0 300

# ---------------------------------------------------------------- Docker's swarm mode, same engine
docker swarm init --advertise-addr 127.0.0.1 >/dev/null
dk_deploy=(); dk_redeploy=(); dk_rm=()
for i in $(seq 1 $RUNS); do
  t0=$(now_ms); docker stack deploy -c "$tmp/compose.yml" dk >/dev/null 2>&1; wait_count dk $TASKS 300
  dk_deploy+=($(( $(now_ms) - t0 )))
  t0=$(now_ms); docker stack deploy -c "$tmp/compose.yml" dk >/dev/null 2>&1
  dk_redeploy+=($(( $(now_ms) - t0 )))
  if [ "$i" -lt "$RUNS" ]; then
    t0=$(now_ms); docker stack rm dk >/dev/null; wait_count dk 0 300
    dk_rm+=($(( $(now_ms) - t0 )))
  fi
done
docker stack rm dk >/dev/null; wait_count dk 0 300
docker swarm leave --force >/dev/null

m() { echo "$@" | median; }
slD=$(m "${sl_deploy[@]}"); dkD=$(m "${dk_deploy[@]}")
slR=$(m "${sl_redeploy[@]}"); dkR=$(m "${dk_redeploy[@]}")
slM=$(m "${sl_rm[@]}"); dkM=$(m "${dk_rm[@]}")
dR=$(m "${d_rps[@]}"); vR=$(m "${v_rps[@]}"); dP=$(m "${d_p99[@]}"); vP=$(m "${v_p99[@]}")
nV=$(m "${n_vip[@]}"); nT=$(m "${n_tasks[@]}")
cat <<EOF
# Stacks, VIPs and DNS (bench/stacks.sh, $(date -u +%F), $(nproc) cores, one node; median of $RUNS)

| figure | Swarmlet | baseline (same run) | ratio |
|---|---|---|---|
| \`stack deploy\` of 3 services → $TASKS running | $slD ms | Docker swarm mode: $dkD ms | $(ratio "$slD" "$dkD") |
| redeploy of the unchanged file (Swarmlet: nothing replaced, checked) | $slR ms | Docker: $dkR ms | $(ratio "$slR" "$dkR") |
| \`stack rm\` → no container left | $slM ms | Docker: $dkM ms | $(ratio "$slM" "$dkM") |
| keep-alive requests/s to the backend through its VIP (the mesh) | $vR | the container's own address: $dR | $(ratio "$vR" "$dR") |
| p99 latency (ms), same runs | $vP | $dP | $(ratio "$vP" "$dP") |
| 100 lookups of a VIP name in a container (Docker's DNS → the mesh's) | $nV ms | \`tasks.\` name (Docker's DNS alone): $nT ms | $(ratio "$nV" "$nT") |

Runs (ms): Swarmlet deploy ${sl_deploy[*]}, Docker ${dk_deploy[*]}; requests/s VIP ${v_rps[*]}, direct ${d_rps[*]}.
EOF
