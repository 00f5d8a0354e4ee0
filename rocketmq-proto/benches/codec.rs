//! Codec benchmarks: SEND_MESSAGE_V2 request (1 KiB body) and its response, in both
//! serializations, route JSON decoding, and a pull answer's 32 stored messages.

use bytes::{Bytes, BytesMut};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rocketmq_proto::body::TopicRouteData;
use rocketmq_proto::header::{SendMessageRequestHeader, SendMessageResponseHeader};
use rocketmq_proto::message::stored::{decode_stored_messages_with, DecodeOptions};
use rocketmq_proto::message::{
    decode_stored_messages, encode_stored_message, keys, Message, MessageExt,
};
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

/// A pull answer's body: 32 records of 1 KiB with the properties a producer and the broker
/// set (UNIQ_KEY, WAIT, TAGS, KEYS, CLUSTER).
fn pull_body() -> Bytes {
    let mut body = Vec::new();
    for i in 0..32u8 {
        let msg = Message::new("BenchTopic", vec![i; 1024])
            .with_tags("TagA")
            .with_keys([format!("key-{i}")])
            .with_property(keys::UNIQ_KEY, format!("7F0000010A2B18B4AAC2{i:012X}"))
            .with_property(keys::CLUSTER, "DefaultCluster");
        let ext = MessageExt {
            message: msg,
            queue_id: 1,
            store_size: 0,
            queue_offset: i64::from(i),
            commit_log_offset: 4096 * i64::from(i),
            sys_flag: 0,
            born_timestamp: 1_700_000_000_000,
            born_host: "127.0.0.1:54321".parse().unwrap(),
            store_timestamp: 1_700_000_000_001,
            store_host: "127.0.0.1:10911".parse().unwrap(),
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body_crc: 0,
            msg_id: String::new(),
            offset_msg_id: String::new(),
        };
        body.extend(encode_stored_message(&ext).unwrap());
    }
    Bytes::from(body)
}

fn stored(c: &mut Criterion) {
    let body = pull_body();
    let mut g = c.benchmark_group("pull_body_32x1k");
    g.throughput(Throughput::Elements(32));
    g.bench_function("decode", |b| {
        b.iter(|| black_box(decode_stored_messages(black_box(&body)).unwrap()))
    });
    let no_crc = DecodeOptions::default().with_verify_body_crc(false);
    g.bench_function("decode_without_crc", |b| {
        b.iter(|| black_box(decode_stored_messages_with(black_box(&body), &no_crc).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, codec, stored);
criterion_main!(benches);
