//! The driver's consumer side: carries out consumer handles' commands on the client,
//! runs deliveries on listener tasks, waits for lite polls and query answers, and keeps
//! broadcasting consumers' offsets files.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use rocketmq_proto::body::{CMResult, ConsumeMessageDirectlyResult, MessageQueue};
use rocketmq_proto::message::MessageExt;

use super::inbox::{Command, ConsumerOp, NewConsumer, QueryOp};
use super::io::Driver;
use super::listener::{caught, spawn_delivery, Cancel, ConsumeContext, MessageListener};
use super::offsets_file;
use super::oneshot::Sender;
use super::Runtime;
use crate::consumer::{Committed, ConsumeResult, Delivery};
use crate::error::{ConsumerError, UsageError};
use crate::event::Event;
use crate::id_map::IdMap;
use crate::ids::{ConsumerId, DeliveryId, QueryId};
use crate::lifecycle::ServiceState;

/// A lite poll waiting for messages.
struct PendingPoll {
    consumer: ConsumerId,
    max: usize,
    deadline: Instant,
    reply: Sender<Result<Vec<MessageExt>, UsageError>>,
}

/// A `fetch_queues` waiting for the topic's route.
struct PendingFetch {
    consumer: ConsumerId,
    topic: String,
    deadline: Instant,
    reply: Sender<Result<Vec<MessageQueue>, ConsumerError>>,
}

/// What the driver keeps for its consumers.
#[derive(Default)]
pub(crate) struct ConsumerSide {
    listeners: IdMap<ConsumerId, Arc<dyn MessageListener>>,
    files: IdMap<ConsumerId, PathBuf>,
    running: IdMap<DeliveryId, Arc<Cancel>>,
    polls: Vec<PendingPoll>,
    fetches: Vec<PendingFetch>,
    queries: IdMap<QueryId, Sender<Result<i64, ConsumerError>>>,
    shutdowns: IdMap<ConsumerId, Vec<Sender<()>>>,
}

impl ConsumerSide {
    /// When the earliest lite poll gives up waiting.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let fetches = self.fetches.iter().map(|f| f.deadline);
        self.polls.iter().map(|p| p.deadline).chain(fetches).min()
    }

    /// Fails every waiter (the driver is finishing).
    pub(crate) fn finish(&mut self) {
        for p in self.polls.drain(..) {
            p.reply.send(Err(UsageError::ClientShutdown));
        }
        for (_, tx) in self.queries.drain() {
            tx.send(Err(ConsumerError::Shutdown));
        }
        for f in self.fetches.drain(..) {
            f.reply.send(Err(ConsumerError::Shutdown));
        }
        for (_, txs) in self.shutdowns.drain() {
            txs.into_iter().for_each(|tx| tx.send(()));
        }
        for (_, c) in self.running.drain() {
            c.cancel();
        }
    }
}

impl<R: Runtime> Driver<R> {
    /// Creates a consumer (with its subscriptions, listener and offsets file).
    pub(crate) fn create_consumer(&mut self, now: Instant, new: NewConsumer) {
        let NewConsumer {
            config,
            subscriptions,
            listener,
            offsets_file,
            expected,
        } = new;
        let id = self.client.create_consumer(config);
        debug_assert_eq!(id, expected, "consumer ids are assigned in command order");
        if let Some(l) = listener {
            self.consumers.listeners.insert(id, l);
        }
        if let Some(file) = offsets_file {
            match offsets_file::read(&file) {
                Ok(offsets) => {
                    if let Ok(c) = self.client.consumer(id) {
                        let _ = c.load_offsets(offsets);
                    }
                }
                Err(e) => {
                    tracing::error!(file = %file.display(), error = %e, "cannot read the offsets file")
                }
            }
            self.consumers.files.insert(id, file);
        }
        for (topic, expr, selector) in subscriptions {
            let subscribed = self.client.consumer(id).and_then(|c| match selector {
                crate::consumer::Selector::Tag => c.subscribe(now, &topic, &expr),
                crate::consumer::Selector::Sql92 => c.subscribe_sql92(now, &topic, &expr),
            });
            if let Err(e) = subscribed {
                tracing::error!(%topic, error = %e, "subscription refused");
            }
        }
    }

