//! The harness's brokers store messages and answer consumer requests through their
//! `BrokerStore`: what producers send is stored, pulls (held or not) are answered, groups and
//! the topics they create reach the name server, sessions end with their connections.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use rocketmq_core::proto::body::{ConsumerData, HeartbeatData, SubscriptionData, TopicRouteData};
use rocketmq_core::proto::header::{
    GetRouteInfoRequestHeader, PullMessageRequestHeader, SendStatus,
};
use rocketmq_core::proto::message::flags::pull_sys_flag;
use rocketmq_core::proto::message::{decode_stored_messages, MessageExt};
use rocketmq_core::proto::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq_core::testing::{Harness, Reply, StoreConfig};
use rocketmq_core::{Event, Message};

const BROKER_A: &str = "10.0.0.1:10911";
const NAME_SERVER: &str = "ns1:9876";
const GROUP: &str = "cg";
const CONSUMER_ID: &str = "10.1.1.1@77#1";

/// One broker, `broker-a`, with 4 queues of topic `T`.
fn one_broker() -> Harness {
    one_broker_with(|b| b)
}

/// [`one_broker`] with `f` applied to the builder.
fn one_broker_with(
    f: impl FnOnce(rocketmq_core::testing::HarnessBuilder) -> rocketmq_core::testing::HarnessBuilder,
) -> Harness {
    let b = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 4)]);
    f(b).build()
}

/// A PULL_MESSAGE for `GROUP` from `offset` of `T` queue 0 with subscription `*`; held up to
/// `suspend_ms` when there is nothing new (0: not held).
fn pull(offset: i64, suspend_ms: i64) -> RemotingCommand {
    let mut sys_flag = pull_sys_flag::SUBSCRIPTION;
    if suspend_ms > 0 {
        sys_flag |= pull_sys_flag::SUSPEND;
    }
    let header = PullMessageRequestHeader {
        consumer_group: GROUP.into(),
        topic: "T".into(),
        queue_id: 0,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag,
        suspend_timeout_millis: suspend_ms,
        subscription: Some("*".into()),
        expression_type: Some("TAG".into()),
        ..PullMessageRequestHeader::default()
    };
    let mut cmd = RemotingCommand::request(RequestCode::PULL_MESSAGE);
    header.to_ext_fields(&mut cmd.ext_fields);
    cmd
}

/// A HEART_BEAT from `client_id` as a member of consumer group `GROUP` subscribing `T`.
fn consumer_heartbeat(client_id: &str) -> RemotingCommand {
    let consumer = ConsumerData {
        group_name: GROUP.into(),
        subscription_data_set: vec![SubscriptionData::from_tag_expression("T", "*", 1).unwrap()],
        ..ConsumerData::default()
    };
    let data = HeartbeatData {
        client_id: client_id.into(),
        consumer_data_set: vec![consumer],
        producer_data_set: Vec::new(),
    };
    RemotingCommand::request(RequestCode::HEART_BEAT).with_body(Bytes::from(data.to_json()))
}

/// The name server's route of `topic`, if it has one.
fn route(h: &mut Harness, topic: &str) -> Option<TopicRouteData> {
    let mut cmd = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC);
    GetRouteInfoRequestHeader::new(topic).to_ext_fields(&mut cmd.ext_fields);
    let answer = h
        .request(NAME_SERVER, cmd)
        .expect("the name server answers");
    (answer.response_code() == ResponseCode::SUCCESS)
        .then(|| TopicRouteData::from_json(&answer.body).expect("a route"))
}

/// The messages of a pull answer.
#[track_caller]
fn pulled(r: &RemotingCommand) -> Vec<MessageExt> {
    assert_eq!(r.response_code(), ResponseCode::SUCCESS, "{r:?}");
    decode_stored_messages(&r.body).expect("decodable records")
}

/// The bodies of messages, as text.
fn bodies(msgs: &[MessageExt]) -> Vec<String> {
    msgs.iter()
        .map(|m| String::from_utf8_lossy(&m.message.body).into_owned())
        .collect()
}

/// Puts `body` into `T` queue 0 of broker-a through its store (not through `produce`).
fn put(h: &mut Harness, body: &'static str) {
    let (now, wall_ms) = (h.now, h.wall_ms());
    h.store_mut("broker-a")
        .put(now, wall_ms, "T", 0, Message::new("T", body));
}

#[test]
fn sent_messages_are_stored_as_the_send_results_report() {
    let mut h = one_broker();
    let p = producer(&mut h, |_| {});
    let mut results = Vec::new();
    for body in ["m0", "m1", "m2", "m3", "m4"] {
        let id = h.send(p, Message::new("T", body));
        h.drive();
        results.push((body, h.send_result(id).unwrap().unwrap()));
    }
    assert_eq!(h.broker("broker-a").stored_count(), 5);
    for (body, r) in results {
        let stored = h.store("broker-a").messages("T", r.queue.queue_id);
        let m = stored
            .iter()
            .find(|m| m.queue_offset == r.queue_offset)
            .expect("stored at the reported offset");
        assert_eq!(&m.message.body[..], body.as_bytes());
        assert_eq!(m.msg_id, r.msg_id, "the UNIQ_KEY the result reports");
        assert_eq!(m.offset_msg_id, r.offset_msg_id);
    }
}

