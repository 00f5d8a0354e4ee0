//! Simulated name servers and brokers: scriptable answers to the client's requests.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rocketmq_proto::body::{BrokerData, QueueData, TopicRouteData};
use rocketmq_proto::header::{GetRouteInfoRequestHeader, SendMessageRequestHeader};
use rocketmq_proto::{RemotingCommand, RequestCode, ResponseCode, FLAG_ONEWAY};

use super::store::{BrokerStore, Handled, Session, StoreConfig};

/// How a simulated server answers one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Answer normally (store the message, return the route, accept the heartbeat).
    Normal,
    /// Answer with this code; for sends, 0/10/11/12 store the message with that status.
    Code(ResponseCode),
    /// Answer with this code and remark.
    CodeWithRemark(ResponseCode, String),
    /// Never answer.
    Drop,
    /// Close the connection instead of answering.
    Close,
    /// Answer after a delay.
    Delay(Duration, Box<Self>),
    /// Write these raw bytes instead of a frame.
    Garbage(Vec<u8>),
    /// Answer normally, with these ext fields added to the response (replacing normal ones
    /// of the same name).
    Extra(Vec<(String, String)>),
}

/// What a server decided to do with one request.
#[derive(Debug)]
pub(crate) enum Action {
    Respond(Duration, RemotingCommand),
    Raw(Duration, Bytes),
    Close,
    Nothing,
}

/// Scripted answers for one request code.
#[derive(Debug, Default)]
struct CodeScript {
    once: VecDeque<Reply>,
    every: Option<Reply>,
}

/// Topics known to the simulated cluster: name → (broker, queue count, perm).
#[derive(Debug, Default, Clone)]
pub(crate) struct Topics {
    pub(crate) topics: BTreeMap<String, Vec<(String, i32, i32)>>,
    pub(crate) broker_addrs: BTreeMap<String, String>,
    pub(crate) auto_create: bool,
}

impl Topics {
    /// Returns the queue count of `topic` on `broker`, if the broker serves it.
    pub(crate) fn queues_on(&self, topic: &str, broker: &str) -> Option<i32> {
        let entries = self.topics.get(topic)?;
        entries
            .iter()
            .find(|(b, _, _)| b == broker)
            .map(|(_, n, _)| *n)
    }

    pub(crate) fn route(&self, topic: &str) -> Option<TopicRouteData> {
        let entries = self.topics.get(topic)?;
        let queue_datas = entries
            .iter()
            .map(|(b, n, perm)| QueueData {
                broker_name: b.clone(),
                read_queue_nums: *n,
                write_queue_nums: *n,
                perm: *perm,
                topic_sys_flag: 0,
            })
            .collect();
        let broker_datas = entries
            .iter()
            .filter_map(|(b, _, _)| {
                let addr = self.broker_addrs.get(b)?;
                Some(BrokerData {
                    cluster: "DefaultCluster".into(),
                    broker_name: b.clone(),
                    broker_addrs: [(0i64, addr.clone())].into_iter().collect(),
                    enable_acting_master: false,
                    zone_name: None,
                })
            })
            .collect();
        Some(TopicRouteData {
            order_topic_conf: None,
            queue_datas,
            broker_datas,
            filter_server_table: BTreeMap::new(),
        })
    }
}

/// Requests a server received, in order.
#[derive(Debug, Default)]
pub(crate) struct Log(Vec<RemotingCommand>);

impl Log {
    fn count(&self, code: RequestCode) -> usize {
        self.0.iter().filter(|c| c.request_code() == code).count()
    }
}

/// A simulated name server.
#[derive(Debug, Default)]
pub struct MockNameServer {
    pub(crate) script: VecDeque<Reply>,
    pub(crate) log: Log,
    pub(crate) down: bool,
}

impl MockNameServer {
    /// Queues a one-shot answer for the next route request.
    pub fn push_reply(&mut self, r: Reply) -> &mut Self {
        self.script.push_back(r);
        self
    }

    /// Returns how many requests with `code` arrived.
    pub fn received_count(&self, code: RequestCode) -> usize {
        self.log.count(code)
    }

