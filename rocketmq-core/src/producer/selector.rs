//! Ordered sends: where a send goes ([`SendTarget`]) and Java's queue selectors
//! (`MessageQueueSelector`: by hash of the argument, random, round robin) plus your own.
//!
//! A targeted send makes one attempt on its queue and never hops to another queue (Java's
//! `send(msg, mq)` and `send(msg, selector, arg)`): order within a queue is kept at the price
//! of availability. An async one retries transport failures on the same queue
//! (`retryTimesWhenSendAsyncFailed`); the send timeout still bounds everything.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rocketmq_proto::body::MessageQueue;
use rocketmq_proto::message::Message;

/// Picks the queue of a send from its topic's publish queues (Java `MessageQueueSelector`).
///
/// Called once per send, when the topic's queues are known, with the message as the
/// application gave it. Return the index of the chosen queue in `queues`; `None` (or an
/// index out of range) fails the send with [`SendError::Selector`](crate::SendError::Selector).
pub trait MessageQueueSelector<A: ?Sized>: Send + Sync {
    /// Returns the index in `queues` of the queue `msg` goes to, given `arg`.
    fn select(&self, queues: &[MessageQueue], msg: &Message, arg: &A) -> Option<usize>;
}

impl<A: ?Sized, S: MessageQueueSelector<A> + ?Sized> MessageQueueSelector<A> for std::sync::Arc<S> {
    fn select(&self, queues: &[MessageQueue], msg: &Message, arg: &A) -> Option<usize> {
        (**self).select(queues, msg, arg)
    }
}

impl<A: ?Sized, S: MessageQueueSelector<A> + ?Sized> MessageQueueSelector<A> for &S {
    fn select(&self, queues: &[MessageQueue], msg: &Message, arg: &A) -> Option<usize> {
        (**self).select(queues, msg, arg)
    }
}

/// Java's `hashCode()` of a selector argument, so that Rust and Java producers hashing the
/// same key pick the same queue.
pub trait JavaHashCode {
    /// Returns the value Java's `hashCode()` gives the equivalent Java object.
    fn java_hash_code(&self) -> i32;
}

impl JavaHashCode for str {
    /// `String.hashCode`: `s[0]·31^(n−1) + … + s[n−1]` over UTF-16 units, wrapping.
    fn java_hash_code(&self) -> i32 {
        self.encode_utf16()
            .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)))
    }
}

impl JavaHashCode for String {
    fn java_hash_code(&self) -> i32 {
        self.as_str().java_hash_code()
    }
}

impl<T: JavaHashCode + ?Sized> JavaHashCode for &T {
    fn java_hash_code(&self) -> i32 {
        (**self).java_hash_code()
    }
}

macro_rules! int_hash {
    ($($t:ty),*) => {$(
        impl JavaHashCode for $t {
            /// `Integer.hashCode` (the value) for 32 bits and less.
            fn java_hash_code(&self) -> i32 {
                *self as i32
            }
        }
    )*};
}
int_hash!(i8, i16, i32, u8, u16, u32);

macro_rules! long_hash {
    ($($t:ty),*) => {$(
        impl JavaHashCode for $t {
            /// `Long.hashCode`: `(int)(v ^ (v >>> 32))`.
            fn java_hash_code(&self) -> i32 {
                let v = *self as u64;
                (v ^ (v >> 32)) as i32
            }
        }
    )*};
}
long_hash!(i64, u64, usize);

/// The queue index Java's `SelectMessageQueueByHash` picks for an argument hashing to
/// `hash`: `abs(hash % n)`.
pub fn hash_index(hash: i32, n: usize) -> Option<usize> {
    let n = i32::try_from(n).ok().filter(|&n| n > 0)?;
    Some((hash % n).unsigned_abs() as usize)
}

/// Java `SelectMessageQueueByHash`: the argument's Java hash code modulo the queue count.
#[derive(Clone, Copy, Debug, Default)]
pub struct SelectByHash;

