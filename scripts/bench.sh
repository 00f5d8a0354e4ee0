#!/usr/bin/env bash
# Client benchmarks: raw_sender (the floor: pre-encoded frames, no client logic) and
# bench_producer (the real client on tokio, async-std and smol), against the trivial answering
# server (client ceiling) or the real local broker; raw_puller and bench_consumer likewise for
# consumers (real broker only). Prints one RESULT line per run.
#
#   scripts/bench.sh trivial   start trivial_server on 127.0.0.1:19876 and run everything there
#   scripts/bench.sh broker    run against scripts/broker.sh's cluster (name server 9876,
#                              broker 10911), smaller counts
#   scripts/bench.sh consume   consumers against a running cluster (NAMESRV, default
#                              127.0.0.1:9876): raw_puller (the floor: PULL_MESSAGE, one pull in
#                              flight per queue, records counted, not decoded) and
#                              bench_consumer (the real PushConsumer on each of RUNTIMES),
#                              interleaved, REPEAT times each, then the medians. Cases: drain
#                              (a BACKLOG-message topic, prefilled once and reused, read from
#                              First by a fresh group: msgs/s, cpu_us_per_msg, peak RSS), e2e
#                              (E2E_COUNT messages at E2E_RATE/s, each stamped with its send
#                              time in µs: p50/p99 send -> pull answer for raw_puller, send ->
#                              listener for the client) and memory (the backlog with a listener
#                              sleeping SLEEP_MS per delivery: peak RSS after MEMORY_SECS)
#   scripts/bench.sh footprint instructions and cache misses per message under valgrind
#                              (callgrind, against trivial_server): exact and repeatable, unlike
#                              the timings, so a small change to the hot path can be judged
#                              (one message at a time: concurrent batches vary with timing).
#                              i1_misses_per_msg is the code the send loop runs through a 32 KiB
#                              instruction cache: what a wake-up reloads when the broker sharing
#                              the core has evicted it (needs valgrind)
#
# Environment: REPEAT=N runs every case N times (default 1; runs vary by up to ±25% on a
# busy 2-core machine, so compare medians), RUN_TIMEOUT=seconds per run (default 120),
# SIZE=body bytes (1024), BUILD=0 skips the cargo build, TRIVIAL_ADDR (127.0.0.1:19876),
# and counts: RAW1_COUNT, RAW64_COUNT, SYNC_COUNT, CONC_COUNT, FOOTPRINT_COUNT (2000).
# consume: NAMESRV, CONSUME_TOPIC (BenchConsume), E2E_TOPIC (BenchConsumeE2E), BACKLOG (100000),
# BATCH (pullBatchSize, 32), E2E_RATE (200), E2E_COUNT (2000), E2E_QUEUES (queues of the e2e
# topic when bench.sh creates it; 4), SLEEP_MS (100), MEMORY_SECS (15), RUNTIMES ("tokio async-std
# smol"), CONSUMER_ARGS (extra bench_consumer flags, e.g. "--batch-delay-ms 0").
#
# cpu_us_per_msg is the process's CPU time (all threads, user + system) over the measured phase,
# to the nanosecond from /proc/self/task/*/sched (10 ms ticks from /proc/self/stat where the
# kernel lacks it). sleeps_per_msg counts the times a thread went to sleep (voluntary context
# switches, same source): each is a wake-up, most of a request/reply client's kernel time.
# raw_sender --io tokio is the floor of any tokio client (epoll + read).
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)
BIN="$REPO_ROOT/target/perf"
LOG_DIR="$REPO_ROOT/target/bench"
REPEAT=${REPEAT:-1}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
SIZE=${SIZE:-1024}
TRIVIAL_ADDR=${TRIVIAL_ADDR:-127.0.0.1:19876}

usage() {
    sed -n '2,40p' "${BASH_SOURCE[0]}" | sed -n '/^#/!q;p' | sed 's/^# \{0,1\}//'
}

die() {
    echo "bench.sh: $*" >&2
    exit 1
}

RESULTS=()
FAILURES=0

