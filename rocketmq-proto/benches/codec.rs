//! Codec benchmarks: SEND_MESSAGE_V2 request (1 KiB body) and its response, in both
//! serializations, plus route JSON decoding.

use bytes::{Bytes, BytesMut};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rocketmq_proto::body::TopicRouteData;
use rocketmq_proto::header::{SendMessageRequestHeader, SendMessageResponseHeader};
use rocketmq_proto::{
    frame, FrameDecoder, RemotingCommand, RequestCode, ResponseCode, SerializeType,
};

fn send_request() -> RemotingCommand {
    let header = SendMessageRequestHeader {
        producer_group: "please_rename_unique_group_name".into(),
        topic: "TopicTest".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 3,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 0,
        properties: Some("TAGS\u{1}TagA\u{2}UNIQ_KEY\u{1}C0A8010A3039123456780001E2400001\u{2}WAIT\u{1}true\u{2}".into()),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        max_reconsume_times: None,
        batch: Some(false),
        broker_name: Some("broker-a".into()),
    };
    let mut cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2).with_opaque(12345);
    header.to_v2_ext_fields(&mut cmd.ext_fields);
    cmd.body = Bytes::from(vec![b'x'; 1024]);
    cmd
}

fn send_response() -> RemotingCommand {
    let mut cmd = RemotingCommand::response(ResponseCode::SUCCESS, 12345, None);
    SendMessageResponseHeader {
        msg_id: "7F00000100002A9F0000000000000000".into(),
        queue_id: 3,
        queue_offset: 42,
        transaction_id: Some("C0A8010A3039123456780001E2400001".into()),
        region: Some("DefaultRegion".into()),
        trace_on: true,
        ..Default::default()
    }
    .to_ext_fields(&mut cmd.ext_fields);
    cmd
}

const ROUTE: &str = r#"{"brokerDatas":[{"brokerAddrs":{"0":"192.168.1.20:10911","1":"192.168.1.21:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false},{"brokerAddrs":{"0":"192.168.1.30:10911"},"brokerName":"broker-b","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4},{"brokerName":"broker-b","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;

fn codec(c: &mut Criterion) {
    for (name, cmd) in [
        ("send_request_1k", send_request()),
        ("send_response", send_response()),
    ] {
        for ser in [SerializeType::Json, SerializeType::RocketMq] {
            let wire = frame::encode_to_bytes(&cmd, ser).unwrap();
            let mut g = c.benchmark_group(format!("{name}/{ser:?}"));
            g.throughput(Throughput::Bytes(wire.len() as u64));
            let mut out = BytesMut::with_capacity(4096);
            g.bench_function("encode", |b| {
                b.iter(|| {
                    out.clear();
                    frame::encode(black_box(&cmd), ser, &mut out).unwrap();
                })
            });
            let mut dec = FrameDecoder::new();
            g.bench_function("decode", |b| {
                b.iter(|| {
                    let mut src = BytesMut::from(&wire[..]);
                    black_box(dec.decode(&mut src).unwrap().unwrap())
                })
            });
            g.finish();
        }
    }
    // The copy into a fresh BytesMut above is part of "decode"; measure it alone to subtract.
    let wire = frame::encode_to_bytes(&send_request(), SerializeType::Json).unwrap();
    c.bench_function("baseline/copy_frame_into_bytesmut", |b| {
        b.iter(|| black_box(BytesMut::from(&wire[..])))
    });
    c.bench_function("route_json/decode_two_brokers", |b| {
        b.iter(|| black_box(TopicRouteData::from_json(black_box(ROUTE.as_bytes())).unwrap()))
    });
    let legacy = ROUTE.replace("\"0\":", "0:").replace("\"1\":", "1:");
    c.bench_function("route_json/decode_fastjson_legacy", |b| {
        b.iter(|| black_box(TopicRouteData::from_json(black_box(legacy.as_bytes())).unwrap()))
    });
}

criterion_group!(benches, codec);
criterion_main!(benches);
