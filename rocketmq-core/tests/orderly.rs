//! An orderly push consumer (CONSUMER.md §4): a queue is locked at its broker before
//! anything is delivered; its deliveries come one at a time in offset order; a failed one
//! comes again after its suspension, never skipped; deliveries stop once the lock is lost or
//! older than the 30 s the client trusts it; past the reconsume limit a message goes to the
//! dead-letter queue and the queue moves on.

#[path = "common/consumer_b.rs"]
mod consumer_b;

use std::time::Duration;

use bytes::Bytes;
use consumer_b::*;
use rocketmq_core::proto::body::{LockBatchRequestBody, LockBatchResponseBody, MessageQueue};
use rocketmq_core::proto::header::LockBatchMqRequestHeader;
use rocketmq_core::proto::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq_core::testing::{Harness, StoreConfig};
use rocketmq_core::{ConsumeResult, ConsumerId, Delivery};

/// Another member of the group takes queue T/0's lock through a session of its own.
fn lock_as_other(h: &mut Harness, client_id: &str) -> Vec<String> {
    let body = LockBatchRequestBody {
        client_id: client_id.to_owned(),
        consumer_group: "cg".to_owned(),
        mq_set: vec![mq("T", 0)],
        only_this_broker: false,
    };
    let mut cmd = RemotingCommand::request(RequestCode::LOCK_BATCH_MQ)
        .with_body(Bytes::from(body.to_json().into_bytes()));
    LockBatchMqRequestHeader {
        broker_name: Some(BROKER.to_owned()),
    }
    .to_ext_fields(&mut cmd.ext_fields);
    let answer = h.request(ADDR, cmd).expect("an answer");
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let granted = LockBatchResponseBody::from_json(&answer.body).expect("a lock answer");
    granted
        .lock_ok_mq_set
        .iter()
        .map(|mq| format!("{}/{}", mq.topic, mq.queue_id))
        .collect()
}

/// Answers the pending delivery (exactly one) with `result`; returns its bodies.
fn answer_one(h: &mut Harness, result: ConsumeResult) -> Vec<String> {
    let ds = h.deliveries();
    assert_eq!(ds.len(), 1, "exactly one delivery pending: {ds:?}");
    assert!(ds[0].orderly);
    h.ack(ds[0].id, result);
    bodies(ds[0].messages.iter())
}

#[test]
fn a_queue_is_locked_at_the_broker_before_anything_is_delivered() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..3);
    h.start_consumer(orderly_from_first("cg"), &[("T", "*")]);
    assert_eq!(h.deliveries().len(), 1);
    let id = h.client.client_id().to_owned();
    assert_eq!(
        h.store(BROKER).lock_owner(h.now, "cg", &mq("T", 0)),
        Some(id)
    );
    // The lock request for T/0 went out, and was answered, before any pull of T/0.
    let log = h.broker(BROKER).received();
    let names_t0 = |c: &RemotingCommand| {
        LockBatchRequestBody::from_json(&c.body).is_ok_and(|b| b.mq_set.contains(&mq("T", 0)))
    };
    let lock = log
        .iter()
        .position(|c| c.request_code() == RequestCode::LOCK_BATCH_MQ && names_t0(c))
        .expect("T/0 locked");
    let pull = log
        .iter()
        .position(|c| {
            c.request_code() == RequestCode::PULL_MESSAGE
                && c.ext_fields.get("topic") == Some("T")
                && c.ext_fields.get("queueId") == Some("0")
        })
        .expect("T/0 pulled");
    assert!(
        lock < pull,
        "locked (at {lock}) before the first pull (at {pull})"
    );
}

#[test]
fn a_queues_deliveries_come_one_at_a_time_in_offset_order() {
    let mut h = one_broker(2);
    produce(&mut h, 0, "a", 0..4);
    produce(&mut h, 1, "b", 0..4);
    let c = h.start_consumer(orderly_from_first("cg"), &[("T", "*")]);
    let mut seen = Vec::new();
    for _ in 0..4 {
        let ds = h.deliveries();
        assert_eq!(ds.len(), 2, "one delivery per queue, not more: {ds:?}");
        let mut queues: Vec<i32> = ds.iter().map(|d| d.queue.queue_id).collect();
        queues.sort();
        assert_eq!(queues, [0, 1]);
        for d in ds {
            assert_eq!(d.messages.len(), 1);
            seen.push(body(&d.messages[0]));
            h.ack(d.id, ConsumeResult::Success);
        }
        h.drive();
    }
    assert!(h.deliveries().is_empty());
    let a: Vec<String> = seen
        .iter()
        .filter(|b| b.starts_with('a'))
        .cloned()
        .collect();
    let b: Vec<String> = seen
        .iter()
        .filter(|b| b.starts_with('b'))
        .cloned()
        .collect();
    assert_eq!(a, names("a", 0..4), "queue 0 in offset order");
    assert_eq!(b, names("b", 0..4), "queue 1 in offset order");
    assert_eq!(h.delivered(c).len(), 8, "each exactly once");
}

