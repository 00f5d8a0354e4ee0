//! A simulated broker's data: messages per queue, consumer offsets, groups, locks, retries.
//!
//! [`BrokerStore`] answers the consumer-side requests of one broker (pulls with long
//! polling, offsets, heartbeats and group membership, orderly locks, send-back with
//! delay levels and dead letters) and stores what producers send, so consumers can be
//! unit-tested with no network. It never reads a clock: every call takes the virtual time.
//!
//! # Driving it (for the harness)
//!
//! - Feed each request to `handle`. It answers at once (`Reply`, or `NoReply` for a oneway
//!   request), holds a pull (`Suspended`), or leaves the request to someone else (`NotMine`).
//! - **After every `handle`, drain `poll_outbound` and deliver what it returns before the
//!   `Reply`.** A heartbeat queues its NOTIFY_CONSUMER_IDS_CHANGED pushes there, and a real
//!   broker writes them before the heartbeat's answer; a send queues the answers of the pulls
//!   its message woke up.
//! - When the virtual time reaches `next_deadline`, call `poll_outbound` again: held pulls that
//!   timed out are answered, and delayed messages that are due are stored (waking pulls).
//! - Call `session_closed` when a connection closes, add the topics of `take_created_topics`
//!   to the name server's routes, and close the sessions of `take_retired_sessions` (a newer
//!   connection heart-beated with their client id; the real broker closes the older one).
//!
//! # What is modelled
//!
//! The real broker where BROKER.md states its behaviour, else Java. In particular:
//! NOTIFY_CONSUMER_IDS_CHANGED goes out only when a client joins a group (or moves to a new
//! session) or the group's subscribed topics change, never when one leaves; a pull newer than
//! the registered subscription gets 24 (Java: 25); QUERY_CONSUMER_OFFSET with
//! `setZeroIfNotFound=true` and no stored offset answers SUCCESS without `offset`; a SEND to
//! `%RETRY%<group>` whose `reconsumeTimes` exceeds its max goes to `%DLQ%<group>`; delayed
//! messages wait in `SCHEDULE_TOPIC_XXXX` and keep `REAL_TOPIC`/`REAL_QID` when delivered.
//!
//! Not modelled: topic existence (the harness answers TOPIC_NOT_EXIST for topics outside its
//! routes; every topic the store creates or grows — auto-created by a send or [`put`], the
//! `%RETRY%` and `%DLQ%` topics of groups — is reported by `take_created_topics`, except those
//! declared with [`create_topic`]); SQL92 (such subscriptions match every message);
//! transactions (half messages are stored like any other); timer messages (`TIMER_*`);
//! batch-level properties (each message of a batch keeps its own); slave reads.
//!
//! [`put`]: BrokerStore::put
//! [`create_topic`]: BrokerStore::create_topic

mod groups;
mod locks;
mod log;
mod offsets;
mod pull;
mod retry;
mod send;
#[cfg(test)]
mod tests;
mod view;

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use rocketmq_proto::body::{java_string_hash, MessageQueue};
use rocketmq_proto::message::{decode_stored_message, Message, MessageExt, UniqIdGenerator};
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use groups::Groups;
use locks::Locks;
use log::MessageLog;
use offsets::ConsumerOffsets;
use pull::SuspendedPulls;
use retry::Schedule;

/// The `version` a broker stamps on its responses and requests (the Rust broker's).
const BROKER_VERSION: i32 = 474;

/// Settings of a [`BrokerStore`]; the defaults are the broker's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreConfig {
    /// Hold pulls that find nothing new until a message arrives or their `suspendTimeoutMillis`
    /// passes (`longPollingEnable`, true); when false, hold them 1 s and do not wake them early.
    pub long_polling: bool,
    /// Most messages one pull returns, whatever its `maxMsgNums` (32).
    pub max_pull_batch: usize,
    /// How long an orderly lock lives after it was last granted (60 s).
    pub lock_lifetime: Duration,
    /// Delay of each level, level 1 first (`messageDelayLevel`, `1s 5s … 2h`).
    pub delay_levels: Vec<Duration>,
    /// Queues of each `%RETRY%<group>` topic (1); 0 or less drops sent-back messages.
    pub retry_queue_nums: i32,
    /// Reconsume count after which a sent-back message goes to the DLQ (16), unless the request
    /// carries `maxReconsumeTimes`.
    pub default_max_reconsume_times: i32,
    /// Commit-log bytes each record takes: `None` (default) its encoded size, as the broker;
    /// `Some(n)` a fixed `n` (at least 1), so offsets and offset message ids are predictable.
    pub commit_log_stride: Option<u32>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        let secs = [
            1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200,
        ];
        Self {
            long_polling: true,
            max_pull_batch: 32,
            lock_lifetime: Duration::from_secs(60),
            delay_levels: secs.into_iter().map(Duration::from_secs).collect(),
            retry_queue_nums: 1,
            default_max_reconsume_times: 16,
            commit_log_stride: None,
        }
    }
}

