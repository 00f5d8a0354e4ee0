//! Benchmarks the real client: `Producer::send` on tokio (`rocketmq-tokio`) or on async-std /
//! smol (`rocketmq-async-std`), one-at-a-time or with C tasks sharing one producer.
//!
//! Latency of a send is the time its `send(..).await` took. CPU is the whole process (user +
//! system, every thread: senders, executor and the client's driver) over the measured phase.
//!
//! tokio runtime: by default a current-thread runtime (`--tokio-threads 0`): the client's
//! driver task and the senders then share one thread, so a reply wakes its sender without a
//! cross-thread wake-up. `--tokio-threads N` uses a multi-thread runtime with N workers.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rocketmq_core::driver::{Producer, Runtime};
use rocketmq_core::proto::SerializeType;
use rocketmq_core::Message;
use rocketmq_tests::bench_util::{Args, CpuMeter, Latencies, LatencySlots, Report};

const USAGE: &str = "\
bench_producer: the real client's Producer::send, measured.
  --runtime tokio|async-std|smol   (tokio)
  --mode sync|concurrent           sync: one task, one send at a time; concurrent: --concurrency
                                   tasks sharing one Producer (sync)
  --concurrency C                  tasks in concurrent mode (64)
  --size BYTES                     body size (1024)
  --count N                        measured messages (20000)
  --warmup N                       messages sent first, excluded from the stats (200)
  --topic NAME                     (BenchTopic)
  --namesrv ADDR                   (127.0.0.1:9876)
  --group NAME                     producer group (BenchProducerGroup)
  --headers json|rocketmq          request header encoding (json, Java's default)
  --batch-delay-ms MS              longest a send or an answer waits to go with others while
                                   the broker is backlogged (batch_delay; 10, 0 = off)
  --batch N                        send N messages per request with send_batch (0 = single
                                   sends); --count counts messages, latency is per batch
  --tokio-threads N                0 = current-thread runtime (default), N = multi-thread, N workers
  --max-secs S                     stop sending after S s; the process exits by itself at S+30 (300)";

/// What one sending task did.
#[derive(Default)]
struct Outcome {
    ok: u64,
    failed: u64,
    errors: Vec<String>,
}

impl Outcome {
    fn merge(&mut self, o: Self) {
        self.ok += o.ok;
        self.failed += o.failed;
        for e in o.errors {
            if self.errors.len() < 5 {
                self.errors.push(e);
            }
        }
    }
}

type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send>>;
/// Spawns a task on the runtime under test and returns a future of its result.
type Spawner = fn(BoxFut<Outcome>) -> BoxFut<Outcome>;

struct Plan {
    topic: Arc<str>,
    body: Bytes,
    deadline: Instant,
    /// Messages per `send_batch` (0: single sends).
    batch: u64,
}

/// What the senders of one phase share: the next message number and the latency table.
struct Shared {
    next: AtomicU64,
    total: u64,
    lat: LatencySlots,
}

/// Sends messages numbered from `next` until `total` are claimed (or the deadline passes).
async fn sender<R: Runtime>(p: Producer<R>, plan: Arc<Plan>, shared: Arc<Shared>) -> Outcome {
    let mut o = Outcome::default();
    // Two clock reads per message, as raw_sender: the end of one send is checked against
    // the deadline.
    let mut end = Instant::now();
    loop {
        let claim = plan.batch.max(1);
        let i = shared.next.fetch_add(claim, Ordering::Relaxed);
        if i >= shared.total || end > plan.deadline {
            break;
        }
        let n = claim.min(shared.total - i);
        let msg = || Message::new(String::from(&*plan.topic), plan.body.clone());
        let t = Instant::now();
        let r = if plan.batch == 0 {
            p.send(msg()).await
        } else {
            p.send_batch((0..n).map(|_| msg()).collect()).await
        };
        end = Instant::now();
        let d = end - t;
        match r {
            Ok(_) => {
                o.ok += n;
                shared.lat.record(i, d);
            }
            Err(e) => {
                o.failed += n;
                if o.errors.len() < 5 {
                    o.errors.push(format!("{e} [{e:?}]"));
                }
            }
        }
    }
    o
}

/// Sends `n` messages with `c` tasks (`c == 0`: inline in the calling task, one at a time);
/// returns what they did and their latencies.
async fn phase<R: Runtime>(
    p: &Producer<R>,
    plan: &Arc<Plan>,
    n: u64,
    c: usize,
    spawn: Option<Spawner>,
) -> (Outcome, Latencies) {
    let shared = Arc::new(Shared {
        next: AtomicU64::new(0),
        total: n,
        lat: LatencySlots::new(usize::try_from(n).unwrap_or(usize::MAX)),
    });
    let mut all = Outcome::default();
    if c == 0 {
        all = sender(p.clone(), plan.clone(), shared.clone()).await;
    } else if let Some(spawn) = spawn {
        let handles: Vec<_> = (0..c)
            .map(|_| spawn(Box::pin(sender(p.clone(), plan.clone(), shared.clone()))))
            .collect();
        for h in handles {
            all.merge(h.await);
        }
    } else {
        // Inline: every sender runs concurrently inside this one task, beside the driver.
        let senders = (0..c).map(|_| sender(p.clone(), plan.clone(), shared.clone()));
        for o in rocketmq_tests::join::join_all(senders.collect()).await {
            all.merge(o);
        }
    }
    (all, shared.lat.latencies())
}

struct Settings {
    runtime: String,
    mode: String,
    concurrency: usize,
    size: usize,
    count: u64,
    warmup: u64,
    topic: String,
    namesrv: String,
    group: String,
    max_secs: u64,
    tokio_threads: usize,
    inline: bool,
    headers: SerializeType,
    batch_delay_ms: u64,
    batch: u64,
}

/// Runs the benchmark; with `--driver inline`, the client's driver and every sender share
/// this one task (no thread crossings), otherwise the driver is spawned and senders too.
async fn bench<R: Runtime + Default>(s: Arc<Settings>, spawn: Spawner) {
    let built = Producer::<R>::builder()
        .name_server(&s.namesrv)
        .group(&s.group)
        .serialize_type(s.headers)
        .batch_delay(Duration::from_millis(s.batch_delay_ms))
        .build_with_driver();
    let (producer, driver) = match built {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bench_producer: build failed: {e}");
            std::process::exit(1);
        }
    };
    let spawn = if s.inline { None } else { Some(spawn) };
    match driver {
        Some(d) if s.inline => {
            futures_lite::future::zip(d, run(s.clone(), producer, spawn)).await;
        }
        Some(d) => {
            R::default().spawn(d);
            run(s.clone(), producer, spawn).await;
        }
        None => run(s.clone(), producer, spawn).await,
    }
}

