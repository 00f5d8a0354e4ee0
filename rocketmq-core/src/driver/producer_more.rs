//! Ordered sends and batches of the async [`Producer`] (Java `DefaultMQProducer`'s
//! `send(msg, mq)`, `send(msg, selector, arg)`, `send(Collection<Message>)`).

use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::message::keys;

use super::inbox::{Command, SendBatch, SendReply, SendTo};
use super::producer::Producer;
use super::Runtime;
use crate::error::SendError;
use crate::producer::{MessageQueueSelector, SendOptions, SendResult, SendTarget};
use crate::Message;

impl<R: Runtime> Producer<R> {
    /// Sends to one queue and waits for the answer: one attempt, no hop to another queue
    /// on failure (Java `send(msg, mq)`); the queue's topic must be the message's.
    pub async fn send_to_queue(
        &self,
        msg: Message,
        queue: &MessageQueue,
    ) -> Result<SendResult, SendError> {
        let target = SendTarget::Queue(queue.clone());
        self.send_to(msg, target, SendOptions::default()).await
    }

    /// Sends to the queue `selector` picks given `arg` (Java `send(msg, selector, arg)`),
    /// with the rules of [`send_to_queue`](Self::send_to_queue).
    ///
    /// ```no_run
    /// # async fn f<R: rocketmq_core::driver::Runtime>(p: rocketmq_core::driver::Producer<R>) {
    /// use rocketmq_core::{Message, SelectByHash};
    /// let order_id = 10086u64;
    /// p.send_with_selector(Message::new("Orders", "paid"), SelectByHash, order_id).await;
    /// # }
    /// ```
    pub async fn send_with_selector<S, A>(
        &self,
        msg: Message,
        selector: S,
        arg: A,
    ) -> Result<SendResult, SendError>
    where
        S: MessageQueueSelector<A> + 'static,
        A: Send + 'static,
    {
        let target = SendTarget::select(selector, arg);
        self.send_to(msg, target, SendOptions::default()).await
    }

    /// Sends every message of `sharding_key` to one queue, so they are stored in send order:
    /// Java's `SelectMessageQueueByHash` with the key as argument (Rust and Java producers
    /// agree), and the key in the message's `__SHARDINGKEY` property.
    pub async fn send_ordered(
        &self,
        msg: Message,
        sharding_key: &str,
    ) -> Result<SendResult, SendError> {
        let target = SendTarget::sharding_key(sharding_key);
        let msg = msg.with_property(keys::SHARDING_KEY, sharding_key.to_owned());
        self.send_to(msg, target, SendOptions::default()).await
    }

    /// Sends to `target` with per-send options (async mode, timeout) and waits for the
    /// answer. Oneway sends go through [`send_oneway_to`](Self::send_oneway_to).
    pub async fn send_to(
        &self,
        msg: Message,
        target: SendTarget,
        opts: SendOptions,
    ) -> Result<SendResult, SendError> {
        super::producer::expects_result(&opts)?;
        let producer = self.handle_id();
        self.ask(|tx| {
            Command::SendTo(Box::new(SendTo {
                producer,
                msg,
                opts,
                target,
                reply: SendReply::Result(tx),
            }))
        })
        .await
        .unwrap_or(Err(SendError::Shutdown))
    }

    /// Sends to `target` without waiting for the broker; resolves once the request is
    /// written.
    pub async fn send_oneway_to(&self, msg: Message, target: SendTarget) -> Result<(), SendError> {
        let producer = self.handle_id();
        self.ask(|tx| {
            Command::SendTo(Box::new(SendTo {
                producer,
                msg,
                opts: SendOptions::oneway(),
                target,
                reply: SendReply::Oneway(tx),
            }))
        })
        .await
        .unwrap_or(Err(SendError::Shutdown))
    }

    /// Sends `msgs` as one batch (SEND_BATCH_MESSAGE) and waits for the answer; retried on
    /// another broker like a plain send. One topic, one `WAIT` value, no delay, no retry
    /// topic, within the maximum message size (else [`UsageError::InvalidBatch`]); never
    /// compressed. [`SendResult::msg_ids`] lists every message's id. Cut long lists with
    /// [`BatchSplitter`](rocketmq_proto::message::BatchSplitter).
    ///
    /// [`UsageError::InvalidBatch`]: crate::UsageError::InvalidBatch
    pub async fn send_batch(&self, msgs: Vec<Message>) -> Result<SendResult, SendError> {
        self.send_batch_with(msgs, None, SendOptions::default())
            .await
    }

    /// Sends a batch to one queue (no hop on failure), with the rules of
    /// [`send_batch`](Self::send_batch).
    pub async fn send_batch_to_queue(
        &self,
        msgs: Vec<Message>,
        queue: &MessageQueue,
    ) -> Result<SendResult, SendError> {
        self.send_batch_with(msgs, Some(queue.clone()), SendOptions::default())
            .await
    }

    /// Sends a batch with per-send options (async mode, timeout), to `queue` when given.
    pub async fn send_batch_with(
        &self,
        msgs: Vec<Message>,
        queue: Option<MessageQueue>,
        opts: SendOptions,
    ) -> Result<SendResult, SendError> {
        super::producer::expects_result(&opts)?;
        let producer = self.handle_id();
        self.ask(|reply| {
            Command::SendBatch(Box::new(SendBatch {
                producer,
                msgs,
                opts,
                queue,
                reply,
            }))
        })
        .await
        .unwrap_or(Err(SendError::Shutdown))
    }
}
