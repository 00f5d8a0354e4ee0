//! Pulls: PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361), tag filtering, long polling.

use std::time::{Duration, Instant};

use bytes::Bytes;
use rocketmq_proto::body::SubscriptionData;
use rocketmq_proto::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use rocketmq_proto::message::flags::pull_sys_flag;
use rocketmq_proto::message::MessageExt;
use rocketmq_proto::{RemotingCommand, ResponseCode};

use super::groups::NoSubscription;
use super::{error, invalid_header, response, BrokerStore, Session};

/// How long a pull is held when long polling is off (`shortPollingTimeMills`).
const SHORT_POLLING: Duration = Duration::from_millis(1000);

/// Most consume-queue entries one pull scans while filtering (Java: 16000 bytes of 20-byte
/// entries).
const MAX_FILTER_SCAN: usize = 800;

/// Which messages a pull wants, by the tag hash in the consume queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Filter {
    /// Every message (`*`, or SQL92: this store has no expression engine).
    All,
    /// Messages whose tag hash is one of these (hash collisions pass, untagged ones do not).
    Tags(Vec<i32>),
}

impl Filter {
    /// The broker's filter for a subscription.
    fn of(sub: &SubscriptionData) -> Self {
        if sub.expression_type == SubscriptionData::SQL92
            || sub.sub_string == SubscriptionData::SUB_ALL
        {
            Self::All
        } else {
            Self::Tags(sub.code_set.clone())
        }
    }

    /// Whether a message with this tag hash passes.
    fn matches(&self, tags_code: i32) -> bool {
        match self {
            Self::All => true,
            Self::Tags(codes) => codes.contains(&tags_code),
        }
    }
}

/// A pull held until a message arrives or it times out.
#[derive(Debug)]
struct Held {
    session: Session,
    cmd: RemotingCommand,
    topic: String,
    queue_id: i32,
    offset: i64,
    filter: Filter,
    deadline: Instant,
    /// Whether an arriving message answers it (long polling) or only its timeout does.
    wakes_on_arrival: bool,
}

/// The held pulls, in arrival order.
#[derive(Debug, Default)]
pub(super) struct SuspendedPulls(Vec<Held>);

impl SuspendedPulls {
    /// Returns the earliest timeout.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.0.iter().map(|h| h.deadline).min()
    }

    /// Returns how many pulls are held.
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    /// Drops the pulls of a closed session.
    pub(super) fn drop_session(&mut self, session: Session) {
        self.0.retain(|h| h.session != session);
    }

    /// Removes the pulls matching `pred`, in arrival order.
    fn take(&mut self, mut pred: impl FnMut(&Held) -> bool) -> Vec<Held> {
        let (taken, kept) = std::mem::take(&mut self.0)
            .into_iter()
            .partition(|h| pred(h));
        self.0 = kept;
        taken
    }
}

/// What a pull found.
enum Outcome {
    /// Records to return (concatenated), and the offset after the last one scanned.
    Found(Vec<u8>, i64),
    /// Nothing new at the max offset.
    NoNewMessage,
    /// Every message scanned was filtered out; the offset after them.
    NoMatched(i64),
    /// The offset is outside the queue; the offset to use instead.
    Moved(i64),
}

