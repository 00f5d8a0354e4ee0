//! Shared pieces of the bench tools (`trivial_server`, `raw_sender`, `bench_producer`):
//! flag parsing, latency statistics, process CPU time and peak RSS from `/proc`, and the
//! one-line `RESULT` format all tools print.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// `--key value` / `--key=value` flags. Unknown keys are an error when [`Args::finish`] runs.
#[derive(Debug)]
pub struct Args {
    tool: &'static str,
    values: HashMap<String, String>,
    used: Vec<String>,
}

impl Args {
    /// Parses `std::env::args()`; exits with status 2 on malformed input. `--help` prints
    /// `usage` and exits 0.
    pub fn parse(tool: &'static str, usage: &str) -> Self {
        let mut values = HashMap::new();
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            if a == "--help" || a == "-h" {
                println!("{usage}");
                std::process::exit(0);
            }
            let Some(key) = a.strip_prefix("--") else {
                usage_exit(tool, usage, &format!("unexpected argument `{a}`"));
            };
            let (k, v) = match key.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => match it.next() {
                    Some(v) => (key.to_owned(), v),
                    None => usage_exit(tool, usage, &format!("flag --{key} needs a value")),
                },
            };
            values.insert(k, v);
        }
        Self {
            tool,
            values,
            used: Vec::new(),
        }
    }

    /// Returns the flag's text or `default`.
    pub fn str(&mut self, key: &str, default: &str) -> String {
        self.used.push(key.to_owned());
        self.values
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }

    /// Returns the flag's text if given.
    pub fn opt_str(&mut self, key: &str) -> Option<String> {
        self.used.push(key.to_owned());
        self.values.get(key).cloned()
    }

    /// Returns the flag parsed as `T`, or `default`; exits 2 when it does not parse.
    pub fn num<T: FromStr>(&mut self, key: &str, default: T) -> T {
        self.used.push(key.to_owned());
        match self.values.get(key) {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                eprintln!("{}: bad value for --{key}: `{v}`", self.tool);
                std::process::exit(2)
            }),
        }
    }

    /// Rejects flags that no accessor asked for (typos).
    pub fn finish(self) {
        let mut unknown: Vec<_> = self
            .values
            .keys()
            .filter(|k| !self.used.contains(k))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            unknown.sort();
            eprintln!(
                "{}: unknown flag(s): --{} (see --help)",
                self.tool,
                unknown.join(", --")
            );
            std::process::exit(2);
        }
    }
}

fn usage_exit(tool: &str, usage: &str, msg: &str) -> ! {
    eprintln!("{tool}: {msg}\n{usage}");
    std::process::exit(2)
}

/// Per-request latencies in nanoseconds.
#[derive(Debug, Default, Clone)]
pub struct Latencies(Vec<u64>);

