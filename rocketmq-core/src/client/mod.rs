//! `Client`: one client instance (Java `MQClientInstance`) and its producers.

mod heartbeat;
mod inbound;
mod route;
mod send;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use rocketmq_proto::body::TopicRouteData;
use rocketmq_proto::message::{Message, UniqIdGenerator};
use rocketmq_proto::{frame, RemotingCommand};

use crate::batch::Out;
use crate::client_id::client_id_for;
use crate::config::{ClientConfig, ProducerConfig};
use crate::conn::Conns;
use crate::env::{ClientEnv, Rng, WallClock};
use crate::error::UsageError;
use crate::event::{
    CloseReason, ConnCommand, ConnId, Event, ProducerId, ReadPause, SendId, SendOptions, Transmit,
};
use crate::fault::LatencyFaultTolerance;
use crate::id_map::NameMap;
use crate::lifecycle::ServiceState;
use crate::namesrv::NameServers;
use crate::seq_map::SeqMap;
use crate::timer::{TimerKey, Timers};

use self::route::{PublishEntry, RouteFetch};
use self::send::SendOp;

/// A request waiting for its response, by opaque.
#[derive(Debug)]
pub(crate) struct Pending {
    conn: ConnId,
    kind: RequestKind,
    /// Timeout of non-send requests (sends use their op's deadline).
    deadline: Option<Instant>,
    sent_at: Instant,
}

#[derive(Debug, Clone)]
pub(crate) enum RequestKind {
    Send(SendId),
    Route { target: String },
    Heartbeat,
    Unregister,
}

struct ProducerSlot {
    config: ProducerConfig,
    state: ServiceState,
}

/// One client instance: connections, routes and producers, driven by its caller.
///
/// See the [crate documentation](crate) for the run loop.
pub struct Client {
    config: ClientConfig,
    client_id: String,
    wall: Arc<dyn WallClock>,
    /// The wall clock as read for one `now`: every send of a turn shares one reading.
    wall_at: Option<(Instant, i64)>,
    rng: Rng,
    uniq: UniqIdGenerator,
    state: ServiceState,
    producers: Vec<ProducerSlot>,
    conns: Conns,
    name_servers: NameServers,
    routes: NameMap<String, TopicRouteData>,
    publish: NameMap<String, PublishEntry>,
    brokers: BTreeMap<String, BTreeMap<i64, String>>,
    broker_versions: NameMap<String, i32>,
    fault: LatencyFaultTolerance,
    fetches: NameMap<String, RouteFetch>,
    route_waiters: NameMap<String, Vec<SendId>>,
    requests: SeqMap<i32, Pending>,
    sends: SeqMap<SendId, SendOp>,
    timers: Timers,
    events: VecDeque<Event>,
    next_opaque: i32,
    /// Whether `next_opaque` has gone round: only then can a fresh opaque be in use.
    opaques_wrapped: bool,
    next_send: u64,
    shutting_down: Option<Instant>,
    /// Frames of one `handle_data` call (reused).
    scratch: Vec<Bytes>,
    /// Reused by each send attempt for its UNIQ_KEY text.
    uniq_buf: String,
    /// Reused by each send attempt with binary headers for its encoded properties.
    props_buf: String,
}

impl Client {
    /// Creates a client instance; nothing happens until a producer starts.
    pub fn new(config: ClientConfig, env: ClientEnv, _now: Instant) -> Self {
        let client_id = client_id_for(&config, &env);
        let mut rng = Rng::new(env.rng_seed);
        let uniq = UniqIdGenerator::new(env.local_ip, env.pid, rng.next_u32() as i32);
        let name_servers = NameServers::new(config.name_servers.clone(), rng.next_u32());
        Self {
            client_id,
            wall: env.wall_clock,
            wall_at: None,
            rng,
            uniq,
            state: ServiceState::CreateJust,
            producers: Vec::new(),
            conns: Conns::new(config.batch_delay),
            name_servers,
            routes: NameMap::default(),
            publish: NameMap::default(),
            brokers: BTreeMap::new(),
            broker_versions: NameMap::default(),
            fault: LatencyFaultTolerance::default(),
            fetches: NameMap::default(),
            route_waiters: NameMap::default(),
            requests: SeqMap::new(1),
            sends: SeqMap::new(SendId(0)),
            timers: Timers::default(),
            events: VecDeque::new(),
            next_opaque: 0,
            opaques_wrapped: false,
            next_send: 0,
            shutting_down: None,
            scratch: Vec::new(),
            uniq_buf: String::new(),
            props_buf: String::new(),
            config,
        }
    }

