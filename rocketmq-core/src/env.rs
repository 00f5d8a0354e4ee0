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