    /// Returns every request received.
    pub fn received(&self) -> &[RemotingCommand] {
        &self.log.0
    }

    pub(crate) fn handle(&mut self, topics: &Topics, cmd: RemotingCommand) -> Action {
        let reply = self.script.pop_front().unwrap_or(Reply::Normal);
        self.log.0.push(cmd.clone());
        resolve(reply, cmd.opaque, |code| {
            if cmd.request_code() != RequestCode::GET_ROUTEINFO_BY_TOPIC {
                return response(ResponseCode::REQUEST_CODE_NOT_SUPPORTED, cmd.opaque, "");
            }
            if code != ResponseCode::SUCCESS {
                return response(code, cmd.opaque, "scripted");
            }
            let topic = GetRouteInfoRequestHeader::from_ext_fields(&cmd.ext_fields)
                .map(|h| h.topic)
                .unwrap_or_default();
            match topics.route(&topic) {
                Some(r) => response(ResponseCode::SUCCESS, cmd.opaque, "")
                    .with_body(Bytes::from(r.to_json().into_bytes())),
                None => response(
                    ResponseCode::TOPIC_NOT_EXIST,
                    cmd.opaque,
                    &format!("No topic route info in name server for the topic: {topic}"),
                ),
            }
        })
    }
}

/// A simulated broker: scripted answers to sends, and a [`BrokerStore`] that stores what is
/// sent and answers every other request it knows.
#[derive(Debug)]
pub struct MockBroker {
    pub(crate) name: String,
    pub(crate) addr: String,
    pub(crate) script: VecDeque<Reply>,
    pub(crate) default_reply: Reply,
    /// Answers scripted for requests other than sends, by request code.
    by_code: BTreeMap<RequestCode, CodeScript>,
    pub(crate) latency: Duration,
    /// Time to handle one request, one after another (zero: every request at once).
    pub(crate) service_time: Duration,
    /// When the requests taken so far are handled, with a service time.
    pub(crate) busy_until: Option<Instant>,
    pub(crate) log: Log,
    pub(crate) down: bool,
    pub(crate) store: BrokerStore,
    /// Messages stored by sends.
    stored: i64,
    /// Version stamped on responses.
    pub version: i32,
}

impl MockBroker {
    pub(crate) fn new(name: &str, addr: &str, config: StoreConfig) -> Self {
        Self {
            name: name.into(),
            addr: addr.into(),
            script: VecDeque::new(),
            default_reply: Reply::Normal,
            by_code: BTreeMap::new(),
            latency: Duration::ZERO,
            service_time: Duration::ZERO,
            busy_until: None,
            log: Log::default(),
            down: false,
            store: BrokerStore::new(name, addr, config),
            stored: 0,
            version: 474,
        }
    }

    /// Returns the broker's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Queues a one-shot answer for the next send request.
    pub fn push_reply(&mut self, r: Reply) -> &mut Self {
        self.script.push_back(r);
        self
    }

    /// Sets the answer to every send request without a one-shot answer.
    pub fn set_default_reply(&mut self, r: Reply) -> &mut Self {
        self.default_reply = r;
        self
    }

    /// Queues a one-shot answer for the next request with `code` other than a send (a pull,
    /// a lock, an offset update…): `Reply::Normal` answers as the store would, a code answers
    /// that code, `Drop` never answers, `Close` closes the connection.
    pub fn push_reply_to(&mut self, code: RequestCode, r: Reply) -> &mut Self {
        self.by_code.entry(code).or_default().once.push_back(r);
        self
    }

    /// Sets the answer to every request with `code` other than a send without a one-shot
    /// answer; `None` goes back to the store's answers.
    pub fn set_reply_to(&mut self, code: RequestCode, r: Option<Reply>) -> &mut Self {
        self.by_code.entry(code).or_default().every = r;
        self
    }

    /// Delays every answer by `d`.
    pub fn set_latency(&mut self, d: Duration) -> &mut Self {
        self.latency = d;
        self
    }

    /// Handles requests one after another, `d` each, like a broker with one store thread:
    /// requests that arrive while it is busy queue up (answers still take the latency on top).
    pub fn set_service_time(&mut self, d: Duration) -> &mut Self {
        self.service_time = d;
        self
    }

