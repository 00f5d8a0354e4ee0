//! The async lite pull consumer every runtime adapter exposes (Java
//! `DefaultLitePullConsumer`): the application polls; polled messages are consumed and
//! committed by auto-commit or `commit`. It is also a `futures_core::Stream` of messages.

use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use rocketmq_proto::body::{MessageModel, MessageQueue};
use rocketmq_proto::message::MessageExt;
use rocketmq_proto::SerializeType;

use super::consumer::{consumer_setters, deadline_after, ConsumerHandle, Settings};
use super::inbox::{ConsumerOp, QueryOp};
use super::io::Driver;
use super::oneshot;
use super::Runtime;
use crate::config::{split_name_servers, ClientConfig};
use crate::consumer::allocate::AllocateStrategy;
use crate::consumer::config::{ConsumeFrom, ConsumerConfig};
use crate::consumer::Selector;
use crate::error::{ConfigError, ConsumerError, UsageError};

/// Messages a stream asks for at once.
const STREAM_BATCH: usize = 32;
/// How long one poll of a stream waits before asking again.
const STREAM_WAIT: Duration = Duration::from_secs(5);

/// A lite pull consumer: `subscribe` (the group divides queues) or `assign` queues, then
/// `poll`. Cheap to clone.
pub struct LitePullConsumer<R: Runtime> {
    handle: Arc<ConsumerHandle>,
    rt: R,
    _rt: PhantomData<fn() -> R>,
}

impl<R: Runtime> Clone for LitePullConsumer<R> {
    fn clone(&self) -> Self {
        Self {
            handle: self.handle.clone(),
            rt: self.rt.clone(),
            _rt: PhantomData,
        }
    }
}

impl<R: Runtime> std::fmt::Debug for LitePullConsumer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LitePullConsumer")
            .field("group", &self.handle.group)
            .field("client_id", &self.handle.instance.client_id)
            .finish()
    }
}

impl<R: Runtime + Default> LitePullConsumer<R> {
    /// Starts building a lite pull consumer with Java's defaults.
    pub fn builder() -> LitePullConsumerBuilder<R> {
        LitePullConsumerBuilder::new(R::default())
    }
}

impl<R: Runtime> LitePullConsumer<R> {
    /// Returns the consumer group.
    pub fn group(&self) -> &str {
        &self.handle.group
    }

    /// Returns the client id of the instance this consumer runs in.
    pub fn client_id(&self) -> &str {
        &self.handle.instance.client_id
    }

    /// Starts the consumer: it takes its queues and pulls ahead of `poll`.
    pub async fn start(&self) -> Result<(), UsageError> {
        self.handle.start().await
    }

    /// Subscribes to `topic` (the group divides its queues); excludes `assign`.
    pub async fn subscribe(&self, topic: &str, expression: &str) -> Result<(), UsageError> {
        self.handle.subscribe(topic, expression).await
    }

    /// Takes exactly these queues (no rebalance); excludes `subscribe`.
    pub async fn assign(
        &self,
        queues: impl IntoIterator<Item = MessageQueue>,
    ) -> Result<(), UsageError> {
        let queues = queues.into_iter().collect();
        self.handle
            .ask(|reply| ConsumerOp::Assign(queues, reply))
            .await
            .unwrap_or(Err(UsageError::ClientShutdown))
    }

    /// The topic's queues (Java `fetchMessageQueues`), from the name server if its route
    /// is not known yet (waiting up to the client's `mq_client_api_timeout`).
    pub async fn fetch_queues(&self, topic: &str) -> Result<Vec<MessageQueue>, ConsumerError> {
        let deadline = deadline_after(&self.rt, self.handle.api_timeout);
        self.handle
            .ask(|reply| ConsumerOp::FetchQueues {
                topic: topic.to_owned(),
                deadline,
                reply,
            })
            .await
            .unwrap_or(Err(ConsumerError::Shutdown))
    }

    /// The queues the consumer holds now.
    pub async fn assignment(&self) -> Vec<MessageQueue> {
        self.handle.assignment().await
    }

