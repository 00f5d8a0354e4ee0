//! Message module: spec vectors V4/V5, round trips, error table, validation, ids.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rocketmq_proto::message::batch::{unwrap_inner_batch, validate_batch};
use rocketmq_proto::message::compress::compress_zlib;
use rocketmq_proto::message::flags::sys_flag;
use rocketmq_proto::message::stored::{
    body_crc32, decode_stored_message_with, decode_stored_messages_with,
    encode_stored_message_with_raw_properties, DecodeOptions,
};
use rocketmq_proto::message::validate::{
    is_system_topic, validate_body, validate_group, validate_message, validate_producer_group,
    validate_topic,
};
use rocketmq_proto::message::{
    decode_batch, decode_offset_msg_id, decode_properties, decode_stored_message,
    decode_stored_messages, decode_uniq_id, encode_batch, encode_batch_into, encode_offset_msg_id,
    encode_properties, encode_properties_into, encode_properties_with, encode_stored_message, keys,
    BatchEntry, BatchError, Message, MessageDecodeError, MessageExt, MessageIdError, Properties,
    UniqIdGenerator, ValidationError,
};

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// Spec §11 V4 (167 bytes).
fn v4() -> Vec<u8> {
    hex("00 00 00 a7 da a3 20 a7 77 d1 89 82 00 00 00 01
         00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
         00 00 12 34 00 00 00 00 00 00 01 8b cf e5 68 00
         c0 a8 01 0a 00 00 d4 31 00 00 01 8b cf e5 68 05
         c0 a8 01 14 00 00 2a 9f 00 00 00 00 00 00 00 00
         00 00 00 00 00 00 00 05 48 65 6c 6c 6f 09 54 6f
         70 69 63 54 65 73 74 00 3e 55 4e 49 51 5f 4b 45
         59 01 43 30 41 38 30 31 30 41 33 30 33 39 31 32
         33 34 35 36 37 38 30 30 30 31 45 32 34 30 30 30
         30 31 02 57 41 49 54 01 74 72 75 65 02 54 41 47
         53 01 54 61 67 41 02")
}

const V4_PROPS: &str =
    "UNIQ_KEY\u{1}C0A8010A3039123456780001E2400001\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA\u{2}";
const V4_UNIQ: &str = "C0A8010A3039123456780001E2400001";

/// Spec §11 V5 (78 bytes).
fn v5() -> Vec<u8> {
    hex("00 00 00 21 00 00 00 00 00 00 00 00 00 00 00 00
         00 00 00 01 41 00 0a 57 41 49 54 01 74 72 75 65
         02 00 00 00 2d 00 00 00 00 00 00 00 00 00 00 00
         00 00 00 00 02 42 43 00 15 4b 45 59 53 01 6b 31
         20 6b 32 02 57 41 49 54 01 74 72 75 65 02")
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn props(pairs: &[(&str, &str)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn decode_one(bytes: &[u8]) -> Result<MessageExt, MessageDecodeError> {
    let v = decode_stored_messages(&Bytes::copy_from_slice(bytes))?;
    assert_eq!(v.len(), 1);
    Ok(v.into_iter().next().unwrap())
}

fn sample_ext() -> MessageExt {
    decode_one(&v4()).unwrap()
}

// ---------------------------------------------------------------- V4

#[test]
fn v4_decodes_to_documented_values() {
    let m = sample_ext();
    assert_eq!(m.message.topic, "TopicTest");
    assert_eq!(m.message.flag, 0);
    assert_eq!(m.message.body, Bytes::from_static(b"Hello"));
    assert_eq!(
        m.message.properties,
        props(&[("UNIQ_KEY", V4_UNIQ), ("WAIT", "true"), ("TAGS", "TagA")])
    );
    assert_eq!(m.message.tags(), Some("TagA"));
    assert_eq!(m.queue_id, 1);
    assert_eq!(m.store_size, 167);
    assert_eq!(m.queue_offset, 0);
    assert_eq!(m.commit_log_offset, 0x1234);
    assert_eq!(m.sys_flag, 0);
    assert_eq!(m.born_timestamp, 1_700_000_000_000);
    assert_eq!(m.born_host, addr("192.168.1.10:54321"));
    assert_eq!(m.store_timestamp, 1_700_000_000_005);
    assert_eq!(m.store_host, addr("192.168.1.20:10911"));
    assert_eq!(m.reconsume_times, 0);
    assert_eq!(m.prepared_transaction_offset, 0);
    assert_eq!(m.body_crc, 0x77D1_8982);
    assert_eq!(m.msg_id, V4_UNIQ);
    assert_eq!(m.offset_msg_id, "C0A8011400002A9F0000000000001234");
}

#[test]
fn v4_reencodes_byte_for_byte() {
    let m = sample_ext();
    assert_eq!(
        encode_stored_message_with_raw_properties(&m, V4_PROPS).unwrap(),
        v4()
    );
    // With key-ordered properties: same length, same decoded message.
    let sorted = encode_stored_message(&m).unwrap();
    assert_eq!(sorted.len(), 167);
    assert_eq!(decode_one(&sorted).unwrap(), m);
}

#[test]
fn v4_single_record_api_advances() {
    let mut two = v4();
    two.extend_from_slice(&v4());
    let mut buf: &[u8] = &two;
    let a = decode_stored_message(&mut buf).unwrap();
    assert_eq!(buf.len(), 167);
    let b = decode_stored_message(&mut buf).unwrap();
    assert!(buf.is_empty());
    assert_eq!(a, b);
    assert_eq!(a, sample_ext());
    assert!(decode_stored_message(&mut buf).is_err());
}

#[test]
fn v4_truncated_at_every_length_is_an_error() {
    let full = v4();
    assert!(decode_stored_messages(&Bytes::new()).unwrap().is_empty());
    for len in 0..full.len() {
        let cut = &full[..len];
        if len > 0 {
            let r = decode_stored_messages(&Bytes::copy_from_slice(cut));
            assert!(
                matches!(r, Err(MessageDecodeError::Truncated { index: 0, .. })),
                "{len}: {r:?}"
            );
        }
        let mut buf = cut;
        assert!(decode_stored_message(&mut buf).is_err(), "{len}");
        assert_eq!(buf.len(), len, "buffer must not advance on error");
        // A complete record followed by the truncated one: error names record 1.
        let mut two = full.clone();
        two.extend_from_slice(cut);
        let r = decode_stored_messages(&Bytes::from(two));
        if len == 0 {
            assert_eq!(r.unwrap().len(), 1);
        } else {
            assert!(
                matches!(r, Err(MessageDecodeError::Truncated { index: 1, offset, .. }) if offset >= 167),
                "{len}: {r:?}"
            );
        }
    }
}

// ---------------------------------------------------------------- error table

fn put_i32(buf: &mut [u8], at: usize, v: i32) {
    buf[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

type Check = fn(&MessageDecodeError) -> bool;

#[test]
fn every_decode_error_variant() {
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = v4();
        f(&mut b);
        b
    };
    let mut compressed = sample_ext();
    compressed.message.body = Bytes::from(compress_zlib(&[7u8; 1000], 5));
    compressed.sys_flag = sys_flag::COMPRESSED_FLAG | sys_flag::COMPRESSION_ZLIB;
    let compressed = encode_stored_message(&compressed).unwrap();

    let cases: Vec<(&str, Vec<u8>, DecodeOptions, Check)> = vec![
        (
            "truncated",
            v4()[..50].to_vec(),
            DecodeOptions::default(),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::Truncated {
                        index: 0,
                        field: "record",
                        offset: 0,
                        needed: 167,
                        available: 50
                    }
                )
            },
        ),
        (
            "truncated total size",
            vec![0, 0],
            DecodeOptions::default(),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::Truncated {
                        field: "TOTALSIZE",
                        needed: 4,
                        available: 2,
                        ..
                    }
                )
            },
        ),
        (
            "bad magic",
            with(&|b| put_i32(b, 4, 0x1234)),
            DecodeOptions::default(),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::BadMagic {
                        index: 0,
                        offset: 4,
                        magic: 0x1234
                    }
                )
            },
        ),
        (
            "blank magic",
            with(&|b| put_i32(b, 4, 0xCBD4_3194_u32 as i32)),
            DecodeOptions::default(),
            |e| matches!(e, MessageDecodeError::BadMagic { .. }),
        ),
        (
            "total size below minimum",
            with(&|b| put_i32(b, 0, 90)),
            DecodeOptions::default(),
            |e| matches!(e, MessageDecodeError::BadTotalSize { total_size: 90, .. }),
        ),
        (
            "negative total size",
            with(&|b| put_i32(b, 0, -1)),
            DecodeOptions::default(),
            |e| matches!(e, MessageDecodeError::BadTotalSize { total_size: -1, .. }),
        ),
        (
            "total size larger than fields",
            with(&|b| {
                put_i32(b, 0, 168);
                b.push(0);
            }),
            DecodeOptions::default(),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::BadTotalSize {
                        total_size: 168,
                        offset: 0,
                        ..
                    }
                )
            },
        ),
        (
            "total size smaller than fields",
            with(&|b| put_i32(b, 0, 166)),
            DecodeOptions::default(),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::FieldExceedsRecord {
                        field: "PROPERTIES",
                        offset: 105,
                        total_size: 166,
                        ..
                    }
                )
            },
        ),
        (
            "negative body length",
            with(&|b| put_i32(b, 84, -1)),
            DecodeOptions::default(),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::NegativeLength {
                        field: "BODYLEN",
                        offset: 84,
                        len: -1,
                        ..
                    }
                )
            },
        ),
        (
            "huge body length",
            with(&|b| put_i32(b, 84, i32::MAX)),
            DecodeOptions::default(),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::FieldExceedsRecord { field: "BODY", .. }
                )
            },
        ),
        (
            "negative topic length",
            with(&|b| b[93] = 0x80),
            DecodeOptions::default(),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::NegativeLength {
                        field: "TOPICLEN",
                        len: -128,
                        ..
                    }
                )
            },
        ),
        (
            "negative properties length",
            with(&|b| b[103] = 0xFF),
            DecodeOptions::default(),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::NegativeLength {
                        field: "PROPERTIESLEN",
                        ..
                    }
                )
            },
        ),
        (
            "invalid port",
            with(&|b| put_i32(b, 52, 65536)),
            DecodeOptions::default(),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::InvalidPort {
                        field: "BORNHOST",
                        offset: 52,
                        port: 65536,
                        ..
                    }
                )
            },
        ),
        (
            "ipv6 flag on ipv4 record",
            with(&|b| put_i32(b, 36, sys_flag::STOREHOSTADDRESS_V6_FLAG)),
            DecodeOptions::default(),
            |e| matches!(e, MessageDecodeError::FieldExceedsRecord { .. }),
        ),
        (
            "body crc mismatch",
            with(&|b| b[88] = b'J'),
            DecodeOptions::default(),
            |e| matches!(e, MessageDecodeError::BodyCrcMismatch { index: 0, expected: 0x77D1_8982, actual } if *actual == body_crc32(b"Jello")),
        ),
        (
            "not zlib",
            with(&|b| put_i32(b, 36, sys_flag::COMPRESSED_FLAG)),
            DecodeOptions::default(),
            |e| matches!(e, MessageDecodeError::Decompress { index: 0, .. }),
        ),
        (
            "decompressed too large",
            compressed,
            DecodeOptions::default().with_max_body_len(999),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::DecompressedTooLarge { index: 0, max: 999 }
                )
            },
        ),
        (
            "not lz4",
            with(&|b| put_i32(b, 36, 0x101)),
            DecodeOptions::default(),
            |e| matches!(e, MessageDecodeError::Decompress { index: 0, message } if message.starts_with("LZ4")),
        ),
        (
            "not zstd",
            with(&|b| put_i32(b, 36, 0x201)),
            DecodeOptions::default(),
            |e| matches!(e, MessageDecodeError::Decompress { index: 0, message } if message.starts_with("ZSTD")),
        ),
        (
            "unknown compression type",
            with(&|b| put_i32(b, 36, 0x401)),
            DecodeOptions::default(),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::UnsupportedCompression {
                        compression_type: 0x400,
                        ..
                    }
                )
            },
        ),
        (
            "topic not utf-8",
            with(&|b| b[94] = 0xFF),
            DecodeOptions::default(),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::InvalidUtf8 {
                        field: "TOPIC",
                        offset: 94,
                        ..
                    }
                )
            },
        ),
        (
            "properties not utf-8",
            with(&|b| b[105] = 0xC3),
            DecodeOptions::default(),
            |e| {
                matches!(
                    e,
                    MessageDecodeError::InvalidUtf8 {
                        field: "PROPERTIES",
                        ..
                    }
                )
            },
        ),
    ];
    for (name, bytes, options, check) in cases {
        let r = decode_stored_messages_with(&Bytes::from(bytes.clone()), &options);
        match r {
            Err(ref e) if check(e) => {}
            other => panic!("{name}: unexpected {other:?}"),
        }
        // Display names the record.
        assert!(r.unwrap_err().to_string().contains("record"), "{name}");
        let mut buf: &[u8] = &bytes;
        assert!(
            decode_stored_message_with(&mut buf, &options).is_err(),
            "{name}"
        );
    }
}

