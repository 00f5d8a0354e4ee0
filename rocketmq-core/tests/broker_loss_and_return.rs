//! A broker that dies keeps its queues while it is in the route: their pulls fail and are
//! retried, and resume when it comes back. The name server dropping it drops its queues at
//! the next rebalance; its return to the route takes them again, from the committed offsets,
//! so every message is delivered (the Go client's issue #1071 left them unassigned forever).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::consumer::*;
use rocketmq_core::testing::Harness;
use rocketmq_core::{ClientConfig, ConsumeResult, ConsumerConfig, ConsumerId, Message};

/// A consumer of `cg` (from the first message, answering every delivery with success) that
/// consumed one message in every queue of `T` and persisted its offsets.
fn consuming() -> (Harness, ConsumerId, Vec<String>) {
    consuming_with(|_| {}, |_| {})
}

/// [`consuming`] with `f` applied to the client config and `g` to the consumer's.
fn consuming_with(
    f: impl FnOnce(&mut ClientConfig),
    g: impl FnOnce(&mut ConsumerConfig),
) -> (Harness, ConsumerId, Vec<String>) {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .broker("broker-b", BROKER_B)
        .topic("T", &[("broker-a", 4), ("broker-b", 4)])
        .config(f)
        .build();
    let mut produced = Vec::new();
    for broker in ["broker-a", "broker-b"] {
        for q in 0..4 {
            let body = format!("{broker}-{q}-before");
            h.produce(broker, "T", q, Message::new("T", body.clone()));
            produced.push(body);
        }
    }
    h.set_listener(|_| ConsumeResult::Success);
    let mut cfg = from_first("cg");
    g(&mut cfg);
    let c = h.start_consumer(cfg, &[("T", "*")]);
    h.advance(Duration::from_secs(11));
    for q in 0..4 {
        assert_eq!(h.store("broker-b").consumer_offset("cg", "T", q), Some(1));
    }
    (h, c, produced)
}

/// Produces one message named `tag` into every queue of `broker` (through its store, as
/// another producer would; a dead broker's disk keeps it); returns the bodies.
fn produce_all(h: &mut Harness, broker: &str, tag: &str) -> Vec<String> {
    (0..4)
        .map(|q| {
            let body = format!("{broker}-{q}-{tag}");
            h.produce(broker, "T", q, Message::new("T", body.clone()));
            body
        })
        .collect()
}

/// Every message delivered to `c`, as a set of bodies.
fn delivered_set(h: &Harness, c: ConsumerId) -> BTreeSet<String> {
    bodies(&h.delivered(c)).into_iter().collect()
}

#[test]
fn a_dead_broker_still_in_the_route_keeps_its_queues_and_its_pulls_are_retried() {
    let (mut h, c, _) = consuming();
    let all = queues_of("T", &[("broker-a", 4), ("broker-b", 4)]);
    h.kill_broker("broker-b");
    h.advance(Duration::from_secs(60));
    assert_eq!(held(&mut h, c, "T"), all, "no queue abandoned");
    let before = pulls_received(&h, &["broker-b"]);
    h.revive_broker("broker-b");
    h.advance(Duration::from_secs(2));
    assert!(
        pulls_received(&h, &["broker-b"]) > before,
        "pulls reach the broker again within the retry delay"
    );
}

#[test]
fn pulls_resume_on_every_queue_of_a_broker_that_comes_back() {
    let (mut h, c, mut produced) = consuming();
    h.kill_broker("broker-b");
    h.advance(Duration::from_secs(5));
    produced.extend(produce_all(&mut h, "broker-b", "while-down"));
    h.advance(Duration::from_secs(5));
    h.revive_broker("broker-b");
    // The broker forgot the group with the client's session; the heartbeat on the new
    // connection registers it again, and pulls retried every second then succeed.
    h.advance(Duration::from_secs(31));
    // A pull held on every queue of T and of the group's retry topic there.
    assert_eq!(h.store("broker-b").held_pulls(), 5);
    produced.extend(produce_all(&mut h, "broker-b", "after"));
    h.drive();
    let want: BTreeSet<String> = produced.into_iter().collect();
    assert_eq!(delivered_set(&h, c), want);
}

