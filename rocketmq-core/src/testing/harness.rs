//! `Harness`: a client wired to a simulated cluster, driven on a virtual clock.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rocketmq_proto::message::Message;
use rocketmq_proto::{frame, FrameDecoder, RemotingCommand, SerializeType};

use super::cluster::{Action, MockBroker, MockNameServer, Topics};
use crate::{
    Client, ClientConfig, ClientEnv, CloseReason, ConnCommand, ConnId, Event, ProducerConfig,
    ProducerId, SendError, SendId, SendOptions, SendResult, UsageError,
};

/// Builds a [`Harness`]: name servers, brokers, topics, client settings.
#[derive(Debug)]
pub struct HarnessBuilder {
    name_servers: Vec<String>,
    brokers: Vec<(String, String)>,
    topics: Topics,
    config: ClientConfig,
    seed: u64,
    epoch: Instant,
    low_water: bool,
}

impl HarnessBuilder {
    /// Sets the name server addresses (default: one, `ns1:9876`).
    pub fn name_servers(mut self, addrs: &[&str]) -> Self {
        self.name_servers = addrs.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Adds a broker (master only) named `name` at `addr`.
    pub fn broker(mut self, name: &str, addr: &str) -> Self {
        self.brokers.push((name.into(), addr.into()));
        self.topics.broker_addrs.insert(name.into(), addr.into());
        self
    }

    /// Declares a topic with `(broker, queues)` entries, perm 6.
    pub fn topic(mut self, topic: &str, queues: &[(&str, i32)]) -> Self {
        let entries = queues
            .iter()
            .map(|(b, n)| ((*b).to_owned(), *n, 6))
            .collect();
        self.topics.topics.insert(topic.into(), entries);
        self
    }

    /// Declares TBW102 on every broker (8 queues, perm 7) and lets brokers auto-create topics.
    pub fn auto_create_topics(mut self) -> Self {
        let entries = self
            .brokers
            .iter()
            .map(|(b, _)| (b.clone(), 8, 7))
            .collect();
        self.topics.topics.insert("TBW102".into(), entries);
        self.topics.auto_create = true;
        self
    }

    /// Changes the client config (name servers are filled in by the builder).
    pub fn config(mut self, f: impl FnOnce(&mut ClientConfig)) -> Self {
        f(&mut self.config);
        self
    }

    /// Sets the client's random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether the simulated driver honours a read pause's low-water mark (default: yes, as
    /// the tokio and async-io drivers do on Linux), or pauses reading by time alone (as they
    /// do elsewhere).
    pub fn read_low_water(mut self, honoured: bool) -> Self {
        self.low_water = honoured;
        self
    }

    /// Creates the client and the simulated cluster; virtual time starts at the builder's epoch.
    pub fn build(self) -> Harness {
        let now = self.epoch;
        let wall = Arc::new(AtomicI64::new(1_700_000_000_000));
        let w = wall.clone();
        let env = ClientEnv {
            local_ip: IpAddr::V4(Ipv4Addr::new(192, 168, 0, 2)),
            pid: 4242,
            instance_nonce: 1,
            rng_seed: self.seed,
            wall_clock: Arc::new(move || w.load(Ordering::Relaxed)),
        };
        let mut config = self.config;
        if config.name_servers.is_empty() {
            config.name_servers = self.name_servers.clone();
        }
        Harness {
            client: Client::new(config, env),
            now,
            start: now,
            wall,
            name_servers: self
                .name_servers
                .iter()
                .map(|a| (a.clone(), MockNameServer::default()))
                .collect(),
            brokers: self
                .brokers
                .iter()
                .map(|(n, a)| (a.clone(), MockBroker::new(n, a)))
                .collect(),
            topics: self.topics,
            links: HashMap::new(),
            in_transit: BTreeMap::new(),
            seq: 0,
            events: Vec::new(),
            event_times: Vec::new(),
            blackholed: HashSet::new(),
            header_types: HashMap::new(),
            writes: HashMap::new(),
            parked: BTreeMap::new(),
            reads: HashMap::new(),
            longest_read_wait: Duration::ZERO,
            low_water: self.low_water,
        }
    }
}

/// Something on its way to the client.
#[derive(Debug)]
enum Delivery {
    Connected(ConnId),
    Refused(ConnId),
    Bytes(ConnId, Bytes),
    Closed(ConnId),
}

/// The server side of one connection.
#[derive(Debug)]
struct Link {
    addr: String,
    inbound: BytesMut,
    decoder: FrameDecoder,
}

/// A [`Client`] wired to simulated name servers and brokers on a virtual clock.
#[derive(Debug)]
pub struct Harness {
    /// The client under test.
    pub client: Client,
    /// The virtual time.
    pub now: Instant,
    start: Instant,
    wall: Arc<AtomicI64>,
    name_servers: BTreeMap<String, MockNameServer>,
    brokers: BTreeMap<String, MockBroker>,
    topics: Topics,
    links: HashMap<ConnId, Link>,
    in_transit: BTreeMap<(Instant, u64), Delivery>,
    seq: u64,
    events: Vec<Event>,
    event_times: Vec<Instant>,
    blackholed: HashSet<String>,
    /// Header serialize type byte of every frame the client sent, by server address.
    header_types: HashMap<String, Vec<u8>>,
    /// How many writes (transmits) reached each server address.
    writes: HashMap<String, usize>,
    /// Bytes arrived on a connection whose reading is paused, in order (see `read_pause`).
    parked: BTreeMap<ConnId, (Instant, Vec<Bytes>)>,
    /// How many reads (`handle_data` calls) the client made from each server address.
    reads: HashMap<String, usize>,
    /// The longest any bytes waited unread because of a read pause.
    longest_read_wait: Duration,
    /// Whether a read pause's low-water mark ends it early.
    low_water: bool,
}

/// Bound on the steps of one `drive` or `advance`, so a livelock fails a test instead of hanging.
const MAX_STEPS: usize = 100_000;

impl Harness {
    /// Starts building a harness with one name server, `ns1:9876`; virtual time starts at
    /// `epoch` (pass `Instant::now()`: the core never reads a clock itself).
    pub fn builder(epoch: Instant) -> HarnessBuilder {
        HarnessBuilder {
            name_servers: vec!["ns1:9876".into()],
            brokers: Vec::new(),
            topics: Topics::default(),
            config: ClientConfig::default(),
            seed: 7,
            epoch,
            low_water: true,
        }
    }

