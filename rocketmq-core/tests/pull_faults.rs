//! A pull is never abandoned (CONSUMER.md §3.4): a pull answered with an error, or never
//! answered, is sent again after its backoff or timeout and the queue's messages arrive; an
//! orderly queue whose lock is refused delivers nothing until a later lock succeeds. The
//! faults are scripted per request code on the simulated broker.

#[path = "common/consumer_b.rs"]
mod consumer_b;

use std::time::Duration;

use consumer_b::*;
use rocketmq_core::proto::{RequestCode, ResponseCode};
use rocketmq_core::testing::Reply;
use rocketmq_core::ConsumeResult;

#[test]
fn a_pull_answered_with_an_error_is_sent_again_after_the_backoff() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..3);
    // Every pull fails until the consumer has sent its first one of T.
    h.broker_mut(BROKER).set_reply_to(
        RequestCode::PULL_MESSAGE,
        Some(Reply::Code(ResponseCode::SYSTEM_ERROR)),
    );
    h.set_listener(|_| ConsumeResult::Success);
    let t0 = h.now;
    let c = h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    assert_eq!(pulls_of(&h, "T"), 1);
    h.broker_mut(BROKER)
        .set_reply_to(RequestCode::PULL_MESSAGE, None);
    h.advance(Duration::from_millis(999));
    assert!(h.delivered(c).is_empty(), "nothing before the 1 s backoff");
    assert_eq!(pulls_of(&h, "T"), 1);
    h.advance(Duration::from_millis(1));
    assert_eq!(bodies(&h.delivered(c)), names("m", 0..3));
    // The first pull at once (the broker has answered the heartbeat), then the 1 s backoff.
    assert_eq!(h.now - t0, Duration::from_millis(1_000));
}

#[test]
fn a_pull_never_answered_is_sent_again_after_its_timeout() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..2);
    h.broker_mut(BROKER)
        .push_reply_to(RequestCode::PULL_MESSAGE, Reply::Drop);
    h.set_listener(|_| ConsumeResult::Success);
    let c = h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    // consumerTimeoutMillisWhenSuspend (30 s) then pullTimeDelayMillsWhenException (1 s).
    h.advance(Duration::from_secs(30));
    assert!(
        h.delivered(c).is_empty(),
        "still waiting for the lost answer"
    );
    h.advance(Duration::from_secs(2));
    assert_eq!(bodies(&h.delivered(c)), names("m", 0..2));
    // The lost pull, the one sent again, and the next one (held by the broker).
    assert_eq!(pulls_of(&h, "T"), 3);
}

#[test]
fn pulls_failing_for_a_minute_resume_once_the_broker_answers() {
    let mut h = one_broker(2);
    h.broker_mut(BROKER).set_reply_to(
        RequestCode::PULL_MESSAGE,
        Some(Reply::Code(ResponseCode::SYSTEM_BUSY)),
    );
    h.set_listener(|_| ConsumeResult::Success);
    let c = h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    produce(&mut h, 0, "a", 0..2);
    produce(&mut h, 1, "b", 0..2);
    h.advance(Duration::from_secs(60));
    assert!(h.delivered(c).is_empty());
    let tries = pulls_of(&h, "T");
    assert!(
        (110..=122).contains(&tries),
        "two queues, one pull a second each: {tries}"
    );
    h.broker_mut(BROKER)
        .set_reply_to(RequestCode::PULL_MESSAGE, None);
    h.advance(Duration::from_secs(2));
    let mut got = bodies(&h.delivered(c));
    got.sort();
    assert_eq!(got, ["a0", "a1", "b0", "b1"]);
}

#[test]
fn an_orderly_queue_whose_lock_is_refused_waits_for_a_later_lock() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..2);
    h.broker_mut(BROKER).set_reply_to(
        RequestCode::LOCK_BATCH_MQ,
        Some(Reply::Code(ResponseCode::SYSTEM_ERROR)),
    );
    h.set_listener(|_| ConsumeResult::Success);
    let c = h.start_consumer(orderly_from_first("cg"), &[("T", "*")]);
    h.advance(Duration::from_secs(25));
    assert!(h.delivered(c).is_empty(), "no delivery without the lock");
    assert_eq!(pulls_of(&h, "T"), 0);
    h.broker_mut(BROKER)
        .set_reply_to(RequestCode::LOCK_BATCH_MQ, None);
    // The next lock (the 20 s lock pass, or the rebalance's) takes it.
    h.advance(Duration::from_secs(20));
    assert_eq!(bodies(&h.delivered(c)), names("m", 0..2));
}