    // ---- A: getters ----

    /// Returns the client id (`ip@instance[@unit]`).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Returns the instance-wide configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Returns the client instance's state.
    pub fn state(&self) -> ServiceState {
        self.state
    }

    /// Returns a producer's state.
    pub fn producer_state(&self, producer: ProducerId) -> Option<ServiceState> {
        self.producers.get(producer.0 as usize).map(|p| p.state)
    }

    /// Returns the cached route of a topic.
    pub fn route(&self, topic: &str) -> Option<&TopicRouteData> {
        self.routes.get(topic)
    }

    /// Returns the broker address table (broker name → id → address).
    pub fn broker_addrs(&self) -> &BTreeMap<String, BTreeMap<i64, String>> {
        &self.brokers
    }

    /// Returns the version a broker address reported in its last heartbeat response.
    pub fn broker_version(&self, addr: &str) -> Option<i32> {
        self.broker_versions.get(addr).copied()
    }

    /// Returns how many sends are accepted and not yet completed.
    pub fn pending_sends(&self) -> usize {
        self.sends.len()
    }

    /// Returns how many requests wait for a response.
    pub fn in_flight_requests(&self) -> usize {
        self.requests.len()
    }

    /// Returns how many deadlines are armed (zero once shut down).
    pub fn armed_timers(&self) -> usize {
        self.timers.len()
    }

    // ---- C: commands ----

    /// Adds a producer group in state `CreateJust`; it is checked and registered by
    /// [`start_producer`](Self::start_producer).
    pub fn create_producer(&mut self, config: ProducerConfig) -> ProducerId {
        self.producers.push(ProducerSlot {
            config,
            state: ServiceState::CreateJust,
        });
        ProducerId((self.producers.len() - 1) as u32)
    }

    /// Starts a producer: validates its config, registers its group, starts the instance.
    ///
    /// Fails with [`UsageError::CannotStart`] unless the producer is in `CreateJust`, and with
    /// [`UsageError::DuplicateGroup`] when another producer of this instance uses the group.
    pub fn start_producer(&mut self, now: Instant, producer: ProducerId) -> Result<(), UsageError> {
        if self.state == ServiceState::ShutdownAlready || self.shutting_down.is_some() {
            return Err(UsageError::ClientShutdown);
        }
        let i = producer.0 as usize;
        let slot = self
            .producers
            .get(i)
            .ok_or(UsageError::UnknownProducer(producer.0))?;
        if slot.state != ServiceState::CreateJust {
            return Err(UsageError::CannotStart {
                group: slot.config.group.clone(),
                state: slot.state,
            });
        }
        let group = slot.config.group.clone();
        let checked = self.config.validate().and(slot.config.validate());
        let duplicate =
            self.producers.iter().enumerate().any(|(j, p)| {
                j != i && p.state == ServiceState::Running && p.config.group == group
            });
        let result = match checked {
            Err(e) => Err(UsageError::Config(e)),
            Ok(()) if duplicate => Err(UsageError::DuplicateGroup(group)),
            Ok(()) => Ok(()),
        };
        let slot = &mut self.producers[i];
        if let Err(e) = result {
            slot.state = ServiceState::StartFailed;
            return Err(e);
        }
        slot.state = ServiceState::Running;
        self.start(now);
        self.heartbeat_all(now);
        Ok(())
    }

    /// Starts the instance's timers (idempotent); producers call it when they start.
    pub fn start(&mut self, now: Instant) {
        if self.state != ServiceState::CreateJust {
            return;
        }
        self.state = ServiceState::Running;
        self.timers.reset_periodic(
            now + self.config.poll_name_server_interval,
            TimerKey::RouteRefresh,
        );
        self.timers.reset_periodic(
            now + self.config.heartbeat_broker_interval,
            TimerKey::Heartbeat,
        );
    }

    /// Accepts a message for sending; its outcome arrives as one event with the returned id.
    ///
    /// Fails at once, sending nothing, if the producer is not running or the message is invalid.
    pub fn send(
        &mut self,
        now: Instant,
        producer: ProducerId,
        msg: Message,
        opts: SendOptions,
    ) -> Result<SendId, UsageError> {
        self.send_impl(now, producer, msg, opts)
    }

