//! Requests a broker sends a consumer (CONSUMER.md §7): RESET_CONSUMER_CLIENT_OFFSET (220)
//! moves the queues, GET_CONSUMER_RUNNING_INFO (307) and GET_CONSUMER_STATUS_FROM_CLIENT
//! (221) are answered from the consumer's state, CONSUME_MESSAGE_DIRECTLY (309) goes to the
//! application and its answer back to the broker.

#[path = "common/consumer_b.rs"]
mod consumer_b;

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;
use consumer_b::*;
use rocketmq_core::proto::body::{
    CMResult, ConsumeMessageDirectlyResult, ConsumerRunningInfo, MessageQueue, ResetOffsetBody,
};
use rocketmq_core::proto::header::{
    ConsumeMessageDirectlyResultRequestHeader, GetConsumerRunningInfoRequestHeader,
    ResetOffsetRequestHeader,
};
use rocketmq_core::proto::message::{encode_stored_message, keys, MessageExt};
use rocketmq_core::proto::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq_core::testing::Harness;
use rocketmq_core::{ConsumeResult, ConsumerConfig, DeliveryId, DirectId, Event};

/// Sends `cmd` to the client as broker-a and returns the client's answer, if any.
fn ask(h: &mut Harness, mut cmd: RemotingCommand) -> Option<RemotingCommand> {
    cmd.opaque = 700_000 + h.broker(BROKER).received().len() as i32;
    let opaque = cmd.opaque;
    assert!(h.inject(ADDR, &cmd), "the client is connected to broker-a");
    h.advance(Duration::ZERO);
    responses(h).into_iter().rfind(|c| c.opaque == opaque)
}

fn running_info(h: &mut Harness, group: &str) -> RemotingCommand {
    let mut cmd = RemotingCommand::request(RequestCode::GET_CONSUMER_RUNNING_INFO);
    GetConsumerRunningInfoRequestHeader {
        consumer_group: group.to_owned(),
        client_id: h.client.client_id().to_owned(),
        jstack_enable: false,
    }
    .to_ext_fields(&mut cmd.ext_fields);
    ask(h, cmd).expect("GET_CONSUMER_RUNNING_INFO answered")
}

fn consume_directly(h: &mut Harness, group: &str, msg: &MessageExt) -> Option<RemotingCommand> {
    let mut cmd = RemotingCommand::request(RequestCode::CONSUME_MESSAGE_DIRECTLY)
        .with_body(Bytes::from(encode_stored_message(msg).expect("encodable")));
    ConsumeMessageDirectlyResultRequestHeader {
        consumer_group: group.to_owned(),
        client_id: Some(h.client.client_id().to_owned()),
        msg_id: Some(msg.offset_msg_id.clone()),
        broker_name: Some(BROKER.to_owned()),
        topic: Some(msg.message.topic.clone()),
        topic_sys_flag: Some(0),
        group_sys_flag: Some(0),
    }
    .to_ext_fields(&mut cmd.ext_fields);
    ask(h, cmd)
}

fn direct_requests(h: &Harness) -> Vec<(DirectId, MessageExt)> {
    h.events()
        .iter()
        .filter_map(|e| match e {
            Event::ConsumeDirectly {
                request, message, ..
            } => Some((*request, message.clone())),
            _ => None,
        })
        .collect()
}

fn revoked(h: &Harness) -> Vec<DeliveryId> {
    let mut r = h.revoked();
    r.sort();
    r
}