#[test]
fn crc_check_can_be_disabled() {
    let mut b = v4();
    b[88] = b'J';
    let opts = DecodeOptions::default().with_verify_body_crc(false);
    let m = decode_stored_messages_with(&Bytes::from(b), &opts).unwrap();
    assert_eq!(m[0].message.body, Bytes::from_static(b"Jello"));
}

#[test]
fn second_bad_record_is_named() {
    let mut b = v4();
    let mut bad = v4();
    bad[88] = b'J';
    b.extend_from_slice(&bad);
    let e = decode_stored_messages(&Bytes::from(b)).unwrap_err();
    assert!(
        matches!(e, MessageDecodeError::BodyCrcMismatch { index: 1, .. }),
        "{e:?}"
    );
}

// ---------------------------------------------------------------- stored round trips

#[test]
fn compressed_ipv6_and_v2_records() {
    let mut m = sample_ext();
    let body = b"a body that compresses well well well well well".repeat(20);
    m.message.body = Bytes::from(compress_zlib(&body, 5));
    m.message.topic = "T".repeat(200);
    m.sys_flag = sys_flag::COMPRESSED_FLAG | sys_flag::COMPRESSION_ZLIB | sys_flag::MULTI_TAGS_FLAG;
    m.born_host = addr("[2001:db8::1]:1234");
    m.store_host = addr("[::1]:10911");
    let bytes = encode_stored_message(&m).unwrap();
    assert_eq!(&bytes[4..8], &[0xDA, 0xA3, 0x20, 0xAB]);
    let d = decode_one(&bytes).unwrap();
    assert_eq!(d.message.body, Bytes::from(body));
    assert_eq!(d.message.topic, m.message.topic);
    assert_eq!(
        d.sys_flag,
        sys_flag::COMPRESSION_ZLIB
            | sys_flag::MULTI_TAGS_FLAG
            | sys_flag::BORNHOST_V6_FLAG
            | sys_flag::STOREHOSTADDRESS_V6_FLAG
    );
    assert_eq!(d.born_host, m.born_host);
    assert_eq!(d.store_host, m.store_host);
    assert_eq!(d.store_size as usize, bytes.len());
    assert_eq!(d.offset_msg_id.len(), 56);
    assert_eq!(d.body_crc, body_crc32(&m.message.body));
}

