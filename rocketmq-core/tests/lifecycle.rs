//! Producer lifecycle: CreateJust -> Running -> ShutdownAlready, StartFailed; misuse is typed.

mod common;

use common::*;
use rocketmq_core::{ConfigError, Message, ProducerConfig, ServiceState, UsageError};

#[test]
fn start_twice_is_an_error_naming_the_state() {
    let mut h = two_brokers();
    let p = h.client.create_producer(ProducerConfig::new("pg"));
    assert_eq!(h.client.producer_state(p), Some(ServiceState::CreateJust));
    h.client.producer(p).and_then(|x| x.start(h.now)).unwrap();
    assert_eq!(h.client.producer_state(p), Some(ServiceState::Running));
    let err = h
        .client
        .producer(p)
        .and_then(|x| x.start(h.now))
        .unwrap_err();
    assert_eq!(
        err,
        UsageError::CannotStart {
            group: "pg".into(),
            state: ServiceState::Running
        }
    );
}

#[test]
fn send_before_start_is_an_error() {
    let mut h = two_brokers();
    let p = h.client.create_producer(ProducerConfig::new("pg"));
    let err = h
        .client
        .producer(p)
        .and_then(|x| x.send(h.now, Message::new("T", "x"), Default::default()))
        .unwrap_err();
    assert!(matches!(
        err,
        UsageError::NotRunning {
            state: ServiceState::CreateJust,
            ..
        }
    ));
}

#[test]
fn a_group_registered_twice_in_one_instance_fails_naming_the_group() {
    let mut h = two_brokers();
    producer(&mut h, |_| {});
    let p2 = h.client.create_producer(ProducerConfig::new("pg"));
    let err = h
        .client
        .producer(p2)
        .and_then(|x| x.start(h.now))
        .unwrap_err();
    assert_eq!(err, UsageError::DuplicateGroup("pg".into()));
    assert!(err.to_string().contains("`pg`"));
    assert_eq!(h.client.producer_state(p2), Some(ServiceState::StartFailed));
    // A failed start cannot be retried.
    assert!(matches!(
        h.client.producer(p2).and_then(|x| x.start(h.now)),
        Err(UsageError::CannotStart {
            state: ServiceState::StartFailed,
            ..
        })
    ));
}

#[test]
fn invalid_config_fails_start() {
    let mut h = two_brokers();
    let p = h.client.create_producer(ProducerConfig::new("bad group"));
    assert!(matches!(
        h.client.producer(p).and_then(|x| x.start(h.now)),
        Err(UsageError::Config(ConfigError::InvalidGroup(_)))
    ));
    assert_eq!(h.client.producer_state(p), Some(ServiceState::StartFailed));
}

#[test]
fn invalid_messages_are_rejected_before_anything_is_sent() {
    let mut h = two_brokers();
    let p = producer(&mut h, |c| c.max_message_size = 16);
    let now = h.now;
    let bad = [
        Message::new("T", ""),
        Message::new("", "x"),
        Message::new("bad topic", "x"),
        Message::new("T", vec![0u8; 17]),
        Message::new("SCHEDULE_TOPIC_XXXX", "x"),
    ];
    for m in bad {
        let err = h
            .client
            .producer(p)
            .and_then(|x| x.send(now, m.clone(), Default::default()))
            .unwrap_err();
        assert!(matches!(err, UsageError::InvalidMessage(_)), "{m:?}: {err}");
    }
    h.drive();
    assert_eq!(h.send_requests(), 0);
    assert_eq!(h.client.pending_sends(), 0);
}
