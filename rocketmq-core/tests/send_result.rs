//! What a stored send reports: the message's UNIQ_KEY as msg id, the caller's topic (without
//! the namespace), the broker and queue that stored it.

use std::time::Instant;
mod common;

use common::*;
use rocketmq_core::proto::header::SendStatus;
use rocketmq_core::proto::message::{
    decode_properties, encode_offset_msg_id, encode_properties, keys,
};
use rocketmq_core::proto::RequestCode;
use rocketmq_core::testing::{Harness, Reply};
use rocketmq_core::{Message, SendResult};

/// One broker, `broker-a` at 10.0.0.1:10911, with `queues` queues of topic `T`.
fn broker_a_with_t(queues: i32) -> Harness {
    Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .topic("T", &[("broker-a", queues)])
        .build()
}

fn sent_fields(h: &Harness, broker: &str) -> Vec<(String, String)> {
    h.broker(broker)
        .received()
        .iter()
        .filter(|c| c.code == RequestCode::SEND_MESSAGE_V2.0)
        .map(|c| {
            let topic = c.ext_fields.get("b").unwrap_or_default().to_owned();
            let props = decode_properties(c.ext_fields.get("i").unwrap_or_default());
            let uniq = props.get(keys::UNIQ_KEY).unwrap_or_default().to_owned();
            (topic, uniq)
        })
        .collect()
}

#[test]
fn the_result_names_the_uniq_key_queue_and_broker_of_the_stored_message() {
    let mut h = broker_a_with_t(4);
    let p = producer(&mut h, |_| {});
    let r = send_one(&mut h, p).unwrap();
    let sent = sent_fields(&h, "broker-a");
    assert_eq!(sent.len(), 1);
    assert_eq!(r.msg_id.len(), 32);
    assert_eq!(sent[0], ("T".to_owned(), r.msg_id.clone()));
    assert_eq!(r.queue.topic, "T");
    assert_eq!(r.queue.broker_name, "broker-a");
    assert!((0..4).contains(&r.queue.queue_id));
}

#[test]
fn with_a_namespace_the_wire_topic_is_prefixed_and_the_result_topic_is_not() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .topic("ns1%T", &[("broker-a", 4)])
        .config(|c| c.namespace = Some("ns1".into()))
        .build();
    let p = producer(&mut h, |_| {});
    let r = send_one(&mut h, p).unwrap();
    assert_eq!(r.queue.topic, "T");
    let sent = sent_fields(&h, "broker-a");
    assert_eq!(sent, vec![("ns1%T".to_owned(), r.msg_id.clone())]);
}

#[test]
fn born_timestamps_follow_the_wall_clock_from_turn_to_turn() {
    let mut h = broker_a_with_t(4);
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).unwrap();
    h.advance(std::time::Duration::from_secs(5));
    send_one(&mut h, p).unwrap();
    let born: Vec<i64> = h
        .broker("broker-a")
        .received()
        .iter()
        .filter(|c| c.code == RequestCode::SEND_MESSAGE_V2.0)
        .map(|c| c.ext_fields.get("g").unwrap_or_default().parse().unwrap())
        .collect();
    assert_eq!(born.len(), 2);
    assert!(born[0] >= 1_700_000_000_000, "{born:?}");
    assert!(born[1] - born[0] >= 5_000, "{born:?}");
}

