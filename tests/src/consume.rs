//! Helpers for the real-broker consumer scenarios: what listeners saw, waiting for a
//! condition with a deadline, and producing many messages at once.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rocketmq_core::driver::{ConsumeContext, Producer, Runtime};
use rocketmq_core::proto::body::MessageQueue;
use rocketmq_core::proto::message::MessageExt;
use rocketmq_core::{ConsumeResult, Message, SendOptions, SendResult};

use crate::join::join_all;

/// Waits for `fut` at most `limit` (a hang fails the test instead of stalling it).
pub async fn within<T>(limit: Duration, fut: impl Future<Output = T>) -> T {
    futures_lite::future::or(async { Some(fut.await) }, async {
        smol::Timer::after(limit).await;
        None
    })
    .await
    .unwrap_or_else(|| panic!("did not complete within {limit:?}"))
}

/// Sleeps on any runtime (async-io's timer).
pub async fn sleep(d: Duration) {
    smol::Timer::after(d).await;
}

/// Checks `cond` every 50 ms until it holds; panics with `what` (and the last state it
/// describes) when `limit` passes first.
pub async fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + limit;
    loop {
        let state = match cond() {
            Ok(()) => return,
            Err(state) => state,
        };
        assert!(
            Instant::now() < deadline,
            "{what}: not within {limit:?} ({state})"
        );
        sleep(Duration::from_millis(50)).await;
    }
}

/// Locks a mutex, ignoring poisoning (a failed assertion elsewhere has been reported).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One message as a listener saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// Which consumer of the test got it.
    pub member: usize,
    /// Its `UNIQ_KEY`.
    pub key: String,
    /// The queue of the delivery (a retry topic's queue for a retried message).
    pub queue: MessageQueue,
    /// The message's topic as handed to the listener.
    pub topic: String,
    /// Its offset in `queue`.
    pub offset: i64,
    /// Its reconsume count.
    pub reconsume_times: i32,
    /// Its body, as text.
    pub body: String,
    /// Its tags.
    pub tags: Option<String>,
    /// When the listener got it.
    pub at: Instant,
}

/// Everything the listeners of a test saw, in arrival order. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Log(Arc<Mutex<Vec<Seen>>>);

impl Log {
    /// Records a delivery's messages as `member`'s.
    pub fn record(&self, member: usize, msgs: &[MessageExt], ctx: &ConsumeContext) {
        let now = Instant::now();
        let mut seen = lock(&self.0);
        seen.extend(msgs.iter().map(|m| Seen {
            member,
            key: m.msg_id.clone(),
            queue: ctx.queue.clone(),
            topic: m.message.topic.clone(),
            offset: m.queue_offset,
            reconsume_times: m.reconsume_times,
            body: String::from_utf8_lossy(&m.message.body).into_owned(),
            tags: m.message.tags().map(str::to_owned),
            at: now,
        }));
    }

    /// Everything seen so far.
    pub fn all(&self) -> Vec<Seen> {
        lock(&self.0).clone()
    }

    /// Messages seen so far, deliveries counted.
    pub fn len(&self) -> usize {
        lock(&self.0).len()
    }

    /// Whether nothing was seen.
    pub fn is_empty(&self) -> bool {
        lock(&self.0).is_empty()
    }

    /// How often each key was seen.
    pub fn counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for s in lock(&self.0).iter() {
            *counts.entry(s.key.clone()).or_default() += 1;
        }
        counts
    }

    /// The members that saw each key.
    pub fn members_by_key(&self) -> HashMap<String, BTreeSet<usize>> {
        let mut by = HashMap::<String, BTreeSet<usize>>::new();
        for s in lock(&self.0).iter() {
            by.entry(s.key.clone()).or_default().insert(s.member);
        }
        by
    }

    /// The keys of `want` not seen yet (a few of them, and how many).
    pub fn missing(&self, want: &[String]) -> Result<(), String> {
        let counts = self.counts();
        let missing: Vec<&String> = want.iter().filter(|k| !counts.contains_key(*k)).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} of {} not consumed, e.g. {:?}",
                missing.len(),
                want.len(),
                &missing[..missing.len().min(3)]
            ))
        }
    }

    /// Deliveries of the keys of `want` beyond the first (0 when each came once).
    pub fn duplicates(&self, want: &[String]) -> usize {
        let counts = self.counts();
        want.iter()
            .map(|k| counts.get(k).copied().unwrap_or(0).saturating_sub(1))
            .sum()
    }
}

