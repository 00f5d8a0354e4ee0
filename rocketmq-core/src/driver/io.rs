//! `Driver`: one future that owns a client, its sockets and its timer.

use std::collections::VecDeque;
use std::future::Future;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::{Buf, Bytes};

use super::consumers::ConsumerSide;
use super::inbox::{Command, Inbox, SendReply};
use super::oneshot::Sender;
use super::wake::{ReadSide, TaskWaker};
use super::{ConnectFuture, Runtime};
use crate::error::SendError;
use crate::event::{CloseReason, ConnCommand, Event};
use crate::id_map::IdMap;
use crate::ids::{ConnId, ProducerId, SendId};
use crate::producer::{SendMode, SendOptions, SendResult};
use crate::seq_map::SeqMap;
use crate::Client;

/// Reads per connection per turn before other work gets a go.
const READS_PER_TURN: usize = 16;
/// Turns of the loop before yielding to the executor.
const TURNS_PER_POLL: usize = 64;
/// Slices per vectored write.
const MAX_IOVECS: usize = 64;
/// Slices of a short queue's vectored write.
const FEW_IOVECS: usize = 4;
/// Highest socket low-water mark set. Linux grows the receive buffer to fit a mark and then
/// clamps the TCP window to it; a mark well under the default buffer (128 KiB) changes neither.
const MAX_LOW_WATER: usize = 16 * 1024;

enum Io<R: Runtime> {
    Connecting(ConnectFuture<R::Stream>),
    Open {
        stream: R::Stream,
        queue: VecDeque<Bytes>,
        read: ReadSide,
        /// The socket's low-water mark: 1, or a read pause's (see `Client::read_pause`).
        low_water: usize,
    },
}

/// Drives one client instance: feed it sockets and time, complete the callers' futures.
///
/// Finishes when the instance has shut down (explicitly, or after the last handle dropped).
#[must_use = "the driver must be spawned or polled"]
pub struct Driver<R: Runtime> {
    pub(super) rt: R,
    pub(super) client: Client,
    pub(super) inbox: Inbox,
    pub(super) consumers: ConsumerSide,
    io: IdMap<ConnId, Io<R>>,
    /// Woken by the connections' read wakers.
    task: Arc<TaskWaker>,
    /// The timer and the instant it is armed for.
    timer: Option<(R::Timer, Instant)>,
    read_buf: Vec<u8>,
    commands: VecDeque<Command>,
    sends: SeqMap<SendId, Sender<Result<SendResult, SendError>>>,
    oneways: SeqMap<SendId, Sender<Result<(), SendError>>>,
    /// Connections found closed by the last walk of `io` (kept for its allocation).
    closed: Vec<(ConnId, CloseReason)>,
    shutdowns: Vec<Sender<()>>,
    shutting_down: bool,
}

impl<R: Runtime> Driver<R> {
    pub(crate) fn new(rt: R, client: Client, inbox: Inbox) -> Self {
        Self {
            rt,
            client,
            inbox,
            consumers: ConsumerSide::default(),
            io: IdMap::default(),
            task: Arc::default(),
            timer: None,
            read_buf: vec![0; 64 * 1024],
            commands: VecDeque::new(),
            sends: SeqMap::new(SendId(0)),
            oneways: SeqMap::new(SendId(0)),
            closed: Vec::new(),
            shutdowns: Vec::new(),
            shutting_down: false,
        }
    }

