//! A send from acceptance to its one completion: validate and prepare, wait for a route,
//! complete exactly once (with its result, a failure, or at shutdown).
//!
//! The transitions of [`OpState`]: accepted → `AwaitingRoute`; an attempt starts
//! ([`attempt`](super::attempt)) → `InFlight`, or `OnewayQueued` for a oneway send; an
//! attempt ends ([`response`](super::response)) → `AwaitingRoute` until the next attempt, or
//! the send completes here and is removed.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::header::{SendMessageResponseHeader, SendStatus};
use rocketmq_proto::message::compress::{compress, CompressionType};
use rocketmq_proto::message::flags::sys_flag;
use rocketmq_proto::message::validate::{self, RETRY_GROUP_TOPIC_PREFIX};
use rocketmq_proto::message::{keys as property, Message, Properties, UniqId};

use super::selector::{QueueSelection, SendTarget};
use super::{ProducerId, ProducerTimer, Producers, SendMode, SendOptions, SendResult};
use crate::client::route::{RouteFailure, RouteFallback, RouteWaiter};
use crate::client::Instance;
use crate::error::{SendError, TransportError, UsageError};
use crate::event::Event;
use crate::ids::{ConnId, SendId};
use crate::lifecycle::ServiceState;
use crate::namespace::{with_namespace, without_namespace};
use crate::timer::TimerKey;

/// A message ready for the wire: everything but the queue and the born timestamp.
#[derive(Debug)]
pub(super) struct Prepared {
    pub(super) body: Bytes,
    pub(super) sys_flag: i32,
    pub(super) flag: i32,
    /// Encoded again for each attempt (into a reused buffer); holds `UNIQ_KEY` only when
    /// the caller set it.
    pub(super) properties: Properties,
    /// The `UNIQ_KEY` the client made, kept inline and spelled out where it is needed.
    pub(super) uniq: Option<UniqId>,
    pub(super) reconsume_times: Option<i32>,
    pub(super) max_reconsume_times: Option<i32>,
    /// A batch (SEND_BATCH_MESSAGE): its messages' `UNIQ_KEY`s, comma-joined, as Java's
    /// batch result reports them.
    /// Boxed twice over to keep a plain send's `SendOp` small (8 bytes here, not 16).
    #[allow(clippy::box_collection)]
    pub(super) batch_ids: Option<Box<String>>,
}

/// The queue a send goes to.
#[derive(Debug)]
pub(super) enum Target {
    /// Round robin, avoiding the broker that just failed.
    Any,
    /// The publish queue at this index, on every attempt (`SendOptions::queue_index`).
    Index(usize),
    /// This queue (broker, queue id); no hop to another.
    Queue(Box<(String, i32)>),
    /// Java's hash selection over the publish queues, made at the first attempt.
    Hash(i32),
    /// A selector, run with the message as given once the publish queues are known.
    Select(Box<(QueueSelection, Message)>),
    /// The selector picked no queue: what it picked, of how many.
    Unselectable(Box<(Option<usize>, usize)>),
}

impl Target {
    /// Whether the send is pinned to one queue (Java's rules for `send(msg, mq)`).
    pub(super) fn is_targeted(&self) -> bool {
        !matches!(self, Self::Any | Self::Index(_))
    }
}

/// Where a send is.
#[derive(Debug)]
pub(super) enum OpState {
    AwaitingRoute,
    InFlight {
        opaque: i32,
        broker: Arc<str>,
        sent_at: Instant,
    },
    OnewayQueued {
        conn: ConnId,
        broker: Arc<str>,
    },
}

/// One accepted send, until its single completion.
#[derive(Debug)]
pub(crate) struct SendOp {
    pub(super) producer: ProducerId,
    pub(super) mode: SendMode,
    pub(super) topic: String,
    pub(super) prepared: Prepared,
    pub(super) start: Instant,
    pub(super) deadline: Instant,
    pub(super) attempts: u32,
    pub(super) max_attempts: u32,
    /// Brokers of the attempts that ended, in order (the one in flight is in `state`); the
    /// last one is avoided by the next attempt.
    pub(super) brokers: Vec<String>,
    pub(super) last_error: Option<Box<SendError>>,
    pub(super) target: Target,
    pub(super) state: OpState,
}

