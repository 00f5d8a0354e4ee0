//! Per-connection read wakers, so a turn reads only the sockets that reported data.
//!
//! Each open connection registers its own waker for reads. When the runtime reports the socket
//! readable, that waker marks the connection and wakes the driver task; the next turn then
//! polls the marked connections only, whatever the number of connections.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Wake, Waker};

/// The driver task's latest waker, shared by every connection's read waker.
#[derive(Default)]
pub(crate) struct TaskWaker(Mutex<Option<Waker>>);

impl TaskWaker {
    /// Keeps `waker` as the one to wake (a no-op when it wakes the same task).
    pub(crate) fn register(&self, waker: &Waker) {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }

    fn wake(&self) {
        let slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(w) = slot.as_ref() {
            w.wake_by_ref();
        }
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
        self.task.wake();
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

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
