//! `consumer_ops`: a push consumer on the simulated cluster under arbitrary operations.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use rocketmq_core::consumer::allocate::{allocate_averagely, java_sorted_ids, java_sorted_queues};
use rocketmq_core::testing::{Harness, StoreConfig};
use rocketmq_core::{ConsumeFrom, ConsumeResult, ConsumerConfig, ConsumerId, DeliveryId, Event, Message};
use rocketmq_proto::body::{ConsumerData, HeartbeatData, MessageQueue, SubscriptionData};
use rocketmq_proto::{RemotingCommand, RequestCode};

use crate::client::BROKERS;

/// The topic consumed.
const TOPIC: &str = "Orders";
/// The consumer group.
const GROUP: &str = "fuzz_group";
/// Queues per broker.
const QUEUES: i32 = 2;
/// Most operations interpreted from one input.
const MAX_OPS: usize = 48;
/// Longest virtual-time step of one `Advance`.
const MAX_ADVANCE_MS: u64 = 25_000;

/// One of the two brokers.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Broker {
    /// `broker-a`.
    A,
    /// `broker-b`.
    B,
}

impl Broker {
    fn name(self) -> &'static str {
        BROKERS[self as usize].0
    }
    fn addr(self) -> &'static str {
        BROKERS[self as usize].1
    }
}

/// How the application answers a delivery.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Answer {
    /// Consumed.
    Success,
    /// The first messages consumed.
    Partial(u8),
    /// Failed; retry after a delay level (0..=3).
    Later(u8),
    /// Orderly: try again after up to 2 s.
    Suspend(u16),
}

impl Answer {
    fn result(self) -> ConsumeResult {
        match self {
            Self::Success => ConsumeResult::Success,
            Self::Partial(n) => ConsumeResult::Partial {
                acked: usize::from(n % 4),
            },
            Self::Later(l) => ConsumeResult::Later {
                delay_level: i32::from(l % 4),
            },
            Self::Suspend(ms) => ConsumeResult::Suspend(Duration::from_millis(u64::from(ms % 2000))),
        }
    }
}

/// One operation of a scenario.
#[derive(Arbitrary, Debug)]
pub enum Op {
    /// Producers store messages in a queue.
    Produce { broker: Broker, queue: u8, count: u8 },
    /// The application answers its `pick`-th pending delivery.
    Answer { pick: u8, answer: Answer },
    /// The application answers a delivery already answered or revoked (must be ignored).
    AnswerAgain { pick: u8 },
    /// Virtual time passes.
    Advance { ms: u16 },
    /// A broker dies (its store survives) or comes back.
    Kill(Broker),
    /// A killed broker comes back.
    Revive(Broker),
    /// Another member of the group joins (heartbeats every broker) or leaves.
    Join(u8),
    /// A member leaves without a word (its sessions close).
    Leave(u8),
    /// A queue's oldest messages are deleted (the consumer's offset may become illegal).
    Truncate { broker: Broker, queue: u8, below: u8 },
    /// Drive until settled.
    Drive,
}

/// A scenario: the consumer's kind and batch sizes, then operations.
#[derive(Arbitrary, Debug)]
pub struct ConsumerScenario {
    /// Orderly instead of concurrent.
    pub orderly: bool,
    /// Messages per delivery, 1..=3.
    pub batch: u8,
    /// Deliveries in flight at once, 1..=4.
    pub threads: u8,
    /// The operations.
    pub ops: Vec<Op>,
}

/// Fuzz target `consumer_ops`: arbitrary productions, answers in any order, time, broker
/// deaths, members joining and leaving, queues truncated. After every step:
///
/// - no delivery is revoked after the application answered it, and none is delivered twice
///   under one id;
/// - a queue's offset at the broker never passes a message delivered and not yet answered
///   (nor revoked);
/// - orderly: a queue never has two unanswered deliveries, and within one run of a queue
///   (no revoke between) delivery offsets never go back except to deliver the same
///   messages again;
///
/// and at the end, with every broker up, every member gone and every answer a success:
/// every message stored was delivered at least once, nothing is left unanswered, and the
/// consumer holds exactly the queues its allocation gives it.
pub fn consumer_ops(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(scenario) = ConsumerScenario::arbitrary(&mut u) else {
        return;
    };
    run_consumer_scenario(&scenario);
}

