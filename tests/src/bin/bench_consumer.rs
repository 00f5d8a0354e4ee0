//! Benchmarks the real client's `PushConsumer` (concurrent listener, Java's defaults unless a
//! flag says otherwise) on tokio (`rocketmq-tokio`) or async-std / smol (`rocketmq-async-std`).
//!
//! Modes:
//! - `prefill`: fills a topic (created with `--queues` queues if missing) up to `--count`
//!   messages of `--size` bytes with the real producer, `--concurrency` sends in flight. It
//!   sends only what is missing, so a topic is filled once and reused by every later run.
//! - `drain`: a fresh consumer group (a new one each run, so every run reads the whole backlog
//!   again) from `First`, with a listener that returns at once. The backlog is the sum of the
//!   queues' max offsets at the start (asked by hand, as `raw_puller` does); the run ends when
//!   the listeners have seen that many messages. msgs/s and CPU µs per message are over
//!   `start()` → last message (whole process: driver, listeners, runtime), peak RSS is VmHWM.
//! - `e2e`: a fresh group from `Last` on a topic of its own; once it holds its queues (and
//!   1 s more, for its pulls to be held by the broker) the same sender as `raw_puller --mode
//!   e2e` (`bench_wire::RateSender`) sends `--count` messages at `--rate`/s, each stamped with
//!   its send time in µs; the latency is send → listener start, p50/p99 in the RESULT line.
//! - `memory`: like drain, but the listener sleeps `--sleep-ms` per delivery; after `--secs`
//!   the RESULT line gives the peak RSS (VmHWM) and the messages consumed meanwhile.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rocketmq_core::driver::{ConsumeContext, Producer, PushConsumer, Runtime};
use rocketmq_core::proto::message::MessageExt;
use rocketmq_core::{ConsumeFrom, ConsumeResult, Message};
use rocketmq_tests::bench_util::{Args, CpuMeter, Latencies, Report};
use rocketmq_tests::bench_wire::{self, RateSender};

const USAGE: &str = "\
bench_consumer: the real client's PushConsumer, measured.
  --mode prefill|drain|e2e|memory   (drain)
  --runtime tokio|async-std|smol    (tokio)
  --namesrv ADDR                    (127.0.0.1:9876)
  --topic NAME                      (BenchConsume; e2e: BenchConsumeE2E)
  --group NAME                      consumer group (a fresh BenchConsumer_<n> per run)
  --batch N                         pullBatchSize (32)
  --consume-batch N                 consumeMessageBatchMaxSize (1)
  --threads N                       consumeThreadMax (20)
  --count N                         prefill: messages wanted in the topic (100000);
                                    e2e: messages sent (2000)
  --size BYTES                      prefill / e2e body size (1024)
  --concurrency C                   prefill: sends in flight (64)
  --queues N                        prefill / e2e: queues of a topic created (4)
  --rate R                          e2e: messages per second (200)
  --sleep-ms MS                     memory: listener sleep per delivery (100)
  --secs S                          memory: how long to consume before measuring (15)
  --batch-delay-ms MS               the client's batch_delay (10; 0 = no send holds, no read
                                    pauses on a backlogged connection)
  --tokio-threads N                 0 = current-thread runtime (default), N = multi-thread
  --max-secs S                      give up after S s (300)";

struct Settings {
    mode: String,
    runtime: String,
    namesrv: String,
    topic: String,
    group: String,
    batch: u32,
    consume_batch: u32,
    threads: u32,
    count: u64,
    size: usize,
    concurrency: usize,
    queues: i32,
    rate: f64,
    sleep_ms: u64,
    secs: u64,
    tokio_threads: usize,
    batch_delay_ms: u64,
    max_secs: u64,
}

type BoxFut = Pin<Box<dyn Future<Output = ()> + Send>>;
/// A sleep on the runtime under test.
type Sleeper = fn(Duration) -> BoxFut;

