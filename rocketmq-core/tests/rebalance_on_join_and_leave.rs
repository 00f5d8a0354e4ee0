//! A member joining the group makes the broker notify, and the consumer rebalances at once
//! to its AVG share: queues given up have their deliveries revoked and their offsets
//! persisted. A member leaving is not notified: the periodic rebalance takes the queues back.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::consumer::*;
use common::two_brokers;
use rocketmq_core::proto::body::{MessageModel, MessageQueue};
use rocketmq_core::proto::RequestCode;
use rocketmq_core::testing::Harness;
use rocketmq_core::{ConsumeResult, ConsumerId, Event, Message};

const OTHER: &str = "10.9.9.9@other";
const SUBS: &[(&str, &str)] = &[("T", "*"), ("%RETRY%cg", "*")];

/// Two messages in every queue of `T`, a consumer of `cg` that holds every queue, each
/// queue's first message answered (offset 1 in memory, nothing persisted yet) and its
/// second one in flight.
fn consuming_everything() -> (Harness, ConsumerId) {
    let mut h = two_brokers();
    for broker in ["broker-a", "broker-b"] {
        for q in 0..4 {
            for i in 0..2 {
                h.produce(
                    broker,
                    "T",
                    q,
                    Message::new("T", format!("{broker}-{q}-{i}")),
                );
            }
        }
    }
    let c = h.start_consumer(from_first("cg"), &[("T", "*")]);
    let all = queues_of("T", &[("broker-a", 4), ("broker-b", 4)]);
    assert_eq!(held(&mut h, c, "T"), all);
    for d in h.deliveries() {
        if d.messages[0].queue_offset == 0 {
            h.ack(d.id, ConsumeResult::Success);
        }
    }
    h.drive();
    assert_eq!(
        h.deliveries().len(),
        8,
        "each queue's second message in flight"
    );
    (h, c)
}

/// The deliveries in flight, by queue.
fn in_flight_queues(h: &Harness) -> BTreeSet<MessageQueue> {
    h.deliveries().into_iter().map(|d| d.queue).collect()
}

#[test]
fn a_member_joining_makes_the_consumer_keep_exactly_its_avg_share_at_once() {
    let (mut h, c) = consuming_everything();
    let me = h.client.client_id().to_owned();
    let start = h.now;
    join(
        &mut h,
        &[BROKER_A, BROKER_B],
        OTHER,
        "cg",
        MessageModel::Clustering,
        SUBS,
    );
    let all = queues_of("T", &[("broker-a", 4), ("broker-b", 4)]);
    let share = avg_share(&all, &me, &[&me, OTHER]);
    assert_eq!(share.len(), 4);
    assert_eq!(held(&mut h, c, "T"), share);
    let retry = queues_of("%RETRY%cg", &[("broker-a", 1), ("broker-b", 1)]);
    assert_eq!(
        held(&mut h, c, "%RETRY%cg"),
        avg_share(&retry, &me, &[&me, OTHER])
    );
    assert_eq!(h.now, start, "on the notification, not a timer");
}

#[test]
fn the_broker_notifies_the_consumer_when_a_member_joins() {
    let (mut h, _) = consuming_everything();
    let lists = |h: &Harness| {
        h.broker("broker-a")
            .received_count(RequestCode::GET_CONSUMER_LIST_BY_GROUP)
            + h.broker("broker-b")
                .received_count(RequestCode::GET_CONSUMER_LIST_BY_GROUP)
    };
    let before = lists(&h);
    join(
        &mut h,
        &[BROKER_A],
        OTHER,
        "cg",
        MessageModel::Clustering,
        SUBS,
    );
    assert!(
        lists(&h) > before,
        "the consumer asked for the members again"
    );
}

#[test]
fn queues_given_up_have_their_deliveries_revoked_and_the_others_keep_theirs() {
    let (mut h, c) = consuming_everything();
    let me = h.client.client_id().to_owned();
    join(
        &mut h,
        &[BROKER_A, BROKER_B],
        OTHER,
        "cg",
        MessageModel::Clustering,
        SUBS,
    );
    let all = queues_of("T", &[("broker-a", 4), ("broker-b", 4)]);
    let share = avg_share(&all, &me, &[&me, OTHER]);
    let given_up: BTreeSet<MessageQueue> = all.difference(&share).cloned().collect();
    let revoked: BTreeSet<MessageQueue> = revoked_queues(&h).into_iter().collect();
    assert_eq!(revoked, given_up);
    assert_eq!(revoked_queues(&h).len(), 4, "each revoked once");
    assert_eq!(in_flight_queues(&h), share);
    assert!(h
        .events()
        .iter()
        .any(|e| matches!(e, Event::QueuesChanged { consumer, topic, queues }
            if *consumer == c && topic == "T" && queues.iter().cloned().collect::<BTreeSet<_>>() == share)));
}

