//! A consumer's shutdown (CONSUMER.md §12.1): pulls stop; deliveries in flight are revoked
//! exactly once (after `await_termination_when_shutdown`, answers in time are taken);
//! offsets are persisted, orderly locks released and the group unregistered; then
//! `Event::ConsumerShutdown`. Late answers are ignored and counted. When the consumer was
//! the instance's last role, the instance shuts down too.

#[path = "common/consumer_b.rs"]
mod consumer_b;

use std::collections::BTreeSet;
use std::time::Duration;

use consumer_b::*;
use rocketmq_core::proto::RequestCode;
use rocketmq_core::testing::Harness;
use rocketmq_core::{ConsumeResult, ConsumerId, DeliveryId, Event, ProducerConfig, ServiceState};

fn shutdown(h: &mut Harness, c: ConsumerId) {
    let now = h.now;
    h.client.consumer(c).unwrap().shutdown(now);
    h.pump();
}

fn shutdowns(h: &Harness, c: ConsumerId) -> usize {
    count(
        h,
        |e| matches!(e, Event::ConsumerShutdown { consumer } if *consumer == c),
    )
}

fn revoked_set(h: &Harness) -> BTreeSet<DeliveryId> {
    h.revoked().into_iter().collect()
}

fn ids(ds: &[rocketmq_core::Delivery]) -> BTreeSet<DeliveryId> {
    ds.iter().map(|d| d.id).collect()
}

/// A running producer keeps the instance up when the consumer goes.
fn with_producer(queues: i32) -> Harness {
    let mut h = one_broker(queues);
    h.start_producer(ProducerConfig::new("pg"));
    h
}

#[test]
fn shutdown_revokes_each_delivery_in_flight_exactly_once_and_stops_pulling() {
    let mut h = with_producer(1);
    produce(&mut h, 0, "m", 0..3);
    let c = h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    let ds = h.deliveries();
    assert_eq!(ds.len(), 3);
    h.ack(ds[0].id, ConsumeResult::Success);
    shutdown(&mut h, c);
    h.drive();
    let revoked = h.revoked();
    assert_eq!(revoked.len(), 2, "each once: {revoked:?}");
    assert_eq!(
        revoked_set(&h),
        ids(&ds[1..]),
        "the answered one is not revoked"
    );
    assert_eq!(shutdowns(&h, c), 1);
    assert_eq!(
        h.client.consumer_state(c),
        Some(ServiceState::ShutdownAlready)
    );
    assert_eq!(h.client.deliveries_in_flight(), 0);
    shutdown(&mut h, c);
    h.drive();
    assert_eq!(shutdowns(&h, c), 1, "a second shutdown does nothing");

    // An answer after the revoke is ignored and counted.
    let now = h.now;
    h.client
        .consume_result(now, ds[1].id, ConsumeResult::Success)
        .expect("ignored, not refused");
    assert_eq!(h.client.late_results(), 1);

    // No more pulls, no more deliveries.
    let pulls = received(&h, RequestCode::PULL_MESSAGE).len();
    produce(&mut h, 0, "late", 0..2);
    h.advance(Duration::from_secs(60));
    assert_eq!(received(&h, RequestCode::PULL_MESSAGE).len(), pulls);
    assert_eq!(h.delivered(c).len(), 3);
    assert_eq!(h.revoked().len(), 2, "never revoked twice");
}

#[test]
fn shutdown_persists_offsets_and_unregisters_the_group() {
    let mut h = with_producer(1);
    produce(&mut h, 0, "m", 0..3);
    let c = h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    let id = h.client.client_id().to_owned();
    assert_eq!(h.store(BROKER).members("cg"), [id.as_str()]);
    let ds = h.deliveries();
    h.ack(ds[0].id, ConsumeResult::Success);
    h.ack(ds[1].id, ConsumeResult::Success);
    // Before the first periodic persistence (10 s).
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), None);
    shutdown(&mut h, c);
    h.drive();
    assert_eq!(
        h.store(BROKER).consumer_offset("cg", "T", 0),
        Some(2),
        "persisted, up to the revoked m2"
    );
    let unregisters = received(&h, RequestCode::UNREGISTER_CLIENT);
    assert_eq!(unregisters.len(), 1);
    assert_eq!(unregisters[0].ext_fields.get("consumerGroup"), Some("cg"));
    assert_eq!(unregisters[0].ext_fields.get("clientID"), Some(id.as_str()));
    assert!(h.store(BROKER).members("cg").is_empty(), "left the group");
    assert_eq!(shutdowns(&h, c), 1);
}

