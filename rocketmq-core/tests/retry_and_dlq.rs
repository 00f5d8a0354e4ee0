//! Failed concurrent deliveries go back to the broker (CONSUMER.md §3.5, PROTOCOL.md §8.6):
//! they come back from `%RETRY%<group>` after their delay level with the original topic and
//! one more reconsume, end in `%DLQ%<group>` past the reconsume limit, and — when the broker
//! will not take them back — are re-sent through the instance's inner producer, the queue's
//! offset never passing them meanwhile.

#[path = "common/consumer_b.rs"]
mod consumer_b;

use std::time::Duration;

use consumer_b::*;
use rocketmq_core::proto::message::keys;
use rocketmq_core::proto::{RequestCode, ResponseCode};
use rocketmq_core::testing::Reply;
use rocketmq_core::ConsumeResult;

#[test]
fn a_message_answered_later_comes_back_from_the_retry_topic_after_its_delay_level() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..1);
    let c = h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    let first = h.deliveries();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].messages[0].reconsume_times, 0);
    h.ack(first[0].id, ConsumeResult::Later { delay_level: 1 });
    h.drive();
    assert_eq!(received(&h, RequestCode::CONSUMER_SEND_MSG_BACK).len(), 1);

    // Level 1 is 1 s: nothing comes back before.
    h.advance(Duration::from_millis(999));
    assert!(
        h.deliveries().is_empty(),
        "not before the delay level's time"
    );
    h.advance(Duration::from_millis(1));
    let again = h.deliveries();
    assert_eq!(again.len(), 1, "back after 1 s");
    let d = &again[0];
    assert_eq!(d.queue.topic, "%RETRY%cg", "pulled from the retry topic");
    let m = &d.messages[0];
    assert_eq!(body(m), "m0");
    assert_eq!(m.reconsume_times, 1);
    assert_eq!(m.message.topic, "T", "the original topic is restored");
    assert_eq!(m.message.property(keys::RETRY_TOPIC), Some("T"));
    h.ack(d.id, ConsumeResult::Success);
    h.advance(Duration::from_secs(60));
    assert_eq!(h.delivered(c).len(), 2, "consumed: not delivered again");
}

#[test]
fn past_max_reconsume_times_a_message_goes_to_the_dead_letter_queue_and_is_not_delivered_again() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..1);
    let mut cfg = push_from_first("cg");
    cfg.max_reconsume_times = Some(2);
    let c = h.start_consumer(cfg, &[("T", "*")]);
    for times in 0..=2 {
        let ds = h.deliveries();
        assert_eq!(ds.len(), 1, "delivery with {times} reconsumes");
        assert_eq!(ds[0].messages[0].reconsume_times, times);
        assert_eq!(ds[0].messages[0].message.topic, "T");
        h.ack(ds[0].id, ConsumeResult::Later { delay_level: 1 });
        h.drive();
        h.advance(Duration::from_secs(1));
    }
    let dlq = h.store(BROKER).messages("%DLQ%cg", 0);
    assert_eq!(bodies(&dlq), ["m0"], "the third failure dead-letters it");
    h.advance(Duration::from_secs(120));
    assert!(h.deliveries().is_empty(), "a dead letter is not delivered");
    assert_eq!(h.delivered(c).len(), 3);
}

#[test]
fn a_partial_answer_sends_back_only_the_messages_after_those_acknowledged() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..3);
    let mut cfg = push_from_first("cg");
    cfg.consume_message_batch_max_size = 3;
    let c = h.start_consumer(cfg, &[("T", "*")]);
    let ds = h.deliveries();
    assert_eq!(ds.len(), 1, "one delivery of three");
    assert_eq!(bodies(ds[0].messages.iter()), names("m", 0..3));
    h.ack(ds[0].id, ConsumeResult::Partial { acked: 1 });
    h.drive();
    let backs = received(&h, RequestCode::CONSUMER_SEND_MSG_BACK);
    assert_eq!(backs.len(), 2, "only m1 and m2 go back");
    // Delay level 0: the broker's choice, 3 + reconsume times = 10 s.
    h.advance(Duration::from_secs(10));
    let retried = h.store(BROKER).messages("%RETRY%cg", 0);
    assert_eq!(bodies(&retried), ["m1", "m2"]);
    let again = h.deliveries();
    let back: Vec<String> = again
        .iter()
        .flat_map(|d| bodies(d.messages.iter()))
        .collect();
    assert_eq!(back, ["m1", "m2"], "both come back, m0 does not");
    h.ack_all(ConsumeResult::Success);
    h.advance(Duration::from_secs(10));
    assert_eq!(h.delivered(c).len(), 5);
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(3));
}

