//! A trivial RocketMQ server for client benchmarks: one TCP port that plays name server and
//! broker at once and answers every request immediately from pre-encoded templates.
//!
//! - GET_ROUTEINFO_BY_TOPIC (105): SUCCESS, a route for any topic: broker `broker-a` at this
//!   server's own address, `--queues` read/write queues, perm 6.
//! - HEART_BEAT (34), UNREGISTER_CLIENT (35): SUCCESS.
//! - SEND_MESSAGE_V2 (310), SEND_MESSAGE (10), SEND_BATCH_MESSAGE (320, answered as one
//!   message: one offset id, the queue offset advanced by one): SUCCESS with `msgId` (offset id of this
//!   address and a running commit-log offset), `queueId` (the request's), `queueOffset`
//!   (per-queue counter), `MSG_REGION=DefaultRegion`, `TRACE_ON=true`.
//! - oneway requests: no reply; any other code: 3 (REQUEST_CODE_NOT_SUPPORTED).
//!
//! One tokio task per connection, reading into one reused buffer; every reply to what one
//! read brought is written with one write. The templates are JSON headers encoded once by
//! `rocketmq_proto::frame::encode`; per reply only the opaque (and the send fields) change.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use rocketmq_proto::body::{BrokerData, QueueData, TopicRouteData};
use rocketmq_proto::header::SendMessageResponseHeader;
use rocketmq_proto::{
    frame, FrameDecoder, RemotingCommand, RequestCode, ResponseCode, SerializeType,
};
use rocketmq_tests::bench_util::Args;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = "\
trivial_server: name server + broker on one port, answering from templates.
  --listen ADDR         listen address (127.0.0.1:19876)
  --queues N            queues per topic in routes (4)
  --duration-secs S     exit after S seconds (600)
  --threads N           tokio worker threads; 1 = current-thread runtime (1)";

/// Marker values placed in a template and located in its encoded bytes.
const OPAQUE_MARK: i32 = 1_987_654_321;
const QID_MARK: &str = "@QID@";
const QOFF_MARK: &str = "@QOFF@";
const MSGID_MARK: &str = "@MSGID@";
const CODE_MARK: &str = "@CODE@";

#[derive(Clone, Copy, Debug)]
enum Hole {
    Opaque,
    QueueId,
    QueueOffset,
    MsgId,
    Code,
}

#[derive(Debug)]
enum Piece {
    Lit(Bytes),
    Hole(Hole),
}

/// A reply frame with holes: header pieces plus a fixed body.
#[derive(Debug)]
struct Template {
    pieces: Vec<Piece>,
    body: Bytes,
}

impl Template {
    /// Encodes `cmd` (JSON) and splits its header at the markers it contains.
    fn new(cmd: &RemotingCommand) -> Self {
        let mut header = BytesMut::new();
        frame::encode_header(cmd, SerializeType::Json, &mut header).expect("encode template");
        let header = header.to_vec();
        let opaque_text = OPAQUE_MARK.to_string();
        let marks: [(&str, Hole); 5] = [
            (&opaque_text, Hole::Opaque),
            (QID_MARK, Hole::QueueId),
            (QOFF_MARK, Hole::QueueOffset),
            (MSGID_MARK, Hole::MsgId),
            (CODE_MARK, Hole::Code),
        ];
        let mut pieces = Vec::new();
        let mut rest: &[u8] = &header;
        loop {
            let next = marks
                .iter()
                .filter_map(|(m, h)| find(rest, m.as_bytes()).map(|i| (i, m.len(), *h)))
                .min_by_key(|&(i, _, _)| i);
            match next {
                Some((i, len, hole)) => {
                    if i > 0 {
                        pieces.push(Piece::Lit(Bytes::copy_from_slice(&rest[..i])));
                    }
                    pieces.push(Piece::Hole(hole));
                    rest = &rest[i + len..];
                }
                None => {
                    if !rest.is_empty() {
                        pieces.push(Piece::Lit(Bytes::copy_from_slice(rest)));
                    }
                    break;
                }
            }
        }
        Self {
            pieces,
            body: cmd.body.clone(),
        }
    }

