//! Where a queue starts: a group with no stored offset follows its consume-from rule (the
//! first message, the end, or the first message stored at or after a wall time); a group
//! with a stored offset starts there whatever the rule.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::consumer::*;
use rocketmq_core::testing::Harness;
use rocketmq_core::{ConsumeFrom, ConsumeResult, ConsumerConfig, ConsumerId, Message};

/// One broker with topic `T` of 2 queues.
fn cluster() -> Harness {
    Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 2)])
        .build()
}

/// Produces `name`-0 and `name`-1 in each queue; returns the bodies.
fn produce_batch(h: &mut Harness, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for q in 0..2 {
        for i in 0..2 {
            let body = format!("{name}-q{q}-{i}");
            h.produce("broker-a", "T", q, Message::new("T", body.clone()));
            out.push(body);
        }
    }
    out
}

/// A push consumer of `cg` starting with `from`, answering every delivery with success.
fn start(h: &mut Harness, from: ConsumeFrom) -> ConsumerId {
    let mut cfg = ConsumerConfig::push("cg");
    cfg.consume_from = from;
    h.set_listener(|_| ConsumeResult::Success);
    h.start_consumer(cfg, &[("T", "*")])
}

fn set(v: Vec<String>) -> BTreeSet<String> {
    v.into_iter().collect()
}

#[test]
fn a_new_group_from_first_gets_every_stored_message() {
    let mut h = cluster();
    let before = produce_batch(&mut h, "before");
    let c = start(&mut h, ConsumeFrom::First);
    let after = produce_batch(&mut h, "after");
    h.drive();
    let want = set(before.into_iter().chain(after).collect());
    assert_eq!(set(bodies(&h.delivered(c))), want);
}

#[test]
fn a_new_group_from_last_gets_only_messages_produced_after_it_started() {
    let mut h = cluster();
    produce_batch(&mut h, "before");
    let c = start(&mut h, ConsumeFrom::Last);
    assert!(h.delivered(c).is_empty());
    let after = produce_batch(&mut h, "after");
    h.drive();
    assert_eq!(sorted_bodies(&h.delivered(c)), {
        let mut a = after;
        a.sort();
        a
    });
}

#[test]
fn a_new_group_from_last_commits_the_queue_end_once_its_first_pull_finds_nothing() {
    let mut h = cluster();
    produce_batch(&mut h, "before");
    start(&mut h, ConsumeFrom::Last);
    // The first pull is held 15 s and answered PULL_NOT_FOUND; nothing cached, so its next
    // offset counts as consumed and is persisted by the next pass (every 5 s after 10 s).
    h.advance(Duration::from_secs(21));
    for q in 0..2 {
        assert_eq!(h.store("broker-a").consumer_offset("cg", "T", q), Some(2));
    }
}

#[test]
fn a_new_group_from_a_timestamp_gets_the_messages_stored_at_or_after_it() {
    let mut h = cluster();
    produce_batch(&mut h, "old");
    h.advance(Duration::from_secs(10));
    let since = h.wall_ms();
    let at = produce_batch(&mut h, "at");
    h.advance(Duration::from_secs(10));
    let later = produce_batch(&mut h, "later");
    let c = start(&mut h, ConsumeFrom::Timestamp(since));
    let want = set(at.into_iter().chain(later).collect());
    assert_eq!(set(bodies(&h.delivered(c))), want);
}

#[test]
fn a_timestamp_after_every_message_starts_at_the_queue_end() {
    let mut h = cluster();
    produce_batch(&mut h, "old");
    h.advance(Duration::from_secs(10));
    let since = h.wall_ms() + 60_000;
    let c = start(&mut h, ConsumeFrom::Timestamp(since));
    assert!(h.delivered(c).is_empty());
    let new = produce_batch(&mut h, "new");
    h.drive();
    assert_eq!(set(bodies(&h.delivered(c))), set(new));
}

#[test]
fn a_group_with_a_stored_offset_starts_there_whatever_consume_from_says() {
    let froms = [
        ConsumeFrom::First,
        ConsumeFrom::Last,
        ConsumeFrom::Timestamp(0),
    ];
    for from in froms {
        let mut h = cluster();
        for q in 0..2 {
            for i in 0..5 {
                h.produce("broker-a", "T", q, Message::new("T", format!("q{q}-{i}")));
            }
            h.store_mut("broker-a").set_consumer_offset("cg", "T", q, 2);
        }
        let c = start(&mut h, from.clone());
        for q in 0..2 {
            let offsets = delivered_offsets(&h, c, "broker-a", "T", q);
            assert_eq!(offsets, [2, 3, 4], "{from:?}, queue {q}");
        }
    }
}

#[test]
fn a_stored_offset_of_zero_is_a_stored_offset() {
    // Offset 0 stored: the group consumed nothing yet, but it exists; it starts at 0 even
    // from the last offset.
    let mut h = cluster();
    for q in 0..2 {
        h.produce("broker-a", "T", q, Message::new("T", format!("q{q}")));
        h.store_mut("broker-a").set_consumer_offset("cg", "T", q, 0);
    }
    let c = start(&mut h, ConsumeFrom::Last);
    assert_eq!(sorted_bodies(&h.delivered(c)), ["q0", "q1"]);
}

/// Puts a message for `cg` into its retry topic, as a send-back would.
fn put_retry(h: &mut Harness, body: &str) {
    let msg = Message::new("%RETRY%cg", body.to_owned()).with_property("RETRY_TOPIC", "T");
    h.produce("broker-a", "%RETRY%cg", 0, msg);
}

#[test]
fn from_last_the_group_s_retry_topic_starts_at_its_first_message() {
    let mut h = cluster();
    produce_batch(&mut h, "before");
    put_retry(&mut h, "retried");
    let c = start(&mut h, ConsumeFrom::Last);
    assert_eq!(bodies(&h.delivered(c)), ["retried"]);
    assert_eq!(
        h.delivered(c)[0].message.topic,
        "T",
        "its real topic restored"
    );
}

#[test]
fn from_a_timestamp_the_group_s_retry_topic_starts_at_its_end() {
    let mut h = cluster();
    put_retry(&mut h, "retried");
    let c = start(&mut h, ConsumeFrom::Timestamp(0));
    assert!(h.delivered(c).is_empty());
    put_retry(&mut h, "new");
    h.drive();
    assert_eq!(bodies(&h.delivered(c)), ["new"]);
}
