//! Deadlines of the client, ordered: the instance's periodic timers and request and connect
//! timeouts, and each role's own.

use std::collections::BTreeSet;
use std::time::Instant;

use crate::consumer::ConsumerTimer;
use crate::ids::ConnId;
use crate::producer::ProducerTimer;

/// What a deadline is for. Deadlines due at the same instant fire in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TimerKey {
    /// Refresh routes of topics in use.
    RouteRefresh,
    /// Heartbeat every broker.
    Heartbeat,
    /// Give up waiting for unregister replies at shutdown.
    Shutdown,
    /// A producer's deadline.
    Producer(ProducerTimer),
    /// A consumer's deadline.
    Consumer(ConsumerTimer),
    /// A request's timeout, by opaque.
    Request(i32),
    /// A connect attempt's timeout.
    Connect(ConnId),
}

/// An ordered set of `(deadline, key)`.
#[derive(Debug, Default)]
pub(crate) struct Timers(BTreeSet<(Instant, TimerKey)>);

impl Timers {
    pub(crate) fn set(&mut self, at: Instant, key: TimerKey) {
        self.0.insert((at, key));
    }

    pub(crate) fn cancel(&mut self, at: Instant, key: TimerKey) {
        self.0.remove(&(at, key));
    }

    /// Replaces any deadline of a periodic key.
    pub(crate) fn reset_periodic(&mut self, at: Instant, key: TimerKey) {
        self.0.retain(|(_, k)| *k != key);
        self.0.insert((at, key));
    }

    pub(crate) fn next(&self) -> Option<Instant> {
        self.0.first().map(|(t, _)| *t)
    }

    /// Removes and returns the earliest deadline at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<TimerKey> {
        let &(t, k) = self.0.first()?;
        if t > now {
            return None;
        }
        self.0.pop_first();
        Some(k)
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether a key is armed, at whatever time.
    pub(crate) fn contains_key(&self, key: TimerKey) -> bool {
        self.0.iter().any(|(_, k)| *k == key)
    }
}
