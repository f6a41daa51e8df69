#!/usr/bin/env bash
# The routing mesh against a direct connection to the same backend, same run (issue 5):
#   one swarmletd; service `web` (1 replica of swarmlet/httpecho:1, a keep-alive HTTP server) on 18080
#   and `files` (busybox httpd with a 16 MiB file) on 18081, through the mesh; "direct" is the node
#   port the container's port 80 is published on (docker-proxy: what a user of `docker run -p` gets, and
#   what other nodes' meshes dial); the mesh on the task's own node dials the container's IP. The
#   container's IP itself (no proxy at all) is measured too.
#   1. keep-alive requests/s and p99 latency, wrk -c 32, direct vs mesh, alternating, median of 3
#   2. p99 latency over 1 keep-alive connection (what the extra hop adds without queueing)
#   3. new connections/s (Connection: close), 32 clients
#   4. a 16 MiB file over 4 connections: transfer rate, direct vs mesh
# Usage: bench/mesh.sh   (after ./quickstart.sh or mvn -DskipTests install; needs root and dockerd)
#   BENCH_SECONDS=10  length of each wrk run
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=distribution/target/swarmlet
[ -x "$DIST/bin/swarmletd" ] || { echo "build first: mvn -DskipTests install" >&2; exit 1; }
.ci/setup-host.sh
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
SECS=${BENCH_SECONDS:-10}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

st=$(mktemp -d /tmp/swl-bench-mesh-XXXX)
mkdir -p "$st/deploy"
SWARMLETD_OPTS="-Dswarmlet.deploy.dir=$st/deploy" "$DIST/bin/swarmletd" --state-dir "$st" --listen-control-api "$st/c.sock" \
   --listen-remote-api 127.0.0.1:$(free_port) --listen-raft-api 127.0.0.1:$(free_port) --hostname bench-mesh \
   > "$st/out.log" 2>&1 < /dev/null &
spid=$!
cleanup() {
  kill $spid 2>/dev/null || true; wait $spid 2>/dev/null || true
  local ids; ids=$(docker ps -aq --filter label=com.docker.swarm.service.name=web; docker ps -aq --filter label=com.docker.swarm.service.name=files)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
}
trap cleanup EXIT
until grep -q "swarmletd: ready" "$st/out.log" 2>/dev/null; do kill -0 $spid || { cat "$st/out.log"; exit 1; }; sleep 0.05; done
SW="$DIST/bin/swarmlet --socket $st/c.sock"

HEALTH=(--health-cmd 'wget -q -O /dev/null http://127.0.0.1/' --health-interval 1s)
# web: a keep-alive HTTP server (swarmlet/httpecho:1); files: busybox httpd with a 16 MiB file
$SW service create --detach --name web --replicas 1 -p 18080:80 "${HEALTH[@]}" swarmlet/httpecho:1 >/dev/null
$SW service create --detach --name files --replicas 1 -p 18081:80 "${HEALTH[@]}" swarmlet/busybox:1 \
  sh -c 'mkdir -p /www && hostname > /www/index.html && head -c 16777216 /dev/zero > /www/big && exec httpd -f -p 80 -h /www' >/dev/null
for port in 18080 18081; do
  deadline=$((SECONDS + 120))
  until curl -fs -o /dev/null "http://127.0.0.1:$port/"; do
    [ $SECONDS -lt $deadline ] || { echo "the mesh did not answer on $port" >&2; tail -30 "$st/out.log" >&2; exit 1; }
    sleep 0.2
  done
done
node_port() { docker port "$(docker ps -q --filter "label=com.docker.swarm.service.name=$1")" 80/tcp | grep -m1 '0.0.0.0' | sed 's/.*://'; }
direct=$(node_port web); direct_files=$(node_port files)
cip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$(docker ps -q --filter label=com.docker.swarm.service.name=web)")
echo "web: node port $direct, mesh 18080; files: node port $direct_files, mesh 18081" >&2