#[test]
fn msg_id_falls_back_to_offset_id() {
    let mut m = sample_ext();
    m.message.properties.remove(keys::UNIQ_KEY);
    let d = decode_one(&encode_stored_message(&m).unwrap()).unwrap();
    assert_eq!(d.msg_id, "C0A8011400002A9F0000000000001234");
    assert_eq!(d.msg_id, d.offset_msg_id);
}

#[test]
fn stored_encode_limits() {
    let mut m = sample_ext();
    m.message.topic = "T".repeat(40_000);
    assert!(encode_stored_message(&m).is_err());
    let mut m = sample_ext();
    m.message.properties.insert("big", "v".repeat(40_000));
    assert!(encode_stored_message(&m).is_err());
}

fn arb_props() -> impl Strategy<Value = Properties> {
    proptest::collection::btree_map("[^\u{1}\u{2}]{1,12}", "[^\u{1}\u{2}]{1,24}", 0..6)
        .prop_map(|m| m.into_iter().collect::<Properties>())
}

fn arb_host() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<[u8; 16]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
    ]
}

prop_compose! {
    fn arb_ext()(
        topic in "[%|a-zA-Z0-9_-]{0,200}",
        flag in any::<i32>(),
        properties in arb_props(),
        body in proptest::collection::vec(any::<u8>(), 0..300),
        queue_id in any::<i32>(),
        queue_offset in any::<i64>(),
        commit_log_offset in any::<i64>(),
        other_flags in any::<i32>(),
        born_timestamp in any::<i64>(),
        born_host in arb_host(),
        store_timestamp in any::<i64>(),
        store_host in arb_host(),
        reconsume_times in any::<i32>(),
        prepared_transaction_offset in any::<i64>(),
    ) -> MessageExt {
        MessageExt {
            message: Message { topic, flag, properties, body: Bytes::from(body) },
            queue_id,
            store_size: 0,
            queue_offset,
            commit_log_offset,
            // Compression is set by the test; keep the remaining bits arbitrary.
            sys_flag: other_flags & !(sys_flag::COMPRESSED_FLAG | sys_flag::COMPRESSION_TYPE_MASK),
            born_timestamp,
            born_host,
            store_timestamp,
            store_host,
            reconsume_times,
            prepared_transaction_offset,
            body_crc: 0,
            msg_id: String::new(),
            offset_msg_id: String::new(),
        }
    }
}

