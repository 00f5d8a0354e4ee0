//! Ordered sends: a queue given, a selector, a sharding key. Each lands on its queue, keeps
//! order there, and never hops to another queue; the deadline still bounds everything.

use std::collections::HashMap;
use std::time::{Duration, Instant};
mod common;

use common::*;
use rocketmq_core::producer::selector::{hash_index, JavaHashCode, QueueSelection};
use rocketmq_core::testing::{Harness, Reply};
use rocketmq_core::{
    Message, SelectByHash, SelectByRoundRobin, SendError, SendMode, SendOptions, SendTarget,
    UsageError,
};
use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::{RequestCode, ResponseCode};

fn sends(h: &Harness, broker: &str) -> usize {
    h.broker(broker)
        .received_count(RequestCode::SEND_MESSAGE_V2)
}

fn send_to(
    h: &mut Harness,
    p: rocketmq_core::ProducerId,
    msg: Message,
    t: SendTarget,
) -> rocketmq_core::SendId {
    h.try_send_to(p, msg, SendOptions::default(), t)
        .expect("accepted")
}

#[test]
fn every_message_of_a_sharding_key_lands_on_its_queue_in_send_order() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    let keys: Vec<String> = (0..10).map(|k| format!("order-{k}")).collect();
    let mut ids = Vec::new();
    for i in 0..30 {
        for key in &keys {
            let msg = Message::new("T", format!("{key}:{i}"));
            ids.push((
                key.clone(),
                send_to(&mut h, p, msg, SendTarget::sharding_key(key)),
            ));
        }
    }
    h.drive();
    // The publish queues are broker-a 0..4 then broker-b 0..4; Java picks abs(hash % 8).
    let mut queue_of: HashMap<String, (String, i32)> = HashMap::new();
    for (key, id) in &ids {
        let r = h.send_result(*id).unwrap().unwrap();
        let i = hash_index(key.java_hash_code(), 8).unwrap();
        let expected = (if i < 4 { "broker-a" } else { "broker-b" }, (i % 4) as i32);
        assert_eq!(
            (r.queue.broker_name.as_str(), r.queue.queue_id),
            expected,
            "{key}"
        );
        let q = queue_of
            .entry(key.clone())
            .or_insert((r.queue.broker_name.clone(), r.queue.queue_id));
        assert_eq!(*q, (r.queue.broker_name, r.queue.queue_id));
    }
    for key in &keys {
        let (broker, queue) = &queue_of[key];
        let bodies: Vec<String> = h
            .store(broker)
            .messages("T", *queue)
            .into_iter()
            .map(|m| String::from_utf8(m.message.body.to_vec()).unwrap())
            .filter(|b| b.starts_with(&format!("{key}:")))
            .collect();
        let expected: Vec<String> = (0..30).map(|i| format!("{key}:{i}")).collect();
        assert_eq!(bodies, expected, "{key} stored in send order");
    }
}

#[test]
fn a_queue_given_is_the_queue_used() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    for q in 0..4 {
        let mq = MessageQueue::new("T", "broker-b", q);
        let id = send_to(
            &mut h,
            p,
            Message::new("T", "x"),
            SendTarget::Queue(mq.clone()),
        );
        h.drive();
        assert_eq!(h.send_result(id).unwrap().unwrap().queue, mq);
    }
    assert_eq!(sends(&h, "broker-a"), 0);
}

#[test]
fn a_retryable_broker_error_does_not_hop_to_another_queue() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    h.broker_mut("broker-a")
        .set_default_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
    let mq = MessageQueue::new("T", "broker-a", 2);
    for mode in [SendMode::Sync, SendMode::Async] {
        let before = sends(&h, "broker-a");
        let opts = SendOptions {
            mode,
            ..SendOptions::default()
        };
        let id = h
            .try_send_to(
                p,
                Message::new("T", "x"),
                opts,
                SendTarget::Queue(mq.clone()),
            )
            .unwrap();
        h.drive();
        let err = h.send_result(id).unwrap().unwrap_err();
        assert_eq!(
            err.broker_code(),
            Some(ResponseCode::SYSTEM_BUSY),
            "{mode:?}: {err}"
        );
        assert_eq!(sends(&h, "broker-a") - before, 1, "{mode:?}: one attempt");
    }
    assert_eq!(sends(&h, "broker-b"), 0, "never another broker");
}

#[test]
fn a_sync_send_to_a_queue_makes_one_attempt_even_on_a_closed_connection() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    h.broker_mut("broker-a").push_reply(Reply::Close);
    let mq = MessageQueue::new("T", "broker-a", 0);
    let id = send_to(&mut h, p, Message::new("T", "x"), SendTarget::Queue(mq));
    h.drive();
    assert!(matches!(
        h.send_result(id),
        Some(Err(SendError::Transport { .. }))
    ));
    assert_eq!(sends(&h, "broker-a"), 1);
    assert_eq!(sends(&h, "broker-b"), 0);
}