    /// Returns the virtual time elapsed since the harness was built.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Creates and starts a producer, then drives until idle.
    pub fn start_producer(&mut self, config: ProducerConfig) -> ProducerId {
        let p = self.client.create_producer(config);
        let started = self.client.producer(p).and_then(|h| h.start(self.now));
        started.expect("producer starts");
        self.drive();
        p
    }

    /// Sends a message with default options (does not drive).
    pub fn send(&mut self, producer: ProducerId, msg: Message) -> SendId {
        self.send_with(producer, msg, SendOptions::default())
    }

    /// Sends a message with options (does not drive); panics if the client refuses it.
    pub fn send_with(&mut self, producer: ProducerId, msg: Message, opts: SendOptions) -> SendId {
        self.try_send(producer, msg, opts).expect("send accepted")
    }

    /// Sends a message with options (does not drive), returning the client's refusal if any.
    pub fn try_send(
        &mut self,
        producer: ProducerId,
        msg: Message,
        opts: SendOptions,
    ) -> Result<SendId, UsageError> {
        let id = self.client.producer(producer)?.send(self.now, msg, opts)?;
        self.pump();
        Ok(id)
    }

    /// Returns the simulated broker named `name`.
    pub fn broker(&self, name: &str) -> &MockBroker {
        self.brokers
            .values()
            .find(|b| b.name == name)
            .expect("known broker")
    }

    /// Returns the simulated broker named `name`, to script it.
    pub fn broker_mut(&mut self, name: &str) -> &mut MockBroker {
        self.brokers
            .values_mut()
            .find(|b| b.name == name)
            .expect("known broker")
    }

    /// Returns the simulated name server at `addr`.
    pub fn name_server(&self, addr: &str) -> &MockNameServer {
        &self.name_servers[addr]
    }

    /// Returns the simulated name server at `addr`, to script it.
    pub fn name_server_mut(&mut self, addr: &str) -> &mut MockNameServer {
        self.name_servers.get_mut(addr).expect("known name server")
    }

    /// Kills a broker: its connections close and new ones are refused until [`revive_broker`](Self::revive_broker).
    pub fn kill_broker(&mut self, name: &str) {
        let addr = self.broker(name).addr.clone();
        self.broker_mut(name).down = true;
        self.close_links_to(&addr);
    }

    /// Brings a killed broker back.
    pub fn revive_broker(&mut self, name: &str) {
        self.broker_mut(name).down = false;
    }

    /// Makes a name server refuse connections (and drops its open ones).
    pub fn kill_name_server(&mut self, addr: &str) {
        self.name_server_mut(addr).down = true;
        self.close_links_to(addr);
    }

