//! What the client asks of its driver and tells its application.

use std::time::Instant;

use bytes::Bytes;

use std::collections::BTreeMap;

use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::message::MessageExt;

use crate::consumer::Delivery;
use crate::error::{ConsumerError, SendError, TransportError};
use crate::ids::{ConnId, ConsumerId, DeliveryId, DirectId, QueryId, SendId};
use crate::producer::SendResult;

/// A connection the driver must open or close.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum ConnCommand {
    /// Connect to `addr` (`host:port`); report with `handle_connected` or `handle_closed`.
    Open {
        /// The connection's id.
        conn: ConnId,
        /// Where to connect.
        addr: String,
    },
    /// Close the connection (or abandon the connect attempt); no report is expected.
    Close {
        /// The connection's id.
        conn: ConnId,
    },
}

/// Bytes to write to a connection, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Transmit {
    /// The connection.
    pub conn: ConnId,
    /// Whole frames, coalesced.
    pub data: Bytes,
}

/// Reading a connection may wait so that the answers due soon are read together (see
/// [batching](crate#batching)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadPause {
    /// When reading resumes at the latest.
    pub until: Instant,
    /// The bytes of the answers due by then: a driver that can have the socket report
    /// readable only once this many bytes wait (`SO_RCVLOWAT`) may read as soon as they do.
    pub low_water: usize,
}

/// Why a connection closed, as the driver reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The connect attempt failed.
    ConnectFailed(String),
    /// The peer closed the connection (EOF).
    PeerClosed,
    /// A read or write failed.
    Io(String),
}

/// What happened, for the application.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A sync or async send finished; exactly one per accepted send.
    SendCompleted {
        /// The send.
        id: SendId,
        /// Its outcome.
        result: Result<SendResult, SendError>,
    },
    /// A oneway send was handed to a socket, or failed before; exactly one per oneway send.
    OnewayCompleted {
        /// The send.
        id: SendId,
        /// Its outcome.
        result: Result<(), SendError>,
    },
    /// A topic's route changed.
    RouteUpdated {
        /// The topic.
        topic: String,
    },
    /// A connection was lost; requests in flight on it failed.
    ConnectionLost {
        /// The remote address.
        addr: String,
        /// Why: the peer closed it or misbehaved, a read or write failed, or the client
        /// closed it (a request timed out on a silent connection, the broker left every route).
        reason: TransportError,
    },
    /// The client finished shutting down: nothing is pending and every connection is closed.
    ShutdownComplete,
    /// Messages for the application to consume; answer with
    /// [`Client::consume_result`](crate::Client::consume_result) once, unless
    /// [`DeliveryRevoked`](Self::DeliveryRevoked) comes first.
    Deliver(Delivery),
    /// A delivery's queue was taken away (rebalance, reset, shutdown): its answer is no
    /// longer wanted (it is ignored if it comes) and its messages will be delivered again,
    /// maybe to another member of the group.
    DeliveryRevoked {
        /// The consumer.
        consumer: ConsumerId,
        /// The delivery.
        delivery: DeliveryId,
    },
    /// The queues of a topic held by a consumer changed.
    QueuesChanged {
        /// The consumer.
        consumer: ConsumerId,
        /// The topic.
        topic: String,
        /// The queues it now holds of the topic.
        queues: Vec<MessageQueue>,
    },
    /// A broadcasting consumer's offsets to write to its local file (Java `offsets.json`,
    /// the whole file's contents).
    PersistOffsets {
        /// The consumer.
        consumer: ConsumerId,
        /// Its group.
        group: String,
        /// Every offset the file should hold.
        offsets: BTreeMap<MessageQueue, i64>,
    },
    /// A lite pull consumer has messages to poll.
    Pollable {
        /// The consumer.
        consumer: ConsumerId,
    },
    /// A consumer's query (seek, offset bound, committed offset) was answered.
    QueryAnswered {
        /// The query.
        query: QueryId,
        /// The offset, or why there is none.
        result: Result<i64, ConsumerError>,
    },
    /// A broker asks to consume one message outside the queues (CONSUME_MESSAGE_DIRECTLY,
    /// an admin tool's request); answer with
    /// [`Client::answer_directly`](crate::Client::answer_directly).
    ConsumeDirectly {
        /// The request.
        request: DirectId,
        /// The consumer asked.
        consumer: ConsumerId,
        /// The message.
        message: MessageExt,
    },
    /// A consumer has shut down: offsets persisted, locks released, group unregistered.
    ConsumerShutdown {
        /// The consumer.
        consumer: ConsumerId,
    },
}
