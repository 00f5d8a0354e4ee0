//! The lite pull consumer's own operations (Java `DefaultLitePullConsumerImpl`, CONSUMER.md
//! §5): assign, poll (polled is consumed), commit, committed, seek and pause; and the
//! offset questions that need a broker's answer, answered by
//! [`Event::QueryAnswered`](crate::Event::QueryAnswered).

use std::collections::BTreeSet;
use std::time::Instant;

use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::header::{
    BoundaryType, GetMaxOffsetRequestHeader, GetMinOffsetRequestHeader, OffsetResponseHeader,
    QueryConsumerOffsetRequestHeader, QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader,
};
use rocketmq_proto::message::MessageExt;
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::queue::{Phase, PullState};
use super::{ConsumerRequest, Consumers, Query};
use crate::client::rpc::RequestKind;
use crate::client::Instance;
use crate::error::{ConsumerError, TransportError};
use crate::event::Event;
use crate::ids::{ConsumerId, QueryId};

/// What a query asks, and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum QueryKind {
    /// The queue's smallest offset.
    Min(MessageQueue),
    /// The queue's largest offset.
    Max(MessageQueue),
    /// The first offset stored at or after a timestamp (epoch ms).
    ForTimestamp(MessageQueue, i64),
    /// The group's committed offset at the broker.
    Committed(MessageQueue),
    /// A seek to `offset`, checked against the queue's bounds: first its min, then its max.
    Seek {
        mq: MessageQueue,
        offset: i64,
        min: Option<i64>,
    },
    /// A seek to the queue's start (its min).
    SeekToBegin(MessageQueue),
    /// A seek to the queue's end (its max).
    SeekToEnd(MessageQueue),
}

impl Consumers {
    /// Makes `queues` the assignment of a lite pull consumer: new ones start, the others
    /// are given up (offsets persisted).
    pub(crate) fn assign(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        queues: BTreeSet<MessageQueue>,
    ) {
        let Some(c) = self.get_mut(id) else { return };
        c.assigned = true;
        c.assignment = queues.clone();
        let gone: Vec<_> = c
            .queues
            .iter()
            .filter(|(_, q)| q.phase != Phase::Dropped && !queues.contains(&q.mq))
            .map(|(k, _)| k)
            .collect();
        for key in gone {
            self.remove_queue(inst, now, id, key, true);
        }
        let Some(c) = self.get_mut(id) else { return };
        if c.state != crate::lifecycle::ServiceState::Running {
            c.pending_assign = Some(queues);
            return;
        }
        let mut topics = BTreeSet::new();
        for mq in queues {
            let Some(c) = self.get_mut(id) else { return };
            if c.queues.key_of(&mq).is_some() {
                continue;
            }
            topics.insert(mq.topic.clone());
            let key = c.queues.add(mq, Phase::Starting);
            self.look_up_start(inst, now, id, key);
        }
        self.wants.routes.extend(topics.iter().cloned());
        let Some(c) = self.get(id) else { return };
        for topic in topics {
            let queues = c
                .queues
                .of_topic(&topic)
                .into_iter()
                .filter_map(|k| Some(c.queues.get(k)?.mq.clone()))
                .collect();
            inst.push_event(Event::QueuesChanged {
                consumer: id,
                topic,
                queues,
            });
        }
    }

    /// Takes up to `max` polled messages; they count as consumed. Auto-commit commits first
    /// when due.
    pub(crate) fn poll(&mut self, now: Instant, id: ConsumerId, max: usize) -> Vec<MessageExt> {
        let Some(c) = self.get_mut(id) else {
            return Vec::new();
        };
        if c.config.auto_commit && c.next_auto_commit.is_none_or(|t| now >= t) {
            c.next_auto_commit = Some(now + c.config.auto_commit_interval);
            self.commit(id);
        }
        let Some(c) = self.get_mut(id) else {
            return Vec::new();
        };
        let mut out: Vec<MessageExt> = Vec::new();
        while out.len() < max {
            let Some((key, mut msgs)) = c.ready.pop_front() else {
                break;
            };
            let Some(q) = c.queues.get_mut(key) else {
                continue;
            };
            if !q.is_active() {
                continue;
            }
            if msgs.len() > max - out.len() {
                let rest = msgs.split_off(max - out.len());
                c.ready.push_front((key, rest));
            }
            let offsets: Vec<i64> = msgs.iter().map(|m| m.queue_offset).collect();
            if let Some(consumed) = q.pq.remove(&offsets) {
                c.consumed.insert(q.mq.clone(), consumed);
            }
            out.extend(msgs);
        }
        out
    }

