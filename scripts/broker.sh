#!/usr/bin/env bash
# Install, start and stop a local RocketMQ cluster (the Rust server, crates rocketmq-namesrv and
# rocketmq-broker 1.0.0) on loopback for the tests and the demo. Run with no arguments for usage.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)
RUN_ROOT="$REPO_ROOT/target/rocketmq"
PROBE="$SCRIPT_DIR/probe.py"

SERVER_VERSION=1.0.0
CACHE_DIR="${ROCKETMQ_CACHE:-$HOME/.cache/rocketmq-rs}"
INSTALL_ROOT="$CACHE_DIR/broker-$SERVER_VERSION"
BIN_DIR="$INSTALL_ROOT/bin"
NAMESRV_BIN="$BIN_DIR/rocketmq-namesrv-rust"
BROKER_BIN="$BIN_DIR/rocketmq-broker-rust"
READY_TIMEOUT="${ROCKETMQ_READY_TIMEOUT:-60}"
STOP_TIMEOUT=10
[[ "$READY_TIMEOUT" =~ ^[0-9]+$ ]] || { echo "broker.sh: ROCKETMQ_READY_TIMEOUT must be whole seconds" >&2; exit 2; }

usage() {
    cat <<EOF
Usage: scripts/broker.sh COMMAND [OPTIONS]

Local RocketMQ cluster (Rust server $SERVER_VERSION: one name server + one broker) on 127.0.0.1.
State lives in target/rocketmq/NAME/ (configs, logs, pid files); the store in a tmpfs
(/dev/shm/rocketmq-rs-UID-*/NAME) when it has room, as the broker refuses to start on a filesystem 90 %
used, else in target/rocketmq/NAME/store (\$ROCKETMQ_STORE_ROOT/NAME when set). The servers run
with HOME and ROCKETMQ_HOME set to target/rocketmq/NAME so nothing is written to the real home.

Commands:
  install                  Install rocketmq-namesrv-rust and rocketmq-broker-rust into
                           \${ROCKETMQ_CACHE:-\$HOME/.cache/rocketmq-rs}/broker-$SERVER_VERSION
                           (no-op when both binaries are cached; ~13 min on 2 cores otherwise).
  start [--name NAME] [--namesrv-port P] [--broker-port P] [--broker-name B] [--clean]
                           Write configs, start name server then broker (installing first if
                           needed) and wait until the name server answers GET_ROUTEINFO_BY_TOPIC
                           for TBW102 with SUCCESS and the broker port accepts connections
                           (\${ROCKETMQ_READY_TIMEOUT:-60} s). No-op (re-checks readiness) when
                           already running. --clean stops the cluster and deletes its store first.
                           Defaults: NAME=a; ports and broker name of NAME's previous start, else
                           name server 9876, broker 10911, broker-a.
  stop [--name NAME | --all] [--clean]
                           SIGTERM broker then name server (SIGKILL after ${STOP_TIMEOUT} s each).
                           --clean then deletes the store.
  kill [--name NAME] [broker|namesrv]
                           kill -9 the broker (default) or the name server.
  restart-broker [--name NAME]
                           Start only the broker again with the same config and wait for readiness.
  status [--name NAME]     Print running/stopped and ports; exit 0 only if both are running.
  env [--name NAME]        Print ROCKETMQ_NAMESRV=127.0.0.1:PORT (and ROCKETMQ_BROKER,
                           ROCKETMQ_BROKER_NAME, ROCKETMQ_CLUSTER) lines for tests.

The broker also binds listenPort-2 (VIP channel) and haListenPort, set here to listenPort+1
(the server's own default is a fixed 10912), so a second cluster needs ports spaced out, e.g.:
  scripts/broker.sh start --name b --namesrv-port 9886 --broker-port 10921 --broker-name broker-b

Probe by hand: python3 scripts/probe.py route TBW102 | send TOPIC | heartbeat (see --help).
EOF
}

die() {
    echo "broker.sh: $*" >&2
    exit 1
}

log() {
    echo "broker.sh: $*" >&2
}

# ---------------------------------------------------------------------------------------------
# install

binaries_cached() {
    [[ -x "$NAMESRV_BIN" && -x "$BROKER_BIN" ]]
}

cmd_install() {
    if binaries_cached; then
        log "server $SERVER_VERSION cached in $BIN_DIR"
        return 0
    fi
    command -v cargo >/dev/null || die "cargo not found; needed to install the server"
    mkdir -p "$CACHE_DIR"
    local lock="$CACHE_DIR/install.lock"
    exec 9>"$lock"
    if ! flock -n 9; then
        log "another install holds $lock; waiting for it"
        flock 9
    fi
    # An install started by hand (not holding the lock) may be running: wait for it too.
    while pgrep -f "cargo install .*--root $INSTALL_ROOT" >/dev/null; do
        log "a 'cargo install --root $INSTALL_ROOT' is already running; waiting for it"
        sleep 20
    done
    if binaries_cached; then
        log "server $SERVER_VERSION cached in $BIN_DIR"
        exec 9>&-
        return 0
    fi
    log "installing rocketmq-namesrv@$SERVER_VERSION rocketmq-broker@$SERVER_VERSION into $INSTALL_ROOT"
    local t0=$SECONDS
    CARGO_TARGET_DIR="$CACHE_DIR/cargo-target" \
        cargo install --locked --root "$INSTALL_ROOT" \
        "rocketmq-namesrv@$SERVER_VERSION" "rocketmq-broker@$SERVER_VERSION"
    binaries_cached || die "install finished but $NAMESRV_BIN / $BROKER_BIN are missing"
    # Build artefacts are kept only while an install is unfinished (a retry reuses them).
    rm -rf "$CACHE_DIR/cargo-target"
    exec 9>&-
    log "installed in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------------------------------------
# per-cluster state

NAME=a
NAMESRV_PORT=
BROKER_PORT=
BROKER_NAME=
CLUSTER_NAME=DefaultCluster
STORE_DIR=
SPAWNED_AT=''

set_name() {
    [[ "$1" =~ ^[A-Za-z0-9_.-]+$ && "$1" != . && "$1" != .. ]] || die "bad cluster name '$1'"
    NAME=$1
}

dir_of() { echo "$RUN_ROOT/$NAME"; }
pidfile() { echo "$(dir_of)/$1.pid"; }

# Reads NAMESRV_PORT / BROKER_PORT / BROKER_NAME saved by `start`.
load_cluster() {
    local f
    f="$(dir_of)/cluster.env"
    [[ -f "$f" ]] || die "cluster '$NAME' was never started (no $f)"
    local key value
    while IFS='=' read -r key value; do
        case "$key" in
            NAMESRV_PORT) NAMESRV_PORT=$value ;;
            BROKER_PORT) BROKER_PORT=$value ;;
            BROKER_NAME) BROKER_NAME=$value ;;
            CLUSTER_NAME) CLUSTER_NAME=$value ;;
            STORE_DIR) STORE_DIR=$value ;;
        esac
    done <"$f"
    [[ -n "$NAMESRV_PORT" && -n "$BROKER_PORT" && -n "$BROKER_NAME" ]] || die "incomplete $f"
}

