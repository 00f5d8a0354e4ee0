//! A concurrent push consumer receives every stored message, its answers commit offsets,
//! and the offsets reach the broker.

mod common;

use std::time::{Duration, Instant};

use rocketmq_core::testing::Harness;
use rocketmq_core::{ConsumeFrom, ConsumeResult, ConsumerConfig, Message};

fn cluster() -> Harness {
    Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .broker("broker-b", "10.0.0.2:10911")
        .topic("T", &[("broker-a", 4), ("broker-b", 4)])
        .build()
}

fn from_first(group: &str) -> ConsumerConfig {
    let mut c = ConsumerConfig::push(group);
    c.consume_from = ConsumeFrom::First;
    c
}

#[test]
fn every_stored_message_is_delivered_and_committed() {
    let mut h = cluster();
    for i in 0..40 {
        let broker = if i % 2 == 0 { "broker-a" } else { "broker-b" };
        h.produce(broker, "T", (i / 2) % 4, Message::new("T", format!("m{i}")));
    }
    h.set_listener(|_| ConsumeResult::Success);
    let c = h.start_consumer(from_first("cg"), &[("T", "*")]);
    h.drive();
    let mut bodies: Vec<String> = h
        .delivered(c)
        .iter()
        .map(|m| String::from_utf8_lossy(&m.message.body).into_owned())
        .collect();
    bodies.sort();
    let mut want: Vec<String> = (0..40).map(|i| format!("m{i}")).collect();
    want.sort();
    assert_eq!(bodies, want);
    // Offsets reach the broker within the persist interval.
    h.advance(Duration::from_secs(11));
    for broker in ["broker-a", "broker-b"] {
        for q in 0..4 {
            assert_eq!(
                h.store(broker).consumer_offset("cg", "T", q),
                Some(5),
                "{broker} {q}"
            );
        }
    }
}

#[test]
fn messages_arriving_later_wake_the_long_polls() {
    let mut h = cluster();
    h.set_listener(|_| ConsumeResult::Success);
    let c = h.start_consumer(from_first("cg"), &[("T", "*")]);
    assert!(h.delivered(c).is_empty());
    let start = h.now;
    h.produce("broker-b", "T", 2, Message::new("T", "late"));
    h.drive();
    let got = h.delivered(c);
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].message.body[..], b"late");
    assert_eq!(h.now, start, "woken at once, no time jump");
}