    /// Carries out one consumer handle's command.
    pub(crate) fn consumer_command(&mut self, now: Instant, id: ConsumerId, op: ConsumerOp) {
        let side = &mut self.consumers;
        let Ok(c) = self.client.consumer(id) else {
            return refuse(op, UsageError::UnknownConsumer(id.0));
        };
        match op {
            ConsumerOp::Start(reply) => reply.send(c.start(now)),
            ConsumerOp::Shutdown(reply) => {
                let running = c.state() == ServiceState::Running;
                c.shutdown(now);
                match reply {
                    Some(r) if running => side.shutdowns.entry(id).or_default().push(r),
                    Some(r) => r.send(()),
                    None => {}
                }
            }
            ConsumerOp::Subscribe {
                topic,
                expression,
                selector,
                reply,
            } => reply.send(match selector {
                crate::consumer::Selector::Tag => c.subscribe(now, &topic, &expression),
                crate::consumer::Selector::Sql92 => c.subscribe_sql92(now, &topic, &expression),
            }),
            ConsumerOp::Unsubscribe(topic) => {
                let _ = c.unsubscribe(now, &topic);
            }
            ConsumerOp::Assign(queues, reply) => reply.send(c.assign(now, queues)),
            ConsumerOp::Assignment(reply) => reply.send(c.assignment()),
            ConsumerOp::Poll {
                max,
                deadline,
                reply,
            } => match c.poll(now, max) {
                Ok(msgs) if msgs.is_empty() && deadline > now => side.polls.push(PendingPoll {
                    consumer: id,
                    max,
                    deadline,
                    reply,
                }),
                r => reply.send(r),
            },
            ConsumerOp::Commit { sync, reply } => {
                reply.send(if sync { c.commit_sync(now) } else { c.commit() });
            }
            ConsumerOp::Pause(queues, paused, reply) => {
                reply.send(if paused {
                    c.pause(&queues)
                } else {
                    c.resume_queues(&queues)
                });
            }
            ConsumerOp::FetchQueues {
                topic,
                deadline,
                reply,
            } => match c.fetch_queues(now, &topic) {
                Some(queues) => reply.send(Ok(queues)),
                None if deadline > now => side.fetches.push(PendingFetch {
                    consumer: id,
                    topic,
                    deadline,
                    reply,
                }),
                None => reply.send(Err(ConsumerError::NoRoute(topic))),
            },
            ConsumerOp::Suspend(true) => c.suspend(),
            ConsumerOp::Suspend(false) => c.resume(now),
            ConsumerOp::Query(q, reply) => {
                let asked = match q {
                    QueryOp::Committed(mq) => match c.committed(now, &mq) {
                        Ok(Committed::Known(o)) => return reply.send(Ok(o)),
                        Ok(Committed::Asked(q)) => Ok(q),
                        Err(e) => Err(e),
                    },
                    QueryOp::Seek(mq, o) => c.seek(now, &mq, o),
                    QueryOp::SeekToBegin(mq) => c.seek_to_begin(now, &mq),
                    QueryOp::SeekToEnd(mq) => c.seek_to_end(now, &mq),
                    QueryOp::ForTimestamp(mq, ts) => c.offset_for_timestamp(now, &mq, ts),
                    QueryOp::Min(mq) => c.min_offset(now, &mq),
                    QueryOp::Max(mq) => c.max_offset(now, &mq),
                };
                match asked {
                    Ok(q) => {
                        side.queries.insert(q, reply);
                    }
                    Err(e) => reply.send(Err(ConsumerError::Usage(e))),
                }
            }
        }
    }

    /// Handles a consumer event; `false` for events of other roles.
    pub(crate) fn consumer_event(&mut self, now: Instant, e: Event) -> Option<Event> {
        match e {
            Event::Deliver(d) => self.deliver(d),
            Event::DeliveryRevoked { delivery, .. } => {
                if let Some(c) = self.consumers.running.remove(&delivery) {
                    c.cancel();
                }
            }
            Event::Pollable { consumer } => self.serve_polls(now, Some(consumer)),
            Event::QueryAnswered { query, result } => {
                if let Some(tx) = self.consumers.queries.remove(&query) {
                    tx.send(result);
                }
            }
            Event::PersistOffsets {
                consumer, offsets, ..
            } => {
                if let Some(file) = self.consumers.files.get(&consumer) {
                    if let Err(e) = offsets_file::write(file, offsets) {
                        tracing::error!(file = %file.display(), error = %e, "cannot write the offsets file");
                    }
                }
            }
            Event::ConsumeDirectly {
                request,
                consumer,
                message,
            } => {
                self.consume_directly(request, consumer, message);
            }
            Event::ConsumerShutdown { consumer } => {
                for tx in self
                    .consumers
                    .shutdowns
                    .remove(&consumer)
                    .unwrap_or_default()
                {
                    tx.send(());
                }
                // Polls and lookups waiting on it end now, with the reason.
                let (polls, fetches) = (&mut self.consumers.polls, &mut self.consumers.fetches);
                for p in extract(polls, |p| p.consumer == consumer) {
                    p.reply.send(Err(UsageError::ClientShutdown));
                }
                for f in extract(fetches, |f| f.consumer == consumer) {
                    f.reply.send(Err(ConsumerError::Shutdown));
                }
            }
            Event::QueuesChanged {
                consumer,
                topic,
                queues,
            } => {
                tracing::debug!(consumer = consumer.0, %topic, queues = queues.len(), "queues changed");
            }
            other => return Some(other),
        }
        None
    }

    /// Runs a delivery on its consumer's listener (a consumer without one has none: the
    /// delivery is answered "later" so that nothing is held).
    fn deliver(&mut self, d: Delivery) {
        let id = d.id;
        match self.consumers.listeners.get(&d.consumer) {
            Some(l) => {
                let cancel = spawn_delivery(&self.rt, &self.inbox, l, d);
                self.consumers.running.insert(id, cancel);
            }
            None => {
                self.inbox.push(Command::Consumed {
                    delivery: id,
                    result: ConsumeResult::Later { delay_level: 0 },
                });
            }
        }
    }

