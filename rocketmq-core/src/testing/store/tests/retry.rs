//! Send-back: delay levels on the virtual clock, retry topic, DLQ; DELAY on a plain send.

use std::time::{Duration, Instant};

use rocketmq_proto::message::{keys, Message, MessageExt};
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::*;

const RETRY: &str = "%RETRY%cg";
const DLQ: &str = "%DLQ%cg";

/// CONSUMER_SEND_MSG_BACK of the message at `phys`.
fn send_back(phys: i64, delay_level: i32, max: Option<i32>) -> RemotingCommand {
    let mut cmd = RemotingCommand::request(RequestCode::CONSUMER_SEND_MSG_BACK);
    cmd.ext_fields.insert("offset", phys.to_string());
    cmd.ext_fields.insert("group", GROUP);
    cmd.ext_fields.insert("delayLevel", delay_level.to_string());
    cmd.ext_fields.insert("originMsgId", "ORIGIN");
    if let Some(max) = max {
        cmd.ext_fields.insert("maxReconsumeTimes", max.to_string());
    }
    cmd
}

/// Puts one tagged, keyed message and returns it as stored.
fn original(s: &mut BrokerStore, now: Instant) -> MessageExt {
    let msg = tagged("TagA", "payload").with_keys(["k1"]).with_flag(3);
    s.put(now, WALL, TOPIC, 0, msg);
    s.messages(TOPIC, 0).remove(0)
}

/// Sends back `phys` at `now` and checks the answer is SUCCESS.
fn back(s: &mut BrokerStore, now: Instant, phys: i64, level: i32, max: Option<i32>) {
    let r = call(s, now, &send_back(phys, level, max));
    assert_eq!(r.response_code(), ResponseCode::SUCCESS, "{r:?}");
}

/// Checks the next deadline is `due`, that nothing reaches the retry queue before it, and that
/// one message does at `due` (stored at wall time `WALL + 1`); returns that message.
#[track_caller]
fn due_at(s: &mut BrokerStore, due: Instant) -> MessageExt {
    assert_eq!(s.next_deadline(), Some(due));
    let before = s.messages(RETRY, 0).len();
    s.poll_outbound(due - Duration::from_millis(1), WALL);
    assert_eq!(s.messages(RETRY, 0).len(), before, "not visible before due");
    s.poll_outbound(due, WALL + 1);
    let msgs = s.messages(RETRY, 0);
    assert_eq!(msgs.len(), before + 1, "visible when due");
    msgs[before].clone()
}

#[test]
fn sent_back_message_reaches_the_retry_topic_after_its_delay() {
    let t0 = Instant::now();
    let mut s = store();
    let orig = original(&mut s, t0);
    back(&mut s, t0, orig.commit_log_offset, 2, None);
    assert!(s.messages(RETRY, 0).is_empty());
    assert!(s.take_created_topics().contains(&(RETRY.to_owned(), 1)));
    let retried = due_at(&mut s, at(t0, 5_000));
    assert_eq!(retried.reconsume_times, 1);
    assert_eq!(retried.message.property(keys::RETRY_TOPIC), Some(TOPIC));
    assert_eq!(
        retried.message.property(keys::ORIGIN_MESSAGE_ID),
        Some("ORIGIN")
    );
    assert_eq!(retried.message.property(keys::DELAY), None);
    assert_eq!(retried.message.tags(), Some("TagA"));
    assert_eq!(retried.message.keys(), Some("k1"));
    assert_eq!(
        (retried.message.flag, &retried.message.body[..]),
        (3, &b"payload"[..])
    );
    assert_eq!(retried.msg_id, orig.msg_id, "UNIQ_KEY kept");
    assert_eq!(retried.store_timestamp, WALL + 1);
}

#[test]
fn level_zero_is_three_plus_the_reconsume_times() {
    let t0 = Instant::now();
    let mut s = store();
    let orig = original(&mut s, t0);
    back(&mut s, t0, orig.commit_log_offset, 0, None);
    let first = due_at(&mut s, at(t0, 10_000)); // level 3
    let t1 = at(t0, 10_000);
    back(&mut s, t1, first.commit_log_offset, 0, None);
    let second = due_at(&mut s, at(t1, 30_000)); // level 4
    assert_eq!(second.reconsume_times, 2);
    assert_eq!(second.message.property(keys::RETRY_TOPIC), Some(TOPIC));
}

