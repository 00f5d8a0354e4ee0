//! The queues a consumer holds: for each, its cached messages, where its pull loop is, its
//! orderly lock and delivery, keyed by a handle that is never reused.

use std::collections::BTreeMap;
use std::time::Instant;

use rocketmq_proto::body::MessageQueue;

use super::process_queue::ProcessQueue;
use crate::ids::DeliveryId;

/// A queue held by a consumer, named by the consumer; a removed queue's key is never used
/// again, so late answers and timers for it find nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct QueueKey(pub(crate) u32);

/// Where a queue is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Orderly, clustering: waiting for the broker lock before anything else.
    Locking,
    /// Looking up where to start (stored offset, or the consume-from rule).
    Starting,
    /// Pulling and delivering.
    Active,
    /// Taken away; kept only until its orderly delivery ends (then unlocked and removed).
    Dropped,
}

/// Where a queue's pull loop is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PullState {
    /// Nothing scheduled (the queue is not active, or a pull is about to be sent).
    Idle,
    /// The next pull waits until then (flow control, backoff, pull interval).
    Due(Instant),
    /// A pull request is in flight.
    InFlight,
}

/// One held queue.
#[derive(Debug)]
pub(crate) struct QueueState {
    pub(crate) mq: MessageQueue,
    pub(crate) phase: Phase,
    pub(crate) pq: ProcessQueue,
    /// The offset the next pull asks for.
    pub(crate) next_offset: i64,
    pub(crate) pull: PullState,
    /// The broker id the last pull answer suggested for the next one.
    pub(crate) suggested_broker: i64,
    /// Orderly: whether the broker lock is held, and when it was last granted.
    pub(crate) locked: bool,
    pub(crate) last_lock: Option<Instant>,
    /// Orderly: the delivery in flight (at most one per queue).
    pub(crate) delivery: Option<DeliveryId>,
    /// Orderly: deliveries wait until then after a failure.
    pub(crate) suspended_until: Option<Instant>,
    /// Orderly: dead-letter sends under way for the delivery that ended; the queue waits.
    pub(crate) dead_lettering: u32,
    /// Lite pull: pulls stop while paused.
    pub(crate) paused: bool,
    /// When the last pull was sent (Java `lastPullTimestamp`).
    pub(crate) last_pull: Option<Instant>,
    /// When the last delivery started (Java `lastConsumeTimestamp`).
    pub(crate) last_consume: Option<Instant>,
    /// When the queue was dropped (orderly queues are unlocked at the latest 20 s later).
    pub(crate) dropped_at: Option<Instant>,
}

impl QueueState {
    fn new(mq: MessageQueue, phase: Phase) -> Self {
        Self {
            mq,
            phase,
            pq: ProcessQueue::default(),
            next_offset: 0,
            pull: PullState::Idle,
            suggested_broker: 0,
            locked: false,
            last_lock: None,
            delivery: None,
            suspended_until: None,
            dead_lettering: 0,
            paused: false,
            last_pull: None,
            last_consume: None,
            dropped_at: None,
        }
    }

    /// Whether the queue takes part in pulling and delivering.
    pub(crate) fn is_active(&self) -> bool {
        self.phase == Phase::Active
    }
}

/// A consumer's held queues, by key and by name. A dropped queue waiting for its orderly
/// delivery to end keeps its key and state, but its name may already name a new one.
#[derive(Debug, Default)]
pub(crate) struct Queues {
    states: BTreeMap<QueueKey, QueueState>,
    by_mq: BTreeMap<MessageQueue, QueueKey>,
    next: u32,
}

impl Queues {
    /// Adds a queue in `phase`; returns its key.
    pub(crate) fn add(&mut self, mq: MessageQueue, phase: Phase) -> QueueKey {
        let key = QueueKey(self.next);
        self.next = self.next.wrapping_add(1);
        self.by_mq.insert(mq.clone(), key);
        self.states.insert(key, QueueState::new(mq, phase));
        key
    }

    pub(crate) fn get(&self, key: QueueKey) -> Option<&QueueState> {
        self.states.get(&key)
    }

    pub(crate) fn get_mut(&mut self, key: QueueKey) -> Option<&mut QueueState> {
        self.states.get_mut(&key)
    }

    /// The key of a held queue.
    pub(crate) fn key_of(&self, mq: &MessageQueue) -> Option<QueueKey> {
        self.by_mq.get(mq).copied()
    }

    /// Forgets a queue.
    pub(crate) fn remove(&mut self, key: QueueKey) -> Option<QueueState> {
        let q = self.states.remove(&key)?;
        if self.by_mq.get(&q.mq) == Some(&key) {
            self.by_mq.remove(&q.mq);
        }
        Some(q)
    }

    /// Keys of every queue, dropped ones included, oldest first.
    pub(crate) fn keys(&self) -> Vec<QueueKey> {
        self.states.keys().copied().collect()
    }

    /// Every queue, dropped ones included, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (QueueKey, &QueueState)> {
        self.states.iter().map(|(k, q)| (*k, q))
    }

    /// Keys of the held (not dropped) queues of a topic, in queue order.
    pub(crate) fn of_topic(&self, topic: &str) -> Vec<QueueKey> {
        self.by_mq
            .iter()
            .filter(|(mq, _)| mq.topic == topic)
            .map(|(_, k)| *k)
            .collect()
    }

    /// The held (not dropped) queues, in queue order.
    pub(crate) fn held(&self) -> impl Iterator<Item = &MessageQueue> {
        self.by_mq.keys()
    }

    /// Whether a dropped queue named `mq`, other than `key`, still has its orderly delivery
    /// running (the queue is not free to deliver or unlock until it ends).
    pub(crate) fn predecessor_running(&self, key: QueueKey, mq: &MessageQueue) -> bool {
        self.by_mq.len() < self.states.len()
            && self.states.iter().any(|(k, q)| {
                *k != key && q.phase == Phase::Dropped && q.delivery.is_some() && q.mq == *mq
            })
    }

    /// Marks a queue dropped: its name is free for a new queue at once.
    pub(crate) fn drop_name(&mut self, key: QueueKey) {
        if let Some(q) = self.states.get_mut(&key) {
            q.phase = Phase::Dropped;
            if self.by_mq.get(&q.mq) == Some(&key) {
                self.by_mq.remove(&q.mq);
            }
        }
    }

    /// How many queues are held (not dropped).
    pub(crate) fn len(&self) -> usize {
        self.by_mq.len()
    }
}
