//! The send path: validate and prepare, pick a queue, send, decide, complete exactly once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::frame;
use rocketmq_proto::header::{
    SendHeaderFields, SendHeaderFixed, SendHeaderVars, SendMessageResponseHeader, SendProperties,
    SendResponseFields, SendStatus,
};
use rocketmq_proto::message::compress::compress_zlib;
use rocketmq_proto::message::flags::sys_flag;
use rocketmq_proto::message::validate::{self, RETRY_GROUP_TOPIC_PREFIX};
use rocketmq_proto::message::{
    encode_properties_into, encode_properties_with, keys as property, Message, Properties, UniqId,
};
use rocketmq_proto::{version, RemotingCommand, RequestCode, SerializeType, FLAG_ONEWAY};

use super::{Client, Pending, RequestKind};
use crate::batch::Out;
use crate::error::{SendError, TransportError, UsageError};
use crate::event::{ConnId, Event, ProducerId, SendId, SendMode, SendOptions, SendResult};
use crate::lifecycle::ServiceState;
use crate::publish_info::vip_channel_addr;
use crate::retry::{AttemptOutcome, Decision, FailReason, RetryPolicy};
use crate::select::{select_queue, FaultFilter};
use crate::timer::TimerKey;

/// A message ready for the wire: everything but the queue and the born timestamp.
#[derive(Debug)]
struct Prepared {
    body: Bytes,
    sys_flag: i32,
    flag: i32,
    /// Encoded again for each attempt (into a reused buffer); holds `UNIQ_KEY` only when
    /// the caller set it.
    properties: Properties,
    /// The `UNIQ_KEY` the client made, kept inline and spelled out where it is needed.
    uniq: Option<UniqId>,
    reconsume_times: Option<i32>,
    max_reconsume_times: Option<i32>,
}

/// Where a send is.
#[derive(Debug)]
enum OpState {
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
    producer: ProducerId,
    mode: SendMode,
    topic: String,
    prepared: Prepared,
    start: Instant,
    deadline: Instant,
    attempts: u32,
    max_attempts: u32,
    /// Brokers of the attempts that ended, in order (the one in flight is in `state`); the
    /// last one is avoided by the next attempt.
    brokers: Vec<String>,
    last_error: Option<SendError>,
    queue_index: Option<usize>,
    state: OpState,
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
enum Outcome {
    /// Stored by `broker`; the result is built from the finished send (moving, not copying).
    Stored {
        status: SendStatus,
        broker: Arc<str>,
        header: SendMessageResponseHeader,
    },
    Written,
    Failed(SendError),
}

impl Client {
    pub(super) fn send_impl(
        &mut self,
        now: Instant,
        producer: ProducerId,
        mut msg: Message,
        opts: SendOptions,
    ) -> Result<SendId, UsageError> {
        let slot = self
            .producers
            .get(producer.0 as usize)
            .ok_or(UsageError::UnknownProducer(producer.0))?;
        if slot.state != ServiceState::Running || self.shutting_down.is_some() {
            return Err(UsageError::NotRunning {
                group: slot.config.group.clone(),
                state: slot.state,
            });
        }
        let cfg = &slot.config;
        validate::validate_topic(&msg.topic)?;
        let is_retry = msg.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX);
        let topic = with_namespace(
            self.config.namespace.as_deref(),
            std::mem::take(&mut msg.topic),
        );
        validate::validate_body(msg.body.len(), cfg.max_message_size)?;
        let max_attempts = 1 + match opts.mode {
            SendMode::Sync => cfg.retry_times_when_send_failed,
            SendMode::Async => cfg.retry_times_when_send_async_failed,
            SendMode::Oneway => 0,
        };
        let timeout = opts.timeout.unwrap_or(cfg.send_timeout);
        let (threshold, level) = (cfg.compress_msg_body_over_howmuch, cfg.compress_level);
        let prepared = self.prepare(now, msg, is_retry, threshold, level);

