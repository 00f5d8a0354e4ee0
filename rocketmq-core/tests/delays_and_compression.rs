//! Delays (levels and 5.x timers) on the wire and their refusals; bodies compressed with
//! the configured algorithm and read back intact.

use std::time::{Duration, Instant};
mod common;

use common::*;
use rocketmq_core::testing::{Harness, Reply};
use rocketmq_core::{Message, SendError, UsageError};
use rocketmq_proto::message::compress::CompressionType;
use rocketmq_proto::message::{decode_properties, keys, Delay, ValidationError};
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

fn one_broker() -> Harness {
    Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .topic("T", &[("broker-a", 1)])
        .build()
}

fn last_send(h: &Harness) -> RemotingCommand {
    h.broker("broker-a")
        .received()
        .iter()
        .rev()
        .find(|c| c.code == RequestCode::SEND_MESSAGE_V2.0)
        .cloned()
        .expect("a send")
}

fn sent_props(h: &Harness) -> rocketmq_proto::message::Properties {
    decode_properties(last_send(h).ext_fields.get("i").unwrap_or_default())
}

#[test]
fn a_delay_level_is_stored_out_of_sight_until_it_is_due() {
    let mut h = one_broker();
    let p = producer(&mut h, |_| {});
    let id = h.send(p, Message::new("T", "later").with_delay_level(2));
    h.drive();
    h.send_result(id).unwrap().unwrap();
    assert_eq!(sent_props(&h).get(keys::DELAY), Some("2"));
    assert!(
        h.store("broker-a").messages("T", 0).is_empty(),
        "not visible before 5 s"
    );
    h.advance(Duration::from_millis(4900));
    assert!(h.store("broker-a").messages("T", 0).is_empty());
    h.advance(Duration::from_millis(200));
    let stored = h.store("broker-a").messages("T", 0);
    assert_eq!(stored.len(), 1, "visible after 5 s");
    assert_eq!(stored[0].message.body.as_ref(), b"later");
}

#[test]
fn timer_delays_travel_as_the_5x_properties() {
    let mut h = one_broker();
    let p = producer(&mut h, |_| {});
    let cases = [
        (
            Message::new("T", "a").with_delay(Duration::from_secs(2)),
            keys::TIMER_DELAY_SEC,
            "2",
        ),
        (
            Message::new("T", "b").with_delay(Duration::from_millis(2500)),
            keys::TIMER_DELAY_MS,
            "2500",
        ),
        (
            Message::new("T", "c").with_deliver_time(1_900_000_000_000),
            keys::TIMER_DELIVER_MS,
            "1900000000000",
        ),
    ];
    for (msg, key, value) in cases {
        let id = h.send(p, msg);
        h.drive();
        h.send_result(id).unwrap().unwrap();
        let props = sent_props(&h);
        assert_eq!(props.get(key), Some(value));
        let others = rocketmq_proto::message::DELAY_KEYS
            .iter()
            .filter(|k| **k != key);
        assert!(
            others.into_iter().all(|k| props.get(k).is_none()),
            "{props:?}"
        );
    }
}

#[test]
fn malformed_delays_are_refused_before_sending() {
    let mut h = one_broker();
    let p = producer(&mut h, |_| {});
    for (key, value) in [
        (keys::DELAY, "two"),
        (keys::TIMER_DELAY_SEC, "-5"),
        (keys::TIMER_DELAY_MS, "0"),
        (keys::TIMER_DELIVER_MS, "soon"),
    ] {
        let msg = Message::new("T", "x").with_property(key, value);
        let r = h.try_send(p, msg, Default::default());
        assert_eq!(
            r,
            Err(UsageError::InvalidMessage(ValidationError::InvalidDelay {
                key,
                value: value.into()
            }))
        );
    }
    assert_eq!(h.send_requests(), 0);
}

#[test]
fn a_refused_timer_message_is_a_timer_error_and_not_retried() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    let remark = "Timer message validation failed. Check delay time constraints.";
    for b in ["broker-a", "broker-b"] {
        h.broker_mut(b).push_reply(Reply::CodeWithRemark(
            ResponseCode::MESSAGE_ILLEGAL,
            remark.into(),
        ));
    }
    let id = h.send(p, Message::new("T", "x").with_deliver_time(1_000));
    h.drive();
    let err = h.send_result(id).unwrap().unwrap_err();
    match &err {
        SendError::TimerRejected {
            delay, remark: r, ..
        } => {
            assert_eq!(*delay, Some(Delay::At(1_000)));
            assert_eq!(r, remark);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.broker_code(), Some(ResponseCode::MESSAGE_ILLEGAL));
    assert_eq!(h.send_requests(), 1, "code 13 is not retried");
    // The same code for a message without a timer stays a plain broker error.
    for b in ["broker-a", "broker-b"] {
        h.broker_mut(b).set_default_reply(Reply::CodeWithRemark(
            ResponseCode::MESSAGE_ILLEGAL,
            remark.into(),
        ));
    }
    let id = h.send(p, Message::new("T", "y"));
    h.drive();
    assert!(matches!(
        h.send_result(id),
        Some(Err(SendError::Broker { .. }))
    ));
}

#[test]
fn each_compression_type_is_flagged_sent_smaller_and_stored_intact() {
    let body: Vec<u8> = (0..64 * 1024)
        .map(|i| b"rocketmq compresses "[i % 20])
        .collect();
    for ty in [
        CompressionType::Zlib,
        CompressionType::Lz4,
        CompressionType::Zstd,
    ] {
        let mut h = one_broker();
        let p = producer(&mut h, |c| c.compress_type = ty);
        let id = h.send(p, Message::new("T", body.clone()));
        h.drive();
        h.send_result(id).unwrap().unwrap();
        let req = last_send(&h);
        let flag: i32 = req.ext_fields.get("f").unwrap().parse().unwrap();
        assert_eq!(flag, 1 | ty.sys_flag(), "{ty:?}");
        assert!(
            req.body.len() < body.len() / 20,
            "{ty:?}: {}",
            req.body.len()
        );
        let stored = h.store("broker-a").messages("T", 0);
        assert_eq!(stored[0].message.body.as_ref(), body.as_slice(), "{ty:?}");
    }
}

#[test]
fn small_or_incompressible_bodies_travel_as_they_are() {
    let mut h = one_broker();
    let p = producer(&mut h, |c| c.compress_type = CompressionType::Zstd);
    // Below the 4 KiB threshold.
    let id = h.send(p, Message::new("T", vec![b'a'; 4095]));
    h.drive();
    h.send_result(id).unwrap().unwrap();
    assert_eq!(last_send(&h).ext_fields.get("f"), Some("0"));
    // Above it, but compression would not shrink it.
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let noise: Vec<u8> = (0..8192)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let id = h.send(p, Message::new("T", noise.clone()));
    h.drive();
    h.send_result(id).unwrap().unwrap();
    let req = last_send(&h);
    assert_eq!(req.ext_fields.get("f"), Some("0"));
    assert_eq!(req.body.as_ref(), noise.as_slice());
}