/// What the checker knows of one delivery.
#[derive(Debug)]
struct Seen {
    queue: MessageQueue,
    offsets: Vec<i64>,
    answered: bool,
    revoked: bool,
}

/// The checker: deliveries seen, by id, and how far the events were read.
#[derive(Debug, Default)]
struct Checker {
    seen: BTreeMap<DeliveryId, Seen>,
    read: usize,
    /// Orderly: the last delivery's offsets of each queue since its last revoke.
    last: BTreeMap<MessageQueue, Vec<i64>>,
}

/// Runs a scenario and checks its properties (see [`consumer_ops`]).
pub fn run_consumer_scenario(s: &ConsumerScenario) {
    let mut h = cluster();
    let mut cfg = if s.orderly {
        ConsumerConfig::push_orderly(GROUP)
    } else {
        ConsumerConfig::push(GROUP)
    };
    cfg.consume_from = ConsumeFrom::First;
    cfg.consume_message_batch_max_size = u32::from(s.batch % 3) + 1;
    cfg.consume_thread_max = u32::from(s.threads % 4) + 1;
    // Deliveries left unanswered for long are not sent back here: that path may pass an
    // unanswered message by design (its copy went to the retry topic).
    cfg.consume_timeout = Duration::from_secs(24 * 3600);
    let c = h.start_consumer(cfg, &[(TOPIC, "*")]);
    let mut checker = Checker::default();
    let mut next_body = 0u32;
    let mut members = BTreeSet::new();
    let mut down = BTreeSet::new();
    for op in s.ops.iter().take(MAX_OPS) {
        apply(&mut h, c, op, &mut checker, &mut next_body, &mut members, &mut down);
        checker.check(&mut h, s.orderly);
    }
    // Quiescence: everything back, every answer a success.
    for b in [Broker::A, Broker::B] {
        if down.remove(&b) {
            h.revive_broker(b.name());
        }
    }
    for m in std::mem::take(&mut members) {
        leave(&mut h, m);
    }
    for d in h.deliveries() {
        checker.answer(&mut h, d.id, ConsumeResult::Success);
    }
    h.set_listener(|_| ConsumeResult::Success);
    // Long enough for retries to come back (delay levels are 1 s here), two rebalance
    // passes, route refreshes and reconnects.
    for _ in 0..12 {
        h.advance(Duration::from_secs(10));
        checker.check(&mut h, s.orderly);
    }
    h.drive();
    checker.check(&mut h, s.orderly);
    assert!(h.deliveries().is_empty(), "deliveries left unanswered");
    let delivered: BTreeSet<Bytes> = h
        .delivered(c)
        .into_iter()
        .map(|m| m.message.body)
        .collect();
    for b in [Broker::A, Broker::B] {
        for q in 0..QUEUES {
            for m in h.store(b.name()).messages(TOPIC, q) {
                assert!(
                    delivered.contains(&m.message.body),
                    "message {:?} of {} queue {q} never delivered",
                    m.message.body,
                    b.name()
                );
            }
        }
    }
    let all: Vec<MessageQueue> = java_sorted_queues(
        [Broker::A, Broker::B]
            .iter()
            .flat_map(|b| (0..QUEUES).map(move |q| MessageQueue::new(TOPIC, b.name(), q))),
    );
    let me = h.client.client_id().to_owned();
    let mine: BTreeSet<MessageQueue> = allocate_averagely(&me, &all, &java_sorted_ids([me.clone()]))
        .expect("allocation")
        .into_iter()
        .collect();
    let held: BTreeSet<MessageQueue> = h
        .client
        .consumer(c)
        .expect("consumer")
        .assignment()
        .into_iter()
        .filter(|mq| mq.topic == TOPIC)
        .collect();
    assert_eq!(held, mine, "the consumer holds what its allocation gives it");
}

