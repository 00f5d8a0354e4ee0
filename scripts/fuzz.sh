#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ for a fixed time each.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS defaults to 30 per target; TARGETs default to all of them (`cargo fuzz list`).
# Installs cargo-fuzz (`cargo install cargo-fuzz --locked`) when it is missing. On a stable
# toolchain the nightly-only flags cargo-fuzz needs (-Zsanitizer, -Cpasses=sancov) are
# enabled with RUSTC_BOOTSTRAP=1.
#
# The committed seeds fuzz/corpus/<target>/seed-* are only read: libFuzzer writes new inputs
# to a scratch corpus (the first corpus directory) under a temporary directory, removed at
# exit unless FUZZ_KEEP_WORK=1. Crash artifacts go to fuzz/artifacts/<target>/ (ignored by git).
#
# Prints one line per target with libFuzzer's execution count, and exits non-zero if any
# target crashed, timed out or ran out of memory, printing the artifact path and the tail of
# libFuzzer's output.
#
# Environment:
#   FUZZ_SANITIZER     address (default), none, memory, thread, leak. If the address
#                      sanitizer build fails, the script falls back to none and says so.
#   FUZZ_UNIT_TIMEOUT  libFuzzer -timeout per input, seconds (default 30).
#   FUZZ_JOBS          parallel cargo build jobs (default: cargo's).
#   FUZZ_WORK_DIR      where the scratch corpora and logs go (default: a new temp dir).
#   FUZZ_KEEP_WORK     1 to keep the scratch corpora and logs.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)
FUZZ_DIR="$REPO_ROOT/fuzz"

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

case "${1:-}" in
    -h | --help)
        usage
        exit 0
        ;;
esac

SECONDS_PER_TARGET=30
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
    SECONDS_PER_TARGET=$1
    shift
fi
if [[ "$SECONDS_PER_TARGET" -lt 1 ]]; then
    echo "fuzz.sh: SECONDS must be at least 1" >&2
    exit 2
fi

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked
fi

# cargo-fuzz passes nightly-only rustc flags; a stable toolchain accepts them with
# RUSTC_BOOTSTRAP=1.
if ! rustc --version | grep -q nightly; then
    export RUSTC_BOOTSTRAP=1
fi