    /// Appends one reply frame to `out`, filling the holes from `v`.
    #[inline]
    fn render(&self, v: &Values<'_>, out: &mut BytesMut) {
        out.reserve(256 + self.body.len());
        let start = out.len();
        out.put_u64(0); // length and header-length words, patched below
        for p in &self.pieces {
            match p {
                Piece::Lit(b) => out.put_slice(b),
                Piece::Hole(Hole::Opaque) => put_int(out, i64::from(v.opaque)),
                Piece::Hole(Hole::QueueId) => out.put_slice(v.queue_id),
                Piece::Hole(Hole::QueueOffset) => put_int(out, v.queue_offset),
                Piece::Hole(Hole::MsgId) => {
                    out.put_slice(v.msg_id_prefix);
                    put_hex_u64(out, v.commit_offset as u64);
                }
                Piece::Hole(Hole::Code) => put_int(out, i64::from(v.code)),
            }
        }
        let header_len = out.len() - start - 8;
        out.put_slice(&self.body);
        let frame_len = (out.len() - start - 4) as u32;
        out[start..start + 4].copy_from_slice(&frame_len.to_be_bytes());
        // Serialize type JSON (0) in the top byte.
        out[start + 4..start + 8].copy_from_slice(&(header_len as u32).to_be_bytes());
    }
}

/// What a reply's holes are filled with.
struct Values<'a> {
    opaque: i32,
    queue_id: &'a [u8],
    queue_offset: i64,
    msg_id_prefix: &'a [u8],
    commit_offset: i64,
    code: i32,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn put_int(out: &mut BytesMut, v: i64) {
    let mut buf = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.put_u8(b'-');
    }
    out.put_slice(&buf[i..]);
}

fn put_hex_u64(out: &mut BytesMut, v: u64) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut buf = [0u8; 16];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = HEX[((v >> (60 - 4 * i)) & 0xF) as usize];
    }
    out.put_slice(&buf);
}

/// Everything the connections share.
struct Shared {
    route: Template,
    ok_empty: Template,
    send_ok: Template,
    not_supported: Template,
    /// Offset msg id minus its 16 offset hex digits (store address part).
    msg_id_prefix: Vec<u8>,
    commit_offset: AtomicI64,
    queue_offsets: Vec<AtomicI64>,
    requests: AtomicU64,
    connections: AtomicU64,
}

/// Per-message size added to the commit-log offset counter (keeps offsets realistic).
const FAKE_STORED_SIZE: i64 = 1200;

impl Shared {
    fn new(addr: SocketAddr, queues: i32) -> Self {
        let addr_text = addr.to_string();
        let route = TopicRouteData {
            broker_datas: vec![BrokerData {
                broker_addrs: [(0, addr_text)].into_iter().collect(),
                broker_name: "broker-a".to_owned(),
                cluster: "DefaultCluster".to_owned(),
                enable_acting_master: false,
                zone_name: None,
            }],
            filter_server_table: Default::default(),
            order_topic_conf: None,
            queue_datas: vec![QueueData {
                broker_name: "broker-a".to_owned(),
                perm: 6,
                read_queue_nums: queues,
                topic_sys_flag: 0,
                write_queue_nums: queues,
            }],
        };
        let route_cmd = RemotingCommand::response(ResponseCode::SUCCESS, OPAQUE_MARK, None)
            .with_body(route.to_json().into_bytes());
        let ok_cmd = RemotingCommand::response(ResponseCode::SUCCESS, OPAQUE_MARK, None);

        let mut send_cmd = RemotingCommand::response(ResponseCode::SUCCESS, OPAQUE_MARK, None);
        SendMessageResponseHeader {
            msg_id: MSGID_MARK.to_owned(),
            queue_id: 0,
            queue_offset: 0,
            transaction_id: None,
            batch_uniq_id: None,
            recall_handle: None,
            region: Some("DefaultRegion".to_owned()),
            trace_on: true,
        }
        .to_ext_fields(&mut send_cmd.ext_fields);
        // The typed header writes numbers; put the markers in their place.
        send_cmd.ext_fields.insert("queueId", QID_MARK);
        send_cmd.ext_fields.insert("queueOffset", QOFF_MARK);

        let mut ns_cmd = RemotingCommand::response(
            ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
            OPAQUE_MARK,
            Some(format!("request type {CODE_MARK} not supported")),
        );
        ns_cmd.code = ResponseCode::REQUEST_CODE_NOT_SUPPORTED.0;

        let full_id = rocketmq_proto::message::encode_offset_msg_id(addr, 0);
        let msg_id_prefix = full_id.as_bytes()[..full_id.len() - 16].to_vec();

        let n = usize::try_from(queues).unwrap_or(0).max(64);
        Self {
            route: Template::new(&route_cmd),
            ok_empty: Template::new(&ok_cmd),
            send_ok: Template::new(&send_cmd),
            not_supported: Template::new(&ns_cmd),
            msg_id_prefix,
            commit_offset: AtomicI64::new(0),
            queue_offsets: (0..n).map(|_| AtomicI64::new(0)).collect(),
            requests: AtomicU64::new(0),
            connections: AtomicU64::new(0),
        }
    }

