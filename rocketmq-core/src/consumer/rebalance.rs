//! Rebalancing (Java `RebalanceImpl`, CONSUMER.md §2): per subscribed topic, the group's
//! members (GET_CONSUMER_LIST_BY_GROUP) and the topic's readable queues go through the
//! allocation strategy; queues no longer allocated are given up (offset persisted,
//! deliveries revoked, orderly locks released once their delivery ends), new ones are
//! locked (orderly) and started.
//!
//! It runs when a consumer starts, every rebalance interval, at once on
//! NOTIFY_CONSUMER_IDS_CHANGED and when a subscribed topic's route changes. The broker does
//! not notify when a member leaves: the periodic pass is what rebalances then.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rocketmq_proto::body::{ConsumerListBody, MessageModel, MessageQueue};
use rocketmq_proto::header::GetConsumerListByGroupRequestHeader;
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::allocate::{java_sorted_ids, java_sorted_queues};
use super::queue::{Phase, QueueKey};
use super::{ConsumerRequest, ConsumerTimer, Consumers};
use crate::client::route::subscribe_queues;
use crate::client::rpc::RequestKind;
use crate::client::Instance;
use crate::event::Event;
use crate::ids::ConsumerId;
use crate::lifecycle::ServiceState;
use crate::timer::TimerKey;

/// An orderly queue dropped with its delivery in flight is unlocked at the latest this
/// long later (Java `UNLOCK_DELAY_TIME_MILLS`). The delivery is revoked then, and the queue,
/// if held again, may deliver while the application still runs the revoked one: the
/// revocation is its signal to stop (Java's per-queue consume lock would wait instead).
const FORCE_UNLOCK_AFTER: Duration = Duration::from_secs(20);
/// A push queue with no pull for this long is recreated (Java `pullMaxIdleTime`).
const PULL_MAX_IDLE: Duration = Duration::from_secs(120);
/// Rebalance again after a lock failure (Java `rebalanceLater(500)`).
pub(super) const REBALANCE_LATER: Duration = Duration::from_millis(500);

impl Consumers {
    /// Rebalances every running consumer that is not suspended.
    pub(crate) fn rebalance_all(&mut self, inst: &mut Instance, now: Instant) {
        for i in 0..self.slots.len() {
            self.rebalance(inst, now, ConsumerId(i as u32));
        }
    }

    /// Rebalances one consumer: every subscribed topic.
    pub(crate) fn rebalance(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId) {
        let Some(c) = self.get(id) else { return };
        if c.state != ServiceState::Running || c.paused || c.shutting_down.is_some() {
            return;
        }
        if c.assigned {
            // Queues that could not start (no route yet, a failed lookup) start again.
            let queues = c.assignment.clone();
            return self.assign(inst, now, id, queues);
        }
        let topics: Vec<String> = c.subs.topics().map(str::to_owned).collect();
        self.unlock_dropped(inst, now, id);
        for topic in topics {
            self.rebalance_topic(inst, now, id, &topic);
        }
        // Queues of topics no longer subscribed go without persisting (Java
        // `truncateMessageQueueNotMyTopic`).
        let Some(c) = self.get(id) else { return };
        let stale: Vec<QueueKey> = c
            .queues
            .iter()
            .filter(|(_, q)| q.phase != Phase::Dropped && c.subs.get(&q.mq.topic).is_none())
            .map(|(k, _)| k)
            .collect();
        for key in stale {
            self.remove_queue(inst, now, id, key, false);
        }
    }

    /// Rebalances the consumers subscribed to `topic` (its route changed).
    pub(crate) fn rebalance_topic_all(&mut self, inst: &mut Instance, now: Instant, topic: &str) {
        for i in 0..self.slots.len() {
            let id = ConsumerId(i as u32);
            let subscribed = self.get(id).is_some_and(|c| {
                c.state == ServiceState::Running && !c.assigned && c.subs.get(topic).is_some()
            });
            if subscribed {
                self.rebalance_topic(inst, now, id, topic);
            }
        }
    }

