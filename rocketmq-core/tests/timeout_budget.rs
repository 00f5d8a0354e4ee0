//! The send timeout bounds all attempts together: 3 s in all, never 3 x 3 s.

mod common;

use std::time::Duration;

use common::*;
use rocketmq_core::testing::Reply;
use rocketmq_core::{Message, SendError, SendOptions};
use rocketmq_proto::{RequestCode, ResponseCode};

#[test]
fn dropped_responses_fail_at_the_deadline_with_one_attempt() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    h.broker_mut("broker-a").set_default_reply(Reply::Drop);
    h.broker_mut("broker-b").set_default_reply(Reply::Drop);
    let start = h.now;
    let id = h.send(p, Message::new("T", "x"));
    h.drive();
    let err = h.send_result(id).unwrap().unwrap_err();
    assert_eq!(h.completed_at(id).unwrap() - start, Duration::from_secs(3));
    match &err {
        SendError::Timeout {
            attempts,
            elapsed,
            last,
            ..
        } => {
            assert_eq!(*attempts, 1);
            assert_eq!(*elapsed, Duration::from_secs(3));
            assert!(
                matches!(last.as_deref(), Some(SendError::Transport { .. })),
                "{err}"
            );
        }
        e => panic!("expected a timeout, got {e}"),
    }
}

#[test]
fn slow_failures_consume_the_budget_so_later_attempts_are_not_made() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    // Each broker answers SYSTEM_BUSY after 1.6 s: the second answer arrives at 3.2 s.
    for b in ["broker-a", "broker-b"] {
        h.broker_mut(b).set_default_reply(Reply::Delay(
            Duration::from_millis(1600),
            Box::new(Reply::Code(ResponseCode::SYSTEM_BUSY)),
        ));
    }
    let start = h.now;
    let id = h.send(p, Message::new("T", "x"));
    h.drive();
    let err = h.send_result(id).unwrap().unwrap_err();
    assert_eq!(h.completed_at(id).unwrap() - start, Duration::from_secs(3));
    assert!(
        matches!(err, SendError::Timeout { attempts: 2, .. }),
        "{err}"
    );
    assert_eq!(h.send_requests(), 2);
}

#[test]
fn per_send_timeout_overrides_the_producer_default() {
    let mut h = two_brokers();
    let p = producer(&mut h, |c| c.send_timeout = Duration::from_secs(10));
    h.broker_mut("broker-a").set_default_reply(Reply::Drop);
    h.broker_mut("broker-b").set_default_reply(Reply::Drop);
    let start = h.now;
    let opts = SendOptions {
        timeout: Some(Duration::from_millis(500)),
        ..SendOptions::default()
    };
    let id = h.send_with(p, Message::new("T", "x"), opts);
    h.drive();
    assert!(h.send_result(id).unwrap().is_err());
    assert_eq!(
        h.completed_at(id).unwrap() - start,
        Duration::from_millis(500)
    );
}

#[test]
fn no_timers_are_left_behind_after_completion() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    let base = h.client.armed_timers();
    for _ in 0..10 {
        send_one(&mut h, p).unwrap();
    }
    h.broker_mut("broker-a").set_default_reply(Reply::Drop);
    h.broker_mut("broker-b").set_default_reply(Reply::Drop);
    let _ = send_one(&mut h, p);
    assert_eq!(h.client.pending_sends(), 0);
    assert_eq!(h.client.in_flight_requests(), 0);
    assert_eq!(
        h.client.armed_timers(),
        base,
        "only the periodic timers remain"
    );
    let _ = RequestCode::HEART_BEAT;
}

#[test]
fn a_timeout_lists_every_broker_tried_in_order_with_the_one_in_flight_last() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    // Each broker fails fast once, then never answers: attempt 3 is in flight at the deadline.
    for b in ["broker-a", "broker-b"] {
        h.broker_mut(b)
            .push_reply(Reply::Code(ResponseCode::SYSTEM_BUSY))
            .set_default_reply(Reply::Drop);
    }
    let id = h.send(p, Message::new("T", "x"));
    h.drive();
    match h.send_result(id).unwrap().unwrap_err() {
        SendError::Timeout {
            attempts, brokers, ..
        } => {
            assert_eq!(attempts, 3);
            assert_eq!(brokers.len(), 3, "{brokers:?}");
            // Retries avoid the broker that just failed, so the order alternates.
            assert!(brokers.windows(2).all(|w| w[0] != w[1]), "{brokers:?}");
        }
        e => panic!("expected a timeout, got {e}"),
    }
}

#[test]
fn exhausted_retries_list_every_broker_tried() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    for b in ["broker-a", "broker-b"] {
        h.broker_mut(b)
            .set_default_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    }
    let id = h.send(p, Message::new("T", "x"));
    h.drive();
    match h.send_result(id).unwrap().unwrap_err() {
        SendError::RetriesExhausted {
            attempts, brokers, ..
        } => {
            assert_eq!(attempts, 3);
            assert_eq!(brokers.len(), 3, "{brokers:?}");
            assert!(brokers.windows(2).all(|w| w[0] != w[1]), "{brokers:?}");
        }
        e => panic!("expected exhausted retries, got {e}"),
    }
}
