//! What the client takes from its environment: IP, PID, wall clock and randomness.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

/// Milliseconds since the Unix epoch, as the wall clock reads now.
pub trait WallClock: Send + Sync {
    /// Returns the current wall-clock time in Unix milliseconds.
    fn now_millis(&self) -> i64;
}

impl<F: Fn() -> i64 + Send + Sync> WallClock for F {
    fn now_millis(&self) -> i64 {
        self()
    }
}

/// The inputs a client would otherwise read from the operating system.
#[derive(Clone)]
pub struct ClientEnv {
    /// Local non-loopback address, used in the client id and message ids.
    pub local_ip: IpAddr,
    /// Process id.
    pub pid: u32,
    /// A per-process nonce (Java uses `System.nanoTime()`) for the `DEFAULT` instance name.
    pub instance_nonce: u64,
    /// Seed of the client's random choices (queue start index, name server choice).
    pub rng_seed: u64,
    /// Wall clock for born timestamps and message ids.
    pub wall_clock: Arc<dyn WallClock>,
}

impl fmt::Debug for ClientEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientEnv")
            .field("local_ip", &self.local_ip)
            .field("pid", &self.pid)
            .field("instance_nonce", &self.instance_nonce)
            .field("rng_seed", &self.rng_seed)
            .finish_non_exhaustive()
    }
}

impl ClientEnv {
    /// Builds an environment from what an adapter read off the operating system.
    ///
    /// `fib_trie` is the text of `/proc/net/fib_trie` (loopback when absent or unparsable);
    /// `nanos` is the wall clock in nanoseconds, used as instance nonce and seed.
    pub fn from_os(
        fib_trie: Option<&str>,
        pid: u32,
        nanos: u64,
        wall_clock: Arc<dyn WallClock>,
    ) -> Self {
        let ip = fib_trie
            .and_then(local_ipv4_from_fib_trie)
            .unwrap_or(std::net::Ipv4Addr::LOCALHOST);
        Self {
            local_ip: ip.into(),
            pid,
            instance_nonce: nanos,
            rng_seed: nanos ^ (u64::from(pid) << 32),
            wall_clock,
        }
    }
}

/// A small deterministic PRNG (SplitMix64): the core's only source of randomness.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}

/// Picks the first non-loopback local IPv4 address from the text of Linux's `/proc/net/fib_trie`.
///
/// Adapters read the file; this parses it, so the choice is testable without the OS.
pub fn local_ipv4_from_fib_trie(text: &str) -> Option<std::net::Ipv4Addr> {
    let mut last: Option<std::net::Ipv4Addr> = None;
    for line in text.lines() {
        let t = line.trim_start_matches([' ', '|', '+', '-']).trim();
        if let Ok(ip) = t.parse::<std::net::Ipv4Addr>() {
            last = Some(ip);
        } else if t.starts_with("/32 host LOCAL") {
            if let Some(ip) = last.filter(|ip| !ip.is_loopback() && !ip.is_unspecified()) {
                return Some(ip);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fib_trie_local_address_skips_loopback() {
        let text = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 127.0.0.1\n        /32 host LOCAL\n     |-- 172.17.0.2\n        /32 host LOCAL\n";
        assert_eq!(
            local_ipv4_from_fib_trie(text),
            Some("172.17.0.2".parse().unwrap())
        );
        assert_eq!(
            local_ipv4_from_fib_trie("|-- 127.0.0.1\n /32 host LOCAL"),
            None
        );
    }
}
