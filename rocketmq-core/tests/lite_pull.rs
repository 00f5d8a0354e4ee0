//! A lite pull consumer (CONSUMER.md §5): assigned queues are pulled (LITE_PULL_MESSAGE)
//! and their messages polled after `Event::Pollable`; committed offsets survive a restart;
//! seeks re-read; a paused queue is not pulled until resumed; a subscribing consumer
//! rebalances; subscribe and assign exclude each other.

#[path = "common/consumer_b.rs"]
mod consumer_b;

use std::time::Duration;

use consumer_b::*;
use rocketmq_core::proto::body::MessageQueue;
use rocketmq_core::proto::RequestCode;
use rocketmq_core::testing::Harness;
use rocketmq_core::{
    ConsumerConfig, ConsumerError, ConsumerId, Event, ProducerConfig, QueryId, UsageError,
};

/// Creates a lite pull consumer, assigns it `queues`, starts it and drives.
///
/// Works around a core bug (see
/// `queues_assigned_before_their_route_is_known_are_pulled_once_it_is`): the queues are
/// assigned again once the topic's route is known, which is a no-op when they are held.
fn start_assigned(h: &mut Harness, cfg: ConsumerConfig, queues: &[MessageQueue]) -> ConsumerId {
    let c = assign_and_start(h, cfg, queues);
    let now = h.now;
    let api = h.client.consumer(c).expect("created");
    api.assign(now, queues.iter().cloned()).expect("assigned");
    h.drive();
    c
}

/// Creates a lite pull consumer, assigns it `queues`, starts it and drives (Java's usage).
fn assign_and_start(h: &mut Harness, cfg: ConsumerConfig, queues: &[MessageQueue]) -> ConsumerId {
    let c = h.client.create_consumer(cfg);
    let now = h.now;
    let api = h.client.consumer(c).expect("created");
    api.assign(now, queues.iter().cloned()).expect("assigned");
    h.client.consumer(c).unwrap().start(now).expect("started");
    h.drive();
    c
}

fn poll(h: &mut Harness, c: ConsumerId, max: usize) -> Vec<String> {
    let now = h.now;
    let msgs = h
        .client
        .consumer(c)
        .unwrap()
        .poll(now, max)
        .expect("polled");
    bodies(&msgs)
}

fn pollable(h: &Harness, c: ConsumerId) -> usize {
    count(
        h,
        |e| matches!(e, Event::Pollable { consumer } if *consumer == c),
    )
}

/// The answer to a query, if it came.
fn answer(h: &Harness, q: QueryId) -> Option<Result<i64, ConsumerError>> {
    h.events().iter().find_map(|e| match e {
        Event::QueryAnswered { query, result } if *query == q => Some(result.clone()),
        _ => None,
    })
}

#[test]
fn assigned_queues_are_pulled_and_their_messages_polled_after_pollable() {
    let mut h = one_broker(2);
    produce(&mut h, 0, "a", 0..5);
    produce(&mut h, 1, "b", 0..5);
    let c = start_assigned(&mut h, lite_from_first("cg"), &[mq("T", 0)]);
    assert!(pollable(&h, c) >= 1, "Event::Pollable");
    assert_eq!(poll(&mut h, c, 2), ["a0", "a1"], "at most max");
    assert_eq!(
        poll(&mut h, c, 100),
        names("a", 2..5),
        "the rest, queue 0 only"
    );
    assert!(poll(&mut h, c, 100).is_empty());
    assert!(!received(&h, RequestCode::LITE_PULL_MESSAGE).is_empty());
    assert_eq!(received(&h, RequestCode::PULL_MESSAGE).len(), 0);
    // A message arriving later wakes the held pull.
    let before = pollable(&h, c);
    produce(&mut h, 0, "a", 5..6);
    h.drive();
    assert!(pollable(&h, c) > before);
    assert_eq!(poll(&mut h, c, 100), ["a5"]);
}