    /// Takes the messages pulled so far (at most the pull batch size times a few), waiting
    /// up to `timeout` for some; polled messages are consumed.
    pub async fn poll(&self, timeout: Duration) -> Result<Vec<MessageExt>, UsageError> {
        self.poll_max(STREAM_BATCH, timeout).await
    }

    /// Like [`poll`](Self::poll), at most `max` messages.
    pub async fn poll_max(
        &self,
        max: usize,
        timeout: Duration,
    ) -> Result<Vec<MessageExt>, UsageError> {
        let deadline = deadline_after(&self.rt, timeout);
        self.handle
            .ask(|reply| ConsumerOp::Poll {
                max,
                deadline,
                reply,
            })
            .await
            .unwrap_or(Err(UsageError::ClientShutdown))
    }

    /// Commits the consumed offsets (persisted to the broker within 5 s).
    pub async fn commit(&self) -> Result<(), UsageError> {
        self.commit_with(false).await
    }

    /// Commits the consumed offsets and persists them now.
    pub async fn commit_sync(&self) -> Result<(), UsageError> {
        self.commit_with(true).await
    }

    async fn commit_with(&self, sync: bool) -> Result<(), UsageError> {
        self.handle
            .ask(|reply| ConsumerOp::Commit { sync, reply })
            .await
            .unwrap_or(Err(UsageError::ClientShutdown))
    }

    async fn query(&self, op: QueryOp) -> Result<i64, ConsumerError> {
        self.handle
            .ask(|reply| ConsumerOp::Query(op, reply))
            .await
            .unwrap_or(Err(ConsumerError::Shutdown))
    }

    /// A queue's committed offset (from memory, else asked of the broker; −1 if none).
    pub async fn committed(&self, mq: &MessageQueue) -> Result<i64, ConsumerError> {
        self.query(QueryOp::Committed(mq.clone())).await
    }

    /// The next pull of an assigned queue starts at `offset` (checked against the queue).
    pub async fn seek(&self, mq: &MessageQueue, offset: i64) -> Result<(), ConsumerError> {
        self.query(QueryOp::Seek(mq.clone(), offset))
            .await
            .map(drop)
    }

    /// The next pull of an assigned queue starts at its first message.
    pub async fn seek_to_begin(&self, mq: &MessageQueue) -> Result<(), ConsumerError> {
        self.query(QueryOp::SeekToBegin(mq.clone())).await.map(drop)
    }

    /// The next pull of an assigned queue starts at its end.
    pub async fn seek_to_end(&self, mq: &MessageQueue) -> Result<(), ConsumerError> {
        self.query(QueryOp::SeekToEnd(mq.clone())).await.map(drop)
    }

    /// The first offset of a queue stored at or after `timestamp` (epoch ms).
    pub async fn offset_for_timestamp(
        &self,
        mq: &MessageQueue,
        timestamp: i64,
    ) -> Result<i64, ConsumerError> {
        self.query(QueryOp::ForTimestamp(mq.clone(), timestamp))
            .await
    }

    /// A queue's smallest offset.
    pub async fn min_offset(&self, mq: &MessageQueue) -> Result<i64, ConsumerError> {
        self.query(QueryOp::Min(mq.clone())).await
    }

    /// A queue's largest offset (one past its last message).
    pub async fn max_offset(&self, mq: &MessageQueue) -> Result<i64, ConsumerError> {
        self.query(QueryOp::Max(mq.clone())).await
    }

    /// Stops pulling these queues (what is buffered can still be polled).
    pub async fn pause(&self, queues: &[MessageQueue]) -> Result<(), UsageError> {
        self.pause_with(queues, true).await
    }

    /// Pulls paused queues again.
    pub async fn resume(&self, queues: &[MessageQueue]) -> Result<(), UsageError> {
        self.pause_with(queues, false).await
    }

    async fn pause_with(&self, queues: &[MessageQueue], paused: bool) -> Result<(), UsageError> {
        let queues = queues.to_vec();
        self.handle
            .ask(|reply| ConsumerOp::Pause(queues, paused, reply))
            .await
            .unwrap_or(Err(UsageError::ClientShutdown))
    }

