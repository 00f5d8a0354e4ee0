//! Shared set-up for consumer behaviour tests: configs, what reached the brokers, another
//! member of a group played by a raw session of the harness.

use std::collections::BTreeSet;

use bytes::Bytes;
use rocketmq_core::consumer::allocate::{allocate_averagely, java_sorted_ids, java_sorted_queues};
use rocketmq_core::proto::body::{
    ConsumerData, HeartbeatData, MessageModel, MessageQueue, SubscriptionData,
};
use rocketmq_core::proto::header::{
    QueryConsumerOffsetRequestHeader, QueryConsumerOffsetResponseHeader,
};
use rocketmq_core::proto::message::MessageExt;
use rocketmq_core::proto::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq_core::testing::Harness;
use rocketmq_core::{ConsumeFrom, ConsumerConfig, ConsumerId, Event};

/// The addresses of [`super::two_brokers`]'s brokers.
pub const BROKER_A: &str = "10.0.0.1:10911";
/// See [`BROKER_A`].
pub const BROKER_B: &str = "10.0.0.2:10911";

/// A concurrent push consumer of `group` that starts new queues at their first message.
pub fn from_first(group: &str) -> ConsumerConfig {
    let mut c = ConsumerConfig::push(group);
    c.consume_from = ConsumeFrom::First;
    c
}

/// The bodies of messages, as text, in the order given.
pub fn bodies(msgs: &[MessageExt]) -> Vec<String> {
    msgs.iter()
        .map(|m| String::from_utf8_lossy(&m.message.body).into_owned())
        .collect()
}

/// The bodies of messages, as text, sorted.
pub fn sorted_bodies(msgs: &[MessageExt]) -> Vec<String> {
    let mut b = bodies(msgs);
    b.sort();
    b
}

/// The queue offsets of the messages delivered to `c` from `topic` queue `queue_id` of
/// `broker`, in delivery order (redeliveries again).
pub fn delivered_offsets(
    h: &Harness,
    c: ConsumerId,
    broker: &str,
    topic: &str,
    q: i32,
) -> Vec<i64> {
    h.events()
        .iter()
        .filter_map(|e| match e {
            Event::Deliver(d)
                if d.consumer == c
                    && d.queue.broker_name == broker
                    && d.queue.topic == topic
                    && d.queue.queue_id == q =>
            {
                Some(d.messages.iter().map(|m| m.queue_offset))
            }
            _ => None,
        })
        .flatten()
        .collect()
}

/// How many PULL_MESSAGE requests the named brokers received.
pub fn pulls_received(h: &Harness, brokers: &[&str]) -> usize {
    brokers
        .iter()
        .map(|b| h.broker(b).received_count(RequestCode::PULL_MESSAGE))
        .sum()
}

/// The queues of `topic` consumer `c` holds, sorted.
pub fn held(h: &mut Harness, c: ConsumerId, topic: &str) -> BTreeSet<MessageQueue> {
    h.client
        .consumer(c)
        .expect("a known consumer")
        .assignment()
        .into_iter()
        .filter(|mq| mq.topic == topic)
        .collect()
}

/// Every queue of `topic` on the named brokers (`(broker, queue count)`).
pub fn queues_of(topic: &str, brokers: &[(&str, i32)]) -> BTreeSet<MessageQueue> {
    brokers
        .iter()
        .flat_map(|(b, n)| (0..*n).map(move |q| MessageQueue::new(topic, *b, q)))
        .collect()
}

/// The queues AVG gives `me` of `all` among `members`, with the inputs sorted as a rebalance
/// sorts them.
pub fn avg_share(
    all: &BTreeSet<MessageQueue>,
    me: &str,
    members: &[&str],
) -> BTreeSet<MessageQueue> {
    let mqs = java_sorted_queues(all.iter().cloned());
    let ids = java_sorted_ids(members.iter().map(|s| (*s).to_owned()));
    allocate_averagely(me, &mqs, &ids)
        .expect("valid inputs")
        .into_iter()
        .collect()
}

/// A HEART_BEAT from `client_id`, a member of consumer `group` (clustering, push) with
/// `subscriptions` (`(topic, tag expression)`) at version 1 (older than any the client
/// under test registers, so the broker keeps the client's).
pub fn member_heartbeat(
    client_id: &str,
    group: &str,
    model: MessageModel,
    subscriptions: &[(&str, &str)],
) -> RemotingCommand {
    let consumer = ConsumerData {
        group_name: group.into(),
        message_model: model,
        subscription_data_set: subscriptions
            .iter()
            .map(|(t, e)| SubscriptionData::from_tag_expression(*t, e, 1).expect("valid"))
            .collect(),
        ..ConsumerData::default()
    };
    let data = HeartbeatData {
        client_id: client_id.into(),
        consumer_data_set: vec![consumer],
        producer_data_set: Vec::new(),
    };
    RemotingCommand::request(RequestCode::HEART_BEAT).with_body(Bytes::from(data.to_json()))
}

/// Registers another member of `group` on every broker at `addrs` (its raw sessions), as a
/// second client would by heart-beating every broker; drives after each.
pub fn join(
    h: &mut Harness,
    addrs: &[&str],
    client_id: &str,
    group: &str,
    model: MessageModel,
    subscriptions: &[(&str, &str)],
) {
    for addr in addrs {
        let answer = h
            .request(
                addr,
                member_heartbeat(client_id, group, model, subscriptions),
            )
            .expect("the broker answers the heartbeat");
        assert_eq!(answer.response_code(), ResponseCode::SUCCESS, "{answer:?}");
    }
}

/// The other member leaves: its raw sessions close (the broker notifies no one).
pub fn leave(h: &mut Harness, addrs: &[&str]) {
    for addr in addrs {
        h.close_raw(addr);
    }
}

/// The group's offset of a queue as the broker answers QUERY_CONSUMER_OFFSET (`None`: not
/// found), asked on the harness's raw session to `addr`.
pub fn query_offset(h: &mut Harness, addr: &str, group: &str, topic: &str, q: i32) -> Option<i64> {
    let mut cmd = RemotingCommand::request(RequestCode::QUERY_CONSUMER_OFFSET);
    QueryConsumerOffsetRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id: q,
        set_zero_if_not_found: Some(false),
        broker_name: None,
    }
    .to_ext_fields(&mut cmd.ext_fields);
    let answer = h.request(addr, cmd).expect("the broker answers");
    match answer.response_code() {
        ResponseCode::SUCCESS => {
            QueryConsumerOffsetResponseHeader::from_ext_fields(&answer.ext_fields)
                .ok()
                .and_then(|h| h.offset)
        }
        ResponseCode::QUERY_NOT_FOUND => None,
        code => panic!("unexpected answer {code:?}"),
    }
}

/// The deliveries revoked so far, with their queues.
pub fn revoked_queues(h: &Harness) -> Vec<MessageQueue> {
    let revoked: BTreeSet<_> = h.revoked().into_iter().collect();
    h.events()
        .iter()
        .filter_map(|e| match e {
            Event::Deliver(d) if revoked.contains(&d.id) => Some(d.queue.clone()),
            _ => None,
        })
        .collect()
}