impl Latencies {
    /// Creates an empty set with room for `n` samples.
    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    /// Records one sample.
    #[inline]
    pub fn record(&mut self, d: Duration) {
        self.0.push(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Records one sample given in nanoseconds.
    #[inline]
    pub fn record_nanos(&mut self, ns: u64) {
        self.0.push(ns);
    }

    /// Appends another set's samples.
    pub fn merge(&mut self, other: Self) {
        self.0.extend(other.0);
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Returns the p50, p99 and p99.9 latencies in microseconds (nearest rank), sorting
    /// the samples in place.
    pub fn percentiles_us(&mut self) -> (f64, f64, f64) {
        if self.0.is_empty() {
            return (0.0, 0.0, 0.0);
        }
        self.0.sort_unstable();
        let at = |q: f64| {
            let n = self.0.len();
            let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
            self.0[rank - 1] as f64 / 1000.0
        };
        (at(0.50), at(0.99), at(0.999))
    }
}

/// Latency samples recorded by many tasks into one table, each at its message's number:
/// consecutive messages share cache lines, as in one sender's vector, instead of every task
/// touching a vector of its own.
pub struct LatencySlots(Box<[AtomicU64]>);

impl LatencySlots {
    /// Marks no sample taken.
    const EMPTY: u64 = u64::MAX;

    /// Creates a table for messages `0..n`, none recorded.
    pub fn new(n: usize) -> Self {
        Self((0..n).map(|_| AtomicU64::new(Self::EMPTY)).collect())
    }

    /// Records message `i`'s latency (ignored when `i` is out of range).
    #[inline]
    pub fn record(&self, i: u64, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(Self::EMPTY - 1);
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| self.0.get(i)) {
            slot.store(ns.min(Self::EMPTY - 1), Ordering::Relaxed);
        }
    }

    /// The samples recorded.
    pub fn latencies(&self) -> Latencies {
        Latencies(
            self.0
                .iter()
                .map(|a| a.load(Ordering::Relaxed))
                .filter(|&ns| ns != Self::EMPTY)
                .collect(),
        )
    }
}

/// Clock ticks per second for `/proc/self/stat` times (`getconf CLK_TCK`, 100 if that fails).
pub fn clock_ticks_per_sec() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t: &u64| t > 0)
        .unwrap_or(100)
}

/// Reads user + system CPU time of this process (all threads) in clock ticks.
pub fn cpu_ticks() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    // The command name (field 2) is in parentheses and may contain spaces: skip past it.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return 0;
    };
    // After ")": field 3 (state) is index 0, so utime (field 14) is index 11, stime 12.
    let mut f = rest.split_ascii_whitespace();
    let utime: u64 = f.nth(11).and_then(|v| v.parse().ok()).unwrap_or(0);
    let stime: u64 = f.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    utime + stime
}

/// CPU time of this process (all live threads) to the nanosecond, from each thread's
/// `se.sum_exec_runtime` in `/proc/self/task/*/sched`; `None` where the kernel has no such file.
pub fn cpu_exact() -> Option<Duration> {
    sched_totals().map(|t| t.cpu)
}

/// Sums over this process's live threads, from `/proc/self/task/*/sched`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SchedTotals {
    /// CPU time (`se.sum_exec_runtime`).
    pub cpu: Duration,
    /// Times a thread went to sleep (`nr_voluntary_switches`): each is a wake-up later, the
    /// main kernel cost of a request/reply client.
    pub sleeps: u64,
}

/// Reads [`SchedTotals`]; `None` where the kernel has no per-thread `sched` file. A thread
/// that ends while the files are read is skipped (and its time no longer counts: measure
/// while the threads that matter are alive).
pub fn sched_totals() -> Option<SchedTotals> {
    let mut total = SchedTotals::default();
    let mut read = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let Ok(sched) = std::fs::read_to_string(task.ok()?.path().join("sched")) else {
            continue;
        };
        read += 1;
        let field = |key: &str| {
            sched
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim_start_matches([' ', ':']).trim())
        };
        let ms: f64 = field("se.sum_exec_runtime")?.parse().ok()?;
        total.cpu += Duration::from_secs_f64(ms / 1000.0);
        total.sleeps += field("nr_voluntary_switches")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
    }
    (read > 0).then_some(total)
}

/// Measures the process's CPU time between [`CpuMeter::start`] and [`CpuMeter::usage`]:
/// to the nanosecond where the kernel tells it (see [`cpu_exact`]), else in clock ticks.
#[derive(Debug, Clone, Copy)]
pub struct CpuMeter {
    ticks_per_sec: u64,
    start_ticks: u64,
    start_exact: Option<SchedTotals>,
}

impl CpuMeter {
    /// Starts measuring (reads the tick rate once).
    pub fn start() -> Self {
        let ticks_per_sec = clock_ticks_per_sec();
        Self {
            ticks_per_sec,
            start_ticks: cpu_ticks(),
            start_exact: sched_totals(),
        }
    }

