//! `client_bytes` and `retry_sequence`: the Sans-IO client on the simulated cluster.

use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use rocketmq_core::testing::{Harness, Reply};
use rocketmq_core::{
    Message, ProducerConfig, ProducerId, SendId, SendMode, SendOptions, ServiceState,
};
use rocketmq_proto::{RemotingCommand, ResponseCode, FLAG_RESPONSE};

/// The simulated name server.
pub const NAME_SERVER: &str = "ns1:9876";
/// The simulated brokers (name, address); targets use the first two or three.
pub const BROKERS: [(&str, &str); 3] = [
    ("broker-a", "10.0.0.1:10911"),
    ("broker-b", "10.0.0.2:10911"),
    ("broker-c", "10.0.0.3:10911"),
];
/// The topic the cluster serves.
pub const TOPIC: &str = "Orders";

/// Longest virtual-time step of one `Advance` operation.
const MAX_ADVANCE_MS: u64 = 40_000;
/// Most operations interpreted from one input (keeps executions fast).
const MAX_OPS: usize = 64;
/// A body this long is compressed by the producer (default threshold 4096).
const BIG_BODY: usize = 5000;

// ---------------------------------------------------------------- client_bytes

/// A server the client talks to.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// The name server.
    NameServer,
    /// `broker-a`.
    BrokerA,
    /// `broker-b`.
    BrokerB,
}

impl Peer {
    fn addr(self) -> &'static str {
        match self {
            Self::NameServer => NAME_SERVER,
            Self::BrokerA => BROKERS[0].1,
            Self::BrokerB => BROKERS[1].1,
        }
    }
}

/// One of the two brokers of `client_bytes`.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broker {
    /// `broker-a`.
    A,
    /// `broker-b`.
    B,
}

impl Broker {
    fn name(self) -> &'static str {
        match self {
            Self::A => BROKERS[0].0,
            Self::B => BROKERS[1].0,
        }
    }
}

/// The topic of a send.
#[derive(Arbitrary, Debug)]
pub enum TopicChoice {
    /// The served topic.
    Orders,
    /// A valid topic the name server does not know.
    Missing,
    /// Any string (usually rejected by validation).
    Any(String),
}

/// How a send is made.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Mode {
    /// Sync.
    Sync,
    /// Async.
    Async,
    /// Oneway.
    Oneway,
}

impl From<Mode> for SendMode {
    fn from(m: Mode) -> Self {
        match m {
            Mode::Sync => Self::Sync,
            Mode::Async => Self::Async,
            Mode::Oneway => Self::Oneway,
        }
    }
}

/// A scripted answer of a simulated server.
#[derive(Arbitrary, Debug, Clone)]
pub enum ScriptedReply {
    /// Answer normally.
    Normal,
    /// Answer with an arbitrary response code.
    Code(i32),
    /// Never answer.
    Drop,
    /// Close the connection.
    Close,
    /// Write raw bytes instead of a frame.
    Garbage(Vec<u8>),
    /// Answer with a code after up to ~6.5 s.
    Delay {
        /// Delay in units of 100 µs.
        tenth_ms: u16,
        /// The code answered.
        code: i32,
    },
}

impl ScriptedReply {
    fn to_reply(&self) -> Reply {
        match self {
            Self::Normal => Reply::Normal,
            Self::Code(c) => Reply::Code(ResponseCode(*c)),
            Self::Drop => Reply::Drop,
            Self::Close => Reply::Close,
            Self::Garbage(b) => Reply::Garbage(b.clone()),
            Self::Delay { tenth_ms, code } => Reply::Delay(
                Duration::from_micros(u64::from(*tenth_ms) * 100),
                Box::new(Reply::Code(ResponseCode(*code))),
            ),
        }
    }
}