proptest! {
    #[test]
    fn properties_round_trip(p in arb_props()) {
        let s = encode_properties(&p);
        prop_assert_eq!(decode_properties(&s), p.clone());
        let mut buf = String::from("prefix");
        encode_properties_into(&p, &mut buf);
        prop_assert_eq!(&buf[6..], s.as_str());
    }

    #[test]
    fn one_pair_kept_outside_encodes_in_key_order(
        p in arb_props(),
        key in "[^\u{1}\u{2}]{1,12}",
        value in "[^\u{1}\u{2}]{1,24}",
    ) {
        let mut without = p.clone();
        without.remove(key.as_str());
        let mut with = without.clone();
        with.insert(key.clone(), value.clone());
        let mut buf = String::from("prefix");
        encode_properties_with(&without, &key, &value, &mut buf);
        let expected = encode_properties(&with);
        prop_assert_eq!(&buf[6..], expected.as_str());
    }

    #[test]
    fn decode_properties_never_panics(s in "[a-z\u{1}\u{2}é]{0,40}") {
        for (k, v) in decode_properties(&s) {
            let ok = !k.is_empty()
                && !v.is_empty()
                && !k.contains(['\u{1}', '\u{2}'])
                && !v.contains('\u{2}');
            prop_assert!(ok, "bad pair {:?}={:?}", k, v);
        }
    }

    #[test]
    fn decode_properties_matches_javas_rules(s in "(WAIT|UNIQ_KEY|true|[a-zé]|\u{1}|\u{2}){0,24}") {
        // The rules of `MessageDecoder.string2messageProperties`, written plainly: split on
        // \u{2}, skip segments under 3 characters, split at the first \u{1}, drop empty keys
        // or values; a repeated key keeps its last value.
        let mut want = std::collections::BTreeMap::new();
        for segment in s.split('\u{2}') {
            if segment.chars().count() < 3 {
                continue;
            }
            if let Some((k, v)) = segment.split_once('\u{1}') {
                if !k.is_empty() && !v.is_empty() {
                    want.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let got: std::collections::BTreeMap<String, String> =
            decode_properties(&s).into_iter().collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn stored_round_trip(list in proptest::collection::vec((arb_ext(), 0..3i32), 1..4)) {
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        for (ext, compression) in list {
            let mut stored = ext.clone();
            if compression > 0 {
                stored.message.body = Bytes::from(compress_zlib(&ext.message.body, 6));
                stored.sys_flag |= sys_flag::COMPRESSED_FLAG;
                if compression == 2 {
                    stored.sys_flag |= sys_flag::COMPRESSION_ZLIB;
                }
            }
            let bytes = encode_stored_message(&stored).unwrap();
            let mut want = ext.clone();
            want.store_size = bytes.len() as i32;
            want.body_crc = body_crc32(&stored.message.body);
            want.sys_flag = stored.sys_flag & !sys_flag::COMPRESSED_FLAG
                & !(sys_flag::BORNHOST_V6_FLAG | sys_flag::STOREHOSTADDRESS_V6_FLAG);
            if ext.born_host.is_ipv6() { want.sys_flag |= sys_flag::BORNHOST_V6_FLAG; }
            if ext.store_host.is_ipv6() { want.sys_flag |= sys_flag::STOREHOSTADDRESS_V6_FLAG; }
            want.offset_msg_id = encode_offset_msg_id(ext.store_host, ext.commit_log_offset);
            want.msg_id = want.offset_msg_id.clone();
            wire.extend_from_slice(&bytes);
            expected.push(want);
        }
        let decoded = decode_stored_messages(&Bytes::from(wire)).unwrap();
        prop_assert_eq!(decoded, expected);
    }

    #[test]
    fn stored_decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_stored_messages(&Bytes::from(bytes.clone()));
        let mut buf: &[u8] = &bytes;
        let _ = decode_stored_message(&mut buf);
    }

    #[test]
    fn stored_mutations_never_panic(pos in 0usize..167, byte in any::<u8>()) {
        let mut b = v4();
        b[pos] = byte;
        let _ = decode_stored_messages(&Bytes::from(b));
    }

    #[test]
    fn batch_round_trip(
        topic in "[a-zA-Z0-9_-]{1,20}",
        items in proptest::collection::vec(
            (any::<i32>(), proptest::collection::vec(any::<u8>(), 0..100), arb_props()),
            1..6,
        ),
    ) {
        let messages: Vec<Message> = items
            .into_iter()
            .map(|(flag, body, mut properties)| {
                properties.remove(keys::DELAY);
                properties.insert(keys::WAIT, "true");
                Message { topic: topic.clone(), flag, properties, body: Bytes::from(body) }
            })
            .collect();
        let wire = encode_batch(&messages).unwrap();
        let entries = decode_batch(&wire).unwrap();
        let expected: Vec<BatchEntry> = messages
            .iter()
            .map(|m| BatchEntry { flag: m.flag, body: m.body.clone(), properties: m.properties.clone() })
            .collect();
        prop_assert_eq!(entries, expected);
    }

    #[test]
    fn batch_decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_batch(&Bytes::from(bytes));
    }
}

// ---------------------------------------------------------------- V5 batch

fn v5_messages() -> Vec<Message> {
    vec![
        Message::new("TopicTest", "A"),
        Message::new("TopicTest", "BC").with_keys(["k1", "k2"]),
    ]
}

#[test]
fn v5_batch_byte_for_byte() {
    let wire = encode_batch(&v5_messages()).unwrap();
    assert_eq!(wire.len(), 78);
    assert_eq!(wire.as_ref(), v5().as_slice());
    let mut out = BytesMut::from(&b"xy"[..]);
    encode_batch_into(&v5_messages(), &mut out).unwrap();
    assert_eq!(&out[2..], v5().as_slice());
    let entries = decode_batch(&Bytes::from(v5())).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].body, Bytes::from_static(b"BC"));
    assert_eq!(
        entries[1].properties,
        props(&[("KEYS", "k1 k2"), ("WAIT", "true")])
    );
}