impl<A: JavaHashCode + ?Sized> MessageQueueSelector<A> for SelectByHash {
    fn select(&self, queues: &[MessageQueue], _: &Message, arg: &A) -> Option<usize> {
        hash_index(arg.java_hash_code(), queues.len())
    }
}

/// Java `SelectMessageQueueByRandom`: a uniformly drawn queue; the argument is ignored.
pub struct SelectByRandom(AtomicU64);

impl SelectByRandom {
    /// Draws from a generator started at `seed` (reproducible choices).
    pub fn new(seed: u64) -> Self {
        Self(AtomicU64::new(seed))
    }

    fn next(&self) -> u64 {
        // SplitMix64 on an atomic counter: safe to share between tasks.
        let mut z = (self.0)
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Default for SelectByRandom {
    /// Seeded from std's per-process random hash keys (not the client's seeded generator:
    /// the selector belongs to the application).
    fn default() -> Self {
        Self::new(RandomState::new().hash_one(0x5EED_u64))
    }
}

impl fmt::Debug for SelectByRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SelectByRandom")
    }
}

impl<A: ?Sized> MessageQueueSelector<A> for SelectByRandom {
    fn select(&self, queues: &[MessageQueue], _: &Message, _: &A) -> Option<usize> {
        let n = u64::try_from(queues.len()).ok().filter(|&n| n > 0)?;
        // Multiply-shift: uniform enough for a handful of queues, no division.
        Some(((u128::from(self.next()) * u128::from(n)) >> 64) as usize)
    }
}

/// Round robin over the topic's queues, one counter shared by every send through this
/// selector (share it with an `Arc` or a reference); the argument is ignored.
#[derive(Debug, Default)]
pub struct SelectByRoundRobin(AtomicUsize);

impl SelectByRoundRobin {
    /// Starts at the first queue.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<A: ?Sized> MessageQueueSelector<A> for SelectByRoundRobin {
    fn select(&self, queues: &[MessageQueue], _: &Message, _: &A) -> Option<usize> {
        let n = queues.len();
        (n > 0).then(|| self.0.fetch_add(1, Ordering::Relaxed) % n)
    }
}

/// A selection to run once: the publish queues and the message in, a queue index out.
type SelectFn = Box<dyn FnOnce(&[MessageQueue], &Message) -> Option<usize> + Send>;

/// A selector bound to its argument, run by the client once the queues are known.
pub struct QueueSelection(SelectFn);

impl QueueSelection {
    /// Binds `selector` to `arg`.
    pub fn new<S, A>(selector: S, arg: A) -> Self
    where
        S: MessageQueueSelector<A> + 'static,
        A: Send + 'static,
    {
        Self(Box::new(move |queues, msg| {
            selector.select(queues, msg, &arg)
        }))
    }

    /// Wraps a closure picking the index of a queue.
    pub fn from_fn(
        f: impl FnOnce(&[MessageQueue], &Message) -> Option<usize> + Send + 'static,
    ) -> Self {
        Self(Box::new(f))
    }

    /// Runs the selection.
    pub(crate) fn run(self, queues: &[MessageQueue], msg: &Message) -> Option<usize> {
        (self.0)(queues, msg)
    }
}

impl fmt::Debug for QueueSelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueSelection")
    }
}

/// Where a send goes.
#[derive(Debug, Default)]
pub enum SendTarget {
    /// Round robin over the topic's queues, retrying on another broker (a plain send).
    #[default]
    Any,
    /// This queue (Java `send(msg, mq)`); its topic must be the message's.
    Queue(MessageQueue),
    /// The queue Java's `SelectMessageQueueByHash` picks for an argument with this Java hash
    /// code (see [`SendTarget::sharding_key`]).
    Hash(i32),
    /// The queue a selector picks (Java `send(msg, selector, arg)`).
    Select(QueueSelection),
}

