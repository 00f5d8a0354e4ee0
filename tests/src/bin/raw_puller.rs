//! The floor of any consumer: PULL_MESSAGE (11) requests and nothing else. The route and the
//! queues' offsets are asked by hand first; then one connection to the broker, one pull in
//! flight per queue, each queue's next offset taken from the answer's `nextBeginOffset`, and
//! messages counted by walking the records' TOTALSIZE words, never decoded. Requests are
//! encoded with the proto crate (`PullMessageRequestHeader`, JSON header) and answers' headers
//! read in place (`frame::view_header`); the socket is driven by tokio (`--io tokio`, one
//! `block_on` per read and write, as `raw_sender --io tokio`) or blocking std I/O.
//!
//! Modes:
//! - `drain`: pulls the topic's whole backlog (every queue from offset 0 up to its max offset
//!   when the run starts) and reports msgs/s and CPU µs per message (whole process, from
//!   connect to the last answer).
//! - `e2e`: starts every queue at its end, then a sender thread (`bench_wire::RateSender`,
//!   pre-encoded frames on a socket of its own) sends `--count` messages at `--rate`/s, each
//!   stamped with its send time (µs) in a property; the latency is send → pull answer read
//!   (the time of the read that completed the answer), p50/p99 in the RESULT line.
//!
//! Pulls carry the same settings as the client's push consumer: `maxMsgNums` = `--batch`
//! (pullBatchSize, 32), `maxMsgBytes` 256 KiB, SUSPEND with 15 s, and the subscription `*`
//! (SUBSCRIPTION flag, as no heartbeat registers one).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use rocketmq_proto::header::PullMessageRequestHeader;
use rocketmq_proto::message::flags::pull_sys_flag;
use rocketmq_proto::{frame, RemotingCommand, RequestCode, ResponseCode, SerializeType};
use rocketmq_tests::bench_util::{Args, CpuMeter, Latencies, Report};
use rocketmq_tests::bench_wire::{self, RateSender, Route};

const USAGE: &str = "\
raw_puller: PULL_MESSAGE with no client logic, one pull in flight per queue.
  --mode drain|e2e    drain: the topic's backlog from offset 0; e2e: a sender at --rate and
                      pulls from the queues' end, latency send -> pull answer (drain)
  --namesrv ADDR      name server for the route (127.0.0.1:9876)
  --topic NAME        (BenchConsume in drain mode, BenchConsumeE2E in e2e mode; e2e creates it)
  --batch N           maxMsgNums of a pull (pullBatchSize; 32)
  --max-bytes N       maxMsgBytes of a pull (pullBatchSizeInBytes; 262144)
  --suspend-ms MS     long-poll hold (brokerSuspendMaxTimeMillis; 15000)
  --io tokio|std      tokio reactor, one block_on per read and write (tokio), or blocking std
  --group NAME        consumer group of the pulls (a fresh BenchRawPuller_<n> per run)
  --rate R            e2e: messages per second (200)
  --count N           e2e: messages sent (2000)
  --size BYTES        e2e: body size (1024)
  --queues N          e2e: queues of a topic it creates (4)
  --max-secs S        give up after S seconds (300)";

/// Opaques are `n * queues + queue id`.
struct Puller {
    stream: Stream,
    topic: String,
    group: String,
    broker_name: String,
    batch: i32,
    max_bytes: i32,
    suspend_ms: i64,
    queues: usize,
    /// Next offset of each queue.
    next: Vec<i64>,
    /// Drain: where each queue stops (its max offset at the start).
    stop: Option<Vec<i64>>,
    seq: i64,
    out: BytesMut,
    rbuf: Vec<u8>,
    rstart: usize,
    rend: usize,
}

/// What a run saw.
#[derive(Default)]
struct Seen {
    msgs: u64,
    pulls: u64,
    /// e2e: send -> answer latencies of stamped messages.
    lat: Latencies,
    /// e2e: stamped messages sent before this run (other runs' leftovers), ignored.
    stale: u64,
    /// When the first message arrived.
    first_at: Option<Instant>,
}

