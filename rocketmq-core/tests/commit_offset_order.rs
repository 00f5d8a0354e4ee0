//! The committed offset never passes an unanswered message: answers out of order leave it
//! at the oldest message in flight, and answering that one moves it past every answered one.

mod common;

use std::time::{Duration, Instant};

use common::consumer::*;
use rocketmq_core::testing::Harness;
use rocketmq_core::{ClientConfig, ConsumeResult, ConsumerId, Delivery, Message};

/// One broker, `T` with one queue holding `n` messages, and a consumer from the first one
/// with all of them in flight (one message per delivery), oldest first.
fn in_flight(n: usize, f: impl FnOnce(&mut ClientConfig)) -> (Harness, ConsumerId, Vec<Delivery>) {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 1)])
        .config(f)
        .build();
    for i in 0..n {
        h.produce("broker-a", "T", 0, Message::new("T", format!("m{i}")));
    }
    let c = h.start_consumer(from_first("cg"), &[("T", "*")]);
    let ds = h.deliveries();
    assert_eq!(ds.len(), n);
    let offsets: Vec<i64> = ds.iter().map(|d| d.messages[0].queue_offset).collect();
    assert_eq!(offsets, (0..n as i64).collect::<Vec<_>>());
    (h, c, ds)
}

/// The group's offset of `T` queue 0 at the broker.
fn committed(h: &mut Harness) -> Option<i64> {
    query_offset(h, BROKER_A, "cg", "T", 0)
}

#[test]
fn answers_out_of_order_do_not_move_the_offset_past_the_oldest_unanswered_message() {
    let (mut h, _, ds) = in_flight(5, |_| {});
    for i in [3, 1, 2] {
        h.ack(ds[i].id, ConsumeResult::Success);
    }
    h.advance(Duration::from_secs(11));
    assert!(
        committed(&mut h).is_none_or(|o| o <= 0),
        "message 0 is unanswered: {:?}",
        committed(&mut h)
    );
}

#[test]
fn answering_the_oldest_moves_the_offset_past_every_answered_message() {
    let (mut h, _, ds) = in_flight(5, |_| {});
    for i in [3, 1, 2] {
        h.ack(ds[i].id, ConsumeResult::Success);
    }
    h.advance(Duration::from_secs(11));
    h.ack(ds[0].id, ConsumeResult::Success);
    h.advance(Duration::from_secs(5));
    assert_eq!(
        committed(&mut h),
        Some(4),
        "up to message 4, still unanswered"
    );
    h.ack(ds[4].id, ConsumeResult::Success);
    h.advance(Duration::from_secs(5));
    assert_eq!(committed(&mut h), Some(5));
}

#[test]
fn the_offset_never_passes_a_message_in_flight_whatever_the_order_of_answers() {
    // Every persist goes out: the offset at the broker after each answer.
    let (mut h, _, ds) = in_flight(8, |_| {});
    h.advance(Duration::from_secs(10));
    let order = [5, 2, 7, 0, 6, 1, 4, 3];
    let mut answered = [false; 8];
    for i in order {
        h.ack(ds[i].id, ConsumeResult::Success);
        answered[i] = true;
        h.advance(Duration::from_secs(5));
        let oldest_unanswered = answered.iter().position(|a| !a).unwrap_or(8) as i64;
        let at_broker = committed(&mut h).unwrap_or(0);
        assert_eq!(at_broker, oldest_unanswered, "after answering {i}");
    }
}

#[test]
fn a_failed_message_holds_the_offset_until_the_broker_has_it_back() {
    let (mut h, _, ds) = in_flight(3, |_| {});
    h.ack(ds[1].id, ConsumeResult::Success);
    h.ack(ds[2].id, ConsumeResult::Success);
    h.advance(Duration::from_secs(9));
    // The broker takes 4 s to answer the send-back.
    h.broker_mut("broker-a").set_latency(Duration::from_secs(4));
    h.ack(ds[0].id, ConsumeResult::Later { delay_level: 1 });
    h.advance(Duration::from_secs(2));
    assert_eq!(
        h.store("broker-a").consumer_offset("cg", "T", 0),
        Some(0),
        "persisted at 10 s, while the send-back is unanswered"
    );
    h.broker_mut("broker-a").set_latency(Duration::ZERO);
    h.advance(Duration::from_secs(5));
    assert_eq!(committed(&mut h), Some(3), "the broker has it: done here");
    let retry = h.store("broker-a").messages("%RETRY%cg", 0);
    assert_eq!(bodies(&retry), ["m0"]);
}

#[test]
fn a_partial_answer_commits_only_its_acknowledged_messages() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 1)])
        .build();
    for i in 0..4 {
        h.produce("broker-a", "T", 0, Message::new("T", format!("m{i}")));
    }
    let mut cfg = from_first("cg");
    cfg.consume_message_batch_max_size = 4;
    h.start_consumer(cfg, &[("T", "*")]);
    let ds = h.deliveries();
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].messages.len(), 4);
    h.ack(ds[0].id, ConsumeResult::Partial { acked: 2 });
    h.drive();
    h.advance(Duration::from_secs(11));
    // m2 and m3 went back to the broker, so the queue is done here.
    assert_eq!(committed(&mut h), Some(4));
    let retry = h.store("broker-a").messages("%RETRY%cg", 0);
    assert_eq!(bodies(&retry), ["m2", "m3"]);
}

#[test]
fn the_offset_a_pull_carries_never_passes_an_unanswered_message() {
    // No periodic persistence: only pulls carry the offset.
    let (mut h, _, ds) = in_flight(3, |cfg| {
        cfg.persist_consumer_offset_interval = Duration::from_secs(3600)
    });
    h.ack(ds[2].id, ConsumeResult::Success);
    h.ack(ds[1].id, ConsumeResult::Success);
    // A new message answers the held pull; the next pull carries the offset.
    h.produce("broker-a", "T", 0, Message::new("T", "m3"));
    h.drive();
    h.produce("broker-a", "T", 0, Message::new("T", "m4"));
    h.drive();
    assert!(h
        .store("broker-a")
        .consumer_offset("cg", "T", 0)
        .is_none_or(|o| o <= 0));
}