#[test]
fn a_level_above_the_table_is_capped() {
    let t0 = Instant::now();
    let mut s = store_with(|c| c.delay_levels.truncate(2));
    let orig = original(&mut s, t0);
    back(&mut s, t0, orig.commit_log_offset, 9, None);
    due_at(&mut s, at(t0, 5_000));
}

#[test]
fn reaching_max_reconsume_times_goes_to_the_dlq() {
    let t0 = Instant::now();
    let mut s = store();
    let orig = original(&mut s, t0);
    back(&mut s, t0, orig.commit_log_offset, 1, Some(1));
    let retried = due_at(&mut s, at(t0, 1_000));
    back(&mut s, at(t0, 1_000), retried.commit_log_offset, 1, Some(1));
    let dead = s.messages(DLQ, 0);
    assert_eq!(dead.len(), 1, "at once, no delay");
    assert_eq!(dead[0].reconsume_times, 2);
    assert_eq!(dead[0].message.property(keys::RETRY_TOPIC), Some(TOPIC));
    assert!(s.take_created_topics().contains(&(DLQ.to_owned(), 1)));
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn the_default_max_reconsume_times_applies_without_the_header() {
    let t0 = Instant::now();
    let mut s = store_with(|c| c.default_max_reconsume_times = 0);
    let orig = original(&mut s, t0);
    back(&mut s, t0, orig.commit_log_offset, 1, None);
    assert_eq!(s.messages(DLQ, 0).len(), 1);
}

#[test]
fn a_negative_level_goes_to_the_dlq() {
    let t0 = Instant::now();
    let mut s = store();
    let orig = original(&mut s, t0);
    back(&mut s, t0, orig.commit_log_offset, -1, None);
    assert_eq!(bodies(&s.messages(DLQ, 0)), ["payload"]);
    assert!(s.messages(RETRY, 0).is_empty());
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn an_unknown_offset_is_a_system_error() {
    let t0 = Instant::now();
    let mut s = store();
    let r = call(&mut s, t0, &send_back(12345, 0, None));
    assert_eq!(r.response_code(), ResponseCode::SYSTEM_ERROR);
}

#[test]
fn a_due_retry_wakes_a_held_pull_on_the_retry_queue() {
    let t0 = Instant::now();
    let mut s = store();
    let orig = original(&mut s, t0);
    back(&mut s, t0, orig.commit_log_offset, 1, None);
    let pull = Pull::at(0).topic(RETRY, 0).suspend(15_000);
    assert!(matches!(
        s.handle(t0, WALL, 9, &pull.cmd()),
        Handled::Suspended
    ));
    assert_eq!(s.next_deadline(), Some(at(t0, 1_000)));
    let out = s.poll_outbound(at(t0, 1_000), WALL);
    assert_eq!(out.len(), 1);
    assert_eq!(bodies(&pulled(&out[0].1)), ["payload"]);
}

#[test]
fn a_plain_send_with_a_delay_level_is_scheduled() {
    let t0 = Instant::now();
    let mut s = store();
    let msg = Message::new(TOPIC, "later").with_delay_level(1);
    assert_eq!(
        call(&mut s, t0, &send_cmd(&msg, 2)).response_code(),
        ResponseCode::SUCCESS
    );
    assert!(s.messages(TOPIC, 2).is_empty());
    assert_eq!(s.messages("SCHEDULE_TOPIC_XXXX", 0).len(), 1);
    s.poll_outbound(at(t0, 999), WALL);
    assert!(s.messages(TOPIC, 2).is_empty());
    s.poll_outbound(at(t0, 1_000), WALL);
    let delivered = s.messages(TOPIC, 2);
    assert_eq!(bodies(&delivered), ["later"]);
    assert_eq!(delivered[0].message.property(keys::DELAY), None);
    assert_eq!(delivered[0].message.property(keys::REAL_TOPIC), Some(TOPIC));
}