#[test]
fn a_suspended_delivery_comes_again_after_its_suspension_then_the_rest_in_order() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..3);
    let c = h.start_consumer(orderly_from_first("cg"), &[("T", "*")]);
    assert_eq!(
        answer_one(&mut h, ConsumeResult::Suspend(Duration::from_secs(2))),
        ["m0"]
    );
    h.advance(Duration::from_millis(1999));
    assert!(
        h.deliveries().is_empty(),
        "suspended for 2 s; m1 not delivered"
    );
    h.advance(Duration::from_millis(1));
    let again = h.deliveries();
    assert_eq!(again.len(), 1);
    assert_eq!(
        body(&again[0].messages[0]),
        "m0",
        "the same message, not skipped"
    );
    assert_eq!(again[0].messages[0].reconsume_times, 1);
    assert_eq!(answer_one(&mut h, ConsumeResult::Success), ["m0"]);
    h.drive();
    assert_eq!(answer_one(&mut h, ConsumeResult::Success), ["m1"]);
    h.drive();
    assert_eq!(answer_one(&mut h, ConsumeResult::Success), ["m2"]);
    h.drive();
    assert_eq!(
        bodies(&h.delivered(c)),
        ["m0", "m0", "m1", "m2"],
        "in order"
    );
    h.advance(Duration::from_secs(10));
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(3));
}

#[test]
fn deliveries_stop_while_another_client_holds_the_lock_and_resume_once_it_is_renewed() {
    let mut h = builder(1)
        .store_config(StoreConfig {
            lock_lifetime: Duration::from_secs(5),
            commit_log_stride: Some(100),
            ..StoreConfig::default()
        })
        .build();
    produce(&mut h, 0, "m", 0..3);
    let start = h.now;
    let c = h.start_consumer(orderly_from_first("cg"), &[("T", "*")]);
    let first = h.deliveries();
    assert_eq!(first.len(), 1, "m0 delivered, its answer held");
    // Renewed at 1 s, our lock lapses at 6 s; another member takes it at 20.5 s, just
    // before our renewal at 21 s, which is refused.
    h.advance(start + Duration::from_millis(20_500) - h.now);
    assert_eq!(lock_as_other(&mut h, "10.9.9.9@other"), ["T/0"]);
    h.advance(Duration::from_secs(1));
    h.ack(first[0].id, ConsumeResult::Success);
    h.advance(Duration::from_millis(19_400));
    assert!(h.now - start < Duration::from_secs(41));
    assert!(h.deliveries().is_empty(), "no delivery without the lock");
    assert_eq!(bodies(&h.delivered(c)), ["m0"]);
    // The other member's lock lapsed at 25.5 s: our renewal at 41 s takes it back.
    h.advance(Duration::from_millis(200));
    let id = h.client.client_id().to_owned();
    assert_eq!(
        h.store(BROKER).lock_owner(h.now, "cg", &mq("T", 0)),
        Some(id)
    );
    assert_eq!(
        answer_one(&mut h, ConsumeResult::Success),
        ["m1"],
        "resumed in order"
    );
}

#[test]
fn deliveries_stop_once_the_lock_could_not_be_renewed_for_30_s() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..3);
    let c = h.start_consumer(orderly_from_first("cg"), &[("T", "*")]);
    let start = h.now;
    let m0 = h.deliveries();
    assert_eq!(m0.len(), 1);
    // Last renewal at 1 s; then the broker is gone and every renewal fails.
    h.advance(Duration::from_secs(2));
    h.kill_broker(BROKER);
    h.advance(Duration::from_secs(23));
    h.ack(m0[0].id, ConsumeResult::Success);
    let m1 = h.deliveries();
    assert_eq!(
        bodies(m1[0].messages.iter()),
        ["m1"],
        "at 25 s the lock is trusted"
    );
    h.advance(Duration::from_secs(7));
    assert!(h.now - start > Duration::from_secs(31));
    h.ack(m1[0].id, ConsumeResult::Success);
    h.advance(Duration::from_secs(30));
    assert!(
        h.deliveries().is_empty(),
        "past 30 s without a renewal, m2 is not delivered"
    );
    assert_eq!(bodies(&h.delivered(c)), ["m0", "m1"]);
}

