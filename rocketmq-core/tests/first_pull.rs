//! When a push consumer's new queue first pulls: Java waits 500 ms so that the heartbeat
//! carrying the new subscription version reaches the broker first; this client pulls at once
//! when the broker has already answered that heartbeat on the connection the pull takes.

#[path = "common/consumer_b.rs"]
mod consumer_b;

use std::time::Duration;

use consumer_b::*;
use rocketmq_core::proto::RequestCode;
use rocketmq_core::testing::{Harness, Reply};
use rocketmq_core::{ConsumeResult, ConsumerId};

/// Creates and starts a push consumer of `topic` without letting the harness settle (the
/// test moves the clock itself).
fn start_unsettled(h: &mut Harness, topic: &str) -> ConsumerId {
    let now = h.now;
    let id = h.client.create_consumer(push_from_first("cg"));
    let subscribed = h
        .client
        .consumer(id)
        .and_then(|c| c.subscribe(now, topic, "*"));
    subscribed.expect("subscribed");
    let started = h.client.consumer(id).and_then(|c| c.start(now));
    started.expect("started");
    id
}

#[test]
fn a_new_queue_pulls_at_once_when_the_broker_has_answered_the_heartbeat() {
    let mut h = one_broker(2);
    produce(&mut h, 0, "m", 0..3);
    h.set_listener(|_| ConsumeResult::Success);
    let t0 = h.now;
    let c = h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    assert_eq!(bodies(&h.delivered(c)), names("m", 0..3));
    assert!(
        h.now - t0 < Duration::from_millis(50),
        "delivered after {:?}",
        h.now - t0
    );
}

#[test]
fn a_new_queue_waits_500_ms_while_its_heartbeat_is_unanswered() {
    let mut h = one_broker(2);
    produce(&mut h, 0, "m", 0..3);
    // The broker answers heartbeats only after 2 s.
    h.broker_mut(BROKER).set_reply_to(
        RequestCode::HEART_BEAT,
        Some(Reply::Delay(
            Duration::from_secs(2),
            Box::new(Reply::Normal),
        )),
    );
    h.set_listener(|_| ConsumeResult::Success);
    let id = start_unsettled(&mut h, "T");
    h.advance(Duration::from_millis(499));
    assert_eq!(pulls_of(&h, "T"), 0, "no pull before 500 ms");
    h.advance(Duration::from_millis(1));
    assert!(pulls_of(&h, "T") >= 2, "both queues pull at 500 ms");
    h.advance(Duration::from_millis(10));
    assert_eq!(bodies(&h.delivered(id)), names("m", 0..3));
}

#[test]
fn a_topic_subscribed_in_the_same_millisecond_waits_for_its_own_heartbeat() {
    let mut h = builder(2).topic("U", &[(BROKER, 2)]).build();
    produce(&mut h, 0, "m", 0..1);
    h.set_listener(|_| ConsumeResult::Success);
    let c = h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    // From now on heartbeats go unanswered; U is subscribed without the clock moving, so its
    // subscription version (ms) equals the one the answered heartbeat carried.
    h.broker_mut(BROKER)
        .set_reply_to(RequestCode::HEART_BEAT, Some(Reply::Drop));
    let now = h.now;
    let subscribed = h
        .client
        .consumer(c)
        .and_then(|c| c.subscribe(now, "U", "*"));
    subscribed.expect("subscribed");
    h.advance(Duration::from_millis(499));
    assert_eq!(pulls_of(&h, "U"), 0, "U's heartbeat was never answered");
    h.advance(Duration::from_millis(1));
    assert!(pulls_of(&h, "U") >= 1, "then Java's 500 ms");
}

#[test]
fn a_new_queue_pulls_as_soon_as_a_late_heartbeat_answer_arrives() {
    let mut h = one_broker(2);
    produce(&mut h, 0, "m", 0..3);
    // Heartbeats are answered 100 ms late, after the queues' start offsets are known.
    h.broker_mut(BROKER).set_reply_to(
        RequestCode::HEART_BEAT,
        Some(Reply::Delay(
            Duration::from_millis(100),
            Box::new(Reply::Normal),
        )),
    );
    h.set_listener(|_| ConsumeResult::Success);
    let id = start_unsettled(&mut h, "T");
    h.advance(Duration::from_millis(99));
    assert_eq!(
        pulls_of(&h, "T"),
        0,
        "no pull before the heartbeat is answered"
    );
    h.advance(Duration::from_millis(150));
    assert!(
        pulls_of(&h, "T") >= 2,
        "both queues pull once it is, long before 500 ms"
    );
    assert_eq!(bodies(&h.delivered(id)), names("m", 0..3));
}
