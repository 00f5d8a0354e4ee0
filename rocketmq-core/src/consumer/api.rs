//! `ConsumerApi`: commands for one consumer, borrowed from its client (as quinn's
//! `conn.send_stream(id)`): `client.consumer(id)?.subscribe(now, "T", "*")`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::message::MessageExt;

use super::config::ConsumerKind;
use super::lite::QueryKind;
use super::subscription::Selector;
use crate::client::Client;
use crate::error::UsageError;
use crate::ids::{ConsumerId, QueryId};
use crate::lifecycle::ServiceState;

/// See the module doc. Lite-pull operations on a push consumer (and the reverse) are a
/// [`UsageError::WrongKind`].
pub struct ConsumerApi<'a> {
    pub(crate) client: &'a mut Client,
    pub(crate) id: ConsumerId,
}

/// A committed offset: known in memory, or asked of the broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Committed {
    /// The offset committed in memory.
    Known(i64),
    /// Asked of the broker; the answer comes as [`Event::QueryAnswered`](crate::Event::QueryAnswered).
    Asked(QueryId),
}

impl ConsumerApi<'_> {
    /// Returns the consumer's state.
    pub fn state(&self) -> ServiceState {
        self.client
            .consumers
            .get(self.id)
            .map_or(ServiceState::CreateJust, |c| c.state)
    }

    /// The queues the consumer holds.
    pub fn assignment(&self) -> Vec<MessageQueue> {
        self.client
            .consumers
            .get(self.id)
            .map(|c| c.queues.held().cloned().collect())
            .unwrap_or_default()
    }

    /// The queues of `topic` a consumer reads (Java `fetchMessageQueues`), in Java's
    /// order: `Some` once the topic's route is known; `None` starts a name server lookup,
    /// after which ([`Event::RouteUpdated`](crate::Event::RouteUpdated)) asking again answers.
    pub fn fetch_queues(self, now: Instant, topic: &str) -> Option<Vec<MessageQueue>> {
        if let Some(queues) = self.known_queues(topic) {
            return Some(queues);
        }
        let c = self.client;
        c.consumers.wants.routes.push(topic.to_owned());
        c.settle(now);
        None
    }

    /// The queues of `topic` if its route is known, in Java's order.
    pub fn known_queues(&self, topic: &str) -> Option<Vec<MessageQueue>> {
        let route = self.client.inst.routes.route(topic)?;
        let queues = crate::client::route::subscribe_queues(topic, route);
        Some(crate::consumer::allocate::java_sorted_queues(queues))
    }

    /// Subscribes to `topic` with a tag expression (`*`, `TagA || TagB`), replacing an
    /// earlier subscription of the topic; a running consumer heartbeats and rebalances.
    pub fn subscribe(self, now: Instant, topic: &str, expression: &str) -> Result<(), UsageError> {
        self.subscribe_with(now, topic, expression, Selector::Tag)
    }

    /// Subscribes to `topic` with an SQL92 expression over message properties (the broker
    /// needs `enablePropertyFilter=true`).
    pub fn subscribe_sql92(
        self,
        now: Instant,
        topic: &str,
        expression: &str,
    ) -> Result<(), UsageError> {
        self.subscribe_with(now, topic, expression, Selector::Sql92)
    }

    fn subscribe_with(
        self,
        now: Instant,
        topic: &str,
        expression: &str,
        selector: Selector,
    ) -> Result<(), UsageError> {
        rocketmq_proto::message::validate::validate_topic(topic)?;
        let c = self.client;
        let wall = c.inst.wall_millis(now);
        let consumer = c
            .consumers
            .get_mut(self.id)
            .ok_or(UsageError::UnknownConsumer(self.id.0))?;
        if consumer.assigned {
            return Err(wrong_kind(
                &consumer.config.group,
                "subscribe",
                "subscribe and assign are mutually exclusive",
            ));
        }
        consumer.subs.subscribe(topic, expression, selector, wall)?;
        if consumer.state == ServiceState::Running {
            c.consumers.wants.heartbeat = true;
            c.consumers.wants.routes.push(topic.to_owned());
            c.consumers.rebalance(&mut c.inst, now, self.id);
            c.settle(now);
        }
        Ok(())
    }

    /// Removes a topic's subscription; its queues are given up at the next rebalance.
    pub fn unsubscribe(self, now: Instant, topic: &str) -> Result<(), UsageError> {
        let c = self.client;
        let consumer = c
            .consumers
            .get_mut(self.id)
            .ok_or(UsageError::UnknownConsumer(self.id.0))?;
        if consumer.subs.unsubscribe(topic) && consumer.state == ServiceState::Running {
            c.consumers.wants.heartbeat = true;
            c.consumers.rebalance(&mut c.inst, now, self.id);
            c.settle(now);
        }
        Ok(())
    }

    /// A broadcasting consumer's offsets as its local file holds them (Java `offsets.json`),
    /// before start.
    pub fn load_offsets(self, offsets: BTreeMap<MessageQueue, i64>) -> Result<(), UsageError> {
        let consumer = self
            .client
            .consumers
            .get_mut(self.id)
            .ok_or(UsageError::UnknownConsumer(self.id.0))?;
        consumer.offsets.load(offsets);
        Ok(())
    }

    /// Starts the consumer: checks its config, registers its group in heartbeats, and
    /// takes its queues (rebalance, or the lite assignment).
    pub fn start(self, now: Instant) -> Result<(), UsageError> {
        let c = self.client;
        c.consumers.start(&mut c.inst, now, self.id)?;
        c.start_consumer(now, self.id);
        Ok(())
    }

    /// Shuts the consumer down: pulls stop; deliveries in flight may finish (up to the
    /// config's `await_termination_when_shutdown`, then they are revoked); offsets are
    /// persisted, locks released, the group unregistered; then
    /// [`Event::ConsumerShutdown`](crate::Event::ConsumerShutdown).
    pub fn shutdown(self, now: Instant) {
        let c = self.client;
        c.consumers.begin_shutdown(&mut c.inst, now, self.id);
        c.settle(now);
    }

    /// Suspends the consumer: no pulls, no rebalance; deliveries in flight go on.
    pub fn suspend(self) {
        if let Some(consumer) = self.client.consumers.get_mut(self.id) {
            consumer.paused = true;
        }
    }

    /// Resumes a suspended consumer, rebalancing at once.
    pub fn resume(self, now: Instant) {
        let c = self.client;
        if let Some(consumer) = c.consumers.get_mut(self.id) {
            consumer.paused = false;
        }
        c.consumers.rebalance(&mut c.inst, now, self.id);
        c.settle(now);
    }

    /// Lite pull: makes `queues` the consumer's queues (no rebalance); mutually exclusive
    /// with `subscribe`.
    pub fn assign(
        self,
        now: Instant,
        queues: impl IntoIterator<Item = MessageQueue>,
    ) -> Result<(), UsageError> {
        let c = self.client;
        let consumer = lite(c, self.id, "assign")?;
        if consumer.subs.topics().next().is_some() {
            return Err(wrong_kind(
                &consumer.config.group,
                "assign",
                "subscribe and assign are mutually exclusive",
            ));
        }
        let queues: BTreeSet<MessageQueue> = queues.into_iter().collect();
        c.consumers.assign(&mut c.inst, now, self.id, queues);
        c.settle(now);
        Ok(())
    }

    /// Lite pull: takes up to `max` messages pulled and not yet polled; polled messages are
    /// consumed (committed by `commit` or auto-commit). Empty when none waits (wait for
    /// [`Event::Pollable`](crate::Event::Pollable)).
    pub fn poll(self, now: Instant, max: usize) -> Result<Vec<MessageExt>, UsageError> {
        lite(self.client, self.id, "poll")?;
        Ok(self.client.consumers.poll(now, self.id, max))
    }

    /// Lite pull: commits the consumed offsets in memory (persisted within 5 s).
    pub fn commit(self) -> Result<(), UsageError> {
        lite(self.client, self.id, "commit")?;
        self.client.consumers.commit(self.id);
        Ok(())
    }

    /// Lite pull: commits and persists the consumed offsets now.
    pub fn commit_sync(self, now: Instant) -> Result<(), UsageError> {
        let c = self.client;
        lite(c, self.id, "commit")?;
        c.consumers.commit(self.id);
        c.consumers.persist_consumer(&mut c.inst, now, self.id);
        Ok(())
    }

    /// Lite pull: a queue's committed offset, from memory or asked of the broker.
    pub fn committed(self, now: Instant, mq: &MessageQueue) -> Result<Committed, UsageError> {
        let c = self.client;
        lite(c, self.id, "read committed offsets")?;
        if let Some(o) = c.consumers.committed_in_memory(self.id, mq) {
            return Ok(Committed::Known(o));
        }
        let q = c
            .consumers
            .query(&mut c.inst, now, self.id, QueryKind::Committed(mq.clone()));
        c.settle(now);
        Ok(Committed::Asked(q))
    }

    /// Lite pull: the next pull of an assigned queue starts at `offset`, once the broker
    /// confirms it lies within the queue (answered by a query event).
    pub fn seek(self, now: Instant, mq: &MessageQueue, offset: i64) -> Result<QueryId, UsageError> {
        let kind = QueryKind::Seek {
            mq: mq.clone(),
            offset,
            min: None,
        };
        self.assigned_query(now, mq, "seek", kind)
    }

    /// Lite pull: the next pull of an assigned queue starts at the queue's start.
    pub fn seek_to_begin(self, now: Instant, mq: &MessageQueue) -> Result<QueryId, UsageError> {
        self.assigned_query(now, mq, "seek", QueryKind::SeekToBegin(mq.clone()))
    }

    /// Lite pull: the next pull of an assigned queue starts at the queue's end.
    pub fn seek_to_end(self, now: Instant, mq: &MessageQueue) -> Result<QueryId, UsageError> {
        self.assigned_query(now, mq, "seek", QueryKind::SeekToEnd(mq.clone()))
    }

    /// The first offset of a queue stored at or after `timestamp` (epoch ms).
    pub fn offset_for_timestamp(
        self,
        now: Instant,
        mq: &MessageQueue,
        timestamp: i64,
    ) -> Result<QueryId, UsageError> {
        self.any_query(now, QueryKind::ForTimestamp(mq.clone(), timestamp))
    }

    /// A queue's smallest offset (GET_MIN_OFFSET).
    pub fn min_offset(self, now: Instant, mq: &MessageQueue) -> Result<QueryId, UsageError> {
        self.any_query(now, QueryKind::Min(mq.clone()))
    }

    /// A queue's largest offset, one past its last message (GET_MAX_OFFSET).
    pub fn max_offset(self, now: Instant, mq: &MessageQueue) -> Result<QueryId, UsageError> {
        self.any_query(now, QueryKind::Max(mq.clone()))
    }

    fn any_query(self, now: Instant, kind: QueryKind) -> Result<QueryId, UsageError> {
        let c = self.client;
        c.consumers
            .get(self.id)
            .ok_or(UsageError::UnknownConsumer(self.id.0))?;
        let q = c.consumers.query(&mut c.inst, now, self.id, kind);
        c.settle(now);
        Ok(q)
    }

    fn assigned_query(
        self,
        now: Instant,
        mq: &MessageQueue,
        what: &'static str,
        kind: QueryKind,
    ) -> Result<QueryId, UsageError> {
        let c = self.client;
        let consumer = lite(c, self.id, what)?;
        if consumer.queues.key_of(mq).is_none() {
            return Err(UsageError::NotAssigned(mq.clone()));
        }
        let q = c.consumers.query(&mut c.inst, now, self.id, kind);
        c.settle(now);
        Ok(q)
    }

    /// Lite pull: stops pulling these queues (what is buffered can still be polled).
    pub fn pause(self, queues: &[MessageQueue]) -> Result<(), UsageError> {
        lite(self.client, self.id, "pause")?;
        self.client.consumers.set_paused(self.id, queues, true);
        Ok(())
    }

    /// Lite pull: pulls paused queues again.
    pub fn resume_queues(self, queues: &[MessageQueue]) -> Result<(), UsageError> {
        lite(self.client, self.id, "resume")?;
        self.client.consumers.set_paused(self.id, queues, false);
        Ok(())
    }
}

/// The consumer, if it is a lite pull consumer.
fn lite<'c>(
    c: &'c mut Client,
    id: ConsumerId,
    what: &'static str,
) -> Result<&'c mut super::Consumer, UsageError> {
    let consumer = c
        .consumers
        .get_mut(id)
        .ok_or(UsageError::UnknownConsumer(id.0))?;
    if consumer.config.kind != ConsumerKind::LitePull {
        return Err(wrong_kind(
            &consumer.config.group,
            what,
            "only a lite pull consumer can",
        ));
    }
    Ok(consumer)
}

fn wrong_kind(group: &str, operation: &'static str, why: &'static str) -> UsageError {
    UsageError::WrongKind {
        group: group.to_owned(),
        operation,
        why,
    }
}
