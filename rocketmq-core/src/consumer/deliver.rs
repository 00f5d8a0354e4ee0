//! Deliveries to the application and their answers (Java `ConsumeMessageConcurrentlyService`
//! and `ConsumeMessageOrderlyService`, CONSUMER.md §3.4–3.7, §4.4–4.6).
//!
//! Concurrent: found messages are cut into deliveries of `consume_message_batch_max_size`;
//! up to `consume_thread_max` are in flight across the consumer's queues, the rest wait (and,
//! as they stay cached, hold the pulls back). Orderly: a queue hands out one delivery at a
//! time, in offset order, and only while its broker lock is held; a failure puts the messages
//! back and the queue waits. Every delivery is answered once or revoked once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rocketmq_proto::body::{MessageModel, MessageQueue};
use rocketmq_proto::message::validate::RETRY_GROUP_TOPIC_PREFIX;
use rocketmq_proto::message::{keys as property, MessageExt};

use super::config::ConsumerKind;
use super::queue::{Phase, QueueKey};
use super::{ConsumeResult, ConsumerTimer, Consumers, Delivery, DeliveryRecord};
use crate::client::Instance;
use crate::error::UsageError;
use crate::event::Event;
use crate::ids::{ConsumerId, DeliveryId};
use crate::timer::TimerKey;

/// An orderly lock is trusted this long after it was last granted (Java
/// `REBALANCE_LOCK_MAX_LIVE_TIME`).
pub(super) const LOCK_MAX_LIVE: Duration = Duration::from_secs(30);
/// Messages whose send-back failed are delivered again after this long.
pub(super) const LOCAL_RETRY_DELAY: Duration = Duration::from_secs(5);

impl Consumers {
    /// A pull found messages for a queue: cache them and hand them out.
    pub(crate) fn take_found(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
        msgs: Vec<MessageExt>,
    ) {
        let Some(c) = self.get_mut(id) else { return };
        let kind = c.config.kind;
        let batch = c.config.consume_message_batch_max_size.max(1) as usize;
        let Some(q) = c.queues.get_mut(key) else {
            return;
        };
        let orderly = kind == (ConsumerKind::Push { orderly: true });
        let added = q.pq.put(&msgs, orderly);
        if added == 0 {
            return;
        }
        match kind {
            ConsumerKind::Push { orderly: true } => self.dispatch_orderly(inst, now, id, key),
            ConsumerKind::Push { orderly: false } => {
                // Each message moved once, into a delivery of exactly its size (splitting
                // off the tail instead moves the rest again per delivery and leaves every
                // delivery the capacity of what was left: a 32-message pull cut in ones held
                // 528 messages' worth of memory while it waited).
                let mut rest = msgs.into_iter();
                while rest.len() > 0 {
                    let delivery: Vec<MessageExt> = rest.by_ref().take(batch).collect();
                    c.waiting.push_back((key, delivery));
                }
                self.dispatch_waiting(inst, now, id);
            }
            ConsumerKind::LitePull => {
                let was_empty = c.ready.is_empty();
                c.ready.push_back((key, msgs));
                if was_empty {
                    inst.push_event(Event::Pollable { consumer: id });
                }
            }
        }
    }

    /// Hands out waiting concurrent deliveries while slots are free.
    pub(crate) fn dispatch_waiting(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId) {
        loop {
            let Some(c) = self.get_mut(id) else { return };
            if c.in_flight >= c.config.consume_thread_max || c.shutting_down.is_some() {
                return;
            }
            let Some((key, msgs)) = c.waiting.pop_front() else {
                return;
            };
            // Messages expired by the consume timeout meanwhile are no longer cached.
            let Some(q) = c.queues.get(key) else { continue };
            let msgs: Vec<MessageExt> = msgs
                .into_iter()
                .filter(|m| q.pq.contains(m.queue_offset))
                .collect();
            if msgs.is_empty() {
                continue;
            }
            self.deliver(inst, now, id, key, msgs, false);
        }
    }