    /// Lets a killed name server accept connections again.
    pub fn revive_name_server(&mut self, addr: &str) {
        self.name_server_mut(addr).down = false;
    }

    /// Undoes [`blackhole`](Self::blackhole).
    pub fn unblackhole(&mut self, addr: &str) {
        self.blackholed.remove(addr);
    }

    /// Makes connects to `addr` hang until the client's connect timeout.
    pub fn blackhole(&mut self, addr: &str) {
        self.blackholed.insert(addr.to_owned());
    }

    /// Changes the topics the cluster knows: `(broker, queues)` entries.
    pub fn set_topic(&mut self, topic: &str, queues: &[(&str, i32)]) {
        let entries = queues
            .iter()
            .map(|(b, n)| ((*b).to_owned(), *n, 6))
            .collect();
        self.topics.topics.insert(topic.into(), entries);
    }

    /// Removes a topic from the cluster.
    pub fn remove_topic(&mut self, topic: &str) {
        self.topics.topics.remove(topic);
    }

    /// Sends a request from the server at `addr` to the client on its open connection.
    pub fn inject(&mut self, addr: &str, cmd: &RemotingCommand) -> bool {
        let Some(conn) = self
            .links
            .iter()
            .find(|(_, l)| l.addr == addr)
            .map(|(c, _)| *c)
        else {
            return false;
        };
        let bytes = frame::encode_to_bytes(cmd, SerializeType::Json).expect("encodable");
        self.schedule(Duration::ZERO, Delivery::Bytes(conn, bytes));
        true
    }

    /// Writes raw bytes from the server at `addr` to the client.
    pub fn inject_raw(&mut self, addr: &str, bytes: &[u8]) -> bool {
        let Some(conn) = self
            .links
            .iter()
            .find(|(_, l)| l.addr == addr)
            .map(|(c, _)| *c)
        else {
            return false;
        };
        self.schedule(
            Duration::ZERO,
            Delivery::Bytes(conn, Bytes::copy_from_slice(bytes)),
        );
        true
    }

    /// Every event the client emitted so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the events emitted so far.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.event_times.clear();
        std::mem::take(&mut self.events)
    }

    /// Returns the virtual time at which a send completed.
    pub fn completed_at(&self, id: SendId) -> Option<Instant> {
        self.events
            .iter()
            .zip(&self.event_times)
            .find_map(|(e, t)| match e {
                Event::SendCompleted { id: i, .. } | Event::OnewayCompleted { id: i, .. }
                    if *i == id =>
                {
                    Some(*t)
                }
                _ => None,
            })
    }

    /// Returns the outcome of a sync/async send, if it completed.
    pub fn send_result(&self, id: SendId) -> Option<Result<SendResult, SendError>> {
        self.events.iter().find_map(|e| match e {
            Event::SendCompleted { id: i, result } if *i == id => Some(result.clone()),
            _ => None,
        })
    }

    /// Returns how many completion events a send produced (must be 0 or 1).
    pub fn completions(&self, id: SendId) -> usize {
        self.events
            .iter()
            .filter(|e| {
                matches!(e, Event::SendCompleted { id: i, .. } | Event::OnewayCompleted { id: i, .. } if *i == id)
            })
            .count()
    }

    /// Returns how many send requests for a completed send reached brokers.
    ///
    /// Counts requests carrying the send's `UNIQ_KEY`; for a failed send, the attempts the
    /// error reports.
    pub fn send_attempts(&self, id: SendId) -> u32 {
        match self.send_result(id) {
            Some(Ok(r)) => self
                .brokers
                .values()
                .flat_map(|b| b.received())
                .filter(|c| {
                    c.request_code() == rocketmq_proto::RequestCode::SEND_MESSAGE_V2
                        && c.ext_fields.get("i").is_some_and(|p| p.contains(&r.msg_id))
                })
                .count() as u32,
            Some(Err(SendError::RetriesExhausted { attempts, .. }))
            | Some(Err(SendError::Timeout { attempts, .. })) => attempts,
            Some(Err(_)) => 1,
            None => 0,
        }
    }

    /// Returns how many send requests all brokers received.
    pub fn send_requests(&self) -> usize {
        self.brokers
            .values()
            .map(|b| b.received_count(rocketmq_proto::RequestCode::SEND_MESSAGE_V2))
            .sum()
    }