# run LABEL CMD...: one bounded run; its RESULT line is printed and kept, its stderr logged.
run() {
    local label=$1
    shift
    local log="$LOG_DIR/$label.log"
    local out rc=0
    out=$(timeout --kill-after=5 "$RUN_TIMEOUT" "$@" 2>"$log") || rc=$?
    local line
    line=$(grep '^RESULT ' <<<"$out" || true)
    if [[ -n "$line" ]]; then
        echo "$line"
        RESULTS+=("$line")
    fi
    if ((rc != 0)); then
        FAILURES=$((FAILURES + 1))
        if ((rc == 124 || rc == 137)); then
            echo "bench.sh: $label timed out after ${RUN_TIMEOUT}s" >&2
        else
            echo "bench.sh: $label exited with $rc" >&2
        fi
        echo "--- last lines of $log:" >&2
        tail -n 15 "$log" >&2 || true
    fi
}

build() {
    if [[ "${BUILD:-1}" != 0 ]]; then
        echo "bench.sh: building (cargo build --profile perf -p rocketmq-tests --bins)" >&2
        (cd "$REPO_ROOT" && cargo build --profile perf -p rocketmq-tests --bins) >&2
    fi
    for b in trivial_server raw_sender bench_producer raw_puller bench_consumer; do
        [[ -x "$BIN/$b" ]] || die "missing $BIN/$b"
    done
    mkdir -p "$LOG_DIR"
}