fn cluster() -> Harness {
    let store = StoreConfig {
        commit_log_stride: Some(100),
        delay_levels: vec![Duration::from_secs(1); 18],
        ..StoreConfig::default()
    };
    let mut b = Harness::builder(Instant::now()).store_config(store);
    for (name, addr) in &BROKERS[..2] {
        b = b.broker(name, addr);
    }
    b.topic(TOPIC, &[(BROKERS[0].0, QUEUES), (BROKERS[1].0, QUEUES)])
        .build()
}

#[allow(clippy::too_many_arguments)]
fn apply(
    h: &mut Harness,
    c: ConsumerId,
    op: &Op,
    checker: &mut Checker,
    next_body: &mut u32,
    members: &mut BTreeSet<u8>,
    down: &mut BTreeSet<Broker>,
) {
    match *op {
        Op::Produce { broker, queue, count } => {
            for _ in 0..count % 8 {
                *next_body += 1;
                let msg = Message::new(TOPIC, format!("m{next_body}"));
                h.produce(broker.name(), TOPIC, i32::from(queue) % QUEUES, msg);
            }
        }
        Op::Answer { pick, answer } => {
            let pending = h.deliveries();
            if !pending.is_empty() {
                let d = &pending[usize::from(pick) % pending.len()];
                checker.answer(h, d.id, answer.result());
            }
        }
        Op::AnswerAgain { pick } => {
            let done: Vec<DeliveryId> = checker
                .seen
                .iter()
                .filter(|(_, s)| s.answered || s.revoked)
                .map(|(id, _)| *id)
                .collect();
            if !done.is_empty() {
                let id = done[usize::from(pick) % done.len()];
                let now = h.now;
                let r = h.client.consume_result(now, id, ConsumeResult::Success);
                assert!(r.is_ok(), "a late answer is ignored, not refused: {r:?}");
                h.pump();
            }
        }
        Op::Advance { ms } => h.advance(Duration::from_millis(u64::from(ms) % MAX_ADVANCE_MS)),
        Op::Kill(b) => {
            if down.insert(b) {
                h.kill_broker(b.name());
            }
        }
        Op::Revive(b) => {
            if down.remove(&b) {
                h.revive_broker(b.name());
            }
        }
        Op::Join(m) => {
            if members.insert(m % 3) {
                join(h, m % 3, down);
            }
        }
        Op::Leave(m) => {
            if members.remove(&(m % 3)) {
                leave(h, m % 3);
            }
        }
        Op::Truncate { broker, queue, below } => {
            let q = i32::from(queue) % QUEUES;
            let min = h.store(broker.name()).min_offset(TOPIC, q);
            let max = h.store(broker.name()).max_offset(TOPIC, q);
            let to = (min + i64::from(below % 4)).min(max);
            h.store_mut(broker.name()).truncate_before(TOPIC, q, to);
        }
        Op::Drive => h.drive(),
    }
    let _ = c;
}

/// Another member `m` heart-beats every live broker with the group and subscription.
fn join(h: &mut Harness, m: u8, down: &BTreeSet<Broker>) {
    let data = HeartbeatData {
        client_id: format!("10.9.9.{m}@peer"),
        consumer_data_set: vec![ConsumerData {
            group_name: GROUP.into(),
            subscription_data_set: vec![SubscriptionData::from_tag_expression(TOPIC, "*", 1)
                .expect("valid expression")],
            ..ConsumerData::default()
        }],
        producer_data_set: Vec::new(),
    };
    for b in [Broker::A, Broker::B] {
        if down.contains(&b) {
            continue;
        }
        let cmd = RemotingCommand::request(RequestCode::HEART_BEAT)
            .with_body(Bytes::from(data.to_json().into_bytes()));
        h.request_as(&peer(m), b.addr(), cmd);
    }
}

