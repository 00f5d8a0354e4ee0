#!/usr/bin/env bash
# The full test suite: formatting, lints, every test (real-broker ones included) and short
# fuzz runs. Starts two local RocketMQ clusters (installing the server once, cached), and
# stops them on exit. `.ci/run` runs exactly this.
#
#   scripts/test.sh            everything
#   FUZZ_SECONDS=0 scripts/test.sh   skip the fuzz runs (local iteration)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
step() { printf '\n==> %s\n' "$*"; }
RESULTS=$(mktemp)
# Runs a test command, keeping its "test result:" lines for the closing total.
tests() { "$@" 2>&1 | tee -a "$RESULTS"; }

cleanup() {
    scripts/broker.sh stop --all >/dev/null 2>&1 || true
    rm -f "$RESULTS"
}
trap cleanup EXIT

step "rustfmt"
cargo fmt --all --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "purity: rocketmq-core has no runtime, socket, clock, pid or global RNG"
# The Sans-IO core builds and tests without its async layer (feature `driver`).
cargo clippy -p rocketmq-core --no-default-features --features testing --all-targets --locked -- -D warnings
if cargo tree -p rocketmq-core -e normal --prefix none --locked \
    | grep -E '^(tokio|async-io|async-net|async-std|smol|mio|socket2|polling) '; then
    echo "rocketmq-core depends on a runtime or socket crate" >&2
    exit 1
fi
# Source before each file's first #[cfg(test)], without comments and docs (test-only modules,
# `src/**/tests/`, excepted).
impure=$(for f in $(find rocketmq-core/src -name '*.rs' -not -path '*/tests/*'); do
    awk -v f="$f" '/#\[cfg\(test\)\]/ { exit } !/^[[:space:]]*\/\// { print f ":" FNR ": " $0 }' "$f"
done | grep -E 'Instant::now|SystemTime::now|process::id|thread_rng|std::net::(Tcp|Udp)|thread::(spawn|sleep)' || true)
if [[ -n "$impure" ]]; then
    echo "rocketmq-core reads a clock, pid, socket or thread:" >&2
    echo "$impure" >&2
    exit 1
fi

step "real RocketMQ server (install is cached after the first run)"
scripts/broker.sh install
scripts/broker.sh start --clean
scripts/broker.sh start --clean --name b --namesrv-port 9886 --broker-port 10921 --broker-name broker-b

step "tests"
# Real-broker tests fail (never skip) when these servers are not reachable.
export ROCKETMQ_REQUIRE_BROKER=1
export ROCKETMQ_NAMESRV=127.0.0.1:9876
export ROCKETMQ_NAMESRV_B=127.0.0.1:9886
export ROCKETMQ_BROKER_SCRIPT="$PWD/scripts/broker.sh"
tests cargo test --workspace --locked --all-targets
tests cargo test --workspace --locked --doc

step "fuzz targets as tests (seed replay and pseudo-random inputs)"
tests cargo test --manifest-path fuzz/Cargo.toml --locked

if [[ "$FUZZ_SECONDS" != 0 ]]; then
    step "fuzz (${FUZZ_SECONDS}s per target)"
    scripts/fuzz.sh "$FUZZ_SECONDS"
fi
step "all checks passed"
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$RESULTS"
