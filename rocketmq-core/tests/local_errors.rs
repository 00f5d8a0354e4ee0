//! The client's own failures are reported as its own, and the errors it reports for the peer
//! say what really happened: a request it cannot encode is a local `Encode` error (nothing
//! sent, the connection untouched), and a connection closed after a request timed out names
//! how long that request waited.

mod common;

use std::time::Duration;

use common::*;
use rocketmq_core::testing::Reply;
use rocketmq_core::{Event, Message, SendError, SendOptions, TransportError};
use rocketmq_proto::{EncodeError, RequestCode};

#[test]
fn a_header_the_frame_cannot_hold_is_a_local_encode_error() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    let sends_before = h.send_requests();
    // A property of 17 MiB: the header exceeds the frame format's 24-bit header length.
    let huge = "x".repeat(17 << 20);
    let id = h.send(p, Message::new("T", "x").with_property("BIG", huge));
    h.drive();
    assert_eq!(h.completions(id), 1);
    let err = h.send_result(id).unwrap().unwrap_err();
    assert!(
        matches!(err, SendError::Encode(EncodeError::HeaderTooLarge(_))),
        "{err:?}"
    );
    assert_eq!(h.send_requests(), sends_before, "nothing was written");
    assert!(
        !h.events()
            .iter()
            .any(|e| matches!(e, Event::ConnectionLost { .. })),
        "the connection is not blamed"
    );
    // The connection keeps working.
    send_one(&mut h, p).unwrap();
}

#[test]
fn a_connection_closed_after_a_timeout_reports_how_long_the_request_waited() {
    let mut h = two_brokers();
    let p = producer(&mut h, |c| c.retry_times_when_send_failed = 0);
    send_one(&mut h, p).unwrap();
    for b in ["broker-a", "broker-b"] {
        h.broker_mut(b).set_default_reply(Reply::Drop);
    }
    // Later than the last answer, so the connection is silent from the send on.
    h.advance(Duration::from_secs(1));
    let opts = SendOptions {
        timeout: Some(Duration::from_millis(1700)),
        ..SendOptions::default()
    };
    let id = h.send_with(p, Message::new("T", "x"), opts);
    h.drive();
    assert!(h.send_result(id).unwrap().is_err());
    let waited: Vec<Duration> = h
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::ConnectionLost {
                reason: TransportError::RequestTimeout { waited, .. },
                ..
            } => Some(*waited),
            _ => None,
        })
        .collect();
    // The send's budget, not the connect timeout (3 s).
    assert_eq!(waited, [Duration::from_millis(1700)]);
    assert_eq!(
        h.broker("broker-a")
            .received_count(RequestCode::SEND_MESSAGE_V2)
            + h.broker("broker-b")
                .received_count(RequestCode::SEND_MESSAGE_V2),
        2
    );
}