    /// Hands an orderly queue's next messages out if it may deliver now.
    pub(crate) fn dispatch_orderly(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
    ) {
        let Some(c) = self.get_mut(id) else { return };
        if c.in_flight >= c.config.consume_thread_max || c.shutting_down.is_some() {
            return;
        }
        let clustering = c.config.message_model == MessageModel::Clustering;
        let batch = c.config.consume_message_batch_max_size.max(1) as usize;
        let Some(mq) = c.queues.get(key).map(|q| &q.mq) else {
            return;
        };
        // A dropped queue of the same name whose delivery is still running holds the queue
        // (Java: one consume lock per message queue, whichever process queue delivers).
        let earlier_running = c.queues.predecessor_running(key, mq);
        let Some(q) = c.queues.get_mut(key) else {
            return;
        };
        let lock_valid = q.locked && q.last_lock.is_some_and(|t| now <= t + LOCK_MAX_LIVE);
        let ready = !earlier_running
            && q.phase == Phase::Active
            && q.delivery.is_none()
            && q.dead_lettering == 0
            && q.suspended_until.is_none_or(|t| now >= t)
            && (!clustering || lock_valid)
            && !q.pq.is_empty();
        if !ready {
            return;
        }
        q.suspended_until = None;
        let msgs = q.pq.take(batch);
        if msgs.is_empty() {
            return;
        }
        self.deliver(inst, now, id, key, msgs, true);
    }

    /// Hands the orderly queues that can deliver their next messages (a slot freed).
    fn dispatch_orderly_all(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId) {
        let Some(c) = self.get(id) else { return };
        for key in c.queues.keys() {
            self.dispatch_orderly(inst, now, id, key);
        }
    }

    /// Emits one delivery.
    fn deliver(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
        mut msgs: Vec<MessageExt>,
        orderly: bool,
    ) {
        let delivery = self.next_delivery_id();
        let Some(c) = self.get_mut(id) else { return };
        for m in &mut msgs {
            restore_retry_topic(m, &c.config.group);
        }
        let Some(q) = c.queues.get_mut(key) else {
            return;
        };
        q.last_consume = Some(now);
        if orderly {
            q.delivery = Some(delivery);
        }
        let queue = q.mq.clone();
        c.in_flight += 1;
        let messages: Arc<[MessageExt]> = msgs.into();
        self.deliveries.insert(
            delivery,
            DeliveryRecord {
                consumer: id,
                queue: key,
                messages: messages.clone(),
                orderly,
                started: now,
            },
        );
        inst.push_event(Event::Deliver(Delivery {
            id: delivery,
            consumer: id,
            queue,
            messages,
            orderly,
        }));
    }

    /// The application's answer to a delivery. An answer to a delivery already answered or
    /// revoked is ignored (and counted); one to an id never handed out is an error.
    pub(crate) fn consume_result(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        delivery: DeliveryId,
        result: ConsumeResult,
    ) -> Result<(), UsageError> {
        let Some(record) = self.deliveries.remove(&delivery) else {
            if delivery.0 >= self.next_delivery {
                return Err(UsageError::UnknownDelivery(delivery.0));
            }
            self.late_results += 1;
            tracing::debug!(
                delivery = delivery.0,
                "answer to a delivery no longer wanted"
            );
            return Ok(());
        };
        let id = record.consumer;
        if let Some(c) = self.get_mut(id) {
            c.in_flight = c.in_flight.saturating_sub(1);
        }
        if record.orderly {
            self.orderly_result(inst, now, record, result);
        } else {
            self.concurrent_result(inst, now, record, result);
        }
        self.after_slot_freed(inst, now, id);
        Ok(())
    }

    /// A delivery slot freed: the next deliveries go out (or a shutdown finishes).
    fn after_slot_freed(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId) {
        let Some(c) = self.get(id) else { return };
        if c.shutting_down.is_some() {
            return self.maybe_finish_shutdown(inst, now, id);
        }
        if c.config.is_orderly() {
            self.dispatch_orderly_all(inst, now, id);
        } else {
            self.dispatch_waiting(inst, now, id);
        }
    }

