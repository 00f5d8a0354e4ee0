//! Message listeners at work: each delivery runs as a task of its own on the runtime's
//! executor (never on the driver's task); a panic counts as "reconsume later", a revoked
//! delivery's task is cancelled at its next await, and a task dropped unfinished answers
//! "reconsume later" too, so every delivery gets its one answer.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::message::MessageExt;

use super::inbox::{Command, Inbox};
use super::wake::keep_waker;
use super::{Runtime, Task};
use crate::consumer::{ConsumeResult, Delivery};
use crate::ids::DeliveryId;

/// What a listener's future resolves to.
pub type ListenerFuture = Pin<Box<dyn Future<Output = ConsumeResult> + Send + 'static>>;

/// Where a delivery's messages come from, for the listener (Java's consume context).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumeContext {
    /// The queue the messages come from.
    pub queue: MessageQueue,
    /// Whether this is an orderly delivery: the queue's next waits for this answer.
    pub orderly: bool,
    /// The delivery's id.
    pub delivery: DeliveryId,
}

/// A consumer's message listener (Java `MessageListenerConcurrently` /
/// `MessageListenerOrderly`): consumes a delivery's messages and says how it went.
///
/// Any `Fn(Arc<[MessageExt]>, ConsumeContext) -> impl Future<Output = ConsumeResult>` is one.
/// Up to the consumer's `consume_thread_max` run at once, each as a task of its own; a
/// panicking listener counts as [`ConsumeResult::Later`] and is logged.
pub trait MessageListener: Send + Sync + 'static {
    /// Consumes the messages of one delivery.
    fn consume(&self, messages: Arc<[MessageExt]>, context: ConsumeContext) -> ListenerFuture;
}

