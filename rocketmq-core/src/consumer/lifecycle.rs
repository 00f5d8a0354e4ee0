//! A consumer's start and shutdown (Java `DefaultMQPushConsumerImpl#start/#shutdown`,
//! CONSUMER.md §12.1). Shutdown stops the pulls, lets deliveries in flight finish up to
//! `await_termination_when_shutdown` and revokes the rest, then persists offsets, releases
//! orderly locks and unregisters the group.

use std::time::Instant;

use rocketmq_proto::body::MessageModel;

use super::queue::PullState;
use super::subscription::wants_retry_topic;
use super::{ConsumerId, ConsumerTimer, Consumers};
use crate::client::Instance;
use crate::error::UsageError;
use crate::event::Event;
use crate::ids::DeliveryId;
use crate::lifecycle::{ServiceState, Transition};
use crate::timer::TimerKey;

impl Consumers {
    /// Checks and starts consumer `id` (the client then heartbeats and rebalances).
    pub(crate) fn start(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
    ) -> Result<(), UsageError> {
        if inst.is_closing() {
            return Err(UsageError::ClientShutdown);
        }
        let wall = inst.wall_millis(now);
        let duplicate = {
            let c = self.get(id).ok_or(UsageError::UnknownConsumer(id.0))?;
            self.slots.iter().any(|o| {
                o.id != id && o.state == ServiceState::Running && o.config.group == c.config.group
            })
        };
        let c = self.get_mut(id).ok_or(UsageError::UnknownConsumer(id.0))?;
        if c.state != ServiceState::CreateJust {
            return Err(UsageError::CannotStart {
                group: c.config.group.clone(),
                state: c.state,
            });
        }
        let checked = inst.config.validate().and(c.config.validate());
        let result = match checked {
            Err(e) => Err(UsageError::Config(e)),
            Ok(()) if duplicate => Err(UsageError::DuplicateGroup(c.config.group.clone())),
            Ok(()) => Ok(()),
        };
        let ok = result.is_ok();
        c.state = c.state.after(Transition::Start { ok }).unwrap_or(c.state);
        result?;
        c.started_ms = wall;
        c.started_at = Some(now);
        if wants_retry_topic(&c.config) {
            c.subs.subscribe_retry(&c.config.group, wall);
        }
        if c.config.kind == (super::ConsumerKind::Push { orderly: false }) {
            let at = now + c.config.consume_timeout;
            inst.timers
                .set(at, TimerKey::Consumer(ConsumerTimer::ConsumeTimeout(id)));
        }
        Ok(())
    }

    /// Begins shutting consumer `id` down; whether it was running.
    pub(crate) fn begin_shutdown(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
    ) -> bool {
        let Some(c) = self.get_mut(id) else {
            return false;
        };
        if c.state != ServiceState::Running {
            c.state = c.state.after(Transition::Shutdown).unwrap_or(c.state);
            return false;
        }
        if c.shutting_down.is_some() {
            return true;
        }
        let bound = now + c.config.await_termination_when_shutdown;
        c.shutting_down = Some(bound);
        // Pulls stop; what is cached and not handed out will be delivered again later,
        // to whoever holds the queues then (the offsets never passed it).
        c.waiting.clear();
        c.ready.clear();
        c.local_retry.clear();
        for key in c.queues.keys() {
            if let Some(q) = c.queues.get_mut(key) {
                if let PullState::Due(at) = q.pull {
                    inst.timers
                        .cancel(at, TimerKey::Consumer(ConsumerTimer::Pull(id, key)));
                }
                q.pull = PullState::Idle;
            }
        }
        if c.in_flight > 0 && bound > now {
            inst.timers
                .set(bound, TimerKey::Consumer(ConsumerTimer::ShutdownBound(id)));
        }
        self.maybe_finish_shutdown(inst, now, id);
        true
    }

    /// Finishes a shutdown once no delivery is in flight or the wait is over.
    pub(crate) fn maybe_finish_shutdown(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
    ) {
        let Some(c) = self.get(id) else { return };
        let Some(bound) = c.shutting_down else { return };
        if c.in_flight > 0 && now < bound {
            return;
        }
        let mut left: Vec<DeliveryId> = self
            .deliveries
            .iter()
            .filter(|(_, r)| r.consumer == id)
            .map(|(d, _)| d)
            .collect();
        left.sort();
        for d in left {
            self.revoke(inst, d);
        }
        self.persist_consumer(inst, now, id);
        let Some(c) = self.get(id) else { return };
        if c.config.is_orderly() && c.config.message_model == MessageModel::Clustering {
            self.unlock_all(inst, now, id);
        }
        let Some(c) = self.get_mut(id) else { return };
        let group = c.config.group.clone();
        c.state = ServiceState::ShutdownAlready;
        c.shutting_down = None;
        inst.timers
            .cancel(bound, TimerKey::Consumer(ConsumerTimer::ShutdownBound(id)));
        for key in c.queues.keys() {
            c.queues.remove(key);
        }
        self.send_backs.retain(|_, s| s.consumer != id);
        inst.unregister(now, None, Some(&group));
        inst.push_event(Event::ConsumerShutdown { consumer: id });
        self.wants.stopped = true;
    }

    /// Shuts every consumer down at once (the instance is shutting down); deliveries in
    /// flight are revoked.
    pub(crate) fn shut_down_all(&mut self, inst: &mut Instance, now: Instant) {
        for i in 0..self.slots.len() {
            let id = ConsumerId(i as u32);
            if let Some(c) = self.get_mut(id) {
                c.config.await_termination_when_shutdown = std::time::Duration::ZERO;
            }
            self.begin_shutdown(inst, now, id);
        }
    }
}
