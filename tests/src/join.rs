//! `join_all` without an executor: run many futures concurrently inside one task.
//!
//! Each future gets its own waker, so a wake-up polls only the futures that were woken, as an
//! executor would; polling all of them on every wake-up would cost O(futures) per reply.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

/// What the futures' wakers share: which were woken since the last poll, and the task.
struct Shared {
    woken: Mutex<Vec<usize>>,
    task: Mutex<Option<Waker>>,
}

/// The waker of future `index`; `queued` keeps it in `woken` at most once.
struct Child {
    index: usize,
    queued: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for Child {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        lock(&self.shared.woken).push(self.index);
        let task = lock(&self.shared.task).clone();
        if let Some(t) = task {
            t.wake();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs every future to completion concurrently and returns their outputs in order.
pub async fn join_all<F: Future>(futs: Vec<F>) -> Vec<F::Output> {
    let n = futs.len();
    let mut futs: Vec<Pin<Box<F>>> = futs.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futs.iter().map(|_| None).collect();
    let shared = Arc::new(Shared {
        // Every future is polled once first.
        woken: Mutex::new((0..n).rev().collect()),
        task: Mutex::new(None),
    });
    let children: Vec<Arc<Child>> = (0..n)
        .map(|index| {
            Arc::new(Child {
                index,
                queued: AtomicBool::new(true),
                shared: shared.clone(),
            })
        })
        .collect();
    let wakers: Vec<Waker> = children.iter().cloned().map(Waker::from).collect();
    let mut done = 0;
    let mut batch = Vec::new();
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        {
            let mut task = lock(&shared.task);
            if !task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
                *task = Some(cx.waker().clone());
            }
        }
        loop {
            std::mem::swap(&mut batch, &mut *lock(&shared.woken));
            if batch.is_empty() {
                break;
            }
            while let Some(i) = batch.pop() {
                children[i].queued.store(false, Ordering::Release);
                if out[i].is_some() {
                    continue;
                }
                let mut child_cx = Context::from_waker(&wakers[i]);
                if let Poll::Ready(v) = futs[i].as_mut().poll(&mut child_cx) {
                    out[i] = Some(v);
                    done += 1;
                }
            }
        }
        if done < n {
            Poll::Pending
        } else {
            Poll::Ready(out.iter_mut().map(|o| o.take().expect("ready")).collect())
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::join_all;
    use std::cell::Cell;
    use std::future::Future;
    use std::pin::Pin;
    use std::rc::Rc;
    use std::task::{Context, Poll, Waker};

    /// Pending until `ready` is set; counts its polls; wakes through the waker it was given.
    struct Gate {
        ready: Rc<Cell<bool>>,
        polls: Rc<Cell<u32>>,
        waker: Rc<Cell<Option<Waker>>>,
    }

    impl Future for Gate {
        type Output = u32;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            self.polls.set(self.polls.get() + 1);
            if self.ready.get() {
                return Poll::Ready(self.polls.get());
            }
            self.waker.set(Some(cx.waker().clone()));
            Poll::Pending
        }
    }

    /// A gate's controls: its ready flag, its poll count, the waker it was last polled with.
    type Probe = (Rc<Cell<bool>>, Rc<Cell<u32>>, Rc<Cell<Option<Waker>>>);

    #[test]
    fn polls_only_the_woken_future_and_keeps_order() {
        let gates: Vec<Probe> = (0..3)
            .map(|_| {
                (
                    Rc::new(Cell::new(false)),
                    Rc::new(Cell::new(0)),
                    Rc::new(Cell::new(None::<Waker>)),
                )
            })
            .collect();
        let futs = gates
            .iter()
            .map(|(r, p, w)| Gate {
                ready: r.clone(),
                polls: p.clone(),
                waker: w.clone(),
            })
            .collect();
        let mut all = Box::pin(join_all(futs));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(all.as_mut().poll(&mut cx).is_pending());
        let polls = |g: &[Probe]| -> Vec<u32> { g.iter().map(|x| x.1.get()).collect() };
        assert_eq!(polls(&gates), [1, 1, 1]);
        // Wake the middle one: only it is polled again.
        gates[1].0.set(true);
        gates[1].2.take().expect("waker").wake();
        assert!(all.as_mut().poll(&mut cx).is_pending());
        assert_eq!(polls(&gates), [1, 2, 1]);
        // A poll with nothing woken polls nothing.
        assert!(all.as_mut().poll(&mut cx).is_pending());
        assert_eq!(polls(&gates), [1, 2, 1]);
        for g in [&gates[0], &gates[2]] {
            g.0.set(true);
            g.2.take().expect("waker").wake();
        }
        match all.as_mut().poll(&mut cx) {
            Poll::Ready(v) => assert_eq!(v, [2, 2, 2]),
            Poll::Pending => panic!("all three are ready"),
        }
    }
}
