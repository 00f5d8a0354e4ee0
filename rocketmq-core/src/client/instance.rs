//! `Instance`: the state every role shares (Java `MQClientInstance` without its roles) —
//! settings, identity, clock and randomness, connections, requests, timers, routes and the
//! event queue.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rocketmq_proto::RemotingCommand;

use super::namesrv::NameServers;
use super::route::Routes;
use super::rpc::{PendingRequest, RequestKind, Requests};
use crate::client_id::client_id_for;
use crate::config::ClientConfig;
use crate::conn::backlog::FrameClass;
use crate::conn::Conns;
use crate::env::{ClientEnv, Rng, WallClock};
use crate::event::Event;
use crate::ids::ConnId;
use crate::lifecycle::ServiceState;
use crate::timer::{TimerKey, Timers};

/// See the module doc.
pub(crate) struct Instance {
    pub(crate) config: ClientConfig,
    pub(crate) client_id: String,
    wall: Arc<dyn WallClock>,
    /// The wall clock as read for one `now`: every send of a turn shares one reading.
    wall_cache: Option<(Instant, i64)>,
    pub(crate) rng: Rng,
    pub(crate) state: ServiceState,
    pub(crate) conns: Conns,
    pub(crate) requests: Requests,
    pub(crate) timers: Timers,
    pub(crate) routes: Routes,
    pub(crate) name_servers: NameServers,
    events: VecDeque<Event>,
    /// When a shutdown under way stops waiting for unregister answers.
    pub(crate) shutting_down: Option<Instant>,
}

impl Instance {
    /// The instance for `config` and `env`, and the seed of its producers' `UNIQ_KEY`
    /// counter (the first draw of the instance's random numbers).
    pub(crate) fn new(config: ClientConfig, env: &ClientEnv) -> (Self, u32) {
        let client_id = client_id_for(&config, env);
        let mut rng = Rng::new(env.rng_seed);
        let uniq_seed = rng.next_u32();
        let name_servers = NameServers::new(config.name_servers.clone(), rng.next_u32());
        let inst = Self {
            client_id,
            wall: env.wall_clock.clone(),
            wall_cache: None,
            rng,
            state: ServiceState::CreateJust,
            conns: Conns::new(config.batch_delay),
            requests: Requests::default(),
            timers: Timers::default(),
            routes: Routes::default(),
            name_servers,
            events: VecDeque::new(),
            shutting_down: None,
            config,
        };
        (inst, uniq_seed)
    }

    /// The wall clock in Unix milliseconds, read once per distinct `now` (one driver turn):
    /// a send's UNIQ_KEY and born timestamp, and every send of the turn, share the reading.
    pub(crate) fn wall_millis(&mut self, now: Instant) -> i64 {
        match self.wall_cache {
            Some((at, ms)) if at == now => ms,
            _ => {
                let ms = self.wall.now_millis();
                self.wall_cache = Some((now, ms));
                ms
            }
        }
    }

    /// Whether the instance is shut down or shutting down.
    pub(crate) fn is_closing(&self) -> bool {
        self.state == ServiceState::ShutdownAlready || self.shutting_down.is_some()
    }

    /// Opens (or reuses) the connection to `addr`, arming its connect timeout if new.
    pub(crate) fn conn_to(&mut self, now: Instant, addr: &str) -> ConnId {
        if let Some(id) = self.conns.id_of(addr) {
            return id;
        }
        let deadline = now + self.config.connect_timeout;
        let id = self.conns.get_or_open(addr, deadline);
        self.timers.set(deadline, TimerKey::Connect(id));
        id
    }

    /// The address of a connection (empty once it is gone).
    pub(crate) fn conn_addr(&self, conn: ConnId) -> String {
        self.conns
            .get(conn)
            .map(|c| c.addr.clone())
            .unwrap_or_default()
    }

    /// Sends a request to `addr` that gives up after `timeout`; returns its opaque.
    pub(crate) fn request(
        &mut self,
        now: Instant,
        addr: &str,
        mut cmd: RemotingCommand,
        kind: RequestKind,
        timeout: Duration,
    ) -> i32 {
        let conn = self.conn_to(now, addr);
        let opaque = self.requests.next_opaque();
        cmd.opaque = opaque;
        self.finish_request(&mut cmd);
        let class = match kind.is_long_poll() {
            true => FrameClass::LongPoll,
            false => FrameClass::Request,
        };
        if let Err(e) = self
            .conns
            .queue(conn, &cmd, self.config.serialize_type, class)
        {
            tracing::error!(error = %e, "cannot encode request");
        }
        let deadline = now + timeout;
        self.timers.set(deadline, TimerKey::Request(opaque));
        self.requests.insert(
            opaque,
            PendingRequest {
                conn,
                kind,
                deadline: Some(deadline),
                sent_at: now,
            },
        );
        opaque
    }