#[test]
fn with_await_termination_answers_in_time_are_taken_and_the_rest_revoked_at_the_bound() {
    let mut h = with_producer(1);
    produce(&mut h, 0, "m", 0..3);
    let mut cfg = push_from_first("cg");
    cfg.await_termination_when_shutdown = Duration::from_secs(5);
    let c = h.start_consumer(cfg, &[("T", "*")]);
    let ds = h.deliveries();
    assert_eq!(ds.len(), 3);
    shutdown(&mut h, c);
    let pulls = received(&h, RequestCode::PULL_MESSAGE).len();
    produce(&mut h, 0, "late", 0..1);
    h.advance(Duration::from_secs(1));
    assert!(h.revoked().is_empty(), "waiting for the answers");
    assert_eq!(shutdowns(&h, c), 0);
    assert_eq!(
        received(&h, RequestCode::PULL_MESSAGE).len(),
        pulls,
        "no pull while waiting"
    );
    assert_eq!(
        h.delivered(c).len(),
        3,
        "nothing new delivered while waiting"
    );
    h.ack(ds[0].id, ConsumeResult::Success);
    h.advance(Duration::from_millis(3999));
    assert!(h.revoked().is_empty());
    assert_eq!(shutdowns(&h, c), 0);
    h.advance(Duration::from_millis(1));
    assert_eq!(revoked_set(&h), ids(&ds[1..]), "revoked at the bound");
    assert!(
        !h.revoked().contains(&ds[0].id),
        "the answered one is not revoked"
    );
    assert_eq!(shutdowns(&h, c), 1);
    h.drive();
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(1));
    assert_eq!(h.client.late_results(), 0);
}

#[test]
fn with_await_termination_a_shutdown_ends_as_soon_as_every_delivery_is_answered() {
    let mut h = with_producer(1);
    produce(&mut h, 0, "m", 0..2);
    let mut cfg = push_from_first("cg");
    cfg.await_termination_when_shutdown = Duration::from_secs(30);
    let c = h.start_consumer(cfg, &[("T", "*")]);
    let ds = h.deliveries();
    shutdown(&mut h, c);
    h.advance(Duration::from_secs(1));
    h.ack(ds[0].id, ConsumeResult::Success);
    h.ack(ds[1].id, ConsumeResult::Success);
    h.drive();
    assert_eq!(shutdowns(&h, c), 1, "no need to wait any longer");
    assert!(h.revoked().is_empty());
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(2));
}

#[test]
fn an_orderly_consumer_releases_its_locks_at_shutdown() {
    let mut h = with_producer(2);
    produce(&mut h, 0, "m", 0..2);
    let c = h.start_consumer(orderly_from_first("cg"), &[("T", "*")]);
    let id = h.client.client_id().to_owned();
    for q in 0..2 {
        assert_eq!(
            h.store(BROKER).lock_owner(h.now, "cg", &mq("T", q)),
            Some(id.clone())
        );
    }
    let m0 = h.deliveries();
    assert_eq!(m0.len(), 1);
    h.ack(m0[0].id, ConsumeResult::Success);
    h.drive();
    let ds = h.deliveries();
    assert_eq!(bodies(ds[0].messages.iter()), ["m1"], "m1 in flight");
    shutdown(&mut h, c);
    h.drive();
    assert_eq!(revoked_set(&h), ids(&ds));
    for q in 0..2 {
        assert_eq!(
            h.store(BROKER).lock_owner(h.now, "cg", &mq("T", q)),
            None,
            "T/{q} unlocked"
        );
    }
    assert_eq!(
        h.store(BROKER).lock_owner(h.now, "cg", &mq("%RETRY%cg", 0)),
        None
    );
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(1));
}

#[test]
fn when_the_consumer_was_the_instances_last_role_the_instance_shuts_down() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..2);
    let c = h.start_consumer(push_from_first("cg"), &[("T", "*")]);
    let ds = h.deliveries();
    h.ack(ds[0].id, ConsumeResult::Success);
    shutdown(&mut h, c);
    h.drive();
    assert_eq!(shutdowns(&h, c), 1);
    assert_eq!(count(&h, |e| matches!(e, Event::ShutdownComplete)), 1);
    let order: Vec<usize> = h
        .events()
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::ConsumerShutdown { .. } | Event::ShutdownComplete))
        .map(|(i, _)| i)
        .collect();
    assert!(order[0] < order[1], "the consumer first, then the instance");
    assert_eq!(h.client.state(), ServiceState::ShutdownAlready);
    assert_eq!(h.client.armed_timers(), 0);
    assert_eq!(h.client.in_flight_requests(), 0);
    // What the consumer sent on its way out reached the broker before the connections closed.
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(1));
    assert!(received(&h, RequestCode::UNREGISTER_CLIENT)
        .iter()
        .any(|u| u.ext_fields.get("consumerGroup") == Some("cg")));
    assert!(h.store(BROKER).members("cg").is_empty());
    // Nothing runs any more: no heartbeat, no pull, no rebalance.
    let before = h.broker(BROKER).received().len();
    h.advance(Duration::from_secs(120));
    assert_eq!(h.broker(BROKER).received().len(), before);
}

#[test]
fn shutting_the_instance_down_shuts_its_consumers_down_first() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..2);
    let mut cfg = push_from_first("cg");
    // The instance does not wait for deliveries, whatever the consumer's setting.
    cfg.await_termination_when_shutdown = Duration::from_secs(30);
    let c = h.start_consumer(cfg, &[("T", "*")]);
    let ds = h.deliveries();
    h.ack(ds[0].id, ConsumeResult::Success);
    let now = h.now;
    h.client.shutdown(now);
    h.drive();
    assert_eq!(revoked_set(&h), ids(&ds[1..]));
    assert_eq!(shutdowns(&h, c), 1);
    assert_eq!(count(&h, |e| matches!(e, Event::ShutdownComplete)), 1);
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(1));
    assert!(h.store(BROKER).members("cg").is_empty());
    assert_eq!(h.client.armed_timers(), 0);
}
