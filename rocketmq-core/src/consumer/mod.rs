//! The consumer role (Java `DefaultMQPushConsumerImpl`, `DefaultLitePullConsumerImpl` and
//! their `RebalanceImpl`): subscriptions, rebalancing, a pull loop per queue, deliveries to
//! the application and their answers, offsets, retries and dead letters, orderly locks.
//!
//! Role code takes the shared [`Instance`](crate::client::Instance) by `&mut` and owns
//! everything only consumers need. The application's work comes out as events
//! ([`Event::Deliver`](crate::Event::Deliver)) and its answers come back as commands
//! ([`Client::consume_result`](crate::Client::consume_result)).

mod admin;
pub mod allocate;
mod api;
pub mod config;
mod deliver;
mod lifecycle;
mod lite;
pub(crate) mod lock;
mod offsets;
mod persist;
mod process_queue;
mod pull;
mod queue;
mod rebalance;
mod send_back;
mod start_offset;
mod subscription;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rocketmq_proto::body::{ConsumerData, MessageQueue};
use rocketmq_proto::message::MessageExt;

use self::config::ConsumerConfig;
use self::offsets::OffsetStore;
use self::queue::Queues;
use self::subscription::Subscriptions;
use crate::id_map::IdMap;
use crate::ids::{ConnId, ConsumerId, DeliveryId, DirectId, QueryId, SendId};
use crate::lifecycle::ServiceState;
use crate::seq_map::SeqMap;

pub use self::api::{Committed, ConsumerApi};
pub use self::config::{ConsumeFrom, ConsumerKind};
pub(crate) use self::pull::PullAnswer;
pub(crate) use self::queue::QueueKey;
pub(crate) use self::send_back::InternalSend;
pub use self::subscription::Selector;

/// Messages handed to the application in one piece of work.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// Its id, to answer with.
    pub id: DeliveryId,
    /// The consumer it is for.
    pub consumer: ConsumerId,
    /// The queue its messages come from.
    pub queue: MessageQueue,
    /// The messages, in queue-offset order (a retried message carries its original topic).
    pub messages: Arc<[MessageExt]>,
    /// Whether it is an orderly delivery (the next of its queue waits for its answer).
    pub orderly: bool,
}

/// How the application consumed a delivery (Java's `ConsumeConcurrentlyStatus`,
/// `ConsumeOrderlyStatus` and the context's `ackIndex` / delay level / suspend time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsumeResult {
    /// Every message was consumed (`CONSUME_SUCCESS`, `SUCCESS`).
    Success,
    /// Concurrent: the first `acked` messages were consumed, the rest failed (Java's
    /// `ackIndex = acked - 1`).
    Partial {
        /// How many of the first messages succeeded.
        acked: usize,
    },
    /// Every message failed (`RECONSUME_LATER`): concurrent messages come back from the
    /// retry topic after `delay_level` (0: the broker's choice, `3 + reconsume times`;
    /// below zero: straight to the dead-letter queue); an orderly queue waits the default
    /// suspend time and redelivers.
    Later {
        /// The delay level of the retry.
        delay_level: i32,
    },
    /// Orderly: the delivery failed; deliver it again after this long
    /// (`SUSPEND_CURRENT_QUEUE_A_MOMENT`). Concurrent: as `Later { delay_level: 0 }`.
    Suspend(Duration),
}

/// A consumer's deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ConsumerTimer {
    /// Rebalance every consumer (periodic, Java's `RebalanceService`).
    Rebalance,
    /// Persist every consumer's offsets (periodic, `persistConsumerOffsetInterval`).
    PersistOffsets,
    /// Renew every orderly consumer's locks (periodic, 20 s).
    LockAll,
    /// Look for deliveries older than the consume timeout (periodic per consumer).
    ConsumeTimeout(ConsumerId),
    /// Rebalance one consumer soon (a lock or a start offset could not be had).
    RebalanceSoon(ConsumerId),
    /// The next pull of a queue.
    Pull(ConsumerId, QueueKey),
    /// An orderly queue's suspension ends.
    Resume(ConsumerId, QueueKey),
    /// Messages whose send-back failed are delivered again locally.
    LocalRetry(ConsumerId),
    /// A shutdown stops waiting for deliveries in flight.
    ShutdownBound(ConsumerId),
}

/// A consumer's request in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ConsumerRequest {
    /// A pull of one queue.
    Pull(ConsumerId, QueueKey),
    /// GET_CONSUMER_LIST_BY_GROUP for a rebalance of `topic`.
    ConsumerIds(ConsumerId, String),
    /// Where a new queue starts: its stored offset, then the consume-from rule.
    StartOffset(ConsumerId, QueueKey, start_offset::Step),
    /// LOCK_BATCH_MQ to one broker; `single` when locking a new queue.
    Lock(ConsumerId, Vec<MessageQueue>),
    /// CONSUMER_SEND_MSG_BACK of one failed message.
    SendBack(ConsumerId, u64),
    /// An offset query of the application's.
    Query(QueryId),
    /// UNLOCK_BATCH_MQ at shutdown.
    Unlock,
}

