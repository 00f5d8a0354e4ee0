//! Batching: while a peer is backlogged, new sends on its connection wait and go out together,
//! and its answers are read together.
//!
//! A broker working through one connection's requests in turn keeps many concurrent sends
//! queued for tens of milliseconds. Writing each new send the moment
//! an answer frees its task costs a system call and a wake-up per message and changes nothing
//! the broker sees: the request would only wait in its queue. So while the requests already
//! written keep the peer busy for more than two round trips, a new send is held. Held sends go
//! out in one write as soon as the written ones would drain within that margin, another kind
//! of frame is queued (a heartbeat, a route request, a reply: those never wait), the batch
//! reaches [`MAX_HELD`], or the first held send has waited the configured delay.
//!
//! The estimate: `written × gap > 2 × min_rtt`, where `written` counts requests out and
//! unanswered (long-polling pulls, which the broker holds for seconds, excepted), `gap` is
//! the running average time between answers while the peer had more to
//! answer, and `min_rtt` is the fastest answer seen (the round trip to an idle peer). A peer
//! answering as fast as the round trip allows has no queue (`written × gap` is about one round
//! trip) and is never held from; nor is a connection before its first answers, one with fewer
//! than [`MIN_WRITTEN`] requests out, or any connection when the delay is zero.
//!
//! Reads take the same estimate the other way: after answers arrive, reading may pause for
//! half of what the written requests keep the peer busy beyond the margin (at most the
//! delay), when at least two answers are due by then. The peer still has work queued when
//! the pause ends, and the answers read then free their senders together.

use std::time::{Duration, Instant};

/// Fewest requests written and unanswered before new sends may be held.
pub(crate) const MIN_WRITTEN: u32 = 4;
/// Most sends held at once: the next one releases the batch.
pub(crate) const MAX_HELD: u32 = 256;
/// Most bytes held at once: a send that brings the output to this releases the batch.
pub(crate) const MAX_HELD_BYTES: usize = 1 << 20;

/// How a queued frame takes part in batching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameClass {
    /// A send expecting an answer: may start or join a hold.
    Send(Instant),
    /// A oneway send: joins a hold under way, never starts one.
    Oneway,
    /// Any other request (route, heartbeat, unregister): answered, and never waits.
    Request,
    /// A long-polling pull: the broker may hold it for seconds, so it says nothing about
    /// the peer's queue and is not counted; never waits.
    LongPoll,
    /// An answer to the peer's request: never waits.
    Reply,
}

impl FrameClass {
    fn expects_answer(self) -> bool {
        matches!(self, Self::Send(_) | Self::Request)
    }
}

/// What the connection does with its output after a frame was queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Hand the output to the driver (it may already be waiting there).
    Write,
    /// Keep the output back; a hold started now, to end at this deadline at the latest.
    HoldStarted(Instant),
    /// Keep the output back: it joined the hold under way.
    Held,
}

/// One connection's batching state.
#[derive(Debug, Default)]
pub(crate) struct Backlog {
    /// Requests queued (held or written) and not yet answered or given up.
    awaiting: u32,
    /// Sends held back: the newest of `awaiting`.
    held: u32,
    /// When the hold under way ends at the latest (its start plus the delay).
    held_until: Option<Instant>,
    /// The fastest answer seen.
    min_rtt: Option<Duration>,
    /// Running average of the time between answers while the peer had more to answer.
    gap: Option<Duration>,
    /// When the last answer came, if the peer had more written to answer then.
    last_busy_answer: Option<Instant>,
}

impl Backlog {
    /// When the hold under way ends at the latest, if one is.
    pub(crate) fn held_until(&self) -> Option<Instant> {
        self.held_until
    }

    /// Requests written and unanswered.
    fn written(&self) -> u32 {
        self.awaiting.saturating_sub(self.held)
    }

    /// Whether `written` requests keep the peer busy for more than two round trips.
    fn backlogged(&self, written: u32) -> bool {
        match (self.min_rtt, self.gap) {
            (Some(rtt), Some(gap)) if written >= MIN_WRITTEN => {
                gap.saturating_mul(written) > rtt.saturating_mul(2)
            }
            _ => false,
        }
    }

