//! One attempt of a send: pick the queue, find the broker's address and connection, and
//! write the SEND_MESSAGE_V2 frame (the JSON header from the topic's template, or the
//! generic encoder for binary headers).

use std::sync::Arc;
use std::time::Instant;

use rocketmq_proto::header::{SendHeaderFields, SendHeaderFixed, SendHeaderVars, SendProperties};
use rocketmq_proto::message::{encode_properties_into, encode_properties_with, keys as property};
use rocketmq_proto::{version, EncodeError, RequestCode, SerializeType, FLAG_ONEWAY};

use super::retry::AttemptOutcome;
use super::select::{select_queue, FaultFilter};
use super::selector::hash_index;
use super::send::{select_now, OpState, Outcome, Target as SendTarget};
use super::{ProducerRequest, Producers, SendMode};
use crate::client::route::vip_channel_addr;
use crate::client::rpc::{PendingRequest, RequestKind};
use crate::client::Instance;
use crate::conn::backlog::FrameClass;
use crate::error::SendError;
use crate::event::Event;
use crate::ids::{ConnId, SendId};

/// The queue an attempt goes to.
struct Target {
    broker: Arc<str>,
    queue_id: i32,
}

impl Producers {
    /// Starts the next attempt of a send.
    pub(super) fn start_attempt(&mut self, inst: &mut Instance, now: Instant, id: SendId) {
        let target = match self.choose_queue(inst, now, id) {
            Ok(t) => t,
            Err(err) => return self.complete(inst, id, Outcome::Failed(err)),
        };
        let Some(op) = self.sends.get_mut(&id) else {
            return;
        };
        op.attempts += 1;
        let _span =
            tracing::debug_span!("attempt", send = id.0, n = op.attempts, broker = %target.broker)
                .entered();
        let Some(master) = inst.routes.master_of(&target.broker) else {
            let err = SendError::NoRoute {
                topic: op.topic.clone(),
                cause: Some(format!("The broker[{}] not exist", target.broker)),
            };
            let outcome = AttemptOutcome::Transport;
            return self.attempt_failed(inst, now, id, &target.broker, err, outcome, now);
        };
        let conn = if inst.config.vip_channel_enabled {
            let vip = vip_channel_addr(master);
            inst.conn_to(now, &vip)
        } else if let Some(conn) = inst.conns.id_of(master) {
            conn
        } else {
            let addr = master.clone();
            inst.conn_to(now, &addr)
        };
        let opaque = inst.requests.next_opaque();
        if let Err(e) = self.write_frame(inst, now, id, conn, opaque, &target) {
            return self.complete(inst, id, Outcome::Failed(SendError::Encode(e)));
        }
        let Some(op) = self.sends.get_mut(&id) else {
            return;
        };
        let broker = target.broker;
        if op.mode == SendMode::Oneway {
            op.state = OpState::OnewayQueued { conn, broker };
            if inst.conns.is_connected(conn) && self.finish(inst, id).is_some() {
                inst.push_event(Event::OnewayCompleted { id, result: Ok(()) });
            }
            return;
        }
        op.state = OpState::InFlight {
            opaque,
            broker,
            sent_at: now,
        };
        inst.requests.insert(
            opaque,
            PendingRequest {
                conn,
                kind: RequestKind::Producer(ProducerRequest::Send(id)),
                deadline: None,
                sent_at: now,
            },
        );
    }

