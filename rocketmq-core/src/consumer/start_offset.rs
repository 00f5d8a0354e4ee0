//! Where a newly held queue starts (Java `computePullFromWhereWithException`, CONSUMER.md
//! §11.1, PROTOCOL.md §8.5): the group's stored offset, else the consume-from rule — the
//! queue's end (GET_MAX_OFFSET), its start, or the first message after a timestamp
//! (SEARCH_OFFSET_BY_TIMESTAMP); a `%RETRY%` topic starts at its end.

use std::time::{Duration, Instant};

use rocketmq_proto::header::{
    BoundaryType, GetMaxOffsetRequestHeader, OffsetResponseHeader,
    QueryConsumerOffsetRequestHeader, QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader,
};
use rocketmq_proto::message::validate::RETRY_GROUP_TOPIC_PREFIX;
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::config::ConsumeFrom;
use super::queue::{Phase, PullState, QueueKey};
use super::{ConsumerRequest, ConsumerTimer, Consumers};
use crate::client::rpc::RequestKind;
use crate::client::Instance;
use crate::ids::ConsumerId;
use crate::timer::TimerKey;

/// How long a push consumer's new queue waits before its first pull (Java
/// `dispatchPullRequest(list, 500)`).
const FIRST_PULL_DELAY: Duration = Duration::from_millis(500);

/// The request a start-offset lookup is waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// QUERY_CONSUMER_OFFSET: the group's stored offset.
    Stored,
    /// GET_MAX_OFFSET: the queue's end.
    Max,
    /// SEARCH_OFFSET_BY_TIMESTAMP: the first message at or after the timestamp.
    Search,
}

/// How long a consumer waits before trying a queue it could not start again.
const RETRY_START: Duration = Duration::from_secs(1);

impl Consumers {
    /// Starts looking up where a queue starts.
    pub(crate) fn look_up_start(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
    ) {
        let Some(c) = self.get_mut(id) else { return };
        let Some(q) = c.queues.get_mut(key) else {
            return;
        };
        q.phase = Phase::Starting;
        if c.offsets.is_local() {
            let mq = q.mq.clone();
            match c.offsets.read_file(&mq) {
                Some(offset) if offset >= 0 => self.start_at(inst, now, id, key, offset),
                _ => self.apply_consume_from(inst, now, id, key),
            }
            return;
        }
        let mq = q.mq.clone();
        let mut cmd = RemotingCommand::request(RequestCode::QUERY_CONSUMER_OFFSET);
        QueryConsumerOffsetRequestHeader {
            consumer_group: c.config.group.clone(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            set_zero_if_not_found: Some(false),
            broker_name: Some(mq.broker_name.clone()),
        }
        .to_ext_fields(&mut cmd.ext_fields);
        self.start_request(inst, now, id, key, Step::Stored, cmd);
    }

    /// Sends one lookup request to the queue's master; without one, retries later.
    fn start_request(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
        step: Step,
        cmd: RemotingCommand,
    ) {
        let Some(q) = self.get(id).and_then(|c| c.queues.get(key)) else {
            return;
        };
        let Some(addr) = inst.routes.master_of(&q.mq.broker_name).cloned() else {
            tracing::debug!(queue = ?q.mq, "no master to ask where the queue starts");
            return self.start_failed(inst, now, id, key);
        };
        let timeout = inst.config.mq_client_api_timeout;
        let kind = RequestKind::Consumer(ConsumerRequest::StartOffset(id, key, step));
        inst.request(now, &addr, cmd, kind, timeout);
    }

    /// The answer to a lookup request.
    pub(crate) fn on_start_answer(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
        step: Step,
        cmd: RemotingCommand,
    ) {
        let code = cmd.response_code();
        let offset = match (step, code) {
            (Step::Stored, ResponseCode::SUCCESS) => {
                QueryConsumerOffsetResponseHeader::from_ext_fields(&cmd.ext_fields)
                    .ok()
                    .and_then(|h| h.offset)
            }
            (Step::Stored, ResponseCode::QUERY_NOT_FOUND) => None,
            (Step::Max | Step::Search, ResponseCode::SUCCESS) => {
                match OffsetResponseHeader::from_ext_fields(&cmd.ext_fields) {
                    Ok(h) => Some(h.offset),
                    Err(_) => return self.start_failed(inst, now, id, key),
                }
            }
            _ => {
                tracing::debug!(?step, %code, remark = cmd.remark_str(), "start offset lookup refused");
                return self.start_failed(inst, now, id, key);
            }
        };
        match offset {
            Some(offset) if offset >= 0 => self.start_at(inst, now, id, key, offset),
            // No stored offset (the Rust broker may answer SUCCESS without one).
            _ if step == Step::Stored => self.apply_consume_from(inst, now, id, key),
            _ => self.start_failed(inst, now, id, key),
        }
    }

    /// No stored offset: the consume-from rule decides.
    fn apply_consume_from(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
    ) {
        let Some(c) = self.get(id) else { return };
        let Some(q) = c.queues.get(key) else { return };
        let retry = q.mq.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX);
        let (topic, queue_id) = (q.mq.topic.clone(), q.mq.queue_id);
        let bname = Some(q.mq.broker_name.clone());
        match (&c.config.consume_from, retry) {
            (ConsumeFrom::First, _) => self.start_at(inst, now, id, key, 0),
            (ConsumeFrom::Last, true) => self.start_at(inst, now, id, key, 0),
            (ConsumeFrom::Last, false) | (ConsumeFrom::Timestamp(_), true) => {
                let mut cmd = RemotingCommand::request(RequestCode::GET_MAX_OFFSET);
                GetMaxOffsetRequestHeader {
                    topic,
                    queue_id,
                    committed: None,
                    broker_name: bname,
                }
                .to_ext_fields(&mut cmd.ext_fields);
                self.start_request(inst, now, id, key, Step::Max, cmd);
            }
            (ConsumeFrom::Timestamp(ts), false) => {
                let mut cmd = RemotingCommand::request(RequestCode::SEARCH_OFFSET_BY_TIMESTAMP);
                SearchOffsetRequestHeader {
                    topic,
                    queue_id,
                    timestamp: *ts,
                    boundary_type: BoundaryType::Lower,
                    broker_name: bname,
                }
                .to_ext_fields(&mut cmd.ext_fields);
                self.start_request(inst, now, id, key, Step::Search, cmd);
            }
        }
    }

