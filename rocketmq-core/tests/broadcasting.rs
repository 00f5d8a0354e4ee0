//! Broadcasting: every member consumes every queue; offsets live in the application's local
//! file (handed out as `Event::PersistOffsets`, loaded before start); a failed message is
//! dropped, not retried.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::consumer::*;
use common::two_brokers;
use rocketmq_core::proto::body::{MessageModel, MessageQueue};
use rocketmq_core::proto::RequestCode;
use rocketmq_core::testing::Harness;
use rocketmq_core::{ConsumeFrom, ConsumeResult, ConsumerConfig, ConsumerId, Event, Message};

/// A broadcasting push consumer of `cg` starting with `from`.
fn broadcasting(from: ConsumeFrom) -> ConsumerConfig {
    let mut c = ConsumerConfig::push("cg");
    c.message_model = MessageModel::Broadcasting;
    c.consume_from = from;
    c
}

/// `n` messages in every queue of `T`; returns the bodies.
fn produce_everywhere(h: &mut Harness, n: usize, tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    for broker in ["broker-a", "broker-b"] {
        for q in 0..4 {
            for i in 0..n {
                let body = format!("{broker}-{q}-{tag}{i}");
                h.produce(broker, "T", q, Message::new("T", body.clone()));
                out.push(body);
            }
        }
    }
    out.sort();
    out
}

/// The offsets of every `Event::PersistOffsets` of `c`, in order.
fn persisted(h: &Harness, c: ConsumerId) -> Vec<BTreeMap<MessageQueue, i64>> {
    h.events()
        .iter()
        .filter_map(|e| match e {
            Event::PersistOffsets {
                consumer,
                group,
                offsets,
            } if *consumer == c => {
                assert_eq!(group, "cg");
                Some(offsets.clone())
            }
            _ => None,
        })
        .collect()
}

fn all_queues() -> std::collections::BTreeSet<MessageQueue> {
    queues_of("T", &[("broker-a", 4), ("broker-b", 4)])
}

#[test]
fn a_broadcasting_consumer_receives_every_message_of_every_queue() {
    let mut h = two_brokers();
    let want = produce_everywhere(&mut h, 3, "m");
    h.set_listener(|_| ConsumeResult::Success);
    let c = h.start_consumer(broadcasting(ConsumeFrom::First), &[("T", "*")]);
    assert_eq!(sorted_bodies(&h.delivered(c)), want);
}

#[test]
fn other_members_do_not_take_queues_from_a_broadcasting_consumer() {
    let mut h = two_brokers();
    h.set_listener(|_| ConsumeResult::Success);
    let c = h.start_consumer(broadcasting(ConsumeFrom::First), &[("T", "*")]);
    let subs = [("T", "*")];
    join(
        &mut h,
        &[BROKER_A, BROKER_B],
        "10.9.9.9@other",
        "cg",
        MessageModel::Broadcasting,
        &subs,
    );
    h.advance(Duration::from_secs(25));
    assert_eq!(held(&mut h, c, "T"), all_queues());
    let want = produce_everywhere(&mut h, 1, "after");
    h.drive();
    assert_eq!(sorted_bodies(&h.delivered(c)), want);
    let asked = h
        .broker("broker-a")
        .received_count(RequestCode::GET_CONSUMER_LIST_BY_GROUP)
        + h.broker("broker-b")
            .received_count(RequestCode::GET_CONSUMER_LIST_BY_GROUP);
    assert_eq!(asked, 0, "no member list needed");
}

#[test]
fn a_broadcasting_consumer_has_no_retry_topic() {
    let mut h = two_brokers();
    let c = h.start_consumer(broadcasting(ConsumeFrom::First), &[("T", "*")]);
    let topics: Vec<String> = h
        .client
        .consumer(c)
        .unwrap()
        .assignment()
        .into_iter()
        .map(|mq| mq.topic)
        .filter(|t| t != "T")
        .collect();
    assert!(topics.is_empty(), "{topics:?}");
}

#[test]
fn the_offsets_file_is_handed_out_every_persist_interval() {
    let mut h = two_brokers();
    produce_everywhere(&mut h, 2, "m");
    h.set_listener(|_| ConsumeResult::Success);
    let c = h.start_consumer(broadcasting(ConsumeFrom::First), &[("T", "*")]);
    h.advance(Duration::from_secs(9));
    assert!(persisted(&h, c).is_empty(), "first after 10 s");
    h.advance(Duration::from_secs(2));
    let files = persisted(&h, c);
    assert_eq!(files.len(), 1);
    let want: BTreeMap<MessageQueue, i64> = all_queues().into_iter().map(|mq| (mq, 2)).collect();
    assert_eq!(files[0], want);
    produce_everywhere(&mut h, 1, "more");
    h.advance(Duration::from_secs(5));
    let files = persisted(&h, c);
    assert_eq!(files.len(), 2, "then every 5 s");
    let want: BTreeMap<MessageQueue, i64> = all_queues().into_iter().map(|mq| (mq, 3)).collect();
    assert_eq!(files[1], want);
}

#[test]
fn broadcasting_offsets_never_reach_the_broker() {
    let mut h = two_brokers();
    produce_everywhere(&mut h, 2, "m");
    h.set_listener(|_| ConsumeResult::Success);
    h.start_consumer(broadcasting(ConsumeFrom::First), &[("T", "*")]);
    produce_everywhere(&mut h, 1, "more");
    h.advance(Duration::from_secs(30));
    for broker in ["broker-a", "broker-b"] {
        assert_eq!(
            h.broker(broker)
                .received_count(RequestCode::UPDATE_CONSUMER_OFFSET),
            0
        );
        for q in 0..4 {
            assert_eq!(h.store(broker).consumer_offset("cg", "T", q), None);
        }
    }
}

