//! Flow control: a queue whose cache passes `pull_threshold_for_queue` stops pulling until
//! the application answers; `consume_thread_max` bounds the deliveries in flight.

mod common;

use std::time::{Duration, Instant};

use common::consumer::*;
use rocketmq_core::testing::Harness;
use rocketmq_core::{ConsumeResult, ConsumerConfig, Message};

/// One broker with topic `T` of one queue holding `n` messages.
fn one_queue(n: usize) -> Harness {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 1)])
        .build();
    for i in 0..n {
        h.produce("broker-a", "T", 0, Message::new("T", format!("m{i}")));
    }
    h
}

/// A consumer from the first message pulling 4 at a time, pausing a queue past 10 cached.
fn throttled() -> ConsumerConfig {
    let mut c = from_first("cg");
    c.pull_batch_size = 4;
    c.pull_threshold_for_queue = 10;
    c
}

#[test]
fn a_queue_past_its_threshold_stops_pulling_while_nothing_is_answered() {
    let mut h = one_queue(100);
    let c = h.start_consumer(throttled(), &[("T", "*")]);
    // 4, 8, 12: past 10 after the third pull (one pull may overshoot by a batch).
    assert_eq!(h.deliveries().len(), 12);
    let pulls = pulls_received(&h, &["broker-a"]);
    h.advance(Duration::from_secs(10));
    assert_eq!(
        pulls_received(&h, &["broker-a"]),
        pulls,
        "no pull while full"
    );
    assert_eq!(h.delivered(c).len(), 12, "the cache stopped growing");
}

#[test]
fn answering_the_deliveries_resumes_pulling() {
    let mut h = one_queue(100);
    let c = h.start_consumer(throttled(), &[("T", "*")]);
    h.advance(Duration::from_secs(10));
    let pulls = pulls_received(&h, &["broker-a"]);
    assert_eq!(h.ack_all(ConsumeResult::Success), 12);
    // The held-back pull is tried again 50 ms later.
    h.advance(Duration::from_millis(100));
    assert!(pulls_received(&h, &["broker-a"]) > pulls);
    assert_eq!(h.delivered(c).len(), 24, "pulled up to the threshold again");
    h.set_listener(|_| ConsumeResult::Success);
    h.advance(Duration::from_secs(1));
    assert_eq!(h.delivered(c).len(), 100, "everything, once");
}

#[test]
fn answering_some_deliveries_pulls_only_back_up_to_the_threshold() {
    let mut h = one_queue(100);
    let c = h.start_consumer(throttled(), &[("T", "*")]);
    for d in h.deliveries().into_iter().take(2) {
        h.ack(d.id, ConsumeResult::Success);
    }
    // 10 cached: not past the threshold, so one more pull of 4.
    h.advance(Duration::from_secs(10));
    assert_eq!(h.delivered(c).len(), 16);
    assert_eq!(h.deliveries().len(), 14);
}

#[test]
fn the_threshold_holds_each_queue_on_its_own() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 2)])
        .build();
    for q in 0..2 {
        for i in 0..50 {
            h.produce("broker-a", "T", q, Message::new("T", format!("q{q}-m{i}")));
        }
    }
    // Slots for every cached message, so deliveries show what is cached.
    let mut cfg = throttled();
    cfg.consume_thread_max = 64;
    let c = h.start_consumer(cfg, &[("T", "*")]);
    h.advance(Duration::from_secs(10));
    for q in 0..2 {
        assert_eq!(
            delivered_offsets(&h, c, "broker-a", "T", q).len(),
            12,
            "queue {q}"
        );
    }
}

#[test]
fn never_more_deliveries_in_flight_than_consume_thread_max() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 4)])
        .build();
    for q in 0..4 {
        for i in 0..5 {
            h.produce("broker-a", "T", q, Message::new("T", format!("q{q}-m{i}")));
        }
    }
    let mut cfg = from_first("cg");
    cfg.consume_thread_max = 3;
    let c = h.start_consumer(cfg, &[("T", "*")]);
    assert_eq!(h.deliveries().len(), 3);
    assert_eq!(h.client.deliveries_in_flight(), 3);
    let mut answered = 0;
    while let Some(d) = h.deliveries().first().cloned() {
        h.ack(d.id, ConsumeResult::Success);
        answered += 1;
        h.drive();
        assert!(h.deliveries().len() <= 3, "after {answered} answers");
        assert_eq!(h.client.deliveries_in_flight(), h.deliveries().len());
    }
    assert_eq!(answered, 20);
    assert_eq!(sorted_bodies(&h.delivered(c)).len(), 20);
}

