//! The brokers' message stores: access, driving them (outbound, created topics, retired and
//! closed sessions), and raw requests from sessions of the harness's own.

use std::time::Instant;

use rocketmq_proto::message::Message;
use rocketmq_proto::RemotingCommand;

use super::network::Peer;
use super::Harness;
use crate::testing::store::{BrokerStore, Session};

/// The peer name of the harness's own raw sessions.
const HARNESS_PEER: &str = "harness";

/// The key of a raw session: its peer's name and the server's address.
fn raw_key(peer: &str, addr: &str) -> (String, String) {
    (peer.to_owned(), addr.to_owned())
}

/// A session the harness itself opened to a server, for [`Harness::request`].
#[derive(Debug)]
pub(super) struct RawSession {
    pub(super) session: Session,
    /// What arrived on it, in order.
    pub(super) inbox: Vec<RemotingCommand>,
}

impl Harness {
    /// Returns the message store of the broker named `broker`.
    pub fn store(&self, broker: &str) -> &BrokerStore {
        &self.broker(broker).store
    }

    /// Returns the message store of the broker named `broker`, to change it (what a change
    /// wakes is delivered by the next `pump`, `drive` or `advance`).
    pub fn store_mut(&mut self, broker: &str) -> &mut BrokerStore {
        &mut self.broker_mut(broker).store
    }

    /// Returns the simulated wall clock (epoch milliseconds), as the stores take it.
    pub fn wall_ms(&self) -> i64 {
        self.wall_at(self.now)
    }

    /// Stores `msg` in queue `queue_id` of `topic` on the broker named `broker`, as if a
    /// producer sent it, and returns its queue offset; the held pulls it wakes are answered
    /// (does not drive). A topic or queue outside the cluster's routes is added to them.
    pub fn produce(&mut self, broker: &str, topic: &str, queue_id: i32, msg: Message) -> i64 {
        let (now, wall_ms) = (self.now, self.wall_ms());
        let b = self
            .brokers
            .values_mut()
            .find(|b| b.name == broker)
            .expect("known broker");
        if let Some(n) = self.topics.queues_on(topic, &b.name) {
            if b.store.queue_nums(topic).is_none_or(|m| m < n) {
                b.store.create_topic(topic, n);
            }
        }
        let offset = b.store.put(now, wall_ms, topic, queue_id, msg);
        self.pump();
        offset
    }

    /// Sends `cmd` to the server at `addr` (a broker or a name server) on the harness's own
    /// session to it, drives, and returns the answer (`None`: a oneway request, no answer yet,
    /// or the server is down). The opaque is set by the harness; everything the session
    /// receives is also kept for [`take_raw`](Self::take_raw).
    pub fn request(&mut self, addr: &str, cmd: RemotingCommand) -> Option<RemotingCommand> {
        self.request_as(HARNESS_PEER, addr, cmd)
    }

    /// Like [`request`](Self::request), from the session of another simulated client named
    /// `peer` (each peer has its own session to each server: e.g. a second member of a
    /// consumer group, which heart-beats every broker).
    pub fn request_as(
        &mut self,
        peer: &str,
        addr: &str,
        mut cmd: RemotingCommand,
    ) -> Option<RemotingCommand> {
        let session = self.raw_session(peer, addr)?;
        self.raw_opaque = self.raw_opaque.wrapping_add(1);
        cmd.opaque = self.raw_opaque;
        let (opaque, oneway) = (cmd.opaque, cmd.is_oneway());
        self.answer(addr, Peer::Raw(session), cmd);
        self.drive();
        if oneway {
            return None;
        }
        let inbox = &self.raw.get(&raw_key(peer, addr))?.inbox;
        inbox
            .iter()
            .find(|c| c.is_response() && c.opaque == opaque)
            .cloned()
    }

    /// Takes what the harness's session to `addr` received since the last call, in order:
    /// answers (including those [`request`](Self::request) returned, and late ones such as a
    /// held pull's) and the server's requests (e.g. NOTIFY_CONSUMER_IDS_CHANGED).
    pub fn take_raw(&mut self, addr: &str) -> Vec<RemotingCommand> {
        self.take_raw_as(HARNESS_PEER, addr)
    }