#[test]
fn batch_decode_errors() {
    let cases: Vec<(Vec<u8>, Check)> = vec![
        (v5()[..40].to_vec(), |e| {
            matches!(
                e,
                MessageDecodeError::Truncated {
                    index: 1,
                    field: "record",
                    offset: 33,
                    ..
                }
            )
        }),
        (
            {
                let mut b = v5();
                b[3] = 0x20;
                b
            },
            |e| {
                matches!(
                    e,
                    MessageDecodeError::FieldExceedsRecord {
                        index: 0,
                        field: "PROPERTIES",
                        ..
                    }
                )
            },
        ),
        (
            {
                let mut b = v5();
                b[3] = 0x05;
                b
            },
            |e| {
                matches!(
                    e,
                    MessageDecodeError::BadTotalSize {
                        index: 0,
                        total_size: 5,
                        ..
                    }
                )
            },
        ),
        (
            {
                let mut b = v5();
                b[16] = 0x80;
                b
            },
            |e| {
                matches!(
                    e,
                    MessageDecodeError::NegativeLength {
                        field: "BODYLEN",
                        ..
                    }
                )
            },
        ),
        (
            {
                let mut b = v5();
                b[23] = 0xFF;
                b
            },
            |e| {
                matches!(
                    e,
                    MessageDecodeError::InvalidUtf8 {
                        field: "PROPERTIES",
                        ..
                    }
                )
            },
        ),
    ];
    for (bytes, check) in cases {
        let r = decode_batch(&Bytes::from(bytes));
        assert!(matches!(r, Err(ref e) if check(e)), "{r:?}");
    }
}