    /// Returns how many requests with `code` arrived.
    pub fn received_count(&self, code: RequestCode) -> usize {
        self.log.count(code)
    }

    /// Returns every request received.
    pub fn received(&self) -> &[RemotingCommand] {
        &self.log.0
    }

    /// Returns how many messages sends stored (a batch counts each message).
    pub fn stored_count(&self) -> i64 {
        self.stored
    }

    /// Handles one request from `session` at `now` (wall clock `wall_ms`). The store's outbound
    /// is left for the caller to deliver before the answer.
    pub(crate) fn handle(
        &mut self,
        now: Instant,
        wall_ms: i64,
        session: Session,
        topics: &mut Topics,
        cmd: RemotingCommand,
    ) -> Action {
        self.log.0.push(cmd.clone());
        if cmd.is_response() {
            return Action::Nothing;
        }
        let is_send = matches!(
            cmd.request_code(),
            RequestCode::SEND_MESSAGE_V2
                | RequestCode::SEND_MESSAGE
                | RequestCode::SEND_BATCH_MESSAGE
        );
        if !is_send {
            return match self.scripted(cmd.request_code()) {
                Some(reply) => self.handle_scripted(now, wall_ms, session, &cmd, reply),
                None => self.handle_other(now, wall_ms, session, &cmd),
            };
        }
        let reply = self
            .script
            .pop_front()
            .unwrap_or_else(|| self.default_reply.clone());
        let reply = match (self.latency, reply) {
            (d, r) if d.is_zero() => r,
            (d, r) => Reply::Delay(d, Box::new(r)),
        };
        let action = resolve(reply, cmd.opaque, |rc| {
            self.answer_send(now, wall_ms, session, topics, &cmd, rc)
        });
        if cmd.is_oneway() {
            return Action::Nothing;
        }
        action
    }

    /// The scripted answer to a request with `code`, if any.
    fn scripted(&mut self, code: RequestCode) -> Option<Reply> {
        let script = self.by_code.get_mut(&code)?;
        script.once.pop_front().or_else(|| script.every.clone())
    }

    /// A request other than a send with a scripted answer.
    fn handle_scripted(
        &mut self,
        now: Instant,
        wall_ms: i64,
        session: Session,
        cmd: &RemotingCommand,
        reply: Reply,
    ) -> Action {
        let mut delay = Duration::ZERO;
        let mut reply = reply;
        while let Reply::Delay(d, inner) = reply {
            delay += d;
            reply = *inner;
        }
        let fields = match reply {
            Reply::Normal => Vec::new(),
            Reply::Extra(fields) => fields,
            _ if cmd.is_oneway() => return Action::Nothing,
            other => {
                let version = self.version;
                return resolve(Reply::Delay(delay, Box::new(other)), cmd.opaque, |rc| {
                    let mut resp = response(rc, cmd.opaque, "scripted");
                    resp.version = version;
                    resp
                });
            }
        };
        match self.handle_other(now, wall_ms, session, cmd) {
            Action::Respond(d, mut resp) => {
                for (k, v) in fields {
                    resp.ext_fields.insert(k, v);
                }
                Action::Respond(d + delay, resp)
            }
            other => other,
        }
    }

    /// A request other than a send: the store's answer, else SUCCESS to HEART_BEAT and
    /// UNREGISTER_CLIENT and REQUEST_CODE_NOT_SUPPORTED to the rest.
    fn handle_other(
        &mut self,
        now: Instant,
        wall_ms: i64,
        session: Session,
        cmd: &RemotingCommand,
    ) -> Action {
        let mut resp = match self.store.handle(now, wall_ms, session, cmd) {
            Handled::Reply(resp) => resp,
            Handled::NoReply | Handled::Suspended => return Action::Nothing,
            Handled::NotMine if cmd.is_oneway() => return Action::Nothing,
            Handled::NotMine => {
                let code = match cmd.request_code() {
                    RequestCode::HEART_BEAT | RequestCode::UNREGISTER_CLIENT => {
                        ResponseCode::SUCCESS
                    }
                    _ => ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                };
                response(code, cmd.opaque, "")
            }
        };
        resp.version = self.version;
        Action::Respond(self.latency, resp)
    }