    /// Commits the consumed offsets of every held queue (in memory; persisted every 5 s).
    pub(crate) fn commit(&mut self, id: ConsumerId) {
        let Some(c) = self.get_mut(id) else { return };
        let held: BTreeSet<MessageQueue> = c.queues.held().cloned().collect();
        for (mq, offset) in &c.consumed {
            if held.contains(mq) {
                c.offsets.update(mq, *offset, false);
            }
        }
    }

    /// The committed offset in memory, if known.
    pub(crate) fn committed_in_memory(&self, id: ConsumerId, mq: &MessageQueue) -> Option<i64> {
        self.get(id)?.offsets.read(mq)
    }

    /// Pauses or resumes pulling of some queues.
    pub(crate) fn set_paused(&mut self, id: ConsumerId, queues: &[MessageQueue], paused: bool) {
        let Some(c) = self.get_mut(id) else { return };
        for mq in queues {
            if let Some(key) = c.queues.key_of(mq) {
                if let Some(q) = c.queues.get_mut(key) {
                    q.paused = paused;
                }
            }
        }
    }

    /// Starts a query; its answer comes as an event.
    pub(crate) fn query(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        kind: QueryKind,
    ) -> QueryId {
        let query = QueryId(self.next_query);
        self.next_query += 1;
        self.send_query(inst, now, id, query, kind);
        query
    }

    /// Sends the request a query needs next.
    fn send_query(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        query: QueryId,
        kind: QueryKind,
    ) {
        let Some(c) = self.get(id) else {
            inst.push_event(Event::QueryAnswered {
                query,
                result: Err(ConsumerError::Unassigned),
            });
            return;
        };
        let group = c.config.group.clone();
        let (mq, code) = match &kind {
            QueryKind::Min(mq) | QueryKind::SeekToBegin(mq) => (mq, RequestCode::GET_MIN_OFFSET),
            QueryKind::Seek { mq, min: None, .. } => (mq, RequestCode::GET_MIN_OFFSET),
            QueryKind::Max(mq) | QueryKind::SeekToEnd(mq) | QueryKind::Seek { mq, .. } => {
                (mq, RequestCode::GET_MAX_OFFSET)
            }
            QueryKind::ForTimestamp(mq, _) => (mq, RequestCode::SEARCH_OFFSET_BY_TIMESTAMP),
            QueryKind::Committed(mq) => (mq, RequestCode::QUERY_CONSUMER_OFFSET),
        };
        let timestamp = match &kind {
            QueryKind::ForTimestamp(_, ts) => *ts,
            _ => 0,
        };
        let mut cmd = RemotingCommand::request(code);
        let (topic, queue_id, bname) =
            (mq.topic.clone(), mq.queue_id, Some(mq.broker_name.clone()));
        match code {
            RequestCode::GET_MIN_OFFSET => GetMinOffsetRequestHeader {
                topic,
                queue_id,
                broker_name: bname,
            }
            .to_ext_fields(&mut cmd.ext_fields),
            RequestCode::GET_MAX_OFFSET => GetMaxOffsetRequestHeader {
                topic,
                queue_id,
                committed: None,
                broker_name: bname,
            }
            .to_ext_fields(&mut cmd.ext_fields),
            RequestCode::SEARCH_OFFSET_BY_TIMESTAMP => SearchOffsetRequestHeader {
                topic,
                queue_id,
                timestamp,
                boundary_type: BoundaryType::Lower,
                broker_name: bname,
            }
            .to_ext_fields(&mut cmd.ext_fields),
            _ => QueryConsumerOffsetRequestHeader {
                consumer_group: group,
                topic,
                queue_id,
                set_zero_if_not_found: Some(false),
                broker_name: bname,
            }
            .to_ext_fields(&mut cmd.ext_fields),
        }
        let Some(addr) = inst.routes.master_of(&mq.broker_name).cloned() else {
            let broker = mq.broker_name.clone();
            inst.push_event(Event::QueryAnswered {
                query,
                result: Err(ConsumerError::NoBroker(broker)),
            });
            return;
        };
        self.queries.insert(query, Query { consumer: id, kind });
        let timeout = inst.config.mq_client_api_timeout;
        inst.request(
            now,
            &addr,
            cmd,
            RequestKind::Consumer(ConsumerRequest::Query(query)),
            timeout,
        );
    }

