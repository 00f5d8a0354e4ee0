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

cleanup() { scripts/broker.sh stop --all >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "rustfmt"
cargo fmt --all --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

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
cargo test --workspace --locked --all-targets
cargo test --workspace --locked --doc

step "fuzz targets as tests (seed replay and pseudo-random inputs)"
cargo test --manifest-path fuzz/Cargo.toml --locked

if [[ "$FUZZ_SECONDS" != 0 ]]; then
    step "fuzz (${FUZZ_SECONDS}s per target)"
    scripts/fuzz.sh "$FUZZ_SECONDS"
fi
step "all checks passed"