impl SendOp {
    /// The result of a send `broker` stored; moves the topic out.
    fn into_result(
        self,
        namespace: Option<&str>,
        msg_id: String,
        status: SendStatus,
        broker: &str,
        header: SendMessageResponseHeader,
    ) -> SendResult {
        SendResult {
            status,
            msg_id,
            offset_msg_id: header.msg_id,
            queue: MessageQueue {
                topic: without_namespace(namespace, self.topic),
                broker_name: broker.to_owned(),
                queue_id: header.queue_id,
            },
            queue_offset: header.queue_offset,
            transaction_id: header.transaction_id,
            region_id: header.region,
            trace_on: header.trace_on,
        }
    }
}

/// How a send ended.
pub(super) enum Outcome {
    /// Stored by `broker`; the result is built from the finished send (moving, not copying).
    Stored {
        status: SendStatus,
        broker: Arc<str>,
        header: SendMessageResponseHeader,
    },
    Failed(SendError),
}

impl Producers {
    /// The config of `producer` when it may send now.
    pub(super) fn sending_config(
        &self,
        inst: &Instance,
        producer: ProducerId,
    ) -> Result<&crate::config::ProducerConfig, UsageError> {
        let slot = self
            .slots
            .get(producer.0 as usize)
            .ok_or(UsageError::UnknownProducer(producer.0))?;
        if slot.state != ServiceState::Running || inst.shutting_down.is_some() {
            return Err(UsageError::NotRunning {
                group: slot.config.group.clone(),
                state: slot.state,
            });
        }
        Ok(&slot.config)
    }

    /// Validates and accepts a send, starting its first attempt when the topic's queues are
    /// known; otherwise returns the topic to look up (the send waits for it).
    pub(crate) fn accept(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        producer: ProducerId,
        msg: Message,
        opts: SendOptions,
    ) -> Result<(SendId, Option<(String, RouteFallback)>), UsageError> {
        let target = opts.queue_index.map_or(Target::Any, Target::Index);
        self.accept_with(inst, now, producer, msg, opts, target)
    }

    /// [`accept`](Self::accept) for a send to `target`.
    pub(crate) fn accept_to(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        producer: ProducerId,
        msg: Message,
        opts: SendOptions,
        target: SendTarget,
    ) -> Result<(SendId, Option<(String, RouteFallback)>), UsageError> {
        let ns = inst.config.namespace.as_deref();
        let target = match target {
            SendTarget::Any => return self.accept(inst, now, producer, msg, opts),
            SendTarget::Queue(q) if q.topic != msg.topic => {
                return Err(UsageError::QueueTopicMismatch {
                    message: msg.topic,
                    queue: q.topic,
                })
            }
            SendTarget::Queue(q) => Target::Queue(Box::new((q.broker_name, q.queue_id))),
            SendTarget::Hash(h) => Target::Hash(h),
            SendTarget::Select(sel) => {
                // Selected now when the queues are known, else kept with a copy of the
                // message until they are.
                let topic = with_namespace(ns, msg.topic.clone());
                match self.publish.get(&topic).filter(|e| e.info.ok()) {
                    Some(e) => select_now(ns, &e.info.queues, sel, &msg),
                    None => Target::Select(Box::new((sel, msg.clone()))),
                }
            }
        };
        self.accept_with(inst, now, producer, msg, opts, target)
    }