#[test]
fn queues_assigned_before_their_route_is_known_are_pulled_once_it_is() {
    let mut h = one_broker(2);
    produce(&mut h, 0, "a", 0..3);
    let c = assign_and_start(&mut h, lite_from_first("cg"), &[mq("T", 0)]);
    h.advance(Duration::from_secs(5));
    assert_eq!(h.client.consumer(c).unwrap().assignment(), [mq("T", 0)]);
    assert_eq!(poll(&mut h, c, 100), names("a", 0..3));
    let queues_changed: Vec<Vec<MessageQueue>> = h
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::QueuesChanged { queues, .. } => Some(queues.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(queues_changed.last(), Some(&vec![mq("T", 0)]));
}

#[test]
fn a_restarted_consumer_resumes_from_the_offset_committed_with_commit_sync() {
    let mut h = one_broker(1);
    // A producer keeps the instance running across the consumers.
    h.start_producer(ProducerConfig::new("pg"));
    produce(&mut h, 0, "m", 0..10);
    let mut cfg = lite_from_first("cg");
    cfg.auto_commit = false;
    let c = start_assigned(&mut h, cfg.clone(), &[mq("T", 0)]);
    assert_eq!(poll(&mut h, c, 4), names("m", 0..4));
    let now = h.now;
    h.client.consumer(c).unwrap().commit_sync(now).unwrap();
    h.drive();
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(4));
    assert_eq!(
        poll(&mut h, c, 3),
        names("m", 4..7),
        "polled, not committed"
    );
    let now = h.now;
    h.client.consumer(c).unwrap().shutdown(now);
    h.drive();
    assert_eq!(
        count(&h, |e| matches!(e, Event::ConsumerShutdown { .. })),
        1
    );
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(4));

    let again = start_assigned(&mut h, cfg, &[mq("T", 0)]);
    assert_eq!(
        poll(&mut h, again, 100),
        names("m", 4..10),
        "from the committed offset"
    );
}

#[test]
fn commit_reaches_the_broker_with_the_next_offset_persistence() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..10);
    let mut cfg = lite_from_first("cg");
    cfg.auto_commit = false;
    let c = start_assigned(&mut h, cfg, &[mq("T", 0)]);
    assert_eq!(poll(&mut h, c, 6).len(), 6);
    h.client.consumer(c).unwrap().commit().unwrap();
    h.drive();
    assert_eq!(
        h.store(BROKER).consumer_offset("cg", "T", 0),
        None,
        "memory only"
    );
    h.advance(Duration::from_secs(10));
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(6));
}

#[test]
fn seek_rereads_a_queue_from_the_offset_given_at_once() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..5);
    let c = start_assigned(&mut h, lite_from_first("cg"), &[mq("T", 0)]);
    assert_eq!(poll(&mut h, c, 100), names("m", 0..5));
    let now = h.now;
    let q = h
        .client
        .consumer(c)
        .unwrap()
        .seek(now, &mq("T", 0), 2)
        .unwrap();
    h.drive();
    assert_eq!(
        answer(&h, q),
        Some(Ok(2)),
        "answered by Event::QueryAnswered"
    );
    assert_eq!(poll(&mut h, c, 100), names("m", 2..5), "re-read at once");
}

#[test]
fn seek_rereads_a_queue_from_the_offset_given_once_its_held_pull_returns() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..5);
    let c = start_assigned(&mut h, lite_from_first("cg"), &[mq("T", 0)]);
    assert_eq!(poll(&mut h, c, 100), names("m", 0..5));
    let now = h.now;
    let q = h
        .client
        .consumer(c)
        .unwrap()
        .seek(now, &mq("T", 0), 2)
        .unwrap();
    h.drive();
    assert_eq!(answer(&h, q), Some(Ok(2)));
    // The pull held by the broker when the seek came ends within its 20 s suspension.
    h.advance(Duration::from_secs(21));
    assert_eq!(poll(&mut h, c, 100), names("m", 2..5));
}

