//! Batches: one SEND_BATCH_MESSAGE request per batch, framed per spec §6.11, stored as
//! separate messages; Java's rules and the size limit as typed errors; never compressed.

use std::time::Instant;
mod common;

use common::*;
use rocketmq_core::testing::{Harness, Reply};
use rocketmq_core::{Message, SendError, SendOptions, UsageError};
use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::message::batch::{encode_batch, BatchSplitter};
use rocketmq_proto::message::{decode_batch, keys, BatchError};
use rocketmq_proto::{RequestCode, ResponseCode};

fn one_broker() -> Harness {
    Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .topic("T", &[("broker-a", 4)])
        .build()
}

fn batch_of(n: usize) -> Vec<Message> {
    (0..n)
        .map(|i| {
            Message::new("T", format!("batch body {i}"))
                .with_tags("TagB")
                .with_keys([format!("k{i}")])
        })
        .collect()
}

fn send_batch(
    h: &mut Harness,
    p: rocketmq_core::ProducerId,
    msgs: Vec<Message>,
) -> rocketmq_core::SendId {
    h.try_send_batch(p, msgs, SendOptions::default(), None)
        .expect("accepted")
}

#[test]
fn a_batch_is_one_request_and_every_message_is_stored_with_its_id() {
    let mut h = one_broker();
    let p = producer(&mut h, |_| {});
    let id = send_batch(&mut h, p, batch_of(100));
    h.drive();
    let r = h.send_result(id).unwrap().unwrap();
    let b = h.broker("broker-a");
    assert_eq!(b.received_count(RequestCode::SEND_BATCH_MESSAGE), 1);
    assert_eq!(b.received_count(RequestCode::SEND_MESSAGE_V2), 0);
    let req = b
        .received()
        .iter()
        .find(|c| c.code == RequestCode::SEND_BATCH_MESSAGE.0)
        .unwrap();
    assert_eq!(req.ext_fields.get("m"), Some("true"));
    assert_eq!(
        req.ext_fields.get("f"),
        Some("0"),
        "a batch is not compressed"
    );
    let header_props = req.ext_fields.get("i").unwrap();
    // No batch UNIQ_KEY: the broker would stamp it over every message's own.
    assert_eq!(header_props, "WAIT\u{1}true\u{2}");
    // The body is the §6.11 records, each with its own UNIQ_KEY.
    let records = decode_batch(&req.body).unwrap();
    assert_eq!(records.len(), 100);
    let ids: Vec<&str> = r.msg_ids().collect();
    assert_eq!(ids.len(), 100);
    for (i, rec) in records.iter().enumerate() {
        assert_eq!(rec.body.as_ref(), format!("batch body {i}").as_bytes());
        assert_eq!(rec.properties.get(keys::UNIQ_KEY), Some(ids[i]));
        assert_eq!(rec.properties.get(keys::TAGS), Some("TagB"));
    }
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 100);
    // Stored as 100 messages in one queue, in order, from the result's first offset.
    let stored = h.store("broker-a").messages("T", r.queue.queue_id);
    assert_eq!(stored.len(), 100);
    assert_eq!(stored[0].queue_offset, r.queue_offset);
    for (i, m) in stored.iter().enumerate() {
        assert_eq!(
            m.message.body.as_ref(),
            format!("batch body {i}").as_bytes()
        );
        assert_eq!(m.message.keys(), Some(format!("k{i}").as_str()));
        assert_eq!(m.msg_id, ids[i]);
    }
    assert_eq!(r.offset_msg_ids().count(), 100);
}

#[test]
fn large_bodies_in_a_batch_are_not_compressed() {
    let mut h = one_broker();
    let p = producer(&mut h, |_| {});
    let body = vec![b'z'; 8192];
    let msgs = (0..3).map(|_| Message::new("T", body.clone())).collect();
    let id = send_batch(&mut h, p, msgs);
    h.drive();
    let r = h.send_result(id).unwrap().unwrap();
    for m in h.store("broker-a").messages("T", r.queue.queue_id) {
        assert_eq!(m.message.body.as_ref(), body.as_slice());
        assert_eq!(m.sys_flag & 1, 0);
    }
}

