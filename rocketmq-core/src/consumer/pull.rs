//! The pull loop of each queue (Java `DefaultMQPushConsumerImpl#pullMessage`, the lite
//! consumer's `PullTaskImpl`, CONSUMER.md §3.2–3.3, PROTOCOL.md §8.1–8.2): the gate before
//! each pull (flow control, span, lock), the long-polling request, and its answer. A queue's
//! loop ends only when the queue is given up: after any failure it pulls again.

use std::time::{Duration, Instant};

use bytes::Bytes;
use rocketmq_proto::body::{MessageModel, SubscriptionData};
use rocketmq_proto::header::PullMessageRequestHeader;
use rocketmq_proto::message::flags::pull_sys_flag;
use rocketmq_proto::message::{decode_stored_messages, MessageExt};
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::config::ConsumerKind;
use super::queue::{Phase, PullState, QueueKey};
use super::{ConsumerRequest, ConsumerTimer, Consumers};
use crate::client::rpc::RequestKind;
use crate::client::Instance;
use crate::error::TransportError;
use crate::ids::ConsumerId;
use crate::lifecycle::ServiceState;
use crate::timer::TimerKey;

/// The pause after the cache is full (Java `PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL`).
const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);
/// The pause after the broker answered FLOW_CONTROL.
const BROKER_FLOW_CONTROL_DELAY: Duration = Duration::from_millis(20);
/// The pause while paused or not locked (Java `PULL_TIME_DELAY_MILLS_WHEN_SUSPEND`).
const SUSPENDED_DELAY: Duration = Duration::from_secs(1);

/// A pull answer's header fields (Java `PullMessageResponseHeader`).
#[derive(Debug, Default)]
pub(crate) struct PullAnswer {
    pub(crate) code: ResponseCode,
    pub(crate) remark: String,
    next_begin_offset: Option<i64>,
    suggest_which_broker_id: i64,
    offset_delta: Option<i64>,
    pub(crate) body: Bytes,
}

impl PullAnswer {
    /// Reads a pull answer from its code, remark, ext fields and body.
    pub(crate) fn read<'a>(
        code: ResponseCode,
        remark: Option<&str>,
        fields: impl Iterator<Item = (&'a str, &'a str)>,
        body: Bytes,
    ) -> Self {
        let mut a = Self {
            code,
            remark: remark.unwrap_or_default().to_owned(),
            body,
            ..Self::default()
        };
        for (k, v) in fields {
            match k {
                "nextBeginOffset" => a.next_begin_offset = v.parse().ok(),
                "suggestWhichBrokerId" => a.suggest_which_broker_id = v.parse().unwrap_or(0),
                "offsetDelta" => a.offset_delta = v.parse().ok(),
                _ => {}
            }
        }
        a
    }
}

impl Consumers {
    /// Pulls a queue now if its gate allows.
    pub(crate) fn pull_now(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
    ) {
        self.try_pull(inst, now, id, key);
    }

    /// The next pull of a queue after `delay`.
    pub(crate) fn pull_later(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
        delay: Duration,
    ) {
        if delay.is_zero() {
            return self.try_pull(inst, now, id, key);
        }
        let Some(q) = self.get_mut(id).and_then(|c| c.queues.get_mut(key)) else {
            return;
        };
        let timer = TimerKey::Consumer(ConsumerTimer::Pull(id, key));
        if let PullState::Due(at) = q.pull {
            inst.timers.cancel(at, timer);
        }
        q.pull = PullState::Due(now + delay);
        inst.timers.set(now + delay, timer);
    }

    /// A queue's pull timer fired.
    pub(crate) fn on_pull_timer(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
    ) {
        if let Some(q) = self.get_mut(id).and_then(|c| c.queues.get_mut(key)) {
            if matches!(q.pull, PullState::Due(_)) {
                q.pull = PullState::Idle;
                self.try_pull(inst, now, id, key);
            }
        }
    }

    /// A queue waiting for its pull timer pulls now instead (its timer is cancelled).
    pub(crate) fn pull_due_now(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
    ) {
        let Some(q) = self.get_mut(id).and_then(|c| c.queues.get_mut(key)) else {
            return;
        };
        if let PullState::Due(at) = q.pull {
            inst.timers
                .cancel(at, TimerKey::Consumer(ConsumerTimer::Pull(id, key)));
            q.pull = PullState::Idle;
            self.try_pull(inst, now, id, key);
        }
    }