    /// A concurrent delivery's answer (CONSUMER.md §3.5): the succeeded messages are done;
    /// failed ones go back to the broker (clustering) or are dropped (broadcasting).
    fn concurrent_result(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        record: DeliveryRecord,
        result: ConsumeResult,
    ) {
        let (id, key) = (record.consumer, record.queue);
        let n = record.messages.len();
        let (acked, delay_level) = match result {
            ConsumeResult::Success => (n, 0),
            ConsumeResult::Partial { acked } => (acked.min(n), 0),
            ConsumeResult::Later { delay_level } => (0, delay_level),
            ConsumeResult::Suspend(_) => (0, 0),
        };
        let Some(c) = self.get_mut(id) else { return };
        let broadcasting = c.config.message_model == MessageModel::Broadcasting;
        let Some(q) = c.queues.get(key) else { return };
        if !q.is_active() {
            return;
        }
        let mut done: Vec<i64> = record.messages[..acked]
            .iter()
            .map(|m| m.queue_offset)
            .collect();
        let mut back = Vec::new();
        for m in &record.messages[acked..] {
            if broadcasting {
                tracing::warn!(msg_id = %m.msg_id, "broadcast message failed; dropped");
                done.push(m.queue_offset);
            } else if q.pq.contains(m.queue_offset) {
                back.push(m.clone());
            }
        }
        // Failed messages stay cached (and uncommitted) until the broker has them back.
        for m in back {
            self.send_back(inst, now, id, key, m, delay_level, false);
        }
        self.finish_messages(id, key, &done);
    }

    /// Messages of a concurrent queue are done: the consumed offset moves up to the first
    /// message still cached.
    pub(crate) fn finish_messages(&mut self, id: ConsumerId, key: QueueKey, offsets: &[i64]) {
        let Some(c) = self.get_mut(id) else { return };
        let Some(q) = c.queues.get_mut(key) else {
            return;
        };
        if let Some(offset) = q.pq.remove(offsets) {
            if q.is_active() {
                c.offsets.update(&q.mq, offset, true);
            }
        }
    }

    /// An orderly delivery's answer (CONSUMER.md §4.5 with auto-commit).
    fn orderly_result(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        record: DeliveryRecord,
        result: ConsumeResult,
    ) {
        let (id, key) = (record.consumer, record.queue);
        let Some(c) = self.get_mut(id) else { return };
        let max = c.config.effective_max_reconsume_times();
        let default_suspend = c.config.suspend_current_queue_time;
        let Some(q) = c.queues.get_mut(key) else {
            return;
        };
        q.delivery = None;
        if q.phase == Phase::Dropped {
            // Not committed (Java: no offset update for a dropped queue); unlocked now.
            return self.unlock_dropped(inst, now, id);
        }
        let suspend = match result {
            ConsumeResult::Success | ConsumeResult::Partial { .. } => None,
            ConsumeResult::Later { .. } => Some(default_suspend),
            ConsumeResult::Suspend(d) => Some(d),
        };
        let Some(suspend) = suspend else {
            return self.commit_orderly(id, key);
        };
        // Java's `checkReconsumeTimes`: messages past the limit go to the dead-letter queue
        // (through the retry topic); otherwise the whole delivery comes again. Never skipped.
        let exhausted = record
            .messages
            .iter()
            .all(|m| u32::try_from(m.reconsume_times).unwrap_or(0) >= max);
        if exhausted {
            let Some(q) = self.get_mut(id).and_then(|c| c.queues.get_mut(key)) else {
                return;
            };
            q.dead_lettering = record.messages.len() as u32;
            for m in record.messages.iter() {
                self.send_back(inst, now, id, key, m.clone(), -1, true);
            }
            return;
        }
        let suspend = suspend.clamp(Duration::from_millis(10), Duration::from_secs(30));
        q.pq.put_back();
        q.suspended_until = Some(now + suspend);
        inst.timers.set(
            now + suspend,
            TimerKey::Consumer(ConsumerTimer::Resume(id, key)),
        );
    }

    /// Commits an orderly queue's taken messages.
    pub(crate) fn commit_orderly(&mut self, id: ConsumerId, key: QueueKey) {
        let Some(c) = self.get_mut(id) else { return };
        let Some(q) = c.queues.get_mut(key) else {
            return;
        };
        if let Some(offset) = q.pq.commit() {
            let mq = q.mq.clone();
            c.offsets.update(&mq, offset, false);
        }
    }