#[test]
fn the_client_made_uniq_key_is_encoded_in_key_order_among_the_message_properties() {
    let mut h = broker_a_with_t(4);
    let p = producer(&mut h, |_| {});
    // Keys on both sides of `UNIQ_KEY`: `KEYS`, `TAGS` before it; `WAIT`, `a` after it.
    let msg = Message::new("T", "hello")
        .with_tags("TagA")
        .with_keys(["k1"])
        .with_property("a", "user");
    let id = h.send(p, msg);
    h.drive();
    let r = h.send_result(id).expect("completed").unwrap();
    let wire: Vec<String> = h
        .broker("broker-a")
        .received()
        .iter()
        .filter(|c| c.code == RequestCode::SEND_MESSAGE_V2.0)
        .map(|c| c.ext_fields.get("i").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(wire.len(), 1);
    let props = decode_properties(&wire[0]);
    assert_eq!(props.get(keys::UNIQ_KEY), Some(r.msg_id.as_str()));
    assert_eq!(props.get(keys::TAGS), Some("TagA"));
    assert_eq!(props.get("a"), Some("user"));
    // Re-encoding the decoded (sorted) map gives the same bytes: the wire was in key order.
    assert_eq!(encode_properties(&props), wire[0]);
}

#[test]
fn a_uniq_key_set_by_the_caller_is_sent_and_reported_unchanged() {
    let mut h = broker_a_with_t(4);
    let p = producer(&mut h, |_| {});
    let mine = "0A0000010001000000010000000000AB";
    let msg = Message::new("T", "hello").with_property(keys::UNIQ_KEY, mine);
    let id = h.send(p, msg);
    h.drive();
    let r = h.send_result(id).expect("completed").unwrap();
    assert_eq!(r.msg_id, mine);
    assert_eq!(
        sent_fields(&h, "broker-a"),
        vec![("T".to_owned(), mine.to_owned())]
    );
}

/// The fixed fields of each SEND_MESSAGE_V2 the broker got: group, topic, create-topic key
/// and its queue count.
fn sent_fixed_fields(h: &Harness, broker: &str) -> Vec<[String; 4]> {
    h.broker(broker)
        .received()
        .iter()
        .filter(|c| c.code == RequestCode::SEND_MESSAGE_V2.0)
        .map(|c| ["a", "b", "c", "d"].map(|k| c.ext_fields.get(k).unwrap_or_default().to_owned()))
        .collect()
}

#[test]
fn producers_sharing_a_topic_each_send_their_own_group_and_create_topic_settings() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .topic("T", &[("broker-a", 4)])
        .topic("U", &[("broker-a", 4)])
        .build();
    let p1 = producer(&mut h, |_| {});
    let p2 = h.start_producer({
        let mut c = rocketmq_core::ProducerConfig::new("other_group");
        c.create_topic_key = "TBW103".into();
        c.default_topic_queue_nums = 8;
        c
    });
    for p in [p1, p2, p1, p2] {
        send_one(&mut h, p).unwrap();
    }
    let id = h.send(p2, Message::new("U", "hello"));
    h.drive();
    assert!(h.send_result(id).expect("completed").is_ok());
    let ours = |t: &str| ["pg", t, "TBW102", "4"].map(str::to_owned);
    let theirs = |t: &str| ["other_group", t, "TBW103", "8"].map(str::to_owned);
    assert_eq!(
        sent_fixed_fields(&h, "broker-a"),
        vec![ours("T"), theirs("T"), ours("T"), theirs("T"), theirs("U")]
    );
}

/// Sends one message to `T` (one queue on `broker-a`, 10.0.0.1:10911) answered with `reply`.
fn stored_with(h: &mut Harness, p: rocketmq_core::ProducerId, reply: Reply) -> SendResult {
    h.broker_mut("broker-a").push_reply(reply);
    send_one(h, p).expect("stored")
}

#[test]
fn a_stored_answer_reads_the_same_whether_read_in_place_or_decoded_whole() {
    let mut h = broker_a_with_t(1);
    let p = producer(&mut h, |_| {});
    let extra = |pairs: &[(&str, &str)]| {
        Reply::Extra(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    };
    let many: Vec<(String, String)> = (0..17).map(|i| (format!("x{i:02}"), "1".into())).collect();
    // (answer, region, transaction id): compact answers are read in place; one with a value
    // that needs an escape, or with more ext fields than a view holds, is decoded whole.
    let cases = [
        (Reply::Normal, "DefaultRegion", None),
        (
            extra(&[("note", "needs \"escaping\"")]),
            "DefaultRegion",
            None,
        ),
        (Reply::Extra(many), "DefaultRegion", None),
        (extra(&[("MSG_REGION", "Region\"Q")]), "Region\"Q", None),
        (
            extra(&[("MSG_REGION", "RegionQ"), ("transactionId", "tx1")]),
            "RegionQ",
            Some("tx1"),
        ),
        (extra(&[("TRACE_ON", "false")]), "DefaultRegion", None),
    ];
    let store = "10.0.0.1:10911".parse().unwrap();
    for (n, (reply, region, tx)) in cases.into_iter().enumerate() {
        let r = stored_with(&mut h, p, reply);
        assert_eq!(r.status, SendStatus::SendOk, "case {n}");
        assert_eq!(r.queue_offset, n as i64, "case {n}");
        assert_eq!(
            r.offset_msg_id,
            encode_offset_msg_id(store, 100 * n as i64),
            "case {n}"
        );
        assert_eq!(r.region_id.as_deref(), Some(region), "case {n}");
        assert_eq!(r.transaction_id.as_deref(), tx, "case {n}");
        assert_eq!(r.trace_on, n != 5, "case {n}");
        assert_eq!(
            (r.queue.broker_name.as_str(), r.queue.queue_id),
            ("broker-a", 0)
        );
    }
}