#[test]
fn batch_rules() {
    let m = |t: &str| Message::new(t, "x");
    let cases: Vec<(Vec<Message>, BatchError)> = vec![
        (vec![], BatchError::Empty),
        (
            vec![m("%RETRY%g"), m("%RETRY%g")],
            BatchError::RetryTopic("%RETRY%g".into()),
        ),
        (
            vec![m("A"), m("B")],
            BatchError::MixedTopics {
                index: 1,
                expected: "A".into(),
                found: "B".into(),
            },
        ),
        (
            vec![m("A"), m("A").with_wait_store_msg_ok(false)],
            BatchError::MixedWaitStoreMsgOk {
                index: 1,
                expected: true,
                found: false,
            },
        ),
        (
            vec![m("A"), m("A").with_delay_level(3)],
            BatchError::DelayNotSupported {
                index: 1,
                value: "3".into(),
            },
        ),
        (
            vec![m("A").with_property("DELAY", "x")],
            BatchError::DelayNotSupported {
                index: 0,
                value: "x".into(),
            },
        ),
        (
            vec![m("A").with_property("p", "v".repeat(40_000))],
            BatchError::PropertiesTooLong {
                index: 0,
                len: 40_000 + "p\u{1}\u{2}".len() + "WAIT\u{1}true\u{2}".len(),
                max: 32767,
            },
        ),
    ];
    for (msgs, want) in cases {
        assert_eq!(validate_batch(&msgs), Err(want.clone()));
        let mut out = BytesMut::new();
        assert_eq!(encode_batch_into(&msgs, &mut out), Err(want));
        assert!(out.is_empty());
    }
    // Absent WAIT equals WAIT=true; DELAY=0 is allowed.
    let mut no_wait = m("A");
    no_wait.properties.clear();
    assert!(validate_batch(&[m("A"), no_wait, m("A").with_delay_level(0)]).is_ok());
}

#[test]
fn inner_batch_unwraps() {
    let inner = vec![
        Message::new("T", "one").with_property(keys::UNIQ_KEY, "AAAA"),
        Message::new("T", "two"),
    ];
    let mut outer = sample_ext();
    outer.message.body = encode_batch(&inner).unwrap();
    outer.queue_offset = 10;
    outer.sys_flag = sys_flag::INNER_BATCH_FLAG | sys_flag::NEED_UNWRAP_FLAG;
    let outer = decode_one(&encode_stored_message(&outer).unwrap()).unwrap();
    assert!(sys_flag::is_inner_batch(outer.sys_flag));
    let msgs = unwrap_inner_batch(&outer).unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].message.body, Bytes::from_static(b"one"));
    assert_eq!(msgs[0].msg_id, "AAAA");
    assert_eq!(msgs[1].msg_id, outer.offset_msg_id);
    assert_eq!(msgs[1].queue_offset, 11);
    assert_eq!(msgs[1].message.topic, "TopicTest");
    assert!(!sys_flag::is_inner_batch(msgs[1].sys_flag));
}

// ---------------------------------------------------------------- properties

#[test]
fn decode_properties_edge_rules() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("", &[]),
        ("a\u{1}b", &[("a", "b")]),
        ("a\u{1}b\u{2}", &[("a", "b")]),
        ("\u{2}\u{2}a\u{1}b\u{2}\u{2}", &[("a", "b")]),
        ("ab", &[]),
        ("a\u{1}", &[]),
        ("\u{1}b", &[]),
        ("\u{1}bc\u{2}", &[]),
        ("ab\u{1}\u{2}", &[]),
        ("abc", &[]),
        ("k\u{1}v\u{1}w", &[("k", "v\u{1}w")]),
        ("k\u{1}\u{1}v", &[("k", "\u{1}v")]),
        ("k\u{1}1\u{2}k\u{1}2\u{2}", &[("k", "2")]),
        (
            "x\u{1}y\u{2}noval\u{2}é\u{1}ü\u{2}",
            &[("x", "y"), ("é", "ü")],
        ),
    ];
    for (input, want) in cases {
        assert_eq!(decode_properties(input), props(want), "{input:?}");
    }
}