# The store directory NAME's last start recorded (target/rocketmq/NAME/store before it did).
recorded_store_dir() {
    local f line dir
    f="$(dir_of)/cluster.env"
    dir="$(dir_of)/store"
    if [[ -f "$f" ]] && line=$(grep -m1 '^STORE_DIR=' "$f"); then
        dir=${line#STORE_DIR=}
    fi
    echo "$dir"
}

# Where a new store goes. The 1.0.0 broker neither starts nor takes writes once the filesystem
# under its store is 90 % used by statvfs, other tenants of a shared disk included (CI failed so
# on a busy machine), so the store goes on a tmpfs (/dev/shm) when it has room; the stores stay
# small (see write_configs). ROCKETMQ_STORE_ROOT names another root.
choose_store_dir() {
    local root=${ROCKETMQ_STORE_ROOT:-}
    if [[ -z "$root" ]] && shm_has_room; then
        root=$(shm_root)
    fi
    if [[ -n "$root" ]]; then echo "$root/$NAME"; else echo "$(dir_of)/store"; fi
}

# This checkout's stores on the tmpfs (per user and checkout).
shm_root() {
    echo "/dev/shm/rocketmq-rs-$(id -u)-$(printf '%s' "$REPO_ROOT" | cksum | cut -d' ' -f1)"
}

# /dev/shm is a writable tmpfs with at least 4 GiB free and under half used.
shm_has_room() {
    [[ -d /dev/shm && -w /dev/shm ]] || return 1
    python3 -c 'import os, sys
s = os.statvfs(sys.argv[1])
under_half_used = 2 * s.f_bavail > s.f_blocks
sys.exit(not (under_half_used and s.f_bavail * s.f_frsize >= 4 << 30))' /dev/shm
}

# Percentage of a filesystem in use, computed as the broker does: 1 - available / total.
used_percent() {
    python3 -c 'import os, sys; s = os.statvfs(sys.argv[1]); print(100 * (s.f_blocks - s.f_bavail) // max(s.f_blocks, 1))' "$1"
}

# pid of a running process from its pid file (checks the command line against reused pids).
running_pid() {
    local which=$1 bin pid state f
    f=$(pidfile "$which")
    [[ -f "$f" ]] || return 1
    pid=$(<"$f")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/stat" ]] || return 1
    state=$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ "$state" != Z && "$state" != X ]] || return 1
    if [[ $which == broker ]]; then bin=rocketmq-broker-rust; else bin=rocketmq-namesrv-rust; fi
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$bin" || return 1
    echo "$pid"
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Wall-clock seconds (fractional with bash >= 5, whatever the locale's decimal separator).
now_epoch() {
    local t=${EPOCHREALTIME:-}
    if [[ -n "$t" ]]; then echo "${t/,/.}"; else date +%s; fi
}

show_logs() {
    local d f
    d=$(dir_of)
    for f in "$d/namesrv.log" "$d/broker.log"; do
        [[ -f "$f" ]] || continue
        echo "----- tail -n 40 $f" >&2
        tail -n 40 "$f" >&2 || true
    done
    # A failed start-up's cause is logged long before its tail of shutdown lines (the log is
    # coloured: codes are stripped before matching the level).
    if [[ -f "$d/broker.log" ]]; then
        echo "----- warnings and errors in $d/broker.log (first 30)" >&2
        sed 's/\x1b\[[0-9;]*m//g' "$d/broker.log" | grep -E '(WARN|ERROR) ' | head -n 30 >&2 || true
    fi
    echo "----- store $(recorded_store_dir): $(used_percent "$(recorded_store_dir)" 2>/dev/null || echo '?') % of its filesystem used" >&2
}

rotate_log() {
    [[ -f "$1" ]] && mv -f "$1" "$1.1"
    return 0
}

write_configs() {
    local d
    d=$(dir_of)
    mkdir -p "$d" "$STORE_DIR"
    cat >"$d/namesrv.ini" <<EOF
# Written by scripts/broker.sh; regenerated on every start.
listenPort=$NAMESRV_PORT
bindAddress=127.0.0.1
rocketmqHome=$d
kvConfigPath=$d/namesrv/kvConfig.json
configStorePath=$d/namesrv/namesrv.properties
tls.server.mode=disabled
EOF
    # Small store files (128 MiB commit log files, 60,000-entry consume queue files, a 10 MB
    # index): the defaults preallocate 1 GiB, 6 MB for every queue of every topic (tests make
    # hundreds) and 400 MB, and the broker refuses writes once the disk is 90 % used.
    # Keep to keys known to work: extra ones (tls.server.mode, flushDiskType) were seen to make
    # the 1.0.0 broker fail with only "Service lifecycle operation failed". haListenPort is
    # needed: its default is a fixed 10912 (not listenPort+1), so a second broker fails to start
    # (same bare error) while the first one holds 10912.
    cat >"$d/broker.properties" <<EOF
brokerClusterName=$CLUSTER_NAME
brokerName=$BROKER_NAME
brokerId=0
brokerIP1=127.0.0.1
listenPort=$BROKER_PORT
namesrvAddr=127.0.0.1:$NAMESRV_PORT
storePathRootDir=$STORE_DIR
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
enablePropertyFilter=true
mappedFileSizeCommitLog=134217728
mappedFileSizeConsumeQueue=1200000
maxHashSlotNum=100000
maxIndexNum=400000
haListenPort=$((BROKER_PORT + 1))
EOF
    cat >"$d/cluster.env" <<EOF
NAMESRV_PORT=$NAMESRV_PORT
BROKER_PORT=$BROKER_PORT
BROKER_NAME=$BROKER_NAME
CLUSTER_NAME=$CLUSTER_NAME
STORE_DIR=$STORE_DIR
EOF
}

# Waits (up to 5 s) until the just-forked child has exec'd the server binary.
wait_exec() {
    local i
    for ((i = 0; i < 50; i++)); do
        running_pid "$1" >/dev/null && return 0
        [[ -d "/proc/$(<"$(pidfile "$1")")" ]] || break
        sleep 0.1
    done
    log "[$NAME] $1 did not start"
    show_logs
    exit 1
}

spawn_namesrv() {
    local d
    d=$(dir_of)
    rotate_log "$d/namesrv.log"
    [[ -n "$SPAWNED_AT" ]] || SPAWNED_AT=$(now_epoch)
    (
        cd "$d"
        HOME="$d" ROCKETMQ_HOME="$d" setsid nohup "$NAMESRV_BIN" -c "$d/namesrv.ini" \
            --bindAddress 127.0.0.1 --listenPort "$NAMESRV_PORT" --rocketmqHome "$d" \
            >"$d/namesrv.log" 2>&1 </dev/null &
        echo $! >"$d/namesrv.pid"
    )
    wait_exec namesrv
    log "[$NAME] name server started, pid $(<"$d/namesrv.pid"), 127.0.0.1:$NAMESRV_PORT"
}

spawn_broker() {
    local d
    d=$(dir_of)
    rotate_log "$d/broker.log"
    [[ -n "$SPAWNED_AT" ]] || SPAWNED_AT=$(now_epoch)
    (
        cd "$d"
        HOME="$d" ROCKETMQ_HOME="$d" setsid nohup "$BROKER_BIN" -c "$d/broker.properties" \
            >"$d/broker.log" 2>&1 </dev/null &
        echo $! >"$d/broker.pid"
    )
    wait_exec broker
    log "[$NAME] broker $BROKER_NAME started, pid $(<"$d/broker.pid"), 127.0.0.1:$BROKER_PORT"
}

# Waits until the route for TBW102 answers SUCCESS and the broker port accepts connections.
wait_ready() {
    local args=(ready --namesrv "127.0.0.1:$NAMESRV_PORT" --broker "127.0.0.1:$BROKER_PORT"
        --timeout "$READY_TIMEOUT" --since "${SPAWNED_AT:-$(now_epoch)}")
    local pid which
    for which in namesrv broker; do
        if pid=$(running_pid "$which"); then
            args+=(--pid "$pid")
        else
            log "[$NAME] $which is not running"
            show_logs
            return 1
        fi
    done
    local out
    if out=$(python3 "$PROBE" "${args[@]}"); then
        log "[$NAME] $out"
    else
        log "[$NAME] cluster not ready"
        show_logs
        return 1
    fi
}

# Refuses to start on a port something else listens on.
check_ports_free() {
    local p
    for p in "$@"; do
        if port_in_use "$p"; then
            die "[$NAME] 127.0.0.1:$p is already in use by another process"
        fi
    done
}

cmd_start() {
    local clean=0 ns_port='' br_port='' br_name=''
    while (($#)); do
        case "$1" in
            --name) set_name "${2:?--name needs a value}"; shift 2 ;;
            --namesrv-port) ns_port=${2:?--namesrv-port needs a value}; shift 2 ;;
            --broker-port) br_port=${2:?--broker-port needs a value}; shift 2 ;;
            --broker-name) br_name=${2:?--broker-name needs a value}; shift 2 ;;
            --clean) clean=1; shift ;;
            *) die "start: unknown argument '$1'" ;;
        esac
    done
    [[ -z "$ns_port" || "$ns_port" =~ ^[0-9]+$ ]] || die "bad --namesrv-port '$ns_port'"
    [[ -z "$br_port" || "$br_port" =~ ^[0-9]+$ ]] || die "bad --broker-port '$br_port'"
    local d ns_pid='' br_pid=''
    d=$(dir_of)
    ns_pid=$(running_pid namesrv) || ns_pid=
    br_pid=$(running_pid broker) || br_pid=

    if ((clean)); then
        if [[ -n "$ns_pid" || -n "$br_pid" ]]; then
            cmd_stop --name "$NAME"
            ns_pid='' br_pid=''
        fi
        # The recorded store, and the one a new start would choose (a cluster whose record
        # was deleted with target/ may have left it).
        rm -rf "$(recorded_store_dir)" "$(choose_store_dir)"
        log "[$NAME] store deleted"
    fi

    if [[ -n "$ns_pid" || -n "$br_pid" ]]; then
        # Already (partly) running: keep its configuration.
        load_cluster
        if [[ -n "$ns_port$br_port$br_name" ]] &&
            [[ "${ns_port:-$NAMESRV_PORT}" != "$NAMESRV_PORT" || "${br_port:-$BROKER_PORT}" != "$BROKER_PORT" ||
                "${br_name:-$BROKER_NAME}" != "$BROKER_NAME" ]]; then
            die "[$NAME] already running with name server $NAMESRV_PORT, broker $BROKER_NAME:$BROKER_PORT; stop it first"
        fi
    else
        # Defaults: the settings of this NAME's previous start, else 9876 / 10911 / broker-a.
        if [[ -f "$d/cluster.env" ]]; then
            load_cluster
        else
            NAMESRV_PORT=9876 BROKER_PORT=10911 BROKER_NAME=broker-a
        fi
        NAMESRV_PORT=${ns_port:-$NAMESRV_PORT}
        BROKER_PORT=${br_port:-$BROKER_PORT}
        BROKER_NAME=${br_name:-$BROKER_NAME}
        ((BROKER_PORT >= 3)) || die "bad --broker-port $BROKER_PORT"
        # A store of this script's older layout (no STORE_DIR recorded) is kept.
        [[ -n "$STORE_DIR" || ! -d "$d/store" ]] || STORE_DIR="$d/store"
        [[ -n "$STORE_DIR" && -d "$STORE_DIR" ]] || STORE_DIR=$(choose_store_dir)
    fi
    [[ -n "$STORE_DIR" ]] || STORE_DIR=$(recorded_store_dir)
    mkdir -p "$STORE_DIR"
    local used
    used=$(used_percent "$STORE_DIR")
    ((used < 90)) || die "[$NAME] the filesystem under $STORE_DIR is $used % used; the broker does not start (nor take writes) at 90 % or more: start with --clean and ROCKETMQ_STORE_ROOT set to a directory on another filesystem"

    cmd_install
    [[ -n "$ns_pid" ]] || check_ports_free "$NAMESRV_PORT"
    [[ -n "$br_pid" ]] || check_ports_free "$BROKER_PORT" "$((BROKER_PORT - 2))" "$((BROKER_PORT + 1))"
    write_configs
    if [[ -n "$ns_pid" ]]; then
        log "[$NAME] name server already running, pid $ns_pid"
    else
        spawn_namesrv
    fi
    if [[ -n "$br_pid" ]]; then
        log "[$NAME] broker already running, pid $br_pid"
    else
        # The broker exits ("Service lifecycle operation failed") if it cannot register with the
        # name server at start-up, so wait for the name server's port first.
        wait_namesrv_port
        spawn_broker
    fi
    wait_ready || exit 1
}

