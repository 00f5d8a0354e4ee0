//! The producer role (Java `DefaultMQProducerImpl`): producer groups, sends from acceptance to
//! their one completion, publish queues, queue selection, fault avoidance and retries.
//!
//! Role code takes the shared [`Instance`] by `&mut` and owns everything only producers
//! need, so nothing here reaches consumer state, and the instance knows nothing of sends.

mod attempt;
mod batch;
pub mod fault;
mod options;
mod publish;
pub mod publish_info;
mod response;
pub mod retry;
pub mod select;
pub mod selector;
mod send;

use std::time::Instant;

use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::message::{Message, UniqIdGenerator};

use self::fault::LatencyFaultTolerance;
use self::publish::PublishEntry;
use self::send::SendOp;
use crate::client::route::RouteFallback;
use crate::client::{Client, Instance};
use crate::config::ProducerConfig;
use crate::env::ClientEnv;
use crate::error::UsageError;
use crate::id_map::StrMap;
use crate::ids::{ProducerId, SendId};
use crate::lifecycle::{ServiceState, Transition};
use crate::seq_map::SeqMap;

pub use self::options::{SendMode, SendOptions, SendResult};
pub(crate) use self::response::SendAnswer;
pub use self::selector::{
    JavaHashCode, MessageQueueSelector, QueueSelection, SelectByHash, SelectByRandom,
    SelectByRoundRobin, SendTarget,
};

/// A producer's deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ProducerTimer {
    /// A send's whole time budget.
    Send(SendId),
}

/// A producer's request in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProducerRequest {
    /// One attempt of a send.
    Send(SendId),
}

struct ProducerSlot {
    config: ProducerConfig,
    state: ServiceState,
}

/// Every producer of a client instance, their sends and what sending needs.
pub(crate) struct Producers {
    slots: Vec<ProducerSlot>,
    sends: SeqMap<SendId, SendOp>,
    next_send: u64,
    /// Publish queues and send-header templates per topic in use.
    publish: StrMap<String, PublishEntry>,
    fault: LatencyFaultTolerance,
    uniq: UniqIdGenerator,
    /// Reused by each send attempt for its UNIQ_KEY text.
    uniq_buf: String,
    /// Reused by each send attempt with binary headers for its encoded properties.
    props_buf: String,
    /// The instance's own producer (Java `CLIENT_INNER_PRODUCER`), which re-sends messages
    /// consumers failed to send back; created when a consumer needs it.
    inner: Option<ProducerId>,
    /// Sends of the inner producer that completed: whether each succeeded.
    internal_done: Vec<(SendId, bool)>,
}

impl Producers {
    /// The producers of an instance; `uniq_seed` starts their `UNIQ_KEY` counter.
    pub(crate) fn new(env: &ClientEnv, uniq_seed: u32) -> Self {
        Self {
            slots: Vec::new(),
            sends: SeqMap::new(SendId(0)),
            next_send: 0,
            publish: StrMap::default(),
            fault: LatencyFaultTolerance::default(),
            uniq: UniqIdGenerator::new(env.local_ip, env.pid, uniq_seed as i32),
            uniq_buf: String::new(),
            props_buf: String::new(),
            inner: None,
            internal_done: Vec::new(),
        }
    }

    /// The instance's inner producer, created and running from the first call on.
    pub(crate) fn inner(&mut self) -> ProducerId {
        if let Some(id) = self.inner {
            return id;
        }
        let group = rocketmq_proto::message::validate::CLIENT_INNER_PRODUCER_GROUP;
        let id = self.create(ProducerConfig::new(group));
        self.slots[id.0 as usize].state = ServiceState::Running;
        self.inner = Some(id);
        id
    }

    /// Takes the completed sends of the inner producer.
    pub(crate) fn take_internal_done(&mut self) -> Vec<(SendId, bool)> {
        std::mem::take(&mut self.internal_done)
    }

    pub(crate) fn create(&mut self, config: ProducerConfig) -> ProducerId {
        self.slots.push(ProducerSlot {
            config,
            state: ServiceState::CreateJust,
        });
        ProducerId((self.slots.len() - 1) as u32)
    }

    pub(crate) fn state(&self, id: ProducerId) -> Option<ServiceState> {
        self.slots.get(id.0 as usize).map(|p| p.state)
    }

    fn config(&self, id: ProducerId) -> &ProducerConfig {
        &self.slots[id.0 as usize].config
    }

    pub(crate) fn pending_sends(&self) -> usize {
        self.sends.len()
    }

    /// The groups of the running producers, for heartbeats.
    pub(crate) fn running_groups(&self) -> impl Iterator<Item = &str> {
        self.slots
            .iter()
            .filter(|p| p.state == ServiceState::Running)
            .map(|p| p.config.group.as_str())
    }

    /// Whether an application's producer runs (the inner one does not count).
    pub(crate) fn any_running(&self) -> bool {
        self.slots.iter().enumerate().any(|(i, p)| {
            p.state == ServiceState::Running && self.inner != Some(ProducerId(i as u32))
        })
    }