#[test]
fn message_defaults() {
    let m = Message::new("T", "body");
    assert_eq!(m.properties, props(&[("WAIT", "true")]));
    assert_eq!(m.flag, 0);
}

// ---------------------------------------------------------------- validation

#[test]
fn validation_rules() {
    let long = "a".repeat(128);
    let topic_cases: Vec<(&str, Result<(), ValidationError>)> = vec![
        ("TopicTest", Ok(())),
        ("%RETRY%g|x_y-z9", Ok(())),
        ("", Err(ValidationError::BlankTopic)),
        ("  \t", Err(ValidationError::BlankTopic)),
        (&long[..127], Ok(())),
        (
            &long,
            Err(ValidationError::TopicTooLong {
                value: long.clone(),
                len: 128,
                max: 127,
            }),
        ),
        (
            "a b",
            Err(ValidationError::IllegalChars {
                what: "topic",
                value: "a b".into(),
            }),
        ),
        (
            "topic.x",
            Err(ValidationError::IllegalChars {
                what: "topic",
                value: "topic.x".into(),
            }),
        ),
        (
            "tópico",
            Err(ValidationError::IllegalChars {
                what: "topic",
                value: "tópico".into(),
            }),
        ),
        (
            "SCHEDULE_TOPIC_XXXX",
            Err(ValidationError::NotAllowedToSend(
                "SCHEDULE_TOPIC_XXXX".into(),
            )),
        ),
        (
            "RMQ_SYS_TRANS_HALF_TOPIC",
            Err(ValidationError::NotAllowedToSend(
                "RMQ_SYS_TRANS_HALF_TOPIC".into(),
            )),
        ),
        ("TBW102", Ok(())),
    ];
    for (topic, want) in topic_cases {
        assert_eq!(validate_topic(topic), want, "{topic:?}");
    }
    // Length is Java's (UTF-16 units) and is checked before the characters.
    for (topic, len) in [
        ("é".repeat(128), 128),
        ("😀".repeat(64), 128),
        ("😀".repeat(63), 126),
    ] {
        let want = if len > 127 {
            Err(ValidationError::TopicTooLong {
                value: topic.clone(),
                len,
                max: 127,
            })
        } else {
            Err(ValidationError::IllegalChars {
                what: "topic",
                value: topic.clone(),
            })
        };
        assert_eq!(validate_topic(&topic), want);
    }
    assert_eq!(
        validate_topic("\u{3000}\t "),
        Err(ValidationError::BlankTopic)
    );
    assert_eq!(validate_topic(&"a".repeat(127)), Ok(()));
    let long = "g".repeat(121);
    assert_eq!(validate_group("g1"), Ok(()));
    assert_eq!(validate_group(&long[..120]), Ok(()));
    assert_eq!(validate_group(""), Err(ValidationError::BlankGroup));
    assert_eq!(
        validate_group(&long),
        Err(ValidationError::GroupTooLong {
            value: long.clone(),
            len: 121,
            max: 120
        })
    );
    assert_eq!(
        validate_group("g/1"),
        Err(ValidationError::IllegalChars {
            what: "group",
            value: "g/1".into()
        })
    );
    assert_eq!(validate_producer_group("CLIENT_INNER_PRODUCER"), Ok(()));
    assert_eq!(
        validate_producer_group("DEFAULT_PRODUCER"),
        Err(ValidationError::ReservedProducerGroup(
            "DEFAULT_PRODUCER".into()
        ))
    );
    assert_eq!(validate_body(1, 1), Ok(()));
    assert_eq!(validate_body(0, 10), Err(ValidationError::EmptyBody));
    assert_eq!(
        validate_body(11, 10),
        Err(ValidationError::BodyTooLarge { size: 11, max: 10 })
    );
    let m = Message::new("T", "x").with_property(keys::INNER_MULTI_DISPATCH, "%LMQ%a/b");
    assert_eq!(
        validate_message(&m, 10),
        Err(ValidationError::InvalidMultiDispatch("%LMQ%a/b".into()))
    );
    assert_eq!(validate_message(&Message::new("T", "x"), 10), Ok(()));
    assert!(is_system_topic("TBW102"));
    assert!(is_system_topic("rmq_sys_anything"));
    assert!(is_system_topic("CHECKPOINT_TOPIC"));
    assert!(!is_system_topic("TopicTest"));
}

// ---------------------------------------------------------------- ids

const MAR_2024: i64 = 1_709_251_200_000; // 2024-03-01T00:00:00Z

#[test]
fn uniq_id_layout() {
    let mut g = UniqIdGenerator::new(
        IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10)),
        12345,
        0x1234_5678,
    );
    let a = g.next_id(MAR_2024 + 123_456);
    let b = g.next_id(MAR_2024 + 123_456);
    assert_eq!(a, "C0A8010A3039123456780001E2400000");
    assert_eq!(b, "C0A8010A3039123456780001E2400001");
    assert_eq!(a.len(), 32);
    assert_eq!(a[..28], b[..28]);
    let info = decode_uniq_id(&b).unwrap();
    assert_eq!(info.counter, 1);
    let mut s = String::from(">");
    g.next_id_into(MAR_2024, &mut s);
    assert_eq!(s, ">C0A8010A303912345678000000000002");
}