    /// Shuts one producer down: its pending sends fail with `Shutdown`, its group is
    /// unregistered, and the instance shuts down when no producer is left running.
    pub fn shutdown_producer(&mut self, now: Instant, producer: ProducerId) {
        let Some(slot) = self.producers.get_mut(producer.0 as usize) else {
            return;
        };
        if slot.state != ServiceState::Running {
            slot.state = match slot.state {
                ServiceState::CreateJust => ServiceState::ShutdownAlready,
                s => s,
            };
            return;
        }
        slot.state = ServiceState::ShutdownAlready;
        let group = slot.config.group.clone();
        self.fail_sends_of(Some(producer));
        for entry in self.publish.values_mut() {
            entry.forget_producer(producer);
        }
        self.unregister_group(now, &group);
        if !self
            .producers
            .iter()
            .any(|p| p.state == ServiceState::Running)
        {
            self.shutdown(now);
        }
    }

    /// Shuts the instance down: fails every pending send, unregisters every running group,
    /// then closes every connection and emits [`Event::ShutdownComplete`].
    pub fn shutdown(&mut self, now: Instant) {
        if self.state == ServiceState::ShutdownAlready || self.shutting_down.is_some() {
            return;
        }
        let running: Vec<_> = self
            .producers
            .iter_mut()
            .filter(|p| p.state == ServiceState::Running)
            .map(|p| {
                p.state = ServiceState::ShutdownAlready;
                p.config.group.clone()
            })
            .collect();
        for p in &mut self.producers {
            if p.state == ServiceState::CreateJust {
                p.state = ServiceState::ShutdownAlready;
            }
        }
        self.fail_sends_of(None);
        for g in running {
            self.unregister_group(now, &g);
        }
        let deadline = now + self.config.mq_client_api_timeout;
        self.shutting_down = Some(deadline);
        self.timers.clear();
        self.timers.set(deadline, TimerKey::Shutdown);
        self.maybe_finish_shutdown();
    }

    // ---- B: inputs ----

    /// Reports that a connection asked for by [`poll_conn`](Self::poll_conn) is established.
    pub fn handle_connected(&mut self, now: Instant, conn: ConnId) {
        if let Some(deadline) = self.conns.connect_deadline(conn) {
            self.timers.cancel(deadline, TimerKey::Connect(conn));
        }
        if self.conns.set_connected(conn) {
            self.complete_oneways_on(now, conn);
        }
    }

    /// Feeds bytes read from a connection; corrupt input closes that connection only.
    pub fn handle_data(&mut self, now: Instant, conn: ConnId, data: &[u8]) {
        let mut frames = std::mem::take(&mut self.scratch);
        let mut result = self.conns.receive(conn, now, data, &mut frames);
        for frame in frames.drain(..) {
            // A stored send's answer is read in place; every other frame is decoded whole.
            if self.on_send_stored_in_place(now, conn, &frame) {
                continue;
            }
            match frame::decode_frame_body(frame) {
                Ok(cmd) => self.dispatch_frame(now, conn, cmd),
                Err(e) => {
                    // The frames after a corrupt one are dropped with the connection.
                    result = Err(e);
                    break;
                }
            }
        }
        self.scratch = frames;
        if let Err(error) = result {
            let addr = self
                .conns
                .get(conn)
                .map(|c| c.addr.clone())
                .unwrap_or_default();
            tracing::warn!(%addr, %error, "closing connection after a protocol violation");
            self.lose_conn(
                now,
                conn,
                true,
                crate::error::TransportError::Protocol { addr, error },
            );
        }
    }

    /// Feeds one decoded frame from a connection (for tests and fuzzing).
    pub fn handle_frame(&mut self, now: Instant, conn: ConnId, cmd: RemotingCommand) {
        self.conns.touch(conn, now);
        self.dispatch_frame(now, conn, cmd);
    }

    /// Reports that a connection closed or could not be opened.
    pub fn handle_closed(&mut self, now: Instant, conn: ConnId, reason: CloseReason) {
        let Some(c) = self.conns.get(conn) else {
            return;
        };
        let addr = c.addr.clone();
        let error = match reason {
            CloseReason::ConnectFailed(reason) => {
                crate::error::TransportError::ConnectFailed { addr, reason }
            }
            CloseReason::PeerClosed => crate::error::TransportError::ConnectionClosed {
                addr,
                reason: "closed by peer".into(),
            },
            CloseReason::Io(reason) => {
                crate::error::TransportError::ConnectionClosed { addr, reason }
            }
        };
        self.lose_conn(now, conn, false, error);
    }