impl Puller {
    fn push_pull(&mut self, q: usize) {
        let header = PullMessageRequestHeader {
            consumer_group: self.group.clone(),
            topic: self.topic.clone(),
            queue_id: q as i32,
            queue_offset: self.next[q],
            max_msg_nums: self.batch,
            sys_flag: pull_sys_flag::SUSPEND | pull_sys_flag::SUBSCRIPTION,
            commit_offset: 0,
            suspend_timeout_millis: self.suspend_ms,
            subscription: Some("*".to_owned()),
            sub_version: 0,
            expression_type: Some("TAG".to_owned()),
            max_msg_bytes: Some(self.max_bytes),
            request_source: None,
            proxy_forward_client_id: None,
            broker_name: Some(self.broker_name.clone()),
        };
        let opaque = (self.seq * self.queues as i64 + q as i64) % (i32::MAX as i64 + 1);
        self.seq += 1;
        let mut cmd =
            RemotingCommand::request(RequestCode::PULL_MESSAGE).with_opaque(opaque as i32);
        header.to_ext_fields(&mut cmd.ext_fields);
        frame::encode(&cmd, SerializeType::Json, &mut self.out).expect("encode pull");
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let r = self.stream.write_all(&self.out);
        self.out.clear();
        r
    }

    fn queue_done(&self, q: usize) -> bool {
        self.stop.as_ref().is_some_and(|s| self.next[q] >= s[q])
    }

    /// Sends the first pull of every queue not at its end.
    fn start(&mut self) -> Result<(), String> {
        for q in 0..self.queues {
            if !self.queue_done(q) {
                self.push_pull(q);
            }
        }
        self.flush().map_err(|e| format!("write: {e}"))
    }

    /// Reads answers and pulls again until `enough` says so or the deadline passes; `since_us` (e2e) is the earliest
    /// send time that counts.
    fn run(
        &mut self,
        deadline: Instant,
        since_us: Option<u64>,
        enough: impl Fn(&Seen) -> bool,
    ) -> Result<Seen, String> {
        let mut seen = Seen::default();
        while !enough(&seen) {
            if Instant::now() > deadline {
                return Err(format!(
                    "gave up after {} messages ({} stamped by this run), next offsets {:?}",
                    seen.msgs,
                    seen.lat.len(),
                    self.next
                ));
            }
            if (0..self.queues).all(|q| self.queue_done(q)) {
                return Err(format!(
                    "every queue at its end after {} messages",
                    seen.msgs
                ));
            }
            if self.rstart > 0 && (self.rend == self.rstart || self.rbuf.len() - self.rend < 65536)
            {
                self.rbuf.copy_within(self.rstart..self.rend, 0);
                self.rend -= self.rstart;
                self.rstart = 0;
            }
            if self.rend == self.rbuf.len() {
                let l = self.rbuf.len();
                self.rbuf.resize(l * 2, 0);
            }
            let got = self
                .stream
                .read(&mut self.rbuf[self.rend..])
                .map_err(|e| format!("read: {e}"))?;
            if got == 0 {
                return Err("connection closed by the broker".into());
            }
            self.rend += got;
            let now_us = since_us.map(|_| bench_wire::wall_us());
            loop {
                let avail = &self.rbuf[self.rstart..self.rend];
                if avail.len() < 4 {
                    break;
                }
                let len = u32::from_be_bytes([avail[0], avail[1], avail[2], avail[3]]) as usize;
                if avail.len() < 4 + len {
                    if self.rbuf.len() < 4 + len {
                        self.rbuf.resize(4 + len, 0);
                    }
                    break;
                }
                let (code, opaque, next) = answer_head(&avail[4..4 + len])?;
                let q = (opaque as usize) % self.queues;
                if code == ResponseCode::SUCCESS.0 {
                    let word = u32::from_be_bytes([avail[4], avail[5], avail[6], avail[7]]);
                    let data = &avail[8 + (word & 0xFF_FFFF) as usize..4 + len];
                    let mut pos = 0;
                    while pos + 4 <= data.len() {
                        let size = u32::from_be_bytes([
                            data[pos],
                            data[pos + 1],
                            data[pos + 2],
                            data[pos + 3],
                        ]) as usize;
                        if size < 4 || pos + size > data.len() {
                            return Err(format!("bad record size {size}"));
                        }
                        seen.msgs += 1;
                        seen.first_at.get_or_insert_with(Instant::now);
                        if let (Some(since), Some(now)) = (since_us, now_us) {
                            match bench_wire::record_send_us(&data[pos..pos + size]) {
                                Some(sent) if sent >= since => {
                                    seen.lat.record_nanos(now.saturating_sub(sent) * 1000);
                                }
                                _ => seen.stale += 1,
                            }
                        }
                        pos += size;
                    }
                } else if ![
                    ResponseCode::PULL_NOT_FOUND.0,
                    ResponseCode::PULL_RETRY_IMMEDIATELY.0,
                    ResponseCode::PULL_OFFSET_MOVED.0,
                ]
                .contains(&code)
                {
                    return Err(format!("pull of queue {q} answered {code}"));
                }
                seen.pulls += 1;
                self.next[q] = next;
                self.rstart += 4 + len;
                if !self.queue_done(q) {
                    self.push_pull(q);
                }
            }
            self.flush().map_err(|e| format!("write: {e}"))?;
        }
        Ok(seen)
    }
}