/// The send-back of `m0` is refused (its record is gone, the broker answers SYSTEM_ERROR):
/// the client re-sends it to `%RETRY%cg` through `CLIENT_INNER_PRODUCER`.
#[test]
fn when_the_broker_refuses_a_send_back_the_inner_producer_resends_it_to_the_retry_topic() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..2);
    let c = h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    let id = h.client.client_id().to_owned();
    assert!(
        h.store(BROKER)
            .producers("CLIENT_INNER_PRODUCER")
            .contains(&id),
        "heartbeats carry the inner producer"
    );
    let ds = h.deliveries();
    assert_eq!(bodies(ds.iter().map(|d| &d.messages[0])), ["m0", "m1"]);
    // Just before the first offset persistence (10 s after the start).
    h.advance(Duration::from_secs(9));
    h.store_mut(BROKER).truncate_before("T", 0, 1);
    h.broker_mut(BROKER).push_reply(Reply::Delay(
        Duration::from_secs(2),
        Box::new(Reply::Normal),
    ));
    h.ack(ds[1].id, ConsumeResult::Success);
    h.ack(ds[0].id, ConsumeResult::Later { delay_level: 1 });
    h.advance(Duration::from_millis(1500));
    let resends: Vec<_> = h
        .broker(BROKER)
        .received()
        .iter()
        .filter(|r| r.request_code() == RequestCode::SEND_MESSAGE_V2)
        .cloned()
        .collect();
    assert_eq!(resends.len(), 1, "one re-send, in flight");
    assert_eq!(resends[0].ext_fields.get("b"), Some("%RETRY%cg"));
    assert_eq!(
        h.store(BROKER).consumer_offset("cg", "T", 0),
        Some(0),
        "the offset waits at m0 while it is re-sent"
    );
    // The re-send is stored 2 s after it left; m0 comes back after level 3 (10 s).
    h.advance(Duration::from_millis(500));
    h.advance(Duration::from_secs(10));
    let again = h.deliveries();
    assert_eq!(again.len(), 1);
    let m = &again[0].messages[0];
    assert_eq!((body(m), m.reconsume_times), ("m0".to_owned(), 1));
    assert_eq!(m.message.topic, "T");
    assert_eq!(again[0].queue.topic, "%RETRY%cg");
    h.ack(again[0].id, ConsumeResult::Success);
    h.advance(Duration::from_secs(5));
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(2));
    assert_eq!(h.delivered(c).len(), 3);
}

/// The offset moves past a re-sent message as soon as the inner producer has stored it,
/// not at some later, unrelated consumer event.
#[test]
fn the_offset_passes_a_resent_message_as_soon_as_the_inner_producer_stored_it() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..2);
    h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    let ds = h.deliveries();
    h.store_mut(BROKER).truncate_before("T", 0, 1);
    h.broker_mut(BROKER).push_reply(Reply::Delay(
        Duration::from_secs(2),
        Box::new(Reply::Normal),
    ));
    h.ack(ds[1].id, ConsumeResult::Success);
    h.ack(ds[0].id, ConsumeResult::Later { delay_level: 1 });
    h.advance(Duration::from_secs(1));
    let before = status(&mut h, "cg", "T");
    assert_eq!(before.message_queue_table.get(&mq("T", 0)), Some(&0));
    h.advance(Duration::from_secs(1));
    let after = status(&mut h, "cg", "T");
    assert_eq!(
        after.message_queue_table.get(&mq("T", 0)),
        Some(&2),
        "the re-send was stored: m0 is done"
    );
}

/// Both paths fail (the record is gone, every re-send is refused): the message is delivered
/// again here, 5 s later, with one more reconsume, and the offset never passes it.
#[test]
fn when_both_send_back_paths_fail_the_message_is_delivered_again_locally_after_5_s() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..2);
    h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    let ds = h.deliveries();
    h.store_mut(BROKER).truncate_before("T", 0, 1);
    h.broker_mut(BROKER)
        .set_default_reply(Reply::Code(ResponseCode::SYSTEM_ERROR));
    h.ack(ds[1].id, ConsumeResult::Success);
    h.ack(ds[0].id, ConsumeResult::Later { delay_level: 1 });
    h.drive();
    let failed_at = h.now;
    assert!(
        h.broker(BROKER)
            .received_count(RequestCode::SEND_MESSAGE_V2)
            >= 1,
        "the inner producer tried"
    );
    h.broker_mut(BROKER).set_default_reply(Reply::Normal);
    h.advance(Duration::from_millis(4999));
    assert!(h.deliveries().is_empty(), "not before 5 s");
    h.advance(Duration::from_millis(1));
    let again = h.deliveries();
    assert_eq!(
        again.len(),
        1,
        "delivered again locally 5 s after the failure"
    );
    assert_eq!(h.now - failed_at, Duration::from_secs(5));
    let m = &again[0].messages[0];
    assert_eq!((body(m), m.reconsume_times), ("m0".to_owned(), 1));
    assert_eq!(again[0].queue.topic, "T");
    assert_eq!(
        status(&mut h, "cg", "T")
            .message_queue_table
            .get(&mq("T", 0)),
        Some(&0),
        "the offset still waits at m0"
    );
    h.ack(again[0].id, ConsumeResult::Success);
    assert_eq!(
        status(&mut h, "cg", "T")
            .message_queue_table
            .get(&mq("T", 0)),
        Some(&2)
    );
}

#[test]
fn a_negative_delay_level_sends_the_message_straight_to_the_dead_letter_queue() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..1);
    let c = h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    let ds = h.deliveries();
    h.ack(ds[0].id, ConsumeResult::Later { delay_level: -1 });
    h.drive();
    assert_eq!(bodies(&h.store(BROKER).messages("%DLQ%cg", 0)), ["m0"]);
    h.advance(Duration::from_secs(60));
    assert_eq!(h.delivered(c).len(), 1, "not retried");
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(1));
}
