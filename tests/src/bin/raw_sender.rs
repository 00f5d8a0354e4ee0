//! The floor reference for clients: no client logic, just pre-encoded SEND_MESSAGE_V2 frames
//! on one blocking socket, `--window` requests in flight, one write per batch of frames and
//! one reused read buffer. Replies are checked for code 0 by a minimal header scan.
//!
//! Frames are encoded once per queue (JSON header, opaque 1_000_000_000 as placeholder: every
//! opaque this tool uses has 10 digits, so a frame is a copy plus a 10-byte patch).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use rocketmq_proto::header::SendMessageRequestHeader;
use rocketmq_proto::message::{encode_properties, Properties};
use rocketmq_proto::{frame, FrameDecoder, RemotingCommand, RequestCode, SerializeType};
use rocketmq_tests::bench_util::{Args, CpuMeter, Latencies, Report};

const USAGE: &str = "\
raw_sender: pre-encoded SEND_MESSAGE_V2 frames, W in flight, no client logic.
  --broker ADDR       broker address (127.0.0.1:19876; the real broker is 127.0.0.1:10911)
  --namesrv ADDR      name server for one GET_ROUTEINFO_BY_TOPIC check first (default: --broker;
                      'none' skips it; its answer is only logged)
  --count N           measured messages (20000)
  --warmup N          messages sent first and excluded from the stats (200)
  --size BYTES        body size (1024)
  --topic NAME        topic (BenchTopic; auto-created from TBW102 on a real broker)
  --queues N          queue ids used round-robin (4)
  --window W          requests in flight (1 = one at a time)
  --broker-name NAME  `n`/bname header field (broker-a)
  --max-secs S        give up after S seconds (300)
  --io std|tokio      blocking sockets (std, the floor) or tokio's reactor, one block_on per
                      read and write (the floor of any tokio client)";

/// Every opaque is `OPAQUE_BASE + sequence`, always 10 decimal digits.
const OPAQUE_BASE: i64 = 1_000_000_000;
const MAX_MESSAGES: u64 = 1_000_000_000;
const IO_TIMEOUT: Duration = Duration::from_secs(10);

struct Frames {
    /// One encoded frame per queue id.
    per_queue: Vec<Vec<u8>>,
    /// Where the opaque's 10 digits start in each frame.
    opaque_at: Vec<usize>,
}

impl Frames {
    fn new(topic: &str, group: &str, broker_name: &str, queues: u32, size: usize) -> Self {
        let body = Bytes::from(
            (0..size)
                .map(|i| b'a' + (i % 26) as u8)
                .collect::<Vec<u8>>(),
        );
        let born = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let mut props = Properties::new();
        props.insert("WAIT".to_owned(), "true".to_owned());
        let props = encode_properties(&props);
        let mut per_queue = Vec::new();
        let mut opaque_at = Vec::new();
        let mark = format!("\"opaque\":{OPAQUE_BASE}");
        for q in 0..queues {
            let mut cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
                .with_opaque(OPAQUE_BASE as i32)
                .with_body(body.clone());
            SendMessageRequestHeader {
                producer_group: group.to_owned(),
                topic: topic.to_owned(),
                default_topic: "TBW102".to_owned(),
                default_topic_queue_nums: queues as i32,
                queue_id: q as i32,
                sys_flag: 0,
                born_timestamp: born,
                flag: 0,
                properties: Some(props.clone()),
                reconsume_times: None,
                unit_mode: None,
                max_reconsume_times: None,
                batch: None,
                broker_name: Some(broker_name.to_owned()),
            }
            .into_v2_ext_fields(&mut cmd.ext_fields);
            let mut b = BytesMut::new();
            frame::encode(&cmd, SerializeType::Json, &mut b).expect("encode send frame");
            let at = b
                .windows(mark.len())
                .position(|w| w == mark.as_bytes())
                .expect("opaque in header")
                + mark.len()
                - 10;
            per_queue.push(b.to_vec());
            opaque_at.push(at);
        }
        Self {
            per_queue,
            opaque_at,
        }
    }