#[test]
fn a_broadcasting_consumer_starts_from_the_offsets_it_loaded() {
    let mut h = two_brokers();
    produce_everywhere(&mut h, 5, "m");
    let a0 = MessageQueue::new("T", "broker-a", 0);
    let b3 = MessageQueue::new("T", "broker-b", 3);
    let file: BTreeMap<MessageQueue, i64> = [(a0.clone(), 3), (b3.clone(), 5)].into();
    let c = h.client.create_consumer(broadcasting(ConsumeFrom::First));
    h.client.consumer(c).unwrap().load_offsets(file).unwrap();
    let now = h.now;
    h.client
        .consumer(c)
        .unwrap()
        .subscribe(now, "T", "*")
        .unwrap();
    h.set_listener(|_| ConsumeResult::Success);
    h.client.consumer(c).unwrap().start(now).unwrap();
    h.drive();
    assert_eq!(delivered_offsets(&h, c, "broker-a", "T", 0), [3, 4]);
    assert!(delivered_offsets(&h, c, "broker-b", "T", 3).is_empty());
    // Queues the file does not name follow the consume-from rule (here: the first message).
    assert_eq!(
        delivered_offsets(&h, c, "broker-a", "T", 1),
        [0, 1, 2, 3, 4]
    );
    h.advance(Duration::from_secs(11));
    let files = persisted(&h, c);
    let last = files.last().expect("persisted");
    assert_eq!(last.get(&a0), Some(&5));
    assert_eq!(last.get(&b3), Some(&5));
}

#[test]
fn a_loaded_offset_is_kept_in_the_file_until_its_queue_consumes() {
    let mut h = two_brokers();
    let a0 = MessageQueue::new("T", "broker-a", 0);
    let c = h.client.create_consumer(broadcasting(ConsumeFrom::Last));
    h.client
        .consumer(c)
        .unwrap()
        .load_offsets([(a0.clone(), 0)].into())
        .unwrap();
    let now = h.now;
    h.client
        .consumer(c)
        .unwrap()
        .subscribe(now, "T", "*")
        .unwrap();
    h.client.consumer(c).unwrap().start(now).unwrap();
    h.drive();
    h.advance(Duration::from_secs(11));
    let files = persisted(&h, c);
    assert_eq!(files.last().and_then(|f| f.get(&a0)), Some(&0));
}

#[test]
fn a_failed_broadcast_message_is_dropped_and_not_delivered_again() {
    let mut h = two_brokers();
    h.produce("broker-a", "T", 0, Message::new("T", "fails"));
    h.produce("broker-a", "T", 0, Message::new("T", "works"));
    h.set_listener(|d| match &d.messages[0].message.body[..] {
        b"fails" => ConsumeResult::Later { delay_level: 0 },
        _ => ConsumeResult::Success,
    });
    let c = h.start_consumer(broadcasting(ConsumeFrom::First), &[("T", "*")]);
    h.advance(Duration::from_secs(120));
    assert_eq!(bodies(&h.delivered(c)), ["fails", "works"]);
    let a0 = MessageQueue::new("T", "broker-a", 0);
    let files = persisted(&h, c);
    assert_eq!(
        files.last().and_then(|f| f.get(&a0)),
        Some(&2),
        "consumed past it"
    );
    assert_eq!(
        h.broker("broker-a")
            .received_count(RequestCode::CONSUMER_SEND_MSG_BACK),
        0
    );
}

#[test]
fn shutdown_hands_out_the_offsets_file_once_more() {
    let mut h = two_brokers();
    produce_everywhere(&mut h, 1, "m");
    h.set_listener(|_| ConsumeResult::Success);
    let c = h.start_consumer(broadcasting(ConsumeFrom::First), &[("T", "*")]);
    let now = h.now;
    h.client.consumer(c).unwrap().shutdown(now);
    h.drive();
    let files = persisted(&h, c);
    assert_eq!(files.len(), 1);
    let want: BTreeMap<MessageQueue, i64> = all_queues().into_iter().map(|mq| (mq, 1)).collect();
    assert_eq!(files[0], want);
}

#[test]
fn a_broadcasting_queue_behind_the_min_offset_restarts_there_and_the_file_says_so() {
    let mut h = two_brokers();
    for i in 0..10 {
        h.produce("broker-a", "T", 0, Message::new("T", format!("m{i}")));
    }
    let mut cfg = broadcasting(ConsumeFrom::First);
    cfg.pull_batch_size = 1;
    cfg.pull_threshold_for_queue = 1;
    let c = h.start_consumer(cfg, &[("T", "*")]);
    assert_eq!(delivered_offsets(&h, c, "broker-a", "T", 0), [0, 1]);
    h.store_mut("broker-a").truncate_before("T", 0, 6);
    h.set_listener(|_| ConsumeResult::Success);
    h.advance(Duration::from_secs(1));
    assert_eq!(
        delivered_offsets(&h, c, "broker-a", "T", 0),
        [0, 1, 6, 7, 8, 9]
    );
    let a0 = MessageQueue::new("T", "broker-a", 0);
    let files = persisted(&h, c);
    assert_eq!(
        files.first().and_then(|f| f.get(&a0)),
        Some(&6),
        "persisted at once"
    );
    h.advance(Duration::from_secs(10));
    assert_eq!(persisted(&h, c).last().and_then(|f| f.get(&a0)), Some(&10));
}
