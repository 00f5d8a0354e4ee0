//! Queue selection: round robin from a random start, avoiding the last failed broker.

use std::time::Instant;

use rocketmq_proto::body::MessageQueue;

use super::fault::LatencyFaultTolerance;

/// Java's `ThreadLocalIndex`: a counter that starts at a random value.
#[derive(Clone, Debug)]
pub struct QueueCursor(u32);

impl QueueCursor {
    /// Starts at `seed`.
    pub fn new(seed: u32) -> Self {
        Self(seed)
    }

    /// Returns the next non-negative index.
    pub fn next_index(&mut self) -> usize {
        self.0 = self.0.wrapping_add(1);
        (self.0 & 0x7FFF_FFFF) as usize
    }

    /// Restarts at `seed`.
    pub fn reset(&mut self, seed: u32) {
        self.0 = seed;
    }
}

/// Fault data for selection, when latency fault avoidance is on.
#[derive(Clone, Copy, Debug)]
pub struct FaultFilter<'a> {
    /// The fault records.
    pub faults: &'a LatencyFaultTolerance,
    /// The current time.
    pub now: Instant,
}

/// Picks a queue index (Java 5.x `MQFaultStrategy.selectOneMessageQueue`).
///
/// Tries, in turn: a queue whose broker is available and not `last_broker`; one whose broker is
/// reachable and not `last_broker` (only with fault data); then plain round robin.
pub fn select_queue(
    queues: &[MessageQueue],
    cursor: &mut QueueCursor,
    last_broker: Option<&str>,
    fault: Option<FaultFilter<'_>>,
) -> Option<usize> {
    if queues.is_empty() {
        return None;
    }
    let not_last = |q: &MessageQueue| last_broker != Some(q.broker_name.as_str());
    let found = match fault {
        Some(f) => pick(queues, cursor, |q| {
            not_last(q) && f.faults.is_available(&q.broker_name, f.now)
        })
        .or_else(|| {
            pick(queues, cursor, |q| {
                not_last(q) && f.faults.is_reachable(&q.broker_name)
            })
        }),
        None => pick(queues, cursor, not_last),
    };
    Some(found.unwrap_or_else(|| cursor.next_index() % queues.len()))
}

fn pick(
    queues: &[MessageQueue],
    cursor: &mut QueueCursor,
    ok: impl Fn(&MessageQueue) -> bool,
) -> Option<usize> {
    (0..queues.len())
        .map(|_| cursor.next_index() % queues.len())
        .find(|&i| ok(&queues[i]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn queues(spec: &[(&str, i32)]) -> Vec<MessageQueue> {
        spec.iter()
            .flat_map(|(b, n)| {
                (0..*n).map(move |i| MessageQueue {
                    topic: "T".into(),
                    broker_name: (*b).into(),
                    queue_id: i,
                })
            })
            .collect()
    }

    #[test]
    fn round_robin_from_the_seed() {
        let qs = queues(&[("a", 2), ("b", 2)]);
        let mut c = QueueCursor::new(0);
        let picks: Vec<_> = (0..6)
            .map(|_| select_queue(&qs, &mut c, None, None).unwrap())
            .collect();
        assert_eq!(picks, [1, 2, 3, 0, 1, 2]);
    }

    #[test]
    fn cursor_is_never_negative_after_wrapping() {
        let mut c = QueueCursor::new(u32::MAX - 1);
        assert_eq!(c.next_index(), 0x7FFF_FFFF);
        assert_eq!(c.next_index(), 0);
    }

    #[test]
    fn retry_avoids_the_last_broker() {
        let qs = queues(&[("a", 2), ("b", 2)]);
        for seed in 0..8 {
            let mut c = QueueCursor::new(seed);
            let i = select_queue(&qs, &mut c, Some("a"), None).unwrap();
            assert_eq!(qs[i].broker_name, "b");
        }
    }

    #[test]
    fn single_broker_falls_back_to_it() {
        let qs = queues(&[("a", 2)]);
        let mut c = QueueCursor::new(0);
        let i = select_queue(&qs, &mut c, Some("a"), None).unwrap();
        assert_eq!(qs[i].broker_name, "a");
        assert_eq!(select_queue(&[], &mut c, None, None), None);
    }

    #[test]
    fn unavailable_brokers_are_skipped_until_their_window_ends() {
        let qs = queues(&[("a", 2), ("b", 2)]);
        let t0 = Instant::now();
        let mut f = LatencyFaultTolerance::default();
        f.update("a", t0, Duration::from_millis(1), true);
        let mut c = QueueCursor::new(0);
        for _ in 0..10 {
            let filt = FaultFilter {
                faults: &f,
                now: t0 + Duration::from_secs(1),
            };
            let i = select_queue(&qs, &mut c, None, Some(filt)).unwrap();
            assert_eq!(qs[i].broker_name, "b");
        }
        let later = FaultFilter {
            faults: &f,
            now: t0 + Duration::from_secs(11),
        };
        let picked: Vec<_> = (0..4)
            .map(|_| {
                qs[select_queue(&qs, &mut c, None, Some(later)).unwrap()]
                    .broker_name
                    .clone()
            })
            .collect();
        assert!(picked.contains(&"a".to_string()));
    }
}