    /// The answer to a send whose scripted code is `rc`: 0/10/11/12 store the message (an
    /// unknown topic is TOPIC_NOT_EXIST, or auto-created), any other code is answered as is.
    fn answer_send(
        &mut self,
        now: Instant,
        wall_ms: i64,
        session: Session,
        topics: &mut Topics,
        cmd: &RemotingCommand,
        rc: ResponseCode,
    ) -> RemotingCommand {
        let mut resp = response(rc, cmd.opaque, "");
        resp.version = self.version;
        if ![0, 10, 11, 12].contains(&rc.0) {
            resp.remark = Some(format!("scripted {rc:?}"));
            return resp;
        }
        let h = SendMessageRequestHeader::from_ext_fields_any(cmd.request_code(), &cmd.ext_fields);
        let Ok(h) = h else {
            return response(ResponseCode::SYSTEM_ERROR, cmd.opaque, "bad send header");
        };
        if !topics.topics.contains_key(&h.topic) {
            if !topics.auto_create {
                return response(ResponseCode::TOPIC_NOT_EXIST, cmd.opaque, "topic not exist");
            }
            let n = h.default_topic_queue_nums.min(8);
            topics
                .topics
                .insert(h.topic.clone(), vec![(self.name.clone(), n, 6)]);
        }
        // The cluster's topics are the routes: a send stores into them and never changes them.
        self.declare(topics, &h.topic, h.queue_id);
        // A oneway send is stored all the same; its answer is dropped by the caller.
        let stored = if cmd.is_oneway() {
            let mut two_way = cmd.clone();
            two_way.flag &= !FLAG_ONEWAY;
            self.store.handle(now, wall_ms, session, &two_way)
        } else {
            self.store.handle(now, wall_ms, session, cmd)
        };
        let Handled::Reply(mut answer) = stored else {
            return resp;
        };
        if answer.response_code() == ResponseCode::SUCCESS {
            let ids = answer.ext_fields.get("msgId").unwrap_or_default();
            self.stored += ids.split(',').count() as i64;
            answer.code = rc.0;
        }
        answer.version = self.version;
        answer
    }

    /// Makes the store know `topic` with at least this broker's queues of it in `topics` and
    /// queue `queue_id`, so storing into it reports no created topic.
    fn declare(&mut self, topics: &Topics, topic: &str, queue_id: i32) {
        let needed = topics
            .queues_on(topic, &self.name)
            .unwrap_or(0)
            .max(queue_id.max(0).saturating_add(1));
        if self.store.queue_nums(topic).is_none_or(|n| n < needed) {
            self.store.create_topic(topic, needed);
        }
    }
}

fn response(code: ResponseCode, opaque: i32, remark: &str) -> RemotingCommand {
    let remark = (!remark.is_empty()).then(|| remark.to_owned());
    RemotingCommand::response(code, opaque, remark)
}

/// Turns a scripted reply into an action, building the normal answer with `answer`.
fn resolve(
    reply: Reply,
    opaque: i32,
    answer: impl FnOnce(ResponseCode) -> RemotingCommand,
) -> Action {
    let mut delay = Duration::ZERO;
    let mut reply = reply;
    while let Reply::Delay(d, inner) = reply {
        delay += d;
        reply = *inner;
    }
    match reply {
        Reply::Normal => Action::Respond(delay, answer(ResponseCode::SUCCESS)),
        Reply::Code(c) => Action::Respond(delay, answer(c)),
        Reply::CodeWithRemark(c, r) => {
            let mut resp = answer(c);
            resp.remark = Some(r);
            resp.opaque = opaque;
            Action::Respond(delay, resp)
        }
        Reply::Drop => Action::Nothing,
        Reply::Close => Action::Close,
        Reply::Garbage(b) => Action::Raw(delay, Bytes::from(b)),
        Reply::Extra(fields) => {
            let mut resp = answer(ResponseCode::SUCCESS);
            for (k, v) in fields {
                resp.ext_fields.insert(k, v);
            }
            Action::Respond(delay, resp)
        }
        Reply::Delay(..) => Action::Nothing,
    }
}
