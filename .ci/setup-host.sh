#!/usr/bin/env bash
# Prepares this machine to build and test Swarmlet: Java 17 and Maven, a running
# Docker Engine, Debian's chromium and chromedriver (the web console's test), and the
# local test images swarmlet/busybox:1 and :2 (built from Debian's busybox-static; no
# registry needed). Idempotent and quiet: prints
# nothing unless something fails (-v: say what it does). Run as root (or with sudo).
#
#   SWARMLET_DOCKERD_FLAGS="..."  start dockerd with exactly these flags (no fallbacks)
#   DOCKERD_WAIT_S=60             how long to wait for dockerd to answer
set -euo pipefail

VERBOSE=0
[ "${1:-}" = "-v" ] && VERBOSE=1
log() { if [ "$VERBOSE" = 1 ]; then echo "setup-host: $*" >&2; fi; }
die() { echo "setup-host: error: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo: run as root"
    SUDO="sudo"
fi

DOCKER_SOCK=/var/run/docker.sock
DOCKERD_LOG=/var/log/swarmlet-dockerd.log
DOCKERD_WAIT_S=${DOCKERD_WAIT_S:-60}

# ---------------------------------------------------------------- apt
apt_updated=0
apt_install() { # packages...
    command -v apt-get >/dev/null 2>&1 || die "need to install $* but there is no apt-get; install them yourself"
    if [ "$apt_updated" = 0 ]; then
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
        apt_updated=1
    fi
    log "installing $*"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
        || die "apt-get install $* failed"
}

# ---------------------------------------------------------------- Java 17+ and Maven
java_major() {
    local v
    v="$("${1:-java}" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
    echo "${v%%.*}"
}
java_ok() {
    command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 || return 1
    local m; m="$(java_major java)"
    [ -n "$m" ] && [ "$m" -ge 17 ]
}
if ! java_ok; then
    apt_install openjdk-17-jdk-headless
    java_ok || die "Java 17 (java and javac) is still not on PATH after installing openjdk-17-jdk-headless"
fi
if ! command -v mvn >/dev/null 2>&1; then
    apt_install maven
fi

# ---------------------------------------------------------------- Docker Engine
docker_answers() {
    curl -fsS --max-time 2 --unix-socket "$DOCKER_SOCK" http://localhost/_ping >/dev/null 2>&1
}

if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
    apt_install docker.io
fi
if ! command -v curl >/dev/null 2>&1; then
    apt_install curl
fi

# ---------------------------------------------------------------- a browser for the web console's tests
# Debian's chromium and its chromedriver (WebIT drives them headless through Selenium, which is told
# where both are: nothing is downloaded at test time)
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    apt_install chromium chromium-driver
fi

# Is process $1 alive (running, not a zombie)?
alive() {
    kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# Waits until the engine answers /_ping, or dockerd (pid $1) died, or the deadline passed.
wait_for_docker() {
    local pid=$1 deadline=$((SECONDS + DOCKERD_WAIT_S))
    while [ "$SECONDS" -lt "$deadline" ]; do
        docker_answers && return 0
        alive "$pid" || return 1
        sleep 0.2
    done
    return 1
}

# Starts dockerd in the background with the given extra flags; returns 0 once it answers.
start_dockerd() {
    local pidfile=/var/run/docker.pid pid
    # a pid file or socket left behind by a dockerd that is gone makes the next one refuse to start
    if [ -f "$pidfile" ] && ! alive "$(cat "$pidfile" 2>/dev/null)"; then
        $SUDO rm -f "$pidfile"
    fi
    [ -S "$DOCKER_SOCK" ] && $SUDO rm -f "$DOCKER_SOCK"
    echo "=== $(date -Is) dockerd $*" | $SUDO tee -a "$DOCKERD_LOG" >/dev/null
    # setsid: not in this shell's process group, so it outlives the script and a Ctrl-C of it
    $SUDO setsid dockerd --host "unix://$DOCKER_SOCK" "$@" </dev/null >>"$DOCKERD_LOG" 2>&1 &
    pid=$!
    if wait_for_docker "$pid"; then
        return 0
    fi
    # it did not come up: stop it before trying something else
    local dpid; dpid="$(cat "$pidfile" 2>/dev/null || true)"
    for p in $dpid $pid; do $SUDO kill "$p" 2>/dev/null || true; done
    local deadline=$((SECONDS + 10))
    while [ "$SECONDS" -lt "$deadline" ] && { alive "$pid" || { [ -n "$dpid" ] && alive "$dpid"; }; }; do
        sleep 0.2
    done
    return 1
}

# pids of dockerd processes that are alive (pgrep also lists zombies nobody reaped)
live_dockerd() {
    local p
    for p in $(pgrep -x dockerd 2>/dev/null); do
        if alive "$p"; then echo "$p"; fi
    done
}

if ! docker_answers; then
    if [ -n "$(live_dockerd)" ]; then
        # one is running but not answering yet (just started by someone else?): give it the deadline
        deadline=$((SECONDS + DOCKERD_WAIT_S))
        while [ "$SECONDS" -lt "$deadline" ] && ! docker_answers; do sleep 0.2; done
        docker_answers || die "a dockerd is running (pid $(live_dockerd | tr '\n' ' ')) but does not answer on $DOCKER_SOCK; stop it and run this again"
    else
        log "starting dockerd (log: $DOCKERD_LOG)"
        # Plain flags first (overlay2, bridge networking with iptables). Sandboxes and nested
        # containers may lack overlayfs or netfilter: then fall back to vfs, then also no iptables.
        if [ -n "${SWARMLET_DOCKERD_FLAGS:-}" ]; then
            # shellcheck disable=SC2086 # a list of flags
            start_dockerd $SWARMLET_DOCKERD_FLAGS || {
                tail -n 15 "$DOCKERD_LOG" >&2 || true
                die "dockerd $SWARMLET_DOCKERD_FLAGS did not answer on $DOCKER_SOCK within ${DOCKERD_WAIT_S}s; see $DOCKERD_LOG"
            }
        elif ! start_dockerd \
            && ! { log "retrying with --storage-driver=vfs"; start_dockerd --storage-driver=vfs; } \
            && ! { log "retrying without iptables"; start_dockerd --storage-driver=vfs --iptables=false --ip6tables=false; }; then
            tail -n 15 "$DOCKERD_LOG" >&2 || true
            die "dockerd did not answer on $DOCKER_SOCK within ${DOCKERD_WAIT_S}s with any flags tried; see $DOCKERD_LOG"
        fi
    fi
fi
docker version >/dev/null 2>&1 || die "the docker CLI cannot talk to the engine on $DOCKER_SOCK"

# ---------------------------------------------------------------- test images
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

BUSYBOX=/bin/busybox
busybox_static() {
    [ -x "$BUSYBOX" ] || return 1
    # must be static: it runs alone in the image
    ! ldd "$BUSYBOX" >/dev/null 2>&1
}

if ! image_exists swarmlet/busybox:1 || ! image_exists swarmlet/busybox:2; then
    if ! busybox_static; then
        apt_install busybox-static
        busybox_static || die "$BUSYBOX is not a static busybox even after installing busybox-static"
    fi
    rootfs="$(mktemp -d)"
    trap 'rm -rf "$rootfs"' EXIT
    mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
    chmod 1777 "$rootfs/tmp"
    cp "$BUSYBOX" "$rootfs/bin/busybox"
    for applet in $("$BUSYBOX" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
    import_image() { # tag version
        tar -C "$rootfs" -c . | docker import \
            -c 'CMD ["sh"]' -c "ENV SWARMLET_IMAGE_VERSION=$2" \
            -m "swarmlet test image $2 (busybox-static)" - "$1" >/dev/null \
            || die "docker import of $1 failed"
    }
    if ! image_exists swarmlet/busybox:1; then
        echo 1 >"$rootfs/etc/swarmlet-image-version"
        import_image swarmlet/busybox:1 1
        log "built image swarmlet/busybox:1"
    fi
    if ! image_exists swarmlet/busybox:2; then
        echo 2 >"$rootfs/etc/swarmlet-image-version"
        import_image swarmlet/busybox:2 2
        log "built image swarmlet/busybox:2"
    fi
fi

# swarmlet/udpecho:1 and swarmlet/httpecho:1 — busybox plus a static program from .ci/images/ (a UDP
# echo for the routing mesh's UDP tests; a keep-alive HTTP server for bench/mesh.sh)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for prog in udpecho httpecho; do
    image_exists "swarmlet/$prog:1" && continue
    if ! command -v gcc >/dev/null 2>&1 || { [ ! -f /usr/lib/x86_64-linux-gnu/libc.a ] && [ ! -f /usr/lib/libc.a ]; }; then
        apt_install gcc libc6-dev
    fi
    ctx="$(mktemp -d)"
    gcc -static -O2 -o "$ctx/$prog" "$here/images/$prog.c" || die "cannot compile .ci/images/$prog.c"
    printf 'FROM swarmlet/busybox:1\nCOPY %s /bin/%s\nCMD ["/bin/%s"]\n' "$prog" "$prog" "$prog" >"$ctx/Dockerfile"
    DOCKER_BUILDKIT=0 docker build -q -t "swarmlet/$prog:1" "$ctx" >/dev/null 2>&1 || die "docker build of swarmlet/$prog:1 failed"
    rm -rf "$ctx"
    log "built image swarmlet/$prog:1"
done

# swarmlet/kvstore:1 and swarmlet/hitcounter:1 — stand-ins for redis and flin/page-hit-counter in the
# seed's compose files (StackIT): busybox plus the scripts and Dockerfile in .ci/images/<name>/
for img in kvstore hitcounter; do
    image_exists "swarmlet/$img:1" && continue
    DOCKER_BUILDKIT=0 docker build -q -t "swarmlet/$img:1" "$here/images/$img" >/dev/null 2>&1 || die "docker build of swarmlet/$img:1 failed"
    log "built image swarmlet/$img:1"
done