#[test]
fn batch_rules_are_typed_errors_and_send_nothing() {
    let mut h = one_broker();
    let p = producer(&mut h, |c| c.max_message_size = 4096);
    let mut mixed = batch_of(2);
    mixed[1].topic = "U".into();
    let mut waits = batch_of(2);
    waits[1] = waits[1].clone().with_wait_store_msg_ok(false);
    let delayed = vec![
        Message::new("T", "a"),
        Message::new("T", "b").with_delay_level(3),
    ];
    let timed = vec![
        Message::new("T", "a"),
        Message::new("T", "b").with_delay(std::time::Duration::from_secs(2)),
    ];
    let retry = vec![Message::new("%RETRY%g", "a")];
    let empty_body = vec![Message::new("T", "a"), Message::new("T", "")];
    let big: Vec<Message> = (0..3).map(|_| Message::new("T", vec![1u8; 1500])).collect();
    type Case = (Vec<Message>, fn(&BatchError) -> bool);
    let cases: Vec<Case> = vec![
        (vec![], |e| matches!(e, BatchError::Empty)),
        (mixed, |e| {
            matches!(e, BatchError::MixedTopics { index: 1, .. })
        }),
        (waits, |e| {
            matches!(e, BatchError::MixedWaitStoreMsgOk { index: 1, .. })
        }),
        (delayed, |e| {
            matches!(e, BatchError::DelayNotSupported { index: 1, .. })
        }),
        (timed, |e| {
            matches!(
                e,
                BatchError::TimerNotSupported {
                    index: 1,
                    key: "TIMER_DELAY_SEC"
                }
            )
        }),
        (retry, |e| matches!(e, BatchError::RetryTopic(_))),
        (empty_body, |e| {
            matches!(e, BatchError::InvalidMessage { index: 1, .. })
        }),
        (
            big,
            |e| matches!(e, BatchError::TooLarge { max: 4096, size } if *size > 4096),
        ),
    ];
    for (msgs, expected) in cases {
        match h.try_send_batch(p, msgs, SendOptions::default(), None) {
            Err(UsageError::InvalidBatch(e)) => assert!(expected(&e), "{e:?}"),
            other => panic!("expected a batch error, got {other:?}"),
        }
    }
    h.drive();
    assert_eq!(
        h.broker("broker-a")
            .received_count(RequestCode::SEND_BATCH_MESSAGE),
        0
    );
}

#[test]
fn a_batch_to_a_queue_goes_there_and_does_not_hop() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    let mq = MessageQueue::new("T", "broker-b", 2);
    let id = h
        .try_send_batch(p, batch_of(5), SendOptions::default(), Some(mq.clone()))
        .unwrap();
    h.drive();
    assert_eq!(h.send_result(id).unwrap().unwrap().queue, mq);
    h.broker_mut("broker-b")
        .push_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    let id = h
        .try_send_batch(p, batch_of(5), SendOptions::default(), Some(mq))
        .unwrap();
    h.drive();
    assert!(matches!(
        h.send_result(id),
        Some(Err(SendError::Broker { .. }))
    ));
    assert_eq!(
        h.broker("broker-b")
            .received_count(RequestCode::SEND_BATCH_MESSAGE),
        2
    );
    assert_eq!(
        h.broker("broker-a")
            .received_count(RequestCode::SEND_BATCH_MESSAGE),
        0
    );
}

#[test]
fn a_plain_batch_retries_on_another_broker_like_a_plain_send() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    h.broker_mut("broker-a")
        .set_default_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    h.broker_mut("broker-b")
        .set_default_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    for _ in 0..4 {
        h.broker_mut("broker-b").push_reply(Reply::Normal);
        let id = send_batch(&mut h, p, batch_of(3));
        h.drive();
        assert_eq!(
            h.send_result(id).unwrap().unwrap().queue.broker_name,
            "broker-b"
        );
    }
}

#[test]
fn the_splitter_cuts_batches_that_fit_and_all_of_them_send() {
    let mut h = one_broker();
    let limit = 16 * 1024;
    let p = producer(&mut h, |c| c.max_message_size = limit);
    let msgs: Vec<Message> = (0..200)
        .map(|i| {
            Message::new("T", vec![b'a' + (i % 26) as u8; 100 + i * 3]).with_keys([format!("k{i}")])
        })
        .collect();
    let batches: Vec<Vec<Message>> = BatchSplitter::new(msgs, limit).collect();
    assert!(batches.len() > 3, "{}", batches.len());
    let mut total = 0;
    for batch in batches {
        total += batch.len();
        let id = send_batch(&mut h, p, batch);
        h.drive();
        h.send_result(id).unwrap().expect("every cut batch fits");
    }
    assert_eq!(total, 200);
    let stored: usize = (0..4)
        .map(|q| h.store("broker-a").messages("T", q).len())
        .sum();
    assert_eq!(stored, 200);
}

#[test]
fn the_splitter_sizes_are_exact_and_keep_an_oversized_message() {
    let mut msgs: Vec<Message> = (0..50)
        .map(|i| Message::new("T", vec![7u8; 10 + i]))
        .collect();
    msgs.insert(20, Message::new("T", vec![9u8; 5000]));
    let batches: Vec<Vec<Message>> = BatchSplitter::new(msgs, 2000).collect();
    assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 51);
    for b in &batches {
        // With the UNIQ_KEY each message is given (56 hex characters at most).
        let mut with_ids = b.clone();
        for m in &mut with_ids {
            m.properties.insert(keys::UNIQ_KEY, "F".repeat(56));
        }
        let len = encode_batch(&with_ids).unwrap().len();
        assert!(len <= 2000 || b.len() == 1, "{len}");
        if b.len() == 1 && b[0].body.len() == 5000 {
            assert!(len > 2000);
        }
    }
    assert!(batches
        .iter()
        .any(|b| b.len() == 1 && b[0].body.len() == 5000));
}
