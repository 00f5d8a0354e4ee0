//! Tag subscriptions: the broker filters by tag hash, the client re-checks the exact tag, so
//! a message whose tag only collides with a subscribed one is never delivered; what either
//! filtered out is still committed.

mod common;

use std::time::{Duration, Instant};

use common::consumer::*;
use rocketmq_core::proto::body::java_string_hash;
use rocketmq_core::testing::Harness;
use rocketmq_core::{ConsumeResult, ConsumerId, Message};

/// One broker with topic `T` of one queue.
fn one_queue() -> Harness {
    Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 1)])
        .build()
}

/// Stores `(body, tag)` messages in `T` queue 0 (`None`: untagged).
fn produce(h: &mut Harness, msgs: &[(&str, Option<&'static str>)]) {
    for (body, tag) in msgs {
        let mut m = Message::new("T", (*body).to_owned());
        if let Some(t) = tag {
            m = m.with_tags(*t);
        }
        h.produce("broker-a", "T", 0, m);
    }
}

/// A consumer of `cg` with `expression` on `T`, from the first message, answering success.
fn start(h: &mut Harness, expression: &str) -> ConsumerId {
    h.set_listener(|_| ConsumeResult::Success);
    h.start_consumer(from_first("cg"), &[("T", expression)])
}

#[test]
fn a_tag_expression_delivers_only_the_tags_it_names() {
    let mut h = one_queue();
    produce(
        &mut h,
        &[
            ("a1", Some("TagA")),
            ("b1", Some("TagB")),
            ("c1", Some("TagC")),
            ("none", None),
            ("a2", Some("TagA")),
            ("ab", Some("TagA||TagB")),
        ],
    );
    let c = start(&mut h, "TagA || TagB");
    assert_eq!(bodies(&h.delivered(c)), ["a1", "b1", "a2"]);
}

#[test]
fn messages_filtered_out_by_the_broker_are_committed() {
    let mut h = one_queue();
    produce(
        &mut h,
        &[
            ("a1", Some("TagA")),
            ("c1", Some("TagC")),
            ("c2", Some("TagC")),
        ],
    );
    start(&mut h, "TagA || TagB");
    // The held pull comes back empty after 15 s; nothing cached, so its offset is consumed.
    h.advance(Duration::from_secs(21));
    assert_eq!(h.store("broker-a").consumer_offset("cg", "T", 0), Some(3));
}

#[test]
fn the_colliding_tags_used_here_collide() {
    assert_eq!(java_string_hash("Aa"), java_string_hash("BB"));
}

#[test]
fn a_tag_colliding_with_a_subscribed_one_passes_the_broker_but_not_the_client() {
    let mut h = one_queue();
    produce(
        &mut h,
        &[("bb", Some("BB")), ("aa", Some("Aa")), ("bb2", Some("BB"))],
    );
    let c = start(&mut h, "Aa");
    assert_eq!(bodies(&h.delivered(c)), ["aa"]);
}

#[test]
fn a_colliding_message_filtered_out_by_the_client_is_committed() {
    let mut h = one_queue();
    produce(&mut h, &[("aa", Some("Aa")), ("bb", Some("BB"))]);
    let c = start(&mut h, "Aa");
    assert_eq!(bodies(&h.delivered(c)), ["aa"]);
    h.advance(Duration::from_secs(21));
    assert_eq!(h.store("broker-a").consumer_offset("cg", "T", 0), Some(2));
}

#[test]
fn a_pull_of_colliding_messages_only_is_committed_too() {
    let mut h = one_queue();
    produce(&mut h, &[("bb", Some("BB")), ("bb2", Some("BB"))]);
    let c = start(&mut h, "Aa");
    assert!(h.delivered(c).is_empty());
    h.advance(Duration::from_secs(21));
    assert_eq!(h.store("broker-a").consumer_offset("cg", "T", 0), Some(2));
}

#[test]
fn a_colliding_message_between_two_delivered_ones_does_not_hold_the_offset() {
    let mut h = one_queue();
    produce(
        &mut h,
        &[("aa", Some("Aa")), ("bb", Some("BB")), ("aa2", Some("Aa"))],
    );
    let c = start(&mut h, "Aa");
    assert_eq!(bodies(&h.delivered(c)), ["aa", "aa2"]);
    h.advance(Duration::from_secs(11));
    assert_eq!(h.store("broker-a").consumer_offset("cg", "T", 0), Some(3));
}
