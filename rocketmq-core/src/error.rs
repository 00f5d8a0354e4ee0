//! Errors: caller misuse ([`UsageError`], [`ConfigError`]) apart from send outcomes ([`SendError`]).

use std::time::Duration;

use rocketmq_proto::message::{BatchError, Delay, ValidationError};
use rocketmq_proto::{DecodeError, EncodeError, ResponseCode};
use thiserror::Error;

use crate::lifecycle::ServiceState;

/// A setting is invalid; reported when a client or producer is built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A name server address is not `host:port`.
    #[error("invalid name server address {0:?}: expected host:port")]
    InvalidNameServer(String),
    /// A required setting is empty.
    #[error("setting `{0}` must not be empty")]
    Empty(&'static str),
    /// A duration setting is zero.
    #[error("setting `{0}` must be greater than zero")]
    ZeroDuration(&'static str),
    /// A numeric setting is out of range.
    #[error("setting `{name}` = {value} is out of range")]
    OutOfRange {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: i64,
    },
    /// The group name is invalid.
    #[error("invalid group: {0}")]
    InvalidGroup(ValidationError),
    /// The create-topic key is not a valid topic.
    #[error("invalid create-topic key: {0}")]
    InvalidCreateTopicKey(ValidationError),
    /// The group name is reserved for the client itself.
    #[error("the group name `{0}` is reserved; specify another name please")]
    ReservedGroup(String),
    /// Two settings contradict each other.
    #[error("inconsistent settings: {0}")]
    Inconsistent(&'static str),
}

/// The caller used the API wrongly; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UsageError {
    /// The operation needs a running producer or consumer.
    #[error(
        "`{group}` is not running (state {state:?}): call start first, and not after shutdown"
    )]
    NotRunning {
        /// Producer or consumer group.
        group: String,
        /// Its state.
        state: ServiceState,
    },
    /// `start` was called in a state other than `CreateJust`.
    #[error("`{group}` cannot start in state {state:?}; maybe started once")]
    CannotStart {
        /// Producer or consumer group.
        group: String,
        /// Its state.
        state: ServiceState,
    },
    /// The client instance has shut down.
    #[error("the client instance has shut down")]
    ClientShutdown,
    /// Another producer (or consumer) of this client instance already uses the group.
    #[error("the group `{0}` has been created before in this client instance, specify another name please")]
    DuplicateGroup(String),
    /// The producer id is unknown to this client.
    #[error("unknown producer id {0}")]
    UnknownProducer(u32),
    /// The consumer id is unknown to this client.
    #[error("unknown consumer id {0}")]
    UnknownConsumer(u32),
    /// The delivery id was never handed out.
    #[error("unknown delivery id {0}")]
    UnknownDelivery(u64),
    /// The consumer is not of the kind the operation needs (e.g. `poll` on a push consumer).
    #[error("consumer `{group}` cannot {operation}: {why}")]
    WrongKind {
        /// Consumer group.
        group: String,
        /// What was asked.
        operation: &'static str,
        /// Why it is not possible.
        why: &'static str,
    },
    /// The subscription expression is invalid.
    #[error("invalid subscription: {0}")]
    InvalidSubscription(#[from] rocketmq_proto::SubscriptionError),
    /// The queue is not assigned to this consumer.
    #[error("queue {0:?} is not assigned to this consumer")]
    NotAssigned(rocketmq_proto::body::MessageQueue),
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The message breaks a validation rule.
    #[error("invalid message: {0}")]
    InvalidMessage(#[from] ValidationError),
    /// The messages cannot be sent as one batch.
    #[error("invalid batch: {0}")]
    InvalidBatch(#[from] BatchError),
    /// A oneway send asked through a call that waits for a result (`send_with`, `send_to`,
    /// `send_batch_with` with `SendMode::Oneway`): it would have none.
    #[error("a oneway send has no result: use send_oneway or send_oneway_to")]
    OnewayHasNoResult,
    /// A send to a queue whose topic is not the message's (Java: "message's topic not equal
    /// mq's topic").
    #[error("message topic {message:?} differs from the queue's topic {queue:?}")]
    QueueTopicMismatch {
        /// The message's topic.
        message: String,
        /// The queue's topic.
        queue: String,
    },
}

/// Why a connection ended or could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TransportError {
    /// TCP connect failed (refused, unreachable, …).
    #[error("connect to {addr} failed: {reason}")]
    ConnectFailed {
        /// Remote address.
        addr: String,
        /// The OS error text.
        reason: String,
    },
    /// TCP connect did not complete in time.
    #[error("connect to {addr} timed out after {timeout:?}")]
    ConnectTimeout {
        /// Remote address.
        addr: String,
        /// The connect timeout.
        timeout: Duration,
    },
    /// The connection closed with the request in flight.
    #[error("connection to {addr} closed: {reason}")]
    ConnectionClosed {
        /// Remote address.
        addr: String,
        /// Why it closed.
        reason: CloseCause,
    },
    /// The peer sent bytes that are not a valid frame; the connection was closed.
    #[error("protocol violation from {addr}: {error}")]
    Protocol {
        /// Remote address.
        addr: String,
        /// The decode error.
        error: DecodeError,
    },
    /// No response arrived within the request's time budget.
    #[error("request to {addr} timed out after {waited:?}")]
    RequestTimeout {
        /// Remote address.
        addr: String,
        /// How long it waited.
        waited: Duration,
    },
    /// The peer answered with a frame the client could not interpret.
    #[error("bad response from {addr}: {reason}")]
    BadResponse {
        /// Remote address.
        addr: String,
        /// What was wrong.
        reason: String,
    },
}

/// Why a connection closed, when no more specific [`TransportError`] says it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CloseCause {
    /// The peer closed it (end of stream).
    #[error("closed by peer")]
    Peer,
    /// A read or write failed; the operating system's error text.
    #[error("{0}")]
    Io(String),
    /// The client closed it: the broker is in no cached route any more.
    #[error("broker left every route")]
    BrokerLeftRoutes,
}

