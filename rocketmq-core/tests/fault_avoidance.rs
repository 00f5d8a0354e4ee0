//! With latency fault avoidance on, a slow or failed broker is skipped for its window.

mod common;

use std::time::Duration;

use common::*;
use rocketmq_core::testing::Reply;
use rocketmq_proto::{RequestCode, ResponseCode};

fn sends_to(h: &rocketmq_core::testing::Harness, broker: &str) -> usize {
    h.broker(broker)
        .received_count(RequestCode::SEND_MESSAGE_V2)
}

#[test]
fn failed_broker_is_skipped_for_its_window_then_used_again() {
    let mut h = two_brokers();
    let p = producer(&mut h, |c| c.send_latency_fault_enable = true);
    // Make broker-a fail once; whichever send lands there isolates it for 10 s (5.x table).
    h.broker_mut("broker-a")
        .push_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    while sends_to(&h, "broker-a") == 0 {
        send_one(&mut h, p).unwrap();
    }
    let a_before = sends_to(&h, "broker-a");
    for _ in 0..20 {
        assert_eq!(send_one(&mut h, p).unwrap().queue.broker_name, "broker-b");
    }
    assert_eq!(
        sends_to(&h, "broker-a"),
        a_before,
        "broker-a avoided inside its window"
    );
    h.advance(Duration::from_secs(10));
    let picked: Vec<_> = (0..8)
        .map(|_| send_one(&mut h, p).unwrap().queue.broker_name)
        .collect();
    assert!(
        picked.iter().any(|b| b == "broker-a"),
        "broker-a back after its window: {picked:?}"
    );
}

#[test]
fn slow_broker_is_avoided_by_latency() {
    let mut h = two_brokers();
    let p = producer(&mut h, |c| c.send_latency_fault_enable = true);
    // 600 ms answers: >= 550 ms means 2 s of avoidance.
    h.broker_mut("broker-a")
        .set_latency(Duration::from_millis(600));
    while sends_to(&h, "broker-a") == 0 {
        send_one(&mut h, p).unwrap();
    }
    let a_before = sends_to(&h, "broker-a");
    for _ in 0..10 {
        assert_eq!(send_one(&mut h, p).unwrap().queue.broker_name, "broker-b");
    }
    assert_eq!(sends_to(&h, "broker-a"), a_before);
    h.broker_mut("broker-a").set_latency(Duration::ZERO);
    h.advance(Duration::from_secs(2));
    let picked: Vec<_> = (0..8)
        .map(|_| send_one(&mut h, p).unwrap().queue.broker_name)
        .collect();
    assert!(picked.iter().any(|b| b == "broker-a"), "{picked:?}");
}

#[test]
fn without_the_switch_a_failed_broker_keeps_getting_its_turn() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    h.broker_mut("broker-a")
        .push_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    for _ in 0..8 {
        send_one(&mut h, p).unwrap();
    }
    assert!(sends_to(&h, "broker-a") >= 4);
}