    fn command(&mut self, now: Instant, cmd: Command) {
        match cmd {
            Command::CreateProducer { config, expected } => {
                let id = self.client.create_producer(config);
                debug_assert_eq!(id, expected, "producer ids are assigned in command order");
            }
            Command::Start { producer, reply } => {
                let started = self.client.producer(producer).and_then(|p| p.start(now));
                reply.send(started);
            }
            Command::Send {
                producer,
                msg,
                opts,
                reply,
            } => match (self.client.producer(producer)).and_then(|p| p.send(now, msg, opts)) {
                Ok(id) => {
                    self.sends.insert(id, reply);
                }
                Err(e) => reply.send(Err(SendError::Usage(e))),
            },
            Command::Oneway {
                producer,
                msg,
                timeout,
                reply,
            } => {
                let opts = SendOptions {
                    mode: SendMode::Oneway,
                    timeout,
                    ..SendOptions::default()
                };
                match (self.client.producer(producer)).and_then(|p| p.send(now, msg, opts)) {
                    Ok(id) => {
                        self.oneways.insert(id, reply);
                    }
                    Err(e) => reply.send(Err(SendError::Usage(e))),
                }
            }
            Command::Shutdown { producer, reply } => self.shutdown_producer(now, producer, reply),
            Command::CreateConsumer(new) => self.create_consumer(now, *new),
            Command::Consumer { consumer, op } => self.consumer_command(now, consumer, op),
            Command::Consumed { delivery, result } => self.consumed(now, delivery, result),
            Command::Directed { request, result } => {
                self.client.answer_directly(now, request, result);
            }
            Command::SendTo(c) => {
                let c = *c;
                let sent = (self.client.producer(c.producer))
                    .and_then(|p| p.send_to(now, c.msg, c.opts, c.target));
                self.accepted(sent, c.reply);
            }
            Command::SendBatch(c) => {
                let c = *c;
                let sent = (self.client.producer(c.producer))
                    .and_then(|p| p.send_batch(now, c.msgs, c.opts, c.queue));
                self.accepted(sent, SendReply::Result(c.reply));
            }
        }
    }

    /// Files an accepted send's reply under its id, or answers a refused one at once.
    fn accepted(&mut self, sent: Result<SendId, crate::UsageError>, reply: SendReply) {
        match (sent, reply) {
            (Ok(id), SendReply::Result(tx)) => {
                self.sends.insert(id, tx);
            }
            (Ok(id), SendReply::Oneway(tx)) => {
                self.oneways.insert(id, tx);
            }
            (Err(e), SendReply::Result(tx)) => tx.send(Err(SendError::Usage(e))),
            (Err(e), SendReply::Oneway(tx)) => tx.send(Err(SendError::Usage(e))),
        }
    }

    fn shutdown_producer(&mut self, now: Instant, p: ProducerId, reply: Option<Sender<()>>) {
        if let Ok(handle) = self.client.producer(p) {
            handle.shutdown(now);
        }
        match reply {
            Some(r) if self.client.state() == crate::ServiceState::Running => r.send(()),
            Some(r) => self.shutdowns.push(r),
            None => {}
        }
    }

    /// Reads every socket that reported data until it is pending; `true` when the loop must
    /// turn again (a connection opened or closed, or a socket still had data after its read
    /// budget).
    fn poll_sockets(&mut self, cx: &mut Context<'_>, now: Instant) -> bool {
        let mut again = false;
        let mut closed = std::mem::take(&mut self.closed);
        for (&id, io) in &mut self.io {
            match io {
                Io::Connecting(fut) => match fut.as_mut().poll(cx) {
                    Poll::Ready(Ok(stream)) => {
                        *io = Io::Open {
                            stream,
                            queue: VecDeque::new(),
                            read: ReadSide::new(&self.task),
                            low_water: 1,
                        };
                        self.client.handle_connected(now, id);
                        again = true;
                    }
                    Poll::Ready(Err(e)) => {
                        closed.push((id, CloseReason::ConnectFailed(e.to_string())));
                    }
                    Poll::Pending => {}
                },
                Io::Open {
                    stream,
                    read,
                    low_water,
                    ..
                } => {
                    let paused = self.client.read_pause(id, now).is_some();
                    if !paused && *low_water > 1 {
                        // Lowering the mark reports the answers already waiting, if any.
                        if !self.rt.set_read_low_water(stream, 1) {
                            tracing::warn!("could not lower a socket's read low-water mark");
                        }
                        *low_water = 1;
                    }
                    // Paused by time alone, a socket is left unread (keeping its readiness
                    // for the turn the pause ends in); with a mark, readiness means the
                    // answers due are there.
                    if (paused && *low_water == 1) || !read.take_ready() {
                        continue;
                    }
                    let mut rcx = Context::from_waker(read.waker());
                    let mut pending = false;
                    for _ in 0..READS_PER_TURN {
                        match self.rt.poll_read(stream, &mut rcx, &mut self.read_buf) {
                            Poll::Ready(Ok(0)) => {
                                closed.push((id, CloseReason::PeerClosed));
                                break;
                            }
                            Poll::Ready(Ok(n)) => {
                                self.client.handle_data(now, id, &self.read_buf[..n]);
                            }
                            Poll::Ready(Err(e)) => {
                                closed.push((id, CloseReason::Io(e.to_string())));
                                break;
                            }
                            Poll::Pending => {
                                pending = true;
                                break;
                            }
                        }
                    }
                    if let Some(p) = self.client.read_pause(id, now) {
                        let mark = p.low_water.clamp(1, MAX_LOW_WATER);
                        if mark != *low_water && self.rt.set_read_low_water(stream, mark) {
                            *low_water = mark;
                        }
                    }
                    if !pending {
                        // Closed, or the read budget ran out with data left (no wake-up is
                        // registered): turn again.
                        read.mark_ready();
                        again = true;
                    }
                }
            }
        }
        // Connections are dropped after the walk, which holds the map.
        for (id, reason) in closed.drain(..) {
            self.io.remove(&id);
            self.client.handle_closed(now, id, reason);
            again = true;
        }
        self.closed = closed;
        again
    }