    /// Runs until no send is pending, nothing is in transit and no request waits, jumping the
    /// virtual clock to each next deadline. Bounded; panics on a livelock.
    pub fn drive(&mut self) {
        for _ in 0..MAX_STEPS {
            self.pump();
            if self.deliver_due() {
                continue;
            }
            let idle =
                self.client.is_settled() && self.in_transit.is_empty() && self.parked.is_empty();
            if idle {
                return;
            }
            let Some(next) = self.next_wakeup() else {
                return;
            };
            self.set_now(next.max(self.now));
            self.client.handle_timeout(self.now);
        }
        panic!("harness did not settle within {MAX_STEPS} steps");
    }

    /// Lets `d` of virtual time pass, processing everything due on the way.
    pub fn advance(&mut self, d: Duration) {
        let target = self.now + d;
        for _ in 0..MAX_STEPS {
            self.pump();
            if self.deliver_due() {
                continue;
            }
            match self.next_wakeup() {
                Some(t) if t <= target => {
                    self.set_now(t.max(self.now));
                    self.client.handle_timeout(self.now);
                }
                _ => {
                    self.set_now(target);
                    self.client.handle_timeout(self.now);
                    self.pump();
                    return;
                }
            }
        }
        panic!("harness did not settle within {MAX_STEPS} steps");
    }

    fn next_wakeup(&self) -> Option<Instant> {
        let transit = self.in_transit.keys().next().map(|(t, _)| *t);
        match (transit, self.client.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn set_now(&mut self, t: Instant) {
        self.now = t;
        let ms = 1_700_000_000_000 + (t - self.start).as_millis() as i64;
        self.wall.store(ms, Ordering::Relaxed);
    }

    fn schedule(&mut self, after: Duration, d: Delivery) {
        self.seq += 1;
        self.in_transit.insert((self.now + after, self.seq), d);
    }

    /// Delivers the first thing due; returns whether there was one.
    ///
    /// Reads as a driver with a socket low-water mark does: bytes reaching a connection whose
    /// reading is paused wait until the pause ends or they reach its low-water mark (unless
    /// the mark is not honoured), then are read at once.
    fn deliver_due(&mut self) -> bool {
        if self.read_resumed() {
            return true;
        }
        let Some((&key, _)) = self.in_transit.iter().next() else {
            return false;
        };
        if key.0 > self.now {
            return false;
        }
        let Some(d) = self.in_transit.remove(&key) else {
            return false;
        };
        let now = self.now;
        match d {
            Delivery::Connected(c) => self.client.handle_connected(now, c),
            Delivery::Refused(c) => self.client.handle_closed(
                now,
                c,
                CloseReason::ConnectFailed("connection refused".into()),
            ),
            Delivery::Bytes(c, b) => {
                if !self.links.contains_key(&c) {
                    return true;
                }
                let Some(pause) = self.client.read_pause(c, now) else {
                    self.read(c, &b);
                    return true;
                };
                let (_, parked) = self.parked.entry(c).or_insert((now, Vec::new()));
                parked.push(b);
                let waiting = parked.iter().map(Bytes::len).sum::<usize>();
                if self.low_water && waiting >= pause.low_water {
                    self.read_parked(c);
                }
            }
            Delivery::Closed(c) => {
                // The end of the stream is reported whatever the mark, after the data before it.
                self.read_parked(c);
                if self.links.remove(&c).is_some() {
                    self.client.handle_closed(now, c, CloseReason::PeerClosed);
                }
            }
        }
        true
    }

    /// Reads what waits on connections whose pause has ended; whether there was any.
    fn read_resumed(&mut self) -> bool {
        let now = self.now;
        let resumed: Vec<ConnId> = self
            .parked
            .keys()
            .copied()
            .filter(|&c| self.client.read_pause(c, now).is_none())
            .collect();
        for &c in &resumed {
            self.read_parked(c);
        }
        !resumed.is_empty()
    }

    /// Reads everything parked on a connection, in one read.
    fn read_parked(&mut self, c: ConnId) {
        let Some((since, parked)) = self.parked.remove(&c) else {
            return;
        };
        self.longest_read_wait = self.longest_read_wait.max(self.now - since);
        if self.links.contains_key(&c) {
            self.read(c, &parked.concat());
        }
    }

    /// One read by the client from a connection.
    fn read(&mut self, c: ConnId, data: &[u8]) {
        if let Some(link) = self.links.get(&c) {
            *self.reads.entry(link.addr.clone()).or_default() += 1;
        }
        self.client.handle_data(self.now, c, data);
    }

    fn close_links_to(&mut self, addr: &str) {
        let conns: Vec<ConnId> = self
            .links
            .iter()
            .filter(|(_, l)| l.addr == addr)
            .map(|(c, _)| *c)
            .collect();
        for c in conns {
            self.schedule(Duration::ZERO, Delivery::Closed(c));
        }
    }

    fn is_up(&self, addr: &str) -> bool {
        if let Some(ns) = self.name_servers.get(addr) {
            return !ns.down;
        }
        self.brokers.get(addr).is_some_and(|b| !b.down)
    }

    /// How many writes (transmits, each one or more frames) the client made to `addr`.
    pub fn writes_to(&self, addr: &str) -> usize {
        self.writes.get(addr).copied().unwrap_or(0)
    }

    /// How many reads (`handle_data` calls, each one or more frames) the client made from
    /// `addr`.
    pub fn reads_from(&self, addr: &str) -> usize {
        self.reads.get(addr).copied().unwrap_or(0)
    }

    /// The longest any bytes that reached the client waited unread because of a read pause.
    pub fn longest_read_wait(&self) -> Duration {
        self.longest_read_wait
    }

    /// The header serialize type byte (0 JSON, 1 ROCKETMQ) of every frame sent to `addr`.
    pub fn header_types(&self, addr: &str) -> &[u8] {
        self.header_types.get(addr).map_or(&[], Vec::as_slice)
    }

    /// Drains the client's polls: opens and closes links, serves requests, records events.
    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(cmd) = self.client.poll_conn() {
                progressed = true;
                match cmd {
                    ConnCommand::Open { conn, addr } => {
                        if self.blackholed.contains(&addr) {
                            continue;
                        }
                        if self.is_up(&addr) {
                            self.links.insert(
                                conn,
                                Link {
                                    addr,
                                    inbound: BytesMut::new(),
                                    decoder: FrameDecoder::new(),
                                },
                            );
                            self.schedule(Duration::ZERO, Delivery::Connected(conn));
                        } else {
                            self.schedule(Duration::ZERO, Delivery::Refused(conn));
                        }
                    }
                    ConnCommand::Close { conn } => {
                        self.links.remove(&conn);
                    }
                }
            }
            while let Some(t) = self.client.poll_transmit() {
                progressed = true;
                self.serve(t.conn, &t.data);
            }
            while let Some(e) = self.client.poll_event() {
                progressed = true;
                self.events.push(e);
                self.event_times.push(self.now);
            }
            if !progressed {
                return;
            }
        }
    }

