//! Queue allocation: which of a topic's queues each consumer of a group takes (CONSUMER.md §1).
//!
//! Java's six `AllocateMessageQueueStrategy` implementations as pure functions, identical to
//! Java for every input, and [`AllocateStrategy`] to pick one by value. Every consumer of a
//! group must compute the same answer from the same inputs, or queues are consumed twice or
//! never: sort `mqAll` with [`java_sorted_queues`] and `cidAll` with [`java_sorted_ids`]
//! (Java `String` order, not Rust's) before calling a strategy, as `RebalanceImpl` does.
//!
//! ```
//! use rocketmq_core::consumer::allocate::{java_sorted_ids, java_sorted_queues, AllocateStrategy};
//! use rocketmq_core::proto::body::MessageQueue;
//!
//! let mq_all = java_sorted_queues((0..4).map(|i| MessageQueue::new("TopicTest", "broker-a", i)));
//! let cid_all = java_sorted_ids(["10.0.0.2@1".to_owned(), "10.0.0.1@1".to_owned()]);
//! let mine = AllocateStrategy::default().allocate("cg", "10.0.0.1@1", &mq_all, &cid_all)?;
//! assert_eq!(mine, mq_all[..2]);
//! # Ok::<(), rocketmq_core::consumer::allocate::AllocateError>(())
//! ```

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::sync::Arc;

use rocketmq_proto::body::MessageQueue;
use thiserror::Error;

/// Why a strategy refused its inputs (Java throws `IllegalArgumentException`).
///
/// A current consumer id missing from `cidAll` is not an error: it gets no queue.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AllocateError {
    /// The current consumer id is empty.
    #[error("currentCID is empty")]
    EmptyCurrentCid,
    /// There is no queue to allocate.
    #[error("mqAll is null or mqAll empty")]
    EmptyMqAll,
    /// There is no consumer id.
    #[error("cidAll is null or cidAll empty")]
    EmptyCidAll,
    /// MACHINE_ROOM_NEARBY: the resolver gave no (or an empty) room for a queue's broker.
    #[error("Machine room is null for mq {}", java_queue_string(.queue))]
    NoBrokerRoom {
        /// The queue.
        queue: MessageQueue,
    },
    /// MACHINE_ROOM_NEARBY: the resolver gave no (or an empty) room for a consumer.
    #[error("Machine room is null for consumer id {cid}")]
    NoConsumerRoom {
        /// The consumer id.
        cid: String,
    },
    /// A user strategy ([`AllocateStrategy::Custom`]) failed.
    #[error("{0}")]
    Custom(String),
}

/// A user-defined allocation strategy (Java `AllocateMessageQueueStrategy`).
pub trait Allocate: Send + Sync + Debug {
    /// The queues of `mq_all` that `current_cid` takes, given every consumer id `cid_all`.
    fn allocate(
        &self,
        group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Result<Vec<MessageQueue>, AllocateError>;

    /// The strategy's name (Java `getName`, sent as `strategyName`).
    fn name(&self) -> String;
}

/// Where brokers and consumers are deployed, for MACHINE_ROOM_NEARBY (Java `MachineRoomResolver`).
pub trait MachineRoomResolver: Send + Sync + Debug {
    /// The machine room of the broker holding `mq` (Java `brokerDeployIn`).
    fn broker_room(&self, mq: &MessageQueue) -> Option<String>;
    /// The machine room of consumer `cid` (Java `consumerDeployIn`).
    fn consumer_room(&self, cid: &str) -> Option<String>;
}

/// Java's default number of virtual nodes per consumer for CONSISTENT_HASH.
pub const DEFAULT_VIRTUAL_NODES: usize = 10;

/// A queue allocation strategy chosen by value; the default is [`AllocateStrategy::Averagely`].
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum AllocateStrategy {
    /// AVG: contiguous blocks, the first `mq % cid` consumers get one more.
    #[default]
    Averagely,
    /// AVG_BY_CIRCLE: queue `i` goes to consumer `i % cid`.
    AveragelyByCircle,
    /// CONFIG: these queues, to every consumer, whatever the inputs.
    Config(Vec<MessageQueue>),
    /// MACHINE_ROOM: AVG-like blocks of the queues on brokers named `<idc>@<name>` with `idc`
    /// in `consumer_idcs`.
    MachineRoom {
        /// The machine rooms (IDCs) whose queues are allocated.
        consumer_idcs: BTreeSet<String>,
    },
    /// MACHINE_ROOM_NEARBY: `inner` over each room's queues and consumers, rooms without
    /// consumers shared by all.
    MachineRoomNearby {
        /// The strategy applied within a room.
        inner: Box<Self>,
        /// Tells the rooms of brokers and consumers.
        resolver: Arc<dyn MachineRoomResolver>,
    },
    /// CONSISTENT_HASH: an MD5 ring with `virtual_nodes` points per consumer.
    ConsistentHash {
        /// Virtual nodes per consumer ([`DEFAULT_VIRTUAL_NODES`] in Java).
        virtual_nodes: usize,
    },
    /// A user strategy.
    Custom(Arc<dyn Allocate>),
}

impl AllocateStrategy {
    /// CONSISTENT_HASH with Java's default of [`DEFAULT_VIRTUAL_NODES`] virtual nodes.
    pub fn consistent_hash() -> Self {
        Self::ConsistentHash {
            virtual_nodes: DEFAULT_VIRTUAL_NODES,
        }
    }