    /// Carries out the client's output; `true` when a connection was opened or closed.
    fn drain_client(&mut self, now: Instant) -> bool {
        let mut again = false;
        while let Some(cmd) = self.client.poll_conn() {
            again = true;
            match cmd {
                ConnCommand::Open { conn, addr } => {
                    self.io.insert(conn, Io::Connecting(self.rt.connect(addr)));
                }
                ConnCommand::Close { conn } => {
                    self.io.remove(&conn);
                }
            }
        }
        while let Some(t) = self.client.poll_transmit() {
            if let Some(Io::Open { queue, .. }) = self.io.get_mut(&t.conn) {
                queue.push_back(t.data);
            }
        }
        while let Some(e) = self.client.poll_event() {
            let Some(e) = self.consumer_event(now, e) else {
                continue;
            };
            match e {
                Event::SendCompleted { id, result } => {
                    if let Some(tx) = self.sends.remove(&id) {
                        tx.send(result);
                    }
                }
                Event::OnewayCompleted { id, result } => {
                    if let Some(tx) = self.oneways.remove(&id) {
                        tx.send(result);
                    }
                }
                Event::ShutdownComplete => {
                    for tx in self.shutdowns.drain(..) {
                        tx.send(());
                    }
                }
                Event::ConnectionLost { addr, reason } => {
                    tracing::info!(%addr, %reason, "connection lost");
                }
                Event::RouteUpdated { topic } => {
                    tracing::debug!(%topic, "route updated");
                    self.serve_fetches(now);
                }
                // Consumer events were taken above.
                _ => {}
            }
        }
        again
    }

    /// Writes queued bytes, coalesced into vectored writes, until done or pending; `true`
    /// when a connection failed.
    fn poll_writes(&mut self, cx: &mut Context<'_>, now: Instant) -> bool {
        let mut failed = Vec::new();
        for (id, io) in &mut self.io {
            let Io::Open { stream, queue, .. } = io else {
                continue;
            };
            while !queue.is_empty() {
                // A few slices (one or two requests: the usual case unless sends crowd in)
                // need no 1 KiB slice array filled first.
                let written = if queue.len() <= FEW_IOVECS {
                    write_vectored::<R, FEW_IOVECS>(&self.rt, stream, cx, queue)
                } else {
                    write_vectored::<R, MAX_IOVECS>(&self.rt, stream, cx, queue)
                };
                match written {
                    Poll::Ready(Ok(0)) => {
                        failed.push((*id, "write returned zero".to_owned()));
                        break;
                    }
                    Poll::Ready(Ok(mut n)) => {
                        while n > 0 {
                            let Some(front) = queue.front_mut() else {
                                break;
                            };
                            if n >= front.len() {
                                n -= front.len();
                                queue.pop_front();
                            } else {
                                front.advance(n);
                                n = 0;
                            }
                        }
                    }
                    Poll::Ready(Err(e)) => {
                        failed.push((*id, e.to_string()));
                        break;
                    }
                    Poll::Pending => break,
                }
            }
        }
        let again = !failed.is_empty();
        for (id, reason) in failed {
            self.io.remove(&id);
            self.client.handle_closed(now, id, CloseReason::Io(reason));
        }
        again
    }

