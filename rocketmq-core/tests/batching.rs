//! Batching: sends to a backlogged broker leave together and its answers are read together,
//! without costing throughput or latency; a lone send, a broker without a queue and a zero
//! delay write every send and read every answer at once.

mod common;

use std::time::{Duration, Instant};

use common::*;
use rocketmq_core::testing::Harness;
use rocketmq_core::{Event, Message, SendId};
use rocketmq_proto::RequestCode;

const BROKER: &str = "10.0.0.1:10911";

/// One broker answering after `latency`, handling requests one at a time when `service` is
/// non-zero, and a client whose batching delay is `delay`, read by a driver honouring read
/// pauses' low-water marks.
fn cluster(service: Duration, latency: Duration, delay: Duration) -> Harness {
    cluster_reading(service, latency, delay, true)
}

/// As [`cluster`], the driver honouring low-water marks or pausing reads by time alone.
fn cluster_reading(
    service: Duration,
    latency: Duration,
    delay: Duration,
    low_water: bool,
) -> Harness {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER)
        .topic("T", &[("broker-a", 4)])
        .config(|c| c.batch_delay = delay)
        .read_low_water(low_water)
        .build();
    h.broker_mut("broker-a")
        .set_service_time(service)
        .set_latency(latency);
    h
}

/// What a closed loop of `tasks` senders saw: each sends again as soon as its send completes.
#[derive(Debug)]
struct Run {
    /// Send requests the broker received, the writes that carried them, and the reads that
    /// took in their answers.
    requests: usize,
    writes: usize,
    reads: usize,
    /// From the first send to the last completion.
    elapsed: Duration,
    /// Mean time from send to completion.
    mean_latency: Duration,
}

fn closed_loop(h: &mut Harness, tasks: usize, total: usize) -> Run {
    let p = producer(h, |_| {});
    // Warm the route and connection with one send, so the loop measures steady state.
    send_one(h, p).expect("warm-up send");
    let (requests0, writes0, reads0) =
        (h.send_requests(), h.writes_to(BROKER), h.reads_from(BROKER));
    h.take_events();
    let start = h.now;
    let mut sent_at: Vec<(SendId, Instant)> = Vec::new();
    let mut done = 0;
    let mut latency = Duration::ZERO;
    for _ in 0..tasks.min(total) {
        sent_at.push((h.send(p, Message::new("T", "x")), h.now));
    }
    let mut issued = tasks.min(total);
    let mut last = start;
    for _ in 0..1_000_000 {
        if done == total {
            break;
        }
        h.advance(Duration::from_micros(50));
        for e in h.take_events() {
            let Event::SendCompleted { id, result } = e else {
                continue;
            };
            result.expect("every send succeeds");
            let i = sent_at
                .iter()
                .position(|(s, _)| *s == id)
                .expect("a send of ours");
            latency += h.now - sent_at.swap_remove(i).1;
            done += 1;
            last = h.now;
            if issued < total {
                sent_at.push((h.send(p, Message::new("T", "x")), h.now));
                issued += 1;
            }
        }
    }
    assert_eq!(done, total, "every send completed");
    assert_eq!(h.client.pending_sends(), 0);
    Run {
        requests: h.send_requests() - requests0,
        writes: h.writes_to(BROKER) - writes0,
        reads: h.reads_from(BROKER) - reads0,
        elapsed: last - start,
        mean_latency: latency / total as u32,
    }
}

const MS: Duration = Duration::from_millis(1);
const DEFAULT_DELAY: Duration = Duration::from_millis(10);

const LOCAL_SERVICE: Duration = Duration::from_micros(660);
const LOCAL_LATENCY: Duration = Duration::from_micros(100);

/// The local broker's shape: one store thread at ~1,500 msgs/s (0.66 ms a message), a 0.1 ms
/// network; 64 senders send 2,000 messages, the client batching with `delay`.
fn local_broker_loop(delay: Duration, low_water: bool) -> Run {
    let cluster = &mut cluster_reading(LOCAL_SERVICE, LOCAL_LATENCY, delay, low_water);
    closed_loop(cluster, 64, 2_000)
}

/// Asserts that a [`local_broker_loop`] read its answers at least 5 to a read, and that
/// batching cost nothing against the `unbatched` loop.
fn assert_reads_batched_at_no_cost(batched: &Run, unbatched: &Run) {
    assert!(
        batched.reads * 5 <= batched.requests,
        "at least 5 answers a read: {batched:?}"
    );
    // The broker never waited for a held send: 2,000 services back to back.
    let floor = LOCAL_SERVICE * 2_000;
    assert!(
        batched.elapsed <= floor + 20 * MS,
        "the broker stayed busy: {batched:?}, floor {floor:?}"
    );
    assert!(
        batched.mean_latency <= unbatched.mean_latency + MS,
        "a held send waits where it would have queued at the broker: {batched:?} against {unbatched:?}"
    );
}

#[test]
fn sends_to_and_answers_from_a_backlogged_broker_go_together_at_no_cost() {
    let batched = local_broker_loop(DEFAULT_DELAY, true);
    let unbatched = local_broker_loop(Duration::ZERO, true);
    assert_eq!(batched.requests, 2_000);
    assert_eq!(unbatched.requests, 2_000);
    assert!(
        unbatched.writes >= 1_900,
        "without batching a send is a write: {unbatched:?}"
    );
    assert!(
        batched.writes * 10 <= batched.requests,
        "at least 10 sends a write: {batched:?}"
    );
    assert!(
        unbatched.reads >= 1_900,
        "without batching an answer is a read: {unbatched:?}"
    );
    assert_reads_batched_at_no_cost(&batched, &unbatched);
}