#[test]
fn a_free_slot_is_filled_at_once() {
    let mut h = one_queue(10);
    let mut cfg = from_first("cg");
    cfg.consume_thread_max = 3;
    let c = h.start_consumer(cfg, &[("T", "*")]);
    let first = h.deliveries();
    assert_eq!(first.len(), 3);
    let start = h.now;
    h.ack(first[1].id, ConsumeResult::Success);
    assert_eq!(h.deliveries().len(), 3, "the next waiting message went out");
    assert_eq!(h.delivered(c).len(), 4);
    assert_eq!(h.now, start);
}

#[test]
fn a_failed_delivery_frees_its_slot_too() {
    let mut h = one_queue(10);
    let mut cfg = from_first("cg");
    cfg.consume_thread_max = 3;
    let c = h.start_consumer(cfg, &[("T", "*")]);
    let first = h.deliveries();
    h.ack(first[0].id, ConsumeResult::Later { delay_level: 1 });
    h.drive();
    assert_eq!(h.deliveries().len(), 3);
    assert_eq!(h.delivered(c).len(), 4);
}

#[test]
fn slots_freed_by_revoked_deliveries_are_filled_at_once() {
    let mut h = common::two_brokers();
    let me = h.client.client_id().to_owned();
    let other = "10.9.9.9@other";
    let all = queues_of("T", &[("broker-a", 4), ("broker-b", 4)]);
    let share = avg_share(&all, &me, &[&me, other]);
    let lost = all
        .difference(&share)
        .next()
        .expect("a queue to give up")
        .clone();
    let kept = share.first().expect("a queue to keep").clone();
    // Both slots go to the queue that will be given up; the kept queue's messages wait.
    for i in 0..2 {
        h.produce(
            &lost.broker_name,
            "T",
            lost.queue_id,
            Message::new("T", format!("lost{i}")),
        );
    }
    let mut cfg = from_first("cg");
    cfg.consume_thread_max = 2;
    let c = h.start_consumer(cfg, &[("T", "*")]);
    for i in 0..3 {
        h.produce(
            &kept.broker_name,
            "T",
            kept.queue_id,
            Message::new("T", format!("kept{i}")),
        );
    }
    h.drive();
    assert_eq!(bodies(&h.delivered(c)), ["lost0", "lost1"]);
    let subs = [("T", "*"), ("%RETRY%cg", "*")];
    let model = rocketmq_core::proto::body::MessageModel::Clustering;
    join(&mut h, &[BROKER_A, BROKER_B], other, "cg", model, &subs);
    assert_eq!(h.revoked().len(), 2);
    assert_eq!(
        bodies(&h.delivered(c)),
        ["lost0", "lost1", "kept0", "kept1"],
        "the waiting messages take the freed slots"
    );
}

#[test]
fn a_queue_whose_cached_offsets_span_past_the_max_span_stops_pulling() {
    let mut h = one_queue(100);
    let mut cfg = from_first("cg");
    cfg.pull_batch_size = 1;
    cfg.consume_concurrently_max_span = 5;
    let c = h.start_consumer(cfg, &[("T", "*")]);
    h.advance(Duration::from_secs(10));
    // Cached 0..=6: a span of 6, past 5 (the count threshold, 1000, is far).
    assert_eq!(
        delivered_offsets(&h, c, "broker-a", "T", 0),
        (0..=6).collect::<Vec<i64>>()
    );
    // Answering the oldest narrows the span to 1..=6: one more pull, then past it again.
    let oldest = h.deliveries()[0].id;
    h.ack(oldest, ConsumeResult::Success);
    h.advance(Duration::from_secs(10));
    assert_eq!(h.delivered(c).len(), 8);
}

#[test]
fn a_queue_past_its_size_threshold_stops_pulling() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 1)])
        .build();
    // 512 KiB each: 3 cached are 1.5 MiB, 1 MiB in whole MiB; 5 are 2 MiB, past 1.
    for i in 0..20u8 {
        h.produce("broker-a", "T", 0, Message::new("T", vec![i; 512 * 1024]));
    }
    let mut cfg = from_first("cg");
    cfg.pull_batch_size = 1;
    cfg.pull_threshold_size_for_queue = 1;
    let c = h.start_consumer(cfg, &[("T", "*")]);
    h.advance(Duration::from_secs(10));
    assert_eq!(h.delivered(c).len(), 4);
    h.ack_all(ConsumeResult::Success);
    h.advance(Duration::from_secs(1));
    assert_eq!(h.delivered(c).len(), 8);
}

#[test]
fn a_topic_threshold_is_shared_by_the_queues_held() {
    let mut h = one_queue(100);
    let mut cfg = from_first("cg");
    cfg.pull_batch_size = 4;
    // Two queues held (T's and the group's retry queue): 10 each.
    cfg.pull_threshold_for_topic = Some(20);
    let c = h.start_consumer(cfg, &[("T", "*")]);
    h.advance(Duration::from_secs(10));
    assert_eq!(h.delivered(c).len(), 12);
}