#[test]
fn an_async_send_to_a_queue_retries_a_transport_failure_on_that_queue() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    h.broker_mut("broker-a").push_reply(Reply::Close);
    let opts = SendOptions {
        mode: SendMode::Async,
        ..SendOptions::default()
    };
    let target = SendTarget::Queue(MessageQueue::new("T", "broker-a", 3));
    let id = h
        .try_send_to(p, Message::new("T", "x"), opts, target)
        .unwrap();
    h.drive();
    let r = h.send_result(id).unwrap().unwrap();
    assert_eq!(
        (r.queue.broker_name.as_str(), r.queue.queue_id),
        ("broker-a", 3)
    );
    assert_eq!(sends(&h, "broker-a"), 2);
    assert_eq!(sends(&h, "broker-b"), 0);
}

#[test]
fn the_send_timeout_bounds_a_targeted_async_send() {
    let mut h = two_brokers();
    let p = producer(&mut h, |c| c.send_timeout = Duration::from_secs(2));
    h.broker_mut("broker-a").set_default_reply(Reply::Drop);
    let start = h.now;
    let opts = SendOptions {
        mode: SendMode::Async,
        ..SendOptions::default()
    };
    let id = h
        .try_send_to(
            p,
            Message::new("T", "x"),
            opts,
            SendTarget::sharding_key("k"),
        )
        .unwrap();
    h.drive();
    assert!(matches!(
        h.send_result(id),
        Some(Err(SendError::Timeout { .. }))
    ));
    assert_eq!(h.completed_at(id).unwrap() - start, Duration::from_secs(2));
    assert_eq!(h.completions(id), 1);
}

#[test]
fn a_selector_runs_once_the_route_is_known_with_the_message_as_given() {
    // No route is cached before the first send: the selection waits for the lookup.
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    let sel = QueueSelection::from_fn(|queues, msg| {
        assert_eq!(msg.body.as_ref(), b"pick the last");
        assert_eq!(queues.len(), 8);
        Some(queues.len() - 1)
    });
    let id = send_to(
        &mut h,
        p,
        Message::new("T", "pick the last"),
        SendTarget::Select(sel),
    );
    h.drive();
    let r = h.send_result(id).unwrap().unwrap();
    assert_eq!(
        (r.queue.broker_name.as_str(), r.queue.queue_id),
        ("broker-b", 3)
    );
    // Now the route is cached: Java's selectors pick at once.
    let rr = std::sync::Arc::new(SelectByRoundRobin::new());
    let mut picked = Vec::new();
    for _ in 0..9 {
        let id = send_to(
            &mut h,
            p,
            Message::new("T", "x"),
            SendTarget::select(rr.clone(), ()),
        );
        h.drive();
        let r = h.send_result(id).unwrap().unwrap();
        picked.push(format!("{}{}", &r.queue.broker_name[7..], r.queue.queue_id));
    }
    assert_eq!(
        picked,
        ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3", "a0"]
    );
    let id = send_to(
        &mut h,
        p,
        Message::new("T", "x"),
        SendTarget::select(SelectByHash, 13u64),
    );
    h.drive();
    assert_eq!(
        h.send_result(id).unwrap().unwrap().queue.queue_id,
        1,
        "13 % 8 = 5: broker-b 1"
    );
}

#[test]
fn a_selector_that_picks_no_queue_fails_the_send_with_nothing_sent() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    for cached in [false, true] {
        for picked in [None, Some(8)] {
            let sel = QueueSelection::from_fn(move |_, _| picked);
            let id = send_to(&mut h, p, Message::new("T", "x"), SendTarget::Select(sel));
            h.drive();
            let err = h.send_result(id).unwrap().unwrap_err();
            assert_eq!(
                err,
                SendError::Selector {
                    topic: "T".into(),
                    queues: 8,
                    picked
                },
                "route cached: {cached}"
            );
        }
    }
    assert_eq!(h.send_requests(), 0);
}

#[test]
fn a_queue_of_another_topic_is_refused_at_once() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    let target = SendTarget::Queue(MessageQueue::new("Other", "broker-a", 0));
    let err = h.try_send_to(p, Message::new("T", "x"), SendOptions::default(), target);
    assert_eq!(
        err,
        Err(UsageError::QueueTopicMismatch {
            message: "T".into(),
            queue: "Other".into()
        })
    );
}

#[test]
fn selectors_see_the_application_topic_under_a_namespace() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", "10.0.0.1:10911")
        .topic("ns1%T", &[("broker-a", 4)])
        .config(|c| c.namespace = Some("ns1".into()))
        .build();
    let p = producer(&mut h, |_| {});
    let sel = QueueSelection::from_fn(|queues, msg| {
        assert!(queues.iter().all(|q| q.topic == "T"), "{queues:?}");
        assert_eq!(msg.topic, "T");
        Some(2)
    });
    let id = send_to(&mut h, p, Message::new("T", "x"), SendTarget::Select(sel));
    h.drive();
    let r = h.send_result(id).unwrap().unwrap();
    assert_eq!((r.queue.topic.as_str(), r.queue.queue_id), ("T", 2));
}

#[test]
fn oneway_sends_to_a_queue_land_there() {
    let mut h = two_brokers();
    let p = producer(&mut h, |_| {});
    let mq = MessageQueue::new("T", "broker-b", 1);
    for i in 0..5 {
        let msg = Message::new("T", format!("{i}"));
        h.try_send_to(p, msg, SendOptions::oneway(), SendTarget::Queue(mq.clone()))
            .unwrap();
    }
    h.drive();
    assert_eq!(h.store("broker-b").messages("T", 1).len(), 5);
    assert_eq!(sends(&h, "broker-a"), 0);
}