cd "$REPO_ROOT"
mapfile -t ALL_TARGETS < <(cargo fuzz list --fuzz-dir "$FUZZ_DIR")
if [[ ${#ALL_TARGETS[@]} -eq 0 ]]; then
    echo "fuzz.sh: no fuzz targets found in $FUZZ_DIR" >&2
    exit 2
fi
if [[ $# -gt 0 ]]; then
    TARGETS=("$@")
    for t in "${TARGETS[@]}"; do
        if ! printf '%s\n' "${ALL_TARGETS[@]}" | grep -qx -- "$t"; then
            echo "fuzz.sh: unknown target '$t' (known: ${ALL_TARGETS[*]})" >&2
            exit 2
        fi
    done
else
    TARGETS=("${ALL_TARGETS[@]}")
fi

if [[ -n "${FUZZ_WORK_DIR:-}" ]]; then
    WORK="$FUZZ_WORK_DIR"
    mkdir -p "$WORK"
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/rocketmq-fuzz.XXXXXX")
fi
cleanup() {
    if [[ "${FUZZ_KEEP_WORK:-0}" != 1 && -z "${FUZZ_WORK_DIR:-}" ]]; then
        rm -rf -- "$WORK"
    fi
}
trap cleanup EXIT

SANITIZER="${FUZZ_SANITIZER:-address}"
BUILD_ARGS=(--fuzz-dir "$FUZZ_DIR")
if [[ -n "${FUZZ_JOBS:-}" ]]; then
    BUILD_ARGS+=(--jobs "$FUZZ_JOBS")
fi

# `cargo fuzz build` takes one target, or none for all of them.
build() {
    local sanitizer=$1
    if [[ ${#TARGETS[@]} -eq ${#ALL_TARGETS[@]} ]]; then
        cargo fuzz build "${BUILD_ARGS[@]}" --sanitizer "$sanitizer"
    else
        local t
        for t in "${TARGETS[@]}"; do
            cargo fuzz build "${BUILD_ARGS[@]}" --sanitizer "$sanitizer" "$t" || return 1
        done
    fi
}

echo "fuzz.sh: building ${TARGETS[*]} (sanitizer $SANITIZER, $(rustc --version))"
if ! build "$SANITIZER" >"$WORK/build.log" 2>&1; then
    if [[ "$SANITIZER" == address ]]; then
        echo "fuzz.sh: the address-sanitizer build failed; retrying with --sanitizer none" >&2
        tail -n 20 "$WORK/build.log" >&2
        SANITIZER=none
        if ! build none >"$WORK/build.log" 2>&1; then
            cat "$WORK/build.log" >&2
            exit 1
        fi
    else
        cat "$WORK/build.log" >&2
        exit 1
    fi
fi

FAILED=()
for t in "${TARGETS[@]}"; do
    scratch="$WORK/corpus/$t"
    mkdir -p "$scratch"
    corpora=("$scratch")
    if [[ -d "$FUZZ_DIR/corpus/$t" ]]; then
        corpora+=("$FUZZ_DIR/corpus/$t")
    fi
    log="$WORK/$t.log"
    set +e
    cargo fuzz run "${BUILD_ARGS[@]}" --sanitizer "$SANITIZER" "$t" "${corpora[@]}" -- \
        -max_total_time="$SECONDS_PER_TARGET" \
        -timeout="${FUZZ_UNIT_TIMEOUT:-30}" \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e

    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    if [[ -z "$runs" ]]; then
        runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
    fi
    if [[ -z "$runs" ]]; then
        runs=$(sed -n 's/^#\([0-9]*\).*DONE.*/\1/p' "$log" | tail -n 1)
    fi
    units=$(sed -n 's/^#[0-9]*.*DONE.*corp: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
    new=$(sed -n 's/^stat::new_units_added: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    if [[ $rc -eq 0 ]]; then
        printf 'fuzz.sh: %-16s ok      %s executions in %ss (corpus %s units, %s new)\n' \
            "$t" "${runs:-?}" "$SECONDS_PER_TARGET" "${units:-?}" "${new:-?}"
    else
        FAILED+=("$t")
        printf 'fuzz.sh: %-16s FAILED  exit %s after %s executions\n' "$t" "$rc" "${runs:-?}"
        if grep -q 'panicked at' "$log"; then
            echo "----- panic ($t) -----"
            # The panic message and the first frames of its backtrace, if any.
            sed -n '/panicked at/,/^==[0-9]*== ERROR: libFuzzer/p' "$log" | head -n 40
        else
            echo "----- last lines of libFuzzer output ($t) -----"
            tail -n 40 "$log"
        fi
        echo "----- (full log: $log)"
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        if [[ -n "$artifact" ]]; then
            case "$artifact" in
                /*) ;;
                *) artifact="$REPO_ROOT/${artifact#./}" ;;
            esac
            echo "fuzz.sh: $t crash artifact: $artifact"
            echo "fuzz.sh: reproduce (from the repository root) with:" \
                "${RUSTC_BOOTSTRAP:+RUSTC_BOOTSTRAP=1 }cargo fuzz run --fuzz-dir fuzz --sanitizer $SANITIZER $t $artifact"
        else
            echo "fuzz.sh: $t failed without an artifact"
        fi
    fi
done

if [[ ${#FAILED[@]} -gt 0 ]]; then
    if [[ -z "${FUZZ_WORK_DIR:-}" ]]; then
        FUZZ_KEEP_WORK=1
        echo "fuzz.sh: logs and scratch corpora kept in $WORK"
    fi
    echo "fuzz.sh: FAILED: ${FAILED[*]}" >&2
    exit 1
fi
echo "fuzz.sh: all ${#TARGETS[@]} targets passed (${SECONDS_PER_TARGET}s each)"
