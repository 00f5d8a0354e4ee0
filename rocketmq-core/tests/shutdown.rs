//! Shutdown completes every pending send exactly once, unregisters, and leaves nothing behind.

mod common;

use common::*;
use rocketmq_core::testing::Reply;
use rocketmq_core::{Event, Message, SendError, ServiceState, UsageError};
use rocketmq_proto::RequestCode;

#[test]
fn pending_sends_complete_once_with_shutdown_and_clients_unregister() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    for b in ["broker-a", "broker-b"] {
        h.broker_mut(b).set_default_reply(Reply::Drop);
    }
    let ids: Vec<_> = (0..8)
        .map(|i| h.send(p, Message::new("T", format!("{i}"))))
        .collect();
    let waiting_route = h.send(p, Message::new("Other", "x"));
    h.pump();
    h.client.shutdown(h.now);
    h.drive();
    for id in ids.iter().chain([&waiting_route]) {
        assert_eq!(h.completions(*id), 1);
        assert_eq!(
            h.send_result(*id).unwrap().unwrap_err(),
            SendError::Shutdown
        );
    }
    assert_eq!(
        h.broker("broker-a")
            .received_count(RequestCode::UNREGISTER_CLIENT),
        1
    );
    assert_eq!(
        h.broker("broker-b")
            .received_count(RequestCode::UNREGISTER_CLIENT),
        1
    );
    let unreg = h
        .broker("broker-a")
        .received()
        .iter()
        .find(|c| c.request_code() == RequestCode::UNREGISTER_CLIENT)
        .unwrap();
    assert_eq!(unreg.ext_fields.get("clientID"), Some(h.client.client_id()));
    assert_eq!(unreg.ext_fields.get("producerGroup"), Some("pg"));
    assert_eq!(
        h.events()
            .iter()
            .filter(|e| matches!(e, Event::ShutdownComplete))
            .count(),
        1
    );
    assert_eq!(h.client.state(), ServiceState::ShutdownAlready);
    assert_eq!(h.client.pending_sends(), 0);
    assert_eq!(h.client.in_flight_requests(), 0);
    assert_eq!(h.client.armed_timers(), 0);
    assert_eq!(h.client.poll_timeout(), None);
    // Nothing more happens, ever.
    h.advance(std::time::Duration::from_secs(600));
    assert_eq!(
        h.broker("broker-a").received_count(RequestCode::HEART_BEAT),
        1
    );
}

#[test]
fn send_after_shutdown_is_a_usage_error_naming_the_state() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    h.client
        .producer(p)
        .expect("known producer")
        .shutdown(h.now);
    h.drive();
    let err = h
        .client
        .producer(p)
        .and_then(|x| x.send(h.now, Message::new("T", "x"), Default::default()))
        .unwrap_err();
    assert!(
        matches!(&err, UsageError::NotRunning { state: ServiceState::ShutdownAlready, group } if group == "pg"),
        "{err}"
    );
    assert!(err.to_string().contains("pg"));
}

#[test]
fn shutdown_completes_even_if_brokers_never_answer_unregister() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    h.kill_broker("broker-a");
    h.blackhole("10.0.0.2:10911");
    h.drive();
    h.client.shutdown(h.now);
    let start = h.now;
    h.drive();
    assert!(h
        .events()
        .iter()
        .any(|e| matches!(e, Event::ShutdownComplete)));
    assert!(h.now - start <= std::time::Duration::from_secs(3));
}

#[test]
fn shutting_down_one_producer_keeps_the_other_running() {
    let mut h = two_brokers();
    let p1 = producer(&mut h, |_| {});
    let p2 = h.start_producer(rocketmq_core::ProducerConfig::new("pg2"));
    send_one(&mut h, p1).unwrap();
    h.client
        .producer(p1)
        .expect("known producer")
        .shutdown(h.now);
    h.drive();
    assert_eq!(h.client.state(), ServiceState::Running);
    assert!(send_one(&mut h, p2).is_ok());
    assert_eq!(
        h.broker("broker-a")
            .received_count(RequestCode::UNREGISTER_CLIENT),
        1
    );
}