    /// Sends a oneway request to `addr` (no answer, no timeout).
    pub(crate) fn oneway(&mut self, now: Instant, addr: &str, mut cmd: RemotingCommand) {
        let conn = self.conn_to(now, addr);
        cmd.opaque = self.requests.next_opaque();
        cmd.flag |= rocketmq_proto::FLAG_ONEWAY;
        self.finish_request(&mut cmd);
        if let Err(e) = self
            .conns
            .queue(conn, &cmd, self.config.serialize_type, FrameClass::Oneway)
        {
            tracing::error!(error = %e, "cannot encode request");
        }
    }

    /// Sends a reply to the peer's request `cmd.opaque` on `conn`.
    pub(crate) fn reply(&mut self, conn: ConnId, mut cmd: RemotingCommand) {
        self.finish_request(&mut cmd);
        if let Err(e) = self
            .conns
            .queue(conn, &cmd, self.config.serialize_type, FrameClass::Reply)
        {
            tracing::error!(error = %e, "cannot encode response");
        }
    }

    /// The one place every command the client writes through the generic encoder passes:
    /// stamps the language (the send template writes it itself).
    fn finish_request(&self, cmd: &mut RemotingCommand) {
        cmd.language = self.config.language;
    }

    /// Removes a request waiting for its response and cancels its timeout: `answered_at`
    /// when its answer came, `None` when it is given up (the connection's batching counts
    /// both).
    pub(crate) fn take_request(
        &mut self,
        opaque: i32,
        answered_at: Option<Instant>,
    ) -> Option<PendingRequest> {
        let p = self.requests.remove(opaque)?;
        Some(self.end_request(opaque, p, answered_at))
    }

    /// Tells the connection's batching about an ended request and cancels its timeout.
    fn end_request(
        &mut self,
        opaque: i32,
        p: PendingRequest,
        answered_at: Option<Instant>,
    ) -> PendingRequest {
        match answered_at {
            // Long polls were never counted by the connection's batching.
            _ if p.kind.is_long_poll() => {}
            Some(now) => self.conns.on_answer(p.conn, now, p.sent_at),
            None => self.conns.on_dropped(p.conn),
        }
        if let Some(d) = p.deadline {
            self.timers.cancel(d, TimerKey::Request(opaque));
        }
        p
    }

    pub(crate) fn push_event(&mut self, e: Event) {
        self.events.push_back(e);
    }

    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Starts the instance's periodic timers (once; later calls do nothing).
    pub(crate) fn start(&mut self, now: Instant) {
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

    /// Begins shutting down: every timer stops; unregister answers are awaited until the API
    /// timeout.
    pub(crate) fn begin_shutdown(&mut self, now: Instant) {
        let deadline = now + self.config.mq_client_api_timeout;
        self.shutting_down = Some(deadline);
        self.timers.clear();
        self.timers.set(deadline, TimerKey::Shutdown);
        self.maybe_finish_shutdown();
    }

    /// Finishes a shutdown under way once no unregister request waits.
    pub(crate) fn maybe_finish_shutdown(&mut self) {
        let unregistering = self.requests.any(|k| {
            matches!(
                k,
                RequestKind::Instance(super::rpc::InstanceRequest::Unregister)
            )
        });
        if self.shutting_down.is_some() && !unregistering {
            self.finish_shutdown();
        }
    }

    /// Clears everything, closes every connection and emits [`Event::ShutdownComplete`].
    pub(crate) fn finish_shutdown(&mut self) {
        if self.state == ServiceState::ShutdownAlready {
            return;
        }
        self.shutting_down = None;
        self.state = ServiceState::ShutdownAlready;
        self.timers.clear();
        self.requests.clear();
        self.routes.clear_lookups();
        for id in self.conns.ids() {
            self.conns.remove(id, true);
        }
        self.push_event(Event::ShutdownComplete);
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::Instance;
    use crate::config::ClientConfig;
    use crate::env::ClientEnv;

    #[test]
    fn the_wall_clock_is_read_once_per_now() {
        let reads = Arc::new(AtomicI64::new(0));
        let r = reads.clone();
        let env = ClientEnv {
            local_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            pid: 1,
            instance_nonce: 1,
            rng_seed: 1,
            // Each reading is one millisecond later than the one before.
            wall_clock: Arc::new(move || 1_000 + r.fetch_add(1, Ordering::Relaxed)),
        };
        let t0 = Instant::now();
        let (mut c, _) = Instance::new(ClientConfig::default(), &env);
        assert_eq!(c.wall_millis(t0), 1_000);
        assert_eq!(c.wall_millis(t0), 1_000, "same turn, same reading");
        let t1 = t0 + Duration::from_millis(3);
        assert_eq!(c.wall_millis(t1), 1_001, "a new turn reads the clock again");
        assert_eq!(c.wall_millis(t1), 1_001);
        assert_eq!(reads.load(Ordering::Relaxed), 2);
    }
}
