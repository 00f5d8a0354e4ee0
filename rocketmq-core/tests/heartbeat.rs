//! Heartbeats: at start and every interval, to every master; brokers no route mentions are dropped.

mod common;

use std::time::Duration;

use common::*;
use rocketmq_proto::body::HeartbeatData;
use rocketmq_proto::RequestCode;

fn beats(h: &rocketmq_core::testing::Harness, b: &str) -> usize {
    h.broker(b).received_count(RequestCode::HEART_BEAT)
}

#[test]
fn new_brokers_get_a_heartbeat_then_one_every_interval() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    assert_eq!(beats(&h, "broker-a"), 1);
    assert_eq!(beats(&h, "broker-b"), 1);
    h.advance(Duration::from_secs(30));
    assert_eq!((beats(&h, "broker-a"), beats(&h, "broker-b")), (2, 2));
    h.advance(Duration::from_secs(90));
    assert_eq!((beats(&h, "broker-a"), beats(&h, "broker-b")), (5, 5));
    let hb = h
        .broker("broker-a")
        .received()
        .iter()
        .find(|c| c.request_code() == RequestCode::HEART_BEAT)
        .unwrap();
    let data = HeartbeatData::from_json(&hb.body).unwrap();
    assert_eq!(data.client_id, h.client.client_id());
    assert_eq!(data.producer_data_set.len(), 1);
    assert_eq!(data.producer_data_set[0].group_name, "pg");
    assert!(data.consumer_data_set.is_empty());
    assert_eq!(h.client.broker_version("10.0.0.1:10911"), Some(474));
}

#[test]
fn brokers_that_leave_every_route_stop_getting_heartbeats() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    h.set_topic("T", &[("broker-a", 4)]);
    h.advance(Duration::from_secs(31)); // route refresh sees broker-b gone
    let b_before = beats(&h, "broker-b");
    h.advance(Duration::from_secs(60));
    assert_eq!(beats(&h, "broker-b"), b_before);
    assert!(!h.client.broker_addrs().contains_key("broker-b"));
    assert!(beats(&h, "broker-a") >= 3);
}