#[test]
fn past_max_reconsume_times_an_orderly_message_goes_to_the_dead_letter_queue_and_the_queue_moves_on(
) {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..2);
    let mut cfg = orderly_from_first("cg");
    cfg.max_reconsume_times = Some(1);
    let c = h.start_consumer(cfg, &[("T", "*")]);
    let later = ConsumeResult::Suspend(Duration::from_millis(100));
    assert_eq!(answer_one(&mut h, later), ["m0"]);
    h.advance(Duration::from_millis(100));
    assert_eq!(h.deliveries()[0].messages[0].reconsume_times, 1);
    assert_eq!(answer_one(&mut h, later), ["m0"]);
    h.drive();
    h.advance(Duration::from_secs(5));
    let dlq = h.store(BROKER).messages("%DLQ%cg", 0);
    assert_eq!(bodies(&dlq), ["m0"], "dead-lettered");
    assert_eq!(
        answer_one(&mut h, ConsumeResult::Success),
        ["m1"],
        "moved on"
    );
    h.advance(Duration::from_secs(60));
    assert!(h.deliveries().is_empty());
    assert_eq!(bodies(&h.delivered(c)), ["m0", "m0", "m1"]);
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(2));
}

#[test]
fn an_orderly_queue_moves_on_as_soon_as_its_dead_letter_is_stored() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..2);
    let mut cfg = orderly_from_first("cg");
    cfg.max_reconsume_times = Some(0);
    h.start_consumer(cfg, &[("T", "*")]);
    assert_eq!(
        answer_one(&mut h, ConsumeResult::Suspend(Duration::from_millis(100))),
        ["m0"]
    );
    h.drive();
    assert_eq!(bodies(&h.store(BROKER).messages("%DLQ%cg", 0)), ["m0"]);
    assert_eq!(h.deliveries().len(), 1, "m1 follows at once");
}

#[test]
fn an_orderly_delivery_answered_later_comes_again_after_the_default_suspend_time() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..2);
    let mut cfg = orderly_from_first("cg");
    cfg.suspend_current_queue_time = Duration::from_millis(1500);
    h.start_consumer(cfg, &[("T", "*")]);
    assert_eq!(
        answer_one(&mut h, ConsumeResult::Later { delay_level: 3 }),
        ["m0"]
    );
    h.advance(Duration::from_millis(1499));
    assert!(h.deliveries().is_empty());
    h.advance(Duration::from_millis(1));
    assert_eq!(answer_one(&mut h, ConsumeResult::Success), ["m0"]);
    h.drive();
    assert_eq!(answer_one(&mut h, ConsumeResult::Success), ["m1"]);
}

/// The client id of the other member of group `cg`.
const OTHER: &str = "0.0.0.0@other";

/// An orderly consumer of two queues, each with a delivery running; another member joins
/// and takes one queue while its delivery still runs here. Returns the consumer and that
/// delivery.
fn drop_a_queue_while_it_delivers(h: &mut Harness) -> (ConsumerId, Delivery) {
    produce(h, 0, "a", 0..3);
    produce(h, 1, "b", 0..3);
    let c = h.start_consumer(orderly_from_first("cg"), &[("T", "*")]);
    assert_eq!(h.deliveries().len(), 2);
    other_member_joins(h, OTHER, "cg", "T");
    h.drive();
    let held = assignment(h, c);
    assert_eq!(held.len(), 1, "one queue left: {held:?}");
    let running = h
        .deliveries()
        .into_iter()
        .find(|d| !held.contains(&d.queue))
        .expect("the dropped queue's delivery still runs");
    (c, running)
}

/// The other member leaves, and the broker notifies (as Java's does when a connection
/// closes).
fn other_member_leaves(h: &mut Harness) {
    h.close_raw(ADDR);
    assert!(h.inject(ADDR, &notify("cg")));
}

/// The queues consumer `c` holds.
fn assignment(h: &mut Harness, c: ConsumerId) -> Vec<MessageQueue> {
    h.client.consumer(c).expect("consumer").assignment()
}

