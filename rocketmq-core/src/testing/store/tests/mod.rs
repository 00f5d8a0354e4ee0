//! Tests of the broker store, one behaviour each, on synthetic instants; shared request builders.

mod filter;
mod groups;
mod locks;
mod long_polling;
mod offsets;
mod pull;
mod retry;
mod robustness;
mod send;

use std::time::{Duration, Instant};

use bytes::Bytes;
use rocketmq_proto::body::{ConsumerData, HeartbeatData, SubscriptionData};
use rocketmq_proto::header::{PullMessageRequestHeader, SendMessageRequestHeader};
use rocketmq_proto::message::flags::pull_sys_flag;
use rocketmq_proto::message::{decode_stored_messages, encode_properties, Message, MessageExt};
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::{BrokerStore, Handled, Session, StoreConfig};

/// Wall clock of the tests, epoch milliseconds.
const WALL: i64 = 1_700_000_000_000;
/// Consumer group of the tests.
const GROUP: &str = "cg";
/// Topic of the tests.
const TOPIC: &str = "TopicTest";
/// Store address of the tests' broker.
const STORE_ADDR: &str = "10.0.0.1:10911";
/// Two client ids.
const CLIENT_A: &str = "192.168.0.2@4242#1";
const CLIENT_B: &str = "192.168.0.3@4243#1";

/// A store with the default config.
fn store() -> BrokerStore {
    BrokerStore::new("broker-a", STORE_ADDR, StoreConfig::default())
}

/// A store with a changed config.
fn store_with(f: impl FnOnce(&mut StoreConfig)) -> BrokerStore {
    let mut config = StoreConfig::default();
    f(&mut config);
    BrokerStore::new("broker-a", STORE_ADDR, config)
}

/// `t0 + ms`.
fn at(t0: Instant, ms: u64) -> Instant {
    t0 + Duration::from_millis(ms)
}

/// The response of a handled request; panics on anything else.
#[track_caller]
fn reply(handled: Handled) -> RemotingCommand {
    match handled {
        Handled::Reply(r) => r,
        other => panic!("expected a reply, got {other:?}"),
    }
}

/// Handles `cmd` on session 1 at `now` and returns its reply.
#[track_caller]
fn call(s: &mut BrokerStore, now: Instant, cmd: &RemotingCommand) -> RemotingCommand {
    reply(s.handle(now, WALL, 1, cmd))
}

/// An ext field parsed as i64; panics if absent.
#[track_caller]
fn ext_i64(r: &RemotingCommand, key: &str) -> i64 {
    let v = r
        .ext_fields
        .get(key)
        .unwrap_or_else(|| panic!("no {key} in {r:?}"));
    v.parse().expect("a number")
}

/// A message with a tag.
fn tagged(tag: &str, body: &'static str) -> Message {
    Message::new(TOPIC, body).with_tags(tag.to_owned())
}

/// Puts `n` untagged messages into `TOPIC` queue 0.
fn put_n(s: &mut BrokerStore, now: Instant, n: usize) {
    for i in 0..n {
        s.put(now, WALL, TOPIC, 0, Message::new(TOPIC, format!("m{i}")));
    }
}

/// A SEND_MESSAGE_V2 request for `msg` to `TOPIC` queue `queue_id`.
fn send_cmd(msg: &Message, queue_id: i32) -> RemotingCommand {
    let header = SendMessageRequestHeader {
        producer_group: "pg".into(),
        topic: msg.topic.clone(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 0,
        born_timestamp: WALL - 5,
        flag: msg.flag,
        properties: Some(encode_properties(&msg.properties)),
        ..SendMessageRequestHeader::default()
    };
    let mut cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
        .with_opaque(7)
        .with_body(msg.body.clone());
    header.to_v2_ext_fields(&mut cmd.ext_fields);
    cmd
}

/// A pull request; by default for `GROUP`/`TOPIC` queue 0, 32 messages, with the
/// SUBSCRIPTION flag and `*`, no suspension.
#[derive(Clone, Debug)]
struct Pull(PullMessageRequestHeader);

impl Pull {
    fn at(offset: i64) -> Self {
        Self(PullMessageRequestHeader {
            consumer_group: GROUP.into(),
            topic: TOPIC.into(),
            queue_id: 0,
            queue_offset: offset,
            max_msg_nums: 32,
            sys_flag: pull_sys_flag::SUBSCRIPTION,
            commit_offset: 0,
            suspend_timeout_millis: 0,
            subscription: Some("*".into()),
            sub_version: 0,
            expression_type: Some("TAG".into()),
            ..PullMessageRequestHeader::default()
        })
    }

    fn topic(mut self, topic: &str, queue_id: i32) -> Self {
        self.0.topic = topic.into();
        self.0.queue_id = queue_id;
        self
    }

    fn max(mut self, n: i32) -> Self {
        self.0.max_msg_nums = n;
        self
    }

    fn tags(mut self, expr: &str) -> Self {
        self.0.subscription = Some(expr.into());
        self
    }

    fn sql(mut self, expr: &str) -> Self {
        self.0.subscription = Some(expr.into());
        self.0.expression_type = Some("SQL92".into());
        self
    }

    /// Without the SUBSCRIPTION flag: the broker uses the heartbeat's subscription.
    fn registered(mut self, sub_version: i64) -> Self {
        self.0.sys_flag &= !pull_sys_flag::SUBSCRIPTION;
        self.0.subscription = None;
        self.0.expression_type = None;
        self.0.sub_version = sub_version;
        self
    }

    fn suspend(mut self, ms: i64) -> Self {
        self.0.sys_flag |= pull_sys_flag::SUSPEND;
        self.0.suspend_timeout_millis = ms;
        self
    }

    fn commit(mut self, offset: i64) -> Self {
        self.0.sys_flag |= pull_sys_flag::COMMIT_OFFSET;
        self.0.commit_offset = offset;
        self
    }

    fn cmd(&self) -> RemotingCommand {
        let mut cmd = RemotingCommand::request(RequestCode::PULL_MESSAGE).with_opaque(11);
        self.0.to_ext_fields(&mut cmd.ext_fields);
        cmd
    }
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

/// A HEART_BEAT from `client_id` with one consumer group subscribing `(topic, tag expression)`
/// at version 1.
fn heartbeat_cmd(client_id: &str, group: &str, subs: &[(&str, &str)]) -> RemotingCommand {
    let consumer = ConsumerData {
        group_name: group.into(),
        subscription_data_set: subs
            .iter()
            .map(|(topic, expr)| {
                SubscriptionData::from_tag_expression(*topic, expr, 1).expect("valid expression")
            })
            .collect(),
        ..ConsumerData::default()
    };
    let data = HeartbeatData {
        client_id: client_id.into(),
        consumer_data_set: vec![consumer],
        producer_data_set: Vec::new(),
    };
    RemotingCommand::request(RequestCode::HEART_BEAT)
        .with_opaque(3)
        .with_body(Bytes::from(data.to_json()))
}

/// Heart-beats `client_id` into `GROUP` (subscribing `TOPIC` with `expr`) on `session` and
/// drains the notifications.
fn join(s: &mut BrokerStore, now: Instant, session: Session, client_id: &str, expr: &str) {
    let r = reply(s.handle(
        now,
        WALL,
        session,
        &heartbeat_cmd(client_id, GROUP, &[(TOPIC, expr)]),
    ));
    assert_eq!(r.response_code(), ResponseCode::SUCCESS, "{r:?}");
    s.poll_outbound(now, WALL);
}