wait_namesrv_port() {
    local i
    for ((i = 0; i < READY_TIMEOUT * 20; i++)); do
        port_in_use "$NAMESRV_PORT" && return 0
        if ! running_pid namesrv >/dev/null; then
            log "[$NAME] name server exited"
            show_logs
            exit 1
        fi
        sleep 0.05
    done
    log "[$NAME] name server not listening on $NAMESRV_PORT after $READY_TIMEOUT s"
    show_logs
    exit 1
}

# ---------------------------------------------------------------------------------------------
# stop / kill / restart

stop_one() {
    local which=$1 pid f i
    f=$(pidfile "$which")
    if pid=$(running_pid "$which"); then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
            running_pid "$which" >/dev/null || break
            sleep 0.1
        done
        if running_pid "$which" >/dev/null; then
            log "[$NAME] $which (pid $pid) still running after ${STOP_TIMEOUT} s; SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$which"
        fi
        log "[$NAME] $which stopped (pid $pid)"
    fi
    rm -f "$f"
}

wait_gone() {
    local i
    for ((i = 0; i < 50; i++)); do
        running_pid "$1" >/dev/null || return 0
        sleep 0.1
    done
    log "[$NAME] $1 still present 5 s after SIGKILL"
    return 1
}

cmd_stop() {
    local all=0 clean=0
    while (($#)); do
        case "$1" in
            --name) set_name "${2:?--name needs a value}"; shift 2 ;;
            --all) all=1; shift ;;
            --clean) clean=1; shift ;;
            *) die "stop: unknown argument '$1'" ;;
        esac
    done
    if ((all)); then
        local d
        shopt -s nullglob
        for d in "$RUN_ROOT"/*/; do
            d=${d%/}
            set_name "${d##*/}"
            stop_cluster "$clean"
        done
        shopt -u nullglob
        # Stores of clusters no record names any more (target/ deleted) go too.
        if ((clean)); then rm -rf "$(shm_root)"; fi
    else
        stop_cluster "$clean"
    fi
}