/// A listener that records every message as `member`'s and consumes it.
pub fn recorder(
    log: &Log,
    member: usize,
) -> impl Fn(Arc<[MessageExt]>, ConsumeContext) -> std::future::Ready<ConsumeResult>
       + Send
       + Sync
       + 'static {
    let log = log.clone();
    move |msgs, ctx| {
        log.record(member, &msgs, &ctx);
        std::future::ready(ConsumeResult::Success)
    }
}

/// Sends `n` messages made by `make(i)`: the first alone (it may create the topic: the
/// 1.0.0 broker was seen to answer one of several first sends to a new topic with
/// TOPIC_NOT_EXIST), the rest from 16 tasks at once; every send must succeed. Returns the
/// results in `i` order.
pub async fn produce<R: Runtime>(
    p: &Producer<R>,
    n: usize,
    make: impl Fn(usize) -> (Message, SendOptions),
) -> Vec<SendResult> {
    if n == 0 {
        return Vec::new();
    }
    let (m, o) = make(0);
    let first = within(Duration::from_secs(10), p.send_with(m, o))
        .await
        .unwrap_or_else(|e| panic!("send 0: {e}"));
    let tasks = 16.min(n - 1).max(1);
    let mut work: Vec<Vec<(usize, Message, SendOptions)>> =
        (0..tasks).map(|_| Vec::new()).collect();
    for i in 1..n {
        let (m, o) = make(i);
        work[i % tasks].push((i, m, o));
    }
    let futs: Vec<_> = work
        .into_iter()
        .map(|batch| {
            let p = p.clone();
            async move {
                let mut out = Vec::new();
                for (i, m, o) in batch {
                    let r = p.send_with(m, o).await;
                    out.push((i, r.unwrap_or_else(|e| panic!("send {i}: {e}"))));
                }
                out
            }
        })
        .collect();
    let mut all: Vec<(usize, SendResult)> = within(Duration::from_secs(120), join_all(futs))
        .await
        .into_iter()
        .flatten()
        .collect();
    all.push((0, first));
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// `n` plain messages to `topic`, bodies `"{prefix} {i}"`.
pub fn plain(topic: &str, prefix: &str) -> impl Fn(usize) -> (Message, SendOptions) {
    let (topic, prefix) = (topic.to_owned(), prefix.to_owned());
    move |i| {
        (
            Message::new(&topic, format!("{prefix} {i}")),
            SendOptions::default(),
        )
    }
}

/// Options that send to the topic's publish queue `index`.
pub fn to_queue(index: usize) -> SendOptions {
    SendOptions {
        queue_index: Some(index),
        ..SendOptions::default()
    }
}

/// The message ids of send results.
pub fn ids(results: &[SendResult]) -> Vec<String> {
    results.iter().map(|r| r.msg_id.clone()).collect()
}

/// Checks that the members' queue sets are pairwise disjoint and together exactly `all`.
pub fn partition(
    assignments: &[Vec<MessageQueue>],
    all: &BTreeSet<MessageQueue>,
) -> Result<(), String> {
    let mut owner = BTreeMap::new();
    for (member, qs) in assignments.iter().enumerate() {
        for q in qs {
            if let Some(other) = owner.insert(q.clone(), member) {
                return Err(format!(
                    "queue {} held by members {other} and {member}",
                    q.queue_id
                ));
            }
        }
    }
    let union: BTreeSet<MessageQueue> = owner.into_keys().collect();
    if &union != all {
        let ids = |s: &BTreeSet<MessageQueue>| s.iter().map(|q| q.queue_id).collect::<Vec<_>>();
        return Err(format!("held {:?}, want {:?}", ids(&union), ids(all)));
    }
    Ok(())
}
