//! Oneway sends: one attempt, no response awaited, completion when written.

use std::time::Instant;
mod common;

use common::*;
use rocketmq_core::{Event, Message, SendOptions};
use rocketmq_proto::RequestCode;

#[test]
fn oneway_is_flagged_written_once_and_never_retried() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(h.send_with(p, Message::new("T", format!("m{i}")), SendOptions::oneway()));
    }
    h.drive();
    for id in &ids {
        assert_eq!(h.completions(*id), 1);
        assert!(h
            .events()
            .iter()
            .any(|e| matches!(e, Event::OnewayCompleted { id: i, result: Ok(()) } if i == id)));
    }
    let reqs: Vec<_> = ["broker-a", "broker-b"]
        .iter()
        .flat_map(|b| h.broker(b).received().to_vec())
        .filter(|c| c.request_code() == RequestCode::SEND_MESSAGE_V2)
        .collect();
    assert_eq!(reqs.len(), 10);
    assert!(reqs.iter().all(|c| c.is_oneway()));
    assert_eq!(h.client.in_flight_requests(), 0);
}

#[test]
fn oneway_to_a_dead_broker_fails_once_without_retry() {
    let mut h = rocketmq_core::testing::Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .topic("T", &[("broker-a", 4)])
        .build();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    h.kill_broker("broker-a");
    h.drive();
    let id = h.send_with(p, Message::new("T", "x"), SendOptions::oneway());
    h.drive();
    assert_eq!(h.completions(id), 1);
    assert!(h
        .events()
        .iter()
        .any(|e| matches!(e, Event::OnewayCompleted { id: i, result: Err(_) } if *i == id)));
}