    /// The dead-letter sends of an orderly delivery finished: commit, or put the messages
    /// back if one failed.
    pub(crate) fn orderly_dead_lettered(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
        ok: bool,
    ) {
        let Some(c) = self.get_mut(id) else { return };
        let suspend = c.config.suspend_current_queue_time;
        let Some(q) = c.queues.get_mut(key) else {
            return;
        };
        q.dead_lettering = q.dead_lettering.saturating_sub(1);
        if !ok {
            q.suspended_until = Some(now + suspend);
        }
        if q.dead_lettering > 0 {
            return;
        }
        if q.suspended_until.is_some() {
            q.pq.put_back();
            let at = now + suspend;
            q.suspended_until = Some(at);
            inst.timers
                .set(at, TimerKey::Consumer(ConsumerTimer::Resume(id, key)));
        } else {
            self.commit_orderly(id, key);
            self.dispatch_orderly(inst, now, id, key);
        }
    }

    /// An orderly queue's suspension ended.
    pub(crate) fn on_resume(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
    ) {
        self.dispatch_orderly(inst, now, id, key);
    }

    /// Revokes the deliveries in flight of a queue.
    pub(crate) fn revoke_queue(&mut self, inst: &mut Instance, id: ConsumerId, key: QueueKey) {
        let mut ids: Vec<DeliveryId> = self
            .deliveries
            .iter()
            .filter(|(_, r)| r.consumer == id && r.queue == key)
            .map(|(d, _)| d)
            .collect();
        ids.sort();
        for d in ids {
            self.revoke(inst, d);
        }
    }

    /// Revokes the deliveries of every queue named `mq`, a dropped predecessor still
    /// delivering included (its offset is about to move past them).
    pub(crate) fn revoke_named(&mut self, inst: &mut Instance, id: ConsumerId, mq: &MessageQueue) {
        let Some(c) = self.get(id) else { return };
        let keys: Vec<QueueKey> = (c.queues.iter())
            .filter(|(_, q)| q.mq == *mq)
            .map(|(k, _)| k)
            .collect();
        for key in keys {
            self.revoke_queue(inst, id, key);
        }
    }

    /// Revokes one delivery: its answer is no longer wanted.
    pub(crate) fn revoke(&mut self, inst: &mut Instance, delivery: DeliveryId) {
        let Some(r) = self.deliveries.remove(&delivery) else {
            return;
        };
        if let Some(c) = self.get_mut(r.consumer) {
            c.in_flight = c.in_flight.saturating_sub(1);
            if let Some(q) = c.queues.get_mut(r.queue) {
                if q.delivery == Some(delivery) {
                    q.delivery = None;
                }
            }
        }
        inst.push_event(Event::DeliveryRevoked {
            consumer: r.consumer,
            delivery,
        });
    }

    /// Sends back the first cached messages delivered longer ago than the consume timeout
    /// (Java `cleanExpiredMsg`, concurrent only): they come back through the retry topic.
    pub(crate) fn clean_expired(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId) {
        let Some(c) = self.get(id) else { return };
        let timeout = c.config.consume_timeout;
        let expired: Vec<(QueueKey, MessageExt)> = self
            .deliveries
            .values()
            .filter(|r| r.consumer == id && !r.orderly && now >= r.started + timeout)
            .flat_map(|r| r.messages.iter().map(move |m| (r.queue, m.clone())))
            .collect();
        for (key, m) in expired {
            let first = self
                .get(id)
                .and_then(|c| c.queues.get(key))
                .and_then(|q| q.pq.first_offset());
            if first != Some(m.queue_offset) {
                continue;
            }
            tracing::warn!(msg_id = %m.msg_id, "consume timed out; sending the message back");
            // It stays cached until the broker has it back, as any failed message.
            self.send_back(inst, now, id, key, m, 3, false);
        }
    }
}

/// Restores a retried message's topic (Java `resetRetryAndNamespace`).
pub(super) fn restore_retry_topic(m: &mut MessageExt, group: &str) {
    // The topic compared with `%RETRY%<group>` without building that name per delivery.
    if m.message.topic.strip_prefix(RETRY_GROUP_TOPIC_PREFIX) == Some(group) {
        if let Some(real) = m.message.property(property::RETRY_TOPIC) {
            m.message.topic = real.to_owned();
        }
    }
}
