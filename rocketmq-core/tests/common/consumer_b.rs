//! Shared set-up for the consumer behaviour tests (retry, orderly, lite pull, server
//! requests, shutdown). Include with `#[path = "common/consumer_b.rs"] mod consumer_b;`.
#![allow(dead_code, unreachable_pub)]

use std::time::Instant;

use rocketmq_core::proto::body::{GetConsumerStatusBody, MessageQueue};
use rocketmq_core::proto::header::{
    GetConsumerStatusRequestHeader, NotifyConsumerIdsChangedRequestHeader,
};
use rocketmq_core::proto::message::MessageExt;
use rocketmq_core::proto::{RemotingCommand, RequestCode};
use rocketmq_core::testing::{Harness, HarnessBuilder};
use rocketmq_core::{ConsumeFrom, ConsumerConfig, Event, Message};

/// The only broker's name.
pub const BROKER: &str = "broker-a";
/// Its address.
pub const ADDR: &str = "10.0.0.1:10911";

/// One broker, `broker-a`, with topic `T` of `queues` queues.
pub fn builder(queues: i32) -> HarnessBuilder {
    Harness::builder(Instant::now())
        .broker(BROKER, ADDR)
        .topic("T", &[(BROKER, queues)])
}

/// One broker with topic `T` of `queues` queues.
pub fn one_broker(queues: i32) -> Harness {
    builder(queues).build()
}

/// A concurrent push consumer of `group` that starts at the queues' first message.
pub fn push_from_first(group: &str) -> ConsumerConfig {
    let mut c = ConsumerConfig::push(group);
    c.consume_from = ConsumeFrom::First;
    c
}

/// An orderly push consumer of `group` that starts at the queues' first message.
pub fn orderly_from_first(group: &str) -> ConsumerConfig {
    let mut c = ConsumerConfig::push_orderly(group);
    c.consume_from = ConsumeFrom::First;
    c
}

/// A lite pull consumer of `group` that starts at the queues' first message.
pub fn lite_from_first(group: &str) -> ConsumerConfig {
    let mut c = ConsumerConfig::lite_pull(group);
    c.consume_from = ConsumeFrom::First;
    c
}

/// Queue `queue_id` of `topic` on broker-a.
pub fn mq(topic: &str, queue_id: i32) -> MessageQueue {
    MessageQueue::new(topic, BROKER, queue_id)
}

/// Stores messages `{prefix}{i}` for `i` in `range` in queue `queue_id` of `T` on broker-a.
pub fn produce(h: &mut Harness, queue_id: i32, prefix: &str, range: std::ops::Range<usize>) {
    for i in range {
        h.produce(
            BROKER,
            "T",
            queue_id,
            Message::new("T", format!("{prefix}{i}")),
        );
    }
}

/// A message's body as text.
pub fn body(m: &MessageExt) -> String {
    String::from_utf8_lossy(&m.message.body).into_owned()
}

/// The bodies of messages, in order.
pub fn bodies<'a>(msgs: impl IntoIterator<Item = &'a MessageExt>) -> Vec<String> {
    msgs.into_iter().map(body).collect()
}

/// `["{prefix}{i}"]` for `i` in `range`.
pub fn names(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i}")).collect()
}

/// Counts the events matching `f`.
pub fn count(h: &Harness, f: impl Fn(&Event) -> bool) -> usize {
    h.events().iter().filter(|e| f(e)).count()
}

/// The requests with `code` the broker received, in order.
pub fn received(h: &Harness, code: RequestCode) -> Vec<RemotingCommand> {
    h.broker(BROKER)
        .received()
        .iter()
        .filter(|c| !c.is_response() && c.request_code() == code)
        .cloned()
        .collect()
}

/// The PULL_MESSAGE requests of `topic` the broker received.
pub fn pulls_of(h: &Harness, topic: &str) -> usize {
    received(h, RequestCode::PULL_MESSAGE)
        .iter()
        .filter(|c| c.ext_fields.get("topic") == Some(topic))
        .count()
}

/// NOTIFY_CONSUMER_IDS_CHANGED for `group`, as a broker pushes it.
pub fn notify(group: &str) -> RemotingCommand {
    let mut cmd = RemotingCommand::oneway(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED);
    NotifyConsumerIdsChangedRequestHeader {
        consumer_group: group.into(),
    }
    .to_ext_fields(&mut cmd.ext_fields);
    cmd
}

/// The responses the client wrote to the broker (answers to its requests), in order.
pub fn responses(h: &Harness) -> Vec<RemotingCommand> {
    h.broker(BROKER)
        .received()
        .iter()
        .filter(|c| c.is_response())
        .cloned()
        .collect()
}

/// Asks the client, as broker-a, for the group's offsets of `topic`
/// (GET_CONSUMER_STATUS_FROM_CLIENT) and returns the answer's table.
pub fn status(h: &mut Harness, group: &str, topic: &str) -> GetConsumerStatusBody {
    let mut cmd = RemotingCommand::request(RequestCode::GET_CONSUMER_STATUS_FROM_CLIENT);
    GetConsumerStatusRequestHeader {
        topic: topic.to_owned(),
        group: group.to_owned(),
        client_addr: None,
    }
    .to_ext_fields(&mut cmd.ext_fields);
    cmd.opaque = 900_000 + h.broker(BROKER).received().len() as i32;
    let opaque = cmd.opaque;
    assert!(h.inject(ADDR, &cmd), "the client is connected to broker-a");
    h.pump();
    h.advance(std::time::Duration::ZERO);
    let answer = responses(h)
        .into_iter()
        .rfind(|c| c.opaque == opaque)
        .expect("the client answered GET_CONSUMER_STATUS_FROM_CLIENT");
    GetConsumerStatusBody::from_json(&answer.body).expect("a GetConsumerStatusBody")
}

/// Another member, `client_id`, joins consumer group `group` subscribing `topic`, by a
/// heartbeat on a session of the harness's own (the broker notifies the other members).
pub fn other_member_joins(h: &mut Harness, client_id: &str, group: &str, topic: &str) {
    use rocketmq_core::proto::body::{ConsumerData, HeartbeatData, SubscriptionData};
    let consumer = ConsumerData {
        group_name: group.to_owned(),
        subscription_data_set: vec![
            SubscriptionData::from_tag_expression(topic, "*", 1).expect("a tag expression")
        ],
        ..ConsumerData::default()
    };
    let data = HeartbeatData {
        client_id: client_id.to_owned(),
        consumer_data_set: vec![consumer],
        producer_data_set: Vec::new(),
    };
    let cmd = RemotingCommand::request(RequestCode::HEART_BEAT)
        .with_body(bytes::Bytes::from(data.to_json()));
    let answer = h.request(ADDR, cmd).expect("the broker answers");
    assert_eq!(answer.code, 0, "heartbeat accepted");
}
