#!/usr/bin/env bash
# The demo: start a local RocketMQ name server + broker (installing the server once, cached),
# send 1,000 messages with the tokio producer (each result and a summary), then receive them
# with the tokio push consumer (each message and a summary line
# `consumed N in S s, end-to-end p50 X ms p99 Y ms`). Each run uses a topic of its own.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/broker.sh install
scripts/broker.sh start
export NAMESRV_ADDR=127.0.0.1:9876
export TOPIC="DemoTopic_$(date +%s)"
export GROUP=demo_consumer_group
export COUNT=${COUNT:-1000}
cargo build --release -p rocketmq-tokio --example quickstart --example consumer
target/release/examples/quickstart
target/release/examples/consumer
echo "The cluster keeps running; stop it with: scripts/broker.sh stop --all"
