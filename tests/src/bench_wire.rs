//! Wire-level pieces of the consumer bench tools (`raw_puller`, `bench_consumer`), with no
//! client logic: a topic's route and queue offsets asked by hand, topic creation, a
//! fixed-rate sender of pre-encoded SEND_MESSAGE_V2 frames that stamps each message with its
//! send time, and reading that stamp straight out of a stored record.
//!
//! The send time is the wall clock in microseconds since the epoch, written by the sender
//! just before the frame goes out, as the property [`SEND_US_PROPERTY`] (16 digits). Sender
//! and consumer run in one process, so they read the same clock.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use rocketmq_proto::body::TopicRouteData;
use rocketmq_proto::header::SendMessageRequestHeader;
use rocketmq_proto::message::flags::sys_flag;
use rocketmq_proto::message::stored::MAGIC_V2;
use rocketmq_proto::message::{encode_properties, Properties};
use rocketmq_proto::{frame, RemotingCommand, RequestCode, ResponseCode, SerializeType};

use crate::admin;
use crate::bench_util::Latencies;

/// The property holding a message's send time (µs since the epoch, [`SEND_US_DIGITS`] digits).
pub const SEND_US_PROPERTY: &str = "BENCH_SEND_US";
/// Width of the send-time property's value (zero-padded).
pub const SEND_US_DIGITS: usize = 16;

/// The wall clock in microseconds since the epoch.
pub fn wall_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Parses a send-time property value.
pub fn parse_us(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 20 {
        return None;
    }
    let mut n = 0u64;
    for &d in v {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(d - b'0');
    }
    Some(n)
}

/// Where a topic lives: its (single) broker's master address and name and its read queues.
#[derive(Debug, Clone)]
pub struct Route {
    /// Master address.
    pub broker: String,
    /// Broker name.
    pub broker_name: String,
    /// Read queue count.
    pub queues: i32,
}

/// Asks the name server for a topic's route (GET_ROUTEINFO_BY_TOPIC); the first broker of
/// the route is taken (the bench cluster has one).
pub fn route(namesrv: &str, topic: &str) -> Result<Route, String> {
    let mut cmd = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC);
    cmd.ext_fields.insert("topic", topic);
    let resp =
        admin::request(namesrv, cmd).map_err(|e| format!("route query to {namesrv}: {e}"))?;
    if resp.response_code() != ResponseCode::SUCCESS {
        return Err(format!(
            "route of {topic}: code {} {}",
            resp.code,
            resp.remark_str()
        ));
    }
    let r = TopicRouteData::from_json(&resp.body).map_err(|e| format!("route body: {e}"))?;
    let qd = r
        .queue_datas
        .first()
        .ok_or_else(|| format!("route of {topic}: no queues"))?;
    let addr = r
        .broker_datas
        .iter()
        .find(|b| b.broker_name == qd.broker_name)
        .and_then(|b| b.master_addr())
        .ok_or_else(|| format!("route of {topic}: no master address"))?;
    Ok(Route {
        broker: addr.to_owned(),
        broker_name: qd.broker_name.clone(),
        queues: qd.read_queue_nums,
    })
}