/// CONSUMER.md §5.3–5.4: a seek sets where the next pull starts and the consume offset;
/// only `commit` (or auto-commit) commits it.
#[test]
fn a_seek_is_not_committed_until_the_application_commits() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..5);
    let mut cfg = lite_from_first("cg");
    cfg.auto_commit = false;
    let c = start_assigned(&mut h, cfg, &[mq("T", 0)]);
    assert_eq!(poll(&mut h, c, 2), ["m0", "m1"]);
    let now = h.now;
    h.client.consumer(c).unwrap().commit_sync(now).unwrap();
    h.drive();
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(2));
    let now = h.now;
    let q = h
        .client
        .consumer(c)
        .unwrap()
        .seek(now, &mq("T", 0), 5)
        .unwrap();
    h.drive();
    assert_eq!(answer(&h, q), Some(Ok(5)));
    h.advance(Duration::from_secs(15));
    assert_eq!(
        h.store(BROKER).consumer_offset("cg", "T", 0),
        Some(2),
        "the skipped messages are not committed behind the application's back"
    );
    let now = h.now;
    h.client.consumer(c).unwrap().commit_sync(now).unwrap();
    h.drive();
    assert_eq!(h.store(BROKER).consumer_offset("cg", "T", 0), Some(5));
}

#[test]
fn seek_to_begin_rereads_a_queue_from_its_first_offset() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..5);
    h.store_mut(BROKER).truncate_before("T", 0, 1);
    let c = start_assigned(&mut h, lite_from_first("cg"), &[mq("T", 0)]);
    assert_eq!(poll(&mut h, c, 100), names("m", 1..5));
    let now = h.now;
    let q = h
        .client
        .consumer(c)
        .unwrap()
        .seek_to_begin(now, &mq("T", 0))
        .unwrap();
    h.drive();
    assert_eq!(answer(&h, q), Some(Ok(1)), "the queue's min offset");
    h.advance(Duration::from_secs(21));
    assert_eq!(poll(&mut h, c, 100), names("m", 1..5));
}

#[test]
fn a_seek_outside_the_queue_is_refused_and_changes_nothing() {
    let mut h = one_broker(1);
    produce(&mut h, 0, "m", 0..5);
    let c = start_assigned(&mut h, lite_from_first("cg"), &[mq("T", 0)]);
    assert_eq!(poll(&mut h, c, 100).len(), 5);
    let now = h.now;
    let q = h
        .client
        .consumer(c)
        .unwrap()
        .seek(now, &mq("T", 0), 9)
        .unwrap();
    h.drive();
    assert!(matches!(
        answer(&h, q),
        Some(Err(ConsumerError::OffsetOutOfRange {
            offset: 9,
            min: 0,
            max: 5
        }))
    ));
    let now = h.now;
    let not_mine = h.client.consumer(c).unwrap().seek(now, &mq("T", 3), 0);
    assert!(matches!(not_mine, Err(UsageError::NotAssigned(_))));
    h.advance(Duration::from_secs(21));
    assert!(poll(&mut h, c, 100).is_empty());
}

#[test]
fn a_paused_queue_is_not_pulled_until_it_is_resumed() {
    let mut h = one_broker(2);
    let c = start_assigned(&mut h, lite_from_first("cg"), &[mq("T", 0), mq("T", 1)]);
    h.client.consumer(c).unwrap().pause(&[mq("T", 0)]).unwrap();
    // The pulls held when it paused end within their 20 s suspension.
    h.advance(Duration::from_secs(21));
    let pulls_of = |h: &Harness, q: &str| {
        received(h, RequestCode::LITE_PULL_MESSAGE)
            .iter()
            .filter(|c| c.ext_fields.get("queueId") == Some(q))
            .count()
    };
    let (q0, q1) = (pulls_of(&h, "0"), pulls_of(&h, "1"));
    produce(&mut h, 0, "a", 0..2);
    produce(&mut h, 1, "b", 0..2);
    h.advance(Duration::from_secs(10));
    assert_eq!(pulls_of(&h, "0"), q0, "queue 0 is not pulled while paused");
    assert!(pulls_of(&h, "1") > q1, "queue 1 is");
    assert_eq!(poll(&mut h, c, 100), names("b", 0..2));
    h.client
        .consumer(c)
        .unwrap()
        .resume_queues(&[mq("T", 0)])
        .unwrap();
    h.advance(Duration::from_secs(2));
    assert!(pulls_of(&h, "0") > q0, "pulled again");
    assert_eq!(poll(&mut h, c, 100), names("a", 0..2));
}

