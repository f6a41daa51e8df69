#!/usr/bin/env bash
# The routing mesh against a direct connection to the same backend, same run (issue 5):
#   one swarmletd, service `web` (1 replica of busybox httpd) published on 18080 through the mesh;
#   "direct" is the node port the container's port 80 is published on (what the mesh itself dials).
#   1. small responses (one connection per request, busybox httpd closes after each): requests/s
#      = new connections/s, and p99 latency, wrk -c 32, direct vs mesh, alternating, median of 3
#   2. a 16 MiB file over 4 connections: transfer rate, direct vs mesh
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
"$DIST/bin/swarmletd" --state-dir "$st" --listen-control-api "$st/c.sock" \
   --listen-remote-api 127.0.0.1:$(free_port) --listen-raft-api 127.0.0.1:$(free_port) --hostname bench-mesh \
   > "$st/out.log" 2>&1 < /dev/null &
spid=$!
trap 'kill $spid 2>/dev/null || true; wait $spid 2>/dev/null || true; docker rm -f $(docker ps -aq --filter label=com.docker.swarm.service.name=web) >/dev/null 2>&1 || true' EXIT
until grep -q "swarmletd: ready" "$st/out.log" 2>/dev/null; do kill -0 $spid || { cat "$st/out.log"; exit 1; }; sleep 0.05; done
SW="$DIST/bin/swarmlet --socket $st/c.sock"

$SW service create --detach --name web --replicas 1 -p 18080:80 \
  --health-cmd 'wget -q -O /dev/null http://127.0.0.1/' --health-interval 1s \
  swarmlet/busybox:1 sh -c 'mkdir -p /www && hostname > /www/index.html && head -c 16777216 /dev/zero > /www/big && exec httpd -f -p 80 -h /www' >/dev/null
deadline=$((SECONDS + 120))
until curl -fsS -o /dev/null http://127.0.0.1:18080/; do
  [ $SECONDS -lt $deadline ] || { echo "the mesh did not answer on 18080" >&2; tail -30 "$st/out.log" >&2; exit 1; }
  sleep 0.2
done
cid=$(docker ps -q --filter label=com.docker.swarm.service.name=web)
direct=$(docker port "$cid" 80/tcp | grep -m1 '0.0.0.0' | sed 's/.*://')
echo "backend container $cid, node port $direct; mesh port 18080" >&2

# wrk's summary: requests/s, p99 (ms), transfer/s (MB)
run_wrk() { # url connections
  local out
  out=$(wrk -t2 -c"$2" -d"${SECS}s" --latency "$1" 2>&1)
  local rps p99 xfer
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')
  xfer=$(echo "$out" | awk '/Transfer\/sec/ {v=$2; if (v ~ /GB$/) {sub(/GB/,"",v); v=v*1024} else if (v ~ /MB$/) {sub(/MB/,"",v)} else if (v ~ /KB$/) {sub(/KB/,"",v); v=v/1024}; print v}')
  echo "$rps $p99 $xfer"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -a d_rps m_rps d_p99 m_p99
for i in 1 2 3; do
  read -r r p _ < <(run_wrk "http://127.0.0.1:$direct/" 32); d_rps+=("$r"); d_p99+=("$p")
  read -r r p _ < <(run_wrk "http://127.0.0.1:18080/" 32); m_rps+=("$r"); m_p99+=("$p")
  echo "round $i: direct ${d_rps[-1]} req/s p99 ${d_p99[-1]} ms; mesh ${m_rps[-1]} req/s p99 ${m_p99[-1]} ms" >&2
done
dr=$(printf '%s\n' "${d_rps[@]}" | median); mr=$(printf '%s\n' "${m_rps[@]}" | median)
dp=$(printf '%s\n' "${d_p99[@]}" | median); mp=$(printf '%s\n' "${m_p99[@]}" | median)

read -r _ _ dx < <(run_wrk "http://127.0.0.1:$direct/big" 4)
read -r _ _ mx < <(run_wrk "http://127.0.0.1:18080/big" 4)

# the daemon's memory after the load
rss=$(awk '/VmRSS/ {print $2}' /proc/$spid/status)

printf '\n| figure | mesh | direct (same run) | ratio mesh/direct |\n|---|---|---|---|\n'
printf '| requests/s = new connections/s, 32 clients, median of 3 | %s | %s | %.2f |\n' "$mr" "$dr" "$(echo "$mr / $dr" | bc -l)"
printf '| p99 latency (ms), same runs | %s | %s | +%.2f ms |\n' "$mp" "$dp" "$(echo "$mp - $dp" | bc -l)"
printf '| 16 MiB file, 4 connections: MB/s | %s | %s | %.2f |\n' "$mx" "$dx" "$(echo "$mx / $dx" | bc -l)"
printf '\nswarmletd RSS after the runs: %d MB\n' $((rss / 1024))