fn fail(msg: &str) -> ! {
    eprintln!("bench_consumer: {msg}");
    std::process::exit(1)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the listeners of a run share.
struct Tally {
    /// Messages seen.
    seen: AtomicU64,
    /// Stop once this many are seen (drain, e2e).
    target: u64,
    /// When the target was reached.
    done_at: Mutex<Option<Instant>>,
    /// When the first message was seen.
    first_at: Mutex<Option<Instant>>,
    done: smol::channel::Sender<()>,
    /// e2e: earliest send time that counts; latencies send → listener, ns.
    since_us: u64,
    lat: Mutex<Latencies>,
    stale: AtomicU64,
}

impl Tally {
    fn new(target: u64, since_us: u64) -> (Arc<Self>, smol::channel::Receiver<()>) {
        let (done, rx) = smol::channel::bounded(1);
        let t = Self {
            seen: AtomicU64::new(0),
            target,
            done_at: Mutex::new(None),
            first_at: Mutex::new(None),
            done,
            since_us,
            lat: Mutex::new(Latencies::default()),
            stale: AtomicU64::new(0),
        };
        (Arc::new(t), rx)
    }

    fn count(&self, n: u64) {
        let before = self.seen.fetch_add(n, Ordering::Relaxed);
        if before == 0 {
            lock(&self.first_at).get_or_insert_with(Instant::now);
        }
        if before < self.target && before + n >= self.target {
            *lock(&self.done_at) = Some(Instant::now());
            let _ = self.done.try_send(());
        }
    }
}

fn build<R: Runtime + Default>(
    s: &Settings,
    from: ConsumeFrom,
    tally: Arc<Tally>,
    sleep: Option<(Sleeper, Duration)>,
    e2e: bool,
) -> PushConsumer<R> {
    let listener = move |msgs: Arc<[MessageExt]>, _ctx: ConsumeContext| {
        let tally = tally.clone();
        async move {
            if e2e {
                let now = bench_wire::wall_us();
                let mut lat = lock(&tally.lat);
                for m in msgs.iter() {
                    match m
                        .message
                        .property(bench_wire::SEND_US_PROPERTY)
                        .and_then(|v| bench_wire::parse_us(v.as_bytes()))
                    {
                        Some(sent) if sent >= tally.since_us => {
                            lat.record_nanos(now.saturating_sub(sent) * 1000);
                        }
                        _ => {
                            tally.stale.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                let n = lat.len() as u64;
                drop(lat);
                if n >= tally.target {
                    tally.count(tally.target);
                }
            } else {
                if let Some((sleep, d)) = sleep {
                    sleep(d).await;
                }
                tally.count(msgs.len() as u64);
            }
            ConsumeResult::Success
        }
    };
    PushConsumer::<R>::builder()
        .name_server(&s.namesrv)
        .group(&s.group)
        .subscribe(&s.topic, "*")
        .consume_from(from)
        .pull_batch_size(s.batch)
        .consume_message_batch_max_size(s.consume_batch)
        .consume_thread_max(s.threads)
        .client_config(|c| c.batch_delay = Duration::from_millis(s.batch_delay_ms))
        .build_concurrent(listener)
        .unwrap_or_else(|e| fail(&format!("build: {e}")))
}

fn labels(s: &Settings, queues: usize) -> Vec<(&'static str, String)> {
    let runtime = if s.runtime == "tokio" && s.tokio_threads > 0 {
        format!("tokio-mt{}", s.tokio_threads)
    } else {
        s.runtime.clone()
    };
    vec![
        ("tool", "bench_consumer".to_owned()),
        ("runtime", runtime),
        ("mode", s.mode.clone()),
        ("batch", s.batch.to_string()),
        ("queues", queues.to_string()),
        ("consume_batch", s.consume_batch.to_string()),
        ("batch_delay_ms", s.batch_delay_ms.to_string()),
    ]
}

async fn consume<R: Runtime + Default>(s: Arc<Settings>, sleeper: Sleeper) {
    match s.mode.as_str() {
        "drain" | "memory" => drain::<R>(&s, sleeper).await,
        "e2e" => e2e::<R>(&s, sleeper).await,
        _ => unreachable!(),
    }
}

async fn drain<R: Runtime + Default>(s: &Settings, sleeper: Sleeper) {
    let route = bench_wire::route(&s.namesrv, &s.topic).unwrap_or_else(|e| fail(&e));
    let max = bench_wire::max_offsets(&route, &s.topic);
    let backlog = max.iter().sum::<i64>() as u64;
    if backlog == 0 {
        fail(&format!(
            "{} is empty; prefill it first (--mode prefill)",
            s.topic
        ));
    }
    let memory = s.mode == "memory";
    let (tally, done) = Tally::new(if memory { u64::MAX } else { backlog }, 0);
    let sleep = memory.then_some((sleeper, Duration::from_millis(s.sleep_ms)));
    let consumer = build::<R>(s, ConsumeFrom::First, tally.clone(), sleep, false);
    let cpu = CpuMeter::start();
    let t0 = Instant::now();
    if let Err(e) = consumer.start().await {
        fail(&format!("start: {e}"));
    }
    if memory {
        let _ = futures_lite::future::or(done.recv(), async {
            sleeper(Duration::from_secs(s.secs)).await;
            Ok(())
        })
        .await;
    } else {
        let _ = done.recv().await;
    }
    let end = lock(&tally.done_at).unwrap_or_else(Instant::now);
    let (wall, cpu) = (end - t0, cpu.usage());
    let seen = tally.seen.load(Ordering::Relaxed);
    let mut report = Report {
        labels: labels(s, max.len()),
        count: if memory { seen } else { backlog },
        ok: seen.min(backlog),
        failed: 0,
        wall,
        cpu,
        latencies: Latencies::default(),
    };
    let mut line = report.line();
    // From the first message to the last: the rate once consuming, without start-up.
    if let (false, Some(first)) = (memory, *lock(&tally.first_at)) {
        let secs = end.saturating_duration_since(first).as_secs_f64();
        line.push_str(&format!(
            " steady_msgs_per_s={:.0}",
            backlog as f64 / secs.max(1e-9)
        ));
    }
    if memory {
        line.push_str(&format!(
            " sleep_ms={} threads={} rss_now_mb={:.1}",
            s.sleep_ms,
            s.threads,
            rss_now_mb()
        ));
    }
    println!("{line}");
    consumer.shutdown().await;
}

async fn e2e<R: Runtime + Default>(s: &Settings, sleeper: Sleeper) {
    let route =
        bench_wire::ensure_topic(&s.namesrv, &s.topic, s.queues).unwrap_or_else(|e| fail(&e));
    let since = bench_wire::wall_us();
    let (tally, done) = Tally::new(s.count, since);
    let consumer = build::<R>(s, ConsumeFrom::Last, tally.clone(), None, true);
    if let Err(e) = consumer.start().await {
        fail(&format!("start: {e}"));
    }
    // Wait for the queues, then for their first pulls to be held at the queues' end.
    let wait_until = Instant::now() + Duration::from_secs(30);
    let queues = route.queues as usize;
    loop {
        let a = consumer.assignment().await;
        let mine = a.iter().filter(|q| q.topic == s.topic).count();
        if mine >= queues {
            break;
        }
        if Instant::now() > wait_until {
            fail(&format!("only {mine} of {queues} queues assigned"));
        }
        sleeper(Duration::from_millis(50)).await;
    }
    sleeper(Duration::from_secs(1)).await;
    let cpu = CpuMeter::start();
    let t0 = Instant::now();
    let sender = RateSender::start(&route, &s.topic, s.rate, s.count, s.size)
        .unwrap_or_else(|e| fail(&format!("sender: {e}")));
    // Ends by itself (with what arrived) well before the watchdog.
    let patience = Duration::from_secs_f64(s.count as f64 / s.rate + 30.0).min(
        Duration::from_secs(s.max_secs.saturating_sub(t0.elapsed().as_secs() + 10)),
    );
    let complete = futures_lite::future::or(async { done.recv().await.is_ok() }, async {
        sleeper(patience).await;
        false
    })
    .await;
    let (wall, cpu) = (t0.elapsed(), cpu.usage());
    let mut sent = sender.join();
    let latencies = std::mem::take(&mut *lock(&tally.lat));
    let mut report = Report {
        labels: labels(s, queues),
        count: s.count,
        ok: latencies.len() as u64,
        failed: sent.failed,
        wall,
        cpu,
        latencies,
    };
    println!("{} rate={}{}", report.line(), s.rate, sent.fields());
    let stale = tally.stale.load(Ordering::Relaxed);
    if stale > 0 {
        eprintln!("bench_consumer: {stale} messages without a send time of this run ignored");
    }
    if !complete {
        fail(&format!(
            "e2e: {} of {} messages arrived within {patience:?} ({} sends answered, {} failed)",
            report.ok, s.count, sent.ok, sent.failed
        ));
    }
    consumer.shutdown().await;
}

/// Resident set now (`VmRSS`) in MiB.
fn rss_now_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Fills the topic up to `count` messages with the real producer on tokio.
async fn prefill(s: Arc<Settings>) {
    let route =
        bench_wire::ensure_topic(&s.namesrv, &s.topic, s.queues).unwrap_or_else(|e| fail(&e));
    let have = bench_wire::max_offsets(&route, &s.topic)
        .iter()
        .sum::<i64>() as u64;
    if have >= s.count {
        eprintln!(
            "bench_consumer: {} already holds {have} messages (>= {}), nothing to send",
            s.topic, s.count
        );
        return;
    }
    let missing = s.count - have;
    let producer = Producer::<rocketmq_tokio::TokioRuntime>::builder()
        .name_server(&s.namesrv)
        .group("BenchPrefillGroup")
        .build()
        .unwrap_or_else(|e| fail(&format!("producer: {e}")));
    if let Err(e) = producer.start().await {
        fail(&format!("producer start: {e}"));
    }
    let body = Bytes::from(
        (0..s.size)
            .map(|i| b'a' + (i % 26) as u8)
            .collect::<Vec<u8>>(),
    );
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..s.concurrency)
        .map(|_| {
            let (p, body, next, failed, topic) = (
                producer.clone(),
                body.clone(),
                next.clone(),
                failed.clone(),
                s.topic.clone(),
            );
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < missing {
                    if p.send(Message::new(topic.clone(), body.clone()))
                        .await
                        .is_err()
                    {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    producer.shutdown().await;
    let failed = failed.load(Ordering::Relaxed);
    eprintln!(
        "bench_consumer: prefilled {} with {} messages in {:.1} s ({failed} failed)",
        s.topic,
        missing - failed,
        t0.elapsed().as_secs_f64()
    );
    if failed > 0 {
        std::process::exit(1);
    }
}

fn tokio_sleep(d: Duration) -> BoxFut {
    Box::pin(tokio::time::sleep(d))
}

fn io_sleep(d: Duration) -> BoxFut {
    Box::pin(async move {
        smol::Timer::after(d).await;
    })
}

fn main() {
    let mut args = Args::parse("bench_consumer", USAGE);
    let mode = args.str("mode", "drain");
    let e2e = mode == "e2e";
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let s = Settings {
        runtime: args.str("runtime", "tokio"),
        namesrv: args.str("namesrv", "127.0.0.1:9876"),
        topic: args.str(
            "topic",
            if e2e {
                "BenchConsumeE2E"
            } else {
                "BenchConsume"
            },
        ),
        group: args
            .opt_str("group")
            .unwrap_or_else(|| format!("BenchConsumer_{}", nanos % 1_000_000_000_000)),
        batch: args.num("batch", 32),
        consume_batch: args.num("consume-batch", 1),
        threads: args.num("threads", 20),
        count: args.num("count", if mode == "prefill" { 100_000 } else { 2000 }),
        size: args.num("size", 1024),
        concurrency: args.num("concurrency", 64),
        queues: args.num("queues", 4),
        rate: args.num("rate", 200.0),
        sleep_ms: args.num("sleep-ms", 100),
        secs: args.num("secs", 15),
        tokio_threads: args.num("tokio-threads", 0),
        batch_delay_ms: args.num("batch-delay-ms", 10),
        max_secs: args.num("max-secs", 300),
        mode,
    };
    args.finish();
    if !matches!(s.mode.as_str(), "prefill" | "drain" | "e2e" | "memory")
        || s.count == 0
        || s.rate <= 0.0
        || s.concurrency == 0
    {
        eprintln!(
            "bench_consumer: --mode prefill|drain|e2e|memory; --count, --rate, --concurrency > 0"
        );
        std::process::exit(2);
    }
    // Watchdog: whatever hangs, the process ends.
    let limit = Duration::from_secs(s.max_secs);
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!("bench_consumer: watchdog: still running after {limit:?}, exiting");
        std::process::exit(3);
    });
    let s = Arc::new(s);
    let tokio_rt = || {
        if s.tokio_threads == 0 {
            tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .enable_time()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(s.tokio_threads)
                .enable_io()
                .enable_time()
                .build()
        }
        .expect("tokio runtime")
    };
    if s.mode == "prefill" {
        let rt = tokio_rt();
        let main = rt.spawn(prefill(s.clone()));
        if rt.block_on(main).is_err() {
            std::process::exit(1);
        }
        return;
    }
    match s.runtime.as_str() {
        "tokio" => {
            let rt = tokio_rt();
            // As a spawned task, as application code usually runs (see bench_producer).
            let main = rt.spawn(consume::<rocketmq_tokio::TokioRuntime>(
                s.clone(),
                tokio_sleep,
            ));
            if let Err(e) = rt.block_on(main) {
                fail(&e.to_string());
            }
        }
        "async-std" => async_std::task::block_on(consume::<rocketmq_async_std::AsyncIoRuntime>(
            s.clone(),
            io_sleep,
        )),
        "smol" => smol::block_on(consume::<rocketmq_async_std::AsyncIoRuntime>(
            s.clone(),
            io_sleep,
        )),
        other => {
            eprintln!("bench_consumer: unknown --runtime {other} (tokio, async-std, smol)");
            std::process::exit(2);
        }
    }
}