/// A send failed; delivered in [`crate::Event::SendCompleted`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SendError {
    /// No name server address is configured.
    #[error("No name server address, please set it")]
    NoNameServer,
    /// The name servers know no route for the topic (nor the create-topic key).
    #[error("No route info of this topic: {topic}{}", detail(.cause))]
    NoRoute {
        /// Topic.
        topic: String,
        /// The last name server answer or failure.
        cause: Option<String>,
    },
    /// The broker answered with an error code.
    #[error("broker {broker} answered {code}: {remark}")]
    Broker {
        /// Broker name.
        broker: String,
        /// Response code.
        code: ResponseCode,
        /// Response remark.
        remark: String,
    },
    /// The request could not be delivered or answered.
    #[error("{broker}: {error}")]
    Transport {
        /// Broker name.
        broker: String,
        /// What went wrong.
        error: TransportError,
    },
    /// The send timeout ran out; it bounds all attempts together.
    #[error("send timed out after {attempts} attempt(s), cost [{elapsed:?}], Topic: {topic}, BrokersSent: {brokers:?}{}", last_cause(.last))]
    Timeout {
        /// Topic.
        topic: String,
        /// Attempts made.
        attempts: u32,
        /// Brokers tried, in order.
        brokers: Vec<String>,
        /// Time spent.
        elapsed: Duration,
        /// The last attempt's failure, if one failed before the deadline.
        last: Option<Box<Self>>,
    },
    /// Every allowed attempt failed.
    #[error("Send [{attempts}] times, still failed, cost [{elapsed:?}], Topic: {topic}, BrokersSent: {brokers:?}: {last}")]
    RetriesExhausted {
        /// Topic.
        topic: String,
        /// Attempts made.
        attempts: u32,
        /// Brokers tried, in order.
        brokers: Vec<String>,
        /// Time spent.
        elapsed: Duration,
        /// The last attempt's failure.
        last: Box<Self>,
    },
    /// The broker refused a 5.x timer message (code 13): its deliver time is not in the
    /// broker's future, or it lies beyond the broker's `timerMaxDelaySec` (3 days by default).
    #[error("broker {broker} refused the timer message ({delay:?}): {remark}")]
    TimerRejected {
        /// Broker name.
        broker: String,
        /// The delay the message asked for.
        delay: Option<Delay>,
        /// Response remark.
        remark: String,
    },
    /// A queue selector picked no queue of the topic (Java: "select message queue return
    /// null"); nothing was sent.
    #[error("the selector picked {picked:?} among the {queues} queues of {topic}")]
    Selector {
        /// Topic.
        topic: String,
        /// The topic's publish queues.
        queues: usize,
        /// What the selector returned.
        picked: Option<usize>,
    },
    /// The producer or client shut down before the send completed.
    #[error("the producer shut down before the send completed")]
    Shutdown,
    /// The request could not be encoded (a local failure: nothing was sent), e.g. a header
    /// over the frame format's 16 MiB.
    #[error("cannot encode the send request: {0}")]
    Encode(EncodeError),
    /// The send was refused before anything was sent: the caller misused the API.
    #[error(transparent)]
    Usage(#[from] UsageError),
}

fn detail(cause: &Option<String>) -> String {
    cause
        .as_ref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default()
}

fn last_cause(last: &Option<Box<SendError>>) -> String {
    last.as_ref()
        .map(|l| format!("; last: {l}"))
        .unwrap_or_default()
}

impl SendError {
    /// Returns the innermost cause: the last attempt's failure for wrapped errors.
    pub fn root_cause(&self) -> &Self {
        match self {
            Self::RetriesExhausted { last, .. } => last.root_cause(),
            Self::Timeout { last: Some(l), .. } => l.root_cause(),
            _ => self,
        }
    }

    /// Returns the broker response code of the root cause, if it is a broker error.
    pub fn broker_code(&self) -> Option<ResponseCode> {
        match self.root_cause() {
            Self::Broker { code, .. } => Some(*code),
            Self::TimerRejected { .. } => Some(ResponseCode::MESSAGE_ILLEGAL),
            _ => None,
        }
    }
}

/// Lets `?` and `Display` work on the boxed variants.
impl From<Box<Self>> for SendError {
    fn from(b: Box<Self>) -> Self {
        *b
    }
}

/// A consumer's request to a broker failed; delivered in the answer to a query
/// ([`crate::Event::QueryAnswered`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConsumerError {
    /// No broker address is known for the queue's broker.
    #[error("no address for broker {0}")]
    NoBroker(String),
    /// The broker answered with an error code.
    #[error("broker {broker} answered {code}: {remark}")]
    Broker {
        /// Broker name.
        broker: String,
        /// Response code.
        code: ResponseCode,
        /// Response remark.
        remark: String,
    },
    /// The request could not be delivered or answered.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A seek asked for an offset outside what the queue holds.
    #[error("seek offset {offset} is outside [{min}, {max}]")]
    OffsetOutOfRange {
        /// The offset asked for.
        offset: i64,
        /// The queue's smallest offset.
        min: i64,
        /// The queue's largest offset.
        max: i64,
    },
    /// The queue was unassigned (or the consumer shut down) before the answer.
    #[error("the queue is no longer assigned")]
    Unassigned,
    /// The operation was refused before anything was sent: the caller misused the API.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The consumer or its client instance shut down.
    #[error("the consumer shut down")]
    Shutdown,
    /// The name server knows no route for the topic (or did not answer in time).
    #[error("no route for topic {0}")]
    NoRoute(String),
}