#[test]
fn reset_offset_moves_the_queues_revoking_persisting_and_redelivering_from_the_new_offsets() {
    let mut h = one_broker(2);
    produce(&mut h, 0, "a", 0..5);
    produce(&mut h, 1, "b", 0..5);
    let c = h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    let ds = h.deliveries();
    assert_eq!(ds.len(), 10);
    // Queue 0 is consumed; queue 1's deliveries are still in flight.
    let (q0, q1): (Vec<_>, Vec<_>) = ds.into_iter().partition(|d| d.queue.queue_id == 0);
    for d in &q0 {
        h.ack(d.id, ConsumeResult::Success);
    }
    h.drive();

    let mut cmd =
        RemotingCommand::oneway(RequestCode::RESET_CONSUMER_CLIENT_OFFSET).with_body(Bytes::from(
            ResetOffsetBody {
                offset_table: vec![(mq("T", 0), 2), (mq("T", 1), 1)],
            }
            .to_json(),
        ));
    ResetOffsetRequestHeader {
        group: "cg".into(),
        topic: "T".into(),
        queue_id: -1,
        offset: None,
        timestamp: h.wall_ms(),
        is_force: true,
    }
    .to_ext_fields(&mut cmd.ext_fields);
    assert!(ask(&mut h, cmd).is_none(), "oneway: no answer");
    h.drive();

    let mut in_flight: Vec<DeliveryId> = q1.iter().map(|d| d.id).collect();
    in_flight.sort();
    assert_eq!(
        revoked(&h),
        in_flight,
        "queue 1's deliveries revoked, once each"
    );
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(2));
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 1), Some(1));
    let again = h.deliveries();
    let mut got: Vec<String> = again.iter().map(|d| body(&d.messages[0])).collect();
    got.sort();
    let mut want = names("a", 2..5);
    want.extend(names("b", 1..5));
    want.sort();
    assert_eq!(got, want, "redelivered from the new offsets");
    // An answer to a revoked delivery is ignored and counted.
    let late = h.client.late_results();
    let now = h.now;
    h.client
        .consume_result(now, q1[0].id, ConsumeResult::Success)
        .unwrap();
    assert_eq!(h.client.late_results(), late + 1);
    h.ack_all(ConsumeResult::Success);
    h.advance(Duration::from_secs(10));
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(5));
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 1), Some(5));
    assert_eq!(h.delivered(c).len(), 17);
}

#[test]
fn running_info_answers_the_required_properties_the_subscriptions_and_every_held_queue() {
    let mut h = one_broker(2);
    let start_ms = h.wall_ms();
    let c = h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    let answer = running_info(&mut h, "cg");
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let info = ConsumerRunningInfo::from_json(&answer.body).expect("a ConsumerRunningInfo");
    let p = |k: &str| info.properties.get(k).cloned();
    assert_eq!(
        p(ConsumerRunningInfo::PROP_CONSUME_TYPE).as_deref(),
        Some("CONSUME_PASSIVELY")
    );
    assert_eq!(
        p(ConsumerRunningInfo::PROP_CONSUMER_START_TIMESTAMP),
        Some(start_ms.to_string())
    );
    assert_eq!(
        p(ConsumerRunningInfo::PROP_CONSUME_ORDERLY).as_deref(),
        Some("false")
    );
    assert_eq!(
        p(ConsumerRunningInfo::PROP_THREADPOOL_CORE_SIZE).as_deref(),
        Some("20")
    );
    assert_eq!(
        p(ConsumerRunningInfo::PROP_NAMESERVER_ADDR).as_deref(),
        Some("ns1:9876;")
    );
    assert_eq!(
        p(ConsumerRunningInfo::PROP_CLIENT_VERSION).as_deref(),
        Some("V5_3_3")
    );
    let subs: BTreeSet<String> = info
        .subscription_set
        .iter()
        .map(|s| s.topic.clone())
        .collect();
    assert_eq!(
        subs,
        BTreeSet::from(["T".to_owned(), "%RETRY%cg".to_owned()])
    );
    let held: BTreeSet<MessageQueue> = h
        .client
        .consumer(c)
        .unwrap()
        .assignment()
        .into_iter()
        .collect();
    assert_eq!(held.len(), 3, "T/0, T/1 and %RETRY%cg/0");
    let table: BTreeSet<MessageQueue> = info.mq_table.keys().cloned().collect();
    assert_eq!(table, held, "one mqTable entry per held queue");
}

#[test]
fn running_info_of_an_orderly_consumer_says_so() {
    let mut h = one_broker(1);
    h.start_consumer(orderly_from_first("cg"), &[("T", "*")]);
    let info = ConsumerRunningInfo::from_json(&running_info(&mut h, "cg").body).unwrap();
    assert_eq!(
        info.properties
            .get(ConsumerRunningInfo::PROP_CONSUME_ORDERLY)
            .map(String::as_str),
        Some("true")
    );
    assert!(
        info.mq_table.values().all(|q| q.locked),
        "its queues are locked"
    );
}

#[test]
fn running_info_of_an_unknown_group_is_a_system_error() {
    let mut h = one_broker(1);
    h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    let answer = running_info(&mut h, "nobody");
    assert_eq!(answer.response_code(), ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("The Consumer Group <nobody> not exist in this consumer")
    );
}