# wrk's summary: requests/s, p99 (ms), transfer/s (MB)
run_wrk() { # url connections [close]
  local out hdr=()
  [ "${3:-}" = close ] && hdr=(-H 'Connection: close')
  local threads=2; [ "$2" -lt 2 ] && threads=1
  out=$(wrk -t$threads -c"$2" -d"${SECS}s" --latency "${hdr[@]}" "$1" 2>&1)
  local rps p99 xfer
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')
  xfer=$(echo "$out" | awk '/Transfer\/sec/ {v=$2; if (v ~ /GB$/) {sub(/GB/,"",v); v=v*1024} else if (v ~ /MB$/) {sub(/MB/,"",v)} else if (v ~ /KB$/) {sub(/KB/,"",v); v=v/1024}; print v}')
  echo "$rps $p99 $xfer"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# warm-up (JIT), not counted
run_wrk "http://127.0.0.1:18080/" 32 >/dev/null; run_wrk "http://127.0.0.1:18080/" 32 close >/dev/null
declare -a d_rps m_rps d_p99 m_p99 d_cps m_cps d_l1 m_l1 c_rps c_l1
for i in 1 2 3; do
  read -r r _ _ < <(run_wrk "http://$cip/" 32); c_rps+=("$r")
  read -r _ p _ < <(run_wrk "http://$cip/" 1); c_l1+=("$p")
  read -r _ p _ < <(run_wrk "http://127.0.0.1:$direct/" 1); d_l1+=("$p")
  read -r _ p _ < <(run_wrk "http://127.0.0.1:18080/" 1); m_l1+=("$p")
  read -r r p _ < <(run_wrk "http://127.0.0.1:$direct/" 32); d_rps+=("$r"); d_p99+=("$p")
  read -r r p _ < <(run_wrk "http://127.0.0.1:18080/" 32); m_rps+=("$r"); m_p99+=("$p")
  read -r r _ _ < <(run_wrk "http://127.0.0.1:$direct/" 32 close); d_cps+=("$r")
  read -r r _ _ < <(run_wrk "http://127.0.0.1:18080/" 32 close); m_cps+=("$r")
  echo "round $i: keep-alive direct ${d_rps[-1]} req/s p99 ${d_p99[-1]} ms, mesh ${m_rps[-1]} req/s p99 ${m_p99[-1]} ms;" \
       "new connections direct ${d_cps[-1]}/s, mesh ${m_cps[-1]}/s; 1 connection p99 direct ${d_l1[-1]} ms, mesh ${m_l1[-1]} ms" >&2
done
med() { printf '%s\n' "$@" | median; }
dr=$(med "${d_rps[@]}"); mr=$(med "${m_rps[@]}"); dp=$(med "${d_p99[@]}"); mp=$(med "${m_p99[@]}")
dc=$(med "${d_cps[@]}"); mc=$(med "${m_cps[@]}"); dl=$(med "${d_l1[@]}"); ml=$(med "${m_l1[@]}")
cr=$(med "${c_rps[@]}"); cl=$(med "${c_l1[@]}")

read -r _ _ dx < <(run_wrk "http://127.0.0.1:$direct_files/big" 4)
read -r _ _ mx < <(run_wrk "http://127.0.0.1:18081/big" 4)

# the path to a task on another node: the mesh dials the node port (docker-proxy) as well
stops() { grep -c 'mesh of node .* stopped' "$st/logs/swarmletd.log" || true; }
before=$(stops)
echo "directToLocalTasks=false" > "$st/deploy/io.swarmlet.mesh.cfg"   # FileInstall → ConfigAdmin → the mesh restarts
deadline=$((SECONDS + 60))
until [ "$(stops)" -gt "$before" ]; do
  [ $SECONDS -lt $deadline ] || { echo "the mesh did not take the new configuration" >&2; exit 1; }
  sleep 0.2
done
until curl -fs -o /dev/null "http://127.0.0.1:18080/"; do
  [ $SECONDS -lt $deadline ] || { echo "the mesh did not come back" >&2; exit 1; }
  sleep 0.2
done
run_wrk "http://127.0.0.1:18080/" 32 >/dev/null
declare -a n_rps n_l1 n_cps
for i in 1 2 3; do
  read -r r _ _ < <(run_wrk "http://127.0.0.1:18080/" 32); n_rps+=("$r")
  read -r _ p _ < <(run_wrk "http://127.0.0.1:18080/" 1); n_l1+=("$p")
  read -r r _ _ < <(run_wrk "http://127.0.0.1:18080/" 32 close); n_cps+=("$r")
  echo "round $i via node port: ${n_rps[-1]} req/s, p99 1 conn ${n_l1[-1]} ms, ${n_cps[-1]} conn/s" >&2
done
nr=$(med "${n_rps[@]}"); nl=$(med "${n_l1[@]}"); nc=$(med "${n_cps[@]}")

# the daemon's memory after the load
rss=$(awk '/VmRSS/ {print $2}' /proc/$spid/status)

printf '\n| figure (wrk -t2, %s s runs, median of 3, alternating) | mesh | direct (same run) | mesh/direct |\n|---|---|---|---|\n' "$SECS"
printf '| keep-alive requests/s, 32 connections | %s | %s | %.2f |\n' "$mr" "$dr" "$(echo "$mr / $dr" | bc -l)"
printf '| p99 latency (ms), same runs | %s | %s | +%.3f ms |\n' "$mp" "$dp" "$(echo "$mp - $dp" | bc -l)"
printf '| p99 latency (ms), 1 connection (no queueing) | %s | %s | +%.3f ms |\n' "$ml" "$dl" "$(echo "$ml - $dl" | bc -l)"
printf '| new connections/s (Connection: close), 32 clients | %s | %s | %.2f |\n' "$mc" "$dc" "$(echo "$mc / $dc" | bc -l)"
printf '| 16 MiB file from busybox httpd, 4 connections: MB/s | %s | %s | %.2f |\n' "$mx" "$dx" "$(echo "$mx / $dx" | bc -l)"
printf '\nThe container itself, no proxy at all (%s:80): %s keep-alive requests/s (mesh/container %.2f), p99 over 1 connection %s ms.\n' \
  "$cip" "$cr" "$(echo "$mr / $cr" | bc -l)" "$cl"
printf '\nA task on another node (the mesh dials its node port, two proxies in a row; same run, median of 3):\n'
printf '%s keep-alive requests/s (%.2f of direct), p99 over 1 connection %s ms (+%.3f ms), %s new connections/s (%.2f of direct).\n' \
  "$nr" "$(echo "$nr / $dr" | bc -l)" "$nl" "$(echo "$nl - $dl" | bc -l)" "$nc" "$(echo "$nc / $dc" | bc -l)"
printf '\nswarmletd RSS after the runs: %d MB\n' $((rss / 1024))
