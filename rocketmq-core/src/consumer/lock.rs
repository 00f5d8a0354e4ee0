//! Orderly locks (Java `RebalanceImpl#lock/#lockAll/#unlock`, CONSUMER.md §4.1): a new
//! orderly queue is locked at its master before it starts; every lock is renewed every
//! 20 s (LOCK_BATCH_MQ per broker); a queue given up, or every queue at shutdown, is
//! unlocked (UNLOCK_BATCH_MQ).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rocketmq_proto::body::{
    LockBatchRequestBody, LockBatchResponseBody, MessageModel, MessageQueue,
};
use rocketmq_proto::header::{LockBatchMqRequestHeader, UnlockBatchMqRequestHeader};
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::queue::{Phase, QueueKey};
use super::rebalance::REBALANCE_LATER;
use super::{ConsumerRequest, ConsumerTimer, Consumers};
use crate::client::rpc::RequestKind;
use crate::client::Instance;
use crate::ids::ConsumerId;
use crate::lifecycle::ServiceState;
use crate::timer::TimerKey;

/// Timeout of a lock request (Java: 1 s).
const LOCK_TIMEOUT: Duration = Duration::from_secs(1);
/// How often locks are renewed (Java `REBALANCE_LOCK_INTERVAL`).
pub(crate) const LOCK_INTERVAL: Duration = Duration::from_secs(20);

impl Consumers {
    /// Locks a new orderly queue; it starts once locked.
    pub(crate) fn lock_new(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
    ) {
        let Some(q) = self.get(id).and_then(|c| c.queues.get(key)) else {
            return;
        };
        let mq = q.mq.clone();
        if !self.send_lock(inst, now, id, vec![mq]) {
            self.lock_failed(inst, now, id, key);
        }
    }

    /// Sends LOCK_BATCH_MQ for queues of one broker to its master; false without one.
    fn send_lock(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        mqs: Vec<MessageQueue>,
    ) -> bool {
        let Some(c) = self.get(id) else { return false };
        let Some(broker) = mqs.first().map(|mq| mq.broker_name.clone()) else {
            return false;
        };
        let Some(addr) = inst.routes.master_of(&broker).cloned() else {
            return false;
        };
        let body = LockBatchRequestBody {
            client_id: inst.client_id.clone(),
            consumer_group: c.config.group.clone(),
            mq_set: mqs.clone(),
            only_this_broker: false,
        };
        let mut cmd = RemotingCommand::request(RequestCode::LOCK_BATCH_MQ)
            .with_body(Bytes::from(body.to_json().into_bytes()));
        LockBatchMqRequestHeader {
            broker_name: Some(broker),
        }
        .to_ext_fields(&mut cmd.ext_fields);
        let kind = RequestKind::Consumer(ConsumerRequest::Lock(id, mqs));
        inst.request(now, &addr, cmd, kind, LOCK_TIMEOUT);
        true
    }

    /// A lock answer: the queues granted are locked (new ones start); the others are not.
    pub(crate) fn on_lock_answer(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        asked: Vec<MessageQueue>,
        cmd: RemotingCommand,
    ) {
        let granted: BTreeSet<MessageQueue> = match cmd.response_code() {
            ResponseCode::SUCCESS => LockBatchResponseBody::from_json(&cmd.body)
                .map(|b| b.lock_ok_mq_set.into_iter().collect())
                .unwrap_or_default(),
            code => {
                tracing::debug!(%code, remark = cmd.remark_str(), "lock refused");
                BTreeSet::new()
            }
        };
        for mq in asked {
            let Some(key) = self.get(id).and_then(|c| c.queues.key_of(&mq)) else {
                continue;
            };
            let Some(q) = self.get_mut(id).and_then(|c| c.queues.get_mut(key)) else {
                continue;
            };
            let ok = granted.contains(&mq);
            q.locked = ok;
            if ok {
                q.last_lock = Some(now);
            }
            match (q.phase, ok) {
                (Phase::Locking, true) => self.look_up_start(inst, now, id, key),
                (Phase::Locking, false) => self.lock_failed(inst, now, id, key),
                (Phase::Active, true) => self.dispatch_orderly(inst, now, id, key),
                _ => {}
            }
        }
    }

