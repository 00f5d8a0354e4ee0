//! Where the real servers are, and control of extra clusters through `scripts/broker.sh`.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The first cluster's name server (`ROCKETMQ_NAMESRV`, default `127.0.0.1:9876`).
pub fn namesrv() -> String {
    std::env::var("ROCKETMQ_NAMESRV").unwrap_or_else(|_| "127.0.0.1:9876".into())
}

/// The second cluster's name server (`ROCKETMQ_NAMESRV_B`, default `127.0.0.1:9886`).
pub fn namesrv_b() -> String {
    std::env::var("ROCKETMQ_NAMESRV_B").unwrap_or_else(|_| "127.0.0.1:9886".into())
}

/// Panics with instructions unless a name server answers TCP at `addr`.
pub fn require(addr: &str) {
    let ok = addr
        .parse()
        .ok()
        .and_then(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).ok())
        .is_some();
    assert!(
        ok,
        "no RocketMQ name server at {addr}. These tests need the real server: run \
         `scripts/broker.sh start && scripts/broker.sh start --name b --namesrv-port 9886 \
         --broker-port 10921 --broker-name broker-b`, or the whole suite with `scripts/test.sh`."
    );
}

/// A topic name unique to this run.
pub fn unique(prefix: &str) -> String {
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}_{}", n % 1_000_000_000_000)
}

fn script() -> PathBuf {
    std::env::var_os("ROCKETMQ_BROKER_SCRIPT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/broker.sh"))
}

/// Runs `scripts/broker.sh ARGS…`, panicking with its output on failure.
pub fn broker_sh(args: &[&str]) {
    let out = Command::new("bash")
        .arg(script())
        .args(args)
        .output()
        .expect("run scripts/broker.sh");
    assert!(
        out.status.success(),
        "scripts/broker.sh {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A cluster of its own (name server + broker) for tests that kill brokers; stopped (and its
/// store deleted) on drop.
pub struct OwnCluster {
    name: String,
    /// Its name server address.
    pub namesrv: String,
    /// Its broker address.
    pub broker: String,
}

impl OwnCluster {
    /// Starts cluster `name` with a fresh store on the given ports.
    pub fn start(name: &str, namesrv_port: u16, broker_port: u16) -> Self {
        // Made first: if the start fails half-way (a name server up, its broker not), the
        // drop while the panic unwinds stops what did start.
        let cluster = Self {
            name: name.into(),
            namesrv: format!("127.0.0.1:{namesrv_port}"),
            broker: format!("127.0.0.1:{broker_port}"),
        };
        let (np, bp) = (namesrv_port.to_string(), broker_port.to_string());
        let broker_name = format!("broker-{name}");
        broker_sh(&[
            "start",
            "--clean",
            "--name",
            name,
            "--namesrv-port",
            &np,
            "--broker-port",
            &bp,
            "--broker-name",
            &broker_name,
        ]);
        cluster
    }

    /// `kill -9` the broker.
    pub fn kill_broker(&self) {
        broker_sh(&["kill", "--name", &self.name, "broker"]);
    }

    /// Starts the broker again and waits until it serves.
    pub fn restart_broker(&self) {
        broker_sh(&["restart-broker", "--name", &self.name]);
    }
}

impl Drop for OwnCluster {
    /// Stops the cluster and deletes its store.
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .args(["stop", "--clean", "--name", &self.name])
            .output();
    }
}