    /// Like [`take_raw`](Self::take_raw), for the session of peer `peer`.
    pub fn take_raw_as(&mut self, peer: &str, addr: &str) -> Vec<RemotingCommand> {
        self.raw
            .get_mut(&raw_key(peer, addr))
            .map(|r| std::mem::take(&mut r.inbox))
            .unwrap_or_default()
    }

    /// Closes the harness's session to `addr` (the broker forgets it); the next
    /// [`request`](Self::request) opens a new one.
    pub fn close_raw(&mut self, addr: &str) {
        self.close_raw_as(HARNESS_PEER, addr);
    }

    /// Like [`close_raw`](Self::close_raw), for the session of peer `peer`.
    pub fn close_raw_as(&mut self, peer: &str, addr: &str) {
        if let Some(session) = self.raw.get(&raw_key(peer, addr)).map(|r| r.session) {
            self.close_raw_session(session);
        }
    }

    /// `peer`'s session to `addr`, opened if needed; `None` if the server is down or
    /// blackholed.
    fn raw_session(&mut self, peer: &str, addr: &str) -> Option<Session> {
        assert!(
            self.name_servers.contains_key(addr) || self.brokers.contains_key(addr),
            "no server at {addr}"
        );
        if !self.is_up(addr) || self.blackholed.contains(addr) {
            return None;
        }
        if let Some(raw) = self.raw.get(&raw_key(peer, addr)) {
            return Some(raw.session);
        }
        let session = self.new_session();
        let raw = RawSession {
            session,
            inbox: Vec::new(),
        };
        self.raw.insert(raw_key(peer, addr), raw);
        Some(session)
    }

    /// Forgets a raw session; its broker's store forgets it.
    pub(super) fn close_raw_session(&mut self, session: Session) {
        let key = self
            .raw
            .iter()
            .find(|(_, r)| r.session == session)
            .map(|(k, _)| k.clone());
        if let Some(key) = key {
            self.raw.remove(&key);
            self.session_closed(&key.1, session);
        }
    }

    /// Tells the store of the broker at `addr` (if it is one) that `session` closed.
    pub(super) fn session_closed(&mut self, addr: &str, session: Session) {
        let now = self.now;
        if let Some(b) = self.brokers.get_mut(addr) {
            b.store.session_closed(now, session);
        }
    }

    /// Drives every store (see [`sync_store`](Self::sync_store)).
    pub(super) fn sync_stores(&mut self) {
        let now = self.now;
        let pending: Vec<String> = self
            .brokers
            .iter()
            .filter(|(_, b)| b.store.has_pending(now))
            .map(|(a, _)| a.clone())
            .collect();
        for addr in pending {
            self.sync_store(&addr);
        }
    }

    /// Drives the store of the broker at `addr` (if it is one) at the current time: delivers
    /// its outbound (with the broker's latency; dropped for sessions that are gone), adds the
    /// topics it created to the cluster's routes (perm 6, queue counts only grow), and closes
    /// the sessions it retired.
    pub(super) fn sync_store(&mut self, addr: &str) {
        let (now, wall_ms) = (self.now, self.wall_ms());
        let Some(b) = self.brokers.get_mut(addr) else {
            return;
        };
        let outbound = b.store.poll_outbound(now, wall_ms);
        let created = b.store.take_created_topics();
        let retired = b.store.take_retired_sessions();
        let (name, latency) = (b.name.clone(), b.latency);
        for (session, cmd) in outbound {
            self.push_to_session(session, latency, cmd);
        }
        for (topic, queues) in created {
            let entries = self.topics.topics.entry(topic).or_default();
            match entries.iter_mut().find(|(b, _, _)| *b == name) {
                Some(entry) => entry.1 = entry.1.max(queues),
                None => entries.push((name.clone(), queues, 6)),
            }
        }
        for session in retired {
            self.close_session(session);
        }
    }

    /// Whether a store has something to deliver or report now.
    pub(super) fn stores_due(&self) -> bool {
        self.brokers.values().any(|b| b.store.has_pending(self.now))
    }

    /// The earliest deadline of any store (a held pull's timeout, a delayed message).
    pub(super) fn next_store_deadline(&self) -> Option<Instant> {
        self.brokers
            .values()
            .filter_map(|b| b.store.next_deadline())
            .min()
    }

    /// The wall clock at virtual time `t`.
    pub(super) fn wall_at(&self, t: Instant) -> i64 {
        super::WALL_EPOCH_MS + (t - self.start).as_millis() as i64
    }
}
