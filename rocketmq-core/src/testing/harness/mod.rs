//! `Harness`: a client wired to a simulated cluster, driven on a virtual clock.

mod consumer;
mod network;
mod producer;
mod stores;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::cluster::{MockBroker, MockNameServer, Topics};
use super::store::StoreConfig;
use crate::{Client, ClientConfig, ClientEnv, ConnId, Event};
use network::{Delivery, Link};
use stores::RawSession;

/// The simulated wall clock when the harness is built, epoch milliseconds.
const WALL_EPOCH_MS: i64 = 1_700_000_000_000;

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
    store_config: StoreConfig,
    broker_store_configs: HashMap<String, StoreConfig>,
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

    /// Sets the store config of every broker without one of its own (default:
    /// `StoreConfig::default()` with `commit_log_stride: Some(100)`, so offset message ids
    /// are predictable).
    pub fn store_config(mut self, config: StoreConfig) -> Self {
        self.store_config = config;
        self
    }

    /// Sets the store config of the broker named `broker`.
    pub fn broker_store_config(mut self, broker: &str, config: StoreConfig) -> Self {
        self.broker_store_configs.insert(broker.to_owned(), config);
        self
    }

    /// Creates the client and the simulated cluster; virtual time starts at the builder's epoch.
    pub fn build(self) -> Harness {
        let now = self.epoch;
        let wall = Arc::new(AtomicI64::new(WALL_EPOCH_MS));
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
                .map(|(n, a)| {
                    let config = self.broker_store_configs.get(n);
                    let config = config.unwrap_or(&self.store_config).clone();
                    (a.clone(), MockBroker::new(n, a, config))
                })
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
            next_session: 0,
            raw: BTreeMap::new(),
            raw_opaque: 0,
            deliveries: consumer::Deliveries::default(),
        }
    }
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
    /// The last session id given to a connection or raw session.
    next_session: u64,
    /// The harness's own session to each server it sent a raw request to.
    raw: BTreeMap<(String, String), RawSession>,
    /// The opaque of the last raw request.
    raw_opaque: i32,
    /// Deliveries answered by the harness, and its listener.
    deliveries: consumer::Deliveries,
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
            store_config: StoreConfig {
                commit_log_stride: Some(100),
                ..StoreConfig::default()
            },
            broker_store_configs: HashMap::new(),
        }
    }

    /// Returns the virtual time elapsed since the harness was built.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
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
    ///
    /// Its store is kept (like a broker's disk); its sessions end, and their held pulls with them.
    pub fn kill_broker(&mut self, name: &str) {
        let addr = self.broker(name).addr.clone();
        self.broker_mut(name).down = true;
        let sessions: Vec<_> = self
            .links
            .values()
            .filter(|l| l.addr == addr)
            .map(|l| l.session)
            .collect();
        for session in sessions {
            self.session_closed(&addr, session);
        }
        self.close_raw(&addr);
        self.close_links_to(&addr);
    }

    /// Brings a killed broker back.
    pub fn revive_broker(&mut self, name: &str) {
        self.broker_mut(name).down = false;
    }

    /// Makes a name server refuse connections (and drops its open ones).
    pub fn kill_name_server(&mut self, addr: &str) {
        self.name_server_mut(addr).down = true;
        self.close_raw(addr);
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

    /// Runs until the client is settled, nothing is in transit or unread and no store has
    /// anything due, jumping the virtual clock to each next deadline (a pull a store holds
    /// is not waited for: it is answered on arrival or by [`advance`](Self::advance)).
    /// Bounded; panics on a livelock.
    pub fn drive(&mut self) {
        for _ in 0..MAX_STEPS {
            self.pump();
            if self.deliver_due() {
                continue;
            }
            let idle = self.client.is_settled()
                && self.in_transit.is_empty()
                && self.parked.is_empty()
                && !self.stores_due();
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

    /// Lets `d` of virtual time pass, processing everything due on the way (the client's
    /// timers, deliveries, the stores' held-pull timeouts and delayed messages).
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

    /// The next time something is due: a delivery, the client's timeout, a store's deadline.
    pub(super) fn next_wakeup(&self) -> Option<Instant> {
        let transit = self.in_transit.keys().next().map(|(t, _)| *t);
        [
            transit,
            self.client.poll_timeout(),
            self.next_store_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub(super) fn set_now(&mut self, t: Instant) {
        self.now = t;
        self.wall.store(self.wall_at(t), Ordering::Relaxed);
    }
}
