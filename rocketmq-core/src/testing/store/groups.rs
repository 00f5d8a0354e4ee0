//! Group membership: HEART_BEAT (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP (38),
//! and the NOTIFY_CONSUMER_IDS_CHANGED (40) pushes.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use bytes::Bytes;
use rocketmq_proto::body::{ConsumerData, ConsumerListBody, HeartbeatData, SubscriptionData};
use rocketmq_proto::header::{
    GetConsumerListByGroupRequestHeader, NotifyConsumerIdsChangedRequestHeader,
    UnregisterClientRequestHeader,
};
use rocketmq_proto::message::validate::RETRY_GROUP_TOPIC_PREFIX;
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode};

use super::send::client_ip;
use super::{
    error, invalid_body, invalid_header, success, unknown_born_host, BrokerStore, Session,
};

/// One client of a group, on the session it last heart-beated on.
#[derive(Debug)]
struct Member {
    client_id: String,
    session: Session,
}

/// A consumer group: its members in registration order and its subscriptions by topic.
#[derive(Debug, Default)]
struct ConsumerGroup {
    members: Vec<Member>,
    subscriptions: BTreeMap<String, SubscriptionData>,
}

/// Why a pull without the SUBSCRIPTION flag has no subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NoSubscription {
    /// No member of the group is registered.
    Group,
    /// The group does not subscribe to the topic.
    Topic,
}

/// Which client each session carries, and the consumer and producer groups.
#[derive(Debug, Default)]
pub(super) struct Groups {
    sessions: HashMap<Session, String>,
    consumers: BTreeMap<String, ConsumerGroup>,
    producers: BTreeMap<String, Vec<Member>>,
    retired: Vec<Session>,
}

impl Groups {
    /// The born host of messages sent on `session`: its client's IP (port 0) when known.
    pub(super) fn born_host(&self, session: Session) -> SocketAddr {
        self.sessions
            .get(&session)
            .and_then(|id| client_ip(id))
            .map_or_else(unknown_born_host, |ip| SocketAddr::new(ip, 0))
    }

    /// Returns the subscription a consumer group registered for `topic`.
    pub(super) fn subscription(
        &self,
        group: &str,
        topic: &str,
    ) -> Result<&SubscriptionData, NoSubscription> {
        let group = self.consumers.get(group).ok_or(NoSubscription::Group)?;
        group.subscriptions.get(topic).ok_or(NoSubscription::Topic)
    }

    /// Returns the client ids of a consumer group in registration order.
    fn consumer_ids(&self, group: &str) -> Vec<String> {
        self.consumers.get(group).map_or_else(Vec::new, |g| {
            g.members.iter().map(|m| m.client_id.clone()).collect()
        })
    }

    /// Returns the client ids of a consumer group, sorted.
    pub(super) fn consumer_ids_sorted(&self, group: &str) -> Vec<String> {
        let mut ids = self.consumer_ids(group);
        ids.sort();
        ids
    }