    /// How long reading may wait after answers arrived so that the next ones are read
    /// together, and how many answers are due by then: half of what the written requests
    /// keep the peer busy beyond two round trips, at most `cap`. `None` when the peer is not
    /// backlogged or fewer than two answers would come (a pause would collect nothing).
    pub(crate) fn read_pause(&self, cap: Duration) -> Option<(Duration, u32)> {
        let written = self.written();
        if written < MIN_WRITTEN {
            return None;
        }
        let (rtt, gap) = (self.min_rtt?, self.gap.filter(|g| !g.is_zero())?);
        let slack = gap
            .saturating_mul(written)
            .checked_sub(rtt.saturating_mul(2))?;
        let pause = (slack / 2).min(cap);
        let answers = u32::try_from(pause.as_nanos() / gap.as_nanos()).unwrap_or(u32::MAX);
        (answers >= 2).then_some((pause, answers))
    }

    /// Notes a frame queued on a connection whose output was `idle` (nothing waiting to be
    /// written) and is `output_bytes` long after it; `delay` is the longest a hold may last,
    /// `None` when batching is off or the connection is not connected.
    pub(crate) fn on_queued(
        &mut self,
        out: FrameClass,
        idle: bool,
        output_bytes: usize,
        delay: Option<Duration>,
    ) -> Verdict {
        if out.expects_answer() {
            self.awaiting = self.awaiting.saturating_add(1);
        }
        if self.held_until.is_some() {
            let joins = matches!(out, FrameClass::Send(_) | FrameClass::Oneway)
                && self.held < MAX_HELD
                && output_bytes < MAX_HELD_BYTES;
            if joins {
                if matches!(out, FrameClass::Send(_)) {
                    self.held += 1;
                }
                return Verdict::Held;
            }
            self.release();
            return Verdict::Write;
        }
        match (out, delay) {
            // The backlog is judged on what was written before the new send.
            (FrameClass::Send(now), Some(delay))
                if idle
                    && output_bytes < MAX_HELD_BYTES
                    && self.backlogged(self.written().saturating_sub(1)) =>
            {
                let until = now + delay;
                self.held = 1;
                self.held_until = Some(until);
                Verdict::HoldStarted(until)
            }
            _ => Verdict::Write,
        }
    }

    /// Notes an answer to a request sent at `sent_at`; `true` when a hold ends.
    pub(crate) fn on_answer(&mut self, now: Instant, sent_at: Instant) -> bool {
        let written_before = self.written();
        self.awaiting = self.awaiting.saturating_sub(1);
        let rtt = now.saturating_duration_since(sent_at);
        self.min_rtt = Some(self.min_rtt.map_or(rtt, |m| m.min(rtt)));
        if let Some(t) = self.last_busy_answer {
            let g = now.saturating_duration_since(t);
            self.gap = Some(self.gap.map_or(g, |avg| avg - avg / 8 + g / 8));
        }
        self.last_busy_answer = (written_before > 1).then_some(now);
        self.end_hold_if_drained()
    }

    /// Notes a request given up without an answer (timed out or failed); `true` when a hold
    /// ends.
    pub(crate) fn on_dropped(&mut self) -> bool {
        self.awaiting = self.awaiting.saturating_sub(1);
        // A held send given up stays in the output; count it written from now on.
        self.held = self.held.min(self.awaiting);
        self.end_hold_if_drained()
    }

    /// Ends a hold due to end at or before `deadline`; `true` when one ended.
    pub(crate) fn on_delay_passed(&mut self, deadline: Instant) -> bool {
        match self.held_until {
            Some(t) if t <= deadline => {
                self.release();
                true
            }
            _ => false,
        }
    }

    fn end_hold_if_drained(&mut self) -> bool {
        if self.held_until.is_some() && !self.backlogged(self.written()) {
            self.release();
            return true;
        }
        false
    }

