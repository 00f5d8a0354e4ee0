//! The connection table: one logical connection per address, with its byte buffers.

pub(crate) mod backlog;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rocketmq_proto::frame::{CommandHead, FieldValue};
use rocketmq_proto::header::{SendHeaderTemplate, SendHeaderVars};
use rocketmq_proto::{
    frame, DecodeError, EncodeError, FrameDecoder, RemotingCommand, SerializeType,
};

use self::backlog::{Backlog, FrameClass, Verdict};
use crate::event::{ConnCommand, ReadPause, Transmit};
use crate::id_map::{IdMap, StrMap};
use crate::ids::ConnId;

/// A connection's progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConnState {
    /// Waiting for the driver to connect, until the deadline.
    Connecting { deadline: Instant },
    /// Connected; bytes may flow.
    Connected,
}

/// One connection.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) addr: String,
    pub(crate) state: ConnState,
    inbound: BytesMut,
    /// Finished buffers to send first, in order (a frame head, then its zero-copy body).
    chunks: VecDeque<Bytes>,
    /// Bytes being appended to, sent after `chunks`.
    outbound: BytesMut,
    decoder: FrameDecoder,
    /// When a frame last arrived.
    pub(crate) last_rx: Option<Instant>,
    /// Whether new sends wait to go out together (see [`backlog`]).
    batch: Backlog,
    /// Reading waits so that answers are read together (see [`backlog`]).
    read_pause: Option<ReadPause>,
    /// Running average size of the frames received, in bytes.
    avg_frame_len: u32,
}

/// Bodies from this size on are sent as their own buffer instead of being copied; below it a
/// copy costs less than the extra slice of a vectored write (`scripts/bench.sh trivial`).
const ZERO_COPY_BODY: usize = 4096;

impl Conn {
    /// Whether bytes wait to be transmitted.
    fn has_output(&self) -> bool {
        !self.chunks.is_empty() || !self.outbound.is_empty()
    }

    /// Bytes waiting to be transmitted.
    fn output_len(&self) -> usize {
        self.outbound.len() + self.chunks.iter().map(Bytes::len).sum::<usize>()
    }
}

/// All connections, the driver commands they need, and the ones with bytes to write.
#[derive(Debug, Default)]
pub(crate) struct Conns {
    conns: IdMap<ConnId, Conn>,
    by_addr: StrMap<String, ConnId>,
    commands: VecDeque<ConnCommand>,
    ready: VecDeque<ConnId>,
    next_id: u64,
    /// Longest a send may be held for a batch; zero turns batching off.
    batch_delay: Duration,
    /// When holds end at the latest, in the order they began (some may have ended sooner).
    holds: VecDeque<(Instant, ConnId)>,
    /// The earliest end of a read pause under way.
    next_resume: Option<Instant>,
}

impl Conns {
    /// A connection table whose sends may wait up to `batch_delay` to go out together.
    pub(crate) fn new(batch_delay: Duration) -> Self {
        Self {
            batch_delay,
            ..Self::default()
        }
    }

    /// Returns the connection to `addr`, asking the driver to open one if there is none.
    pub(crate) fn get_or_open(&mut self, addr: &str, connect_deadline: Instant) -> ConnId {
        if let Some(&id) = self.by_addr.get(addr) {
            return id;
        }
        let id = ConnId(self.next_id);
        self.next_id += 1;
        self.conns.insert(
            id,
            Conn {
                addr: addr.to_owned(),
                state: ConnState::Connecting {
                    deadline: connect_deadline,
                },
                inbound: BytesMut::new(),
                chunks: VecDeque::new(),
                outbound: BytesMut::new(),
                decoder: FrameDecoder::new(),
                last_rx: None,
                batch: Backlog::default(),
                read_pause: None,
                avg_frame_len: 0,
            },
        );
        self.by_addr.insert(addr.to_owned(), id);
        self.commands.push_back(ConnCommand::Open {
            conn: id,
            addr: addr.to_owned(),
        });
        id
    }

    pub(crate) fn get(&self, id: ConnId) -> Option<&Conn> {
        self.conns.get(&id)
    }