    /// The topics sends have been made to, sorted (their routes are kept fresh).
    pub(crate) fn topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = self.publish.keys().cloned().collect();
        topics.sort();
        topics
    }

    /// Checks and starts producer `id` (Java `DefaultMQProducerImpl#start`).
    fn start(&mut self, inst: &Instance, id: ProducerId) -> Result<(), UsageError> {
        if inst.is_closing() {
            return Err(UsageError::ClientShutdown);
        }
        let i = id.0 as usize;
        let slot = self.slots.get(i).ok_or(UsageError::UnknownProducer(id.0))?;
        if slot.state != ServiceState::CreateJust {
            return Err(UsageError::CannotStart {
                group: slot.config.group.clone(),
                state: slot.state,
            });
        }
        let group = &slot.config.group;
        let checked = inst.config.validate().and(slot.config.validate());
        let duplicate =
            self.slots.iter().enumerate().any(|(j, p)| {
                j != i && p.state == ServiceState::Running && p.config.group == *group
            });
        let result = match checked {
            Err(e) => Err(UsageError::Config(e)),
            Ok(()) if duplicate => Err(UsageError::DuplicateGroup(group.clone())),
            Ok(()) => Ok(()),
        };
        let slot = &mut self.slots[i];
        let ok = result.is_ok();
        slot.state = slot
            .state
            .after(Transition::Start { ok })
            .unwrap_or(slot.state);
        result
    }

    /// Shuts producer `id` down: its pending sends fail with `Shutdown`. Returns its group
    /// when it was running (to unregister).
    fn shut_down(&mut self, inst: &mut Instance, id: ProducerId) -> Option<String> {
        let slot = self.slots.get_mut(id.0 as usize)?;
        let was = slot.state;
        slot.state = was.after(Transition::Shutdown).unwrap_or(was);
        if was != ServiceState::Running {
            return None;
        }
        let group = slot.config.group.clone();
        self.fail_sends_of(inst, Some(id));
        for entry in self.publish.values_mut() {
            entry.forget_producer(id);
        }
        Some(group)
    }

    /// Shuts every producer down (the instance is shutting down); returns the groups that
    /// were running.
    pub(crate) fn shut_down_all(&mut self, inst: &mut Instance) -> Vec<String> {
        let mut running = Vec::new();
        for slot in &mut self.slots {
            let was = slot.state;
            slot.state = was.after(Transition::Shutdown).unwrap_or(was);
            if was == ServiceState::Running {
                running.push(slot.config.group.clone());
            }
        }
        self.fail_sends_of(inst, None);
        running
    }
}

/// Starts the route lookup an accepted send waits for, if it waits for one.
fn look_up(c: &mut Client, now: Instant, lookup: Option<(String, RouteFallback)>) {
    if let Some((topic, fallback)) = lookup {
        if let Some(done) = c.inst.look_up_route(now, &topic, Some(fallback)) {
            c.lookup_done(now, done);
        }
    }
}

/// Commands for one producer, borrowed from its [`Client`] (as quinn's `conn.send_stream(id)`):
/// `client.producer(id)?.send(now, msg, opts)`.
pub struct ProducerApi<'a> {
    pub(crate) client: &'a mut Client,
    pub(crate) id: ProducerId,
}

impl ProducerApi<'_> {
    /// Returns the producer's state.
    pub fn state(&self) -> ServiceState {
        self.client
            .producers
            .state(self.id)
            .unwrap_or(ServiceState::CreateJust)
    }

    /// Starts the producer: validates its config, registers its group, starts the instance.
    ///
    /// Fails with [`UsageError::CannotStart`] unless the producer is in `CreateJust`, and with
    /// [`UsageError::DuplicateGroup`] when another producer of this instance uses the group.
    pub fn start(self, now: Instant) -> Result<(), UsageError> {
        let c = self.client;
        c.producers.start(&c.inst, self.id)?;
        c.inst.start(now);
        c.heartbeat_all(now);
        Ok(())
    }

    /// Accepts a message for sending; its outcome arrives as one event with the returned id.
    ///
    /// Fails at once, sending nothing, if the producer is not running or the message is invalid.
    pub fn send(self, now: Instant, msg: Message, opts: SendOptions) -> Result<SendId, UsageError> {
        let c = self.client;
        let (id, lookup) = c.producers.accept(&mut c.inst, now, self.id, msg, opts)?;
        look_up(c, now, lookup);
        Ok(id)
    }

    /// Like [`send`](Self::send), to the queue `target` names (Java `send(msg, mq)` and
    /// `send(msg, selector, arg)`): one attempt there, never another queue (an async send
    /// retries transport failures there), within the send timeout.
    ///
    /// Fails at once when a queue's topic is not the message's.
    pub fn send_to(
        self,
        now: Instant,
        msg: Message,
        opts: SendOptions,
        target: SendTarget,
    ) -> Result<SendId, UsageError> {
        let c = self.client;
        let (id, lookup) = (c.producers).accept_to(&mut c.inst, now, self.id, msg, opts, target)?;
        look_up(c, now, lookup);
        Ok(id)
    }

    /// Sends `msgs` as one batch (Java `send(Collection<Message>)`, SEND_BATCH_MESSAGE): one
    /// topic, one `WAIT` value, no delay, no retry topic, an encoded body within the maximum
    /// message size ([`UsageError::InvalidBatch`] otherwise). With `queue`, to that queue only.
    ///
    /// The result's `msg_id` lists every message's `UNIQ_KEY`, comma-joined as Java's does
    /// ([`SendResult::msg_ids`]).
    pub fn send_batch(
        self,
        now: Instant,
        msgs: Vec<Message>,
        opts: SendOptions,
        queue: Option<MessageQueue>,
    ) -> Result<SendId, UsageError> {
        let c = self.client;
        let (id, lookup) =
            (c.producers).accept_batch(&mut c.inst, now, self.id, msgs, opts, queue)?;
        look_up(c, now, lookup);
        Ok(id)
    }

    /// Shuts the producer down: its pending sends fail with `Shutdown`, its group is
    /// unregistered, and the instance shuts down when no producer is left running.
    pub fn shutdown(self, now: Instant) {
        let c = self.client;
        let Some(group) = c.producers.shut_down(&mut c.inst, self.id) else {
            return;
        };
        c.inst.unregister(now, Some(&group), None);
        if !c.producers.any_running() && !c.consumers.any_running() {
            c.shutdown(now);
        }
    }
}