    /// Fires due deadlines (checking the clock before the timer), else arms the timer for the
    /// next one; `true` when a deadline passed (the next one is armed on the next turn).
    fn poll_time(&mut self, now: Instant) -> bool {
        let polls = self.consumers.next_deadline();
        if polls.is_some_and(|t| now >= t) {
            self.serve_polls(now, None);
            self.serve_fetches(now);
        }
        let Some(at) = [self.client.poll_timeout(), self.consumers.next_deadline()]
            .into_iter()
            .flatten()
            .min()
        else {
            return false;
        };
        if now >= at {
            self.client.handle_timeout(now);
            return true;
        }
        // Re-arm only when the deadline moved earlier: a later one (the common case, as each
        // new send's deadline lies further out) is served by letting the armed timer fire
        // early once, which `handle_timeout` treats as a no-op.
        let (timer, rearmed) = match &mut self.timer {
            Some((t, armed)) => {
                let rearm = at < *armed || now >= *armed;
                if rearm {
                    self.rt.reset(t, at);
                    *armed = at;
                }
                (t, rearm)
            }
            None => (&mut self.timer.insert((self.rt.timer(at), at)).0, true),
        };
        // The timer is polled with a waker that wakes whatever task polls the driver now
        // (as the read wakers do), so once it is polled after being armed it needs no
        // further polls: it wakes the driver when it fires.
        if !rearmed {
            return false;
        }
        let waker = Waker::from(self.task.clone());
        if self
            .rt
            .poll_timer(timer, &mut Context::from_waker(&waker))
            .is_ready()
        {
            let fired = self.rt.now();
            if let Some((_, armed)) = &mut self.timer {
                // Force a re-arm on the next turn.
                *armed = fired;
            }
            self.client.handle_timeout(fired);
            return true;
        }
        false
    }

    fn finish(&mut self) {
        self.consumers.finish();
        for cmd in self.inbox.kill() {
            drop(cmd);
        }
        for (_, tx) in self.sends.drain() {
            tx.send(Err(SendError::Shutdown));
        }
        for (_, tx) in self.oneways.drain() {
            tx.send(Err(SendError::Shutdown));
        }
        for tx in self.shutdowns.drain(..) {
            tx.send(());
        }
        self.io.clear();
    }
}

/// One vectored write of the first `N` (at most) queued buffers.
fn write_vectored<R: Runtime, const N: usize>(
    rt: &R,
    stream: &mut R::Stream,
    cx: &mut Context<'_>,
    queue: &VecDeque<Bytes>,
) -> Poll<std::io::Result<usize>> {
    let mut slices = [IoSlice::new(&[]); N];
    let mut n = 0;
    for (slot, b) in slices.iter_mut().zip(queue.iter()) {
        *slot = IoSlice::new(b);
        n += 1;
    }
    rt.poll_write(stream, cx, &slices[..n])
}

// Fields are never pinned: connect futures are boxed and streams and timers are reached by `&mut`.
impl<R: Runtime> Unpin for Driver<R> {}

impl<R: Runtime> Future for Driver<R> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.task.register(cx.waker());
        for _ in 0..TURNS_PER_POLL {
            // One turn: take every input, then carry out every output. A turn leaves each
            // source (inbox, sockets, timer) pending with this task's waker registered, unless
            // it says `again`; so one wake-up normally costs one turn.
            let now = this.rt.now();
            let mut again = false;
            let orphaned = this.inbox.drain(cx.waker(), &mut this.commands);
            while let Some(cmd) = this.commands.pop_front() {
                this.command(now, cmd);
            }
            if orphaned && !this.shutting_down {
                this.shutting_down = true;
                this.client.shutdown(now);
            }
            again |= this.poll_sockets(cx, now);
            again |= this.poll_time(now);
            again |= this.drain_client(now);
            again |= this.poll_writes(cx, now);
            if this.client.state() == crate::ServiceState::ShutdownAlready {
                this.drain_client(now);
                this.finish();
                return Poll::Ready(());
            }
            if !again {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