    pub(crate) fn id_of(&self, addr: &str) -> Option<ConnId> {
        self.by_addr.get(addr).copied()
    }

    pub(crate) fn is_connected(&self, id: ConnId) -> bool {
        self.conns
            .get(&id)
            .is_some_and(|c| c.state == ConnState::Connected)
    }

    /// Marks a connection connected; returns false if it is unknown.
    pub(crate) fn set_connected(&mut self, id: ConnId) -> bool {
        let Some(c) = self.conns.get_mut(&id) else {
            return false;
        };
        c.state = ConnState::Connected;
        if c.has_output() {
            self.ready.push_back(id);
        }
        true
    }

    /// Encodes `cmd` onto the connection's outgoing bytes.
    pub(crate) fn queue(
        &mut self,
        id: ConnId,
        cmd: &RemotingCommand,
        ser: SerializeType,
        out: FrameClass,
    ) -> Result<(), EncodeError> {
        self.append(id, out, |c| frame::encode(cmd, ser, &mut c.outbound))
    }

    /// Encodes a command from borrowed header fields onto the connection's outgoing bytes.
    pub(crate) fn queue_fields(
        &mut self,
        id: ConnId,
        head: &CommandHead,
        fields: &[(&str, FieldValue<'_>)],
        body: &Bytes,
        ser: SerializeType,
        kind: FrameClass,
    ) -> Result<(), EncodeError> {
        self.queue_with_body(id, body, kind, |out, inline| match inline {
            Some(body) => frame::encode_fields(head, fields, body, ser, out),
            None => frame::encode_fields_head(head, fields, body.len(), ser, out),
        })
    }

    /// Encodes a JSON send request from its template onto the connection's outgoing bytes.
    pub(crate) fn queue_send(
        &mut self,
        id: ConnId,
        template: &SendHeaderTemplate,
        vars: &SendHeaderVars<'_>,
        body: &Bytes,
        kind: FrameClass,
    ) -> Result<(), EncodeError> {
        self.queue_with_body(id, body, kind, |out, inline| match inline {
            Some(body) => template.encode(vars, body, out),
            None => template.encode_head(vars, body.len(), out),
        })
    }

    /// Queues a frame with `body`: `encode` gets the body to copy in (`Some`), or `None`
    /// when it writes only the head and the large body follows as a chunk of its own (the
    /// driver writes both in one vectored write).
    fn queue_with_body(
        &mut self,
        id: ConnId,
        body: &Bytes,
        kind: FrameClass,
        encode: impl FnOnce(&mut BytesMut, Option<&[u8]>) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        if body.len() < ZERO_COPY_BODY {
            return self.append(id, kind, |c| encode(&mut c.outbound, Some(body)));
        }
        self.append(id, kind, |c| {
            encode(&mut c.outbound, None)?;
            c.chunks.push_back(c.outbound.split().freeze());
            c.chunks.push_back(body.clone());
            Ok(())
        })
    }

    /// Adds to a connection's outgoing data, marking it ready when it had none or a hold
    /// ends, unless the frame is held for a batch.
    fn append(
        &mut self,
        id: ConnId,
        out: FrameClass,
        encode: impl FnOnce(&mut Conn) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        let Some(c) = self.conns.get_mut(&id) else {
            return Ok(());
        };
        let was_idle = !c.has_output();
        let was_held = c.batch.held_until().is_some();
        encode(c)?;
        let connected = c.state == ConnState::Connected;
        let delay = Some(self.batch_delay).filter(|d| connected && !d.is_zero());
        match c.batch.on_queued(out, was_idle, c.output_len(), delay) {
            Verdict::Write if connected && (was_idle || was_held) => self.ready.push_back(id),
            Verdict::Write | Verdict::Held => {}
            Verdict::HoldStarted(until) => self.holds.push_back((until, id)),
        }
        Ok(())
    }

    /// Notes an answer on a connection to a request queued at `sent_at`: it may end a hold,
    /// and pause reading while the peer is backlogged enough that waiting collects more
    /// answers (batching on only: a zero delay allows no pause).
    pub(crate) fn on_answer(&mut self, id: ConnId, now: Instant, sent_at: Instant) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        let released = c.batch.on_answer(now, sent_at);
        if let Some((pause, answers)) = c.batch.read_pause(self.batch_delay) {
            let until = now + pause;
            c.read_pause = Some(ReadPause {
                until,
                low_water: (answers as usize).saturating_mul(c.avg_frame_len as usize),
            });
            self.next_resume = Some(self.next_resume.map_or(until, |t| t.min(until)));
        }
        if released {
            self.release(id);
        }
    }

    /// Notes a request on a connection given up without an answer.
    pub(crate) fn on_dropped(&mut self, id: ConnId) {
        if let Some(c) = self.conns.get_mut(&id) {
            if c.batch.on_dropped() {
                self.release(id);
            }
        }
    }

    /// When the earliest hold must end.
    pub(crate) fn next_flush(&self) -> Option<Instant> {
        self.holds.front().map(|(at, _)| *at)
    }

    /// Ends the holds whose delay has passed by `now`.
    pub(crate) fn flush_due(&mut self, now: Instant) {
        while let Some(&(at, id)) = self.holds.front() {
            if at > now {
                break;
            }
            self.holds.pop_front();
            if let Some(c) = self.conns.get_mut(&id) {
                if c.batch.on_delay_passed(at) && c.has_output() {
                    self.ready.push_back(id);
                }
            }
        }
    }

    /// Hands a connection whose hold ended to the driver, and forgets holds that are over.
    fn release(&mut self, id: ConnId) {
        if self.conns.get(&id).is_some_and(Conn::has_output) {
            self.ready.push_back(id);
        }
        while let Some(&(at, id)) = self.holds.front() {
            let live = self
                .conns
                .get(&id)
                .is_some_and(|c| c.batch.held_until() == Some(at));
            if live {
                break;
            }
            self.holds.pop_front();
        }
    }

    /// The read pause of a connection, if one is under way at `now`.
    pub(crate) fn read_pause(&self, id: ConnId, now: Instant) -> Option<ReadPause> {
        // No pause anywhere (the usual case) needs no lookup.
        self.next_resume?;
        self.conns.get(&id)?.read_pause.filter(|p| p.until > now)
    }

    /// When the earliest read pause ends.
    pub(crate) fn next_resume(&self) -> Option<Instant> {
        self.next_resume
    }

    /// Ends the read pauses that are over by `now`.
    pub(crate) fn resume_due(&mut self, now: Instant) {
        if self.next_resume.is_some_and(|at| at <= now) {
            self.find_next_resume(Some(now));
        }
    }

    /// Clears the pauses over by `now` (none when `now` is `None`) and finds the earliest left.
    fn find_next_resume(&mut self, now: Option<Instant>) {
        let mut next: Option<Instant> = None;
        for c in self.conns.values_mut() {
            let Some(p) = c.read_pause else {
                continue;
            };
            if now.is_some_and(|n| p.until <= n) {
                c.read_pause = None;
            } else {
                next = Some(next.map_or(p.until, |t| t.min(p.until)));
            }
        }
        self.next_resume = next;
    }

    /// Appends received bytes and decodes the whole frames they complete.
    pub(crate) fn receive(
        &mut self,
        id: ConnId,
        now: Instant,
        data: &[u8],
        out: &mut Vec<Bytes>,
    ) -> Result<(), DecodeError> {
        let Some(c) = self.conns.get_mut(&id) else {
            return Ok(());
        };
        c.inbound.extend_from_slice(data);
        while let Some(frame) = c.decoder.next_frame(&mut c.inbound)? {
            c.last_rx = Some(now);
            // With its 4-byte length prefix.
            let bytes = u32::try_from(frame.len().saturating_add(4)).unwrap_or(u32::MAX);
            c.avg_frame_len = match c.avg_frame_len {
                0 => bytes,
                avg => avg - avg / 8 + bytes / 8,
            };
            out.push(frame);
        }
        Ok(())
    }

    /// Records that a frame arrived (for frames handed in pre-decoded).
    pub(crate) fn touch(&mut self, id: ConnId, now: Instant) {
        if let Some(c) = self.conns.get_mut(&id) {
            c.last_rx = Some(now);
        }
    }

    /// Forgets a connection; with `tell_driver`, asks the driver to close it.
    pub(crate) fn remove(&mut self, id: ConnId, tell_driver: bool) -> Option<Conn> {
        let c = self.conns.remove(&id)?;
        self.by_addr.remove(&c.addr);
        self.holds.retain(|(_, h)| *h != id);
        if c.read_pause
            .is_some_and(|p| Some(p.until) == self.next_resume)
        {
            self.find_next_resume(None);
        }
        if tell_driver {
            self.commands.push_back(ConnCommand::Close { conn: id });
        }
        Some(c)
    }

    /// Returns the ids of all connections.
    pub(crate) fn ids(&self) -> Vec<ConnId> {
        self.conns.keys().copied().collect()
    }

    /// Returns connections still connecting whose deadline is at or before `now`.
    pub(crate) fn connect_deadline(&self, id: ConnId) -> Option<Instant> {
        match self.conns.get(&id)?.state {
            ConnState::Connecting { deadline } => Some(deadline),
            ConnState::Connected => None,
        }
    }

    pub(crate) fn poll_command(&mut self) -> Option<ConnCommand> {
        self.commands.pop_front()
    }

    pub(crate) fn poll_transmit(&mut self) -> Option<Transmit> {
        while let Some(&id) = self.ready.front() {
            let Some(c) = self.conns.get_mut(&id) else {
                self.ready.pop_front();
                continue;
            };
            if c.state != ConnState::Connected {
                self.ready.pop_front();
                continue;
            }
            // Chunks first, then the bytes appended after them; the connection stays at the
            // front of `ready` until it has given everything.
            let data = match c.chunks.pop_front() {
                Some(chunk) => chunk,
                None if !c.outbound.is_empty() => c.outbound.split().freeze(),
                None => {
                    self.ready.pop_front();
                    continue;
                }
            };
            if !c.has_output() {
                self.ready.pop_front();
            }
            return Some(Transmit { conn: id, data });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use bytes::{Bytes, BytesMut};
    use rocketmq_proto::frame::{CommandHead, FieldValue};
    use rocketmq_proto::{FrameDecoder, LanguageCode, SerializeType};

    use super::backlog::FrameClass;
    use super::{Conns, ZERO_COPY_BODY};

    fn head(opaque: i32) -> CommandHead {
        CommandHead {
            code: 310,
            language: LanguageCode::JAVA,
            version: 479,
            opaque,
            flag: 0,
        }
    }

    #[test]
    fn large_bodies_go_out_uncopied_and_in_order() {
        let mut conns = Conns::default();
        let id = conns.get_or_open("127.0.0.1:10911", Instant::now() + Duration::from_secs(3));
        conns.set_connected(id);
        let fields = [("b", FieldValue::Str("TopicTest"))];
        let big = Bytes::from(vec![7u8; ZERO_COPY_BODY]);
        let small = Bytes::from(vec![1u8; ZERO_COPY_BODY - 1]);
        for (opaque, body) in [(1, &small), (2, &big), (3, &small), (4, &big)] {
            conns
                .queue_fields(
                    id,
                    &head(opaque),
                    &fields,
                    body,
                    SerializeType::Json,
                    FrameClass::Request,
                )
                .unwrap();
        }
        let mut wire = BytesMut::new();
        let mut uncopied = 0;
        while let Some(t) = conns.poll_transmit() {
            assert_eq!(t.conn, id);
            if t.data.as_ptr() == big.as_ptr() {
                uncopied += 1;
            }
            wire.extend_from_slice(&t.data);
        }
        assert_eq!(uncopied, 2, "both large bodies are the caller's buffer");
        let mut decoder = FrameDecoder::new();
        for (opaque, body) in [(1, &small), (2, &big), (3, &small), (4, &big)] {
            let cmd = decoder.decode(&mut wire).unwrap().expect("a whole frame");
            assert_eq!((cmd.opaque, &cmd.body), (opaque, body));
        }
        assert!(wire.is_empty());
    }
}
