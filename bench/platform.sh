#!/usr/bin/env bash
# Whole-system figures for the platform (issue 2), each with a baseline taken in
# the same run on the same machine:
#   - daemon start to control API ready (median of 5)  vs  a bare JVM start (java -version)
#   - idle RSS of swarmletd after start                 vs  a bare Felix framework with no bundles
#   - `swarmlet node ls` wall time (median of 10)       vs  a bare JVM start
# Usage: bench/platform.sh [runs]   (build the distribution first)
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=distribution/target/swarmlet
RUNS=${1:-5}
[ -x "$DIST/bin/swarmletd" ] || { echo "build first: mvn -DskipTests install" >&2; exit 1; }
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_times=(); rss=(); ls_times=(); jvm_times=()
for i in $(seq 1 "$RUNS"); do
  s=$(now_ms); java -version >/dev/null 2>&1; jvm_times+=($(( $(now_ms) - s )))
done
for i in $(seq 1 "$RUNS"); do
  st=$(mktemp -d /tmp/swl-bench-XXXX)
  t0=$(now_ms)
  "$DIST/bin/swarmletd" --state-dir "$st" --listen-control-api "$st/c.sock" \
      --listen-remote-api 127.0.0.1:$(free_port) --listen-raft-api 127.0.0.1:$(free_port) --hostname bench \
      > "$st/out.log" 2>&1 < /dev/null &
  pid=$!
  deadline=$(( $(now_ms) + 60000 ))
  until grep -q "swarmletd: ready" "$st/out.log" 2>/dev/null; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "daemon not ready in 60 s" >&2; cat "$st/out.log" >&2; exit 1; }
    kill -0 $pid 2>/dev/null || { echo "daemon died" >&2; cat "$st/out.log" >&2; exit 1; }
    sleep 0.02
  done
  start_times+=($(( $(now_ms) - t0 )))
  if [ "$i" = 1 ]; then
    for j in $(seq 1 10); do
      s=$(now_ms); "$DIST/bin/swarmlet" --socket "$st/c.sock" node ls >/dev/null; ls_times+=($(( $(now_ms) - s )))
    done
    sleep 5   # let it go idle before reading RSS
    # the java process is the script's exec'd child, same pid
    rss+=($(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status))
  fi
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$st"
done

# baseline RSS: bare Felix, same JVM flags as swarmletd, no bundles
felix=$(ls $DIST/lib/org.apache.felix.framework-*.jar | head -1)
cat > /tmp/BareFelix.java <<'JAVA'
import java.util.*; import org.osgi.framework.launch.*;
public class BareFelix { public static void main(String[] a) throws Exception {
  Map<String,String> p = new HashMap<>(); p.put("org.osgi.framework.storage", a[0]); p.put("org.osgi.framework.storage.clean", "onFirstInit");
  Framework f = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(p); f.start();
  System.out.println("started"); System.out.flush(); Thread.sleep(60000); } }
JAVA
bdir=$(mktemp -d /tmp/swl-bare-XXXX)
JOPTS="-Xms64m -Xmx512m -XX:+UseSerialGC -Xshare:auto"   # the flags bin/swarmletd uses
java $JOPTS -cp "$felix" /tmp/BareFelix.java "$bdir/cache" > "$bdir/out" 2>&1 &
bp=$!
until grep -q started "$bdir/out" 2>/dev/null; do sleep 0.1; done
sleep 5
bare_rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$bp/status)
kill $bp; wait $bp 2>/dev/null || true; rm -rf "$bdir"

st_med=$(printf '%s\n' "${start_times[@]}" | median)
ls_med=$(printf '%s\n' "${ls_times[@]}" | median)
jvm_med=$(printf '%s\n' "${jvm_times[@]}" | median)
{
echo "# Platform figures ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
echo
echo "| figure | Swarmlet | baseline (same run) | ratio | goal |"
echo "|---|---|---|---|---|"
echo "| daemon start to control API ready, median of $RUNS | ${st_med} ms | JVM start (java -version) ${jvm_med} ms | $(awk "BEGIN{printf \"%.1f\", $st_med/$jvm_med}") | < 3000 ms |"
echo "| idle RSS of swarmletd | ${rss[0]} MB | bare Felix, no bundles, ${bare_rss} MB | $(awk "BEGIN{printf \"%.1f\", ${rss[0]}/$bare_rss}") | < 250 MB |"
echo "| \`swarmlet node ls\`, median of 10 | ${ls_med} ms | JVM start ${jvm_med} ms | $(awk "BEGIN{printf \"%.1f\", $ls_med/$jvm_med}") | < 400 ms |"
echo
echo "raw: start ${start_times[*]} ms; node ls ${ls_times[*]} ms; java -version ${jvm_times[*]} ms"
} | tee bench/results/platform.md
