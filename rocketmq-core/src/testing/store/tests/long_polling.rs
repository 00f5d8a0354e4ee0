//! Long polling: held pulls answered on arrival or timeout; short polling.

use std::time::Instant;

use rocketmq_proto::message::Message;
use rocketmq_proto::ResponseCode;

use super::*;

/// Session of the held pulls.
const PULLER: Session = 5;

/// Holds a pull at `offset` for 15 s on `PULLER`.
fn hold(s: &mut BrokerStore, now: Instant, pull: Pull) {
    let handled = s.handle(now, WALL, PULLER, &pull.suspend(15_000).cmd());
    assert!(matches!(handled, Handled::Suspended), "{handled:?}");
}

#[test]
fn pull_at_max_is_held_and_answered_when_a_message_arrives() {
    let t0 = Instant::now();
    let mut s = store();
    put_n(&mut s, t0, 1);
    hold(&mut s, t0, Pull::at(1));
    assert_eq!(s.next_deadline(), Some(at(t0, 15_000)));
    assert!(s.poll_outbound(at(t0, 100), WALL).is_empty());
    let sent = call(
        &mut s,
        at(t0, 200),
        &send_cmd(&Message::new(TOPIC, "late"), 0),
    );
    assert_eq!(sent.response_code(), ResponseCode::SUCCESS);
    let out = s.poll_outbound(at(t0, 200), WALL);
    assert_eq!(out.len(), 1);
    let (session, answer) = &out[0];
    assert_eq!((*session, answer.opaque), (PULLER, 11));
    assert_eq!(bodies(&pulled(answer)), ["late"]);
    assert_eq!(ext_i64(answer, "nextBeginOffset"), 2);
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn held_pull_times_out_with_not_found() {
    let t0 = Instant::now();
    let mut s = store();
    put_n(&mut s, t0, 1);
    hold(&mut s, t0, Pull::at(1));
    assert!(s.poll_outbound(at(t0, 14_999), WALL).is_empty());
    let out = s.poll_outbound(at(t0, 15_000), WALL);
    assert_eq!(out.len(), 1);
    let answer = &out[0].1;
    assert_eq!(answer.response_code(), ResponseCode::PULL_NOT_FOUND);
    assert_eq!(ext_i64(answer, "nextBeginOffset"), 1);
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn put_wakes_a_held_pull() {
    let t0 = Instant::now();
    let mut s = store();
    hold(&mut s, t0, Pull::at(0));
    s.put(at(t0, 10), WALL, TOPIC, 0, Message::new(TOPIC, "put"));
    let out = s.poll_outbound(at(t0, 10), WALL);
    assert_eq!(bodies(&pulled(&out[0].1)), ["put"]);
}

#[test]
fn a_message_for_another_queue_does_not_wake_a_held_pull() {
    let t0 = Instant::now();
    let mut s = store();
    hold(&mut s, t0, Pull::at(0));
    s.put(t0, WALL, TOPIC, 1, Message::new(TOPIC, "elsewhere"));
    s.put(t0, WALL, "Other", 0, Message::new("Other", "elsewhere"));
    assert!(s.poll_outbound(t0, WALL).is_empty());
    assert_eq!(s.next_deadline(), Some(at(t0, 15_000)));
}

#[test]
fn a_filtered_out_message_does_not_wake_a_held_pull() {
    let t0 = Instant::now();
    let mut s = store();
    hold(&mut s, t0, Pull::at(0).tags("TagA"));
    s.put(t0, WALL, TOPIC, 0, tagged("TagB", "b"));
    assert!(s.poll_outbound(t0, WALL).is_empty());
    s.put(t0, WALL, TOPIC, 0, tagged("TagA", "a"));
    let out = s.poll_outbound(t0, WALL);
    assert_eq!(bodies(&pulled(&out[0].1)), ["a"]);
    assert_eq!(ext_i64(&out[0].1, "nextBeginOffset"), 2);
}

#[test]
fn closing_the_session_drops_its_held_pulls() {
    let t0 = Instant::now();
    let mut s = store();
    hold(&mut s, t0, Pull::at(0));
    s.session_closed(t0, PULLER);
    assert_eq!(s.next_deadline(), None);
    s.put(t0, WALL, TOPIC, 0, Message::new(TOPIC, "x"));
    assert!(s.poll_outbound(at(t0, 20_000), WALL).is_empty());
}

#[test]
fn commit_offset_is_not_stored_again_when_a_held_pull_wakes() {
    let t0 = Instant::now();
    let mut s = store();
    put_n(&mut s, t0, 5);
    hold(&mut s, t0, Pull::at(5).commit(5));
    assert_eq!(s.consumer_offset(GROUP, TOPIC, 0), Some(5));
    s.set_consumer_offset(GROUP, TOPIC, 0, 2);
    s.put(t0, WALL, TOPIC, 0, Message::new(TOPIC, "x"));
    assert_eq!(s.poll_outbound(t0, WALL).len(), 1);
    assert_eq!(s.consumer_offset(GROUP, TOPIC, 0), Some(2));
}

#[test]
fn short_polling_holds_one_second_and_ignores_arrivals() {
    let t0 = Instant::now();
    let mut s = store_with(|c| c.long_polling = false);
    hold(&mut s, t0, Pull::at(0));
    assert_eq!(s.next_deadline(), Some(at(t0, 1000)));
    s.put(at(t0, 10), WALL, TOPIC, 0, Message::new(TOPIC, "x"));
    assert!(s.poll_outbound(at(t0, 999), WALL).is_empty());
    let out = s.poll_outbound(at(t0, 1000), WALL);
    assert_eq!(bodies(&pulled(&out[0].1)), ["x"]);
}