/// An answer's code, opaque and `nextBeginOffset`, read in place (full decode only for a
/// header the in-place reader does not take).
fn answer_head(frame_body: &[u8]) -> Result<(i32, i32, i64), String> {
    let pick = |code: i32, opaque: i32, next: Option<&str>| {
        let next = next
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("answer {code} without nextBeginOffset"))?;
        Ok((code, opaque, next))
    };
    if let Some(v) = frame::view_header(frame_body) {
        let next = v
            .ext_fields()
            .find_map(|(k, v)| (k == "nextBeginOffset").then_some(v));
        if next.is_none() && v.response_code() != ResponseCode::SUCCESS {
            return Err(format!(
                "pull answered {} {}",
                v.head().code,
                v.remark().unwrap_or_default()
            ));
        }
        return pick(v.head().code, v.head().opaque, next);
    }
    let cmd = frame::decode_frame_body(Bytes::copy_from_slice(frame_body))
        .map_err(|e| format!("undecodable answer: {e}"))?;
    pick(cmd.code, cmd.opaque, cmd.ext_fields.get("nextBeginOffset"))
}

/// Blocking std I/O or tokio's reactor on a current-thread runtime.
enum Stream {
    Std(TcpStream),
    Tokio(tokio::runtime::Runtime, tokio::net::TcpStream),
}

impl Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Std(s) => s.read(buf),
            Self::Tokio(rt, s) => rt.block_on(tokio::io::AsyncReadExt::read(s, buf)),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Std(s) => s.write_all(buf),
            Self::Tokio(rt, s) => rt.block_on(tokio::io::AsyncWriteExt::write_all(s, buf)),
        }
    }
}

fn connect(addr: &str, io: &str) -> std::io::Result<Stream> {
    let sa: SocketAddr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other(format!("no address for {addr}")))?;
    let s = TcpStream::connect_timeout(&sa, Duration::from_secs(5))?;
    s.set_nodelay(true)?;
    match io {
        "std" => {
            // Long enough for a held pull (15 s) plus slack.
            s.set_read_timeout(Some(Duration::from_secs(60)))?;
            Ok(Stream::Std(s))
        }
        _ => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()?;
            s.set_nonblocking(true)?;
            let t = {
                let _guard = rt.enter();
                tokio::net::TcpStream::from_std(s)?
            };
            Ok(Stream::Tokio(rt, t))
        }
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("raw_puller: {msg}");
    std::process::exit(1)
}