    /// The queue of a send's next attempt: the one asked for, else round robin avoiding the
    /// broker that just failed (and, with fault avoidance, slow brokers).
    fn choose_queue(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: SendId,
    ) -> Result<Target, SendError> {
        let Some(op) = self.sends.get_mut(&id) else {
            return Err(SendError::Shutdown);
        };
        let Some(entry) = self.publish.get_mut(&op.topic).filter(|e| e.info.ok()) else {
            return Err(SendError::NoRoute {
                topic: op.topic.clone(),
                cause: None,
            });
        };
        let queues = &entry.info.queues;
        // A targeted send resolves its queue once; every attempt goes there.
        match std::mem::replace(&mut op.target, SendTarget::Any) {
            SendTarget::Hash(hash) => {
                op.target = match hash_index(hash, queues.len()).and_then(|i| queues.get(i)) {
                    Some(q) => SendTarget::Queue(Box::new((q.broker_name.clone(), q.queue_id))),
                    None => SendTarget::Unselectable(Box::new((None, queues.len()))),
                };
            }
            SendTarget::Select(boxed) => {
                let (sel, msg) = *boxed;
                let ns = inst.config.namespace.as_deref();
                op.target = select_now(ns, queues, sel, &msg);
            }
            other => op.target = other,
        }
        match &op.target {
            SendTarget::Queue(fixed) => {
                let (broker, queue_id) = &**fixed;
                let shared = queues.iter().position(|q| q.broker_name == *broker);
                return Ok(Target {
                    broker: shared.map_or_else(
                        || Arc::from(broker.as_str()),
                        |i| entry.broker_names[i].clone(),
                    ),
                    queue_id: *queue_id,
                });
            }
            SendTarget::Unselectable(what) => {
                let (picked, queues) = **what;
                return Err(SendError::Selector {
                    topic: op.topic.clone(),
                    queues,
                    picked,
                });
            }
            _ => {}
        }
        if op.attempts > 0 {
            entry.cursor.reset(inst.rng.next_u32());
        }
        let fault = self.slots[op.producer.0 as usize]
            .config
            .send_latency_fault_enable
            .then_some(FaultFilter {
                faults: &self.fault,
                now,
            });
        let idx = match op.target {
            SendTarget::Index(i) => i % queues.len(),
            _ => select_queue(
                queues,
                &mut entry.cursor,
                op.brokers.last().map(String::as_str),
                fault,
            )
            .unwrap_or(0),
        };
        Ok(Target {
            broker: entry.broker_names[idx].clone(),
            queue_id: queues[idx].queue_id,
        })
    }

    /// Encodes the attempt's frame onto `conn`'s output.
    fn write_frame(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: SendId,
        conn: ConnId,
        opaque: i32,
        target: &Target,
    ) -> Result<(), EncodeError> {
        let born = inst.wall_millis(now);
        let Some(op) = self.sends.get(&id) else {
            return Ok(());
        };
        let cfg = &self.slots[op.producer.0 as usize].config;
        let p = &op.prepared;
        let oneway = op.mode == SendMode::Oneway;
        // The client's UNIQ_KEY, spelled out into a reused buffer.
        let mut uniq = std::mem::take(&mut self.uniq_buf);
        uniq.clear();
        if let Some(id) = p.uniq {
            self.uniq.write(id, &mut uniq);
        }
        let extra = p.uniq.map(|_| (property::UNIQ_KEY, uniq.as_str()));
        let batch = p.batch_ids.is_some();
        let code = if batch {
            RequestCode::SEND_BATCH_MESSAGE
        } else {
            RequestCode::SEND_MESSAGE_V2
        };
        let fixed = SendHeaderFixed {
            code: code.0,
            group: &cfg.group,
            topic: &op.topic,
            default_topic: &cfg.create_topic_key,
            default_topic_queue_nums: cfg.default_topic_queue_nums,
            language: inst.config.language,
            version: version::CURRENT,
        };
        let vars = SendHeaderVars {
            opaque,
            command_flag: if oneway { FLAG_ONEWAY } else { 0 },
            queue_id: target.queue_id,
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
            batch,
            broker_name: &target.broker,
        };
        let class = if oneway {
            FrameClass::Oneway
        } else {
            FrameClass::Send(now)
        };
        // JSON: the fixed text of this producer's sends to the topic is written once, and
        // the properties go straight into the header.
        // A batch (rare, large) takes the generic encoder: the template is the plain send's.
        let template = match inst.config.serialize_type {
            SerializeType::Json if !batch => self
                .publish
                .get_mut(&op.topic)
                .map(|entry| entry.header_template(op.producer, || fixed)),
            _ => None,
        };
        let encoded = match template {
            Some(template) => inst.conns.queue_send(conn, template, &vars, &p.body, class),
            None => {
                let mut props = std::mem::take(&mut self.props_buf);
                props.clear();
                match extra {
                    Some((k, v)) => encode_properties_with(&p.properties, k, v, &mut props),
                    None => encode_properties_into(&p.properties, &mut props),
                }
                let fields = SendHeaderFields::new(&fixed, &vars, &props);
                let head = fixed.command_head(&vars);
                let ser = inst.config.serialize_type;
                let encoded =
                    inst.conns
                        .queue_fields(conn, &head, fields.as_slice(), &p.body, ser, class);
                self.props_buf = props;
                encoded
            }
        };
        self.uniq_buf = uniq;
        encoded
    }
}