# stop_cluster CLEAN: stops NAME's broker and name server; CLEAN=1 deletes its store then.
stop_cluster() {
    stop_one broker
    stop_one namesrv
    if (($1)); then
        rm -rf "$(recorded_store_dir)"
        log "[$NAME] store deleted"
    fi
}

cmd_kill() {
    local which=broker pid
    while (($#)); do
        case "$1" in
            --name) set_name "${2:?--name needs a value}"; shift 2 ;;
            broker | namesrv) which=$1; shift ;;
            *) die "kill: unknown argument '$1'" ;;
        esac
    done
    pid=$(running_pid "$which") || die "[$NAME] $which is not running"
    kill -KILL "$pid"
    wait_gone "$which" || true
    rm -f "$(pidfile "$which")"
    log "[$NAME] $which killed (SIGKILL, pid $pid)"
}

# name_only_args CMD ARGS...: the arguments of a command that takes only --name.
name_only_args() {
    local cmd=$1
    shift
    while (($#)); do
        case "$1" in
            --name) set_name "${2:?--name needs a value}"; shift 2 ;;
            *) die "$cmd: unknown argument '$1'" ;;
        esac
    done
}

cmd_restart_broker() {
    name_only_args restart-broker "$@"
    load_cluster
    binaries_cached || die "server not installed; run scripts/broker.sh install"
    running_pid namesrv >/dev/null || die "[$NAME] name server is not running; use start"
    local pid
    if pid=$(running_pid broker); then
        log "[$NAME] broker already running, pid $pid"
    else
        check_ports_free "$BROKER_PORT" "$((BROKER_PORT - 2))" "$((BROKER_PORT + 1))"
        wait_namesrv_port
        spawn_broker
    fi
    wait_ready || exit 1
}