#[test]
fn a_subscribing_lite_consumer_rebalances_its_queues_with_the_group() {
    let mut h = one_broker(4);
    let c = h.client.create_consumer(lite_from_first("cg"));
    let now = h.now;
    h.client
        .consumer(c)
        .unwrap()
        .subscribe(now, "T", "*")
        .unwrap();
    h.client.consumer(c).unwrap().start(now).unwrap();
    h.drive();
    let changes = |h: &Harness| -> Vec<Vec<i32>> {
        h.events()
            .iter()
            .filter_map(|e| match e {
                Event::QueuesChanged { topic, queues, .. } if topic == "T" => {
                    Some(queues.iter().map(|q| q.queue_id).collect())
                }
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        changes(&h),
        [vec![0, 1, 2, 3]],
        "alone, it holds every queue"
    );
    // A second member joins: the broker notifies, the group's queues are divided.
    other_member_joins(&mut h, "10.9.9.9@other", "cg", "T");
    h.drive();
    assert_eq!(changes(&h).last(), Some(&vec![2, 3]), "its half (AVG)");
    produce(&mut h, 0, "a", 0..1);
    produce(&mut h, 2, "c", 0..1);
    h.drive();
    assert_eq!(poll(&mut h, c, 100), ["c0"], "only its queues are pulled");
}

#[test]
fn subscribe_and_assign_are_mutually_exclusive() {
    let mut h = one_broker(1);
    let wrong = |r: Result<(), UsageError>| matches!(r, Err(UsageError::WrongKind { .. }));
    let now = h.now;
    let a = h.client.create_consumer(ConsumerConfig::lite_pull("cg1"));
    h.client
        .consumer(a)
        .unwrap()
        .subscribe(now, "T", "*")
        .unwrap();
    assert!(wrong(
        h.client.consumer(a).unwrap().assign(now, [mq("T", 0)])
    ));
    let b = h.client.create_consumer(ConsumerConfig::lite_pull("cg2"));
    h.client
        .consumer(b)
        .unwrap()
        .assign(now, [mq("T", 0)])
        .unwrap();
    assert!(wrong(
        h.client.consumer(b).unwrap().subscribe(now, "T", "*")
    ));
    // Lite pull operations are for lite pull consumers only.
    let p = h.client.create_consumer(ConsumerConfig::push("cg3"));
    assert!(wrong(
        h.client.consumer(p).unwrap().assign(now, [mq("T", 0)])
    ));
    assert!(matches!(
        h.client.consumer(p).unwrap().poll(now, 1),
        Err(UsageError::WrongKind { .. })
    ));
}

#[test]
fn fetch_queues_looks_the_route_up_then_answers_in_java_order() {
    let mut h = one_broker(3);
    let c = h.client.create_consumer(lite_from_first("cg"));
    let now = h.now;
    let api = h.client.consumer(c).unwrap();
    assert_eq!(api.fetch_queues(now, "T"), None, "route unknown yet");
    h.drive();
    assert!(
        h.events()
            .iter()
            .any(|e| matches!(e, Event::RouteUpdated { topic } if topic == "T")),
        "the lookup's answer is announced"
    );
    let now = h.now;
    let api = h.client.consumer(c).unwrap();
    assert_eq!(
        api.fetch_queues(now, "T"),
        Some(vec![mq("T", 0), mq("T", 1), mq("T", 2)])
    );
    assert_eq!(h.client.consumer(c).unwrap().known_queues("U"), None);
}