    /// The gate before a pull (CONSUMER.md §3.2), then the pull.
    fn try_pull(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId, key: QueueKey) {
        let Some(c) = self.get_mut(id) else { return };
        let held = c.queues.len().max(1) as u32;
        let running = c.state == ServiceState::Running && c.shutting_down.is_none();
        let cfg = &c.config;
        let ready_msgs: usize = c.ready.iter().map(|(_, m)| m.len()).sum();
        let Some(q) = c.queues.get_mut(key) else {
            return;
        };
        if q.phase != Phase::Active || q.pull != PullState::Idle || !running {
            return;
        }
        q.last_pull = Some(now);
        let per_queue = cfg
            .pull_threshold_for_topic
            .map_or(cfg.pull_threshold_for_queue, |t| (t / held).max(1));
        let size_per_queue = cfg
            .pull_threshold_size_for_topic
            .map_or(cfg.pull_threshold_size_for_queue, |t| (t / held).max(1));
        // Java's checks, strictly greater than each threshold: the cache by count and by
        // MiB, the span of a concurrent queue, what a lite consumer has not polled yet.
        let cache_full = q.pq.count() > per_queue as usize
            || q.pq.bytes() / (1024 * 1024) > size_per_queue as usize
            || (cfg.kind == (ConsumerKind::Push { orderly: false })
                && q.pq.max_span() > i64::from(cfg.consume_concurrently_max_span))
            || (cfg.kind == ConsumerKind::LitePull
                && ready_msgs > cfg.pull_threshold_for_all as usize);
        let unlocked =
            cfg.is_orderly() && cfg.message_model == MessageModel::Clustering && !q.locked;
        let delay = if c.paused || q.paused || unlocked {
            Some(SUSPENDED_DELAY)
        } else if cache_full {
            Some(FLOW_CONTROL_DELAY)
        } else {
            None
        };
        if let Some(d) = delay {
            tracing::trace!(queue = ?q.mq, ?d, "pull held back");
            return self.pull_later(inst, now, id, key, d);
        }
        self.send_pull(inst, now, id, key);
    }

    /// Sends a queue's pull request.
    fn send_pull(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId, key: QueueKey) {
        let Some(c) = self.get_mut(id) else { return };
        let Some(q) = c.queues.get_mut(key) else {
            return;
        };
        let lite = c.config.kind == ConsumerKind::LitePull;
        let default_sub;
        let sub = match c.subs.get(&q.mq.topic) {
            Some(s) => s,
            None if lite => {
                default_sub =
                    SubscriptionData::from_tag_expression(&*q.mq.topic, "*", 0).unwrap_or_default();
                &default_sub
            }
            None => {
                return self.pull_later(
                    inst,
                    now,
                    id,
                    key,
                    inst.config.pull_time_delay_when_exception,
                )
            }
        };
        let Some((broker_id, addr)) = inst
            .routes
            .find_in_subscribe(&q.mq.broker_name, q.suggested_broker)
        else {
            tracing::debug!(queue = ?q.mq, "no broker address to pull from");
            let d = inst.config.pull_time_delay_when_exception;
            return self.pull_later(inst, now, id, key, d);
        };
        let remote = !c.offsets.is_local();
        let commit = c
            .offsets
            .read(&q.mq)
            .filter(|&o| o > 0 && remote && broker_id == 0 && !lite);
        let post_sub = lite || c.config.post_subscription_when_pull;
        let mut sys_flag = pull_sys_flag::SUSPEND;
        if commit.is_some() {
            sys_flag |= pull_sys_flag::COMMIT_OFFSET;
        }
        if post_sub {
            sys_flag |= pull_sys_flag::SUBSCRIPTION;
        }
        if lite {
            sys_flag |= pull_sys_flag::LITE_PULL;
        }
        let offset = q.next_offset;
        let tag = sub.expression_type == SubscriptionData::TAG;
        let header = PullMessageRequestHeader {
            consumer_group: c.config.group.clone(),
            topic: q.mq.topic.clone(),
            queue_id: q.mq.queue_id,
            queue_offset: offset,
            max_msg_nums: c.config.pull_batch_size as i32,
            sys_flag,
            commit_offset: commit.unwrap_or(0),
            suspend_timeout_millis: c.config.broker_suspend_max_time.as_millis() as i64,
            subscription: post_sub.then(|| sub.sub_string.clone()),
            sub_version: if lite && tag { 0 } else { sub.sub_version },
            expression_type: Some(sub.expression_type.clone()),
            max_msg_bytes: Some(c.config.pull_batch_size_in_bytes as i32),
            request_source: None,
            proxy_forward_client_id: None,
            broker_name: Some(q.mq.broker_name.clone()),
        };
        let code = if lite {
            RequestCode::LITE_PULL_MESSAGE
        } else {
            RequestCode::PULL_MESSAGE
        };
        let mut cmd = RemotingCommand::request(code);
        header.to_ext_fields(&mut cmd.ext_fields);
        q.pull = PullState::InFlight;
        let timeout = c.config.consumer_timeout_when_suspend;
        let kind = RequestKind::Consumer(ConsumerRequest::Pull(id, key));
        inst.request(now, &addr, cmd, kind, timeout);
    }