#[test]
fn a_queue_held_again_while_its_dropped_delivery_runs_waits_for_it_and_keeps_its_lock() {
    let mut h = one_broker(2);
    let (c, dropped_delivery) = drop_a_queue_while_it_delivers(&mut h);
    let dropped = dropped_delivery.queue.clone();
    // The member leaves; the queue comes back before that delivery ends.
    other_member_leaves(&mut h);
    h.advance(Duration::from_secs(1));
    let held = assignment(&mut h, c);
    assert!(held.contains(&dropped), "held again: {held:?}");
    h.advance(Duration::from_secs(2));
    let on_dropped: Vec<_> = h
        .deliveries()
        .into_iter()
        .filter(|d| d.queue == dropped)
        .collect();
    assert_eq!(
        on_dropped.len(),
        1,
        "one delivery per queue, the old one still running: {on_dropped:?}"
    );
    let unlocks_before = unlocks_of(&h, &dropped);
    h.ack(dropped_delivery.id, ConsumeResult::Success);
    h.drive();
    assert_eq!(
        unlocks_of(&h, &dropped),
        unlocks_before,
        "the queue held again keeps the broker's lock"
    );
    let id = h.client.client_id().to_owned();
    assert_eq!(h.store(BROKER).lock_owner(h.now, "cg", &dropped), Some(id));
    // The old delivery was not committed: its messages come again, in order, then the rest.
    let mut seen = Vec::new();
    for _ in 0..10 {
        let Some(d) = h.deliveries().into_iter().find(|d| d.queue == dropped) else {
            break;
        };
        seen.extend(bodies(d.messages.iter()));
        h.ack(d.id, ConsumeResult::Success);
        h.drive();
    }
    let prefix = if dropped.queue_id == 0 { "a" } else { "b" };
    assert_eq!(seen, names(prefix, 0..3));
}

/// The UNLOCK_BATCH_MQ requests naming `queue`.
fn unlocks_of(h: &Harness, queue: &MessageQueue) -> usize {
    received(h, RequestCode::UNLOCK_BATCH_MQ)
        .iter()
        .filter(|c| {
            LockBatchRequestBody::from_json(&c.body).is_ok_and(|b| b.mq_set.contains(queue))
        })
        .count()
}

#[test]
fn a_queue_given_up_again_while_its_dropped_predecessor_delivers_is_unlocked_only_after_it() {
    let mut h = one_broker(2);
    let (c, running) = drop_a_queue_while_it_delivers(&mut h);
    let dropped = running.queue.clone();
    // Held again (the member left), then given up again (it is back), while the first
    // delivery still runs.
    other_member_leaves(&mut h);
    h.advance(Duration::from_secs(1));
    assert!(assignment(&mut h, c).contains(&dropped));
    let unlocks = unlocks_of(&h, &dropped);
    other_member_joins(&mut h, OTHER, "cg", "T");
    h.advance(Duration::from_secs(1));
    assert!(!assignment(&mut h, c).contains(&dropped));
    assert_eq!(
        unlocks_of(&h, &dropped),
        unlocks,
        "not unlocked under the delivery still running"
    );
    let id = h.client.client_id().to_owned();
    assert_eq!(h.store(BROKER).lock_owner(h.now, "cg", &dropped), Some(id));
    h.ack(running.id, ConsumeResult::Success);
    h.drive();
    assert_eq!(
        unlocks_of(&h, &dropped),
        unlocks + 1,
        "unlocked once that delivery ended"
    );
}

#[test]
fn an_offset_moved_on_a_queue_held_again_revokes_its_dropped_predecessors_delivery() {
    let mut h = one_broker(2);
    let (_, running) = drop_a_queue_while_it_delivers(&mut h);
    let dropped = running.queue.clone();
    // The message being delivered is deleted at the broker; then the queue comes back and
    // its first pull (from the stored offset, 0) is answered PULL_OFFSET_MOVED.
    h.store_mut(BROKER)
        .truncate_before("T", dropped.queue_id, 1);
    other_member_leaves(&mut h);
    h.advance(Duration::from_secs(2));
    let stored = h.store(BROKER).consumer_offset("cg", "T", dropped.queue_id);
    assert_eq!(stored, Some(1), "the offset moved past the deleted message");
    assert!(
        !h.deliveries().iter().any(|d| d.id == running.id),
        "the delivery of the deleted message is revoked, not left running behind the offset"
    );
}