impl<F, Fut> MessageListener for F
where
    F: Fn(Arc<[MessageExt]>, ConsumeContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ConsumeResult> + Send + 'static,
{
    fn consume(&self, messages: Arc<[MessageExt]>, context: ConsumeContext) -> ListenerFuture {
        Box::pin(self(messages, context))
    }
}

/// A flag that cancels a running listener task at its next poll.
#[derive(Default)]
pub(crate) struct Cancel {
    cancelled: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Cancel {
    /// Cancels the task and wakes it so that it sees it.
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        let waker = self
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Spawns a delivery's listener; returns its cancel flag.
pub(crate) fn spawn_delivery<R: Runtime>(
    rt: &R,
    inbox: &Inbox,
    listener: &Arc<dyn MessageListener>,
    d: Delivery,
) -> Arc<Cancel> {
    let cancel = Arc::new(Cancel::default());
    let context = ConsumeContext {
        queue: d.queue,
        orderly: d.orderly,
        delivery: d.id,
    };
    let future = listener.consume(d.messages, context);
    let answer = Answer {
        inbox: Some(inbox.clone()),
        delivery: d.id,
    };
    rt.spawn_task(task(future, cancel.clone(), answer));
    cancel
}

/// Runs `future`, answering through `answer` (a panic is "later"), unless cancelled.
fn task(future: ListenerFuture, cancel: Arc<Cancel>, answer: Answer) -> Task {
    Box::pin(async move {
        let outcome = Guarded { future, cancel }.await;
        match outcome {
            Outcome::Done(result) => answer.send(result),
            Outcome::Panicked => {
                tracing::error!(
                    delivery = answer.delivery.0,
                    "message listener panicked; reconsume later"
                );
                answer.send(ConsumeResult::Later { delay_level: 0 });
            }
            // Revoked: no answer is wanted.
            Outcome::Cancelled => answer.forget(),
        }
    })
}

/// Runs a listener future to its end; `None` if it panicked.
pub(crate) async fn caught(future: ListenerFuture) -> Option<ConsumeResult> {
    let guarded = Guarded {
        future,
        cancel: Arc::default(),
    };
    match guarded.await {
        Outcome::Done(r) => Some(r),
        Outcome::Panicked | Outcome::Cancelled => None,
    }
}

/// Sends a delivery's answer once; dropped unsent (the task was dropped), it answers later.
struct Answer {
    inbox: Option<Inbox>,
    delivery: DeliveryId,
}

impl Answer {
    fn send(mut self, result: ConsumeResult) {
        self.push(result);
    }

    /// Sends nothing, now or when dropped.
    fn forget(mut self) {
        self.inbox = None;
    }

    fn push(&mut self, result: ConsumeResult) {
        if let Some(inbox) = self.inbox.take() {
            inbox.push(Command::Consumed {
                delivery: self.delivery,
                result,
            });
        }
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        self.push(ConsumeResult::Later { delay_level: 0 });
    }
}

enum Outcome {
    Done(ConsumeResult),
    Panicked,
    Cancelled,
}

/// A listener future that catches its panics and stops when cancelled.
struct Guarded {
    future: ListenerFuture,
    cancel: Arc<Cancel>,
}

impl Future for Guarded {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        if self.cancel.cancelled.load(Ordering::Acquire) {
            return Poll::Ready(Outcome::Cancelled);
        }
        keep_waker(
            &mut self
                .cancel
                .waker
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            cx.waker(),
        );
        let this = &mut *self;
        match std::panic::catch_unwind(AssertUnwindSafe(|| this.future.as_mut().poll(cx))) {
            Ok(Poll::Ready(r)) => Poll::Ready(Outcome::Done(r)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Outcome::Panicked),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};

    use super::{task, Answer, Cancel, ListenerFuture};
    use crate::consumer::ConsumeResult;
    use crate::driver::inbox::{Command, Inbox};
    use crate::ids::DeliveryId;

    fn answers(inbox: &Inbox) -> Vec<(u64, ConsumeResult)> {
        let mut out = std::collections::VecDeque::new();
        inbox.drain(Waker::noop(), &mut out);
        out.into_iter()
            .filter_map(|c| match c {
                Command::Consumed { delivery, result } => Some((delivery.0, result)),
                _ => None,
            })
            .collect()
    }

    fn run(future: ListenerFuture, cancel: Arc<Cancel>, inbox: &Inbox) -> Poll<()> {
        let answer = Answer {
            inbox: Some(inbox.clone()),
            delivery: DeliveryId(7),
        };
        let mut t = pin!(task(future, cancel, answer));
        t.as_mut().poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn a_result_is_sent_once_and_a_panic_is_later() {
        let inbox = Inbox::default();
        let ok: ListenerFuture = Box::pin(async { ConsumeResult::Success });
        assert!(run(ok, Arc::default(), &inbox).is_ready());
        let boom: ListenerFuture = Box::pin(async { panic!("listener bug") });
        assert!(run(boom, Arc::default(), &inbox).is_ready());
        assert_eq!(
            answers(&inbox),
            [
                (7, ConsumeResult::Success),
                (7, ConsumeResult::Later { delay_level: 0 })
            ]
        );
    }

    #[test]
    fn a_cancelled_task_answers_nothing_and_a_dropped_one_answers_later() {
        let inbox = Inbox::default();
        let cancel = Arc::new(Cancel::default());
        let never: ListenerFuture = Box::pin(std::future::pending());
        let answer = Answer {
            inbox: Some(inbox.clone()),
            delivery: DeliveryId(1),
        };
        let mut t = Box::pin(task(never, cancel.clone(), answer));
        assert!(t
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending());
        cancel.cancel();
        assert!(t
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_ready());
        assert!(
            answers(&inbox).is_empty(),
            "a revoked delivery gets no answer"
        );
        let never: ListenerFuture = Box::pin(std::future::pending());
        let _ = run(never, Arc::default(), &inbox);
        assert_eq!(
            answers(&inbox),
            [(7, ConsumeResult::Later { delay_level: 0 })]
        );
    }
}