    #[inline]
    fn push(&self, seq: u64, out: &mut Vec<u8>) {
        let q = (seq % self.per_queue.len() as u64) as usize;
        let start = out.len();
        out.extend_from_slice(&self.per_queue[q]);
        let mut v = (OPAQUE_BASE + seq as i64) as u64;
        let digits = &mut out[start + self.opaque_at[q]..start + self.opaque_at[q] + 10];
        for d in digits.iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
}

/// Reads `code` and `opaque` at the top level of a JSON header without building anything.
fn scan_json_header(h: &[u8]) -> Option<(i32, i32)> {
    let (mut code, mut opaque) = (None, None);
    let mut depth = 0i32;
    let mut i = 0;
    while i < h.len() {
        match h[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < h.len() && h[i] != b'"' {
                    if h[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let s = h.get(start..i)?;
                i += 1;
                if depth == 1 {
                    while i < h.len() && h[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    if h.get(i) == Some(&b':') && (s == b"code" || s == b"opaque") {
                        i += 1;
                        while i < h.len() && h[i].is_ascii_whitespace() {
                            i += 1;
                        }
                        let neg = h.get(i) == Some(&b'-');
                        if neg {
                            i += 1;
                        }
                        let mut v: i64 = 0;
                        while i < h.len() && h[i].is_ascii_digit() {
                            v = v * 10 + i64::from(h[i] - b'0');
                            i += 1;
                        }
                        let v = i32::try_from(if neg { -v } else { v }).ok()?;
                        if s == b"code" {
                            code = Some(v);
                        } else {
                            opaque = Some(v);
                        }
                    }
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    Some((code?, opaque?))
}

/// A reply's code and opaque; the whole frame is decoded only for non-JSON headers.
fn reply_code_opaque(frame_body: &[u8]) -> Option<(i32, i32)> {
    let word = u32::from_be_bytes(frame_body.get(..4)?.try_into().ok()?);
    let hlen = (word & 0xFF_FFFF) as usize;
    if word >> 24 == 0 {
        scan_json_header(frame_body.get(4..4 + hlen)?)
    } else {
        let cmd = frame::decode_frame_body(Bytes::copy_from_slice(frame_body)).ok()?;
        Some((cmd.code, cmd.opaque))
    }
}

/// The socket: blocking std I/O (the floor), or tokio's reactor on a current-thread runtime
/// (`--io tokio`: every read and write is a `block_on`, so each wait is an epoll_wait plus a
/// non-blocking read, the least any tokio client pays).
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

struct Sender {
    stream: Stream,
    frames: Frames,
    rbuf: Vec<u8>,
    rstart: usize,
    rend: usize,
    out: Vec<u8>,
    /// Sequence number of the next frame.
    seq: u64,
    /// Write time of each frame of the current phase, ns since `epoch`.
    sent_ns: Vec<u64>,
    epoch: Instant,
    reported_errors: u32,
}

struct PhaseResult {
    ok: u64,
    failed: u64,
    lat: Latencies,
}

impl Sender {
    fn write_batch(&mut self, n: u64, phase_base: u64) -> std::io::Result<()> {
        self.out.clear();
        let first = self.seq;
        for _ in 0..n {
            self.frames.push(self.seq, &mut self.out);
            self.seq += 1;
        }
        let t = self.epoch.elapsed().as_nanos() as u64;
        for s in first..self.seq {
            self.sent_ns[(s - phase_base) as usize] = t;
        }
        self.stream.write_all(&self.out)
    }

    /// Sends `n` messages with `window` in flight; returns when all are answered or on error.
    fn phase(&mut self, n: u64, window: u64, deadline: Instant) -> PhaseResult {
        let base = self.seq;
        self.sent_ns.clear();
        self.sent_ns.resize(n as usize, 0);
        let mut r = PhaseResult {
            ok: 0,
            failed: 0,
            lat: Latencies::with_capacity(n as usize),
        };
        let mut sent = window.min(n);
        if let Err(e) = self.write_batch(sent, base) {
            eprintln!("raw_sender: write failed: {e}");
            r.failed = n;
            return r;
        }
        let mut done = 0u64;
        while done < n {
            if Instant::now() > deadline {
                eprintln!(
                    "raw_sender: --max-secs reached with {} unanswered",
                    n - done
                );
                r.failed += n - done;
                break;
            }
            // Make room: compact, and grow when one frame does not fit.
            if self.rstart > 0 && (self.rend == self.rstart || self.rbuf.len() - self.rend < 4096) {
                self.rbuf.copy_within(self.rstart..self.rend, 0);
                self.rend -= self.rstart;
                self.rstart = 0;
            }
            if self.rend == self.rbuf.len() {
                let l = self.rbuf.len();
                self.rbuf.resize(l * 2, 0);
            }
            let got = match self.stream.read(&mut self.rbuf[self.rend..]) {
                Ok(0) => {
                    eprintln!("raw_sender: connection closed by peer");
                    r.failed += n - done;
                    break;
                }
                Ok(k) => k,
                Err(e) => {
                    eprintln!("raw_sender: read failed: {e}");
                    r.failed += n - done;
                    break;
                }
            };
            self.rend += got;
            let now = self.epoch.elapsed().as_nanos() as u64;
            let mut answered = 0u64;
            loop {
                let avail = &self.rbuf[self.rstart..self.rend];
                if avail.len() < 4 {
                    break;
                }
                let len = u32::from_be_bytes([avail[0], avail[1], avail[2], avail[3]]) as usize;
                if len > 16 * 1024 * 1024 {
                    eprintln!("raw_sender: bad frame length {len}");
                    r.failed += n - done;
                    return r;
                }
                if avail.len() < 4 + len {
                    if self.rbuf.len() < 4 + len {
                        self.rbuf.resize(4 + len, 0);
                    }
                    break;
                }
                let body = &avail[4..4 + len];
                match reply_code_opaque(body) {
                    Some((code, opaque)) => {
                        let idx = i64::from(opaque) - OPAQUE_BASE - base as i64;
                        if idx < 0 || idx as u64 >= n {
                            eprintln!("raw_sender: reply with unknown opaque {opaque} ignored");
                        } else {
                            done += 1;
                            answered += 1;
                            if code == 0 {
                                r.ok += 1;
                                r.lat
                                    .record_nanos(now.saturating_sub(self.sent_ns[idx as usize]));
                            } else {
                                r.failed += 1;
                                if self.reported_errors < 5 {
                                    self.reported_errors += 1;
                                    let remark =
                                        frame::decode_frame_body(Bytes::copy_from_slice(body))
                                            .map(|c| c.remark_str().to_owned())
                                            .unwrap_or_default();
                                    eprintln!(
                                        "raw_sender: send failed: code {code} remark {remark:?}"
                                    );
                                }
                            }
                        }
                    }
                    None => {
                        eprintln!("raw_sender: unreadable reply header");
                        r.failed += n - done;
                        return r;
                    }
                }
                self.rstart += 4 + len;
            }
            let more = answered.min(n - sent);
            if more > 0 {
                if let Err(e) = self.write_batch(more, base) {
                    eprintln!("raw_sender: write failed: {e}");
                    r.failed += n - done;
                    break;
                }
                sent += more;
            }
        }
        r
    }
}

fn connect(addr: &str) -> std::io::Result<TcpStream> {
    let sa: SocketAddr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other(format!("no address for {addr}")))?;
    let s = TcpStream::connect_timeout(&sa, Duration::from_secs(5))?;
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(s)
}

/// One GET_ROUTEINFO_BY_TOPIC, answer logged (a real name server says 17 before the topic
/// exists; it is created by the first send from TBW102).
fn route_check(namesrv: &str, topic: &str) {
    let result = (|| -> Result<RemotingCommand, Box<dyn std::error::Error>> {
        let mut s = connect(namesrv)?;
        let mut cmd = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_opaque(1);
        cmd.ext_fields.insert("topic", topic);
        s.write_all(&frame::encode_to_bytes(&cmd, SerializeType::Json)?)?;
        let mut buf = BytesMut::with_capacity(8192);
        let mut dec = FrameDecoder::new();
        let mut chunk = [0u8; 8192];
        for _ in 0..10_000 {
            if let Some(reply) = dec.decode(&mut buf)? {
                return Ok(reply);
            }
            let k = s.read(&mut chunk)?;
            if k == 0 {
                return Err("closed without a reply".into());
            }
            buf.extend_from_slice(&chunk[..k]);
        }
        Err("no whole reply".into())
    })();
    match result {
        Ok(r) => eprintln!(
            "raw_sender: route {topic} from {namesrv}: code {} {}",
            r.code,
            r.remark_str()
        ),
        Err(e) => eprintln!("raw_sender: route check against {namesrv} failed: {e}"),
    }
}

fn main() {
    let mut args = Args::parse("raw_sender", USAGE);
    let broker = args.str("broker", "127.0.0.1:19876");
    let namesrv = args.str("namesrv", &broker);
    let count: u64 = args.num("count", 20_000);
    let warmup: u64 = args.num("warmup", 200);
    let size: usize = args.num("size", 1024);
    let topic = args.str("topic", "BenchTopic");
    let queues: u32 = args.num("queues", 4);
    let window: u64 = args.num("window", 1);
    let broker_name = args.str("broker-name", "broker-a");
    let max_secs: u64 = args.num("max-secs", 300);
    let io = args.str("io", "std");
    args.finish();
    if count + warmup > MAX_MESSAGES || count == 0 || window == 0 || queues == 0 {
        eprintln!("raw_sender: need 0 < count+warmup <= {MAX_MESSAGES}, window > 0, queues > 0");
        std::process::exit(2);
    }

    if namesrv != "none" {
        route_check(&namesrv, &topic);
    }
    let stream = match connect(&broker) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("raw_sender: cannot connect to {broker}: {e}");
            std::process::exit(1);
        }
    };
    let stream = match io.as_str() {
        "std" => Stream::Std(stream),
        "tokio" => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .expect("tokio runtime");
            let s = stream
                .set_nonblocking(true)
                .and_then(|()| {
                    let _guard = rt.enter();
                    tokio::net::TcpStream::from_std(stream)
                })
                .expect("tokio stream");
            Stream::Tokio(rt, s)
        }
        other => {
            eprintln!("raw_sender: unknown --io {other} (std, tokio)");
            std::process::exit(2);
        }
    };
    let frames = Frames::new(&topic, "BenchRawGroup", &broker_name, queues, size);
    let frame_len = frames.per_queue[0].len();
    let mut s = Sender {
        stream,
        frames,
        rbuf: vec![0; 256 * 1024],
        rstart: 0,
        rend: 0,
        out: Vec::with_capacity(frame_len * window.min(count.max(warmup)) as usize),
        seq: 0,
        sent_ns: Vec::new(),
        epoch: Instant::now(),
        reported_errors: 0,
    };
    let deadline = Instant::now() + Duration::from_secs(max_secs);
    if warmup > 0 {
        let w = s.phase(warmup, window, deadline);
        if w.failed > 0 {
            eprintln!("raw_sender: warmup: {} of {warmup} failed", w.failed);
        }
    }
    let cpu = CpuMeter::start();
    let t0 = Instant::now();
    let r = s.phase(count, window, deadline);
    let wall = t0.elapsed();
    let cpu = cpu.usage();
    let mut report = Report {
        labels: vec![
            ("tool", "raw_sender".to_owned()),
            ("io", io),
            ("window", window.to_string()),
            ("size", size.to_string()),
        ],
        count,
        ok: r.ok,
        failed: r.failed,
        wall,
        cpu,
        latencies: r.lat,
    };
    println!("{}", report.line());
    if r.failed > 0 {
        std::process::exit(1);
    }
}