impl SendTarget {
    /// The queue `selector` picks given `arg`.
    pub fn select<S, A>(selector: S, arg: A) -> Self
    where
        S: MessageQueueSelector<A> + 'static,
        A: Send + 'static,
    {
        Self::Select(QueueSelection::new(selector, arg))
    }

    /// The one queue every message of sharding key `key` goes to: Java's
    /// `SelectMessageQueueByHash` with the key as argument, so Java producers agree.
    pub fn sharding_key(key: &str) -> Self {
        Self::Hash(key.java_hash_code())
    }

    /// Whether the send is pinned to one queue (no hop to another on failure).
    pub fn is_targeted(&self) -> bool {
        !matches!(self, Self::Any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queues(n: i32) -> Vec<MessageQueue> {
        (0..n).map(|i| MessageQueue::new("T", "b", i)).collect()
    }

    #[test]
    fn java_hash_codes() {
        // Java's String/Long/Integer hashCode, computed independently (UTF-16, wrapping).
        assert_eq!("".java_hash_code(), 0);
        assert_eq!("a".java_hash_code(), 97);
        assert_eq!("hello".java_hash_code(), 99_162_322);
        assert_eq!("order-10086".java_hash_code(), 478_770_544);
        assert_eq!("polygenelubricants".java_hash_code(), i32::MIN);
        assert_eq!("日本".java_hash_code(), 835_047);
        assert_eq!("😀".java_hash_code(), 1_772_899);
        assert_eq!(7i32.java_hash_code(), 7);
        assert_eq!((-1i64).java_hash_code(), 0);
        assert_eq!((1u64 << 32).java_hash_code(), 1);
        assert_eq!(12_345_678_901i64.java_hash_code(), -539_222_985);
    }

    #[test]
    fn hash_selection_is_abs_of_the_java_remainder() {
        let qs = queues(4);
        let m = Message::new("T", "x");
        assert_eq!(SelectByHash.select(&qs, &m, &7i32), Some(3));
        assert_eq!(SelectByHash.select(&qs, &m, &-7i32), Some(3));
        assert_eq!(SelectByHash.select(&qs, &m, "order-10086"), Some(0));
        assert_eq!(hash_index(i32::MIN, 3), Some(2));
        assert_eq!(hash_index(5, 0), None);
        let one = SelectByHash.select(&qs, &m, &String::from("k"));
        assert_eq!(one, SelectByHash.select(&qs, &m, "k"));
    }

    #[test]
    fn random_is_reproducible_in_range_and_spread() {
        let qs = queues(4);
        let m = Message::new("T", "x");
        let (a, b) = (SelectByRandom::new(9), SelectByRandom::new(9));
        let mut seen = [0; 4];
        for _ in 0..400 {
            let i = MessageQueueSelector::<()>::select(&a, &qs, &m, &()).unwrap();
            assert_eq!(
                Some(i),
                MessageQueueSelector::<()>::select(&b, &qs, &m, &())
            );
            seen[i] += 1;
        }
        assert!(seen.iter().all(|&n| n > 60), "{seen:?}");
        assert_eq!(MessageQueueSelector::<()>::select(&a, &[], &m, &()), None);
    }

    #[test]
    fn round_robin_walks_every_queue_in_turn() {
        let qs = queues(3);
        let m = Message::new("T", "x");
        let rr = SelectByRoundRobin::new();
        let picks: Vec<_> = (0..7)
            .map(|_| MessageQueueSelector::<u8>::select(&&rr, &qs, &m, &0).unwrap())
            .collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn sharding_key_targets_hash_the_key_as_java() {
        assert!(matches!(
            SendTarget::sharding_key("hello"),
            SendTarget::Hash(99_162_322)
        ));
        assert!(!SendTarget::Any.is_targeted());
        assert!(SendTarget::Hash(1).is_targeted());
        let sel = QueueSelection::new(SelectByHash, 6u64);
        assert_eq!(sel.run(&queues(4), &Message::new("T", "x")), Some(2));
    }
}
