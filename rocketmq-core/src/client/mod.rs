//! `Client`: one client instance (Java `MQClientInstance`) and its roles.
//!
//! The client composes the state every role shares ([`Instance`]) with each role's own
//! ([`Producers`]); it is the only type with `handle_*` and `poll_*`, and routes answers,
//! timers and server requests to the role they belong to.

mod consumers;
mod heartbeat;
mod inbound;
mod instance;
mod namesrv;
pub(crate) mod route;
pub(crate) mod rpc;
mod server_request;

use std::collections::BTreeMap;
use std::time::Instant;

use rocketmq_proto::body::TopicRouteData;
use rocketmq_proto::RemotingCommand;

pub(crate) use self::instance::Instance;
use self::route::{LookupDone, RouteAnswer, RouteWaiter};
use crate::config::{ClientConfig, ProducerConfig};
use crate::consumer::Consumers;
use crate::env::ClientEnv;
use crate::error::{CloseCause, TransportError, UsageError};
use crate::event::{CloseReason, ConnCommand, Event, ReadPause, Transmit};
use crate::ids::{ConnId, ProducerId};
use crate::lifecycle::ServiceState;
use crate::producer::{ProducerApi, ProducerTimer, Producers};
use crate::timer::TimerKey;

/// One client instance: connections, routes and producers, driven by its caller.
///
/// Its methods come in four kinds (as quinn's `Connection`): **A** getters; **B** inputs,
/// `handle_*`, for what the driver saw (connections, bytes, deadlines); **C** commands, for
/// what the application asks, through role handles such as [`producer`](Self::producer);
/// **D** outputs, `poll_*`. After every B or C call, drain the D polls in the order
/// `poll_conn`, `poll_transmit`, `poll_event`, then read `poll_timeout`. See the
/// [crate documentation](crate) for the run loop.
pub struct Client {
    pub(crate) inst: Instance,
    pub(crate) producers: Producers,
    pub(crate) consumers: Consumers,
    /// Frames of one `handle_data` call (reused).
    frames_buf: Vec<bytes::Bytes>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.client_id())
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Creates a client instance; nothing happens until a producer starts.
    pub fn new(config: ClientConfig, env: ClientEnv) -> Self {
        let (inst, uniq_seed) = Instance::new(config, &env);
        Self {
            inst,
            producers: Producers::new(&env, uniq_seed),
            consumers: Consumers::default(),
            frames_buf: Vec::new(),
        }
    }

    // ---- A: getters ----

    /// Returns the client id (`ip@instance[@unit]`).
    pub fn client_id(&self) -> &str {
        &self.inst.client_id
    }

    /// Returns the instance-wide configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inst.config
    }

    /// Returns the client instance's state.
    pub fn state(&self) -> ServiceState {
        self.inst.state
    }

    /// Returns a producer's state.
    pub fn producer_state(&self, producer: ProducerId) -> Option<ServiceState> {
        self.producers.state(producer)
    }

    /// Returns the cached route of a topic.
    pub fn route(&self, topic: &str) -> Option<&TopicRouteData> {
        self.inst.routes.route(topic)
    }

    /// Returns the broker address table (broker name → id → address).
    pub fn broker_addrs(&self) -> &BTreeMap<String, BTreeMap<i64, String>> {
        self.inst.routes.brokers()
    }

    /// Returns the version a broker address reported in its last heartbeat response.
    pub fn broker_version(&self, addr: &str) -> Option<i32> {
        self.inst.routes.version(addr)
    }

    /// Returns how many sends are accepted and not yet completed.
    pub fn pending_sends(&self) -> usize {
        self.producers.pending_sends()
    }

    /// Returns how many requests wait for a response.
    pub fn in_flight_requests(&self) -> usize {
        self.inst.requests.len()
    }

    /// Whether the client has nothing under way that ends by itself: no send pending, no
    /// request in flight other than long-polling pulls, and no one-shot deadline. Periodic
    /// work (route refresh, heartbeats, rebalancing, offset persistence) and pull loops go
    /// on for ever and do not count. The harness drives until this holds.
    pub fn is_settled(&self) -> bool {
        self.producers.pending_sends() == 0
            && self.inst.requests.len() == self.inst.requests.pulls()
            && !self.consumers.first_pull_due()
    }

    /// Returns how many deadlines are armed (zero once shut down).
    pub fn armed_timers(&self) -> usize {
        self.inst.timers.len()
    }

    // ---- C: commands ----

    /// Adds a producer group in state `CreateJust`; start it with
    /// `client.producer(id)?.start(now)`.
    pub fn create_producer(&mut self, config: ProducerConfig) -> ProducerId {
        self.producers.create(config)
    }

    /// Commands for producer `id`: start, send, shut down.
    pub fn producer(&mut self, id: ProducerId) -> Result<ProducerApi<'_>, UsageError> {
        if self.producers.state(id).is_none() {
            return Err(UsageError::UnknownProducer(id.0));
        }
        Ok(ProducerApi { client: self, id })
    }

    /// Shuts the instance down: fails every pending send, unregisters every running group,
    /// then closes every connection and emits [`Event::ShutdownComplete`].
    pub fn shutdown(&mut self, now: Instant) {
        if self.inst.is_closing() {
            return;
        }
        self.consumers.shut_down_all(&mut self.inst, now);
        let running = self.producers.shut_down_all(&mut self.inst);
        for group in running {
            self.inst.unregister(now, Some(&group), None);
        }
        self.inst.begin_shutdown(now);
    }

    // ---- B: inputs ----

    /// Reports that a connection asked for by [`poll_conn`](Self::poll_conn) is established.
    pub fn handle_connected(&mut self, now: Instant, conn: ConnId) {
        if let Some(deadline) = self.inst.conns.connect_deadline(conn) {
            self.inst.timers.cancel(deadline, TimerKey::Connect(conn));
        }
        if self.inst.conns.set_connected(conn) {
            self.producers.complete_oneways_on(&mut self.inst, conn);
            let addr = self.inst.conn_addr(conn);
            self.heartbeat_reconnected(now, &addr);
        }
    }

    /// Feeds bytes read from a connection; corrupt input closes that connection only.
    pub fn handle_data(&mut self, now: Instant, conn: ConnId, data: &[u8]) {
        let mut frames = std::mem::take(&mut self.frames_buf);
        let mut result = self.inst.conns.receive(conn, now, data, &mut frames);
        for frame in frames.drain(..) {
            if let Err(e) = self.on_frame(now, conn, frame) {
                // The frames after a corrupt one are dropped with the connection.
                result = Err(e);
                break;
            }
        }
        self.frames_buf = frames;
        if let Err(error) = result {
            let addr = self.inst.conn_addr(conn);
            tracing::warn!(%addr, %error, "closing connection after a protocol violation");
            self.lose_conn(now, conn, true, TransportError::Protocol { addr, error });
        }
    }

    /// Feeds one decoded frame from a connection (for tests and fuzzing).
    pub fn handle_frame(&mut self, now: Instant, conn: ConnId, cmd: RemotingCommand) {
        self.inst.conns.touch(conn, now);
        self.on_command(now, conn, cmd);
    }

    /// Reports that a connection closed or could not be opened.
    pub fn handle_closed(&mut self, now: Instant, conn: ConnId, reason: CloseReason) {
        let addr = self.inst.conn_addr(conn);
        if self.inst.conns.get(conn).is_none() {
            return;
        }
        let error = match reason {
            CloseReason::ConnectFailed(reason) => TransportError::ConnectFailed { addr, reason },
            CloseReason::PeerClosed => TransportError::ConnectionClosed {
                addr,
                reason: CloseCause::Peer,
            },
            CloseReason::Io(reason) => TransportError::ConnectionClosed {
                addr,
                reason: CloseCause::Io(reason),
            },
        };
        self.lose_conn(now, conn, false, error);
    }

    /// Processes every deadline at or before `now`; an early call does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.inst.conns.flush_due(now);
        self.inst.conns.resume_due(now);
        while let Some(key) = self.inst.timers.pop_due(now) {
            match key {
                TimerKey::RouteRefresh => {
                    let next = now + self.inst.config.poll_name_server_interval;
                    self.inst.timers.set(next, TimerKey::RouteRefresh);
                    self.refresh_routes(now);
                }
                TimerKey::Heartbeat => {
                    let next = now + self.inst.config.heartbeat_broker_interval;
                    self.inst.timers.set(next, TimerKey::Heartbeat);
                    self.heartbeat_all(now);
                }
                TimerKey::Shutdown => self.inst.finish_shutdown(),
                TimerKey::Producer(ProducerTimer::Send(id)) => {
                    let close = self.producers.deadline_passed(&mut self.inst, now, id);
                    if let Some((conn, error)) = close {
                        self.lose_conn(now, conn, true, error);
                    }
                    self.settle(now);
                }
                TimerKey::Consumer(timer) => self.on_consumer_timer(now, timer),
                TimerKey::Request(opaque) => self.request_timed_out(now, opaque),
                TimerKey::Connect(conn) => {
                    let Some(c) = self.inst.conns.get(conn) else {
                        continue;
                    };
                    let error = TransportError::ConnectTimeout {
                        addr: c.addr.clone(),
                        timeout: self.inst.config.connect_timeout,
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
        self.inst.conns.poll_command()
    }

    /// Returns the next bytes to write. Call after every input or command, after `poll_conn`.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.inst.conns.poll_transmit()
    }

    /// Returns when [`handle_timeout`](Self::handle_timeout) must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let earliest = |a: Option<Instant>, b: Option<Instant>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let conns = &self.inst.conns;
        earliest(
            earliest(self.inst.timers.next(), conns.next_flush()),
            conns.next_resume(),
        )
    }

    /// Returns the next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.inst.poll_event()
    }

    /// Whether the driver may leave `conn`'s socket unread at `now`, so that answers due soon
    /// are read together (see [batching](crate#batching)): until the pause ends (which
    /// [`poll_timeout`](Self::poll_timeout) includes), or until its low-water mark of bytes
    /// waits where the socket can tell. Data read anyway is handled as usual.
    #[must_use]
    pub fn read_pause(&self, conn: ConnId, now: Instant) -> Option<ReadPause> {
        self.inst.conns.read_pause(conn, now)
    }

    // ---- routing between the instance and its roles ----

    /// A route answer arrived: a changed route reaches the roles and its new masters get a
    /// heartbeat; a finished lookup wakes its waiters.
    fn route_answered(&mut self, now: Instant, topic: &str, answer: RouteAnswer) {
        if let Some(applied) = answer.applied {
            if let Some(route) = self.inst.routes.route(topic) {
                self.producers.on_route(&mut self.inst.rng, topic, route);
            }
            self.inst.route_updated(topic);
            for addr in applied.new_masters {
                self.heartbeat_one(now, &addr);
            }
            self.consumers
                .rebalance_topic_all(&mut self.inst, now, topic);
        }
        if let Some(done) = answer.done {
            self.lookup_done(now, done);
        }
    }

    /// A route lookup finished: each waiter takes it up.
    pub(crate) fn lookup_done(&mut self, now: Instant, done: LookupDone) {
        for waiter in done.waiters {
            match waiter {
                RouteWaiter::Send(id) => {
                    let failure = done.failure.clone();
                    self.producers.route_ready(&mut self.inst, now, id, failure);
                }
                RouteWaiter::Consumer(id) => self.consumers.rebalance(&mut self.inst, now, id),
            }
        }
    }

    /// Refreshes the routes of every topic in use.
    fn refresh_routes(&mut self, now: Instant) {
        let mut topics = self.producers.topics();
        topics.extend(self.consumers.topics());
        topics.sort();
        topics.dedup();
        for topic in topics {
            if let Some(done) = self.inst.look_up_route(now, &topic, None) {
                self.lookup_done(now, done);
            }
        }
    }
}