    /// Restarts from now, keeping the tick rate.
    pub fn restart(&mut self) {
        self.start_ticks = cpu_ticks();
        self.start_exact = sched_totals();
    }

    /// CPU time (user + system, all threads) and sleeps since the start, from one reading.
    pub fn usage(&self) -> CpuUsage {
        if let (Some(start), Some(now)) = (self.start_exact, sched_totals()) {
            return CpuUsage {
                cpu: now.cpu.saturating_sub(start.cpu),
                sleeps: Some(now.sleeps.saturating_sub(start.sleeps)),
            };
        }
        let ticks = cpu_ticks().saturating_sub(self.start_ticks);
        CpuUsage {
            cpu: Duration::from_micros(ticks * 1_000_000 / self.ticks_per_sec),
            sleeps: None,
        }
    }
}

/// What a [`CpuMeter`] measured.
#[derive(Debug, Clone, Copy)]
pub struct CpuUsage {
    /// CPU time, user + system, all threads.
    pub cpu: Duration,
    /// Times the process's threads went to sleep (see [`SchedTotals::sleeps`]); `None` where
    /// the kernel does not tell.
    pub sleeps: Option<u64>,
}

/// Peak resident set size (`VmHWM`) in MiB.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One run's outcome, printed as the shared `RESULT` line.
#[derive(Debug)]
pub struct Report {
    /// Identifying `key=value` pairs in print order (tool, runtime, mode, c / window, size…).
    pub labels: Vec<(&'static str, String)>,
    /// Messages attempted in the measured phase.
    pub count: u64,
    /// Successful sends.
    pub ok: u64,
    /// Failed sends.
    pub failed: u64,
    /// Wall time of the measured phase.
    pub wall: Duration,
    /// Process CPU time and sleeps in the measured phase.
    pub cpu: CpuUsage,
    /// Latency samples of successful sends.
    pub latencies: Latencies,
}

impl Report {
    /// Formats the line: labels, then `count ok failed secs msgs_per_s p50_us p99_us p999_us
    /// cpu_us_per_msg sleeps_per_msg peak_rss_mb` (`sleeps_per_msg` only where the kernel
    /// counts them).
    pub fn line(&mut self) -> String {
        let (p50, p99, p999) = self.latencies.percentiles_us();
        let secs = self.wall.as_secs_f64();
        let rate = if secs > 0.0 {
            self.ok as f64 / secs
        } else {
            0.0
        };
        let done = (self.ok + self.failed).max(1);
        let cpu_per = self.cpu.cpu.as_secs_f64() * 1e6 / done as f64;
        // Only where the kernel counts them.
        let sleeps = self
            .cpu
            .sleeps
            .map(|n| format!(" sleeps_per_msg={:.2}", n as f64 / done as f64))
            .unwrap_or_default();
        let mut s = String::from("RESULT");
        for (k, v) in &self.labels {
            let _ = write!(s, " {k}={v}");
        }
        let _ = write!(
            s,
            " count={} ok={} failed={} secs={secs:.3} msgs_per_s={rate:.0} p50_us={p50:.1} \
             p99_us={p99:.1} p999_us={p999:.1} cpu_us_per_msg={cpu_per:.2}{sleeps} peak_rss_mb={:.1}",
            self.count,
            self.ok,
            self.failed,
            peak_rss_mb()
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let mut l = Latencies::default();
        for i in 1..=1000u64 {
            l.record_nanos(i * 1000);
        }
        assert_eq!(l.percentiles_us(), (500.0, 990.0, 999.0));
    }

    #[test]
    fn proc_readers_work() {
        let _ = cpu_ticks();
        let meter = CpuMeter::start();
        // Sleeping is a voluntary switch, where the kernel counts them.
        std::thread::sleep(Duration::from_millis(2));
        if let Some(n) = meter.usage().sleeps {
            assert!(n >= 1, "a sleep was not counted");
        }
        assert!(peak_rss_mb() > 0.0);
    }
}