/// One step of a `client_bytes` scenario.
#[derive(Arbitrary, Debug)]
pub enum Op {
    /// Send a message (not driven: sends pile up until time passes or `Drive`).
    Send {
        /// Which producer (index into the started ones, modulo).
        producer: u8,
        /// Sync, async or oneway.
        mode: Mode,
        /// Topic.
        topic: TopicChoice,
        /// Body (a 5000-byte body, compressed by the producer, when `big`).
        body: Vec<u8>,
        /// Use a compressible 5000-byte body.
        big: bool,
        /// Tag.
        tags: Option<String>,
        /// Per-send timeout in ms (0 included), else the producer's 3 s.
        timeout_ms: Option<u16>,
        /// Fixed queue index.
        queue_index: Option<u8>,
    },
    /// Bytes from a server on its open connection (ignored if none is open).
    InjectRaw {
        /// Sender.
        from: Peer,
        /// Bytes.
        bytes: Vec<u8>,
    },
    /// An arbitrary command from a server on its open connection.
    Inject {
        /// Sender.
        from: Peer,
        /// Command.
        cmd: RemotingCommand,
    },
    /// A response with a small opaque, likely to match a request in flight.
    InjectResponse {
        /// Sender.
        from: Peer,
        /// Opaque (the client numbers requests from 1).
        opaque: u8,
        /// Response code.
        code: i16,
        /// Add a well-formed send response header (msgId, queueId, queueOffset).
        send_header: Option<(u8, i64)>,
        /// Body.
        body: Vec<u8>,
    },
    /// Let virtual time pass (up to 40 s).
    Advance {
        /// Milliseconds (modulo 40 001).
        ms: u16,
    },
    /// Kill a broker.
    Kill(Broker),
    /// Revive a broker.
    Revive(Broker),
    /// Make connects to a server hang until the connect timeout (permanent).
    Blackhole(Peer),
    /// Script a broker's answer to its next send request.
    Script(Broker, ScriptedReply),
    /// Set a broker's answer to send requests without a scripted one.
    DefaultReply(Broker, ScriptedReply),
    /// Script the name server's next answer.
    ScriptNameServer(ScriptedReply),
    /// Change the topic's route: queues on broker-a and broker-b (0 = absent).
    SetRoute(u8, u8),
    /// Remove the topic from the cluster.
    RemoveTopic,
    /// Create and start another producer (same group: must fail as a duplicate).
    StartProducer {
        /// Reuse the first producer's group.
        same_group: bool,
    },
    /// Shut one producer down.
    ShutdownProducer(u8),
    /// Shut the whole client down.
    Shutdown,
    /// Run until nothing is pending.
    Drive,
}

/// A `client_bytes` scenario.
#[derive(Arbitrary, Debug)]
pub struct ClientScenario {
    /// The client's random seed.
    pub seed: u64,
    /// Use the binary (ROCKETMQ) header for requests instead of JSON.
    pub binary_headers: bool,
    /// Drive until every send completed before the final shutdown.
    pub drain_before_shutdown: bool,
    /// The operations.
    pub ops: Vec<Op>,
}

/// One accepted send: when, and its time budget.
struct Accepted {
    id: SendId,
    at: Instant,
    timeout: Duration,
}

/// Properties (beyond "nothing panics", including the harness's own checks that the client
/// only writes decodable frames and never livelocks):
///
/// - every accepted send completes exactly once, and no later than its timeout after it
///   was accepted;
/// - no completion event names a send that was never accepted;
/// - after `shutdown` and `drive`: no send is pending, no request is in flight and no
///   timer is armed.
pub fn client_bytes(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(scenario) = ClientScenario::arbitrary(&mut u) else {
        return;
    };
    run_client_scenario(&scenario);
}