/// One delivery the application has not answered.
#[derive(Debug)]
pub(crate) struct DeliveryRecord {
    pub(crate) consumer: ConsumerId,
    pub(crate) queue: QueueKey,
    pub(crate) messages: Arc<[MessageExt]>,
    pub(crate) orderly: bool,
    pub(crate) started: Instant,
}

/// A consumer of the client.
pub(crate) struct Consumer {
    pub(crate) id: ConsumerId,
    pub(crate) config: ConsumerConfig,
    pub(crate) state: ServiceState,
    pub(crate) subs: Subscriptions,
    pub(crate) queues: Queues,
    pub(crate) offsets: OffsetStore,
    /// Concurrent deliveries waiting for a free slot (`consume_thread_max`).
    pub(crate) waiting: VecDeque<(QueueKey, Vec<MessageExt>)>,
    /// Deliveries in flight.
    pub(crate) in_flight: u32,
    /// Suspended by the application (`suspend`): no pulls, no rebalance.
    pub(crate) paused: bool,
    /// When it started, by the wall clock (ms) and the monotonic one (admin info).
    pub(crate) started_ms: i64,
    pub(crate) started_at: Option<Instant>,
    /// Lite pull: the queues were assigned by the application (no rebalance).
    pub(crate) assigned: bool,
    /// Lite pull: an assignment made before start, applied when it starts.
    pub(crate) pending_assign: Option<BTreeSet<MessageQueue>>,
    /// Lite pull: the queues assigned, kept so that queues that could not start are
    /// started again.
    pub(crate) assignment: BTreeSet<MessageQueue>,
    /// Lite pull: found batches waiting to be polled, oldest first.
    pub(crate) ready: VecDeque<(QueueKey, Vec<MessageExt>)>,
    /// Lite pull: the consumed offset of each queue, committed on `commit`.
    pub(crate) consumed: BTreeMap<MessageQueue, i64>,
    /// Lite pull: when auto-commit next commits.
    pub(crate) next_auto_commit: Option<Instant>,
    /// Messages whose send-back failed, delivered again locally at the time given.
    pub(crate) local_retry: Vec<(Instant, QueueKey, MessageExt)>,
    /// A shutdown under way: when it stops waiting for deliveries in flight.
    pub(crate) shutting_down: Option<Instant>,
    /// Topics whose rebalance was asked while their member list was being fetched: they
    /// rebalance again when it comes, so no trigger is lost.
    pub(crate) rebalance_again: BTreeSet<String>,
    /// By broker address: the connection on which a heartbeat carrying this consumer's
    /// subscriptions succeeded, and their generation then.
    pub(crate) heartbeats: BTreeMap<String, (ConnId, u64)>,
}

/// A failed message being sent back to the broker (or, failing that, re-sent).
#[derive(Debug)]
pub(crate) struct SendBack {
    pub(crate) consumer: ConsumerId,
    pub(crate) queue: QueueKey,
    pub(crate) msg: MessageExt,
    /// Orderly dead-letter sends finish their queue's delivery instead of a commit.
    pub(crate) orderly: bool,
}

/// An application's query in flight.
#[derive(Debug)]
pub(crate) struct Query {
    pub(crate) consumer: ConsumerId,
    pub(crate) kind: lite::QueryKind,
}

/// Every consumer of a client instance, their deliveries and what consuming needs.
pub(crate) struct Consumers {
    pub(crate) slots: Vec<Consumer>,
    pub(crate) deliveries: SeqMap<DeliveryId, DeliveryRecord>,
    pub(crate) next_delivery: u64,
    /// Failed messages being sent back, by a counter.
    pub(crate) send_backs: IdMap<u64, SendBack>,
    pub(crate) next_send_back: u64,
    /// Re-sends of failed messages through the instance's inner producer, by their send.
    pub(crate) resends: IdMap<SendId, u64>,
    pub(crate) queries: IdMap<QueryId, Query>,
    pub(crate) next_query: u64,
    /// CONSUME_MESSAGE_DIRECTLY requests waiting for the application.
    pub(crate) directs: IdMap<DirectId, (ConnId, i32, ConsumerId)>,
    pub(crate) next_direct: u64,
    /// Answers that came for deliveries already answered or revoked.
    pub(crate) late_results: u64,
    /// What the client must do for consumers after a call (role code cannot reach it).
    pub(crate) wants: Wants,
}

