//! Latency fault avoidance: keep away from slow or failing brokers for a while (Java 5.x).

use std::time::{Duration, Instant};

use crate::id_map::StrMap;

/// Latency thresholds in milliseconds (5.x `latencyMax`).
pub const LATENCY_MAX_MS: [u64; 7] = [50, 100, 550, 1800, 3000, 5000, 15000];
/// How long a broker is avoided for each threshold, in milliseconds (5.x `notAvailableDuration`).
pub const NOT_AVAILABLE_MS: [u64; 7] = [0, 0, 2000, 5000, 6000, 10000, 30000];
/// Latency assumed for a failed attempt ("isolation"), in milliseconds.
pub const ISOLATION_LATENCY_MS: u64 = 10_000;

/// Returns how long to avoid a broker after an attempt with this latency.
pub fn not_available_duration(latency: Duration) -> Duration {
    let ms = latency.as_millis();
    LATENCY_MAX_MS
        .iter()
        .zip(NOT_AVAILABLE_MS)
        .rev()
        .find(|(max, _)| ms >= u128::from(**max))
        .map_or(Duration::ZERO, |(_, d)| Duration::from_millis(d))
}

#[derive(Clone, Debug)]
struct FaultItem {
    latency: Duration,
    available_at: Instant,
    reachable: bool,
}

/// Per-broker fault records.
#[derive(Clone, Debug, Default)]
pub struct LatencyFaultTolerance {
    items: StrMap<String, FaultItem>,
}

impl LatencyFaultTolerance {
    /// Records an attempt's outcome; `isolation` marks a failure.
    pub fn update(&mut self, broker: &str, now: Instant, latency: Duration, isolation: bool) {
        let basis = if isolation {
            Duration::from_millis(ISOLATION_LATENCY_MS)
        } else {
            latency
        };
        let avoid = not_available_duration(basis);
        let reachable = !isolation;
        match self.items.get_mut(broker) {
            Some(item) => {
                item.latency = latency;
                item.reachable = reachable;
                if !avoid.is_zero() && now + avoid > item.available_at {
                    item.available_at = now + avoid;
                }
            }
            None => {
                self.items.insert(
                    broker.to_owned(),
                    FaultItem {
                        latency,
                        available_at: now + avoid,
                        reachable,
                    },
                );
            }
        }
    }

    /// Returns whether the broker's avoidance window has passed.
    pub fn is_available(&self, broker: &str, now: Instant) -> bool {
        self.items.get(broker).is_none_or(|i| now >= i.available_at)
    }

    /// Returns whether the last attempt to the broker reached it.
    pub fn is_reachable(&self, broker: &str) -> bool {
        self.items.get(broker).is_none_or(|i| i.reachable)
    }

    /// Returns the last recorded latency of the broker.
    pub fn latency(&self, broker: &str) -> Option<Duration> {
        self.items.get(broker).map(|i| i.latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_table() {
        let d = |ms| not_available_duration(Duration::from_millis(ms)).as_millis();
        assert_eq!(d(0), 0);
        assert_eq!(d(99), 0);
        assert_eq!(d(549), 0);
        assert_eq!(d(550), 2000);
        assert_eq!(d(1800), 5000);
        assert_eq!(d(3000), 6000);
        assert_eq!(d(10_000), 10_000);
        assert_eq!(d(15_000), 30_000);
    }

    #[test]
    fn failed_broker_is_avoided_for_its_window_only() {
        let t0 = Instant::now();
        let mut f = LatencyFaultTolerance::default();
        assert!(f.is_available("a", t0));
        f.update("a", t0, Duration::from_millis(5), true);
        assert!(!f.is_available("a", t0 + Duration::from_millis(9_999)));
        assert!(!f.is_reachable("a"));
        assert!(f.is_available("a", t0 + Duration::from_millis(10_000)));
        // A fast success does not shorten the window.
        f.update(
            "a",
            t0 + Duration::from_secs(1),
            Duration::from_millis(1),
            false,
        );
        assert!(!f.is_available("a", t0 + Duration::from_secs(2)));
        assert!(f.is_reachable("a"));
    }
}