    fn rebalance_topic(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId, topic: &str) {
        let Some(c) = self.get(id) else { return };
        if c.state != ServiceState::Running || c.paused || c.shutting_down.is_some() {
            return;
        }
        let Some(route) = inst.routes.route(topic) else {
            // Looked up when the consumer started and on every refresh; nothing to divide yet.
            self.wants.routes.push(topic.to_owned());
            return;
        };
        let all = java_sorted_queues(subscribe_queues(topic, route));
        if c.config.message_model == MessageModel::Broadcasting {
            let all: BTreeSet<MessageQueue> = all.into_iter().collect();
            return self.apply(inst, now, id, topic, all);
        }
        // The group's members, from a random broker of the topic (its master, else any).
        let brokers: Vec<String> = route
            .broker_datas
            .iter()
            .filter_map(|bd| {
                bd.broker_addrs
                    .get(&0)
                    .or_else(|| bd.broker_addrs.values().next())
                    .cloned()
            })
            .collect();
        if brokers.is_empty() {
            return;
        }
        let addr = brokers[inst.rng.next_u32() as usize % brokers.len()].clone();
        let asking = ConsumerRequest::ConsumerIds(id, topic.to_owned());
        if inst
            .requests
            .any(|k| matches!(k, RequestKind::Consumer(r) if *r == asking))
        {
            if let Some(c) = self.get_mut(id) {
                c.rebalance_again.insert(topic.to_owned());
            }
            return;
        }
        let mut cmd = RemotingCommand::request(RequestCode::GET_CONSUMER_LIST_BY_GROUP);
        GetConsumerListByGroupRequestHeader {
            consumer_group: c.config.group.clone(),
        }
        .to_ext_fields(&mut cmd.ext_fields);
        let timeout = inst.config.mq_client_api_timeout;
        inst.request(now, &addr, cmd, RequestKind::Consumer(asking), timeout);
    }

    /// The group's members for a rebalance of `topic`: divide its queues, then rebalance
    /// again if that was asked meanwhile.
    pub(crate) fn on_consumer_ids(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        topic: &str,
        cmd: RemotingCommand,
    ) {
        self.divide(inst, now, id, topic, cmd);
        self.rebalance_again(inst, now, id, topic);
    }

    /// Runs the rebalance of `topic` asked while its member list was in flight.
    pub(crate) fn rebalance_again(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        topic: &str,
    ) {
        if self
            .get_mut(id)
            .is_some_and(|c| c.rebalance_again.remove(topic))
        {
            self.rebalance_topic(inst, now, id, topic);
        }
    }

    /// Divides `topic`'s queues among the members in `cmd`.
    fn divide(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        topic: &str,
        cmd: RemotingCommand,
    ) {
        if cmd.response_code() != ResponseCode::SUCCESS {
            // E.g. no member registered yet on that broker: the topic stays as it is.
            tracing::debug!(topic, code = %cmd.response_code(), remark = cmd.remark_str(), "no consumer list");
            return;
        }
        let ids = match ConsumerListBody::from_json(&cmd.body) {
            Ok(b) => java_sorted_ids(b.consumer_id_list),
            Err(e) => {
                tracing::warn!(topic, error = %e, "undecodable consumer list");
                return;
            }
        };
        let (Some(c), Some(route)) = (self.get(id), inst.routes.route(topic)) else {
            return;
        };
        if c.state != ServiceState::Running || c.paused || c.shutting_down.is_some() {
            return;
        }
        let all = java_sorted_queues(subscribe_queues(topic, route));
        let allocated =
            match c
                .config
                .allocate
                .allocate(&c.config.group, &inst.client_id, &all, &ids)
            {
                Ok(mine) => mine.into_iter().collect(),
                Err(e) => {
                    tracing::warn!(topic, error = %e, "allocation failed; queues kept");
                    return;
                }
            };
        self.apply(inst, now, id, topic, allocated);
    }

    /// Makes the queues held of `topic` the `allocated` ones (Java
    /// `updateProcessQueueTableInRebalance`).
    fn apply(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        topic: &str,
        allocated: BTreeSet<MessageQueue>,
    ) {
        let Some(c) = self.get(id) else { return };
        let is_push = c.config.is_push();
        let mut changed = false;
        for key in c.queues.of_topic(topic) {
            let Some(q) = self.get(id).and_then(|c| c.queues.get(key)) else {
                continue;
            };
            let idle = is_push
                && q.is_active()
                && q.last_pull
                    .is_some_and(|t| now.saturating_duration_since(t) > PULL_MAX_IDLE);
            if !allocated.contains(&q.mq) || idle {
                if idle {
                    tracing::warn!(queue = ?q.mq, "no pull for too long; recreating the queue");
                }
                self.remove_queue(inst, now, id, key, true);
                changed = true;
            }
        }
        for mq in &allocated {
            let Some(c) = self.get_mut(id) else { return };
            if c.queues.key_of(mq).is_some() {
                continue;
            }
            c.offsets.remove(mq);
            changed = true;
            let locking =
                c.config.is_orderly() && c.config.message_model == MessageModel::Clustering;
            if locking {
                let key = c.queues.add(mq.clone(), Phase::Locking);
                self.lock_new(inst, now, id, key);
            } else {
                let key = c.queues.add(mq.clone(), Phase::Starting);
                self.look_up_start(inst, now, id, key);
            }
        }
        if changed {
            self.queues_changed(inst, now, id, topic);
        }
    }

