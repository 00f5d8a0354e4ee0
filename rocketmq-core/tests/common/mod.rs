//! Shared set-up for behaviour tests.
#![allow(dead_code, unreachable_pub)]

/// Consumer helpers (configs, raw group members, offsets at the broker).
pub mod consumer;

use rocketmq_core::testing::Harness;
use rocketmq_core::{Event, Message, ProducerConfig, ProducerId, SendError, SendResult};
use std::time::Instant;

/// Two brokers, topic `T` with 4 queues on each.
pub fn two_brokers() -> Harness {
    Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .broker("broker-b", "10.0.0.2:10911")
        .topic("T", &[("broker-a", 4), ("broker-b", 4)])
        .build()
}

/// A started producer for group `pg` with `f` applied to its config.
pub fn producer(h: &mut Harness, f: impl FnOnce(&mut ProducerConfig)) -> ProducerId {
    let mut cfg = ProducerConfig::new("pg");
    f(&mut cfg);
    h.start_producer(cfg)
}

/// Sends one message to `T`, drives, and returns its outcome.
pub fn send_one(h: &mut Harness, p: ProducerId) -> Result<SendResult, SendError> {
    let id = h.send(p, Message::new("T", "hello"));
    h.drive();
    assert_eq!(h.completions(id), 1, "exactly one completion");
    h.send_result(id).expect("completed")
}

/// Counts events matching `f`.
pub fn count_events(h: &Harness, f: impl Fn(&Event) -> bool) -> usize {
    h.events().iter().filter(|e| f(e)).count()
}