        let id = SendId(self.next_send);
        self.next_send += 1;
        let deadline = now + timeout;
        self.timers.set(deadline, TimerKey::Send(id));
        let _span = tracing::debug_span!("send", id = id.0, %topic).entered();
        let ready = self.publish.get(&topic).is_some_and(|e| e.info.ok());
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
                queue_index: opts.queue_index,
                state: OpState::AwaitingRoute,
            },
        );
        if ready {
            self.dispatch(now, id);
        } else {
            let Some(topic) = self.sends.get(&id).map(|op| op.topic.clone()) else {
                return Ok(id);
            };
            let cfg = &self.producers[producer.0 as usize].config;
            let fallback = (cfg.create_topic_key.clone(), cfg.default_topic_queue_nums);
            self.route_waiters
                .entry(topic.clone())
                .or_default()
                .push(id);
            self.fetch_route(now, &topic, Some(fallback));
        }
        Ok(id)
    }

    /// Adds UNIQ_KEY, compresses a large body and encodes the properties.
    fn prepare(
        &mut self,
        now: Instant,
        msg: Message,
        is_retry: bool,
        threshold: usize,
        level: u32,
    ) -> Prepared {
        let mut props = msg.properties;
        let mut uniq = None;
        if !props.contains_key(property::UNIQ_KEY) {
            let ms = self.wall_millis(now);
            uniq = Some(self.uniq.next(ms));
        }
        let mut flags = 0;
        let mut body = msg.body;
        if body.len() >= threshold {
            body = Bytes::from(compress_zlib(&body, level));
            flags |= sys_flag::COMPRESSED_FLAG | sys_flag::COMPRESSION_ZLIB;
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
        }
    }

    /// The route lookup a send waited for has finished.
    pub(crate) fn route_ready(&mut self, now: Instant, id: SendId, error: Option<SendError>) {
        let Some(op) = self.sends.get(&id) else {
            return;
        };
        if self.publish.get(&op.topic).is_some_and(|e| e.info.ok()) {
            self.dispatch(now, id);
        } else {
            let err = error.unwrap_or_else(|| SendError::NoRoute {
                topic: op.topic.clone(),
                cause: None,
            });
            self.complete(id, Outcome::Failed(err));
        }
    }

    /// Starts the next attempt of a send.
    fn dispatch(&mut self, now: Instant, id: SendId) {
        let Some(op) = self.sends.get_mut(&id) else {
            return;
        };
        let slot = &self.producers[op.producer.0 as usize];
        let Some(entry) = self.publish.get_mut(&op.topic).filter(|e| e.info.ok()) else {
            let err = SendError::NoRoute {
                topic: op.topic.clone(),
                cause: None,
            };
            self.complete(id, Outcome::Failed(err));
            return;
        };
        let queues = &entry.info.queues;
        if op.attempts > 0 {
            entry.cursor.reset(self.rng.next_u32());
        }
        let fault = slot
            .config
            .send_latency_fault_enable
            .then_some(FaultFilter {
                faults: &self.fault,
                now,
            });
        let idx = match op.queue_index {
            Some(i) => i % queues.len(),
            None => select_queue(
                queues,
                &mut entry.cursor,
                op.brokers.last().map(String::as_str),
                fault,
            )
            .unwrap_or(0),
        };
        let (broker, queue_id) = (entry.broker_names[idx].clone(), queues[idx].queue_id);
        op.attempts += 1;
        let _span = tracing::debug_span!("attempt", send = id.0, n = op.attempts, broker = %broker)
            .entered();
        let Some(master) = self.brokers.get(&*broker).and_then(|m| m.get(&0)) else {
            let err = SendError::NoRoute {
                topic: op.topic.clone(),
                cause: Some(format!("The broker[{}] not exist", broker)),
            };
            self.attempt_failed(now, id, &broker, err, AttemptOutcome::Transport, now);
            return;
        };
        let vip;
        let addr = if self.config.vip_channel_enabled {
            vip = vip_channel_addr(master);
            vip.as_str()
        } else {
            master.as_str()
        };
        let oneway = op.mode == SendMode::Oneway;
        let conn = match self.conns.id_of(addr) {
            Some(conn) => conn,
            None => {
                let addr = addr.to_owned();
                self.conn_to(now, &addr)
            }
        };
        let opaque = self.next_opaque();
        let born = self.wall_millis(now);
        let Some(op) = self.sends.get(&id) else {
            return;
        };
        let cfg = &self.producers[op.producer.0 as usize].config;
        let p = &op.prepared;
        // The client's UNIQ_KEY, spelled out into a reused buffer.
        let mut uniq = std::mem::take(&mut self.uniq_buf);
        uniq.clear();
        if let Some(id) = p.uniq {
            self.uniq.write(id, &mut uniq);
        }
        let extra = p.uniq.map(|_| (property::UNIQ_KEY, uniq.as_str()));
        let fixed = SendHeaderFixed {
            code: RequestCode::SEND_MESSAGE_V2.0,
            group: &cfg.group,
            topic: &op.topic,
            default_topic: &cfg.create_topic_key,
            default_topic_queue_nums: cfg.default_topic_queue_nums,
            language: self.config.language,
            version: version::CURRENT,
        };
        let vars = SendHeaderVars {
            opaque,
            command_flag: if oneway { FLAG_ONEWAY } else { 0 },
            queue_id,
            sys_flag: p.sys_flag,
            born_timestamp: born,
            flag: p.flag,
            properties: SendProperties::Map {
                props: &p.properties,
                extra,
            },
            reconsume_times: p.reconsume_times,
            unit_mode: false,
            max_reconsume_times: p.max_reconsume_times,
            batch: false,
            broker_name: &broker,
        };
        // JSON: the fixed text of this producer's sends to the topic is written once, and
        // the properties go straight into the header.
        let template = match self.config.serialize_type {
            SerializeType::Json => self
                .publish
                .get_mut(&op.topic)
                .map(|entry| entry.header_template(op.producer, || fixed)),
            _ => None,
        };
        let out = if oneway { Out::Oneway } else { Out::Send(now) };
        let encoded = match template {
            Some(template) => self.conns.queue_send(conn, template, &vars, &p.body, out),
            None => {
                let mut props = std::mem::take(&mut self.props_buf);
                props.clear();
                match extra {
                    Some((k, v)) => encode_properties_with(&p.properties, k, v, &mut props),
                    None => encode_properties_into(&p.properties, &mut props),
                }
                let fields = SendHeaderFields::new(&fixed, &vars, &props);
                let encoded = self.conns.queue_fields(
                    conn,
                    &fixed.command_head(&vars),
                    fields.as_slice(),
                    &p.body,
                    self.config.serialize_type,
                    out,
                );
                self.props_buf = props;
                encoded
            }
        };
        self.uniq_buf = uniq;
        if let Err(e) = encoded {
            let err = SendError::Transport {
                broker: broker.to_string(),
                error: TransportError::BadResponse {
                    addr: self.conn_addr(conn),
                    reason: format!("cannot encode request: {e}"),
                },
            };
            self.complete(id, Outcome::Failed(err));
            return;
        }
        let Some(op) = self.sends.get_mut(&id) else {
            return;
        };
        if oneway {
            op.state = OpState::OnewayQueued { conn, broker };
            if self.conns.is_connected(conn) {
                self.complete(id, Outcome::Written);
            }
            return;
        }
        op.state = OpState::InFlight {
            opaque,
            broker,
            sent_at: now,
        };
        self.requests.insert(
            opaque,
            Pending {
                conn,
                kind: RequestKind::Send(id),
                deadline: None,
                sent_at: now,
            },
        );
    }

    /// Completes oneway sends waiting for `conn` to connect.
    pub(crate) fn complete_oneways_on(&mut self, _now: Instant, conn: ConnId) {
        let ids: Vec<SendId> = self
            .sends
            .iter()
            .filter(
                |(_, op)| matches!(op.state, OpState::OnewayQueued { conn: c, .. } if c == conn),
            )
            .map(|(id, _)| id)
            .collect();
        for id in ids {
            self.complete(id, Outcome::Written);
        }
    }

    /// Fails oneway sends queued on a connection that was lost before connecting.
    pub(crate) fn fail_oneways_on(&mut self, conn: ConnId, error: &TransportError) {
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
            self.complete(id, Outcome::Failed(err));
        }
    }

    /// Ends a send's in-flight attempt, returning its producer, broker and send time.
    fn take_in_flight(&mut self, id: SendId) -> Option<(ProducerId, Arc<str>, Instant)> {
        let op = self.sends.get_mut(&id)?;
        match std::mem::replace(&mut op.state, OpState::AwaitingRoute) {
            OpState::InFlight {
                broker, sent_at, ..
            } => Some((op.producer, broker, sent_at)),
            other => {
                op.state = other;
                None
            }
        }
    }

    /// Reads a frame in place when it is a stored send's answer (the common case) and
    /// completes or retries that send without building the frame as a command. `false`
    /// leaves the frame to the full decoder and [`dispatch_frame`](Self::dispatch_frame):
    /// any other response or request, a broker error, or a header outside the compact form.
    pub(crate) fn on_send_stored_in_place(
        &mut self,
        now: Instant,
        conn: ConnId,
        frame: &[u8],
    ) -> bool {
        let mut fields = SendResponseFields::default();
        let Some(view) = frame::visit_header(frame, |k, v| fields.add(k, v)) else {
            return false;
        };
        let opaque = view.head().opaque;
        let id = match self.requests.get(&opaque) {
            Some(Pending {
                conn: c,
                kind: RequestKind::Send(id),
                ..
            }) if view.is_response() && *c == conn => *id,
            _ => return false,
        };
        let Some(status) = SendStatus::from_response_code(view.response_code()) else {
            return false;
        };
        let Ok(header) = fields.finish() else {
            return false;
        };
        if let Some(d) = self
            .take_request(opaque, Some(now))
            .and_then(|p| p.deadline)
        {
            self.timers.cancel(d, TimerKey::Request(opaque));
        }
        if let Some((producer, broker, sent_at)) = self.take_in_flight(id) {
            self.on_send_stored(now, id, status, header, (producer, broker, sent_at));
        }
        true
    }

    /// Handles a broker's answer to an attempt.
    pub(crate) fn on_send_response(
        &mut self,
        now: Instant,
        id: SendId,
        pending: Pending,
        cmd: RemotingCommand,
    ) {
        let Some((producer, broker, sent_at)) = self.take_in_flight(id) else {
            return;
        };
        let code = cmd.response_code();
        match SendStatus::from_response_code(code) {
            Some(status) => match SendMessageResponseHeader::from_ext_fields(&cmd.ext_fields) {
                Ok(header) => {
                    self.on_send_stored(now, id, status, header, (producer, broker, sent_at));
                }
                Err(e) => {
                    let err = SendError::Transport {
                        broker: broker.to_string(),
                        error: TransportError::BadResponse {
                            addr: self.conn_addr(pending.conn),
                            reason: e.to_string(),
                        },
                    };
                    self.attempt_failed(
                        now,
                        id,
                        &broker,
                        err,
                        AttemptOutcome::Unretryable,
                        sent_at,
                    );
                }
            },
            None => {
                let err = SendError::Broker {
                    broker: broker.to_string(),
                    code,
                    remark: cmd.remark.unwrap_or_default(),
                };
                self.attempt_failed(now, id, &broker, err, AttemptOutcome::Broker(code), sent_at);
            }
        }
    }

    /// The broker stored an attempt's message (`attempt`: its producer, broker and send
    /// time): the send completes, or retries elsewhere when the status calls for it.
    fn on_send_stored(
        &mut self,
        now: Instant,
        id: SendId,
        status: SendStatus,
        header: SendMessageResponseHeader,
        (producer, broker, sent_at): (ProducerId, Arc<str>, Instant),
    ) {
        self.record_latency(producer, &broker, now, now - sent_at, false);
        let Some(op) = self.sends.get(&id) else {
            return;
        };
        let decision = self.policy_of(op.producer, op.max_attempts).decide(
            AttemptOutcome::Stored(status),
            op.attempts,
            now,
            op.deadline,
        );
        if decision == Decision::Retry {
            tracing::debug!(
                send = id.0,
                ?status,
                "stored but not OK; retrying on another broker"
            );
            if let Some(op) = self.sends.get_mut(&id) {
                op.brokers.push(broker.to_string());
            }
            self.dispatch(now, id);
        } else {
            let outcome = Outcome::Stored {
                status,
                broker,
                header,
            };
            self.complete(id, outcome);
        }
    }

    /// An in-flight attempt's connection failed.
    pub(crate) fn on_send_transport_failure(
        &mut self,
        now: Instant,
        id: SendId,
        error: TransportError,
    ) {
        let Some((_, broker, sent_at)) = self.take_in_flight(id) else {
            return;
        };
        let err = SendError::Transport {
            broker: broker.to_string(),
            error,
        };
        self.attempt_failed(now, id, &broker, err, AttemptOutcome::Transport, sent_at);
    }

    /// Records a failed attempt and retries or completes the send.
    fn attempt_failed(
        &mut self,
        now: Instant,
        id: SendId,
        broker: &str,
        err: SendError,
        outcome: AttemptOutcome,
        sent_at: Instant,
    ) {
        let Some(op) = self.sends.get_mut(&id) else {
            return;
        };
        op.state = OpState::AwaitingRoute;
        op.brokers.push(broker.to_owned());
        let producer = op.producer;
        let (attempts, deadline, max) = (op.attempts, op.deadline, op.max_attempts);
        tracing::debug!(send = id.0, attempt = attempts, %broker, error = %err, "attempt failed");
        self.record_latency(producer, broker, now, now - sent_at, true);
        let decision = self
            .policy_of(producer, max)
            .decide(outcome, attempts, now, deadline);
        let Some(op) = self.sends.get_mut(&id) else {
            return;
        };
        match decision {
            Decision::Retry => {
                op.last_error = Some(err);
                self.dispatch(now, id);
            }
            Decision::Complete => {
                // Only stored outcomes complete; failures never reach here.
                self.complete(id, Outcome::Failed(err));
            }
            Decision::Fail(reason) => {
                let final_err = match reason {
                    FailReason::NotRetryable => err,
                    FailReason::Exhausted => SendError::RetriesExhausted {
                        topic: op.topic.clone(),
                        attempts,
                        brokers: op.brokers.clone(),
                        elapsed: now - op.start,
                        last: Box::new(err),
                    },
                    FailReason::DeadlinePassed => SendError::Timeout {
                        topic: op.topic.clone(),
                        attempts,
                        brokers: op.brokers.clone(),
                        elapsed: now - op.start,
                        last: Some(Box::new(err)),
                    },
                };
                self.complete(id, Outcome::Failed(final_err));
            }
        }
    }

    /// A send's whole time budget ran out.
    pub(crate) fn send_deadline_passed(&mut self, now: Instant, id: SendId) {
        let Some(op) = self.sends.get_mut(&id) else {
            return;
        };
        let mut last = op.last_error.take().map(Box::new);
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
            if let Some(p) = self.take_request(opaque, None) {
                let addr = self.conn_addr(p.conn);
                // Java closes a connection whose request timed out; we do so only when the
                // connection has been silent since the request went out.
                let silent = self
                    .conns
                    .get(p.conn)
                    .is_none_or(|c| c.last_rx.is_none_or(|t| t < sent_at));
                if silent {
                    close = Some((p.conn, addr.clone()));
                }
                last = Some(Box::new(SendError::Transport {
                    broker: broker.to_string(),
                    error: TransportError::RequestTimeout {
                        addr,
                        waited: now - sent_at,
                    },
                }));
            }
            self.record_latency(producer, &broker, now, now - sent_at, true);
        }
        let Some(op) = self.sends.get(&id) else {
            return;
        };
        if let (OpState::AwaitingRoute, None) = (&op.state, &last) {
            if let Some(f) = self.fetches.get(&op.topic) {
                last = f.last_cause.clone().map(|c| {
                    Box::new(SendError::NoRoute {
                        topic: op.topic.clone(),
                        cause: Some(c),
                    })
                });
            }
        }
        let err = SendError::Timeout {
            topic: op.topic.clone(),
            attempts: op.attempts,
            brokers: op.brokers.clone(),
            elapsed: now - op.start,
            last,
        };
        self.complete(id, Outcome::Failed(err));
        if let Some((conn, addr)) = close {
            let waited = self.config.connect_timeout;
            self.lose_conn(
                now,
                conn,
                true,
                TransportError::RequestTimeout { addr, waited },
            );
        }
    }

    /// Fails every pending send of `producer` (all producers with `None`) with `Shutdown`.
    pub(crate) fn fail_sends_of(&mut self, producer: Option<ProducerId>) {
        let mut ids: Vec<SendId> = self
            .sends
            .iter()
            .filter(|(_, op)| producer.is_none_or(|p| p == op.producer))
            .map(|(id, _)| id)
            .collect();
        ids.sort();
        for id in ids {
            self.complete(id, Outcome::Failed(SendError::Shutdown));
        }
    }

    /// Removes the send and emits its one completion event.
    fn complete(&mut self, id: SendId, outcome: Outcome) {
        let Some(mut op) = self.sends.remove(&id) else {
            return;
        };
        self.timers.cancel(op.deadline, TimerKey::Send(id));
        match &op.state {
            OpState::InFlight { opaque, .. } => {
                self.take_request(*opaque, None);
            }
            OpState::AwaitingRoute => {
                if let Some(w) = self.route_waiters.get_mut(&op.topic) {
                    w.retain(|x| *x != id);
                }
            }
            OpState::OnewayQueued { .. } => {}
        }
        let event = match (op.mode, outcome) {
            (SendMode::Oneway, Outcome::Written) => Event::OnewayCompleted { id, result: Ok(()) },
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
                let ns = self.config.namespace.as_deref();
                let msg_id = match op.prepared.uniq {
                    Some(uniq) => self.uniq.to_string(uniq),
                    None => (op.prepared.properties)
                        .remove(property::UNIQ_KEY)
                        .unwrap_or_default(),
                };
                Event::SendCompleted {
                    id,
                    result: Ok(op.into_result(ns, msg_id, status, &broker, header)),
                }
            }
            (_, Outcome::Failed(e)) => Event::SendCompleted { id, result: Err(e) },
            (_, Outcome::Written) => Event::SendCompleted {
                id,
                result: Err(SendError::Shutdown),
            },
        };
        self.push_event(event);
    }

    fn policy_of(&self, producer: ProducerId, max_attempts: u32) -> RetryPolicy<'_> {
        let cfg = &self.producers[producer.0 as usize].config;
        RetryPolicy {
            max_attempts,
            retry_not_stored_ok: cfg.retry_another_broker_when_not_store_ok,
            retry_codes: &cfg.retry_response_codes,
        }
    }

    fn record_latency(
        &mut self,
        producer: ProducerId,
        broker: &str,
        now: Instant,
        latency: Duration,
        isolation: bool,
    ) {
        if self.producers[producer.0 as usize]
            .config
            .send_latency_fault_enable
        {
            self.fault.update(broker, now, latency, isolation);
        }
    }

    pub(crate) fn conn_addr(&self, conn: ConnId) -> String {
        self.conns
            .get(conn)
            .map(|c| c.addr.clone())
            .unwrap_or_default()
    }
}

/// Prefixes a topic with the namespace (`ns%topic`), as Java's `NamespaceUtil` does.
pub(crate) fn with_namespace(ns: Option<&str>, topic: String) -> String {
    match ns.filter(|n| !n.is_empty()) {
        Some(ns) if !topic.starts_with(&format!("{ns}%")) => format!("{ns}%{topic}"),
        _ => topic,
    }
}

/// Removes the namespace prefix `ns%` from a topic, in place.
fn without_namespace(ns: Option<&str>, mut topic: String) -> String {
    if let Some(ns) = ns.filter(|n| !n.is_empty()) {
        let prefixed = topic.starts_with(ns) && topic[ns.len()..].starts_with('%');
        if prefixed {
            topic.drain(..=ns.len());
        }
    }
    topic
}