/// The harness's id of one client connection.
pub(crate) type Session = u64;

/// What [`BrokerStore::handle`] did with a request.
#[derive(Debug)]
pub(crate) enum Handled {
    /// Answer with this response.
    Reply(RemotingCommand),
    /// Handled; the request was oneway, so there is no answer.
    NoReply,
    /// A pull held for long polling: its answer comes later from `poll_outbound`.
    Suspended,
    /// Not a request this store handles.
    NotMine,
}

/// One simulated broker's data: messages per queue, consumer offsets, groups, locks, retries.
#[derive(Debug)]
pub struct BrokerStore {
    broker_name: String,
    store_host: SocketAddr,
    config: StoreConfig,
    log: MessageLog,
    /// Queue count of every topic the store knows.
    topics: BTreeMap<String, i32>,
    created: Vec<(String, i32)>,
    offsets: ConsumerOffsets,
    groups: Groups,
    locks: Locks,
    pulls: SuspendedPulls,
    schedule: Schedule,
    scripted_pull_errors: VecDeque<(ResponseCode, String)>,
    outbound: VecDeque<(Session, RemotingCommand)>,
    next_opaque: i32,
    uniq_ids: UniqIdGenerator,
}

impl BrokerStore {
    /// Creates the empty store of broker `broker_name` at `store_addr` (`"ip:port"`; an
    /// address that does not parse is stored as `127.0.0.1:10911`).
    pub fn new(broker_name: &str, store_addr: &str, config: StoreConfig) -> Self {
        let store_host = store_addr
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 10911)));
        Self {
            broker_name: broker_name.to_owned(),
            store_host,
            log: MessageLog::new(config.commit_log_stride),
            config,
            topics: BTreeMap::new(),
            created: Vec::new(),
            offsets: ConsumerOffsets::default(),
            groups: Groups::default(),
            locks: Locks::default(),
            pulls: SuspendedPulls::default(),
            schedule: Schedule::default(),
            scripted_pull_errors: VecDeque::new(),
            outbound: VecDeque::new(),
            next_opaque: 0,
            uniq_ids: UniqIdGenerator::new(store_host.ip(), 0, java_string_hash(broker_name)),
        }
    }

    /// Returns the broker's name.
    pub fn broker_name(&self) -> &str {
        &self.broker_name
    }

    /// Returns the store's settings.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// Declares a topic with `queue_nums` queues (not reported by `take_created_topics`).
    pub fn create_topic(&mut self, topic: &str, queue_nums: i32) {
        self.topics.insert(topic.to_owned(), queue_nums);
    }

    /// Returns the queue count of a topic the store knows (declared, or created by a send, a
    /// put or a group).
    pub fn queue_nums(&self, topic: &str) -> Option<i32> {
        self.topics.get(topic).copied()
    }

    /// Stores a message as if a producer sent it; returns its queue offset. Born/store timestamps = wall_ms.
    ///
    /// The topic is created if unknown (4 queues, or more to hold `queue_id`). A message with a
    /// `DELAY` level is scheduled like a sent one: the offset returned is then its offset in
    /// `SCHEDULE_TOPIC_XXXX`, and it reaches `topic` when due (see `poll_outbound`).
    ///
    /// # Panics
    ///
    /// If the message cannot be encoded (properties over 32767 bytes).
    pub fn put(
        &mut self,
        now: Instant,
        wall_ms: i64,
        topic: &str,
        queue_id: i32,
        msg: Message,
    ) -> i64 {
        self.ensure_queue(topic, queue_id, 4);
        let mut ext = self.new_ext(msg, queue_id, wall_ms, unknown_born_host());
        ext.message.topic = topic.to_owned();
        self.put_message(now, wall_ms, ext)
            .expect("the message is encodable")
            .queue_offset
    }

    /// Returns the stored messages of a queue, decoded, in offset order.
    pub fn messages(&self, topic: &str, queue_id: i32) -> Vec<MessageExt> {
        self.log
            .entries_from(topic, queue_id, i64::MIN)
            .filter_map(|(_, e)| self.log.record(e.phys))
            .filter_map(|s| decode_stored_message(&mut &s.bytes[..]).ok())
            .collect()
    }

    /// Returns the queue's min offset (0 for an unknown queue).
    pub fn min_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.log.min_offset(topic, queue_id)
    }

    /// Returns the queue's max offset, the offset of its next message (0 for an unknown queue).
    pub fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.log.max_offset(topic, queue_id)
    }

    /// Deletes the queue's messages below `offset`: its min offset moves up (at most to its max
    /// offset), and pulls below it get PULL_OFFSET_MOVED.
    pub fn truncate_before(&mut self, topic: &str, queue_id: i32, offset: i64) {
        self.log.truncate_before(topic, queue_id, offset);
    }

    /// Returns the offset stored for a consumer group's queue.
    pub fn consumer_offset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.offsets.get(group, topic, queue_id)
    }

    /// Stores a consumer group's offset for a queue.
    pub fn set_consumer_offset(&mut self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.offsets.set(group, topic, queue_id, offset);
    }

    /// Returns the client ids of a consumer group's members, sorted.
    pub fn members(&self, group: &str) -> Vec<String> {
        self.groups.consumer_ids_sorted(group)
    }

    /// Returns the client ids that heart-beated with a producer group, sorted.
    pub fn producers(&self, group: &str) -> Vec<String> {
        self.groups.producer_ids_sorted(group)
    }

    /// Returns the client holding the orderly lock of `mq` for `group`, if it has not expired.
    pub fn lock_owner(&self, now: Instant, group: &str, mq: &MessageQueue) -> Option<String> {
        self.locks.owner(now, group, mq).map(str::to_owned)
    }

    /// Returns how many pulls are held (long polling).
    pub fn held_pulls(&self) -> usize {
        self.pulls.len()
    }

    /// Answers the next pull with `code` and `remark` instead of executing it (queued: several
    /// calls script several pulls).
    pub fn script_pull_error(&mut self, code: ResponseCode, remark: &str) {
        self.scripted_pull_errors
            .push_back((code, remark.to_owned()));
    }
}

