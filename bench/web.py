#!/usr/bin/env python3
"""The web console against baselines from the same run (issue 9); run through bench/web.sh.

1. How late the page learns that a task runs: `service scale` -> the `change` event with the new
   task RUNNING on /api/v1/events, against `service scale` -> Docker's own `start` event for its
   container (what the engine knows first). Median of 5 scale-ups.
2. A /metrics scrape against a /api/v1/nodes read on the same server (median of 50 each).
3. Resident memory of the daemon serving the console (after the above) against the same daemon
   started with --listen-http none running the same service.
"""
import json, os, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.request

DIST = sys.argv[1]
SWARMLETD = os.path.join(DIST, "bin/swarmletd")
SWARMLET = os.path.join(DIST, "bin/swarmlet")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(tmp, http):
    os.makedirs(tmp, exist_ok=True)
    out = open(os.path.join(tmp, "out.log"), "w")
    args = [SWARMLETD, "--state-dir", os.path.join(tmp, "st"), "--listen-control-api", os.path.join(tmp, "c.sock"),
            "--listen-remote-api", "127.0.0.1:%d" % free_port(), "--listen-raft-api", "127.0.0.1:%d" % free_port(),
            "--hostname", "bench-web", "--listen-http", http]
    env = dict(os.environ, SWARMLETD_OPTS="-Dswarmlet.deploy.dir=" + os.path.join(tmp, "deploy"))
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    deadline = time.time() + 120
    while "swarmletd: ready" not in open(os.path.join(tmp, "out.log")).read():
        if p.poll() is not None or time.time() > deadline:
            sys.exit("swarmletd did not start:\n" + open(os.path.join(tmp, "out.log")).read())
        time.sleep(0.05)
    return p


def cli(tmp, *args):
    return subprocess.run([SWARMLET, "--socket", os.path.join(tmp, "c.sock")] + list(args), check=True,
                          capture_output=True, text=True).stdout


def rss_kb(pid):
    # the daemon's JVM is a child of the launcher script, or the process itself
    pids = [pid] + [int(c) for c in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    total = 0
    for p in pids:
        for line in open("/proc/%d/status" % p):
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def wait_running(tmp, n):
    deadline = time.time() + 120
    while True:
        ids = subprocess.run(["docker", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=web"],
                             capture_output=True, text=True).stdout.split()
        if len(ids) == n:
            return
        if time.time() > deadline:
            sys.exit("web did not reach %d containers" % n)
        time.sleep(0.1)


class Events(threading.Thread):
    """Reads /api/v1/events and notes when each task is first seen RUNNING."""

    def __init__(self, base):
        super().__init__(daemon=True)
        self.base = base
        self.running = {}
        self.ready = threading.Event()

    def run(self):
        with urllib.request.urlopen(self.base + "/api/v1/events") as r:
            event = None
            for raw in r:
                line = raw.decode().rstrip("\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = json.loads(line[5:])
                    now = time.time()
                    if event == "snapshot":
                        for t in data["tasks"]:
                            if t["state"] == "running":
                                self.running.setdefault(t["id"], 0)
                        self.ready.set()
                    elif event == "change" and data["kind"] == "task" and data.get("object", {}).get("state") == "running":
                        self.running.setdefault(data["id"], now)


def docker_start_times(since, until):
    out = subprocess.run(["docker", "events", "--since", "%.3f" % since, "--until", "%.3f" % until, "--filter",
                          "event=start", "--filter", "label=com.docker.swarm.service.name=web", "--format",
                          "{{.TimeNano}}"], capture_output=True, text=True).stdout.split()
    return sorted(int(x) / 1e9 for x in out)


def main():
    root = tempfile.mkdtemp(prefix="swl-bench-web-")
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    tmp = os.path.join(root, "console")
    d = start(tmp, "127.0.0.1:%d" % port)
    try:
        cli(tmp, "service", "create", "--detach", "--name", "web", "--replicas", "1", "swarmlet/busybox:1", "sleep", "1d")
        wait_running(tmp, 1)
        ev = Events(base)
        ev.start()
        ev.ready.wait(30)
        page, engine = [], []
        for n in range(2, 7):
            seen = set(ev.running)
            t0 = time.time()
            cli(tmp, "service", "scale", "--detach", "web=%d" % n)
            deadline = time.time() + 60
            while not [i for i in ev.running if i not in seen]:
                if time.time() > deadline:
                    sys.exit("no running change event after scale to %d" % n)
                time.sleep(0.005)
            new = [ev.running[i] for i in ev.running if i not in seen]
            page.append((min(new) - t0) * 1000)
            starts = [s for s in docker_start_times(t0, time.time() + 1) if s >= t0]
            engine.append((starts[0] - t0) * 1000)
        scrape, nodes = [], []
        for _ in range(50):
            t = time.perf_counter(); urllib.request.urlopen(base + "/metrics").read(); scrape.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter(); urllib.request.urlopen(base + "/api/v1/nodes").read(); nodes.append((time.perf_counter() - t) * 1000)
        with_console = rss_kb(d.pid)
        cli(tmp, "service", "rm", "web")
    finally:
        d.terminate(); d.wait(60)
    subprocess.run("docker rm -f $(docker ps -aq --filter label=com.docker.swarm.service.name=web) >/dev/null 2>&1", shell=True)

    tmp2 = os.path.join(root, "plain")
    d2 = start(tmp2, "none")
    try:
        cli(tmp2, "service", "create", "--detach", "--name", "web", "--replicas", "6", "swarmlet/busybox:1", "sleep", "1d")
        wait_running(tmp2, 6)
        time.sleep(2)
        without = rss_kb(d2.pid)
        cli(tmp2, "service", "rm", "web")
    finally:
        d2.terminate(); d2.wait(60)
    subprocess.run("docker rm -f $(docker ps -aq --filter label=com.docker.swarm.service.name=web) >/dev/null 2>&1", shell=True)

    m = statistics.median
    print("# Web console (bench/web.sh, %s, %d cores, one node)\n" % (time.strftime("%Y-%m-%d"), os.cpu_count()))
    print("| figure | web console | baseline (same run) | ratio |")
    print("|---|---|---|---|")
    print("| `service scale` → the page's `change` event with the new task running (median of 5) | %.0f ms | → Docker's `start` event of its container: %.0f ms | %.2f |"
          % (m(page), m(engine), m(page) / m(engine)))
    print("| `GET /metrics` (median of 50) | %.2f ms | `GET /api/v1/nodes`: %.2f ms | %.2f |" % (m(scrape), m(nodes), m(scrape) / m(nodes)))
    print("| daemon RSS, 6 tasks, after the above | %d MB | `--listen-http none`, 6 tasks: %d MB | %.2f |"
          % (with_console // 1024, without // 1024, with_console / without))
    print("\nRuns (ms): page %s; engine %s." % (" ".join("%.0f" % x for x in page), " ".join("%.0f" % x for x in engine)))


main()