#[test]
fn a_send_answered_with_a_stored_status_is_stored_with_it() {
    let mut h = one_broker();
    let p = producer(&mut h, |_| {});
    h.broker_mut("broker-a")
        .push_reply(Reply::Code(ResponseCode::FLUSH_SLAVE_TIMEOUT));
    let r = send_one(&mut h, p).unwrap();
    assert_eq!(r.status, SendStatus::FlushSlaveTimeout);
    let stored = h.store("broker-a").messages("T", r.queue.queue_id);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].msg_id, r.msg_id);
}

#[test]
fn sends_leave_the_routes_as_they_are() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .topic("T", &[("broker-a", 2)])
        .build();
    let p = producer(&mut h, |_| {});
    for _ in 0..4 {
        send_one(&mut h, p).unwrap();
    }
    let r = route(&mut h, "T").expect("routed");
    assert_eq!(r.queue_datas[0].write_queue_nums, 2);
}

#[test]
fn a_send_answered_with_an_error_code_stores_nothing() {
    let mut h = one_broker();
    let p = producer(&mut h, |_| {});
    h.broker_mut("broker-a")
        .push_reply(Reply::Code(ResponseCode::SYSTEM_BUSY))
        .push_reply(Reply::Code(ResponseCode::SYSTEM_BUSY))
        .push_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    assert!(send_one(&mut h, p).is_err());
    let stored: usize = (0..4)
        .map(|q| h.store("broker-a").messages("T", q).len())
        .sum();
    assert_eq!((stored, h.broker("broker-a").stored_count()), (0, 0));
}

#[test]
fn a_pull_returns_the_stored_messages() {
    let mut h = one_broker();
    for body in ["a", "b", "c"] {
        h.produce("broker-a", "T", 0, Message::new("T", body));
    }
    let answer = h.request(BROKER_A, pull(1, 0)).expect("answered");
    assert_eq!(bodies(&pulled(&answer)), ["b", "c"]);
}

#[test]
fn a_held_pull_is_answered_when_a_message_is_put_without_time_passing() {
    let mut h = one_broker();
    assert!(h.request(BROKER_A, pull(0, 15_000)).is_none(), "held");
    assert!(h.take_raw(BROKER_A).is_empty());
    put(&mut h, "late");
    h.drive();
    let answers = h.take_raw(BROKER_A);
    assert_eq!(answers.len(), 1);
    assert_eq!(bodies(&pulled(&answers[0])), ["late"]);
    assert_eq!(h.elapsed(), Duration::ZERO);
}

#[test]
fn a_held_pull_is_answered_at_its_suspend_timeout_by_advance() {
    let mut h = one_broker();
    assert!(h.request(BROKER_A, pull(0, 15_000)).is_none(), "held");
    h.drive();
    assert_eq!(
        h.elapsed(),
        Duration::ZERO,
        "drive does not wait for a held pull"
    );
    h.advance(Duration::from_millis(14_999));
    assert!(h.take_raw(BROKER_A).is_empty());
    h.advance(Duration::from_millis(1));
    let answers = h.take_raw(BROKER_A);
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].response_code(), ResponseCode::PULL_NOT_FOUND);
}

#[test]
fn a_delayed_message_reaches_its_topic_when_advance_passes_its_due_time() {
    let mut h = one_broker();
    assert!(h.request(BROKER_A, pull(0, 15_000)).is_none(), "held");
    h.produce(
        "broker-a",
        "T",
        0,
        Message::new("T", "later").with_delay_level(1),
    );
    h.drive();
    assert!(h.store("broker-a").messages("T", 0).is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(bodies(&h.store("broker-a").messages("T", 0)), ["later"]);
    let answers = h.take_raw(BROKER_A);
    assert_eq!(answers.len(), 1, "the held pull woke");
    assert_eq!(bodies(&pulled(&answers[0])), ["later"]);
}

#[test]
fn the_builder_store_config_applies_to_every_broker() {
    let config = StoreConfig {
        long_polling: false,
        ..StoreConfig::default()
    };
    let mut h = one_broker_with(|b| b.store_config(config));
    assert!(h.request(BROKER_A, pull(0, 15_000)).is_none(), "held");
    put(&mut h, "late");
    h.drive();
    assert!(h.take_raw(BROKER_A).is_empty(), "short polling: no wake-up");
    h.advance(Duration::from_secs(1));
    assert_eq!(h.take_raw(BROKER_A).len(), 1);
}

#[test]
fn a_broker_store_config_applies_to_that_broker_only() {
    let config = StoreConfig {
        long_polling: false,
        ..StoreConfig::default()
    };
    let h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER_A)
        .broker("broker-b", "10.0.0.2:10911")
        .topic("T", &[("broker-a", 4), ("broker-b", 4)])
        .broker_store_config("broker-b", config)
        .build();
    assert!(h.store("broker-a").config().long_polling);
    assert!(!h.store("broker-b").config().long_polling);
}

