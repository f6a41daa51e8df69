#!/usr/bin/env bash
# The stock docker CLI against Swarmlet's Docker Engine API (issue 10), with Docker's own swarm mode on
# the same engine as the baseline, in the same run — the same docker commands, only DOCKER_HOST differs:
#   1. `docker service create --replicas 3` (non-detached: the CLI's progress to "Service converged",
#      which includes the CLI's own 5 s stability wait on both sides) → 3 running containers;
#   2. `docker service ls` latency with that service present (median of $LS_N);
#   3. `docker stack deploy -c` of the seed's compose file (stand-in images) → its 3 tasks running;
#   4. `docker stack rm` → no container of the stack left;
#   5. `docker events`: from `docker service create --detach` to its create event printed (median of $RUNS),
#      and `docker events --since <the run's start> --until now` replaying the kept service events (median of $LS_N);
#   6. Swarmlet only, against its own socket in the same run: `docker service ls` over tcp:// with mutual
#      TLS (DOCKER_TLS_VERIFY, certificates from openssl) vs over the unix socket;
#   7. Swarmlet only: heap used after a full GC and live threads of a swarmletd serving the Docker API
#      (socket + TLS port), idle 5 s after start, vs the same started without --listen-docker-api.
# Each of 1, 3, 4 is the median of $RUNS. One swarmletd (manager, --listen-docker-api) on 127.0.0.1;
# Docker's side is `docker swarm init` on the local engine, left again at the end (the engine is
# left as found: the script refuses to start when the engine is in swarm mode already).
# Usage: bench/dockerapi.sh (after mvn -DskipTests install; root, dockerd, docker CLI); SWARMLET_DIST=DIR for
# another unpacked distribution
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=${SWARMLET_DIST:-distribution/target/swarmlet}
[ -x "$DIST/bin/swarmletd" ] || { echo "build first: mvn -DskipTests install" >&2; exit 1; }
.ci/setup-host.sh >/dev/null
ENGINE=unix:///var/run/docker.sock
eng() { docker -H "$ENGINE" "$@"; }
[ "$(eng info --format '{{.Swarm.LocalNodeState}}')" = inactive ] \
  || { echo "the local engine is in swarm mode already; this bench leaves an engine as it found it: run it on an engine outside swarm mode" >&2; exit 1; }
RUNS=${BENCH_RUNS:-3}
LS_N=${BENCH_LS:-20}
IMAGE=swarmlet/busybox:1
now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
ratio() { awk "BEGIN{printf \"%.2f\", $1/$2}"; }
count() { # label=value [running] → containers with that label
  local extra=(); [ "${2:-}" = running ] && extra=(--filter status=running)
  eng ps -aq --filter "label=$1" "${extra[@]}" | grep -c . || true
}
wait_count() { # label=value count deadline_s: exactly count containers, all running
  local deadline=$(( $(now_ms) + $3 * 1000 ))
  until [ "$(count "$1" running)" -eq "$2" ] && [ "$(count "$1")" -eq "$2" ]; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "timed out waiting for $2 containers with $1" >&2; return 1; }
    sleep 0.1
  done
}
tmp=$(mktemp -d /tmp/swl-bench-dockerapi-XXXX)
# the seed's compose file (version 3.3, overlay network), images replaced by the local stand-ins
cat > "$tmp/docker-compose.yml" <<'YAML'
version: "3.3"
services:
  redis:
    image: swarmlet/kvstore:1
    networks:
      - demo-net
  app:
    image: swarmlet/hitcounter:1
    ports:
      - 5000:5000
    depends_on:
      - redis
    networks:
      - demo-net
    deploy:
      replicas: 2
networks:
  demo-net:
    driver: overlay
    external: false
YAML
TASKS=3

# certificates as Docker's "Protect the Docker daemon socket" makes them (EC keys), for 127.0.0.1
pki=$tmp/pki; mkdir -p "$pki/client"
( cd "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=bench ca" \
    -keyout ca-key.pem -out ca.pem
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 -keyout server-key.pem -out s.csr
  printf 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n' > s.cnf
  openssl x509 -req -days 2 -in s.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -extfile s.cnf -out server-cert.pem
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=client -keyout client/key.pem -out c.csr
  printf 'extendedKeyUsage = clientAuth\n' > c.cnf
  openssl x509 -req -days 2 -in c.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -extfile c.cnf -out client/cert.pem
  cp ca.pem client/ ) > "$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log" >&2; exit 1; }