    fn release(&mut self) {
        self.held = 0;
        self.held_until = None;
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{Backlog, FrameClass, Verdict, MAX_HELD, MIN_WRITTEN};

    const MS: Duration = Duration::from_millis(1);
    /// The longest hold, batching on.
    const DELAY: Duration = Duration::from_millis(10);
    const ON: Option<Duration> = Some(DELAY);

    /// A batch that has seen a 1 ms round trip and answers 1 ms apart, with `written` out.
    fn backlogged(t0: Instant, written: u32) -> Backlog {
        backlogged_rtt(t0, written, MS)
    }

    /// A batch that has seen an `rtt` round trip and answers 1 ms apart, with `written` out.
    fn backlogged_rtt(t0: Instant, written: u32, rtt: Duration) -> Backlog {
        let mut b = Backlog::default();
        for _ in 0..written + 2 {
            assert_eq!(
                b.on_queued(FrameClass::Send(t0), true, 0, ON),
                Verdict::Write
            );
        }
        assert!(!b.on_answer(t0 + rtt, t0));
        assert!(!b.on_answer(t0 + rtt + MS, t0 + MS));
        b
    }

    #[test]
    fn long_polls_held_by_the_broker_neither_hold_sends_nor_pause_reads() {
        let t0 = Instant::now();
        // Two sends answered 1 ms apart, then a consumer's pulls parked at the broker.
        let mut b = backlogged(t0, 0);
        for _ in 0..16 {
            assert_eq!(
                b.on_queued(FrameClass::LongPoll, true, 0, ON),
                Verdict::Write
            );
        }
        assert_eq!(
            b.on_queued(FrameClass::Send(t0 + 3 * MS), true, 100, ON),
            Verdict::Write,
            "the pulls do not make the peer look busy"
        );
        assert_eq!(b.read_pause(DELAY), None);
    }

    #[test]
    fn a_send_waits_while_the_written_ones_keep_the_peer_busy() {
        let t0 = Instant::now();
        let mut b = backlogged_rtt(t0, 8, 2 * MS);
        let now = t0 + 3 * MS;
        // 8 written, answered 1 ms apart: 8 ms of work against a 4 ms margin.
        assert_eq!(
            b.on_queued(FrameClass::Send(now), true, 100, ON),
            Verdict::HoldStarted(now + DELAY)
        );
        assert_eq!(
            b.on_queued(FrameClass::Send(now), false, 200, ON),
            Verdict::Held
        );
        assert_eq!(
            b.on_queued(FrameClass::Oneway, false, 300, ON),
            Verdict::Held
        );
        assert_eq!(b.held_until(), Some(now + DELAY));
        // Answers drain the written ones; at 4 left (4 ms of work) the hold ends.
        let mut ended_at = None;
        for i in 1..=8u32 {
            if b.on_answer(now + i * MS, t0) {
                ended_at = Some(i);
                break;
            }
        }
        assert_eq!(
            ended_at,
            Some(4),
            "released with two round trips of work left"
        );
        assert_eq!(b.held_until(), None);
        assert_eq!(b.written(), 6, "4 left plus the 2 sends released");
    }

    #[test]
    fn nothing_waits_without_a_backlog() {
        let t0 = Instant::now();
        // No answers yet: no estimate.
        let mut fresh = Backlog::default();
        for _ in 0..64 {
            assert_eq!(
                fresh.on_queued(FrameClass::Send(t0), true, 0, ON),
                Verdict::Write
            );
        }
        // A peer answering as fast as the round trip: 64 out, 1 ms round trip, answers 1/64 ms
        // apart.
        let mut fast = Backlog::default();
        for _ in 0..66 {
            fast.on_queued(FrameClass::Send(t0), true, 0, ON);
        }
        for i in 0..64u32 {
            fast.on_answer(t0 + MS + MS * i / 64, t0 + MS * i / 64);
            assert_eq!(
                fast.on_queued(FrameClass::Send(t0), true, 0, ON),
                Verdict::Write
            );
        }
        // Too few written, or batching off, or other output already waiting.
        let mut few = backlogged(t0, MIN_WRITTEN - 2);
        assert_eq!(
            few.on_queued(FrameClass::Send(t0), true, 0, ON),
            Verdict::Write
        );
        let mut off = backlogged(t0, 8);
        assert_eq!(
            off.on_queued(FrameClass::Send(t0), true, 0, None),
            Verdict::Write
        );
        let mut busy = backlogged(t0, 8);
        assert_eq!(
            busy.on_queued(FrameClass::Send(t0), false, 0, ON),
            Verdict::Write
        );
        // A oneway never starts a hold.
        let mut oneway = backlogged(t0, 8);
        assert_eq!(
            oneway.on_queued(FrameClass::Oneway, true, 0, ON),
            Verdict::Write
        );
    }

    #[test]
    fn other_frames_caps_and_the_delay_end_a_hold() {
        let t0 = Instant::now();
        for out in [FrameClass::Request, FrameClass::Reply] {
            let mut b = backlogged(t0, 8);
            assert_eq!(
                b.on_queued(FrameClass::Send(t0), true, 0, ON),
                Verdict::HoldStarted(t0 + DELAY)
            );
            assert_eq!(b.on_queued(out, false, 0, ON), Verdict::Write, "{out:?}");
            assert_eq!(b.held_until(), None);
        }
        let mut b = backlogged(t0, 8);
        assert_eq!(
            b.on_queued(FrameClass::Send(t0), true, 0, ON),
            Verdict::HoldStarted(t0 + DELAY)
        );
        for _ in 1..MAX_HELD {
            assert_eq!(
                b.on_queued(FrameClass::Send(t0), false, 0, ON),
                Verdict::Held
            );
        }
        assert_eq!(
            b.on_queued(FrameClass::Send(t0), false, 0, ON),
            Verdict::Write
        );
        let mut b = backlogged(t0, 8);
        assert_eq!(
            b.on_queued(FrameClass::Send(t0), true, 0, ON),
            Verdict::HoldStarted(t0 + DELAY)
        );
        assert_eq!(
            b.on_queued(FrameClass::Send(t0), false, 1 << 20, ON),
            Verdict::Write
        );
        // The delay: a timer from an earlier hold does not end a later one.
        let mut b = backlogged(t0, 8);
        let later = t0 + 5 * MS;
        assert_eq!(
            b.on_queued(FrameClass::Send(later), true, 0, ON),
            Verdict::HoldStarted(later + DELAY)
        );
        assert!(!b.on_delay_passed(t0 + DELAY));
        assert!(b.on_delay_passed(later + DELAY));
        assert_eq!(b.held_until(), None);
    }

    #[test]
    fn requests_given_up_count_as_drained() {
        let t0 = Instant::now();
        let mut b = backlogged(t0, 8);
        assert_eq!(
            b.on_queued(FrameClass::Send(t0), true, 0, ON),
            Verdict::HoldStarted(t0 + DELAY)
        );
        let mut ended = false;
        for _ in 0..8 {
            ended |= b.on_dropped();
        }
        assert!(ended, "with nothing written left the hold ends");
        assert_eq!(b.held_until(), None);
    }

    #[test]
    fn reading_pauses_for_half_the_backlog_beyond_the_margin_at_most_the_delay() {
        let t0 = Instant::now();
        // 10 written, answered 1 ms apart, a 1 ms round trip: 10 ms of work, 8 beyond the
        // 2 ms margin, so reading may wait 4 ms, when 4 answers are due.
        let b = backlogged(t0, 10);
        assert_eq!(b.read_pause(DELAY), Some((4 * MS, 4)));
        assert_eq!(b.read_pause(2 * MS), Some((2 * MS, 2)), "at most the delay");
        assert_eq!(b.read_pause(MS), None, "one answer is not worth a pause");
        // Within the margin, too few written, or no estimate yet: no pause.
        assert_eq!(backlogged_rtt(t0, 10, 5 * MS).read_pause(DELAY), None);
        assert_eq!(backlogged(t0, MIN_WRITTEN - 1).read_pause(DELAY), None);
        let mut fresh = Backlog::default();
        for _ in 0..16 {
            fresh.on_queued(FrameClass::Send(t0), true, 0, ON);
        }
        assert_eq!(fresh.read_pause(DELAY), None);
    }
}