#[test]
fn consumer_status_answers_the_groups_offsets_of_the_topic() {
    let mut h = one_broker(2);
    produce(&mut h, 0, "a", 0..5);
    produce(&mut h, 1, "b", 0..2);
    h.set_listener(|_| ConsumeResult::Success);
    h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    // The held pull of the empty %RETRY%cg queue ends, giving it an offset too.
    h.advance(Duration::from_secs(16));
    let table = status(&mut h, "cg", "T").message_queue_table;
    assert_eq!(table.get(&mq("T", 0)), Some(&5));
    assert_eq!(table.get(&mq("T", 1)), Some(&2));
    assert!(table.keys().all(|q| q.topic == "T"), "only the topic asked");
    assert!(status(&mut h, "other", "T").message_queue_table.is_empty());
}

#[test]
fn consume_message_directly_goes_to_the_application_and_its_answer_to_the_broker() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..1);
    let c = h.start_consumer(ConsumerConfig::push("cg"), &[("T", "*")]);
    let stored = h.store(BROKER).messages("T", 0).remove(0);
    assert!(
        consume_directly(&mut h, "cg", &stored).is_none(),
        "answered by the application"
    );
    let asked = direct_requests(&h);
    assert_eq!(asked.len(), 1, "Event::ConsumeDirectly");
    let (request, message) = asked[0].clone();
    assert_eq!(body(&message), "m0");
    assert!(h.delivered(c).is_empty(), "not a delivery of the queue");
    let now = h.now;
    h.client.answer_directly(
        now,
        request,
        ConsumeMessageDirectlyResult {
            consume_result: Some(CMResult::Success),
            spent_time_mills: 3,
            ..ConsumeMessageDirectlyResult::default()
        },
    );
    h.advance(Duration::ZERO);
    let answer = responses(&h).pop().expect("answered");
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let result = ConsumeMessageDirectlyResult::from_json(&answer.body).unwrap();
    assert_eq!(result.consume_result, Some(CMResult::Success));
    assert_eq!(result.spent_time_mills, 3);
    assert!(
        std::str::from_utf8(&answer.body)
            .unwrap()
            .contains("\"consumeResult\":\"CR_SUCCESS\""),
        "Java's JSON"
    );
    assert_eq!(
        h.store(BROKER).consumer_offset("cg", "T", 0),
        None,
        "no offset change"
    );
}

#[test]
fn consume_message_directly_restores_a_retried_messages_topic() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..1);
    h.start_consumer(ConsumerConfig::push("cg"), &[("T", "*")]);
    let mut retried = h.store(BROKER).messages("T", 0).remove(0);
    retried.message.topic = "%RETRY%cg".into();
    retried
        .message
        .properties
        .insert(keys::RETRY_TOPIC, "T".to_owned());
    consume_directly(&mut h, "cg", &retried);
    let asked = direct_requests(&h);
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0].1.message.topic, "T",
        "as every consume (CONSUMER.md §12.2)"
    );
}

#[test]
fn consume_message_directly_for_an_unknown_group_is_a_system_error() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..1);
    h.start_consumer(ConsumerConfig::push("cg"), &[("T", "*")]);
    let stored = h.store(BROKER).messages("T", 0).remove(0);
    let answer = consume_directly(&mut h, "nobody", &stored).expect("answered at once");
    assert_eq!(answer.response_code(), ResponseCode::SYSTEM_ERROR);
    assert!(direct_requests(&h).is_empty());
}

/// CONSUMER.md §7: 221 answers the offset table of push (and old pull) consumers; a lite
/// pull consumer's answer is empty (Java `MQClientInstance#getConsumerStatus`).
#[test]
fn consumer_status_of_a_lite_pull_consumer_is_empty() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..3);
    let mut cfg = lite_from_first("cg");
    cfg.auto_commit = false;
    let c = h.client.create_consumer(cfg);
    let now = h.now;
    h.client
        .consumer(c)
        .unwrap()
        .subscribe(now, "T", "*")
        .unwrap();
    h.client.consumer(c).unwrap().start(now).unwrap();
    h.drive();
    let now = h.now;
    assert_eq!(
        h.client.consumer(c).unwrap().poll(now, 10).unwrap().len(),
        3
    );
    h.client.consumer(c).unwrap().commit().unwrap();
    assert!(status(&mut h, "cg", "T").message_queue_table.is_empty());
}