TLS_PORT=$(free_port)

# heap used after a full GC (KB: young + old generation, not metaspace) and live threads of an idle JVM
heap_kb() { jcmd "$1" GC.run >/dev/null; sleep 1; jcmd "$1" GC.run >/dev/null
  jcmd "$1" GC.heap_info | awk '/generation/ {for (i=1;i<=NF;i++) if ($i=="used") {v=$(i+1); sub(/K.*/,"",v); s+=v}} END {print s}'; }
threads() { ls /proc/"$1"/task | wc -l; }
start_swarmletd() { # state dir, log, extra flags...
  local dir=$1 log=$2; shift 2
  mkdir -p "$dir"
  "$DIST/bin/swarmletd" --state-dir "$dir" --listen-control-api "$dir.sock" \
     --listen-remote-api 127.0.0.1:$(free_port) --listen-raft-api 127.0.0.1:$(free_port) --hostname bench --listen-http none \
     "$@" > "$log" 2>&1 < /dev/null &
  spid=$!
  until grep -q "swarmletd: ready" "$log" 2>/dev/null; do kill -0 $spid || { cat "$log"; exit 1; }; sleep 0.05; done
}
spid=
swarm_inited=
cleanup() {
  kill $spid 2>/dev/null || true; wait $spid 2>/dev/null || true
  if [ -n "$swarm_inited" ]; then
    eng stack rm dk >/dev/null 2>&1 || true
    for s in $(eng service ls -q --filter name=bdk 2>/dev/null); do eng service rm "$s" >/dev/null 2>&1 || true; done
    eng swarm leave --force >/dev/null 2>&1 || true
  fi
  local ids; ids=$(eng ps -aq --filter label=io.swarmlet.node.id)
  [ -z "$ids" ] || eng rm -f $ids >/dev/null 2>&1 || true
  for n in $(eng network ls -q --filter label=io.swarmlet.network.id); do eng network rm "$n" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
# the memory baseline: the same daemon without the Docker API, idle
start_swarmletd "$tmp/plain" "$tmp/plain.log"
sleep 5
plain_heap=$(heap_kb $spid); plain_threads=$(threads $spid)
kill $spid; wait $spid 2>/dev/null || true
start_swarmletd "$tmp/state" "$tmp/out.log" --listen-docker-api "$tmp/docker.sock" --listen-docker-api "tcp://127.0.0.1:$TLS_PORT" \
   --docker-api-tlscacert "$pki/ca.pem" --docker-api-tlscert "$pki/server-cert.pem" --docker-api-tlskey "$pki/server-key.pem"
[ -S "$tmp/docker.sock" ] || { echo "swarmletd did not open its Docker API socket" >&2; cat "$tmp/out.log" >&2; exit 1; }
sleep 5
idle_heap=$(heap_kb $spid); idle_threads=$(threads $spid)

# one side's figures: prefix (service and stack names), DOCKER_HOST; sets ${prefix}_create, _ls, _deploy, _rm
measure() {
  local p=$1 host=$2 i t0 create=() ls=() deploy=() rm=()
  for i in $(seq 1 $RUNS); do
    t0=$(now_ms)
    DOCKER_HOST=$host docker service create --name "b$p$i" --replicas 3 "$IMAGE" sleep 86400 >"$tmp/create.out" 2>&1 \
      || { echo "$p: docker service create failed:" >&2; cat "$tmp/create.out" >&2; return 1; }
    create+=($(( $(now_ms) - t0 )))
    grep -q "converged" "$tmp/create.out" || { echo "$p: no converged line:" >&2; cat "$tmp/create.out" >&2; return 1; }
    [ "$(count "com.docker.swarm.service.name=b$p$i" running)" -eq 3 ] \
      || { echo "$p: converged but not 3 running containers" >&2; return 1; }
    if [ "$i" -eq 1 ]; then
      for _ in $(seq 1 $LS_N); do
        t0=$(now_ms); DOCKER_HOST=$host docker service ls >/dev/null; ls+=($(( $(now_ms) - t0 )))
      done
    fi
    DOCKER_HOST=$host docker service rm "b$p$i" >/dev/null
    wait_count "com.docker.swarm.service.name=b$p$i" 0 300
  done
  for i in $(seq 1 $RUNS); do
    t0=$(now_ms)
    DOCKER_HOST=$host docker stack deploy -c "$tmp/docker-compose.yml" "$p" >"$tmp/deploy.out" 2>&1 \
      || { echo "$p: docker stack deploy failed:" >&2; cat "$tmp/deploy.out" >&2; return 1; }
    wait_count "com.docker.stack.namespace=$p" $TASKS 300
    deploy+=($(( $(now_ms) - t0 )))
    t0=$(now_ms)
    DOCKER_HOST=$host docker stack rm "$p" >/dev/null
    wait_count "com.docker.stack.namespace=$p" 0 300
    rm+=($(( $(now_ms) - t0 )))
    # Docker removes the stack's network after its tasks are gone: wait for it before the next deploy
    local deadline=$(( $(now_ms) + 60000 ))
    while DOCKER_HOST=$host docker network ls --format '{{.Name}}' | grep -qx "${p}_demo-net"; do
      [ "$(now_ms)" -lt "$deadline" ] || { echo "$p: network ${p}_demo-net stayed" >&2; return 1; }
      sleep 0.2
    done
  done
  eval "${p}_create=\"${create[*]}\"; ${p}_ls=\"${ls[*]}\"; ${p}_deploy=\"${deploy[*]}\"; ${p}_rm=\"${rm[*]}\""
}

# `docker events` latency: create --detach → the create event printed by a running `docker events`
events_latency() { # prefix, DOCKER_HOST; sets ${prefix}_events
  local p=$1 host=$2 out=$tmp/events.$1 i t0 lat=() probe=0 deadline
  : > "$out"
  DOCKER_HOST=$host docker events --filter type=service --filter type=config --filter event=create \
    --format '{{.Actor.Attributes.name}}' > "$out" 2>"$out.err" &
  local epid=$!
  echo probe > "$tmp/probe.txt"
  deadline=$(( $(now_ms) + 30000 ))
  until grep -q "^evp$p" "$out"; do  # a probe config until the CLI is watching
    [ "$(now_ms)" -lt "$deadline" ] || { echo "$p: docker events showed nothing" >&2; cat "$out.err" >&2; return 1; }
    probe=$((probe + 1)); DOCKER_HOST=$host docker config create "evp$p$probe" "$tmp/probe.txt" >/dev/null; sleep 0.3
  done
  for i in $(seq 1 $RUNS); do
    t0=$(now_ms)
    DOCKER_HOST=$host docker service create --detach --name "e$p$i" "$IMAGE" sleep 86400 >/dev/null
    deadline=$(( t0 + 30000 ))
    until grep -qx "e$p$i" "$out"; do
      [ "$(now_ms)" -lt "$deadline" ] || { echo "$p: no event for e$p$i" >&2; return 1; }
      sleep 0.005
    done
    lat+=($(( $(now_ms) - t0 )))
    DOCKER_HOST=$host docker service rm "e$p$i" >/dev/null
    wait_count "com.docker.swarm.service.name=e$p$i" 0 300
  done
  kill $epid 2>/dev/null || true; wait $epid 2>/dev/null || true
  for c in $(seq 1 $probe); do DOCKER_HOST=$host docker config rm "evp$p$c" >/dev/null; done
  eval "${p}_events=\"${lat[*]}\""
}

# `docker events --since T --until now`: the kept service events replayed, the CLI exits (median of $LS_N)
since_replay() { # prefix, DOCKER_HOST, since (unix s); sets ${prefix}_since (ms) and ${prefix}_since_n (events)
  local p=$1 host=$2 since=$3 t0 lat=() n=0
  for _ in $(seq 1 $LS_N); do
    t0=$(now_ms)
    n=$(DOCKER_HOST=$host docker events --since "$since" --until "$(date +%s)" --filter type=service | grep -c . || true)
    lat+=($(( $(now_ms) - t0 )))
  done
  eval "${p}_since=\"${lat[*]}\"; ${p}_since_n=$n"
}

sl_t0=$(date +%s)
measure sl "unix://$tmp/docker.sock"
events_latency sl "unix://$tmp/docker.sock"
since_replay sl "unix://$tmp/docker.sock" "$sl_t0"
# the TCP listener with mutual TLS vs the socket, same daemon, same moment
tls_ls=(); unix_ls=()
for _ in $(seq 1 $LS_N); do
  t0=$(now_ms); DOCKER_HOST=unix://$tmp/docker.sock docker service ls >/dev/null; unix_ls+=($(( $(now_ms) - t0 )))
  t0=$(now_ms); DOCKER_HOST=tcp://127.0.0.1:$TLS_PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$pki/client docker service ls >/dev/null
  tls_ls+=($(( $(now_ms) - t0 )))
done
api_heap=$(heap_kb $spid); api_threads=$(threads $spid)
kill $spid; wait $spid 2>/dev/null || true

eng swarm init --advertise-addr 127.0.0.1 >/dev/null
swarm_inited=1
dk_t0=$(date +%s)
measure dk "$ENGINE"
events_latency dk "$ENGINE"
since_replay dk "$ENGINE" "$dk_t0"
eng swarm leave --force >/dev/null
swarm_inited=

m() { echo "$@" | median; }
slC=$(m $sl_create); dkC=$(m $dk_create)
slL=$(m $sl_ls); dkL=$(m $dk_ls)
slD=$(m $sl_deploy); dkD=$(m $dk_deploy)
slR=$(m $sl_rm); dkR=$(m $dk_rm)
slE=$(m $sl_events); dkE=$(m $dk_events)
slS=$(m $sl_since); dkS=$(m $dk_since)
tlsL=$(m ${tls_ls[*]}); unixL=$(m ${unix_ls[*]})
cat <<EOF
# The docker CLI against Swarmlet's Docker API (bench/dockerapi.sh, $(date -u +%F), $(nproc) cores, one node)

Docker CLI $(docker version --format '{{.Client.Version}}'), engine $(eng version --format '{{.Server.Version}}'); the same commands,
DOCKER_HOST at Swarmlet's \`--listen-docker-api\` socket or at the engine in swarm mode. Median of $RUNS ($LS_N for ls).

| figure | Swarmlet (Docker API) | Docker swarm mode (same run) | ratio |
|---|---|---|---|
| \`docker service create --replicas 3\` (non-detached) → converged, 3 running | $slC ms | $dkC ms | $(ratio "$slC" "$dkC") |
| \`docker service ls\` (one service) | $slL ms | $dkL ms | $(ratio "$slL" "$dkL") |
| \`docker stack deploy -c\` (seed file) → $TASKS running | $slD ms | $dkD ms | $(ratio "$slD" "$dkD") |
| \`docker stack rm\` → no container left | $slR ms | $dkR ms | $(ratio "$slR" "$dkR") |
| \`docker events\`: \`service create --detach\` → its create event printed | $slE ms | $dkE ms | $(ratio "$slE" "$dkE") |
| \`docker events --since\` (the run's start) \`--until\` now \`--filter type=service\`: replayed, exited (median of $LS_N) | $slS ms ($sl_since_n events) | $dkS ms ($dk_since_n events) | $(ratio "$slS" "$dkS") |

Swarmlet against itself, same run:

| figure | Swarmlet | baseline | ratio |
|---|---|---|---|
| \`docker service ls\` over tcp:// with mutual TLS (median of $LS_N) | $tlsL ms | the unix socket, interleaved: $unixL ms | $(ratio "$tlsL" "$unixL") |
| heap used after a full GC, idle 5 s after start, serving the Docker API (socket + TLS port) | $idle_heap KB | the same daemon started without --listen-docker-api: $plain_heap KB | $(ratio "$idle_heap" "$plain_heap") |
| live threads, the same two daemons | $idle_threads | $plain_threads | $(ratio "$idle_threads" "$plain_threads") |

After the runs above (services and stacks created and removed through it), the daemon serving the
Docker API held $api_heap KB of heap after a full GC and $api_threads threads.

Runs (ms): create Swarmlet $sl_create, Docker $dk_create; deploy Swarmlet $sl_deploy, Docker $dk_deploy;
rm Swarmlet $sl_rm, Docker $dk_rm; events Swarmlet $sl_events, Docker $dk_events.
EOF