/// Runs a scenario and checks its properties (see [`client_bytes`]).
pub fn run_client_scenario(s: &ClientScenario) {
    let mut h = Harness::builder(Instant::now())
        .broker(BROKERS[0].0, BROKERS[0].1)
        .broker(BROKERS[1].0, BROKERS[1].1)
        .topic(TOPIC, &[(BROKERS[0].0, 4), (BROKERS[1].0, 4)])
        .seed(s.seed)
        .config(|c| {
            if s.binary_headers {
                c.serialize_type = rocketmq_proto::SerializeType::RocketMq;
            }
        })
        .build();
    let first = ProducerConfig::new("fuzz_producer");
    let mut producers = vec![(h.start_producer(first), "fuzz_producer".to_owned())];
    let mut accepted: Vec<Accepted> = Vec::new();

    for op in s.ops.iter().take(MAX_OPS) {
        apply(&mut h, op, &mut producers, &mut accepted);
    }
    if s.drain_before_shutdown {
        h.drive();
    }
    h.client.shutdown(h.now);
    h.drive();

    for a in &accepted {
        let n = h.completions(a.id);
        assert_eq!(n, 1, "send {:?} completed {n} times", a.id);
        let done = h.completed_at(a.id).expect("completed");
        assert!(
            done - a.at <= a.timeout,
            "send {:?} completed {:?} after it was accepted, beyond its timeout {:?}",
            a.id,
            done - a.at,
            a.timeout
        );
    }
    for e in h.events() {
        if let rocketmq_core::Event::SendCompleted { id, .. }
        | rocketmq_core::Event::OnewayCompleted { id, .. } = e
        {
            assert!(
                accepted.iter().any(|a| a.id == *id),
                "completion of a send that was never accepted: {id:?}"
            );
        }
    }
    assert_eq!(h.client.pending_sends(), 0, "sends pending after shutdown");
    assert_eq!(
        h.client.in_flight_requests(),
        0,
        "requests in flight after shutdown"
    );
    assert_eq!(h.client.armed_timers(), 0, "timers armed after shutdown");
}

fn apply(
    h: &mut Harness,
    op: &Op,
    producers: &mut Vec<(ProducerId, String)>,
    accepted: &mut Vec<Accepted>,
) {
    match op {
        Op::Send {
            producer,
            mode,
            topic,
            body,
            big,
            tags,
            timeout_ms,
            queue_index,
        } => {
            let p = producers[usize::from(*producer) % producers.len()].0;
            let topic = match topic {
                TopicChoice::Orders => TOPIC.to_owned(),
                TopicChoice::Missing => "Missing".to_owned(),
                TopicChoice::Any(t) => t.clone(),
            };
            let body = if *big {
                Bytes::from(b"compressible ".repeat(BIG_BODY / 13 + 1))
            } else {
                Bytes::copy_from_slice(body)
            };
            let mut msg = Message::new(topic, body);
            if let Some(t) = tags {
                msg = msg.with_tags(t.clone());
            }
            let opts = SendOptions {
                mode: (*mode).into(),
                timeout: timeout_ms.map(|ms| Duration::from_millis(u64::from(ms))),
                queue_index: queue_index.map(usize::from),
            };
            let timeout = opts.timeout.unwrap_or(Duration::from_secs(3));
            let at = h.now;
            if let Ok(id) = h.client.producer(p).and_then(|x| x.send(at, msg, opts)) {
                assert!(
                    accepted.iter().all(|a| a.id != id),
                    "send id {id:?} returned twice"
                );
                accepted.push(Accepted { id, at, timeout });
            }
            h.pump();
        }
        Op::InjectRaw { from, bytes } => {
            h.inject_raw(from.addr(), bytes);
        }
        Op::Inject { from, cmd } => {
            h.inject(from.addr(), cmd);
        }
        Op::InjectResponse {
            from,
            opaque,
            code,
            send_header,
            body,
        } => {
            let mut cmd =
                RemotingCommand::response(ResponseCode(i32::from(*code)), i32::from(*opaque), None)
                    .with_body(body.clone());
            cmd.flag |= FLAG_RESPONSE;
            if let Some((queue_id, offset)) = send_header {
                cmd.ext_fields
                    .insert("msgId", "0A00000100002A9F0000000000000000");
                cmd.ext_fields.insert("queueId", queue_id.to_string());
                cmd.ext_fields.insert("queueOffset", offset.to_string());
            }
            h.inject(from.addr(), &cmd);
        }
        Op::Advance { ms } => {
            h.advance(Duration::from_millis(u64::from(*ms) % (MAX_ADVANCE_MS + 1)));
        }
        Op::Kill(b) => h.kill_broker(b.name()),
        Op::Revive(b) => h.revive_broker(b.name()),
        Op::Blackhole(p) => h.blackhole(p.addr()),
        Op::Script(b, r) => {
            h.broker_mut(b.name()).push_reply(r.to_reply());
        }
        Op::DefaultReply(b, r) => {
            h.broker_mut(b.name()).set_default_reply(r.to_reply());
        }
        Op::ScriptNameServer(r) => {
            h.name_server_mut(NAME_SERVER).push_reply(r.to_reply());
        }
        Op::SetRoute(a, b) => {
            let mut queues = Vec::new();
            for (broker, n) in [(BROKERS[0].0, a), (BROKERS[1].0, b)] {
                let n = i32::from(*n % 9);
                if n > 0 {
                    queues.push((broker, n));
                }
            }
            h.set_topic(TOPIC, &queues);
        }
        Op::RemoveTopic => h.remove_topic(TOPIC),
        Op::StartProducer { same_group } => {
            let group = if *same_group {
                "fuzz_producer".to_owned()
            } else {
                format!("fuzz_producer_{}", producers.len())
            };
            let duplicate = producers.iter().any(|(q, g)| {
                *g == group && h.client.producer_state(*q) == Some(ServiceState::Running)
            });
            let p = h.client.create_producer(ProducerConfig::new(group.clone()));
            let started = h.client.producer(p).and_then(|x| x.start(h.now));
            if duplicate {
                assert!(started.is_err(), "a duplicate producer group started");
            }
            producers.push((p, group));
            h.pump();
        }
        Op::ShutdownProducer(i) => {
            let p = producers[usize::from(*i) % producers.len()].0;
            h.client.producer(p).expect("known producer").shutdown(h.now);
            h.pump();
        }
        Op::Shutdown => {
            h.client.shutdown(h.now);
            h.pump();
        }
        Op::Drive => h.drive(),
    }
}