impl BrokerStore {
    /// Handles one request from `session` (see the module docs for the delivery order).
    pub(crate) fn handle(
        &mut self,
        now: Instant,
        wall_ms: i64,
        session: Session,
        cmd: &RemotingCommand,
    ) -> Handled {
        if cmd.is_response() {
            return Handled::NotMine;
        }
        self.run_due(now, wall_ms);
        let answer = match cmd.request_code() {
            RequestCode::SEND_MESSAGE
            | RequestCode::SEND_MESSAGE_V2
            | RequestCode::SEND_BATCH_MESSAGE => self.send(now, wall_ms, session, cmd),
            RequestCode::PULL_MESSAGE | RequestCode::LITE_PULL_MESSAGE => {
                match self.pull(now, session, cmd, true) {
                    Some(answer) => answer,
                    None => return Handled::Suspended,
                }
            }
            RequestCode::QUERY_CONSUMER_OFFSET => self.query_offset(cmd),
            RequestCode::UPDATE_CONSUMER_OFFSET => self.update_offset(cmd),
            RequestCode::GET_MAX_OFFSET => self.get_max_offset(cmd),
            RequestCode::GET_MIN_OFFSET => self.get_min_offset(cmd),
            RequestCode::SEARCH_OFFSET_BY_TIMESTAMP => self.search_offset(cmd),
            RequestCode::HEART_BEAT => self.heartbeat(session, cmd),
            RequestCode::UNREGISTER_CLIENT => self.unregister(cmd),
            RequestCode::GET_CONSUMER_LIST_BY_GROUP => self.consumer_list(cmd),
            RequestCode::LOCK_BATCH_MQ => self.lock_batch(now, cmd),
            RequestCode::UNLOCK_BATCH_MQ => self.unlock_batch(cmd),
            RequestCode::CONSUMER_SEND_MSG_BACK => self.send_back(now, wall_ms, cmd),
            RequestCode::VIEW_MESSAGE_BY_ID => self.view_message(cmd),
            _ => return Handled::NotMine,
        };
        if cmd.is_oneway() {
            Handled::NoReply
        } else {
            Handled::Reply(answer)
        }
    }

    /// Forgets a closed connection: its client leaves its groups (with no notification, as
    /// the real broker) and its held pulls are dropped.
    pub(crate) fn session_closed(&mut self, now: Instant, session: Session) {
        let _ = now;
        self.groups.session_closed(session);
        self.pulls.drop_session(session);
    }