    /// Appends the reply to `cmd` (if it gets one) to `out`.
    fn answer(&self, cmd: &RemotingCommand, out: &mut BytesMut) {
        if cmd.is_response() || cmd.is_oneway() {
            return;
        }
        let mut v = Values {
            opaque: cmd.opaque,
            queue_id: b"0",
            queue_offset: 0,
            msg_id_prefix: &self.msg_id_prefix,
            commit_offset: 0,
            code: cmd.code,
        };
        let t = match RequestCode(cmd.code) {
            RequestCode::GET_ROUTEINFO_BY_TOPIC => &self.route,
            RequestCode::HEART_BEAT | RequestCode::UNREGISTER_CLIENT => &self.ok_empty,
            RequestCode::SEND_MESSAGE_V2
            | RequestCode::SEND_MESSAGE
            | RequestCode::SEND_BATCH_MESSAGE => {
                let key = if cmd.code == RequestCode::SEND_MESSAGE.0 {
                    "queueId"
                } else {
                    "e"
                };
                let qid_text = cmd.ext_fields.get(key).unwrap_or("0");
                let qid: usize = qid_text.parse().unwrap_or(0);
                // Echo only plain digits, so the JSON stays valid whatever the request said.
                if !qid_text.is_empty() && qid_text.bytes().all(|b| b.is_ascii_digit()) {
                    v.queue_id = qid_text.as_bytes();
                }
                let counter = &self.queue_offsets[qid % self.queue_offsets.len()];
                v.queue_offset = counter.fetch_add(1, Ordering::Relaxed);
                v.commit_offset = self
                    .commit_offset
                    .fetch_add(FAKE_STORED_SIZE, Ordering::Relaxed);
                &self.send_ok
            }
            _ => &self.not_supported,
        };
        t.render(&v, out);
    }
}

async fn serve(shared: Arc<Shared>, mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut dec = FrameDecoder::new();
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut out = BytesMut::with_capacity(64 * 1024);
    loop {
        if buf.capacity() - buf.len() < 16 * 1024 {
            buf.reserve(64 * 1024);
        }
        match stream.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut n = 0u64;
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(cmd)) => {
                    n += 1;
                    shared.answer(&cmd, &mut out);
                }
                Ok(None) => break,
                Err(e) => {
                    eprintln!("trivial_server: closing a connection: {e}");
                    return;
                }
            }
        }
        shared.requests.fetch_add(n, Ordering::Relaxed);
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
    }
}

async fn run(listen: String, queues: i32, duration: Duration) {
    let listener = match TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("trivial_server: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().expect("local addr");
    let shared = Arc::new(Shared::new(addr, queues));
    eprintln!("trivial_server: listening on {addr} (queues={queues}, exits after {duration:?})");
    let accept = {
        let shared = shared.clone();
        async move {
            loop {
                match listener.accept().await {
                    Ok((s, _)) => {
                        shared.connections.fetch_add(1, Ordering::Relaxed);
                        tokio::spawn(serve(shared.clone(), s));
                    }
                    Err(e) => {
                        eprintln!("trivial_server: accept: {e}");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
        }
    };
    let _ = tokio::time::timeout(duration, accept).await;
    eprintln!(
        "trivial_server: exiting after {duration:?}: {} connections, {} requests",
        shared.connections.load(Ordering::Relaxed),
        shared.requests.load(Ordering::Relaxed)
    );
}

fn main() {
    let mut args = Args::parse("trivial_server", USAGE);
    let listen = args.str("listen", "127.0.0.1:19876");
    let queues: i32 = args.num("queues", 4);
    let secs: u64 = args.num("duration-secs", 600);
    let threads: usize = args.num("threads", 1);
    args.finish();
    let rt = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
    .expect("tokio runtime");
    rt.block_on(run(listen, queues, Duration::from_secs(secs)));
    // Open connections' tasks are dropped with the runtime.
    rt.shutdown_timeout(Duration::from_millis(100));
}