#[test]
fn a_broker_that_comes_back_is_heartbeated_on_the_new_connection_and_pulls_resume_at_once() {
    let (mut h, c, mut produced) = consuming();
    h.kill_broker("broker-b");
    h.advance(Duration::from_secs(5));
    h.revive_broker("broker-b");
    // The broker forgot the group with the client's session: pulls on the new connection
    // are refused until a heartbeat registers it again. That heartbeat goes as soon as the
    // connection is up (Java 5.2+), not with the next periodic one (30 s): within the pull
    // retry delay (1 s) and one more, a pull is held on every queue of T and of the retry
    // topic there.
    h.advance(Duration::from_secs(3));
    assert_eq!(h.store("broker-b").held_pulls(), 5);
    produced.extend(produce_all(&mut h, "broker-b", "after"));
    h.drive();
    let want: BTreeSet<String> = produced.into_iter().collect();
    assert_eq!(delivered_set(&h, c), want);
}

#[test]
fn a_broker_dropped_from_the_route_loses_its_queues_at_the_next_rebalance() {
    let (mut h, c, _) = consuming();
    h.kill_broker("broker-b");
    h.set_topic("T", &[("broker-a", 4)]);
    // Routes are polled every 30 s; the changed route is divided again.
    h.advance(Duration::from_secs(31));
    assert_eq!(held(&mut h, c, "T"), queues_of("T", &[("broker-a", 4)]));
}

#[test]
fn a_broker_back_in_the_route_has_its_queues_taken_again_from_the_committed_offsets() {
    let (mut h, c, mut produced) = consuming();
    h.kill_broker("broker-b");
    h.set_topic("T", &[("broker-a", 4)]);
    h.advance(Duration::from_secs(31));
    produced.extend(produce_all(&mut h, "broker-b", "while-out"));
    produced.extend(produce_all(&mut h, "broker-a", "while-out"));
    h.drive();
    h.revive_broker("broker-b");
    h.set_topic("T", &[("broker-a", 4), ("broker-b", 4)]);
    h.advance(Duration::from_secs(31));
    let all = queues_of("T", &[("broker-a", 4), ("broker-b", 4)]);
    assert_eq!(held(&mut h, c, "T"), all, "taken again");
    produced.extend(produce_all(&mut h, "broker-b", "after"));
    h.drive();
    let want: BTreeSet<String> = produced.into_iter().collect();
    assert_eq!(delivered_set(&h, c), want, "none lost");
    for q in 0..4 {
        let offsets = delivered_offsets(&h, c, "broker-b", "T", q);
        assert_eq!(
            offsets,
            vec![0, 1, 2],
            "queue {q}: from the committed offset 1"
        );
    }
}

#[test]
fn a_broker_that_leaves_the_route_alive_has_its_offsets_persisted_when_its_queues_go() {
    // Offsets persisted 10 s after the start, then only when queues go: no periodic pass,
    // and pulls held long enough that none carries the offset meanwhile.
    let (mut h, c, _) = consuming_with(
        |cfg| cfg.persist_consumer_offset_interval = Duration::from_secs(3600),
        |cfg| {
            cfg.broker_suspend_max_time = Duration::from_secs(120);
            cfg.consumer_timeout_when_suspend = Duration::from_secs(150);
        },
    );
    produce_all(&mut h, "broker-b", "second");
    h.drive();
    assert_eq!(delivered_offsets(&h, c, "broker-b", "T", 0), vec![0, 1]);
    h.set_topic("T", &[("broker-a", 4)]);
    h.advance(Duration::from_secs(31));
    assert_eq!(held(&mut h, c, "T"), queues_of("T", &[("broker-a", 4)]));
    for q in 0..4 {
        assert_eq!(h.store("broker-b").consumer_offset("cg", "T", q), Some(2));
    }
}