    /// Returns, in order, the answers of held pulls now due (a message arrived or they timed
    /// out) and the requests the broker sends to clients (NOTIFY_CONSUMER_IDS_CHANGED, oneway);
    /// first stores the delayed messages now due.
    pub(crate) fn poll_outbound(
        &mut self,
        now: Instant,
        wall_ms: i64,
    ) -> Vec<(Session, RemotingCommand)> {
        self.run_due(now, wall_ms);
        self.outbound.drain(..).collect()
    }

    /// Whether `poll_outbound`, `take_created_topics` or `take_retired_sessions` has something
    /// to return at `now`.
    pub(crate) fn has_pending(&self, now: Instant) -> bool {
        !self.outbound.is_empty()
            || !self.created.is_empty()
            || self.groups.has_retired()
            || self.next_deadline().is_some_and(|t| t <= now)
    }

    /// Returns the earliest held-pull timeout or delayed-message due time.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        match (self.pulls.next_deadline(), self.schedule.next_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Returns the topics created (or grown) here since the last call, with their queue counts,
    /// for the name server's routes.
    pub(crate) fn take_created_topics(&mut self) -> Vec<(String, i32)> {
        std::mem::take(&mut self.created)
    }

    /// Returns the sessions retired since the last call because a newer session heart-beated
    /// with the same client id (the real broker closes them).
    pub(crate) fn take_retired_sessions(&mut self) -> Vec<Session> {
        self.groups.take_retired()
    }
}

impl BrokerStore {
    /// Stores the delayed messages due by `now` and answers the held pulls that timed out,
    /// in time order (a message due at a pull's timeout is stored first).
    fn run_due(&mut self, now: Instant, wall_ms: i64) {
        loop {
            let due = self.schedule.next_due().filter(|&t| t <= now);
            let timeout = self.pulls.next_deadline().filter(|&t| t <= now);
            match (due, timeout) {
                (Some(d), t) if t.is_none_or(|t| d <= t) => self.deliver_due(now, wall_ms),
                (_, Some(t)) => self.expire_pulls(now, t),
                _ => break,
            }
        }
    }

    /// Makes sure `topic` has a queue `queue_id`: an unknown topic is created with
    /// `default_nums` queues (or enough to hold `queue_id`), a known one grows to hold it;
    /// either change is reported.
    fn ensure_queue(&mut self, topic: &str, queue_id: i32, default_nums: i32) {
        let needed = queue_id.saturating_add(1).max(1);
        let nums = match self.topics.get(topic) {
            Some(&n) if n >= needed => return,
            Some(_) => needed,
            None => needed.max(default_nums),
        };
        self.topics.insert(topic.to_owned(), nums);
        self.created.push((topic.to_owned(), nums));
    }

    /// Queues a request from the broker to `session`.
    fn push_request(&mut self, session: Session, mut cmd: RemotingCommand) {
        cmd.version = BROKER_VERSION;
        cmd.opaque = self.next_opaque;
        self.next_opaque = self.next_opaque.wrapping_add(1);
        self.outbound.push_back((session, cmd));
    }
}

/// The born host of a message whose producer is unknown.
fn unknown_born_host() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)
}

/// A response to `cmd` with the broker's version.
fn response(cmd: &RemotingCommand, code: ResponseCode, remark: Option<String>) -> RemotingCommand {
    let mut r = RemotingCommand::response(code, cmd.opaque, remark);
    r.version = BROKER_VERSION;
    r
}

/// A SUCCESS response to `cmd`.
fn success(cmd: &RemotingCommand) -> RemotingCommand {
    response(cmd, ResponseCode::SUCCESS, None)
}

/// An error response to `cmd` with a remark.
fn error(cmd: &RemotingCommand, code: ResponseCode, remark: impl Into<String>) -> RemotingCommand {
    response(cmd, code, Some(remark.into()))
}

/// The answer to a request whose header does not decode (as the real broker).
fn invalid_header(cmd: &RemotingCommand) -> RemotingCommand {
    error(
        cmd,
        ResponseCode::INVALID_PARAMETER,
        "Request header is invalid",
    )
}

/// The answer to a request whose body does not decode (as the real broker).
fn invalid_body(cmd: &RemotingCommand) -> RemotingCommand {
    error(
        cmd,
        ResponseCode::INVALID_PARAMETER,
        "Request body is invalid",
    )
}