// ---------------------------------------------------------------- retry_sequence

/// A broker answer of `retry_sequence`.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum RetryReply {
    /// SUCCESS.
    Success,
    /// SYSTEM_BUSY.
    SystemBusy,
    /// SYSTEM_ERROR.
    SystemError,
    /// TOPIC_NOT_EXIST.
    TopicNotExist,
    /// MESSAGE_ILLEGAL.
    MessageIllegal,
    /// FLUSH_DISK_TIMEOUT (stored, not OK).
    FlushDiskTimeout,
    /// Never answer.
    Drop,
    /// Close the connection.
    Close,
    /// One of the above, after up to 4 s.
    Delay {
        /// Milliseconds (modulo 4001).
        ms: u16,
        /// The delayed answer (a nested `Delay` adds up).
        code: RetryCode,
    },
}

/// A response code of `retry_sequence`.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum RetryCode {
    /// SUCCESS.
    Success,
    /// SYSTEM_BUSY.
    SystemBusy,
    /// SYSTEM_ERROR.
    SystemError,
    /// TOPIC_NOT_EXIST.
    TopicNotExist,
    /// MESSAGE_ILLEGAL.
    MessageIllegal,
    /// FLUSH_DISK_TIMEOUT.
    FlushDiskTimeout,
    /// Never answer.
    Drop,
    /// Close the connection.
    Close,
}

impl RetryCode {
    fn to_reply(self) -> Reply {
        let code = match self {
            Self::Success => ResponseCode::SUCCESS,
            Self::SystemBusy => ResponseCode::SYSTEM_BUSY,
            Self::SystemError => ResponseCode::SYSTEM_ERROR,
            Self::TopicNotExist => ResponseCode::TOPIC_NOT_EXIST,
            Self::MessageIllegal => ResponseCode::MESSAGE_ILLEGAL,
            Self::FlushDiskTimeout => ResponseCode::FLUSH_DISK_TIMEOUT,
            Self::Drop => return Reply::Drop,
            Self::Close => return Reply::Close,
        };
        Reply::Code(code)
    }
}

impl RetryReply {
    fn to_reply(self) -> Reply {
        let simple = |c: RetryCode| c.to_reply();
        match self {
            Self::Success => simple(RetryCode::Success),
            Self::SystemBusy => simple(RetryCode::SystemBusy),
            Self::SystemError => simple(RetryCode::SystemError),
            Self::TopicNotExist => simple(RetryCode::TopicNotExist),
            Self::MessageIllegal => simple(RetryCode::MessageIllegal),
            Self::FlushDiskTimeout => simple(RetryCode::FlushDiskTimeout),
            Self::Drop => Reply::Drop,
            Self::Close => Reply::Close,
            Self::Delay { ms, code } => Reply::Delay(
                Duration::from_millis(u64::from(ms) % 4001),
                Box::new(code.to_reply()),
            ),
        }
    }
}