#[test]
fn a_driver_without_low_water_marks_pauses_reads_by_time_at_no_cost() {
    // Where the socket cannot hold back readiness (other systems), a pause ends by its time.
    let timed = local_broker_loop(DEFAULT_DELAY, false);
    let unbatched = local_broker_loop(Duration::ZERO, true);
    assert_reads_batched_at_no_cost(&timed, &unbatched);
}

#[test]
fn a_held_send_leaves_when_the_delay_has_passed() {
    // 50 ms a message with 8 out: the backlog (8 x 50 ms) never drains within two round
    // trips, so a freed sender's send is held, and leaves alone when the 4 ms delay is over.
    let delay = Duration::from_millis(4);
    let mut h = cluster(Duration::from_millis(50), Duration::ZERO, delay);
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).expect("warm-up send");
    for _ in 0..8 {
        h.send(p, Message::new("T", "x"));
    }
    let mut waits = Vec::new();
    let mut issued_at = None;
    for _ in 0..2_000 {
        let writes = h.writes_to(BROKER);
        h.advance(Duration::from_micros(500));
        if let (Some(t), true) = (issued_at, h.writes_to(BROKER) > writes) {
            waits.push(h.now - t);
            issued_at = None;
        }
        let completed = h
            .take_events()
            .iter()
            .filter(|e| matches!(e, Event::SendCompleted { .. }))
            .count();
        if completed > 0 && issued_at.is_none() && waits.len() < 10 {
            h.send(p, Message::new("T", "x"));
            issued_at = Some(h.now);
        }
    }
    // The first answers build the estimate; every send after is held for the delay.
    assert!(waits.len() >= 8, "{waits:?}");
    for w in &waits[2..] {
        assert!(
            *w >= delay && *w <= delay + MS,
            "held for the delay, no longer: {waits:?}"
        );
    }
    h.drive();
    assert_eq!(h.client.pending_sends(), 0);
}

#[test]
fn a_broker_without_a_queue_and_a_lone_sender_get_every_send_at_once() {
    // Answers as fast as the 1 ms round trip allows, 64 in flight: nothing queues at the
    // broker, so nothing is held.
    let fast = closed_loop(&mut cluster(Duration::ZERO, MS, DEFAULT_DELAY), 64, 2_000);
    assert!(fast.writes * 10 >= fast.requests * 9, "{fast:?}");
    assert!(fast.reads * 10 >= fast.requests * 9, "{fast:?}");
    // One sender at a time, backlogged broker or not: every send is written at once.
    let lone = closed_loop(
        &mut cluster(Duration::from_micros(660), MS, DEFAULT_DELAY),
        1,
        200,
    );
    assert_eq!(lone.writes, lone.requests, "{lone:?}");
    assert_eq!(lone.reads, lone.requests, "{lone:?}");
}

#[test]
fn an_answer_waits_unread_no_longer_than_the_delay() {
    // 1 ms a message with 64 out: 64 ms of backlog would allow a 31 ms pause; the 3 ms delay
    // caps it.
    let delay = Duration::from_millis(3);
    let mut h = cluster(MS, Duration::from_micros(100), delay);
    let run = closed_loop(&mut h, 64, 1_000);
    assert!(run.reads * 2 <= run.requests, "reads paused: {run:?}");
    let waited = h.longest_read_wait();
    assert!(
        waited > Duration::ZERO && waited <= delay,
        "answers waited {waited:?}, the delay is {delay:?}"
    );
}

#[test]
fn a_heartbeat_is_never_held_and_takes_the_held_sends_along() {
    let mut h = Harness::builder(Instant::now())
        .broker("broker-a", BROKER)
        .topic("T", &[("broker-a", 4)])
        .config(|c| {
            c.batch_delay = Duration::from_secs(1);
            c.heartbeat_broker_interval = Duration::from_millis(40);
        })
        .build();
    h.broker_mut("broker-a")
        .set_service_time(Duration::from_millis(5));
    let p = producer(&mut h, |_| {});
    send_one(&mut h, p).expect("warm-up send");
    for _ in 0..16 {
        h.send(p, Message::new("T", "x"));
    }
    // Answers 5 ms apart show a backlog of 16 x 5 ms; sends queued now are held, and would
    // be until it drains (about 70 ms on) or for the 1 s delay.
    h.advance(Duration::from_millis(12));
    let before = h.send_requests();
    for _ in 0..4 {
        h.send(p, Message::new("T", "x"));
    }
    h.advance(Duration::from_micros(100));
    assert_eq!(h.send_requests(), before, "the new sends are held");
    let heartbeats = h.broker("broker-a").received_count(RequestCode::HEART_BEAT);
    // The next heartbeat (every 40 ms) is written at once, and the held sends with it.
    for _ in 0..50 {
        h.advance(MS);
        if h.broker("broker-a").received_count(RequestCode::HEART_BEAT) > heartbeats {
            break;
        }
    }
    assert!(h.broker("broker-a").received_count(RequestCode::HEART_BEAT) > heartbeats);
    assert_eq!(
        h.send_requests(),
        before + 4,
        "the held sends left with the heartbeat"
    );
    h.drive();
    assert_eq!(h.client.pending_sends(), 0);
}