    /// A lock request failed: new queues wait for another rebalance; held ones keep their
    /// state (Java: an exception leaves the broker's queues unchanged).
    pub(crate) fn on_lock_failure(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        asked: Vec<MessageQueue>,
    ) {
        for mq in asked {
            let Some(key) = self.get(id).and_then(|c| c.queues.key_of(&mq)) else {
                continue;
            };
            let locking = self
                .get(id)
                .and_then(|c| c.queues.get(key))
                .is_some_and(|q| q.phase == Phase::Locking);
            if locking {
                self.lock_failed(inst, now, id, key);
            }
        }
    }

    /// A new queue could not be locked: given up, and the consumer rebalances soon.
    fn lock_failed(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId, key: QueueKey) {
        if let Some(c) = self.get_mut(id) {
            c.queues.remove(key);
        }
        inst.timers.reset_periodic(
            now + REBALANCE_LATER,
            TimerKey::Consumer(ConsumerTimer::RebalanceSoon(id)),
        );
    }

    /// Renews the locks of every orderly clustering consumer (Java `lockAll`).
    pub(crate) fn lock_all(&mut self, inst: &mut Instance, now: Instant) {
        for i in 0..self.slots.len() {
            let id = ConsumerId(i as u32);
            let Some(c) = self.get(id) else { continue };
            let orderly =
                c.config.is_orderly() && c.config.message_model == MessageModel::Clustering;
            if !orderly || c.state != ServiceState::Running || c.shutting_down.is_some() {
                continue;
            }
            let mut by_broker: BTreeMap<String, Vec<MessageQueue>> = BTreeMap::new();
            for (_, q) in c.queues.iter().filter(|(_, q)| q.phase == Phase::Active) {
                by_broker
                    .entry(q.mq.broker_name.clone())
                    .or_default()
                    .push(q.mq.clone());
            }
            for mqs in by_broker.into_values() {
                self.send_lock(inst, now, id, mqs);
            }
        }
    }

    /// Unlocks queues at their broker, without waiting for the answer.
    pub(crate) fn unlock_oneway(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        mqs: Vec<MessageQueue>,
    ) {
        let Some(cmd) = self.unlock_command(inst, id, &mqs) else {
            return;
        };
        let Some(addr) = mqs
            .first()
            .and_then(|mq| inst.routes.master_of(&mq.broker_name))
            .cloned()
        else {
            return;
        };
        inst.oneway(now, &addr, cmd);
    }

    /// Unlocks every locked queue of a consumer at shutdown, one request per broker.
    pub(crate) fn unlock_all(&mut self, inst: &mut Instance, now: Instant, id: ConsumerId) {
        let Some(c) = self.get(id) else { return };
        let mut by_broker: BTreeMap<String, Vec<MessageQueue>> = BTreeMap::new();
        for (_, q) in c.queues.iter().filter(|(_, q)| q.locked) {
            by_broker
                .entry(q.mq.broker_name.clone())
                .or_default()
                .push(q.mq.clone());
        }
        for (broker, mqs) in by_broker {
            let Some(cmd) = self.unlock_command(inst, id, &mqs) else {
                continue;
            };
            if let Some(addr) = inst.routes.master_of(&broker).cloned() {
                let kind = RequestKind::Consumer(ConsumerRequest::Unlock);
                inst.request(now, &addr, cmd, kind, LOCK_TIMEOUT);
            }
        }
    }

    fn unlock_command(
        &self,
        inst: &Instance,
        id: ConsumerId,
        mqs: &[MessageQueue],
    ) -> Option<RemotingCommand> {
        let c = self.get(id)?;
        let broker = mqs.first()?.broker_name.clone();
        let body = LockBatchRequestBody {
            client_id: inst.client_id.clone(),
            consumer_group: c.config.group.clone(),
            mq_set: mqs.to_vec(),
            only_this_broker: false,
        };
        let mut cmd = RemotingCommand::request(RequestCode::UNLOCK_BATCH_MQ)
            .with_body(Bytes::from(body.to_json().into_bytes()));
        UnlockBatchMqRequestHeader {
            broker_name: Some(broker),
        }
        .to_ext_fields(&mut cmd.ext_fields);
        Some(cmd)
    }
}