/// Work for the client that consumer code asks for: a heartbeat, route lookups, inner
/// producer sends, a look at whether the instance still has a role running.
#[derive(Debug, Default)]
pub(crate) struct Wants {
    pub(crate) heartbeat: bool,
    pub(crate) routes: Vec<String>,
    pub(crate) sends: Vec<InternalSend>,
    pub(crate) stopped: bool,
}

impl Default for Consumers {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            deliveries: SeqMap::new(DeliveryId(0)),
            next_delivery: 0,
            send_backs: IdMap::default(),
            next_send_back: 0,
            resends: IdMap::default(),
            queries: IdMap::default(),
            next_query: 0,
            directs: IdMap::default(),
            next_direct: 0,
            late_results: 0,
            wants: Wants::default(),
        }
    }
}

impl Consumers {
    pub(crate) fn create(&mut self, config: ConsumerConfig) -> ConsumerId {
        let id = ConsumerId(self.slots.len() as u32);
        let local = config.message_model == rocketmq_proto::body::MessageModel::Broadcasting;
        self.slots.push(Consumer {
            id,
            config,
            state: ServiceState::CreateJust,
            subs: Subscriptions::default(),
            queues: Queues::default(),
            offsets: OffsetStore::new(local),
            waiting: VecDeque::new(),
            in_flight: 0,
            paused: false,
            started_ms: 0,
            started_at: None,
            pending_assign: None,
            assignment: BTreeSet::new(),
            assigned: false,
            ready: VecDeque::new(),
            consumed: BTreeMap::new(),
            next_auto_commit: None,
            local_retry: Vec::new(),
            shutting_down: None,
            rebalance_again: BTreeSet::new(),
            heartbeats: BTreeMap::new(),
        });
        id
    }

    pub(crate) fn get(&self, id: ConsumerId) -> Option<&Consumer> {
        self.slots.get(id.0 as usize)
    }

    pub(crate) fn get_mut(&mut self, id: ConsumerId) -> Option<&mut Consumer> {
        self.slots.get_mut(id.0 as usize)
    }

    /// Whether any consumer is running (heartbeats then go to every broker address).
    pub(crate) fn any_running(&self) -> bool {
        self.slots.iter().any(|c| c.state == ServiceState::Running)
    }

    /// Whether a newly started queue still waits for its first pull.
    pub(crate) fn first_pull_due(&self) -> bool {
        self.slots.iter().any(|c| {
            (c.queues.iter())
                .any(|(_, q)| q.last_pull.is_none() && matches!(q.pull, queue::PullState::Due(_)))
        })
    }

    /// The heartbeat entries of the running consumers.
    pub(crate) fn heartbeat_entries(&self) -> Vec<ConsumerData> {
        self.slots
            .iter()
            .filter(|c| c.state == ServiceState::Running)
            .map(|c| c.subs.heartbeat_entry(&c.config, c.assigned))
            .collect()
    }

    /// The subscription generation of every running consumer, as a heartbeat sent now
    /// carries.
    pub(crate) fn heartbeat_versions(&self) -> Vec<(ConsumerId, u64)> {
        self.slots
            .iter()
            .filter(|c| c.state == ServiceState::Running)
            .map(|c| (c.id, c.subs.generation()))
            .collect()
    }

    /// A heartbeat to `addr` on `conn` that carried these generations succeeded (an older
    /// heartbeat answered late on the same connection does not undo a newer one).
    pub(crate) fn heartbeat_acked(
        &mut self,
        conn: ConnId,
        addr: &str,
        versions: &[(ConsumerId, u64)],
    ) {
        for &(id, generation) in versions {
            if let Some(c) = self.get_mut(id) {
                let ack = c
                    .heartbeats
                    .entry(addr.to_owned())
                    .or_insert((conn, generation));
                if ack.0 != conn || ack.1 < generation {
                    *ack = (conn, generation);
                }
            }
        }
    }

    /// The topics of every running consumer (their routes are kept fresh).
    pub(crate) fn topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = self
            .slots
            .iter()
            .filter(|c| c.state == ServiceState::Running)
            .flat_map(|c| {
                let assigned = c.queues.held().map(|mq| mq.topic.clone());
                c.subs.topics().map(str::to_owned).chain(assigned)
            })
            .collect();
        topics.sort();
        topics.dedup();
        topics
    }

    /// How many deliveries the application has not answered.
    pub(crate) fn deliveries_in_flight(&self) -> usize {
        self.deliveries.len()
    }

    /// A fresh delivery id.
    pub(crate) fn next_delivery_id(&mut self) -> DeliveryId {
        let id = DeliveryId(self.next_delivery);
        self.next_delivery += 1;
        id
    }
}