    /// A query's answer: it is answered, or goes on (a seek's second bound).
    pub(crate) fn on_query_answer(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        query: QueryId,
        cmd: RemotingCommand,
    ) {
        let Some(Query { consumer, kind }) = self.queries.remove(&query) else {
            return;
        };
        let code = cmd.response_code();
        let offset = match (&kind, code) {
            (QueryKind::Committed(_), ResponseCode::SUCCESS) => {
                QueryConsumerOffsetResponseHeader::from_ext_fields(&cmd.ext_fields)
                    .ok()
                    .and_then(|h| h.offset)
                    .ok_or(code)
            }
            (QueryKind::Committed(_), ResponseCode::QUERY_NOT_FOUND) => Ok(-1),
            (_, ResponseCode::SUCCESS) => OffsetResponseHeader::from_ext_fields(&cmd.ext_fields)
                .map(|h| h.offset)
                .map_err(|_| code),
            _ => Err(code),
        };
        let offset = match offset {
            Ok(o) => o,
            Err(code) => {
                let broker = query_mq(&kind).broker_name.clone();
                let error = ConsumerError::Broker {
                    broker,
                    code,
                    remark: cmd.remark_str().to_owned(),
                };
                return inst.push_event(Event::QueryAnswered {
                    query,
                    result: Err(error),
                });
            }
        };
        let result = match kind {
            QueryKind::Seek {
                mq,
                offset: target,
                min: None,
            } => {
                // The min is known; the max comes next, under the same query id.
                let next = QueryKind::Seek {
                    mq,
                    offset: target,
                    min: Some(offset),
                };
                return self.send_query(inst, now, consumer, query, next);
            }
            QueryKind::Seek {
                mq,
                offset: target,
                min: Some(min),
            } => {
                if target < min || target > offset {
                    Err(ConsumerError::OffsetOutOfRange {
                        offset: target,
                        min,
                        max: offset,
                    })
                } else {
                    self.seek(inst, now, consumer, &mq, target).map(|()| target)
                }
            }
            QueryKind::SeekToBegin(mq) | QueryKind::SeekToEnd(mq) => {
                self.seek(inst, now, consumer, &mq, offset).map(|()| offset)
            }
            _ => Ok(offset),
        };
        inst.push_event(Event::QueryAnswered { query, result });
    }

    /// A query's request failed.
    pub(crate) fn on_query_failure(
        &mut self,
        inst: &mut Instance,
        query: QueryId,
        error: &TransportError,
    ) {
        if self.queries.remove(&query).is_some() {
            inst.push_event(Event::QueryAnswered {
                query,
                result: Err(ConsumerError::Transport(error.clone())),
            });
        }
    }

    /// Moves a queue's next pull to `offset`, dropping what is cached and not yet polled.
    fn seek(
        &mut self,
        inst: &mut Instance,
        now: Instant,
        id: ConsumerId,
        mq: &MessageQueue,
        offset: i64,
    ) -> Result<(), ConsumerError> {
        let c = self.get_mut(id).ok_or(ConsumerError::Unassigned)?;
        let key = c.queues.key_of(mq).ok_or(ConsumerError::Unassigned)?;
        c.ready.retain(|(k, _)| *k != key);
        // The consume offset, committed by the next commit (Java `updateConsumeOffset`).
        c.consumed.insert(mq.clone(), offset);
        let q = c.queues.get_mut(key).ok_or(ConsumerError::Unassigned)?;
        q.pq.clear();
        q.next_offset = offset;
        // Java cancels the queue's pull task and starts a new one at once: a pull held by
        // the broker is abandoned (its answer, for the old position, is ignored).
        match q.pull {
            PullState::InFlight => {
                let pull = ConsumerRequest::Pull(id, key);
                let held = inst
                    .requests
                    .opaques(|k| matches!(k, RequestKind::Consumer(r) if *r == pull));
                for opaque in held {
                    inst.take_request(opaque, None);
                }
            }
            PullState::Due(at) => inst.timers.cancel(
                at,
                crate::timer::TimerKey::Consumer(super::ConsumerTimer::Pull(id, key)),
            ),
            PullState::Idle => {}
        }
        q.pull = PullState::Idle;
        self.pull_now(inst, now, id, key);
        Ok(())
    }
}

fn query_mq(kind: &QueryKind) -> &MessageQueue {
    match kind {
        QueryKind::Min(mq)
        | QueryKind::Max(mq)
        | QueryKind::ForTimestamp(mq, _)
        | QueryKind::Committed(mq)
        | QueryKind::Seek { mq, .. }
        | QueryKind::SeekToBegin(mq)
        | QueryKind::SeekToEnd(mq) => mq,
    }
}