#[test]
fn queues_given_up_have_their_offsets_persisted_at_once() {
    let (mut h, _) = consuming_everything();
    let me = h.client.client_id().to_owned();
    for broker in ["broker-a", "broker-b"] {
        for q in 0..4 {
            assert_eq!(h.store(broker).consumer_offset("cg", "T", q), None);
        }
    }
    join(
        &mut h,
        &[BROKER_A, BROKER_B],
        OTHER,
        "cg",
        MessageModel::Clustering,
        SUBS,
    );
    let all = queues_of("T", &[("broker-a", 4), ("broker-b", 4)]);
    let share = avg_share(&all, &me, &[&me, OTHER]);
    for mq in all.difference(&share) {
        assert_eq!(
            h.store(&mq.broker_name)
                .consumer_offset("cg", "T", mq.queue_id),
            Some(1),
            "{mq:?}: the first message answered, the second revoked"
        );
    }
}

#[test]
fn a_member_leaving_is_not_notified_and_the_periodic_rebalance_takes_its_queues_back() {
    let (mut h, c) = consuming_everything();
    let me = h.client.client_id().to_owned();
    join(
        &mut h,
        &[BROKER_A, BROKER_B],
        OTHER,
        "cg",
        MessageModel::Clustering,
        SUBS,
    );
    let all = queues_of("T", &[("broker-a", 4), ("broker-b", 4)]);
    let share = avg_share(&all, &me, &[&me, OTHER]);
    assert_eq!(held(&mut h, c, "T"), share);
    leave(&mut h, &[BROKER_A, BROKER_B]);
    assert_eq!(h.store("broker-a").members("cg"), vec![me.clone()]);
    h.drive();
    assert_eq!(
        held(&mut h, c, "T"),
        share,
        "no notification: nothing changes yet"
    );
    // The periodic rebalance runs every 20 s from the consumer's start.
    h.advance(Duration::from_secs(21));
    assert_eq!(held(&mut h, c, "T"), all);
}

#[test]
fn queues_taken_back_resume_from_the_persisted_offsets() {
    let (mut h, c) = consuming_everything();
    let me = h.client.client_id().to_owned();
    join(
        &mut h,
        &[BROKER_A, BROKER_B],
        OTHER,
        "cg",
        MessageModel::Clustering,
        SUBS,
    );
    let all = queues_of("T", &[("broker-a", 4), ("broker-b", 4)]);
    let share = avg_share(&all, &me, &[&me, OTHER]);
    leave(&mut h, &[BROKER_A, BROKER_B]);
    h.advance(Duration::from_secs(21));
    for mq in all.difference(&share) {
        let offsets = delivered_offsets(&h, c, &mq.broker_name, "T", mq.queue_id);
        assert_eq!(
            offsets,
            vec![0, 1, 1],
            "{mq:?}: the revoked message again, no more"
        );
    }
    for mq in &share {
        let offsets = delivered_offsets(&h, c, &mq.broker_name, "T", mq.queue_id);
        assert_eq!(offsets, vec![0, 1], "{mq:?}: kept, nothing redelivered");
    }
}

/// NOTIFY_CONSUMER_IDS_CHANGED for `cg`, as a broker sends it.
fn notify() -> rocketmq_core::proto::RemotingCommand {
    use rocketmq_core::proto::header::NotifyConsumerIdsChangedRequestHeader;
    let mut cmd =
        rocketmq_core::proto::RemotingCommand::oneway(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED);
    NotifyConsumerIdsChangedRequestHeader {
        consumer_group: "cg".into(),
    }
    .to_ext_fields(&mut cmd.ext_fields);
    cmd
}

#[test]
fn a_notification_arriving_while_a_rebalance_asks_for_the_members_is_not_lost() {
    let (mut h, c) = consuming_everything();
    let me = h.client.client_id().to_owned();
    join(
        &mut h,
        &[BROKER_A, BROKER_B],
        OTHER,
        "cg",
        MessageModel::Clustering,
        SUBS,
    );
    let all = queues_of("T", &[("broker-a", 4), ("broker-b", 4)]);
    assert_eq!(held(&mut h, c, "T"), avg_share(&all, &me, &[&me, OTHER]));
    // The brokers answer after 1 s: a rebalance asks for the members while both still
    // list the other member...
    for b in ["broker-a", "broker-b"] {
        h.broker_mut(b).set_latency(Duration::from_secs(1));
    }
    assert!(h.inject(BROKER_A, &notify()));
    h.advance(Duration::from_millis(10));
    // ...which then leaves, and a broker notifies again (as Java's broker does when a
    // member's connection closes) before the first answer is in.
    leave(&mut h, &[BROKER_A, BROKER_B]);
    assert!(h.inject(BROKER_B, &notify()));
    h.advance(Duration::from_millis(10));
    // The first answer (two members) is stale; the second notification must still count.
    h.advance(Duration::from_secs(3));
    assert!(
        h.elapsed() < Duration::from_secs(20),
        "before the periodic rebalance"
    );
    assert_eq!(held(&mut h, c, "T"), all);
}
