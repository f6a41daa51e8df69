#!/usr/bin/env bash
# Secrets and configs on real containers, Swarmlet side by side with Docker's own swarm
# mode on the same dockerd, in the same run (issue 7):
#   1. `service create --replicas 10` with a secret and a config → 10 running containers,
#      against the same service without them (what delivery and mounting cost), and
#      against Docker's swarm mode doing the same;
#   2. a new secret value in place: `secret rotate` → every task replaced and reading the new
#      value, against `service update --force` of the same service (the rolling update alone)
#      and against Docker's only way (a new secret, `service update --secret-rm --secret-add`).
# Each figure is the median of 3. Update parallelism 2, no delay, as Docker's defaults otherwise.
# Usage: bench/secrets.sh   (after ./quickstart.sh or mvn -DskipTests install; needs root and dockerd)
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=distribution/target/swarmlet
[ -x "$DIST/bin/swarmletd" ] || { echo "build first: mvn -DskipTests install" >&2; exit 1; }
.ci/setup-host.sh >/dev/null
N=10
RUNS=3
now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ids() { docker ps -q --filter "label=com.docker.swarm.service.name=$1" --filter status=running | sort; }
wait_running() { # service count deadline_s
  local deadline=$(( $(now_ms) + $3 * 1000 ))
  until [ "$(ids "$1" | grep -c .)" -ge "$2" ]; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "timed out waiting for $2 running containers of $1" >&2; return 1; }
    sleep 0.1
  done
}
wait_replaced() { # service count old_ids_file deadline_s : count running, none of them old
  local deadline=$(( $(now_ms) + $4 * 1000 ))
  while :; do
    local now; now=$(ids "$1")
    if [ "$(echo "$now" | grep -c .)" -eq "$2" ] && [ -z "$(comm -12 <(echo "$now") "$3")" ]; then return 0; fi
    [ "$(now_ms)" -lt "$deadline" ] || { echo "timed out waiting for $1 to be replaced" >&2; return 1; }
    sleep 0.1
  done
}
wait_gone() { until [ "$(ids "$1" | grep -c .)" -eq 0 ]; do sleep 0.2; done; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
ratio() { awk "BEGIN{printf \"%.2f\", $1/$2}"; }
check_value() { # service path expected : one running container reads the value
  local c; c=$(ids "$1" | head -1)
  [ "$(docker exec "$c" cat "$2")" = "$3" ] || { echo "$1: $2 does not hold the expected value" >&2; return 1; }
}
tmp=$(mktemp -d /tmp/swl-bench-secrets-XXXX)
printf 'listen=8080\n' > "$tmp/app.conf"

# ---------------------------------------------------------------- Swarmlet
st=$tmp/state
mkdir -p "$st"
"$DIST/bin/swarmletd" --state-dir "$st" --listen-control-api "$tmp/c.sock" \
   --listen-remote-api 127.0.0.1:$(free_port) --listen-raft-api 127.0.0.1:$(free_port) --hostname bench \
   > "$tmp/out.log" 2>&1 < /dev/null &
spid=$!
trap 'kill $spid 2>/dev/null || true; umount -l "$st/secrets" 2>/dev/null || true; docker swarm leave --force >/dev/null 2>&1 || true' EXIT
until grep -q "swarmletd: ready" "$tmp/out.log" 2>/dev/null; do kill -0 $spid || { cat "$tmp/out.log"; exit 1; }; sleep 0.05; done
SW="$DIST/bin/swarmlet --socket $tmp/c.sock"
echo -n "pass-0" | $SW secret create db_pass - >/dev/null
$SW config create app_conf "$tmp/app.conf" >/dev/null

sl_plain=(); sl_sec=(); sl_rot=(); sl_force=()
for i in $(seq 1 $RUNS); do
  t0=$(now_ms)
  $SW service create --detach --name plain --replicas $N swarmlet/busybox:1 sleep 3600 >/dev/null
  wait_running plain $N 300
  sl_plain+=($(( $(now_ms) - t0 )))
  t0=$(now_ms)
  $SW service create --detach --name sec --replicas $N --secret db_pass --config source=app_conf,target=/etc/app.conf \
     swarmlet/busybox:1 sleep 3600 >/dev/null
  wait_running sec $N 300
  sl_sec+=($(( $(now_ms) - t0 )))
  check_value sec /run/secrets/db_pass "pass-$((i - 1))"

  ids sec > "$tmp/old"
  t0=$(now_ms)
  echo -n "pass-$i" | $SW secret rotate db_pass - >/dev/null
  wait_replaced sec $N "$tmp/old" 300
  sl_rot+=($(( $(now_ms) - t0 )))
  check_value sec /run/secrets/db_pass "pass-$i"

  ids plain > "$tmp/old"
  t0=$(now_ms)
  $SW service update --detach --force plain >/dev/null
  wait_replaced plain $N "$tmp/old" 300
  sl_force+=($(( $(now_ms) - t0 )))
  # (not timed) updates finish their last monitor period before the services may go
  for svc in plain sec; do until $SW service inspect $svc | grep -q '"COMPLETED"'; do sleep 0.2; done; done
  $SW service rm plain sec >/dev/null
  wait_gone plain; wait_gone sec
done
rss_kb=$(ps -o rss= -p $spid | tr -d ' ')
# what a CLI call costs by itself (Swarmlet's CLI is a JVM, Docker's a Go binary): in every figure above once
cli=(); dcli=()
for i in $(seq 1 $RUNS); do
  t0=$(now_ms); $SW version >/dev/null; cli+=($(( $(now_ms) - t0 )))
  t0=$(now_ms); docker version >/dev/null; dcli+=($(( $(now_ms) - t0 )))
done
kill $spid; wait $spid 2>/dev/null || true
umount -l "$st/secrets" 2>/dev/null || true
docker ps -aq --filter label=io.swarmlet.task.id | xargs -r docker rm -f >/dev/null

# ---------------------------------------------------------------- Docker swarm mode, same engine
docker swarm leave --force >/dev/null 2>&1 || true
docker swarm init --advertise-addr 127.0.0.1 >/dev/null
echo -n "pass-0" | docker secret create db_pass_0 - >/dev/null
docker config create app_conf "$tmp/app.conf" >/dev/null
dk_sec=(); dk_rot=()
for i in $(seq 1 $RUNS); do
  t0=$(now_ms)
  docker service create --detach --quiet --init --name sec --replicas $N \
     --secret source=db_pass_$((i - 1)),target=db_pass --config source=app_conf,target=/etc/app.conf \
     swarmlet/busybox:1 sleep 3600 >/dev/null 2>&1
  wait_running sec $N 300
  dk_sec+=($(( $(now_ms) - t0 )))
  ids sec > "$tmp/old"
  t0=$(now_ms)
  echo -n "pass-$i" | docker secret create db_pass_$i - >/dev/null
  docker service update --detach --quiet --secret-rm db_pass_$((i - 1)) \
     --secret-add source=db_pass_$i,target=db_pass sec >/dev/null 2>&1
  wait_replaced sec $N "$tmp/old" 300
  dk_rot+=($(( $(now_ms) - t0 )))
  check_value sec /run/secrets/db_pass "pass-$i"
  docker service rm sec >/dev/null
  wait_gone sec
  docker secret rm db_pass_$((i - 1)) >/dev/null
done
docker swarm leave --force >/dev/null

p=$(echo "${sl_plain[@]}" | median); s=$(echo "${sl_sec[@]}" | median); r=$(echo "${sl_rot[@]}" | median)
f=$(echo "${sl_force[@]}" | median); ds=$(echo "${dk_sec[@]}" | median); dr=$(echo "${dk_rot[@]}" | median)
{
echo "# Secrets and configs on real containers ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, dockerd $(docker version --format '{{.Server.Version}}'))"
echo
echo "Median of $RUNS, $N replicas, one node. Runs: Swarmlet with secret ${sl_sec[*]} ms, plain ${sl_plain[*]} ms,"
echo "rotate ${sl_rot[*]} ms, --force ${sl_force[*]} ms; Docker create ${dk_sec[*]} ms, new secret + update ${dk_rot[*]} ms."
echo
echo "| run | Swarmlet | baseline (same run) | ratio | goal |"
echo "|---|---|---|---|---|"
echo "| create with a secret and a config → $N running | $s ms | same service without them: $p ms | $(ratio $s $p) | ≤ 1.2 |"
echo "| create with a secret and a config → $N running | $s ms | Docker swarm mode, same: $ds ms | $(ratio $s $ds) | ≤ 1 |"
c=$(echo "${cli[@]}" | median); dc=$(echo "${dcli[@]}" | median)
echo "| same, one CLI call's cost taken from both | $(( s - c )) ms | Docker: $(( ds - dc )) ms | $(ratio $(( s - c )) $(( ds - dc ))) | ≤ 1 |"
echo "| new value: \`secret rotate\` → all $N replaced | $r ms | \`service update --force\`: $f ms | $(ratio $r $f) | ≤ 1.2 |"
echo "| new value → all $N replaced | $r ms | Docker: new secret + \`--secret-rm/--secret-add\`: $dr ms | $(ratio $r $dr) | ≤ 1 |"
echo
echo "One CLI call (\`swarmlet version\` / \`docker version\`, part of every figure): $c ms / $dc ms (a JVM against a Go binary)."
echo "swarmletd RSS after the runs: $(( rss_kb / 1024 )) MB."
} | tee bench/results/secrets.md
rm -rf "$tmp"