    /// Validates, prepares and registers a send to `target`.
    fn accept_with(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        producer: ProducerId,
        mut msg: Message,
        opts: SendOptions,
        target: Target,
    ) -> Result<(SendId, Option<(String, RouteFallback)>), UsageError> {
        let cfg = self.sending_config(inst, producer)?;
        validate::validate_topic(&msg.topic)?;
        validate::validate_body(msg.body.len(), cfg.max_message_size)?;
        validate::validate_delay(&msg)?;
        let is_retry = msg.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX);
        let ns = inst.config.namespace.as_deref();
        let topic = with_namespace(ns, std::mem::take(&mut msg.topic));
        let (threshold, ty, level) = (
            cfg.compress_msg_body_over_howmuch,
            cfg.compress_type,
            cfg.compress_level,
        );
        let prepared = self.prepare(inst, now, msg, is_retry, threshold, ty, level);
        Ok(self.enqueue(inst, now, producer, topic, prepared, opts, target))
    }

    /// Registers a prepared send and starts its first attempt when the topic's queues are
    /// known; otherwise returns the topic to look up.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn enqueue(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        producer: ProducerId,
        topic: String,
        prepared: Prepared,
        opts: SendOptions,
        target: Target,
    ) -> (SendId, Option<(String, RouteFallback)>) {
        let cfg = &self.slots[producer.0 as usize].config;
        // A targeted sync send makes one attempt (Java `sendKernelImpl` once); an async one
        // retries transport failures on its queue.
        let max_attempts = 1 + match opts.mode {
            SendMode::Sync if target.is_targeted() => 0,
            SendMode::Sync => cfg.retry_times_when_send_failed,
            SendMode::Async => cfg.retry_times_when_send_async_failed,
            SendMode::Oneway => 0,
        };
        let timeout = opts.timeout.unwrap_or(cfg.send_timeout);
        let id = SendId(self.next_send);
        self.next_send += 1;
        let deadline = now + timeout;
        inst.timers
            .set(deadline, TimerKey::Producer(ProducerTimer::Send(id)));
        let _span = tracing::debug_span!("send", id = id.0, %topic).entered();
        let ready = self.can_publish(&topic);
        let lookup = (!ready).then(|| {
            inst.routes.wait(&topic, RouteWaiter::Send(id));
            let cfg = &self.slots[producer.0 as usize].config;
            let fallback = RouteFallback {
                topic: cfg.create_topic_key.clone(),
                queue_nums: cfg.default_topic_queue_nums,
            };
            (topic.clone(), fallback)
        });
        self.sends.insert(
            id,
            SendOp {
                producer,
                mode: opts.mode,
                topic,
                prepared,
                start: now,
                deadline,
                attempts: 0,
                max_attempts,
                brokers: Vec::new(),
                last_error: None,
                target,
                state: OpState::AwaitingRoute,
            },
        );
        if ready {
            self.start_attempt(inst, now, id);
        }
        (id, lookup)
    }

    /// Adds UNIQ_KEY, compresses a large body and takes the retry fields out.
    #[allow(clippy::too_many_arguments)]
    fn prepare(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        msg: Message,
        is_retry: bool,
        threshold: usize,
        ty: CompressionType,
        level: u32,
    ) -> Prepared {
        let mut props = msg.properties;
        let mut uniq = None;
        if !props.contains_key(property::UNIQ_KEY) {
            let ms = inst.wall_millis(now);
            uniq = Some(self.uniq.next(ms));
        }
        let mut flags = 0;
        let mut body = msg.body;
        if body.len() >= threshold {
            // Kept only when smaller; a failed compressor leaves the body as it is.
            match compress(&body, ty, level) {
                Ok(c) if c.len() < body.len() => {
                    body = Bytes::from(c);
                    flags |= sys_flag::COMPRESSED_FLAG | ty.sys_flag();
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, ?ty, "compression failed; sending as is"),
            }
        }
        if props.get(property::TRAN_MSG) == Some("true") {
            flags |= sys_flag::TRANSACTION_PREPARED_TYPE;
        }
        let (mut reconsume_times, mut max_reconsume_times) = (Some(0), None);
        if is_retry {
            reconsume_times = props
                .remove(property::RECONSUME_TIME)
                .and_then(|v| v.parse().ok());
            max_reconsume_times = props
                .remove(property::MAX_RECONSUME_TIMES)
                .and_then(|v| v.parse().ok());
        }
        Prepared {
            body,
            sys_flag: flags,
            flag: msg.flag,
            properties: props,
            uniq,
            reconsume_times,
            max_reconsume_times,
            batch_ids: None,
        }
    }

    /// The route lookup a send waited for has finished.
    pub(crate) fn route_ready(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: SendId,
        failure: Option<RouteFailure>,
    ) {
        let Some(op) = self.sends.get(&id) else {
            return;
        };
        if self.can_publish(&op.topic) {
            self.start_attempt(inst, now, id);
            return;
        }
        let err = match failure {
            Some(RouteFailure::NoNameServer) => SendError::NoNameServer,
            Some(RouteFailure::NoRoute(cause)) => SendError::NoRoute {
                topic: op.topic.clone(),
                cause: Some(cause),
            },
            None => SendError::NoRoute {
                topic: op.topic.clone(),
                cause: None,
            },
        };
        self.complete(inst, id, Outcome::Failed(err));
    }

    /// Completes oneway sends waiting for `conn` to connect.
    pub(crate) fn complete_oneways_on(&mut self, inst: &mut Instance, conn: ConnId) {
        let ids: Vec<SendId> = self
            .sends
            .iter()
            .filter(
                |(_, op)| matches!(op.state, OpState::OnewayQueued { conn: c, .. } if c == conn),
            )
            .map(|(id, _)| id)
            .collect();
        for id in ids {
            if self.finish(inst, id).is_some() {
                inst.push_event(Event::OnewayCompleted { id, result: Ok(()) });
            }
        }
    }

    /// Fails oneway sends queued on a connection that was lost before connecting.
    pub(crate) fn fail_oneways_on(
        &mut self,
        inst: &mut Instance,
        conn: ConnId,
        error: &TransportError,
    ) {
        let ids: Vec<(SendId, String)> = self
            .sends
            .iter()
            .filter_map(|(id, op)| match &op.state {
                OpState::OnewayQueued { conn: c, broker } if *c == conn => {
                    Some((id, broker.to_string()))
                }
                _ => None,
            })
            .collect();
        for (id, broker) in ids {
            let err = SendError::Transport {
                broker,
                error: error.clone(),
            };
            self.complete(inst, id, Outcome::Failed(err));
        }
    }

    /// A send's whole time budget ran out. Returns a connection to close: the one its
    /// attempt was waiting on, when it has been silent since the attempt was written (Java
    /// closes a connection whose request timed out; a connection that answers others is
    /// kept).
    pub(crate) fn deadline_passed(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: SendId,
    ) -> Option<(ConnId, TransportError)> {
        let op = self.sends.get_mut(&id)?;
        let mut last = op.last_error.take();
        let mut close = None;
        if let OpState::InFlight {
            opaque,
            broker,
            sent_at,
        } = &op.state
        {
            let (opaque, broker, sent_at) = (*opaque, broker.clone(), *sent_at);
            op.brokers.push(broker.to_string());
            let producer = op.producer;
            if let Some(p) = inst.take_request(opaque, None) {
                let addr = inst.conn_addr(p.conn);
                let silent = inst
                    .conns
                    .get(p.conn)
                    .is_none_or(|c| c.last_rx.is_none_or(|t| t < sent_at));
                let error = TransportError::RequestTimeout {
                    addr,
                    waited: now - sent_at,
                };
                if silent {
                    close = Some((p.conn, error.clone()));
                }
                last = Some(Box::new(SendError::Transport {
                    broker: broker.to_string(),
                    error,
                }));
            }
            self.record_latency(producer, &broker, now, sent_at, true);
        }
        let op = self.sends.get(&id)?;
        if let (OpState::AwaitingRoute, None) = (&op.state, &last) {
            if let Some(cause) = inst.routes.lookup_cause(&op.topic) {
                last = Some(Box::new(SendError::NoRoute {
                    topic: op.topic.clone(),
                    cause: Some(cause.to_owned()),
                }));
            }
        }
        let err = SendError::Timeout {
            topic: op.topic.clone(),
            attempts: op.attempts,
            brokers: op.brokers.clone(),
            elapsed: now - op.start,
            last,
        };
        self.complete(inst, id, Outcome::Failed(err));
        close
    }

    /// Fails every pending send of `producer` (all producers with `None`) with `Shutdown`.
    pub(crate) fn fail_sends_of(&mut self, inst: &mut Instance, producer: Option<ProducerId>) {
        let mut ids: Vec<SendId> = self
            .sends
            .iter()
            .filter(|(_, op)| producer.is_none_or(|p| p == op.producer))
            .map(|(id, _)| id)
            .collect();
        ids.sort();
        for id in ids {
            self.complete(inst, id, Outcome::Failed(SendError::Shutdown));
        }
    }

    /// Removes the send and emits its one completion event.
    pub(super) fn complete(&mut self, inst: &mut Instance, id: SendId, outcome: Outcome) {
        let Some(mut op) = self.finish(inst, id) else {
            return;
        };
        if self.inner == Some(op.producer) {
            let ok =
                matches!(outcome, Outcome::Stored { status, .. } if status == SendStatus::SendOk);
            return self.internal_done.push((id, ok));
        }
        let event = match (op.mode, outcome) {
            (SendMode::Oneway, Outcome::Failed(e)) => Event::OnewayCompleted { id, result: Err(e) },
            (SendMode::Oneway, Outcome::Stored { .. }) => {
                Event::OnewayCompleted { id, result: Ok(()) }
            }
            (
                _,
                Outcome::Stored {
                    status,
                    broker,
                    header,
                },
            ) => {
                let ns = inst.config.namespace.as_deref();
                let msg_id = match (op.prepared.batch_ids.take(), op.prepared.uniq) {
                    (Some(ids), _) => *ids,
                    (None, Some(uniq)) => self.uniq.to_string(uniq),
                    (None, None) => (op.prepared.properties)
                        .remove(property::UNIQ_KEY)
                        .unwrap_or_default(),
                };
                Event::SendCompleted {
                    id,
                    result: Ok(op.into_result(ns, msg_id, status, &broker, header)),
                }
            }
            (_, Outcome::Failed(e)) => Event::SendCompleted { id, result: Err(e) },
        };
        inst.push_event(event);
    }

    /// Removes a send with its deadline, its request or its place among a route's waiters.
    pub(super) fn finish(&mut self, inst: &mut Instance, id: SendId) -> Option<SendOp> {
        let op = self.sends.remove(&id)?;
        inst.timers
            .cancel(op.deadline, TimerKey::Producer(ProducerTimer::Send(id)));
        match &op.state {
            OpState::InFlight { opaque, .. } => {
                inst.take_request(*opaque, None);
            }
            OpState::AwaitingRoute => inst.routes.stop_waiting(&op.topic, RouteWaiter::Send(id)),
            OpState::OnewayQueued { .. } => {}
        }
        Some(op)
    }
}

/// Runs a selector over the topic's publish queues (with the application's topic names).
pub(super) fn select_now(
    namespace: Option<&str>,
    queues: &[MessageQueue],
    sel: QueueSelection,
    msg: &Message,
) -> Target {
    let picked = match namespace {
        None => sel.run(queues, msg),
        Some(_) => {
            let own: Vec<MessageQueue> = queues
                .iter()
                .map(|q| MessageQueue {
                    topic: without_namespace(namespace, q.topic.clone()),
                    ..q.clone()
                })
                .collect();
            sel.run(&own, msg)
        }
    };
    match picked.and_then(|i| queues.get(i)) {
        Some(q) => Target::Queue(Box::new((q.broker_name.clone(), q.queue_id))),
        None => Target::Unselectable(Box::new((picked, queues.len()))),
    }
}
