//! Garbage from a peer closes that connection only, with a typed error; other brokers keep working.

use std::time::Instant;
mod common;

use common::*;
use rocketmq_core::testing::Reply;
use rocketmq_core::{Event, SendError, TransportError};
use rocketmq_proto::DecodeError;

#[test]
fn garbage_frames_fail_the_send_with_a_protocol_error_and_retry_elsewhere() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    let mut garbage = 40u32.to_be_bytes().to_vec();
    garbage.extend_from_slice(&[9u8; 40]); // serialize type 9
    h.broker_mut("broker-a")
        .set_default_reply(Reply::Garbage(garbage));
    for _ in 0..6 {
        assert_eq!(send_one(&mut h, p).unwrap().queue.broker_name, "broker-b");
    }
    // The close reason is typed: the peer's protocol violation, with the decode error.
    let lost: Vec<&TransportError> = h
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::ConnectionLost { addr, reason } if addr == "10.0.0.1:10911" => Some(reason),
            _ => None,
        })
        .collect();
    assert!(!lost.is_empty());
    assert!(lost.iter().all(|r| matches!(
        r,
        TransportError::Protocol {
            error: DecodeError::UnknownSerializeType(9),
            ..
        }
    )));
}

#[test]
fn oversize_length_is_a_typed_error() {
    let mut h = rocketmq_core::testing::Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .topic("T", &[("broker-a", 4)])
        .build();
    let p = producer(&mut h, |c| c.retry_times_when_send_failed = 0);
    h.broker_mut("broker-a")
        .set_default_reply(Reply::Garbage(u32::MAX.to_be_bytes().to_vec()));
    let err = send_one(&mut h, p).unwrap_err();
    assert!(
        matches!(
            err.root_cause(),
            SendError::Transport {
                error: TransportError::Protocol {
                    error: DecodeError::FrameTooLarge { .. },
                    ..
                },
                ..
            }
        ),
        "{err}"
    );
}