    /// The queues of `mq_all` that `current_cid` takes (Java `allocate`).
    pub fn allocate(
        &self,
        group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Result<Vec<MessageQueue>, AllocateError> {
        match self {
            Self::Averagely => allocate_averagely(current_cid, mq_all, cid_all),
            Self::AveragelyByCircle => allocate_averagely_by_circle(current_cid, mq_all, cid_all),
            Self::Config(queues) => Ok(allocate_by_config(queues)),
            Self::MachineRoom { consumer_idcs } => {
                allocate_by_machine_room(consumer_idcs, current_cid, mq_all, cid_all)
            }
            Self::MachineRoomNearby { inner, resolver } => allocate_machine_room_nearby(
                inner.as_ref(),
                resolver.as_ref(),
                group,
                current_cid,
                mq_all,
                cid_all,
            ),
            Self::ConsistentHash { virtual_nodes } => {
                allocate_consistent_hash(*virtual_nodes, current_cid, mq_all, cid_all)
            }
            Self::Custom(strategy) => strategy.allocate(group, current_cid, mq_all, cid_all),
        }
    }

    /// Java's `getName`: `AVG`, `AVG_BY_CIRCLE`, `CONFIG`, `MACHINE_ROOM`,
    /// `MACHINE_ROOM_NEARBY-<inner>`, `CONSISTENT_HASH`, or the custom strategy's name.
    pub fn name(&self) -> String {
        match self {
            Self::Averagely => "AVG".to_owned(),
            Self::AveragelyByCircle => "AVG_BY_CIRCLE".to_owned(),
            Self::Config(_) => "CONFIG".to_owned(),
            Self::MachineRoom { .. } => "MACHINE_ROOM".to_owned(),
            Self::MachineRoomNearby { inner, .. } => {
                format!("MACHINE_ROOM_NEARBY-{}", inner.name())
            }
            Self::ConsistentHash { .. } => "CONSISTENT_HASH".to_owned(),
            Self::Custom(strategy) => strategy.name(),
        }
    }
}

impl Allocate for AllocateStrategy {
    fn allocate(
        &self,
        group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Result<Vec<MessageQueue>, AllocateError> {
        Self::allocate(self, group, current_cid, mq_all, cid_all)
    }

    fn name(&self) -> String {
        Self::name(self)
    }
}

/// Equal variants with equal values; trait objects are equal only if they are the same `Arc`.
impl PartialEq for AllocateStrategy {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Averagely, Self::Averagely)
            | (Self::AveragelyByCircle, Self::AveragelyByCircle) => true,
            (Self::Config(a), Self::Config(b)) => a == b,
            (Self::MachineRoom { consumer_idcs: a }, Self::MachineRoom { consumer_idcs: b }) => {
                a == b
            }
            (
                Self::MachineRoomNearby {
                    inner: a,
                    resolver: ra,
                },
                Self::MachineRoomNearby {
                    inner: b,
                    resolver: rb,
                },
            ) => a == b && Arc::ptr_eq(ra, rb),
            (
                Self::ConsistentHash { virtual_nodes: a },
                Self::ConsistentHash { virtual_nodes: b },
            ) => a == b,
            (Self::Custom(a), Self::Custom(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// Java's `AbstractAllocateMessageQueueStrategy.check`: the index of `current_cid` in
/// `cid_all` (first occurrence), `None` if absent (allocate nothing), or why the inputs are
/// refused (checked in this order: current id, queues, consumer ids).
pub fn check(
    current_cid: &str,
    mq_all: &[MessageQueue],
    cid_all: &[String],
) -> Result<Option<usize>, AllocateError> {
    if current_cid.is_empty() {
        return Err(AllocateError::EmptyCurrentCid);
    }
    if mq_all.is_empty() {
        return Err(AllocateError::EmptyMqAll);
    }
    if cid_all.is_empty() {
        return Err(AllocateError::EmptyCidAll);
    }
    let index = cid_all.iter().position(|cid| cid == current_cid);
    if index.is_none() {
        tracing::info!(current_cid, ?cid_all, "[BUG] current cid is not in cidAll");
    }
    Ok(index)
}

/// AVG (`AllocateMessageQueueAveragely`): a contiguous block of `mq_all`; with `r = mq % cid`
/// the first `r` consumers take `mq / cid + 1` queues and the others `mq / cid`.
pub fn allocate_averagely(
    current_cid: &str,
    mq_all: &[MessageQueue],
    cid_all: &[String],
) -> Result<Vec<MessageQueue>, AllocateError> {
    let Some(index) = check(current_cid, mq_all, cid_all)? else {
        return Ok(Vec::new());
    };
    let (mqs, cids) = (mq_all.len(), cid_all.len());
    let rem = mqs % cids;
    let takes_extra = rem > 0 && index < rem;
    let average = if mqs <= cids {
        1
    } else if takes_extra {
        mqs / cids + 1
    } else {
        mqs / cids
    };
    let start = if takes_extra {
        index * average
    } else {
        index * average + rem
    };
    let range = average.min(mqs.saturating_sub(start));
    Ok(mq_all.iter().skip(start).take(range).cloned().collect())
}

/// AVG_BY_CIRCLE (`AllocateMessageQueueAveragelyByCircle`): the queues at positions `i` with
/// `i % cid == index(current_cid)`.
pub fn allocate_averagely_by_circle(
    current_cid: &str,
    mq_all: &[MessageQueue],
    cid_all: &[String],
) -> Result<Vec<MessageQueue>, AllocateError> {
    let Some(index) = check(current_cid, mq_all, cid_all)? else {
        return Ok(Vec::new());
    };
    Ok(mq_all
        .iter()
        .skip(index)
        .step_by(cid_all.len())
        .cloned()
        .collect())
}

/// CONFIG (`AllocateMessageQueueByConfig`): the configured queues verbatim, for everyone (no check).
pub fn allocate_by_config(queues: &[MessageQueue]) -> Vec<MessageQueue> {
    queues.to_vec()
}

/// MACHINE_ROOM (`AllocateMessageQueueByMachineRoom`): only queues whose `brokerName` splits
/// on `@` (Java `split`) into exactly `[idc, name]` with `idc` in `consumer_idcs`; blocks of
/// `q = n / cid` in order, then the consumer at index `i < n % cid` also takes queue `i + q * cid`.
pub fn allocate_by_machine_room(
    consumer_idcs: &BTreeSet<String>,
    current_cid: &str,
    mq_all: &[MessageQueue],
    cid_all: &[String],
) -> Result<Vec<MessageQueue>, AllocateError> {
    let Some(index) = check(current_cid, mq_all, cid_all)? else {
        return Ok(Vec::new());
    };
    let in_rooms: Vec<&MessageQueue> = mq_all
        .iter()
        .filter(|mq| {
            matches!(java_split(&mq.broker_name, '@').as_slice(),
                [idc, _] if consumer_idcs.contains(*idc))
        })
        .collect();
    let cids = cid_all.len();
    let (quotient, rem) = (in_rooms.len() / cids, in_rooms.len() % cids);
    let mut result: Vec<MessageQueue> = in_rooms
        .iter()
        .skip(index * quotient)
        .take(quotient)
        .map(|mq| (*mq).clone())
        .collect();
    if index < rem {
        if let Some(mq) = in_rooms.get(index + quotient * cids) {
            result.push((*mq).clone());
        }
    }
    Ok(result)
}

/// MACHINE_ROOM_NEARBY (`AllocateMachineRoomNearby`): `inner` over the queues and consumers of
/// the current consumer's room, then `inner` over each consumer-less room's queues (rooms in
/// Java `String` order) with every consumer; every queue and consumer must resolve to a room.
pub fn allocate_machine_room_nearby(
    inner: &dyn Allocate,
    resolver: &dyn MachineRoomResolver,
    group: &str,
    current_cid: &str,
    mq_all: &[MessageQueue],
    cid_all: &[String],
) -> Result<Vec<MessageQueue>, AllocateError> {
    if check(current_cid, mq_all, cid_all)?.is_none() {
        return Ok(Vec::new());
    }
    let mut room_queues: BTreeMap<JavaString, Vec<MessageQueue>> = BTreeMap::new();
    for mq in mq_all {
        let room = resolver
            .broker_room(mq)
            .filter(|room| !room.is_empty())
            .ok_or_else(|| AllocateError::NoBrokerRoom { queue: mq.clone() })?;
        room_queues
            .entry(JavaString(room))
            .or_default()
            .push(mq.clone());
    }
    let mut room_consumers: BTreeMap<JavaString, Vec<String>> = BTreeMap::new();
    for cid in cid_all {
        let room = resolver
            .consumer_room(cid)
            .filter(|room| !room.is_empty())
            .ok_or_else(|| AllocateError::NoConsumerRoom { cid: cid.clone() })?;
        room_consumers
            .entry(JavaString(room))
            .or_default()
            .push(cid.clone());
    }
    let current_room = JavaString(resolver.consumer_room(current_cid).ok_or_else(|| {
        AllocateError::NoConsumerRoom {
            cid: current_cid.to_owned(),
        }
    })?);
    let mut result = Vec::new();
    if let Some(queues) = room_queues.remove(&current_room) {
        if !queues.is_empty() {
            let consumers = room_consumers
                .get(&current_room)
                .map_or(&[][..], Vec::as_slice);
            result.extend(inner.allocate(group, current_cid, &queues, consumers)?);
        }
    }
    for (room, queues) in &room_queues {
        if !room_consumers.contains_key(room) {
            result.extend(inner.allocate(group, current_cid, queues, cid_all)?);
        }
    }
    Ok(result)
}

/// CONSISTENT_HASH (`AllocateMessageQueueConsistentHash`): the queues whose
/// [`java_queue_string`] hashes onto one of `current_cid`'s virtual nodes on the
/// [`md5_ring_hash`] ring (owner = first ring key `>=` the hash, else the smallest key).
///
/// Consumers are added in `cid_all` order, node `i` keyed `"<cid>-<i>"` (`i` continuing after
/// the nodes a repeated cid still has on the ring); a later node replaces an earlier one on
/// the same hash. With no virtual node nobody gets anything.
pub fn allocate_consistent_hash(
    virtual_nodes: usize,
    current_cid: &str,
    mq_all: &[MessageQueue],
    cid_all: &[String],
) -> Result<Vec<MessageQueue>, AllocateError> {
    if check(current_cid, mq_all, cid_all)?.is_none() {
        return Ok(Vec::new());
    }
    let ring = hash_ring(cid_all, virtual_nodes);
    let owner = |key: u32| {
        ring.range(key..)
            .next()
            .or_else(|| ring.iter().next())
            .map(|(_, cid)| *cid)
    };
    Ok(mq_all
        .iter()
        .filter(|mq| owner(md5_ring_hash(&java_queue_string(mq))) == Some(current_cid))
        .cloned()
        .collect())
}

/// Java's `ConsistentHashRouter` ring: hash of each virtual node's key → its consumer id.
fn hash_ring(cid_all: &[String], virtual_nodes: usize) -> BTreeMap<u32, &str> {
    let mut ring: BTreeMap<u32, &str> = BTreeMap::new();
    // Virtual nodes each consumer has on the ring now (`getExistingReplicas`).
    let mut on_ring: HashMap<&str, usize> = HashMap::new();
    for cid in cid_all {
        let existing = on_ring.get(cid.as_str()).copied().unwrap_or(0);
        for i in 0..virtual_nodes {
            let hash = md5_ring_hash(&format!("{cid}-{}", existing + i));
            if let Some(replaced) = ring.insert(hash, cid) {
                if let Some(count) = on_ring.get_mut(replaced) {
                    *count = count.saturating_sub(1);
                }
            }
            *on_ring.entry(cid).or_insert(0) += 1;
        }
    }
    ring
}

/// Java's `ConsistentHashRouter.MD5Hash`: the first 4 bytes of MD5(UTF-8 `key`), big-endian.
pub fn md5_ring_hash(key: &str) -> u32 {
    let digest = md5::compute(key.as_bytes()).0;
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Java's `MessageQueue.toString`: `MessageQueue [topic=<t>, brokerName=<b>, queueId=<n>]`.
pub fn java_queue_string(mq: &MessageQueue) -> String {
    format!(
        "MessageQueue [topic={}, brokerName={}, queueId={}]",
        mq.topic, mq.broker_name, mq.queue_id
    )
}

/// Java's `String.compareTo`: lexicographic over UTF-16 code units.
///
/// Differs from Rust's `str` order (bytes, i.e. code points) only between a character above
/// U+FFFF (a surrogate pair, D800–DFFF) and one in U+E000..=U+FFFF: Java puts the former first.
pub fn java_string_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Java's `MessageQueue.compareTo`: topic, then broker name (both [`java_string_cmp`]), then
/// queue id ascending.
pub fn java_queue_cmp(a: &MessageQueue, b: &MessageQueue) -> Ordering {
    java_string_cmp(&a.topic, &b.topic)
        .then_with(|| java_string_cmp(&a.broker_name, &b.broker_name))
        .then_with(|| a.queue_id.cmp(&b.queue_id))
}

/// The queues sorted as Java's `Collections.sort(mqAll)` ([`java_queue_cmp`]).
pub fn java_sorted_queues(queues: impl IntoIterator<Item = MessageQueue>) -> Vec<MessageQueue> {
    let mut queues: Vec<MessageQueue> = queues.into_iter().collect();
    queues.sort_by(java_queue_cmp);
    queues
}

/// The consumer ids sorted as Java's `Collections.sort(cidAll)` ([`java_string_cmp`]).
pub fn java_sorted_ids(ids: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut ids: Vec<String> = ids.into_iter().collect();
    ids.sort_by(|a, b| java_string_cmp(a, b));
    ids
}

/// Java's `String.split` on one character: no match gives `[s]`, otherwise the parts with
/// trailing empty ones removed.
fn java_split(s: &str, sep: char) -> Vec<&str> {
    if !s.contains(sep) {
        return vec![s];
    }
    let mut parts: Vec<&str> = s.split(sep).collect();
    while parts.last().is_some_and(|part| part.is_empty()) {
        parts.pop();
    }
    parts
}

/// A `String` ordered as Java's `TreeMap<String, _>` orders keys.
#[derive(Debug, PartialEq, Eq)]
struct JavaString(String);

impl Ord for JavaString {
    fn cmp(&self, other: &Self) -> Ordering {
        java_string_cmp(&self.0, &other.0)
    }
}

impl PartialOrd for JavaString {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests;