    /// The queue starts at `offset`: it becomes active and pulls at once.
    fn start_at(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
        offset: i64,
    ) {
        let Some(q) = self.get_mut(id).and_then(|c| c.queues.get_mut(key)) else {
            return;
        };
        if q.phase != Phase::Starting {
            return;
        }
        tracing::debug!(queue = ?q.mq, offset, "queue starts");
        q.next_offset = offset;
        q.phase = Phase::Active;
        // Java dispatches a push consumer's new pulls 500 ms later, so that the heartbeat
        // with the new subscription version lands first (else the broker answers the pull
        // "subscription not latest" and it waits a second). Once the broker has answered
        // that heartbeat on the connection the pull will take, there is nothing to wait for.
        let wait = self
            .get(id)
            .is_some_and(|c| c.config.is_push() && !heartbeat_landed(inst, c, key));
        if wait {
            self.pull_later(inst, now, id, key, FIRST_PULL_DELAY);
        } else {
            self.pull_now(inst, now, id, key);
        }
    }

    /// A lookup failed: the queue is given up and the consumer rebalances soon, which
    /// takes it again (Java: the topic is "not balanced" and rebalances after 1 s).
    pub(crate) fn start_failed(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        key: QueueKey,
    ) {
        let Some(c) = self.get_mut(id) else { return };
        if let Some(q) = c.queues.get(key) {
            if q.phase == Phase::Starting {
                c.queues.remove(key);
                inst.timers.reset_periodic(
                    now + RETRY_START,
                    TimerKey::Consumer(ConsumerTimer::RebalanceSoon(id)),
                );
            }
        }
    }
}

impl Consumers {
    /// A heartbeat succeeded: new push queues waiting out the first-pull delay pull now if
    /// it carried their consumer's current subscriptions to their broker.
    pub(crate) fn pull_after_heartbeat(&mut self, inst: &mut Instance, now: Instant) {
        let mut due = Vec::new();
        for c in self.slots.iter().filter(|c| c.config.is_push()) {
            for (key, q) in c.queues.iter() {
                let first = q.phase == Phase::Active && q.last_pull.is_none();
                if first && matches!(q.pull, PullState::Due(_)) && heartbeat_landed(inst, c, key) {
                    due.push((c.id, key));
                }
            }
        }
        for (id, key) in due {
            self.pull_due_now(inst, now, id, key);
        }
    }
}

/// Whether the broker a queue pulls from has answered a heartbeat that carried the consumer's
/// current subscriptions (their generation), on the connection that is open now (a new
/// connection may be to a restarted broker that forgot them).
fn heartbeat_landed(inst: &Instance, c: &super::Consumer, key: QueueKey) -> bool {
    let Some(q) = c.queues.get(key) else {
        return false;
    };
    let Some((_, addr)) = inst
        .routes
        .find_in_subscribe(&q.mq.broker_name, q.suggested_broker)
    else {
        return false;
    };
    match (c.heartbeats.get(&addr), inst.conns.id_of(&addr)) {
        (Some(&(acked_on, generation)), Some(open)) => {
            acked_on == open && generation == c.subs.generation()
        }
        _ => false,
    }
}