#[test]
fn a_consumer_heartbeat_is_answered_after_the_notification_it_causes() {
    let mut h = one_broker();
    let answer = h
        .request(BROKER_A, consumer_heartbeat(CONSUMER_ID))
        .expect("answered");
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let received = h.take_raw(BROKER_A);
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].request_code(),
        RequestCode::NOTIFY_CONSUMER_IDS_CHANGED
    );
    assert!(received[1].is_response());
    assert_eq!(h.store("broker-a").members(GROUP), [CONSUMER_ID]);
}

#[test]
fn a_group_s_retry_topic_reaches_the_name_server_s_routes() {
    let mut h = one_broker();
    let retry = format!("%RETRY%{GROUP}");
    assert!(route(&mut h, &retry).is_none());
    h.request(BROKER_A, consumer_heartbeat(CONSUMER_ID));
    let r = route(&mut h, &retry).expect("routed");
    let q = &r.queue_datas[0];
    assert_eq!(
        (q.broker_name.as_str(), q.read_queue_nums, q.perm),
        ("broker-a", 1, 6)
    );
    assert_eq!(r.broker_datas[0].broker_addrs[&0], BROKER_A);
}

#[test]
fn produce_adds_a_topic_outside_the_routes_and_the_client_can_send_to_it() {
    let mut h = one_broker();
    assert_eq!(h.produce("broker-a", "New", 5, Message::new("New", "x")), 0);
    let r = route(&mut h, "New").expect("routed");
    assert_eq!(r.queue_datas[0].write_queue_nums, 6);
    let p = producer(&mut h, |_| {});
    let id = h.send(p, Message::new("New", "y"));
    h.drive();
    assert!(h.send_result(id).unwrap().is_ok());
}

#[test]
fn a_killed_broker_keeps_its_messages() {
    let mut h = one_broker();
    let p = producer(&mut h, |_| {});
    let r = send_one(&mut h, p).unwrap();
    h.kill_broker("broker-a");
    h.drive();
    assert_eq!(h.store("broker-a").messages("T", r.queue.queue_id).len(), 1);
    assert!(h.request(BROKER_A, pull(0, 0)).is_none(), "down");
    h.revive_broker("broker-a");
    h.produce("broker-a", "T", 0, Message::new("T", "q0"));
    let stored: usize = (0..4)
        .map(|q| h.store("broker-a").messages("T", q).len())
        .sum();
    assert_eq!(stored, 2);
}

#[test]
fn killing_a_broker_drops_its_held_pulls() {
    let mut h = one_broker();
    assert!(h.request(BROKER_A, pull(0, 15_000)).is_none(), "held");
    assert_eq!(h.store("broker-a").held_pulls(), 1);
    h.kill_broker("broker-a");
    assert_eq!(h.store("broker-a").held_pulls(), 0);
    h.revive_broker("broker-a");
    put(&mut h, "late");
    h.advance(Duration::from_secs(20));
    assert!(h.take_raw(BROKER_A).is_empty());
}

#[test]
fn a_closed_raw_session_leaves_its_group() {
    let mut h = one_broker();
    h.request(BROKER_A, consumer_heartbeat(CONSUMER_ID));
    assert_eq!(h.store("broker-a").members(GROUP), [CONSUMER_ID]);
    h.close_raw(BROKER_A);
    assert!(h.store("broker-a").members(GROUP).is_empty());
}

#[test]
fn a_connection_the_broker_closes_takes_the_client_out_of_its_groups() {
    let mut h = one_broker();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    assert_eq!(h.store("broker-a").producers("pg").len(), 1, "heart-beated");
    h.broker_mut("broker-a").push_reply(Reply::Close);
    let id = h.send(p, Message::new("T", "x"));
    h.advance(Duration::ZERO);
    assert!(h.store("broker-a").producers("pg").is_empty());
    h.drive();
    assert!(h.send_result(id).is_some());
}

#[test]
fn a_heartbeat_with_the_client_s_id_on_another_session_closes_the_client_s_connection() {
    let mut h = one_broker();
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    let client_id = h.store("broker-a").producers("pg")[0].clone();
    h.take_events();
    h.request(BROKER_A, consumer_heartbeat(&client_id));
    let lost = count_events(
        &h,
        |e| matches!(e, Event::ConnectionLost { addr, .. } if addr == BROKER_A),
    );
    assert_eq!(lost, 1);
    assert!(h.store("broker-a").producers("pg").is_empty());
}