    /// Processes every deadline at or before `now`; an early call does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.conns.flush_due(now);
        self.conns.resume_due(now);
        while let Some(key) = self.timers.pop_due(now) {
            match key {
                TimerKey::RouteRefresh => {
                    self.timers.set(
                        now + self.config.poll_name_server_interval,
                        TimerKey::RouteRefresh,
                    );
                    self.refresh_routes(now);
                }
                TimerKey::Heartbeat => {
                    self.timers.set(
                        now + self.config.heartbeat_broker_interval,
                        TimerKey::Heartbeat,
                    );
                    self.heartbeat_all(now);
                }
                TimerKey::Shutdown => self.finish_shutdown(),
                TimerKey::Send(id) => self.send_deadline_passed(now, id),
                TimerKey::Request(opaque) => self.request_timed_out(now, opaque),
                TimerKey::Connect(conn) => {
                    let Some(c) = self.conns.get(conn) else {
                        continue;
                    };
                    let error = crate::error::TransportError::ConnectTimeout {
                        addr: c.addr.clone(),
                        timeout: self.config.connect_timeout,
                    };
                    self.lose_conn(now, conn, true, error);
                }
            }
        }
    }

    // ---- D: outputs ----

    /// Returns the next connection to open or close. Call after every input or command.
    #[must_use]
    pub fn poll_conn(&mut self) -> Option<ConnCommand> {
        self.conns.poll_command()
    }

    /// Returns the next bytes to write. Call after every input or command, after `poll_conn`.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.conns.poll_transmit()
    }

    /// Returns when [`handle_timeout`](Self::handle_timeout) must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let earliest = |a: Option<Instant>, b: Option<Instant>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        earliest(
            earliest(self.timers.next(), self.conns.next_flush()),
            self.conns.next_resume(),
        )
    }

    /// Returns the next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Whether the driver may leave `conn`'s socket unread at `now`, so that answers due soon
    /// are read together (see [batching](crate#batching)): until the pause ends (which
    /// [`poll_timeout`](Self::poll_timeout) includes), or until its low-water mark of bytes
    /// waits where the socket can tell. Data read anyway is handled as usual.
    #[must_use]
    pub fn read_pause(&self, conn: ConnId, now: Instant) -> Option<ReadPause> {
        self.conns.read_pause(conn, now)
    }

    // ---- shared helpers ----

    /// The next request id: counting up from 1 and, once the count has wrapped, skipping
    /// ids still waiting for a response (before that none can be: every id in use is lower).
    fn next_opaque(&mut self) -> i32 {
        loop {
            if self.next_opaque == i32::MAX {
                self.opaques_wrapped = true;
            }
            self.next_opaque = self.next_opaque.wrapping_add(1);
            if !self.opaques_wrapped || !self.requests.contains_key(&self.next_opaque) {
                return self.next_opaque;
            }
        }
    }

    /// The wall clock in Unix milliseconds, read once per distinct `now` (one driver turn):
    /// a send's UNIQ_KEY and born timestamp, and every send of the turn, share the reading.
    fn wall_millis(&mut self, now: Instant) -> i64 {
        match self.wall_at {
            Some((at, ms)) if at == now => ms,
            _ => {
                let ms = self.wall.now_millis();
                self.wall_at = Some((now, ms));
                ms
            }
        }
    }

    /// Opens (or reuses) the connection to `addr`, arming its connect timeout if new.
    fn conn_to(&mut self, now: Instant, addr: &str) -> ConnId {
        if let Some(id) = self.conns.id_of(addr) {
            return id;
        }
        let deadline = now + self.config.connect_timeout;
        let id = self.conns.get_or_open(addr, deadline);
        self.timers.set(deadline, TimerKey::Connect(id));
        id
    }

    /// Sends a request with a timeout; returns its opaque.
    fn request(
        &mut self,
        now: Instant,
        addr: &str,
        mut cmd: RemotingCommand,
        kind: RequestKind,
        timeout: std::time::Duration,
    ) -> i32 {
        let conn = self.conn_to(now, addr);
        let opaque = self.next_opaque();
        cmd.opaque = opaque;
        self.stamp(&mut cmd);
        if let Err(e) = self
            .conns
            .queue(conn, &cmd, self.config.serialize_type, Out::Request)
        {
            tracing::error!(error = %e, "cannot encode request");
        }
        let deadline = now + timeout;
        self.timers.set(deadline, TimerKey::Request(opaque));
        self.requests.insert(
            opaque,
            Pending {
                conn,
                kind,
                deadline: Some(deadline),
                sent_at: now,
            },
        );
        opaque
    }

    /// Removes a request waiting for its response: `answered_at` when its answer came,
    /// `None` when it is given up (the connection's batching counts both).
    fn take_request(&mut self, opaque: i32, answered_at: Option<Instant>) -> Option<Pending> {
        let p = self.requests.remove(&opaque)?;
        match answered_at {
            Some(now) => self.conns.on_answer(p.conn, now, p.sent_at),
            None => self.conns.on_dropped(p.conn),
        }
        Some(p)
    }

    fn stamp(&self, cmd: &mut RemotingCommand) {
        cmd.language = self.config.language;
    }

    fn push_event(&mut self, e: Event) {
        self.events.push_back(e);
    }

    fn maybe_finish_shutdown(&mut self) {
        if self.shutting_down.is_some()
            && !self
                .requests
                .values()
                .any(|p| matches!(p.kind, RequestKind::Unregister))
        {
            self.finish_shutdown();
        }
    }

    fn finish_shutdown(&mut self) {
        if self.state == ServiceState::ShutdownAlready {
            return;
        }
        self.shutting_down = None;
        self.state = ServiceState::ShutdownAlready;
        self.timers.clear();
        self.requests.clear();
        self.fetches.clear();
        self.route_waiters.clear();
        for id in self.conns.ids() {
            self.conns.remove(id, true);
        }
        self.push_event(Event::ShutdownComplete);
    }
}