# ---------------------------------------------------------------------------------------------
# status / env

cmd_status() {
    name_only_args status "$@"
    if [[ ! -f "$(dir_of)/cluster.env" ]]; then
        echo "cluster $NAME: never started"
        return 1
    fi
    load_cluster
    local rc=0 pid
    echo "cluster $NAME ($(dir_of))"
    if pid=$(running_pid namesrv); then
        echo "  namesrv  running  pid $pid  127.0.0.1:$NAMESRV_PORT"
    else
        echo "  namesrv  stopped           127.0.0.1:$NAMESRV_PORT"
        rc=1
    fi
    if pid=$(running_pid broker); then
        echo "  broker   running  pid $pid  127.0.0.1:$BROKER_PORT  $BROKER_NAME"
    else
        echo "  broker   stopped           127.0.0.1:$BROKER_PORT  $BROKER_NAME"
        rc=1
    fi
    return "$rc"
}

cmd_env() {
    name_only_args env "$@"
    load_cluster
    echo "ROCKETMQ_NAMESRV=127.0.0.1:$NAMESRV_PORT"
    echo "ROCKETMQ_BROKER=127.0.0.1:$BROKER_PORT"
    echo "ROCKETMQ_BROKER_NAME=$BROKER_NAME"
    echo "ROCKETMQ_CLUSTER=$CLUSTER_NAME"
}

main() {
    local cmd=${1:-}
    (($#)) && shift
    case "$cmd" in
        install) cmd_install ;;
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        kill) cmd_kill "$@" ;;
        restart-broker) cmd_restart_broker "$@" ;;
        status) cmd_status "$@" ;;
        env) cmd_env "$@" ;;
        -h | --help | help) usage ;;
        "") usage >&2; exit 2 ;;
        *) usage >&2; die "unknown command '$cmd'" ;;
    esac
}

main "$@"
