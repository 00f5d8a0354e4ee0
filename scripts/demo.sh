#!/usr/bin/env bash
# The demo: start a local RocketMQ name server + broker (installing the server once, cached),
# then send 1,000 messages with the tokio producer and print each result and a summary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/broker.sh install
scripts/broker.sh start
NAMESRV_ADDR=127.0.0.1:9876 cargo run --release -p rocketmq-tokio --example quickstart
echo "The cluster keeps running; stop it with: scripts/broker.sh stop --all"