/// A `retry_sequence` scenario.
#[derive(Arbitrary, Debug)]
pub struct RetryScenario {
    /// Use a third broker.
    pub three_brokers: bool,
    /// Queues per broker (modulo 4, plus 1).
    pub queues: [u8; 3],
    /// Retries (modulo 5: 0..=4).
    pub retries: u8,
    /// Send timeout: 100 ms plus this modulo 4901 (up to 5 s).
    pub timeout_ms: u16,
    /// Send async (retry count `retry_times_when_send_async_failed`) instead of sync.
    pub async_send: bool,
    /// `retry_another_broker_when_not_store_ok`.
    pub retry_not_store_ok: bool,
    /// `send_latency_fault_enable`.
    pub fault_enable: bool,
    /// Connect before sending (a first send warms the route and connections).
    pub warm_up: bool,
    /// The client's random seed.
    pub seed: u64,
    /// Scripted answers per broker, in order (then: normal answers).
    pub scripts: [Vec<RetryReply>; 3],
}

/// Properties: the single send
///
/// - completes exactly once;
/// - makes at most `1 + retries` SEND_MESSAGE_V2 requests (across all brokers);
/// - completes no later than the send timeout after it was made;
///
/// and after shutdown nothing is pending, in flight or armed.
pub fn retry_sequence(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(scenario) = RetryScenario::arbitrary(&mut u) else {
        return;
    };
    run_retry_scenario(&scenario);
}

/// Runs a scenario and checks its properties (see [`retry_sequence`]).
pub fn run_retry_scenario(s: &RetryScenario) {
    let n = if s.three_brokers { 3 } else { 2 };
    let mut b = Harness::builder(Instant::now()).seed(s.seed);
    for (name, addr) in &BROKERS[..n] {
        b = b.broker(name, addr);
    }
    let queues: Vec<(&str, i32)> = (0..n)
        .map(|i| (BROKERS[i].0, i32::from(s.queues[i] % 4) + 1))
        .collect();
    let mut h = b.topic(TOPIC, &queues).build();

    let retries = u32::from(s.retries % 5);
    let timeout = Duration::from_millis(100 + u64::from(s.timeout_ms) % 4901);
    let mut cfg = ProducerConfig::new("retry_producer");
    cfg.retry_times_when_send_failed = retries;
    cfg.retry_times_when_send_async_failed = retries;
    cfg.send_timeout = timeout;
    cfg.retry_another_broker_when_not_store_ok = s.retry_not_store_ok;
    cfg.send_latency_fault_enable = s.fault_enable;
    let p = h.start_producer(cfg);

    let mode = if s.async_send {
        SendMode::Async
    } else {
        SendMode::Sync
    };
    let opts = SendOptions {
        mode,
        ..SendOptions::default()
    };
    let mut before = 0;
    if s.warm_up {
        let id = h.send_with(p, Message::new(TOPIC, "warm-up"), opts);
        h.drive();
        assert_eq!(h.completions(id), 1, "warm-up send completions");
        before = h.send_requests();
    }
    for (i, script) in s.scripts.iter().take(n).enumerate() {
        for r in script.iter().take(8) {
            h.broker_mut(BROKERS[i].0).push_reply(r.to_reply());
        }
    }

    let at = h.now;
    let id = h.send_with(p, Message::new(TOPIC, "payload"), opts);
    h.drive();

    let completions = h.completions(id);
    assert_eq!(completions, 1, "the send completed {completions} times");
    let requests = h.send_requests() - before;
    assert!(
        requests <= 1 + retries as usize,
        "{requests} send requests for {retries} retries; result {:?}",
        h.send_result(id)
    );
    let done = h.completed_at(id).expect("completed");
    assert!(
        done - at <= timeout,
        "completed {:?} after the send, beyond the timeout {timeout:?}; result {:?}",
        done - at,
        h.send_result(id)
    );
    assert_eq!(h.client.pending_sends(), 0, "send pending after drive");

    h.client.shutdown(h.now);
    h.drive();
    assert_eq!(h.client.pending_sends(), 0, "sends pending after shutdown");
    assert_eq!(
        h.client.in_flight_requests(),
        0,
        "requests in flight after shutdown"
    );
    assert_eq!(h.client.armed_timers(), 0, "timers armed after shutdown");
}