    /// A consumer's queues of `topic` changed (Java `messageQueueChanged`).
    fn queues_changed(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId, topic: &str) {
        let wall = inst.wall_millis(now);
        let Some(c) = self.get_mut(id) else { return };
        let queues: Vec<MessageQueue> = c
            .queues
            .of_topic(topic)
            .into_iter()
            .filter_map(|k| Some(c.queues.get(k)?.mq.clone()))
            .collect();
        if c.config.is_push() {
            c.subs.bump_version(wall);
            self.wants.heartbeat = true;
        }
        inst.push_event(Event::QueuesChanged {
            consumer: id,
            topic: topic.to_owned(),
            queues,
        });
    }

    /// Gives a queue up. Concurrent and broadcasting queues go at once, their deliveries
    /// revoked; an orderly clustering queue waits for its delivery in flight to end (at the
    /// latest [`FORCE_UNLOCK_AFTER`]) before its lock is released.
    pub(crate) fn remove_queue(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
        persist: bool,
    ) {
        let Some(c) = self.get_mut(id) else { return };
        let Some(q) = c.queues.get_mut(key) else {
            return;
        };
        let mq = q.mq.clone();
        tracing::debug!(queue = ?mq, "queue given up");
        if let super::queue::PullState::Due(at) = q.pull {
            inst.timers
                .cancel(at, TimerKey::Consumer(ConsumerTimer::Pull(id, key)));
        }
        q.pull = super::queue::PullState::Idle;
        let locked = q.locked;
        let orderly_in_flight = q.delivery.is_some();
        if persist && q.phase != Phase::Locking && q.phase != Phase::Starting {
            self.persist_queue(inst, now, id, &mq);
        }
        let Some(c) = self.get_mut(id) else { return };
        c.offsets.remove(&mq);
        c.waiting.retain(|(k, _)| *k != key);
        if orderly_in_flight && locked {
            c.queues.drop_name(key);
            if let Some(q) = c.queues.get_mut(key) {
                q.dropped_at = Some(now);
                q.pq.clear();
            }
            return;
        }
        self.revoke_queue(inst, id, key);
        // A dropped predecessor still delivering keeps the lock; it unlocks when it ends.
        let predecessor = self
            .get(id)
            .is_some_and(|c| c.queues.predecessor_running(key, &mq));
        if locked && !predecessor {
            self.unlock_oneway(inst, now, id, vec![mq]);
        }
        let Some(c) = self.get_mut(id) else { return };
        c.queues.remove(key);
        // Revoked deliveries freed their slots: messages waiting on other queues take them.
        if !c.config.is_orderly() {
            self.dispatch_waiting(inst, now, id);
        }
    }

    /// Finishes removing dropped orderly queues whose delivery has ended, or that waited
    /// long enough (their delivery is revoked then).
    pub(crate) fn unlock_dropped(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId) {
        let Some(c) = self.get(id) else { return };
        let due: Vec<QueueKey> = c
            .queues
            .iter()
            .filter(|(_, q)| {
                q.phase == Phase::Dropped
                    && (q.delivery.is_none()
                        || q.dropped_at.is_some_and(|t| now >= t + FORCE_UNLOCK_AFTER))
            })
            .map(|(k, _)| k)
            .collect();
        for key in due {
            let Some(q) = self.get(id).and_then(|c| c.queues.get(key)) else {
                continue;
            };
            let mq = q.mq.clone();
            self.revoke_queue(inst, id, key);
            if let Some(c) = self.get_mut(id) {
                c.queues.remove(key);
            }
            // Held again since it was dropped: the new queue keeps the broker's lock and may
            // deliver now that the old delivery is over.
            match self.get(id).and_then(|c| c.queues.key_of(&mq)) {
                Some(again) => self.dispatch_orderly(inst, now, id, again),
                None => self.unlock_oneway(inst, now, id, vec![mq]),
            }
        }
    }
}