fn main() {
    let mut args = Args::parse("raw_puller", USAGE);
    let mode = args.str("mode", "drain");
    let namesrv = args.str("namesrv", "127.0.0.1:9876");
    let topic = args.str(
        "topic",
        if mode == "e2e" {
            "BenchConsumeE2E"
        } else {
            "BenchConsume"
        },
    );
    let batch: i32 = args.num("batch", 32);
    let max_bytes: i32 = args.num("max-bytes", 256 * 1024);
    let suspend_ms: i64 = args.num("suspend-ms", 15_000);
    let io = args.str("io", "tokio");
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let group = args
        .opt_str("group")
        .unwrap_or_else(|| format!("BenchRawPuller_{}", nanos % 1_000_000_000_000));
    let rate: f64 = args.num("rate", 200.0);
    let count: u64 = args.num("count", 2000);
    let size: usize = args.num("size", 1024);
    let create_queues: i32 = args.num("queues", 4);
    let max_secs: u64 = args.num("max-secs", 300);
    args.finish();
    if !matches!(mode.as_str(), "drain" | "e2e") || !matches!(io.as_str(), "tokio" | "std") {
        eprintln!("raw_puller: --mode drain|e2e, --io tokio|std");
        std::process::exit(2);
    }
    if batch <= 0 || count == 0 || rate <= 0.0 {
        eprintln!("raw_puller: --batch, --count and --rate must be positive");
        std::process::exit(2);
    }
    let deadline = Instant::now() + Duration::from_secs(max_secs);

    let route: Route = if mode == "e2e" {
        bench_wire::ensure_topic(&namesrv, &topic, create_queues)
    } else {
        bench_wire::route(&namesrv, &topic)
    }
    .unwrap_or_else(|e| fail(&e));
    let max = bench_wire::max_offsets(&route, &topic);
    let queues = max.len();
    if queues == 0 {
        fail("the topic has no queues");
    }
    let backlog: i64 = max.iter().sum();
    if mode == "drain" && backlog == 0 {
        fail(&format!(
            "{topic} is empty; prefill it first (bench_consumer --mode prefill)"
        ));
    }
    let mut cpu = CpuMeter::start();
    let mut t0 = Instant::now();
    let stream = connect(&route.broker, &io)
        .unwrap_or_else(|e| fail(&format!("connect to {}: {e}", route.broker)));
    let mut p = Puller {
        stream,
        topic: topic.clone(),
        group,
        broker_name: route.broker_name.clone(),
        batch,
        max_bytes,
        suspend_ms,
        queues,
        next: if mode == "drain" {
            vec![0; queues]
        } else {
            max.clone()
        },
        stop: (mode == "drain").then(|| max.clone()),
        seq: 0,
        out: BytesMut::with_capacity(64 * 1024),
        rbuf: vec![0; 1 << 20],
        rstart: 0,
        rend: 0,
    };
    p.start().unwrap_or_else(|e| fail(&e));
    let (seen, wall, cpu, sent) = if mode == "drain" {
        let target = backlog as u64;
        let seen = p
            .run(deadline, None, |s| s.msgs >= target)
            .unwrap_or_else(|e| fail(&e));
        (seen, t0.elapsed(), cpu.usage(), None)
    } else {
        // The sender starts once the pulls are held by the broker; the measure with it.
        std::thread::sleep(Duration::from_millis(500));
        cpu.restart();
        t0 = Instant::now();
        let run_since = bench_wire::wall_us();
        let sender = RateSender::start(&route, &topic, rate, count, size)
            .unwrap_or_else(|e| fail(&format!("sender: {e}")));
        // Ends by itself (with a message) well before any outer timeout.
        let patience = Duration::from_secs_f64(count as f64 / rate + 30.0);
        let seen = p
            .run(
                deadline.min(Instant::now() + patience),
                Some(run_since),
                |s| s.lat.len() as u64 >= count,
            )
            .unwrap_or_else(|e| fail(&format!("e2e: {e}")));
        let (wall, cpu) = (t0.elapsed(), cpu.usage());
        (seen, wall, cpu, Some(sender.join()))
    };
    let ok = if mode == "drain" {
        seen.msgs
    } else {
        seen.lat.len() as u64
    };
    let mut report = Report {
        labels: vec![
            ("tool", "raw_puller".to_owned()),
            ("io", io),
            ("mode", mode.clone()),
            ("batch", batch.to_string()),
            ("queues", queues.to_string()),
        ],
        count: if mode == "drain" {
            backlog as u64
        } else {
            count
        },
        ok,
        failed: sent.as_ref().map_or(0, |s| s.failed),
        wall,
        cpu,
        latencies: seen.lat,
    };
    // From the first message to the last: the rate once pulling, without start-up.
    let steady = match (mode == "drain", seen.first_at) {
        (true, Some(first)) => {
            let secs = (t0 + wall).saturating_duration_since(first).as_secs_f64();
            format!(
                " steady_msgs_per_s={:.0}",
                seen.msgs as f64 / secs.max(1e-9)
            )
        }
        _ => String::new(),
    };
    println!(
        "{}{steady} msgs_per_pull={:.1}{}",
        report.line(),
        seen.msgs as f64 / seen.pulls.max(1) as f64,
        sent.map(|mut s| s.fields()).unwrap_or_default()
    );
    if seen.stale > 0 {
        eprintln!(
            "raw_puller: {} messages without a send time of this run ignored",
            seen.stale
        );
    }
}