    /// A listener answered a delivery.
    pub(crate) fn consumed(&mut self, now: Instant, delivery: DeliveryId, result: ConsumeResult) {
        self.consumers.running.remove(&delivery);
        if let Err(e) = self.client.consume_result(now, delivery, result) {
            tracing::warn!(error = %e, "a listener's answer was refused");
        }
    }

    /// Serves waiting polls (of `only` or of all) that have messages or whose time is up.
    pub(crate) fn serve_polls(&mut self, now: Instant, only: Option<ConsumerId>) {
        let polls = std::mem::take(&mut self.consumers.polls);
        for p in polls {
            if only.is_some_and(|c| c != p.consumer) && p.deadline > now {
                self.consumers.polls.push(p);
                continue;
            }
            let msgs = self
                .client
                .consumer(p.consumer)
                .and_then(|c| c.poll(now, p.max));
            match msgs {
                Ok(m) if m.is_empty() && p.deadline > now => self.consumers.polls.push(p),
                r => p.reply.send(r),
            }
        }
    }

    /// Answers the `fetch_queues` whose route is known now, or whose wait is over.
    pub(crate) fn serve_fetches(&mut self, now: Instant) {
        let fetches = std::mem::take(&mut self.consumers.fetches);
        for f in fetches {
            let queues = match self.client.consumer(f.consumer) {
                Ok(c) => c.known_queues(&f.topic),
                Err(e) => {
                    f.reply.send(Err(ConsumerError::Usage(e)));
                    continue;
                }
            };
            match queues {
                Some(q) => f.reply.send(Ok(q)),
                None if f.deadline > now => self.consumers.fetches.push(f),
                None => f.reply.send(Err(ConsumerError::NoRoute(f.topic))),
            }
        }
    }

    /// Runs a direct-consume request on the consumer's listener; answered when it finishes.
    fn consume_directly(
        &mut self,
        request: crate::ids::DirectId,
        consumer: ConsumerId,
        message: MessageExt,
    ) {
        let Some(listener) = self.consumers.listeners.get(&consumer).cloned() else {
            let result = ConsumeMessageDirectlyResult {
                consume_result: Some(CMResult::ReturnNull),
                remark: Some("the consumer has no listener".into()),
                ..ConsumeMessageDirectlyResult::default()
            };
            self.inbox.push(Command::Directed { request, result });
            return;
        };
        let orderly = self
            .client
            .consumers
            .get(consumer)
            .is_some_and(|c| c.config.is_orderly());
        let context = ConsumeContext {
            queue: MessageQueue::new(
                message.message.topic.clone(),
                String::new(),
                message.queue_id,
            ),
            orderly,
            delivery: DeliveryId(u64::MAX),
        };
        let inbox = self.inbox.clone();
        let rt = self.rt.clone();
        let started = self.rt.now();
        let future = listener.consume(Arc::from(vec![message]), context);
        self.rt.spawn_task(Box::pin(async move {
            let result = match caught(future).await {
                Some(ConsumeResult::Success) | Some(ConsumeResult::Partial { .. }) => {
                    CMResult::Success
                }
                Some(_) => CMResult::Later,
                None => CMResult::ThrowException,
            };
            let spent = rt.now().saturating_duration_since(started).as_millis();
            let result = ConsumeMessageDirectlyResult {
                order: orderly,
                auto_commit: true,
                consume_result: Some(result),
                remark: None,
                spent_time_mills: i64::try_from(spent).unwrap_or(i64::MAX),
            };
            inbox.push(Command::Directed { request, result });
        }));
    }
}

/// Answers a command for a consumer the client does not know.
fn refuse(op: ConsumerOp, e: UsageError) {
    match op {
        ConsumerOp::Start(r) | ConsumerOp::Assign(_, r) | ConsumerOp::Commit { reply: r, .. } => {
            r.send(Err(e))
        }
        ConsumerOp::Subscribe { reply, .. } | ConsumerOp::Pause(_, _, reply) => reply.send(Err(e)),
        ConsumerOp::Poll { reply, .. } => reply.send(Err(e)),
        ConsumerOp::Query(_, r) => r.send(Err(ConsumerError::Usage(e))),
        ConsumerOp::Assignment(r) => r.send(Vec::new()),
        ConsumerOp::Shutdown(Some(r)) => r.send(()),
        ConsumerOp::FetchQueues { reply, .. } => reply.send(Err(ConsumerError::Usage(e))),
        ConsumerOp::Shutdown(None) | ConsumerOp::Unsubscribe(_) | ConsumerOp::Suspend(_) => {}
    }
}

/// Removes and returns the items matching `f`, keeping the others in order.
fn extract<T>(items: &mut Vec<T>, f: impl Fn(&T) -> bool) -> Vec<T> {
    let (out, keep) = std::mem::take(items).into_iter().partition(|t| f(t));
    *items = keep;
    out
}