/// Member `m` leaves: its sessions close (the broker tells nobody).
fn leave(h: &mut Harness, m: u8) {
    for b in [Broker::A, Broker::B] {
        h.close_raw_as(&peer(m), b.addr());
    }
}

fn peer(m: u8) -> String {
    format!("peer{m}")
}

impl Checker {
    /// Answers a delivery as the application and notes it.
    fn answer(&mut self, h: &mut Harness, id: DeliveryId, result: ConsumeResult) {
        self.read_events(h);
        let Some(seen) = self.seen.get_mut(&id) else { return };
        if seen.revoked {
            return;
        }
        seen.answered = true;
        h.ack(id, result);
    }

    /// Reads new events into the table of deliveries.
    fn read_events(&mut self, h: &Harness) {
        let events = h.events();
        for e in &events[self.read..] {
            match e {
                Event::Deliver(d) => {
                    let offsets: Vec<i64> = d.messages.iter().map(|m| m.queue_offset).collect();
                    let fresh = self.seen.insert(
                        d.id,
                        Seen {
                            queue: d.queue.clone(),
                            offsets,
                            answered: false,
                            revoked: false,
                        },
                    );
                    assert!(fresh.is_none(), "delivery {:?} handed out twice", d.id);
                }
                Event::DeliveryRevoked { delivery, .. } => {
                    let seen = self.seen.get_mut(delivery).expect("revoked a known delivery");
                    assert!(!seen.answered, "delivery {delivery:?} revoked after its answer");
                    assert!(!seen.revoked, "delivery {delivery:?} revoked twice");
                    seen.revoked = true;
                }
                _ => {}
            }
        }
        self.read = events.len();
    }

    /// Checks the properties after a step.
    fn check(&mut self, h: &mut Harness, orderly: bool) {
        let before = self.read;
        self.read_events(h);
        // The harness's listener answers too: whatever it no longer lists is answered.
        let pending: BTreeSet<DeliveryId> = h.deliveries().iter().map(|d| d.id).collect();
        for (id, s) in &mut self.seen {
            if !pending.contains(id) && !s.revoked {
                s.answered = true;
            }
        }
        // Committed offsets at the brokers never pass an unanswered message.
        for (id, s) in &self.seen {
            if s.answered || s.revoked {
                continue;
            }
            let Some(first) = s.offsets.iter().min() else { continue };
            if let Some(stored) = h
                .store(&s.queue.broker_name)
                .consumer_offset(GROUP, &s.queue.topic, s.queue.queue_id)
            {
                assert!(
                    stored <= *first,
                    "offset {stored} of {:?} passed unanswered delivery {id:?} at {first}",
                    s.queue
                );
            }
        }
        if !orderly {
            return;
        }
        // One unanswered delivery per queue.
        let mut open: BTreeSet<&MessageQueue> = BTreeSet::new();
        for s in self.seen.values().filter(|s| !s.answered && !s.revoked) {
            assert!(open.insert(&s.queue), "two orderly deliveries in flight for {:?}", s.queue);
        }
        // Offsets never go back within a run, except to deliver the same messages again.
        let events = h.events();
        for e in &events[before..] {
            match e {
                Event::Deliver(d) => {
                    let offsets: Vec<i64> = d.messages.iter().map(|m| m.queue_offset).collect();
                    if let Some(last) = self.last.get(&d.queue) {
                        let again = offsets.first() == last.first();
                        let forward = offsets.first() > last.last();
                        assert!(
                            again || forward,
                            "orderly {:?} went from {last:?} to {offsets:?}",
                            d.queue
                        );
                    }
                    self.last.insert(d.queue.clone(), offsets);
                }
                Event::DeliveryRevoked { delivery, .. } => {
                    if let Some(s) = self.seen.get(delivery) {
                        self.last.remove(&s.queue);
                    }
                }
                Event::QueuesChanged { queues, topic, .. } => {
                    // A queue given up and taken again restarts from its committed offset.
                    self.last
                        .retain(|mq, _| mq.topic != *topic || queues.contains(mq));
                }
                _ => {}
            }
        }
    }
}
