//! The simulated network: links, deliveries on the virtual clock, the client's reads.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rocketmq_proto::{frame, FrameDecoder, RemotingCommand, SerializeType};

use super::Harness;
use crate::testing::cluster::Action;
use crate::testing::store::Session;
use crate::{CloseReason, ConnCommand, ConnId};

/// Something on its way to the client (or to the harness's own raw sessions).
#[derive(Debug)]
pub(super) enum Delivery {
    Connected(ConnId),
    Refused(ConnId),
    Bytes(ConnId, Bytes),
    Closed(ConnId),
    /// A command for a raw session (see [`Harness::request`]).
    Raw(Session, RemotingCommand),
    /// The server closed a raw session.
    RawClosed(Session),
}

/// The server side of one connection.
#[derive(Debug)]
pub(super) struct Link {
    pub(super) addr: String,
    /// The broker's id of the connection.
    pub(super) session: Session,
    inbound: BytesMut,
    decoder: FrameDecoder,
}

/// Who sent a request, so its answer goes back there.
#[derive(Clone, Copy, Debug)]
pub(super) enum Peer {
    /// The client, on a connection.
    Client(ConnId),
    /// A raw session of the harness.
    Raw(Session),
}

impl Harness {
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
        self.sync_stores();
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
                            let session = self.new_session();
                            self.links.insert(
                                conn,
                                Link {
                                    addr,
                                    session,
                                    inbound: BytesMut::new(),
                                    decoder: FrameDecoder::new(),
                                },
                            );
                            self.schedule(Duration::ZERO, Delivery::Connected(conn));
                        } else {
                            self.schedule(Duration::ZERO, Delivery::Refused(conn));
                        }
                    }
                    ConnCommand::Close { conn } => self.drop_link(conn),
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
            progressed |= self.hear();
            if !progressed {
                return;
            }
        }
    }

    /// Decodes the client's bytes on a link and lets the server answer each frame.
    pub(super) fn serve(&mut self, conn: ConnId, data: &[u8]) {
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
            self.answer(&addr, Peer::Client(conn), cmd);
        }
    }

    /// Lets the server at `addr` handle a request from `peer`, then delivers what its store
    /// has to send (before the answer, as a broker writes them) and the answer.
    pub(super) fn answer(&mut self, addr: &str, peer: Peer, cmd: RemotingCommand) {
        let (now, wall_ms) = (self.now, self.wall_ms());
        let session = match peer {
            Peer::Client(conn) => self.links.get(&conn).map_or(0, |l| l.session),
            Peer::Raw(session) => session,
        };
        let action = if let Some(ns) = self.name_servers.get_mut(addr) {
            ns.handle(&self.topics, cmd)
        } else if let Some(b) = self.brokers.get_mut(addr) {
            b.handle(now, wall_ms, session, &mut self.topics, cmd)
        } else {
            Action::Nothing
        };
        self.sync_store(addr);
        let action = match (action, self.brokers.get_mut(addr)) {
            (Action::Respond(delay, resp), Some(b)) if !b.service_time.is_zero() => {
                let start = b.busy_until.map_or(self.now, |t| t.max(self.now));
                let done = start + b.service_time;
                b.busy_until = Some(done);
                Action::Respond(delay + (done - self.now), resp)
            }
            (action, _) => action,
        };
        match (action, peer) {
            (Action::Respond(delay, resp), Peer::Client(conn)) => {
                let bytes = frame::encode_to_bytes(&resp, SerializeType::Json).expect("encodable");
                self.schedule(delay, Delivery::Bytes(conn, bytes));
            }
            (Action::Respond(delay, resp), Peer::Raw(session)) => {
                self.schedule(delay, Delivery::Raw(session, resp));
            }
            (Action::Raw(delay, bytes), Peer::Client(conn)) => {
                self.schedule(delay, Delivery::Bytes(conn, bytes));
            }
            (Action::Close, Peer::Client(conn)) => {
                self.schedule(Duration::ZERO, Delivery::Closed(conn));
            }
            (Action::Close, Peer::Raw(session)) => {
                self.schedule(Duration::ZERO, Delivery::RawClosed(session));
            }
            // A raw session reads commands, not bytes.
            (Action::Raw(..), Peer::Raw(_)) | (Action::Nothing, _) => {}
        }
    }

    /// Sends `cmd` from the server at `addr` to `session` (the client's connection or a raw
    /// session) after `delay`; dropped if the session is gone.
    pub(super) fn push_to_session(
        &mut self,
        session: Session,
        delay: Duration,
        cmd: RemotingCommand,
    ) {
        if let Some((&conn, _)) = self.links.iter().find(|(_, l)| l.session == session) {
            let bytes = frame::encode_to_bytes(&cmd, SerializeType::Json).expect("encodable");
            self.schedule(delay, Delivery::Bytes(conn, bytes));
        } else if self.raw.values().any(|r| r.session == session) {
            self.schedule(delay, Delivery::Raw(session, cmd));
        }
    }

    /// Closes a session from the server's side: the client's connection (reported to it) or a
    /// raw session.
    pub(super) fn close_session(&mut self, session: Session) {
        if let Some((&conn, _)) = self.links.iter().find(|(_, l)| l.session == session) {
            self.schedule(Duration::ZERO, Delivery::Closed(conn));
        } else if self.raw.values().any(|r| r.session == session) {
            self.schedule(Duration::ZERO, Delivery::RawClosed(session));
        }
    }

    /// Forgets a closed connection; its broker's store forgets its session.
    pub(super) fn drop_link(&mut self, conn: ConnId) {
        if let Some(link) = self.links.remove(&conn) {
            self.session_closed(&link.addr, link.session);
        }
    }

    /// A new session id (connections and raw sessions share the numbering).
    pub(super) fn new_session(&mut self) -> Session {
        self.next_session += 1;
        self.next_session
    }

    pub(super) fn schedule(&mut self, after: Duration, d: Delivery) {
        self.seq += 1;
        self.in_transit.insert((self.now + after, self.seq), d);
    }

    /// Delivers the first thing due; returns whether there was one.
    ///
    /// Reads as a driver with a socket low-water mark does: bytes reaching a connection whose
    /// reading is paused wait until the pause ends or they reach its low-water mark (unless
    /// the mark is not honoured), then are read at once.
    pub(super) fn deliver_due(&mut self) -> bool {
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
                if self.links.contains_key(&c) {
                    self.drop_link(c);
                    self.client.handle_closed(now, c, CloseReason::PeerClosed);
                }
            }
            Delivery::Raw(session, cmd) => {
                if let Some(raw) = self.raw.values_mut().find(|r| r.session == session) {
                    raw.inbox.push(cmd);
                }
            }
            Delivery::RawClosed(session) => self.close_raw_session(session),
        }
        true
    }

    /// Reads what waits on connections whose pause has ended; whether there was any.
    pub(super) fn read_resumed(&mut self) -> bool {
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
    pub(super) fn read_parked(&mut self, c: ConnId) {
        let Some((since, parked)) = self.parked.remove(&c) else {
            return;
        };
        self.longest_read_wait = self.longest_read_wait.max(self.now - since);
        if self.links.contains_key(&c) {
            self.read(c, &parked.concat());
        }
    }

    /// One read by the client from a connection.
    pub(super) fn read(&mut self, c: ConnId, data: &[u8]) {
        if let Some(link) = self.links.get(&c) {
            *self.reads.entry(link.addr.clone()).or_default() += 1;
        }
        self.client.handle_data(self.now, c, data);
    }

    pub(super) fn close_links_to(&mut self, addr: &str) {
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

    pub(super) fn is_up(&self, addr: &str) -> bool {
        if let Some(ns) = self.name_servers.get(addr) {
            return !ns.down;
        }
        self.brokers.get(addr).is_some_and(|b| !b.down)
    }
}
