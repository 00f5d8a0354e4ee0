//! Shared helpers for cross-crate and real-broker tests: where the broker is, a blocking
//! admin client to read stored messages back, fake servers, and cluster control.

pub mod admin;
pub mod bench_util;
pub mod bench_wire;
pub mod cluster;
pub mod consume;
pub mod fake_server;
pub mod join;
