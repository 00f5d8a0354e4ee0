//! Orderly locks: grant, refusal, expiry, unlock.

use std::time::Instant;

use rocketmq_proto::body::{LockBatchRequestBody, LockBatchResponseBody, MessageQueue};
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::*;

/// Queue `id` of `TOPIC` on broker-a.
fn mq(id: i32) -> MessageQueue {
    MessageQueue::new(TOPIC, "broker-a", id)
}

/// A lock or unlock request from `client` for queues `ids`.
fn lock_cmd(code: RequestCode, client: &str, ids: &[i32]) -> RemotingCommand {
    let body = LockBatchRequestBody {
        client_id: client.into(),
        consumer_group: GROUP.into(),
        mq_set: ids.iter().map(|&i| mq(i)).collect(),
        only_this_broker: false,
    };
    RemotingCommand::request(code).with_body(body.to_json())
}

/// Locks `ids` for `client` at `now`; returns the queue ids granted.
fn lock(s: &mut BrokerStore, now: Instant, client: &str, ids: &[i32]) -> Vec<i32> {
    let r = call(s, now, &lock_cmd(RequestCode::LOCK_BATCH_MQ, client, ids));
    assert_eq!(r.response_code(), ResponseCode::SUCCESS);
    let body = LockBatchResponseBody::from_json(&r.body).unwrap();
    body.lock_ok_mq_set.iter().map(|m| m.queue_id).collect()
}

#[test]
fn free_queues_are_granted_and_renewed() {
    let t0 = Instant::now();
    let mut s = store();
    assert_eq!(lock(&mut s, t0, CLIENT_A, &[0, 1]), [0, 1]);
    assert_eq!(s.lock_owner(t0, GROUP, &mq(0)).as_deref(), Some(CLIENT_A));
    assert_eq!(lock(&mut s, at(t0, 50_000), CLIENT_A, &[0]), [0]);
    assert_eq!(
        s.lock_owner(at(t0, 100_000), GROUP, &mq(0)).as_deref(),
        Some(CLIENT_A)
    );
    assert_eq!(
        s.lock_owner(at(t0, 100_000), GROUP, &mq(1)),
        None,
        "not renewed"
    );
}

#[test]
fn a_queue_locked_by_another_client_is_refused() {
    let t0 = Instant::now();
    let mut s = store();
    lock(&mut s, t0, CLIENT_A, &[0]);
    assert_eq!(lock(&mut s, at(t0, 60_000), CLIENT_B, &[0, 1]), [1]);
    assert_eq!(
        s.lock_owner(at(t0, 60_000), GROUP, &mq(0)).as_deref(),
        Some(CLIENT_A)
    );
}

#[test]
fn an_expired_lock_is_free() {
    let t0 = Instant::now();
    let mut s = store_with(|c| c.lock_lifetime = Duration::from_secs(5));
    lock(&mut s, t0, CLIENT_A, &[0]);
    assert_eq!(s.lock_owner(at(t0, 5_001), GROUP, &mq(0)), None);
    assert_eq!(lock(&mut s, at(t0, 5_001), CLIENT_B, &[0]), [0]);
}

#[test]
fn unlock_releases_only_the_callers_locks() {
    let t0 = Instant::now();
    let mut s = store();
    lock(&mut s, t0, CLIENT_A, &[0]);
    lock(&mut s, t0, CLIENT_B, &[1]);
    let r = call(
        &mut s,
        t0,
        &lock_cmd(RequestCode::UNLOCK_BATCH_MQ, CLIENT_A, &[0, 1]),
    );
    assert_eq!(r.response_code(), ResponseCode::SUCCESS);
    assert_eq!(s.lock_owner(t0, GROUP, &mq(0)), None);
    assert_eq!(s.lock_owner(t0, GROUP, &mq(1)).as_deref(), Some(CLIENT_B));
}
