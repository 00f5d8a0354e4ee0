//! Stored records: the V4 vector, every decode error, round trips (also of properties).

use super::*;

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