    /// Decodes the client's bytes on a link and lets the server answer each frame.
    fn serve(&mut self, conn: ConnId, data: &[u8]) {
        let Some(link) = self.links.get_mut(&conn) else {
            return;
        };
        link.inbound.extend_from_slice(data);
        let addr = link.addr.clone();
        *self.writes.entry(addr.clone()).or_default() += 1;
        let mut frames = Vec::new();
        loop {
            let header_type = link.inbound.get(4).copied();
            match link.decoder.decode(&mut link.inbound) {
                Ok(Some(cmd)) => {
                    if let Some(t) = header_type {
                        self.header_types.entry(addr.clone()).or_default().push(t);
                    }
                    frames.push(cmd);
                }
                Ok(None) => break,
                Err(e) => panic!("client sent an undecodable frame to {addr}: {e}"),
            }
        }
        for cmd in frames {
            let action = if let Some(ns) = self.name_servers.get_mut(&addr) {
                ns.handle(&self.topics, cmd)
            } else if let Some(b) = self.brokers.get_mut(&addr) {
                b.handle(&mut self.topics, cmd)
            } else {
                Action::Nothing
            };
            let action = match (action, self.brokers.get_mut(&addr)) {
                (Action::Respond(delay, resp), Some(b)) if !b.service_time.is_zero() => {
                    let start = b.busy_until.map_or(self.now, |t| t.max(self.now));
                    let done = start + b.service_time;
                    b.busy_until = Some(done);
                    Action::Respond(delay + (done - self.now), resp)
                }
                (action, _) => action,
            };
            match action {
                Action::Respond(delay, resp) => {
                    let bytes =
                        frame::encode_to_bytes(&resp, SerializeType::Json).expect("encodable");
                    self.schedule(delay, Delivery::Bytes(conn, bytes));
                }
                Action::Raw(delay, bytes) => self.schedule(delay, Delivery::Bytes(conn, bytes)),
                Action::Close => self.schedule(Duration::ZERO, Delivery::Closed(conn)),
                Action::Nothing => {}
            }
        }
    }
}