    /// Shuts the consumer down: offsets persisted, group unregistered.
    pub async fn shutdown(&self) {
        self.handle.shutdown().await;
    }

    /// The polled messages as a stream (each one consumed as it is yielded); it ends when
    /// the consumer shuts down.
    pub fn stream(&self) -> MessageStream<R> {
        MessageStream {
            consumer: self.clone(),
            buffered: VecDeque::new(),
            pending: None,
        }
    }
}

/// A [`LitePullConsumer`]'s messages as a `futures_core::Stream`.
pub struct MessageStream<R: Runtime> {
    consumer: LitePullConsumer<R>,
    buffered: VecDeque<MessageExt>,
    pending: Option<oneshot::Receiver<Result<Vec<MessageExt>, UsageError>>>,
}

impl<R: Runtime> std::fmt::Debug for MessageStream<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageStream")
            .field("buffered", &self.buffered.len())
            .finish()
    }
}

impl<R: Runtime> Unpin for MessageStream<R> {}

impl<R: Runtime> Stream for MessageStream<R> {
    type Item = MessageExt;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<MessageExt>> {
        let this = &mut *self;
        loop {
            if let Some(m) = this.buffered.pop_front() {
                return Poll::Ready(Some(m));
            }
            let rx = match &mut this.pending {
                Some(rx) => rx,
                None => {
                    let (tx, rx) = oneshot::channel();
                    let deadline = deadline_after(&this.consumer.rt, STREAM_WAIT);
                    this.consumer.handle.tell(ConsumerOp::Poll {
                        max: STREAM_BATCH,
                        deadline,
                        reply: tx,
                    });
                    this.pending.insert(rx)
                }
            };
            match Pin::new(rx).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(msgs))) => {
                    this.pending = None;
                    this.buffered.extend(msgs);
                }
                // Shut down (or refused: not a lite consumer, not started).
                Poll::Ready(_) => {
                    this.pending = None;
                    return Poll::Ready(None);
                }
            }
        }
    }
}

/// Builds a [`LitePullConsumer`] with Java's setting names.
#[derive(Debug, Clone)]
pub struct LitePullConsumerBuilder<R: Runtime> {
    rt: R,
    settings: Settings,
}

impl<R: Runtime> LitePullConsumerBuilder<R> {
    /// Starts a builder on a specific runtime handle.
    pub fn new(rt: R) -> Self {
        Self {
            rt,
            settings: Settings::new(ConsumerConfig::lite_pull("")),
        }
    }

    consumer_setters!();

    /// Commit polled offsets on their own (`autoCommit`, true).
    pub fn auto_commit(mut self, on: bool) -> Self {
        self.settings.consumer.auto_commit = on;
        self
    }

    /// How often auto-commit commits (`autoCommitIntervalMillis`, 5 s).
    pub fn auto_commit_interval(mut self, d: Duration) -> Self {
        self.settings.consumer.auto_commit_interval = d;
        self
    }

    /// Messages waiting to be polled above which pulls pause (`pullThresholdForAll`).
    pub fn pull_threshold_for_all(mut self, n: u32) -> Self {
        self.settings.consumer.pull_threshold_for_all = n;
        self
    }

    /// Checks the settings and joins (or creates) the instance; a new instance's driver is
    /// started with the runtime's `spawn`.
    pub fn build(self) -> Result<LitePullConsumer<R>, ConfigError> {
        let rt = self.rt.clone();
        let (consumer, driver) = self.build_with_driver()?;
        if let Some(d) = driver {
            rt.spawn(d);
        }
        Ok(consumer)
    }

    /// Like [`build`](Self::build), handing a new instance's driver to the caller.
    pub fn build_with_driver(
        self,
    ) -> Result<(LitePullConsumer<R>, Option<Driver<R>>), ConfigError> {
        let rt = self.rt.clone();
        let (handle, driver) = self.settings.build(self.rt, None)?;
        let consumer = LitePullConsumer {
            handle,
            rt,
            _rt: PhantomData,
        };
        Ok((consumer, driver))
    }
}
