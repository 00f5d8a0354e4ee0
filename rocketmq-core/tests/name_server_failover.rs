//! Route requests fail over to the next name server on connect failure or timeout.

use std::time::Instant;
mod common;

use common::*;
use rocketmq_core::testing::{Harness, Reply};
use rocketmq_proto::RequestCode;

fn cluster(seed: u64) -> Harness {
    Harness::builder(Instant::now())
        .seed(seed)
        .name_servers(&["ns1:9876", "ns2:9876"])
        .broker("broker-a", "10.0.0.1:10911")
        .topic("T", &[("broker-a", 4)])
        .build()
}

fn route_requests(h: &Harness, ns: &str) -> usize {
    h.name_server(ns)
        .received_count(RequestCode::GET_ROUTEINFO_BY_TOPIC)
}

#[test]
fn a_dead_name_server_is_skipped() {
    for seed in 0..6 {
        let mut h = cluster(seed);
        h.kill_name_server("ns1:9876");
        let p = producer(&mut h, |_| {});
        send_one(&mut h, p).unwrap();
        assert_eq!(route_requests(&h, "ns2:9876"), 1);
    }
}

#[test]
fn a_silent_name_server_times_out_and_the_next_answers() {
    let mut failed_over = 0;
    for seed in 0..8 {
        let mut h = cluster(seed);
        h.name_server_mut("ns1:9876").push_reply(Reply::Drop);
        let p = producer(&mut h, |c| {
            c.send_timeout = std::time::Duration::from_secs(10)
        });
        let start = h.now;
        send_one(&mut h, p).unwrap();
        if route_requests(&h, "ns1:9876") == 1 {
            // ns1 was asked first, stayed silent for the 3 s api timeout, then ns2 answered.
            assert_eq!(route_requests(&h, "ns2:9876"), 1);
            assert_eq!(h.now - start, std::time::Duration::from_secs(3));
            failed_over += 1;
        }
    }
    assert!(failed_over > 0, "some seed must pick ns1 first");
}

#[test]
fn all_name_servers_dead_is_no_route() {
    let mut h = cluster(1);
    h.kill_name_server("ns1:9876");
    h.kill_name_server("ns2:9876");
    let p = producer(&mut h, |_| {});
    let err = send_one(&mut h, p).unwrap_err();
    assert!(
        matches!(err, rocketmq_core::SendError::NoRoute { .. }),
        "{err}"
    );
}

#[test]
fn no_name_server_configured_is_a_distinct_error() {
    let mut h = Harness::builder(Instant::now()).name_servers(&[]).build();
    let p = producer(&mut h, |_| {});
    let err = send_one(&mut h, p).unwrap_err();
    assert_eq!(err, rocketmq_core::SendError::NoNameServer);
    assert_eq!(err.to_string(), "No name server address, please set it");
}
