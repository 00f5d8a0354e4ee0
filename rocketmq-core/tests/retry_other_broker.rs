//! A failed attempt is retried on another broker.

use std::time::Instant;
mod common;

use common::*;
use rocketmq_core::testing::Reply;
use rocketmq_proto::{RequestCode, ResponseCode};

#[test]
fn retry_avoids_the_broker_that_just_failed() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    for _ in 0..20 {
        h.broker_mut("broker-a")
            .push_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
        h.broker_mut("broker-b")
            .push_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
        let id = h.send(p, rocketmq_core::Message::new("T", "x"));
        h.drive();
        h.send_result(id).unwrap().unwrap();
        // Busy on one broker, then on the other, then stored on the first: 3 attempts
        // that alternate brokers, and both one-shot replies are used up each round.
        assert_eq!(h.send_attempts(id), 3);
    }
}

#[test]
fn every_retry_goes_to_the_other_broker() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    h.broker_mut("broker-a")
        .set_default_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    for _ in 0..10 {
        let before_a = h
            .broker("broker-a")
            .received_count(RequestCode::SEND_MESSAGE_V2);
        let r = send_one(&mut h, p).unwrap();
        assert_eq!(r.queue.broker_name, "broker-b");
        let tries_a = h
            .broker("broker-a")
            .received_count(RequestCode::SEND_MESSAGE_V2)
            - before_a;
        assert!(tries_a <= 1, "broker-a tried {tries_a} times in one send");
    }
}

#[test]
fn one_broker_only_retries_on_it() {
    let mut h = rocketmq_core::testing::Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .topic("T", &[("broker-a", 4)])
        .build();
    let p = producer(&mut h, |_| {});
    h.broker_mut("broker-a")
        .push_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    let r = send_one(&mut h, p).unwrap();
    assert_eq!(r.queue.broker_name, "broker-a");
    assert_eq!(
        h.broker("broker-a")
            .received_count(RequestCode::SEND_MESSAGE_V2),
        2
    );
}