    /// Returns the client ids of a producer group, sorted.
    pub(super) fn producer_ids_sorted(&self, group: &str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .producers
            .get(group)
            .into_iter()
            .flatten()
            .map(|m| m.client_id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// Returns the sessions of a consumer group's members.
    fn sessions_of(&self, group: &str) -> Vec<Session> {
        self.consumers
            .get(group)
            .map_or_else(Vec::new, |g| g.members.iter().map(|m| m.session).collect())
    }

    /// Binds `session` to `client_id`, retiring any older session of the same client; returns
    /// the retired sessions, or `None` if `session` already carries another client.
    fn bind(&mut self, session: Session, client_id: &str) -> Option<Vec<Session>> {
        if self
            .sessions
            .get(&session)
            .is_some_and(|bound| bound != client_id)
        {
            return None;
        }
        let older: Vec<Session> = self
            .sessions
            .iter()
            .filter(|&(&s, id)| s != session && id == client_id)
            .map(|(&s, _)| s)
            .collect();
        for &s in &older {
            self.session_closed(s);
            self.retired.push(s);
        }
        self.sessions.insert(session, client_id.to_owned());
        Some(older)
    }

    /// Registers a consumer group member; returns whether it joined (new to the group, or on a
    /// new session) and whether the group's subscribed topics changed.
    fn register_consumer(
        &mut self,
        session: Session,
        client_id: &str,
        data: &ConsumerData,
        keep_subscriptions: bool,
    ) -> (bool, bool) {
        let group = self.consumers.entry(data.group_name.clone()).or_default();
        let joined = join(&mut group.members, session, client_id);
        let changed = !keep_subscriptions
            && update_subscriptions(&mut group.subscriptions, &data.subscription_data_set);
        (joined, changed)
    }

    /// Registers a producer group member.
    fn register_producer(&mut self, session: Session, client_id: &str, group: &str) {
        let members = self.producers.entry(group.to_owned()).or_default();
        join(members, session, client_id);
    }

    /// Removes a client from a consumer and/or producer group (no notification).
    fn unregister(&mut self, client_id: &str, consumer: Option<&str>, producer: Option<&str>) {
        if let Some(name) = consumer {
            if let Some(group) = self.consumers.get_mut(name) {
                group.members.retain(|m| m.client_id != client_id);
                if group.members.is_empty() {
                    self.consumers.remove(name);
                }
            }
        }
        if let Some(name) = producer {
            if let Some(members) = self.producers.get_mut(name) {
                members.retain(|m| m.client_id != client_id);
                if members.is_empty() {
                    self.producers.remove(name);
                }
            }
        }
    }

    /// Removes a closed session's client from every group (no notification); a consumer group
    /// left with no member is forgotten with its subscriptions.
    pub(super) fn session_closed(&mut self, session: Session) {
        self.sessions.remove(&session);
        for group in self.consumers.values_mut() {
            group.members.retain(|m| m.session != session);
        }
        self.consumers.retain(|_, g| !g.members.is_empty());
        for members in self.producers.values_mut() {
            members.retain(|m| m.session != session);
        }
        self.producers.retain(|_, m| !m.is_empty());
    }

    /// Whether sessions were retired since the last `take_retired`.
    pub(super) fn has_retired(&self) -> bool {
        !self.retired.is_empty()
    }

    /// Returns the sessions retired since the last call.
    pub(super) fn take_retired(&mut self) -> Vec<Session> {
        std::mem::take(&mut self.retired)
    }
}

/// Adds or moves `client_id` to `session` in `members`; returns whether that changed anything.
fn join(members: &mut Vec<Member>, session: Session, client_id: &str) -> bool {
    match members.iter_mut().find(|m| m.client_id == client_id) {
        Some(m) if m.session == session => false,
        Some(m) => {
            m.session = session;
            true
        }
        None => {
            members.push(Member {
                client_id: client_id.to_owned(),
                session,
            });
            true
        }
    }
}

/// Applies a heartbeat's subscriptions as Java's `ConsumerGroupInfo#updateSubscription`: a new
/// topic is added, a newer version replaces the old one, a topic no longer listed is removed.
/// Returns whether a topic was added or removed (a new version of a topic is not a change).
fn update_subscriptions(
    table: &mut BTreeMap<String, SubscriptionData>,
    subscriptions: &[SubscriptionData],
) -> bool {
    let mut changed = false;
    for sub in subscriptions {
        match table.get(&sub.topic) {
            None => {
                table.insert(sub.topic.clone(), sub.clone());
                changed = true;
            }
            Some(old) if sub.sub_version > old.sub_version => {
                table.insert(sub.topic.clone(), sub.clone());
            }
            Some(_) => {}
        }
    }
    let before = table.len();
    table.retain(|topic, _| subscriptions.iter().any(|s| &s.topic == topic));
    changed || table.len() != before
}

/// Whether a heartbeat body says `"withoutSub":true` (heartbeat V2's light body, which keeps
/// the registered subscriptions); `HeartbeatData` does not carry the field.
fn without_sub(body: &[u8]) -> bool {
    const KEY: &str = "\"withoutSub\"";
    let text = std::str::from_utf8(body).unwrap_or_default();
    text.find(KEY)
        .and_then(|i| text.get(i + KEY.len()..))
        .and_then(|rest| rest.trim_start().strip_prefix(':'))
        .is_some_and(|value| value.trim_start().starts_with("true"))
}

impl BrokerStore {
    /// Handles HEART_BEAT: registers the client's groups, creates `%RETRY%<group>` for each
    /// consumer group, and queues NOTIFY_CONSUMER_IDS_CHANGED to every member of a group the
    /// client joined or whose subscribed topics changed.
    pub(super) fn heartbeat(&mut self, session: Session, cmd: &RemotingCommand) -> RemotingCommand {
        let Ok(data) = HeartbeatData::from_json(&cmd.body) else {
            return invalid_body(cmd);
        };
        let groups_named = data
            .consumer_data_set
            .iter()
            .map(|c| &c.group_name)
            .chain(data.producer_data_set.iter().map(|p| &p.group_name))
            .all(|g| !g.is_empty());
        if data.client_id.is_empty() || !groups_named {
            return invalid_body(cmd);
        }
        let Some(retired) = self.groups.bind(session, &data.client_id) else {
            return error(
                cmd,
                ResponseCode::INVALID_PARAMETER,
                "the connection already carries another client id",
            );
        };
        for s in retired {
            self.pulls.drop_session(s);
        }
        let keep_subscriptions = without_sub(&cmd.body);
        let mut sub_change = false;
        for consumer in &data.consumer_data_set {
            if self.config.retry_queue_nums > 0 {
                let retry = format!("{RETRY_GROUP_TOPIC_PREFIX}{}", consumer.group_name);
                self.ensure_queue(&retry, 0, self.config.retry_queue_nums);
            }
            let (joined, changed) = self.groups.register_consumer(
                session,
                &data.client_id,
                consumer,
                keep_subscriptions,
            );
            sub_change |= changed;
            if joined || changed {
                self.notify_ids_changed(&consumer.group_name);
            }
        }
        for producer in &data.producer_data_set {
            self.groups
                .register_producer(session, &data.client_id, &producer.group_name);
        }
        let mut answer = success(cmd);
        answer.ext_fields.insert("isSupportHeartBeatV2", "true");
        answer
            .ext_fields
            .insert("isSubChange", if sub_change { "true" } else { "false" });
        answer
    }

    /// Queues NOTIFY_CONSUMER_IDS_CHANGED (oneway) to every session of `group`.
    fn notify_ids_changed(&mut self, group: &str) {
        for session in self.groups.sessions_of(group) {
            let mut request = RemotingCommand::oneway(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED);
            NotifyConsumerIdsChangedRequestHeader {
                consumer_group: group.to_owned(),
            }
            .to_ext_fields(&mut request.ext_fields);
            self.push_request(session, request);
        }
    }

    /// Handles UNREGISTER_CLIENT: the client leaves the named groups (no notification).
    pub(super) fn unregister(&mut self, cmd: &RemotingCommand) -> RemotingCommand {
        let Ok(h) = UnregisterClientRequestHeader::from_ext_fields(&cmd.ext_fields) else {
            return invalid_header(cmd);
        };
        self.groups.unregister(
            &h.client_id,
            h.consumer_group.as_deref(),
            h.producer_group.as_deref(),
        );
        success(cmd)
    }

    /// Handles GET_CONSUMER_LIST_BY_GROUP: the members' client ids in registration order.
    pub(super) fn consumer_list(&self, cmd: &RemotingCommand) -> RemotingCommand {
        let Ok(h) = GetConsumerListByGroupRequestHeader::from_ext_fields(&cmd.ext_fields) else {
            return invalid_header(cmd);
        };
        let ids = self.groups.consumer_ids(&h.consumer_group);
        if ids.is_empty() {
            return error(
                cmd,
                ResponseCode::SYSTEM_ERROR,
                format!("no consumer for this group, {}", h.consumer_group),
            );
        }
        let body = ConsumerListBody {
            consumer_id_list: ids,
        };
        success(cmd).with_body(Bytes::from(body.to_json()))
    }
}
