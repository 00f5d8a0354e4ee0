//! A connection lost with requests in flight fails them; sends retry on another broker.

use std::time::Instant;
mod common;

use common::*;
use rocketmq_core::testing::Reply;
use rocketmq_core::{Event, Message, SendError, TransportError};

#[test]
fn close_mid_flight_retries_on_the_other_broker() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    h.broker_mut("broker-a").set_default_reply(Reply::Close);
    for _ in 0..6 {
        let r = send_one(&mut h, p).unwrap();
        assert_eq!(r.queue.broker_name, "broker-b");
    }
    assert!(h
        .events()
        .iter()
        .any(|e| matches!(e, Event::ConnectionLost { addr, .. } if addr == "10.0.0.1:10911")));
}

#[test]
fn many_in_flight_on_one_connection_all_complete_once() {
    let mut h = rocketmq_core::testing::Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .topic("T", &[("broker-a", 4)])
        .build();
    let p = producer(&mut h, |c| c.retry_times_when_send_failed = 0);
    send_one(&mut h, p).unwrap();
    h.broker_mut("broker-a").set_default_reply(Reply::Drop);
    let ids: Vec<_> = (0..16)
        .map(|i| h.send(p, Message::new("T", format!("{i}"))))
        .collect();
    h.kill_broker("broker-a");
    h.drive();
    for id in ids {
        assert_eq!(h.completions(id), 1);
        let err = h.send_result(id).unwrap().unwrap_err();
        assert!(
            matches!(
                err.root_cause(),
                SendError::Transport {
                    error: TransportError::ConnectionClosed { .. },
                    ..
                } | SendError::Transport {
                    error: TransportError::ConnectFailed { .. },
                    ..
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn the_connection_is_reopened_for_later_sends() {
    let mut h = rocketmq_core::testing::Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .topic("T", &[("broker-a", 4)])
        .build();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    h.kill_broker("broker-a");
    h.drive();
    assert!(send_one(&mut h, p).is_err());
    h.revive_broker("broker-a");
    assert!(send_one(&mut h, p).is_ok());
}