# port_open HOST:PORT
port_open() {
    local host=${1%:*} port=${1##*:}
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

SERVER_PID=
stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}

summary() {
    echo
    echo "=== ${#RESULTS[@]} results, $FAILURES failed runs (logs in $LOG_DIR)"
    printf '%s\n' "${RESULTS[@]}"
}

# producer_cases NAMESRV SYNC_COUNT CONC_COUNT CONCURRENCIES...
producer_cases() {
    local namesrv=$1 sync_count=$2 conc_count=$3
    shift 3
    local rt c
    for rt in tokio async-std smol; do
        run "producer-$rt-sync" "$BIN/bench_producer" --runtime "$rt" --mode sync \
            --namesrv "$namesrv" --count "$sync_count" --size "$SIZE"
        for c in "$@"; do
            run "producer-$rt-c$c" "$BIN/bench_producer" --runtime "$rt" --mode concurrent \
                --concurrency "$c" --namesrv "$namesrv" --count "$conc_count" --size "$SIZE"
        done
    done
    # The option of ROCKETMQ binary request headers (tokio, sync and the largest concurrency).
    run "producer-tokio-sync-binary" "$BIN/bench_producer" --headers rocketmq --mode sync \
        --namesrv "$namesrv" --count "$sync_count" --size "$SIZE"
    run "producer-tokio-c${*: -1}-binary" "$BIN/bench_producer" --headers rocketmq \
        --mode concurrent --concurrency "${*: -1}" --namesrv "$namesrv" --count "$conc_count" \
        --size "$SIZE"
}

# start_trivial: trivial_server on $TRIVIAL_ADDR, stopped when this script exits.
start_trivial() {
    if port_open "$TRIVIAL_ADDR"; then
        die "$TRIVIAL_ADDR is already in use (another trivial_server?); set TRIVIAL_ADDR"
    fi
    # Bounded: the server exits by itself even if this script is killed.
    "$BIN/trivial_server" --listen "$TRIVIAL_ADDR" --duration-secs 1800 \
        2>"$LOG_DIR/trivial_server.log" &
    SERVER_PID=$!
    trap stop_server EXIT
    for _ in $(seq 1 100); do
        port_open "$TRIVIAL_ADDR" && break
        kill -0 "$SERVER_PID" 2>/dev/null || die "trivial_server exited: $(cat "$LOG_DIR/trivial_server.log")"
        sleep 0.05
    done
    port_open "$TRIVIAL_ADDR" || die "trivial_server did not start listening on $TRIVIAL_ADDR"
}

cmd_trivial() {
    build
    start_trivial

    local raw1=${RAW1_COUNT:-50000} raw64=${RAW64_COUNT:-1000000}
    local sync=${SYNC_COUNT:-50000} conc=${CONC_COUNT:-200000}
    for _ in $(seq 1 "$REPEAT"); do
        run "raw-w1" "$BIN/raw_sender" --broker "$TRIVIAL_ADDR" --window 1 --count "$raw1" --size "$SIZE"
        run "raw-w1-tokio" "$BIN/raw_sender" --io tokio --broker "$TRIVIAL_ADDR" --window 1 \
            --count "$raw1" --size "$SIZE"
        run "raw-w64" "$BIN/raw_sender" --broker "$TRIVIAL_ADDR" --window 64 --count "$raw64" --size "$SIZE"
        producer_cases "$TRIVIAL_ADDR" "$sync" "$conc" 16 64
    done
    stop_server
    summary
    ((FAILURES == 0))
}

cmd_broker() {
    if ! "$SCRIPT_DIR/broker.sh" status >/dev/null 2>&1; then
        "$SCRIPT_DIR/broker.sh" status >&2 || true
        die "the local cluster is not running; start it with: scripts/broker.sh start"
    fi
    build
    local raw=${RAW1_COUNT:-5000} raw64=${RAW64_COUNT:-5000}
    local sync=${SYNC_COUNT:-5000} conc=${CONC_COUNT:-5000}
    for _ in $(seq 1 "$REPEAT"); do
        run "broker-raw-w1" "$BIN/raw_sender" --broker 127.0.0.1:10911 --namesrv 127.0.0.1:9876 \
            --window 1 --count "$raw" --size "$SIZE"
        run "broker-raw-w1-tokio" "$BIN/raw_sender" --io tokio --broker 127.0.0.1:10911 \
            --namesrv 127.0.0.1:9876 --window 1 --count "$raw" --size "$SIZE"
        run "broker-raw-w64" "$BIN/raw_sender" --broker 127.0.0.1:10911 --namesrv 127.0.0.1:9876 \
            --window 64 --count "$raw64" --size "$SIZE"
        producer_cases 127.0.0.1:9876 "$sync" "$conc" 64
    done
    summary
    ((FAILURES == 0))
}

# medians: per case (the labels of a RESULT line, up to count=), the median of each measure
# over its runs.
medians() {
    ((${#RESULTS[@]} > 0)) || return 0
    echo
    echo "=== medians (runs per case in n=)"
    local cases case m line
    cases=$(printf '%s\n' "${RESULTS[@]}" | sed 's/ count=.*//' | awk '!seen[$0]++')
    while IFS= read -r case; do
        line="$case"
        local runs
        runs=$(printf '%s\n' "${RESULTS[@]}" | grep -cF -- "$case count=")
        line+=" n=$runs"
        for m in msgs_per_s steady_msgs_per_s p50_us p99_us cpu_us_per_msg sleeps_per_msg peak_rss_mb; do
            local med
            # A metric only some tools print (steady_msgs_per_s) matches nothing in the others.
            med=$(printf '%s\n' "${RESULTS[@]}" | grep -F -- "$case count=" |
                { grep -o " $m=[0-9.]*" || true; } | cut -d= -f2 | sort -g |
                awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
            if [[ -n "$med" ]]; then line+=" $m=$med"; fi
        done
        echo "MEDIAN ${line#RESULT }"
    done <<<"$cases"
}

cmd_consume() {
    local namesrv=${NAMESRV:-127.0.0.1:9876} topic=${CONSUME_TOPIC:-BenchConsume}
    local e2e_topic=${E2E_TOPIC:-BenchConsumeE2E} backlog=${BACKLOG:-100000} batch=${BATCH:-32}
    local rate=${E2E_RATE:-200} e2e_count=${E2E_COUNT:-2000} sleep_ms=${SLEEP_MS:-100}
    local memory_secs=${MEMORY_SECS:-15} runtimes=${RUNTIMES:-tokio async-std smol}
    local e2e_queues=${E2E_QUEUES:-4}
    local extra=()
    read -r -a extra <<<"${CONSUMER_ARGS:-}"
    port_open "$namesrv" || die "no name server at $namesrv (scripts/broker.sh start; set NAMESRV)"
    build
    # Once per topic: sends only what the topic lacks.
    echo "bench.sh: prefilling $topic up to $backlog messages (once per topic)" >&2
    timeout --kill-after=5 1800 "$BIN/bench_consumer" --mode prefill --namesrv "$namesrv" \
        --topic "$topic" --count "$backlog" --size "$SIZE" >&2 || die "prefill failed"
    local common=(--namesrv "$namesrv" --batch "$batch")
    local e2e=(--mode e2e --topic "$e2e_topic" --rate "$rate" --count "$e2e_count" --size "$SIZE"
        --queues "$e2e_queues")
    local rt
    for _ in $(seq 1 "$REPEAT"); do
        run "consume-raw-drain" "$BIN/raw_puller" --mode drain --topic "$topic" "${common[@]}"
        for rt in $runtimes; do
            run "consume-$rt-drain" "$BIN/bench_consumer" --runtime "$rt" --mode drain \
                --topic "$topic" "${common[@]}" "${extra[@]}"
        done
        run "consume-raw-e2e" "$BIN/raw_puller" "${e2e[@]}" "${common[@]}"
        for rt in $runtimes; do
            run "consume-$rt-e2e" "$BIN/bench_consumer" --runtime "$rt" "${e2e[@]}" "${common[@]}" \
                "${extra[@]}"
        done
        for rt in $runtimes; do
            run "consume-$rt-memory" "$BIN/bench_consumer" --runtime "$rt" --mode memory \
                --topic "$topic" --sleep-ms "$sleep_ms" --secs "$memory_secs" "${common[@]}" \
                "${extra[@]}"
        done
    done
    summary
    medians
    ((FAILURES == 0))
}

# callgrind_totals FILE: the event totals of a callgrind profile, as "NAME=COUNT ...".
callgrind_totals() {
    awk '/^events:/ { n = split($0, ev) } /^summary:/ { for (i = 2; i <= n; i++) printf "%s=%s ", ev[i], $i }' "$1"
}

# footprint LABEL CMD...: per-message Ir, I1mr and D1mr of CMD --count N, from the difference
# between runs of N and 2N messages (start-up and warm-up cancel out).
footprint() {
    local label=$1
    shift
    local n=${FOOTPRINT_COUNT:-2000} k totals=()
    for k in 1 2; do
        local out="$LOG_DIR/$label.callgrind.$k"
        timeout --kill-after=5 "$RUN_TIMEOUT" valgrind --tool=callgrind --cache-sim=yes \
            --I1=32768,8,64 --D1=32768,8,64 --LL=8388608,16,64 --callgrind-out-file="$out" \
            "$@" --count $((k * n)) >/dev/null 2>"$LOG_DIR/$label.log" || {
            FAILURES=$((FAILURES + 1))
            echo "bench.sh: $label failed under valgrind (log: $LOG_DIR/$label.log)" >&2
            return 0
        }
        totals+=("$(callgrind_totals "$out")")
    done
    local line
    line=$(awk -v n="$n" -v label="$label" -v a="${totals[0]}" -v b="${totals[1]}" 'BEGIN {
        split(a, x, /[ =]/); split(b, y, /[ =]/)
        for (i = 1; x[i] != ""; i += 2) { v[x[i]] = sprintf("%.0f", (y[i + 1] - x[i + 1]) / n) + 0 }
        printf "RESULT tool=footprint case=%s instr_per_msg=%d i1_misses_per_msg=%d d1_misses_per_msg=%d\n",
            label, v["Ir"], v["I1mr"], v["D1mr"] + v["D1mw"]
    }')
    echo "$line"
    RESULTS+=("$line")
}

cmd_footprint() {
    command -v valgrind >/dev/null || die "valgrind is not installed (Debian/Ubuntu: apt-get install valgrind)"
    build
    start_trivial
    footprint raw-w1 "$BIN/raw_sender" --broker "$TRIVIAL_ADDR" --window 1 --size "$SIZE"
    footprint producer-tokio-sync "$BIN/bench_producer" --mode sync --namesrv "$TRIVIAL_ADDR" \
        --size "$SIZE"
    footprint producer-tokio-sync-binary "$BIN/bench_producer" --headers rocketmq --mode sync \
        --namesrv "$TRIVIAL_ADDR" --size "$SIZE"
    stop_server
    summary
    ((FAILURES == 0))
}

case "${1:-}" in
    trivial) cmd_trivial ;;
    footprint) cmd_footprint ;;
    broker) cmd_broker ;;
    consume) cmd_consume ;;
    -h | --help | help | "")
        usage
        [[ -n "${1:-}" ]]
        ;;
    *)
        usage >&2
        exit 2
        ;;
esac
