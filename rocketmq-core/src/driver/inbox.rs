//! Commands from producer and consumer handles (and listener tasks) to their instance's
//! driver.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Waker;
use std::time::Duration;

use std::path::PathBuf;
use std::time::Instant;

use rocketmq_proto::body::{ConsumeMessageDirectlyResult, MessageQueue};
use rocketmq_proto::message::MessageExt;

use super::listener::MessageListener;
use crate::config::ProducerConfig;
use crate::consumer::config::ConsumerConfig;
use crate::consumer::{ConsumeResult, Selector};
use crate::error::{ConsumerError, SendError, UsageError};
use crate::ids::{ConsumerId, DeliveryId, DirectId, ProducerId};
use crate::producer::{SendOptions, SendResult, SendTarget};
use crate::Message;

use super::oneshot::Sender;
use super::wake::keep_waker;

/// What a handle asks of the driver.
pub(crate) enum Command {
    CreateProducer {
        config: ProducerConfig,
        expected: ProducerId,
    },
    Start {
        producer: ProducerId,
        reply: Sender<Result<(), UsageError>>,
    },
    Send {
        producer: ProducerId,
        msg: Message,
        opts: SendOptions,
        reply: Sender<Result<SendResult, SendError>>,
    },
    Oneway {
        producer: ProducerId,
        msg: Message,
        timeout: Option<Duration>,
        reply: Sender<Result<(), SendError>>,
    },
    Shutdown {
        producer: ProducerId,
        reply: Option<Sender<()>>,
    },
    /// A send to a queue or a selector's pick (boxed: plain sends keep a small command).
    SendTo(Box<SendTo>),
    /// A batch, to a queue when given.
    SendBatch(Box<SendBatch>),
    CreateConsumer(Box<NewConsumer>),
    Consumer {
        consumer: ConsumerId,
        op: ConsumerOp,
    },
    /// A listener's answer to a delivery.
    Consumed {
        delivery: DeliveryId,
        result: ConsumeResult,
    },
    /// A listener's answer to a direct-consume request.
    Directed {
        request: DirectId,
        result: ConsumeMessageDirectlyResult,
    },
}

/// A send to a queue or a selector's pick.
pub(crate) struct SendTo {
    pub(crate) producer: ProducerId,
    pub(crate) msg: Message,
    pub(crate) opts: SendOptions,
    pub(crate) target: SendTarget,
    pub(crate) reply: SendReply,
}

/// A batch, to a queue when given.
pub(crate) struct SendBatch {
    pub(crate) producer: ProducerId,
    pub(crate) msgs: Vec<Message>,
    pub(crate) opts: SendOptions,
    pub(crate) queue: Option<MessageQueue>,
    pub(crate) reply: Sender<Result<SendResult, SendError>>,
}

/// Where a send's outcome goes: a result, or (oneway) only whether it was written.
pub(crate) enum SendReply {
    Result(Sender<Result<SendResult, SendError>>),
    Oneway(Sender<Result<(), SendError>>),
}

/// A consumer to create in the instance.
pub(crate) struct NewConsumer {
    pub(crate) config: ConsumerConfig,
    pub(crate) subscriptions: Vec<(String, String, Selector)>,
    pub(crate) listener: Option<Arc<dyn MessageListener>>,
    /// Broadcasting: the local offsets file.
    pub(crate) offsets_file: Option<PathBuf>,
    pub(crate) expected: ConsumerId,
}

/// What a consumer handle asks of the driver.
pub(crate) enum ConsumerOp {
    Start(Sender<Result<(), UsageError>>),
    Shutdown(Option<Sender<()>>),
    Subscribe {
        topic: String,
        expression: String,
        selector: Selector,
        reply: Sender<Result<(), UsageError>>,
    },
    Unsubscribe(String),
    Assign(Vec<MessageQueue>, Sender<Result<(), UsageError>>),
    Assignment(Sender<Vec<MessageQueue>>),
    /// Lite pull: up to `max` messages, waiting until `deadline` for some.
    Poll {
        max: usize,
        deadline: Instant,
        reply: Sender<Result<Vec<MessageExt>, UsageError>>,
    },
    Commit {
        sync: bool,
        reply: Sender<Result<(), UsageError>>,
    },
    Query(QueryOp, Sender<Result<i64, ConsumerError>>),
    Pause(Vec<MessageQueue>, bool, Sender<Result<(), UsageError>>),
    Suspend(bool),
    /// The topic's queues, waiting until `deadline` for its route.
    FetchQueues {
        topic: String,
        deadline: Instant,
        reply: Sender<Result<Vec<MessageQueue>, ConsumerError>>,
    },
}

/// A lite consumer's question that needs a broker's answer.
pub(crate) enum QueryOp {
    Committed(MessageQueue),
    Seek(MessageQueue, i64),
    SeekToBegin(MessageQueue),
    SeekToEnd(MessageQueue),
    ForTimestamp(MessageQueue, i64),
    Min(MessageQueue),
    Max(MessageQueue),
}

#[derive(Default)]
struct State {
    queue: VecDeque<Command>,
    waker: Option<Waker>,
    /// Every handle is gone: shut the instance down.
    orphaned: bool,
    /// The driver has finished: refuse new commands.
    dead: bool,
}

/// A command queue that wakes the driver.
#[derive(Clone, Default)]
pub(crate) struct Inbox(Arc<Mutex<State>>);

impl Inbox {
    /// Queues a command; returns false (dropping it) if the driver has finished.
    pub(crate) fn push(&self, cmd: Command) -> bool {
        let waker = {
            let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            if s.dead {
                return false;
            }
            s.queue.push_back(cmd);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// Takes every queued command and registers the driver's waker.
    pub(crate) fn drain(&self, waker: &Waker, out: &mut VecDeque<Command>) -> bool {
        let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if out.is_empty() {
            // The usual case: trade buffers instead of moving each command.
            std::mem::swap(out, &mut s.queue);
        } else {
            out.append(&mut s.queue);
        }
        keep_waker(&mut s.waker, waker);
        s.orphaned
    }

    /// Marks that no handle is left.
    pub(crate) fn orphan(&self) {
        let waker = {
            let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            s.orphaned = true;
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Marks the driver finished and returns what was still queued (to be dropped).
    pub(crate) fn kill(&self) -> VecDeque<Command> {
        let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        s.dead = true;
        std::mem::take(&mut s.queue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shutdown(n: u32) -> Command {
        Command::Shutdown {
            producer: ProducerId(n),
            reply: None,
        }
    }

    fn producers(q: &VecDeque<Command>) -> Vec<u32> {
        q.iter()
            .map(|c| match c {
                Command::Shutdown { producer, .. } => producer.0,
                _ => u32::MAX,
            })
            .collect()
    }

    #[test]
    fn drain_keeps_the_order_of_queued_commands_after_those_not_yet_handled() {
        let inbox = Inbox::default();
        let waker = Waker::noop();
        let mut out = VecDeque::new();
        inbox.push(shutdown(1));
        inbox.push(shutdown(2));
        inbox.drain(waker, &mut out);
        assert_eq!(producers(&out), [1, 2]);
        inbox.push(shutdown(3));
        inbox.drain(waker, &mut out);
        assert_eq!(producers(&out), [1, 2, 3]);
        out.clear();
        inbox.push(shutdown(4));
        inbox.drain(waker, &mut out);
        assert_eq!(producers(&out), [4]);
        inbox.drain(waker, &mut out);
        assert_eq!(producers(&out), [4]);
    }
}