async fn run<R: Runtime>(s: Arc<Settings>, producer: Producer<R>, spawn: Option<Spawner>) {
    if let Err(e) = producer.start().await {
        eprintln!("bench_producer: start failed: {e}");
        std::process::exit(1);
    }
    let plan = Arc::new(Plan {
        topic: s.topic.as_str().into(),
        body: Bytes::from(
            (0..s.size)
                .map(|i| b'a' + (i % 26) as u8)
                .collect::<Vec<u8>>(),
        ),
        deadline: Instant::now() + Duration::from_secs(s.max_secs),
        batch: s.batch,
    });
    let c = if s.mode == "sync" { 0 } else { s.concurrency };
    if s.warmup > 0 {
        let (w, _) = phase(&producer, &plan, s.warmup, c, spawn).await;
        if w.failed > 0 {
            eprintln!(
                "bench_producer: warmup: {} of {} failed; first errors:",
                w.failed, s.warmup
            );
            for e in &w.errors {
                eprintln!("  {e}");
            }
        }
    }
    let cpu = CpuMeter::start();
    let t0 = Instant::now();
    let (r, latencies) = phase(&producer, &plan, s.count, c, spawn).await;
    let wall = t0.elapsed();
    let cpu = cpu.usage();
    let runtime = if s.runtime == "tokio" && s.tokio_threads > 0 {
        format!("tokio-mt{}", s.tokio_threads)
    } else {
        s.runtime.clone()
    };
    let mut report = Report {
        labels: vec![
            ("tool", "bench_producer".to_owned()),
            ("runtime", runtime),
            ("mode", s.mode.clone()),
            (
                "driver",
                if s.inline { "inline" } else { "spawned" }.to_owned(),
            ),
            ("c", if c == 0 { 1 } else { c }.to_string()),
            ("size", s.size.to_string()),
            (
                "headers",
                match s.headers {
                    SerializeType::Json => "json",
                    SerializeType::RocketMq => "rocketmq",
                }
                .to_owned(),
            ),
            ("batch_delay_ms", s.batch_delay_ms.to_string()),
            ("batch", s.batch.to_string()),
        ],
        count: s.count,
        ok: r.ok,
        failed: r.failed,
        wall,
        cpu,
        latencies,
    };
    println!("{}", report.line());
    if r.failed > 0 {
        eprintln!("bench_producer: {} sends failed; first errors:", r.failed);
        for e in &r.errors {
            eprintln!("  {e}");
        }
    }
    producer.shutdown().await;
    if r.failed > 0 {
        std::process::exit(1);
    }
}

