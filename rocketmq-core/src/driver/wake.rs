//! Per-connection read wakers, so a turn reads only the sockets that reported data, and the
//! timer's waker, so an armed timer needs no polling until it fires.
//!
//! Each open connection registers its own waker for reads. When the runtime reports the socket
//! readable, that waker marks the connection and wakes the driver task; the next turn then
//! polls the marked connections only, whatever the number of connections.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Wake, Waker};

/// Stores `waker` in `slot`, keeping the stored one when it wakes the same task
/// (`Waker::clone_from` checks `will_wake`).
pub(crate) fn keep_waker(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(w) => w.clone_from(waker),
        None => *slot = Some(waker.clone()),
    }
}

/// The driver task's latest waker, shared by every connection's read waker.
#[derive(Default)]
pub(crate) struct TaskWaker(Mutex<Option<Waker>>);

impl TaskWaker {
    /// Keeps `waker` as the one to wake (a no-op when it wakes the same task).
    pub(crate) fn register(&self, waker: &Waker) {
        keep_waker(
            &mut self.0.lock().unwrap_or_else(PoisonError::into_inner),
            waker,
        );
    }

    fn wake_task(&self) {
        let slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(w) = slot.as_ref() {
            w.wake_by_ref();
        }
    }
}

/// As a waker (the timer's), it wakes the driver task's latest waker.
impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_task();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wake_task();
    }
}

struct ReadFlag {
    ready: AtomicBool,
    task: Arc<TaskWaker>,
}

impl Wake for ReadFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.store(true, Ordering::Release);
        self.task.wake_task();
    }
}

/// One connection's read readiness and the waker that reports it.
pub(crate) struct ReadSide {
    flag: Arc<ReadFlag>,
    waker: Waker,
}

impl ReadSide {
    /// A new side, marked ready so the first turn polls it (and registers its waker).
    pub(crate) fn new(task: &Arc<TaskWaker>) -> Self {
        let flag = Arc::new(ReadFlag {
            ready: AtomicBool::new(true),
            task: task.clone(),
        });
        Self {
            waker: Waker::from(flag.clone()),
            flag,
        }
    }

    /// Whether the socket may have data; clears the mark.
    pub(crate) fn take_ready(&self) -> bool {
        self.flag.ready.swap(false, Ordering::Acquire)
    }

    /// Marks the socket to be read on the next turn (its read budget ran out).
    pub(crate) fn mark_ready(&self) {
        self.flag.ready.store(true, Ordering::Release);
    }

    /// The waker to poll reads with.
    pub(crate) fn waker(&self) -> &Waker {
        &self.waker
    }
}

/// A waker for tests that counts its wake-ups.
#[cfg(test)]
pub(crate) struct Count(pub(crate) std::sync::atomic::AtomicUsize);

#[cfg(test)]
impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn a_read_wake_marks_its_side_and_wakes_the_task() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let task = Arc::new(TaskWaker::default());
        task.register(&Waker::from(count.clone()));
        let (a, b) = (ReadSide::new(&task), ReadSide::new(&task));
        assert!(a.take_ready() && b.take_ready(), "new sides start ready");
        assert!(!a.take_ready() && !b.take_ready());
        a.waker().wake_by_ref();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(a.take_ready());
        assert!(!b.take_ready(), "only the woken side is marked");
        b.mark_ready();
        assert!(b.take_ready());
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "marking does not wake");
    }
}
