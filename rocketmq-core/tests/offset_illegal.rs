//! A queue whose min offset moved past the consumer's position (its old messages deleted):
//! the pull gets PULL_OFFSET_MOVED, the queue restarts at the new min offset, and nothing is
//! delivered twice beyond the deliveries in flight then.

mod common;

use std::time::{Duration, Instant};

use common::consumer::*;
use rocketmq_core::testing::Harness;
use rocketmq_core::{ConsumeResult, ConsumerId, Message};

/// One broker, `T` with one queue holding 20 messages, and a consumer pulling one at a
/// time that stops pulling past 2 cached: messages 0, 1, 2 in flight, position 3.
fn behind() -> (Harness, ConsumerId) {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 1)])
        .build();
    for i in 0..20 {
        h.produce("broker-a", "T", 0, Message::new("T", format!("m{i}")));
    }
    let mut cfg = from_first("cg");
    cfg.pull_batch_size = 1;
    cfg.pull_threshold_for_queue = 2;
    let c = h.start_consumer(cfg, &[("T", "*")]);
    assert_eq!(delivered_offsets(&h, c, "broker-a", "T", 0), [0, 1, 2]);
    (h, c)
}

#[test]
fn a_queue_behind_the_min_offset_restarts_there() {
    let (mut h, c) = behind();
    h.store_mut("broker-a").truncate_before("T", 0, 10);
    h.set_listener(|_| ConsumeResult::Success);
    h.advance(Duration::from_secs(5));
    let offsets = delivered_offsets(&h, c, "broker-a", "T", 0);
    assert_eq!(offsets, (0..3).chain(10..20).collect::<Vec<i64>>());
}

#[test]
fn the_new_offset_is_persisted_at_once() {
    let (mut h, _) = behind();
    h.store_mut("broker-a").truncate_before("T", 0, 10);
    // Message 0 answered: 2 cached, so the pull at 3 goes out.
    let first = h.deliveries()[0].id;
    h.ack(first, ConsumeResult::Success);
    // The pull held back by flow control goes out 50 ms later.
    h.advance(Duration::from_millis(100));
    assert_eq!(
        h.store("broker-a").consumer_offset("cg", "T", 0),
        Some(10),
        "before any periodic persistence"
    );
}

#[test]
fn deliveries_in_flight_when_the_offset_moved_are_revoked_and_not_delivered_again() {
    let (mut h, c) = behind();
    h.store_mut("broker-a").truncate_before("T", 0, 10);
    let ds = h.deliveries();
    h.ack(ds[0].id, ConsumeResult::Success);
    h.advance(Duration::from_millis(100));
    let mut revoked = h.revoked();
    revoked.sort();
    assert_eq!(revoked, [ds[1].id, ds[2].id]);
    h.set_listener(|_| ConsumeResult::Success);
    h.advance(Duration::from_secs(5));
    let offsets = delivered_offsets(&h, c, "broker-a", "T", 0);
    assert_eq!(
        offsets,
        (0..3).chain(10..20).collect::<Vec<i64>>(),
        "each once"
    );
    h.advance(Duration::from_secs(11));
    assert_eq!(h.store("broker-a").consumer_offset("cg", "T", 0), Some(20));
}

#[test]
fn a_stored_offset_past_the_max_offset_restarts_the_queue_at_its_end() {
    // E.g. the broker's queue was recreated: the group's offset 50 is past its 5 messages.
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 1)])
        .build();
    for i in 0..5 {
        h.produce("broker-a", "T", 0, Message::new("T", format!("m{i}")));
    }
    h.store_mut("broker-a")
        .set_consumer_offset("cg", "T", 0, 50);
    h.set_listener(|_| ConsumeResult::Success);
    let c = h.start_consumer(from_first("cg"), &[("T", "*")]);
    assert!(delivered_offsets(&h, c, "broker-a", "T", 0).is_empty());
    assert_eq!(h.store("broker-a").consumer_offset("cg", "T", 0), Some(5));
    h.produce("broker-a", "T", 0, Message::new("T", "m5"));
    h.advance(Duration::from_secs(1));
    assert_eq!(delivered_offsets(&h, c, "broker-a", "T", 0), [5]);
}

#[test]
fn every_queue_whose_offset_moved_at_once_restarts() {
    let mut h = common::two_brokers();
    for broker in ["broker-a", "broker-b"] {
        for q in 0..4 {
            for i in 0..6 {
                h.produce(
                    broker,
                    "T",
                    q,
                    Message::new("T", format!("{broker}-{q}-{i}")),
                );
            }
        }
    }
    let mut cfg = from_first("cg");
    cfg.pull_batch_size = 1;
    cfg.pull_threshold_for_queue = 1;
    let c = h.start_consumer(cfg, &[("T", "*")]);
    for broker in ["broker-a", "broker-b"] {
        for q in 0..4 {
            h.store_mut(broker).truncate_before("T", q, 4);
        }
    }
    h.set_listener(|_| ConsumeResult::Success);
    h.advance(Duration::from_secs(2));
    for broker in ["broker-a", "broker-b"] {
        for q in 0..4 {
            let offsets = delivered_offsets(&h, c, broker, "T", q);
            assert_eq!(offsets, [0, 1, 4, 5], "{broker} {q}");
        }
    }
}

#[test]
fn a_new_group_from_first_on_a_queue_whose_start_was_deleted_starts_at_its_min_offset() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 1)])
        .build();
    for i in 0..10 {
        h.produce("broker-a", "T", 0, Message::new("T", format!("m{i}")));
    }
    h.store_mut("broker-a").truncate_before("T", 0, 7);
    h.set_listener(|_| ConsumeResult::Success);
    let c = h.start_consumer(from_first("cg"), &[("T", "*")]);
    h.advance(Duration::from_secs(2));
    assert_eq!(delivered_offsets(&h, c, "broker-a", "T", 0), [7, 8, 9]);
}

#[test]
fn an_orderly_delivery_in_flight_when_the_offset_moved_is_revoked() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 1)])
        .build();
    let mut cfg = rocketmq_core::ConsumerConfig::push_orderly("cg");
    cfg.consume_from = rocketmq_core::ConsumeFrom::First;
    let c = h.start_consumer(cfg, &[("T", "*")]);
    // m0 wakes the held pull (answered with m0 alone); m1..m6 are stored after it, and the
    // start of the queue is deleted before the next pull reaches the broker.
    for i in 0..7 {
        h.produce("broker-a", "T", 0, Message::new("T", format!("m{i}")));
    }
    h.store_mut("broker-a").truncate_before("T", 0, 3);
    h.drive();
    // m0's delivery is revoked (its message is gone), the queue restarts at 3.
    assert_eq!(h.revoked().len(), 1);
    assert_eq!(delivered_offsets(&h, c, "broker-a", "T", 0), [0, 3]);
    assert_eq!(
        h.deliveries().len(),
        1,
        "one orderly delivery in flight: m3"
    );
    assert_eq!(h.store("broker-a").consumer_offset("cg", "T", 0), Some(3));
    h.set_listener(|_| ConsumeResult::Success);
    h.advance(Duration::from_secs(25));
    assert_eq!(
        delivered_offsets(&h, c, "broker-a", "T", 0),
        [0, 3, 4, 5, 6]
    );
}