impl BrokerStore {
    /// Executes a pull: `first` on arrival (may hold it: `None`, may commit its offset), else
    /// when a held pull is woken (never holds, never commits).
    pub(super) fn pull(
        &mut self,
        now: Instant,
        session: Session,
        cmd: &RemotingCommand,
        first: bool,
    ) -> Option<RemotingCommand> {
        let Ok(h) = PullMessageRequestHeader::from_ext_fields(&cmd.ext_fields) else {
            return Some(invalid_header(cmd));
        };
        if first {
            if let Some((code, remark)) = self.scripted_pull_errors.pop_front() {
                return Some(error(cmd, code, remark));
            }
        }
        let filter = match self.filter_of(&h) {
            Ok(filter) => filter,
            Err((code, remark)) => return Some(error(cmd, code, remark)),
        };
        if first && h.sys_flag & pull_sys_flag::COMMIT_OFFSET != 0 && h.commit_offset > 0 {
            self.offsets
                .set(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
        }
        let (code, body, next) = match self.scan(&h, &filter) {
            Outcome::Found(body, next) => (ResponseCode::SUCCESS, body, next),
            Outcome::NoMatched(next) => (ResponseCode::PULL_RETRY_IMMEDIATELY, Vec::new(), next),
            Outcome::Moved(next) => (ResponseCode::PULL_OFFSET_MOVED, Vec::new(), next),
            Outcome::NoNewMessage => {
                let hold = self.hold_time(&h).filter(|_| first);
                if let Some(deadline) = hold.and_then(|d| now.checked_add(d)) {
                    self.pulls.0.push(Held {
                        session,
                        cmd: cmd.clone(),
                        topic: h.topic,
                        queue_id: h.queue_id,
                        offset: h.queue_offset,
                        filter,
                        deadline,
                        wakes_on_arrival: self.config.long_polling,
                    });
                    return None;
                }
                (ResponseCode::PULL_NOT_FOUND, Vec::new(), h.queue_offset)
            }
        };
        let mut answer = response(cmd, code, None);
        PullMessageResponseHeader {
            suggest_which_broker_id: 0,
            next_begin_offset: next,
            min_offset: self.log.min_offset(&h.topic, h.queue_id),
            max_offset: self.log.max_offset(&h.topic, h.queue_id),
            offset_delta: None,
            topic_sys_flag: Some(0),
            group_sys_flag: Some(0),
            forbidden_type: None,
        }
        .to_ext_fields(&mut answer.ext_fields);
        answer.body = Bytes::from(body);
        Some(answer)
    }

    /// The pull's filter: from the header with the SUBSCRIPTION flag, else from the group's
    /// heartbeat.
    fn filter_of(&self, h: &PullMessageRequestHeader) -> Result<Filter, (ResponseCode, String)> {
        if h.sys_flag & pull_sys_flag::SUBSCRIPTION != 0 {
            return match h.expression_type.as_deref().unwrap_or_default() {
                "" | SubscriptionData::TAG => {
                    let expr = h.subscription.as_deref().unwrap_or_default();
                    match SubscriptionData::from_tag_expression(&*h.topic, expr, h.sub_version) {
                        Ok(sub) => Ok(Filter::of(&sub)),
                        Err(e) => Err((ResponseCode::SUBSCRIPTION_PARSE_FAILED, e.to_string())),
                    }
                }
                SubscriptionData::SQL92 => Ok(Filter::All),
                other => Err((
                    ResponseCode::SUBSCRIPTION_PARSE_FAILED,
                    format!("unsupported expression type {other}"),
                )),
            };
        }
        match self.groups.subscription(&h.consumer_group, &h.topic) {
            // The Rust broker answers 24 where Java answers 25 SUBSCRIPTION_NOT_LATEST.
            Ok(sub) if sub.sub_version < h.sub_version => Err((
                ResponseCode::SUBSCRIPTION_NOT_EXIST,
                "the consumer's subscription not latest".to_owned(),
            )),
            Ok(sub) => Ok(Filter::of(sub)),
            Err(NoSubscription::Group) => Err((
                ResponseCode::SUBSCRIPTION_NOT_EXIST,
                format!("the consumer's group info not exist, {}", h.consumer_group),
            )),
            Err(NoSubscription::Topic) => Err((
                ResponseCode::SUBSCRIPTION_NOT_EXIST,
                format!("the consumer's subscription not exist, {}", h.topic),
            )),
        }
    }

    /// How long a pull that found nothing new is held, if it is.
    fn hold_time(&self, h: &PullMessageRequestHeader) -> Option<Duration> {
        if h.sys_flag & pull_sys_flag::SUSPEND == 0 {
            return None;
        }
        if !self.config.long_polling {
            return Some(SHORT_POLLING);
        }
        let millis = u64::try_from(h.suspend_timeout_millis).ok()?;
        (millis > 0).then(|| Duration::from_millis(millis))
    }

    /// Reads the queue from the pull's offset: up to `min(maxMsgNums, max_pull_batch)` matching
    /// records within `maxMsgBytes` (at least one), scanning at most [`MAX_FILTER_SCAN`] entries.
    fn scan(&self, h: &PullMessageRequestHeader, filter: &Filter) -> Outcome {
        let (topic, queue_id, offset) = (h.topic.as_str(), h.queue_id, h.queue_offset);
        let min = self.log.min_offset(topic, queue_id);
        let max = self.log.max_offset(topic, queue_id);
        if offset < min {
            return Outcome::Moved(min);
        }
        if offset > max {
            return Outcome::Moved(max);
        }
        if offset == max {
            return Outcome::NoNewMessage;
        }
        let max_count = usize::try_from(h.max_msg_nums)
            .unwrap_or(0)
            .clamp(1, self.config.max_pull_batch.max(1));
        let max_bytes = h
            .max_msg_bytes
            .and_then(|b| usize::try_from(b).ok())
            .filter(|&b| b > 0)
            .unwrap_or(usize::MAX);
        let mut body = Vec::new();
        let mut count = 0;
        let mut next = offset;
        for (queue_offset, entry) in self
            .log
            .entries_from(topic, queue_id, offset)
            .take(MAX_FILTER_SCAN)
        {
            if !filter.matches(entry.tags_code) {
                next = queue_offset + 1;
                continue;
            }
            let Some(stored) = self.log.record(entry.phys) else {
                next = queue_offset + 1;
                continue;
            };
            if count > 0 && body.len() + stored.bytes.len() > max_bytes {
                break;
            }
            body.extend_from_slice(&stored.bytes);
            count += 1;
            next = queue_offset + 1;
            if count == max_count {
                break;
            }
        }
        if count == 0 {
            Outcome::NoMatched(next)
        } else {
            Outcome::Found(body, next)
        }
    }

    /// Answers the held pulls of `stored`'s queue that it matches (long polling only).
    pub(super) fn wake_pulls(&mut self, now: Instant, stored: &MessageExt) {
        let tags_code = stored
            .message
            .tags()
            .map_or(0, rocketmq_proto::body::java_string_hash);
        let (topic, queue_id) = (stored.message.topic.as_str(), stored.queue_id);
        let woken = self.pulls.take(|h| {
            h.wakes_on_arrival
                && h.topic == topic
                && h.queue_id == queue_id
                && h.offset <= stored.queue_offset
                && h.filter.matches(tags_code)
        });
        self.answer_held(now, woken);
    }

    /// Answers the held pulls whose timeout is `deadline`, which is due by `now`.
    pub(super) fn expire_pulls(&mut self, now: Instant, deadline: Instant) {
        let expired = self.pulls.take(|h| h.deadline <= deadline);
        self.answer_held(now, expired);
    }

    /// Executes held pulls again and queues their answers (none for oneway pulls).
    fn answer_held(&mut self, now: Instant, held: Vec<Held>) {
        for h in held {
            if let Some(answer) = self.pull(now, h.session, &h.cmd, false) {
                if !h.cmd.is_oneway() {
                    self.outbound.push_back((h.session, answer));
                }
            }
        }
    }
}
