//! Misbehaving servers on loopback: a name server that routes a topic to a real broker and
//! to a fake broker, and the fake broker, which answers every request badly.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rocketmq_proto::body::{BrokerData, QueueData, TopicRouteData};
use rocketmq_proto::header::GetRouteInfoRequestHeader;
use rocketmq_proto::{
    frame, FrameDecoder, RemotingCommand, RequestCode, ResponseCode, SerializeType,
};

/// How the fake broker misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// A frame whose serialize type is 9.
    GarbageFrame,
    /// A length prefix of 2 GiB.
    OversizeLength,
    /// Half a valid response, then close.
    CloseMidFrame,
}

/// A server thread on an ephemeral loopback port, stopped on drop.
pub struct FakeServer {
    /// `127.0.0.1:port`.
    pub addr: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    fn spawn(
        handler: impl Fn(RemotingCommand, &mut TcpStream) -> bool + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let (s2, handler) = (stop.clone(), Arc::new(handler));
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s2.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(mut conn) = conn else { continue };
                let (h, s3) = (handler.clone(), s2.clone());
                std::thread::spawn(move || serve(&mut conn, &*h, &s3));
            }
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// A name server answering every topic with `real_broker` (as `broker-a`) and `fake_broker`.
    pub fn name_server(real_broker: &str, fake_broker: &str) -> Self {
        let (real, fake) = (real_broker.to_owned(), fake_broker.to_owned());
        Self::spawn(move |cmd, out| {
            let mut resp = RemotingCommand::response(ResponseCode::SUCCESS, cmd.opaque, None);
            if cmd.request_code() == RequestCode::GET_ROUTEINFO_BY_TOPIC {
                let _topic = GetRouteInfoRequestHeader::from_ext_fields(&cmd.ext_fields);
                resp.body = Bytes::from(route(&real, &fake).to_json().into_bytes());
            } else {
                resp.code = ResponseCode::REQUEST_CODE_NOT_SUPPORTED.0;
            }
            write(out, &resp)
        })
    }

    /// A broker that answers every request with `how`.
    pub fn broker(how: Misbehaviour) -> Self {
        Self::spawn(move |cmd, out| {
            let bytes: Vec<u8> = match how {
                Misbehaviour::GarbageFrame => {
                    let mut v = 12u32.to_be_bytes().to_vec();
                    v.extend_from_slice(&[
                        9, 0, 0, 8, b'g', b'a', b'r', b'b', b'a', b'g', b'e', b'!',
                    ]);
                    v
                }
                Misbehaviour::OversizeLength => 0x7FFF_FFF0u32.to_be_bytes().to_vec(),
                Misbehaviour::CloseMidFrame => {
                    let resp = RemotingCommand::response(ResponseCode::SUCCESS, cmd.opaque, None);
                    let full = frame::encode_to_bytes(&resp, SerializeType::Json).expect("encode");
                    full[..full.len() / 2].to_vec()
                }
            };
            let _ = out.write_all(&bytes);
            how != Misbehaviour::CloseMidFrame
        })
    }
}

fn route(real: &str, fake: &str) -> TopicRouteData {
    let qd = |b: &str| QueueData {
        broker_name: b.into(),
        read_queue_nums: 4,
        write_queue_nums: 4,
        perm: 6,
        topic_sys_flag: 0,
    };
    let bd = |b: &str, a: &str| BrokerData {
        cluster: "DefaultCluster".into(),
        broker_name: b.into(),
        broker_addrs: [(0i64, a.to_owned())].into_iter().collect(),
        enable_acting_master: false,
        zone_name: None,
    };
    TopicRouteData {
        order_topic_conf: None,
        queue_datas: vec![qd("broker-a"), qd("broker-fake")],
        broker_datas: vec![bd("broker-a", real), bd("broker-fake", fake)],
        filter_server_table: Default::default(),
    }
}

fn write(out: &mut TcpStream, cmd: &RemotingCommand) -> bool {
    frame::encode_to_bytes(cmd, SerializeType::Json)
        .map(|b| out.write_all(&b).is_ok())
        .unwrap_or(false)
}

/// Reads frames and hands each to `handler` until it returns false or the peer goes.
fn serve(
    conn: &mut TcpStream,
    handler: &dyn Fn(RemotingCommand, &mut TcpStream) -> bool,
    stop: &AtomicBool,
) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buf = BytesMut::new();
    let mut dec = FrameDecoder::new();
    let mut chunk = [0u8; 8192];
    while !stop.load(Ordering::Relaxed) {
        match dec.decode(&mut buf) {
            Ok(Some(cmd)) => {
                if !cmd.is_oneway() && !handler(cmd, conn) {
                    return;
                }
                continue;
            }
            Ok(None) => {}
            Err(_) => return,
        }
        match conn.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(&self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
