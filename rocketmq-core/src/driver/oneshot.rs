//! A std-only one-shot channel: one value from the driver to one waiting task.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use super::wake::keep_waker;

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
    closed: bool,
}

/// Sends the one value (the slot is `None` once sent, so that dropping it then costs nothing).
pub(crate) struct Sender<T>(Option<Arc<Mutex<Slot<T>>>>);

/// Resolves to the value, or `None` if the sender was dropped without sending.
pub(crate) struct Receiver<T>(Arc<Mutex<Slot<T>>>);

pub(crate) fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        waker: None,
        closed: false,
    }));
    (Sender(Some(slot.clone())), Receiver(slot))
}

impl<T> Sender<T> {
    pub(crate) fn send(mut self, value: T) {
        if let Some(slot) = self.0.take() {
            fill(&slot, Some(value));
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            fill(&slot, None);
        }
    }
}

/// Closes the slot, with the value when there is one, and wakes the receiver.
fn fill<T>(slot: &Mutex<Slot<T>>, value: Option<T>) {
    let waker = {
        let mut s = slot.lock().unwrap_or_else(PoisonError::into_inner);
        s.value = value;
        s.closed = true;
        s.waker.take()
    };
    if let Some(w) = waker {
        w.wake();
    }
}

impl<T> Future for Receiver<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(v) = s.value.take() {
            return Poll::Ready(Some(v));
        }
        if s.closed {
            return Poll::Ready(None);
        }
        keep_waker(&mut s.waker, cx.waker());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::super::wake::Count;
    use super::*;

    fn poll<T>(rx: &mut Receiver<T>, count: &Arc<Count>) -> Poll<Option<T>> {
        let waker = Waker::from(count.clone());
        Pin::new(rx).poll(&mut Context::from_waker(&waker))
    }

    #[test]
    fn a_sent_value_wakes_the_receiver_once_and_is_received() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let (tx, mut rx) = channel();
        assert_eq!(poll(&mut rx, &count), Poll::Pending);
        tx.send(7);
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "one wake for send and drop"
        );
        assert_eq!(poll(&mut rx, &count), Poll::Ready(Some(7)));
    }

    #[test]
    fn a_dropped_sender_wakes_the_receiver_with_nothing() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let (tx, mut rx) = channel::<u8>();
        assert_eq!(poll(&mut rx, &count), Poll::Pending);
        drop(tx);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(poll(&mut rx, &count), Poll::Ready(None));
    }
}