#[test]
fn a_broker_that_leaves_every_route_and_returns_is_consumed_again_from_the_committed_offsets() {
    let (mut h, c, mut produced) = consuming();
    h.kill_broker("broker-b");
    // The name server forgets the broker altogether: the client forgets its address too.
    h.set_topic("T", &[("broker-a", 4)]);
    h.set_topic("%RETRY%cg", &[("broker-a", 1)]);
    h.advance(Duration::from_secs(31));
    assert_eq!(held(&mut h, c, "T"), queues_of("T", &[("broker-a", 4)]));
    assert_eq!(
        held(&mut h, c, "%RETRY%cg"),
        queues_of("%RETRY%cg", &[("broker-a", 1)])
    );
    assert!(!h.client.broker_addrs().contains_key("broker-b"));
    produced.extend(produce_all(&mut h, "broker-b", "while-out"));
    h.revive_broker("broker-b");
    h.set_topic("T", &[("broker-a", 4), ("broker-b", 4)]);
    h.set_topic("%RETRY%cg", &[("broker-a", 1), ("broker-b", 1)]);
    h.advance(Duration::from_secs(31));
    assert_eq!(
        held(&mut h, c, "T"),
        queues_of("T", &[("broker-a", 4), ("broker-b", 4)])
    );
    produced.extend(produce_all(&mut h, "broker-b", "after"));
    h.drive();
    let want: BTreeSet<String> = produced.into_iter().collect();
    assert_eq!(delivered_set(&h, c), want, "none lost");
    for q in 0..4 {
        let offsets = delivered_offsets(&h, c, "broker-b", "T", q);
        assert_eq!(
            offsets,
            vec![0, 1, 2],
            "queue {q}: from the committed offset 1"
        );
    }
}

#[test]
fn a_consumer_started_while_a_broker_is_down_takes_its_queues_when_it_returns() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .broker("broker-b", BROKER_B)
        .topic("T", &[("broker-a", 4), ("broker-b", 4)])
        .build();
    let mut produced = produce_all(&mut h, "broker-a", "m");
    produced.extend(produce_all(&mut h, "broker-b", "m"));
    h.kill_broker("broker-b");
    h.set_listener(|_| ConsumeResult::Success);
    let c = h.start_consumer(from_first("cg"), &[("T", "*")]);
    h.advance(Duration::from_secs(10));
    assert_eq!(held(&mut h, c, "T"), queues_of("T", &[("broker-a", 4)]));
    h.revive_broker("broker-b");
    h.advance(Duration::from_secs(31));
    assert_eq!(
        held(&mut h, c, "T"),
        queues_of("T", &[("broker-a", 4), ("broker-b", 4)])
    );
    let want: BTreeSet<String> = produced.into_iter().collect();
    assert_eq!(delivered_set(&h, c), want);
}

#[test]
fn a_message_failed_while_its_broker_is_down_comes_back_through_another_broker() {
    let (mut h, c, _) = consuming();
    h.clear_listener();
    produce_all(&mut h, "broker-b", "fails");
    h.drive();
    let failing: Vec<_> = h
        .deliveries()
        .into_iter()
        .filter(|d| d.queue.broker_name == "broker-b")
        .collect();
    assert_eq!(failing.len(), 4);
    h.kill_broker("broker-b");
    h.drive();
    for d in &failing {
        h.ack(d.id, ConsumeResult::Later { delay_level: 1 });
    }
    h.set_listener(|_| ConsumeResult::Success);
    // Re-sent to the retry topic's queue on broker-a (delay level 3, 10 s), then consumed.
    h.advance(Duration::from_secs(15));
    let retried: Vec<_> = h
        .events()
        .iter()
        .filter_map(|e| match e {
            rocketmq_core::Event::Deliver(d) if d.queue.topic == "%RETRY%cg" => {
                Some(bodies(&d.messages))
            }
            _ => None,
        })
        .flatten()
        .collect();
    let mut retried = retried;
    retried.sort();
    let want: Vec<String> = (0..4).map(|q| format!("broker-b-{q}-fails")).collect();
    assert_eq!(retried, want);
    assert!(delivered_set(&h, c).len() > 8);
}
