//! Request/response correlation: opaques, the requests waiting for answers and what each is
//! for, by role.

use std::time::Instant;

use crate::consumer::ConsumerRequest;
use crate::ids::{ConnId, ConsumerId};
use crate::producer::ProducerRequest;
use crate::seq_map::SeqMap;

/// A request waiting for its response, by opaque.
#[derive(Debug)]
pub(crate) struct PendingRequest {
    pub(crate) conn: ConnId,
    pub(crate) kind: RequestKind,
    /// When the request gives up (a send's attempts are bounded by its own deadline).
    pub(crate) deadline: Option<Instant>,
    pub(crate) sent_at: Instant,
}

/// What a request is for: the part of the client its answer goes to.
#[derive(Debug, Clone)]
pub(crate) enum RequestKind {
    /// The instance's own housekeeping.
    Instance(InstanceRequest),
    /// A producer's.
    Producer(ProducerRequest),
    /// A consumer's.
    Consumer(ConsumerRequest),
}

impl RequestKind {
    /// A pull, which the broker may hold for seconds (long polling).
    pub(crate) fn is_long_poll(&self) -> bool {
        matches!(self, Self::Consumer(ConsumerRequest::Pull(..)))
    }
}

/// The instance's requests.
#[derive(Debug, Clone)]
pub(crate) enum InstanceRequest {
    /// GET_ROUTEINFO_BY_TOPIC for a route lookup of `target`.
    Route {
        /// The topic being looked up.
        target: String,
    },
    /// HEART_BEAT; `rebalance`: the consumers rebalance when it succeeds (a broker
    /// connected again, Java 5.2+ `onChannelActive`).
    Heartbeat {
        /// Rebalance every consumer on success.
        rebalance: bool,
        /// The subscription generation of each consumer the heartbeat carries.
        consumers: Vec<(ConsumerId, u64)>,
    },
    /// UNREGISTER_CLIENT at shutdown.
    Unregister,
}

/// The requests in flight and the next opaque.
#[derive(Debug)]
pub(crate) struct Requests {
    pending: SeqMap<i32, PendingRequest>,
    next_opaque: i32,
    /// Whether `next_opaque` has gone round: only then can a fresh opaque be in use.
    wrapped: bool,
}

impl Default for Requests {
    fn default() -> Self {
        Self {
            pending: SeqMap::new(1),
            next_opaque: 0,
            wrapped: false,
        }
    }
}

impl Requests {
    /// The next request id: counting up from 1 and, once the count has wrapped, skipping
    /// ids still waiting for a response (before that none can be: every id in use is lower).
    pub(crate) fn next_opaque(&mut self) -> i32 {
        loop {
            if self.next_opaque == i32::MAX {
                self.wrapped = true;
            }
            self.next_opaque = self.next_opaque.wrapping_add(1);
            if !self.wrapped || !self.pending.contains_key(&self.next_opaque) {
                return self.next_opaque;
            }
        }
    }

    /// Registers a request sent under `opaque`.
    pub(crate) fn insert(&mut self, opaque: i32, request: PendingRequest) {
        self.pending.insert(opaque, request);
    }

    /// Whether request `opaque` was sent on `conn` (an answer on another connection is not
    /// its answer).
    pub(crate) fn is_on(&self, opaque: i32, conn: ConnId) -> bool {
        self.pending.get(&opaque).is_some_and(|p| p.conn == conn)
    }

    pub(crate) fn remove(&mut self, opaque: i32) -> Option<PendingRequest> {
        self.pending.remove(&opaque)
    }

    /// The opaques and kinds of the requests in flight on `conn`, oldest first.
    pub(crate) fn on_conn(&self, conn: ConnId) -> Vec<(i32, RequestKind)> {
        let mut lost: Vec<(i32, RequestKind)> = self
            .pending
            .iter()
            .filter(|(_, p)| p.conn == conn)
            .map(|(o, p)| (o, p.kind.clone()))
            .collect();
        lost.sort_by_key(|(o, _)| *o);
        lost
    }

    /// Whether any request is in flight on `conn`.
    pub(crate) fn any_on(&self, conn: ConnId) -> bool {
        self.pending.values().any(|p| p.conn == conn)
    }

    /// Whether any request matches `f`.
    pub(crate) fn any(&self, f: impl Fn(&RequestKind) -> bool) -> bool {
        self.pending.values().any(|p| f(&p.kind))
    }

    /// The opaques of the requests matching `f`.
    pub(crate) fn opaques(&self, f: impl Fn(&RequestKind) -> bool) -> Vec<i32> {
        self.pending
            .iter()
            .filter(|(_, p)| f(&p.kind))
            .map(|(o, _)| o)
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }

    /// How many requests are pulls (long polls, which the broker may hold for long).
    pub(crate) fn pulls(&self) -> usize {
        self.pending
            .values()
            .filter(|p| p.kind.is_long_poll())
            .count()
    }

    pub(crate) fn clear(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::{InstanceRequest, PendingRequest, RequestKind, Requests};
    use crate::ids::ConnId;

    #[test]
    fn opaques_count_up_and_after_wrapping_skip_the_ones_in_use() {
        let t0 = Instant::now();
        let mut r = Requests::default();
        assert_eq!([r.next_opaque(), r.next_opaque()], [1, 2]);
        r.next_opaque = i32::MAX - 1;
        let pending = |conn| PendingRequest {
            conn: ConnId(conn),
            kind: RequestKind::Instance(InstanceRequest::Heartbeat {
                rebalance: false,
                consumers: Vec::new(),
            }),
            deadline: None,
            sent_at: t0,
        };
        // Still waiting since the last time round: MIN, MIN + 2 and 1.
        for opaque in [i32::MIN, i32::MIN + 2, 1] {
            r.insert(opaque, pending(1));
        }
        let next: Vec<i32> = (0..4).map(|_| r.next_opaque()).collect();
        assert_eq!(next, [i32::MAX, i32::MIN + 1, i32::MIN + 3, i32::MIN + 4]);
        r.next_opaque = -1;
        assert_eq!([r.next_opaque(), r.next_opaque()], [0, 2]);
    }
}