#[test]
fn a_compact_uniq_id_spells_the_same_text_as_next_id() {
    let ip = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10));
    let mut text = UniqIdGenerator::new(ip, 12345, 0x1234_5678);
    let mut compact = text.clone();
    for t in [
        MAR_2024 + 123_456,
        MAR_2024 + 123_456,
        MAR_2024 - 1,
        MAR_2024,
    ] {
        let id = compact.next(t);
        assert_eq!(compact.to_string(id), text.next_id(t));
        let mut s = String::from(">");
        compact.write(id, &mut s);
        assert_eq!(&s[1..], compact.to_string(id).as_str());
        assert_eq!(compact.to_string(id).len(), compact.id_len());
    }
    let v6 = UniqIdGenerator::new("2001:db8::42".parse().unwrap(), 1, 1);
    assert_eq!(v6.id_len(), 56);
}

#[test]
fn uniq_id_v4_vector() {
    let info = decode_uniq_id(V4_UNIQ).unwrap();
    assert_eq!(info.ip, IpAddr::V4(Ipv4Addr::new(0xC0, 0xA8, 0x01, 0x0A)));
    assert_eq!(info.pid, 0x3039);
    assert_eq!(info.random, 0x1234_5678);
    assert_eq!(info.millis_in_month, 123_456);
    assert_eq!(info.counter, 1);
    assert_eq!(decode_uniq_id(&V4_UNIQ.to_lowercase()), Some(info));
    assert_eq!(decode_uniq_id("C0A8"), None);
    assert_eq!(decode_uniq_id("G0A8010A3039123456780001E2400001"), None);
}

#[test]
fn uniq_id_ipv6_and_pid_truncation() {
    let ip: IpAddr = "2001:db8::42".parse().unwrap();
    let mut g = UniqIdGenerator::new(ip, 0x0001_FFFE, -1);
    let id = g.next_id(MAR_2024);
    assert_eq!(id.len(), 56);
    let info = decode_uniq_id(&id).unwrap();
    assert_eq!(info.ip, ip);
    assert_eq!(info.pid, -2);
    assert_eq!(info.random, -1);
    assert_eq!(info.millis_in_month, 0);
}

#[test]
fn uniq_id_month_boundaries() {
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut g = UniqIdGenerator::new(ip, 1, 1);
    let millis =
        |g: &mut UniqIdGenerator, t: i64| decode_uniq_id(&g.next_id(t)).unwrap().millis_in_month;
    assert_eq!(millis(&mut g, MAR_2024), 0);
    // 2024-02-29T23:59:59.999Z: Java's (int) cast wraps past 2^31 ms.
    let feb_end = 29 * 86_400_000 - 1;
    assert_eq!(millis(&mut g, MAR_2024 - 1), feb_end as i32);
    assert_eq!(millis(&mut g, MAR_2024 - 1) as u32 as i64, feb_end);
    // Going back and forth across the boundary recomputes the month.
    assert_eq!(millis(&mut g, MAR_2024 + 5), 5);
    assert_eq!(millis(&mut g, 1_706_745_600_000 + 7), 7); // 2024-02-01
    assert_eq!(millis(&mut g, 0), 0);
    assert_eq!(millis(&mut g, 86_400_000 * 31 + 1), 1); // 1970-02-01
}

#[test]
fn uniq_id_counter_wraps() {
    let mut g = UniqIdGenerator::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1, 1);
    let mut last = None;
    for _ in 0..=65_536 {
        last = Some(g.next_id(MAR_2024));
    }
    assert_eq!(decode_uniq_id(&last.unwrap()).unwrap().counter, 0);
}

#[test]
fn offset_msg_id_vector() {
    let id = encode_offset_msg_id(addr("192.168.1.20:10911"), 0x1234);
    assert_eq!(id, "C0A8011400002A9F0000000000001234");
    assert_eq!(
        decode_offset_msg_id(&id),
        Ok((addr("192.168.1.20:10911"), 0x1234))
    );
    let v6 = addr("[fe80::1]:65535");
    let id = encode_offset_msg_id(v6, -1);
    assert_eq!(id.len(), 56);
    assert_eq!(decode_offset_msg_id(&id), Ok((v6, -1)));
    assert_eq!(
        decode_offset_msg_id("C0A8"),
        Err(MessageIdError::BadLength { len: 4 })
    );
    assert_eq!(
        decode_offset_msg_id("C0A8011400002A9F00000000000012Z4"),
        Err(MessageIdError::InvalidHex { position: 30 })
    );
    assert_eq!(
        decode_offset_msg_id("C0A8011400012A9F0000000000001234"),
        Err(MessageIdError::InvalidPort(0x12A9F))
    );
    assert_eq!(
        decode_offset_msg_id("C0A8011400002A9F00000000000012é"),
        Err(MessageIdError::InvalidHex { position: 30 })
    );
}