/// Body of a request, as `Bytes`.
fn json_body(s: String) -> Bytes {
    Bytes::from(s.into_bytes())
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::{Client, Pending, RequestKind};
    use crate::config::ClientConfig;
    use crate::env::ClientEnv;
    use crate::event::ConnId;

    #[test]
    fn the_wall_clock_is_read_once_per_now() {
        let reads = Arc::new(AtomicI64::new(0));
        let r = reads.clone();
        let env = ClientEnv {
            // Each reading is one millisecond later than the one before.
            wall_clock: Arc::new(move || 1_000 + r.fetch_add(1, Ordering::Relaxed)),
            ..env()
        };
        let t0 = Instant::now();
        let mut c = Client::new(ClientConfig::default(), env, t0);
        assert_eq!(c.wall_millis(t0), 1_000);
        assert_eq!(c.wall_millis(t0), 1_000, "same turn, same reading");
        let t1 = t0 + Duration::from_millis(3);
        assert_eq!(c.wall_millis(t1), 1_001, "a new turn reads the clock again");
        assert_eq!(c.wall_millis(t1), 1_001);
        assert_eq!(reads.load(Ordering::Relaxed), 2);
    }

    fn env() -> ClientEnv {
        ClientEnv {
            local_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            pid: 1,
            instance_nonce: 1,
            rng_seed: 1,
            wall_clock: Arc::new(|| 1_000),
        }
    }

    #[test]
    fn opaques_count_up_and_after_wrapping_skip_the_ones_in_use() {
        let t0 = Instant::now();
        let mut c = Client::new(ClientConfig::default(), env(), t0);
        assert_eq!([c.next_opaque(), c.next_opaque()], [1, 2]);
        c.next_opaque = i32::MAX - 1;
        let pending = |conn| Pending {
            conn: ConnId(conn),
            kind: RequestKind::Heartbeat,
            deadline: None,
            sent_at: t0,
        };
        // Still waiting since the last time round: MIN, MIN + 2 and 1.
        for opaque in [i32::MIN, i32::MIN + 2, 1] {
            c.requests.insert(opaque, pending(1));
        }
        let next: Vec<i32> = (0..4).map(|_| c.next_opaque()).collect();
        assert_eq!(next, [i32::MAX, i32::MIN + 1, i32::MIN + 3, i32::MIN + 4]);
        c.next_opaque = -1;
        assert_eq!([c.next_opaque(), c.next_opaque()], [0, 2]);
    }
}