/// The topic's route, creating the topic (UPDATE_AND_CREATE_TOPIC, `queues` read and write
/// queues, on the broker serving TBW102) when the name server does not know it.
pub fn ensure_topic(namesrv: &str, topic: &str, queues: i32) -> Result<Route, String> {
    if let Ok(r) = route(namesrv, topic) {
        return Ok(r);
    }
    let tbw = route(namesrv, "TBW102")?;
    let mut cmd = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_TOPIC);
    let n = queues.to_string();
    for (k, v) in [
        ("topic", topic),
        ("defaultTopic", "TBW102"),
        ("readQueueNums", &n),
        ("writeQueueNums", &n),
        ("perm", "6"),
        ("topicFilterType", "SINGLE_TAG"),
        ("topicSysFlag", "0"),
        ("order", "false"),
    ] {
        cmd.ext_fields.insert(k, v);
    }
    let resp = admin::request(&tbw.broker, cmd).map_err(|e| format!("create {topic}: {e}"))?;
    if resp.response_code() != ResponseCode::SUCCESS {
        return Err(format!(
            "create {topic}: code {} {}",
            resp.code,
            resp.remark_str()
        ));
    }
    let until = Instant::now() + Duration::from_secs(40);
    loop {
        match route(namesrv, topic) {
            Ok(r) => return Ok(r),
            Err(e) if Instant::now() > until => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Every queue's max offset (GET_MAX_OFFSET), queue id order.
pub fn max_offsets(r: &Route, topic: &str) -> Vec<i64> {
    (0..r.queues)
        .map(|q| admin::max_offset(&r.broker, topic, q))
        .collect()
}

/// Reads the send time out of one stored record (a PULL_MESSAGE body's record, TOTALSIZE
/// first) without decoding the rest: skips the fixed fields, body and topic, then looks for
/// [`SEND_US_PROPERTY`] in the properties text. `None` when the record has none.
pub fn record_send_us(rec: &[u8]) -> Option<u64> {
    let u32_at = |at: usize| {
        rec.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let u16_at = |at: usize| {
        rec.get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    };
    let magic = u32_at(4)? as u32 as i32;
    let flags = u32_at(36)? as u32 as i32;
    let host = |v6: i32| if flags & v6 != 0 { 20 } else { 8 };
    // BORNTIMESTAMP ends at 48; then BORNHOST, STORETIMESTAMP, STOREHOST, RECONSUMETIMES,
    // PREPAREDTRANSACTIONOFFSET and BODYLEN.
    let mut at = 48
        + host(sys_flag::BORNHOST_V6_FLAG)
        + 8
        + host(sys_flag::STOREHOSTADDRESS_V6_FLAG)
        + 4
        + 8;
    at += 4 + u32_at(at)?;
    if magic == MAGIC_V2 {
        at += 2 + u16_at(at)?;
    } else {
        at += 1 + usize::from(*rec.get(at)?);
    }
    let len = u16_at(at)?;
    let props = rec.get(at + 2..at + 2 + len)?;
    let key = SEND_US_PROPERTY.as_bytes();
    let mut i = 0;
    while i + key.len() < props.len() {
        let rest = &props[i..];
        let end = rest.iter().position(|&b| b == 2).unwrap_or(rest.len());
        let pair = &rest[..end];
        if pair.len() > key.len() && pair.starts_with(key) && pair[key.len()] == 1 {
            return parse_us(&pair[key.len() + 1..]);
        }
        i += end + 1;
    }
    None
}

/// What a [`RateSender`] did.
#[derive(Debug, Default, Clone)]
pub struct RateSent {
    /// Sends answered with SUCCESS.
    pub ok: u64,
    /// Sends answered otherwise, or not answered.
    pub failed: u64,
    /// Write -> answer times of the sends (the broker's store time as the sender sees it).
    pub reply: Latencies,
    /// Most a write was late on its schedule.
    pub max_late: Duration,
}

impl RateSent {
    /// ` send_reply_p50_us=… send_reply_p99_us=… send_late_max_us=…`, for a RESULT line.
    pub fn fields(&mut self) -> String {
        let (p50, p99, _) = self.reply.percentiles_us();
        format!(
            " send_reply_p50_us={p50:.1} send_reply_p99_us={p99:.1} send_late_max_us={}",
            self.max_late.as_micros()
        )
    }
}

/// Sends `count` messages at `rate` per second to a topic's queues in turn, on a blocking
/// socket of its own: pre-encoded SEND_MESSAGE_V2 frames (JSON headers), the opaque and the
/// send time patched in place. Each message carries its send time in [`SEND_US_PROPERTY`],
/// read from the clock just before its frame is written. Writes keep to the schedule whatever
/// the answers do (a second thread reads them), so a slow store answer delays no later send.
///
/// Both threads stay alive (their CPU time counted by `/proc/self/task`) until
/// [`RateSender::join`].
pub struct RateSender {
    writer: JoinHandle<Duration>,
    reader: JoinHandle<RateSent>,
    release: std::sync::mpsc::Sender<()>,
}

impl RateSender {
    /// Connects and starts sending at once.
    pub fn start(
        r: &Route,
        topic: &str,
        rate: f64,
        count: u64,
        size: usize,
    ) -> std::io::Result<Self> {
        let addr = r
            .broker
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::other("no broker address"))?;
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut rs = s.try_clone()?;
        let mut frames = Templates::new(topic, &r.broker_name, r.queues.max(1), size);
        let epoch = Instant::now();
        let written: Arc<[AtomicU64]> = (0..count).map(|_| AtomicU64::new(0)).collect();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (writer_done, writer_released) = std::sync::mpsc::channel::<()>();
        let w = written.clone();
        let writer = std::thread::spawn(move || {
            let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
            let mut max_late = Duration::ZERO;
            for i in 0..count {
                let due = epoch + interval.mul_f64(i as f64);
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                } else {
                    max_late = max_late.max(now - due);
                }
                let f = frames.stamp(i);
                w[i as usize].store(epoch.elapsed().as_nanos() as u64, Ordering::Relaxed);
                if s.write_all(f).is_err() {
                    break;
                }
            }
            let _ = writer_released.recv();
            max_late
        });
        let reader = std::thread::spawn(move || {
            let mut out = RateSent {
                reply: Latencies::with_capacity(count as usize),
                ..RateSent::default()
            };
            let mut buf = Vec::with_capacity(64 * 1024);
            let mut chunk = vec![0u8; 64 * 1024];
            while out.ok + out.failed < count {
                let Ok(k) = rs.read(&mut chunk) else { break };
                if k == 0 {
                    break;
                }
                let now = epoch.elapsed().as_nanos() as u64;
                buf.extend_from_slice(&chunk[..k]);
                let mut at = 0;
                while buf.len() - at >= 4 {
                    let b = &buf[at..];
                    let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                    if b.len() < 4 + len {
                        break;
                    }
                    let (code, opaque) = reply_code_opaque(&b[4..4 + len]);
                    let i = i64::from(opaque) - OPAQUE_BASE;
                    if code == Some(ResponseCode::SUCCESS) {
                        out.ok += 1;
                    } else {
                        out.failed += 1;
                    }
                    if let Some(t) = usize::try_from(i).ok().and_then(|i| written.get(i)) {
                        out.reply
                            .record_nanos(now.saturating_sub(t.load(Ordering::Relaxed)));
                    }
                    at += 4 + len;
                }
                buf.drain(..at);
            }
            out.failed = count - out.ok;
            drop(writer_done);
            let _ = released.recv();
            out
        });
        Ok(Self {
            writer,
            reader,
            release,
        })
    }

    /// Waits for the last answer and ends the threads.
    pub fn join(self) -> RateSent {
        drop(self.release);
        let mut out = self.reader.join().unwrap_or_default();
        out.max_late = self.writer.join().unwrap_or_default();
        out
    }
}

/// A reply's code and opaque.
fn reply_code_opaque(body: &[u8]) -> (Option<ResponseCode>, i32) {
    match frame::view_header(body) {
        Some(v) => (Some(v.response_code()), v.head().opaque),
        None => frame::decode_frame_body(Bytes::copy_from_slice(body))
            .map_or((None, -1), |c| (Some(c.response_code()), c.opaque)),
    }
}

/// Opaque placeholder: every opaque used is `OPAQUE_BASE + i`, ten digits.
const OPAQUE_BASE: i64 = 1_000_000_000;
/// Send-time placeholder, [`SEND_US_DIGITS`] digits.
const SEND_US_MARK: &str = "1234567890123456";

/// One encoded frame per queue and where its opaque and send time are.
struct Templates {
    frames: Vec<Vec<u8>>,
    opaque_at: Vec<usize>,
    us_at: Vec<usize>,
}

impl Templates {
    fn new(topic: &str, broker_name: &str, queues: i32, size: usize) -> Self {
        let body = Bytes::from(
            (0..size)
                .map(|i| b'a' + (i % 26) as u8)
                .collect::<Vec<u8>>(),
        );
        let mut props = Properties::new();
        props.insert("WAIT".to_owned(), "true".to_owned());
        props.insert(SEND_US_PROPERTY.to_owned(), SEND_US_MARK.to_owned());
        let props = encode_properties(&props);
        let find = |b: &[u8], pat: &[u8]| {
            let mut hits = b.windows(pat.len()).enumerate().filter(|(_, w)| *w == pat);
            let first = hits.next().map(|(i, _)| i);
            assert!(hits.next().is_none(), "placeholder twice in a frame");
            first.expect("placeholder in frame")
        };
        let opaque_mark = format!("\"opaque\":{OPAQUE_BASE}");
        let mut t = Self {
            frames: Vec::new(),
            opaque_at: Vec::new(),
            us_at: Vec::new(),
        };
        for q in 0..queues {
            let mut cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
                .with_opaque(OPAQUE_BASE as i32)
                .with_body(body.clone());
            SendMessageRequestHeader {
                producer_group: "BenchRateSender".to_owned(),
                topic: topic.to_owned(),
                default_topic: "TBW102".to_owned(),
                default_topic_queue_nums: queues,
                queue_id: q,
                sys_flag: 0,
                born_timestamp: wall_us() as i64 / 1000,
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
            t.opaque_at
                .push(find(&b, opaque_mark.as_bytes()) + opaque_mark.len() - 10);
            t.us_at.push(find(&b, SEND_US_MARK.as_bytes()));
            t.frames.push(b.to_vec());
        }
        t
    }

    /// Message `i`'s frame with its opaque and the send time (now) patched in.
    fn stamp(&mut self, i: u64) -> &[u8] {
        let q = (i % self.frames.len() as u64) as usize;
        let f = &mut self.frames[q];
        put_digits(
            &mut f[self.opaque_at[q]..self.opaque_at[q] + 10],
            (OPAQUE_BASE as u64) + i % 1_000_000_000,
        );
        put_digits(
            &mut f[self.us_at[q]..self.us_at[q] + SEND_US_DIGITS],
            wall_us(),
        );
        f
    }
}

/// Writes `v` as zero-padded decimal filling `out`.
fn put_digits(out: &mut [u8], mut v: u64) {
    for d in out.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use rocketmq_proto::message::{encode_stored_message, Message, MessageExt};

    use super::*;

    fn record(topic: &str, props: &[(&str, &str)], v6: bool) -> Vec<u8> {
        let host: SocketAddr = if v6 {
            "[::1]:10911".parse().unwrap()
        } else {
            "127.0.0.1:10911".parse().unwrap()
        };
        let mut m = Message::new(topic, vec![7u8; 100]);
        for (k, v) in props {
            m = m.with_property(k.to_string(), v.to_string());
        }
        encode_stored_message(&MessageExt {
            message: m,
            queue_id: 1,
            store_size: 0,
            queue_offset: 5,
            commit_log_offset: 77,
            sys_flag: 0,
            born_timestamp: 1,
            born_host: host,
            store_timestamp: 2,
            store_host: host,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body_crc: 0,
            msg_id: String::new(),
            offset_msg_id: String::new(),
        })
        .unwrap()
    }

    #[test]
    fn send_time_is_read_from_a_record() {
        let v = "0001700000000123";
        for v6 in [false, true] {
            for topic in ["T".to_owned(), "x".repeat(200)] {
                let r = record(
                    &topic,
                    &[("A", "b"), (SEND_US_PROPERTY, v), ("WAIT", "1")],
                    v6,
                );
                assert_eq!(record_send_us(&r), Some(1_700_000_000_123));
                let r = record(&topic, &[("WAIT", "true")], v6);
                assert_eq!(record_send_us(&r), None);
            }
        }
    }

    #[test]
    fn templates_patch_opaque_and_time() {
        let mut t = Templates::new("T", "broker-a", 2, 10);
        let before = wall_us();
        let f = t.stamp(3).to_vec();
        let cmd = frame::decode_frame_body(Bytes::copy_from_slice(&f[4..])).unwrap();
        assert_eq!(cmd.opaque, 1_000_000_003);
        let h = SendMessageRequestHeader::from_v2_ext_fields(&cmd.ext_fields).unwrap();
        assert_eq!(h.queue_id, 1);
        let props = rocketmq_proto::message::decode_properties(&h.properties.unwrap());
        let us: u64 = props.get(SEND_US_PROPERTY).unwrap().parse().unwrap();
        assert!(us >= before && us <= wall_us());
    }
}