    /// A pull's answer (CONSUMER.md §3.3, PROTOCOL.md §8.2).
    pub(crate) fn on_pull_answer(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
        answer: PullAnswer,
    ) {
        let Some(c) = self.get_mut(id) else { return };
        let lite = c.config.kind == ConsumerKind::LitePull;
        let Some(q) = c.queues.get_mut(key) else {
            return;
        };
        if q.pull != PullState::InFlight {
            return;
        }
        q.pull = PullState::Idle;
        let next = answer.next_begin_offset;
        if matches!(
            answer.code,
            ResponseCode::SUCCESS
                | ResponseCode::PULL_NOT_FOUND
                | ResponseCode::PULL_RETRY_IMMEDIATELY
                | ResponseCode::PULL_OFFSET_MOVED
        ) {
            q.suggested_broker = answer.suggest_which_broker_id;
        }
        match (answer.code, next) {
            (ResponseCode::SUCCESS, Some(next)) => {
                let msgs = match decode_stored_messages(&answer.body) {
                    Ok(msgs) => msgs,
                    Err(e) => {
                        // Not skipped: the records are pulled again until they read.
                        tracing::warn!(queue = ?q.mq, error = %e, "undecodable pull body");
                        let d = inst.config.pull_time_delay_when_exception;
                        return self.pull_later(inst, now, id, key, d);
                    }
                };
                q.next_offset = next;
                let sub = c.subs.get(&q.mq.topic);
                let delta = answer.offset_delta.unwrap_or(0);
                let msgs: Vec<MessageExt> = msgs
                    .into_iter()
                    .filter(|m| sub.is_none_or(|s| s.matches_tag(m.message.tags())))
                    .map(|mut m| {
                        m.queue_offset += delta;
                        m
                    })
                    .collect();
                let interval = c.config.pull_interval;
                if msgs.is_empty() {
                    return self.pull_now(inst, now, id, key);
                }
                self.take_found(inst, now, id, key, msgs);
                self.pull_later(inst, now, id, key, interval);
            }
            (ResponseCode::PULL_NOT_FOUND | ResponseCode::PULL_RETRY_IMMEDIATELY, Some(next)) => {
                q.next_offset = next;
                // Nothing cached: what was filtered out counts as consumed.
                if q.pq.count() == 0 && !lite {
                    let mq = q.mq.clone();
                    c.offsets.update(&mq, next, true);
                }
                self.pull_now(inst, now, id, key);
            }
            (ResponseCode::PULL_OFFSET_MOVED, Some(next)) => {
                tracing::warn!(queue = ?q.mq, from = q.next_offset, to = next, "pull offset illegal");
                q.next_offset = next;
                if lite {
                    return self.pull_now(inst, now, id, key);
                }
                // The queue is dropped with its offset moved, and taken again by a rebalance.
                // Its deliveries in flight are revoked, orderly ones too (Java ignores their
                // results once the queue is dropped): their messages are gone from the broker.
                let mq = q.mq.clone();
                self.revoke_named(inst, id, &mq);
                let Some(c) = self.get_mut(id) else { return };
                c.offsets.update_and_freeze(&mq, next);
                self.persist_queue(inst, now, id, &mq);
                self.remove_queue(inst, now, id, key, false);
                self.rebalance(inst, now, id);
            }
            (code, _) => {
                tracing::debug!(queue = ?q.mq, %code, remark = %answer.remark, "pull refused");
                let d = match code {
                    ResponseCode::FLOW_CONTROL => BROKER_FLOW_CONTROL_DELAY,
                    _ => inst.config.pull_time_delay_when_exception,
                };
                self.pull_later(inst, now, id, key, d);
            }
        }
    }

    /// A pull could not be sent or answered: pull again after the exception delay.
    pub(crate) fn on_pull_failure(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
        error: &TransportError,
    ) {
        let Some(q) = self.get_mut(id).and_then(|c| c.queues.get_mut(key)) else {
            return;
        };
        if q.pull != PullState::InFlight {
            return;
        }
        tracing::debug!(queue = ?q.mq, %error, "pull failed");
        q.pull = PullState::Idle;
        let d = inst.config.pull_time_delay_when_exception;
        self.pull_later(inst, now, id, key, d);
    }
}