fn tokio_spawn(f: BoxFut<Outcome>) -> BoxFut<Outcome> {
    let h = tokio::spawn(f);
    Box::pin(async move { h.await.unwrap_or_default() })
}

fn async_std_spawn(f: BoxFut<Outcome>) -> BoxFut<Outcome> {
    let h = async_std::task::spawn(f);
    Box::pin(h)
}

fn smol_spawn(f: BoxFut<Outcome>) -> BoxFut<Outcome> {
    let h = smol::spawn(f);
    Box::pin(h)
}

fn main() {
    let mut args = Args::parse("bench_producer", USAGE);
    let s = Settings {
        runtime: args.str("runtime", "tokio"),
        mode: args.str("mode", "sync"),
        concurrency: args.num("concurrency", 64),
        size: args.num("size", 1024),
        count: args.num("count", 20_000),
        warmup: args.num("warmup", 200),
        topic: args.str("topic", "BenchTopic"),
        namesrv: args.str("namesrv", "127.0.0.1:9876"),
        group: args.str("group", "BenchProducerGroup"),
        max_secs: args.num("max-secs", 300),
        tokio_threads: args.num("tokio-threads", 0),
        inline: args.str("driver", "inline") == "inline",
        batch_delay_ms: args.num("batch-delay-ms", 10),
        batch: args.num("batch", 0),
        headers: match args.str("headers", "json").as_str() {
            "json" => SerializeType::Json,
            "rocketmq" => SerializeType::RocketMq,
            other => {
                eprintln!("bench_producer: unknown --headers {other} (json, rocketmq)");
                std::process::exit(2);
            }
        },
    };
    args.finish();
    if !matches!(s.mode.as_str(), "sync" | "concurrent") || s.concurrency == 0 || s.count == 0 {
        eprintln!("bench_producer: --mode sync|concurrent, --concurrency > 0, --count > 0");
        std::process::exit(2);
    }
    // Watchdog: whatever happens (a hung send, a hung shutdown), the process ends.
    let limit = Duration::from_secs(s.max_secs + 30);
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!("bench_producer: watchdog: still running after {limit:?}, exiting");
        std::process::exit(3);
    });
    let s = Arc::new(s);
    match s.runtime.as_str() {
        "tokio" => {
            let rt = if s.tokio_threads == 0 {
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
            .expect("tokio runtime");
            // The benchmark runs as a spawned task, as application code usually does: a
            // `block_on` future that is woken while it runs makes tokio poll the reactor once
            // more (an extra epoll_wait per send) before polling it again.
            let main = rt.spawn(bench::<rocketmq_tokio::TokioRuntime>(s, tokio_spawn));
            if let Err(e) = rt.block_on(main) {
                eprintln!("bench_producer: {e}");
                std::process::exit(1);
            }
        }
        "async-std" => {
            async_std::task::block_on(bench::<rocketmq_async_std::AsyncIoRuntime>(
                s,
                async_std_spawn,
            ));
        }
        "smol" => {
            smol::block_on(bench::<rocketmq_async_std::AsyncIoRuntime>(s, smol_spawn));
        }
        other => {
            eprintln!("bench_producer: unknown --runtime {other} (tokio, async-std, smol)");
            std::process::exit(2);
        }
    }
}
