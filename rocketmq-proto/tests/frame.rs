//! Frame codec: spec vectors V1–V3, every `DecodeError` variant, and round-trip properties.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rocketmq_proto::{
    frame, DecodeError, ExtFields, FrameDecoder, LanguageCode, RemotingCommand, RequestCode,
    SerializeType,
};

fn hex(s: &str) -> Vec<u8> {
    let digits: String = s
        .lines()
        .flat_map(|l| {
            // "0000  00 00 ..  |ascii|": keep the hex bytes between the offset and the ascii.
            let body = l.split('|').next().unwrap_or("");
            body.split_whitespace().skip(1).collect::<Vec<_>>()
        })
        .collect();
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect()
}

const V1: &str = "
0000  00 00 00 87 00 00 00 83 7b 22 63 6f 64 65 22 3a  |........{\"code\":|
0010  31 30 35 2c 22 65 78 74 46 69 65 6c 64 73 22 3a  |105,\"extFields\":|
0020  7b 22 74 6f 70 69 63 22 3a 22 54 6f 70 69 63 54  |{\"topic\":\"TopicT|
0030  65 73 74 22 7d 2c 22 66 6c 61 67 22 3a 30 2c 22  |est\"},\"flag\":0,\"|
0040  6c 61 6e 67 75 61 67 65 22 3a 22 4a 41 56 41 22  |language\":\"JAVA\"|
0050  2c 22 6f 70 61 71 75 65 22 3a 31 2c 22 73 65 72  |,\"opaque\":1,\"ser|
0060  69 61 6c 69 7a 65 54 79 70 65 43 75 72 72 65 6e  |ializeTypeCurren|
0070  74 52 50 43 22 3a 22 4a 53 4f 4e 22 2c 22 76 65  |tRPC\":\"JSON\",\"ve|
0080  72 73 69 6f 6e 22 3a 34 37 39 7d                 |rsion\":479}|
";

const V2: &str = "
0000  00 00 00 2d 01 00 00 29 00 69 00 01 df 00 00 00  |...-...).i......|
0010  01 00 00 00 00 00 00 00 00 00 00 00 14 00 05 74  |...............t|
0020  6f 70 69 63 00 00 00 09 54 6f 70 69 63 54 65 73  |opic....TopicTes|
0030  74                                               |t|
";

const V3: &str = "
0000  00 00 00 7f 00 00 00 7b 7b 22 63 6f 64 65 22 3a  |.......{{\"code\":|
0010  30 2c 22 65 78 74 46 69 65 6c 64 73 22 3a 7b 22  |0,\"extFields\":{\"|
0020  6f 66 66 73 65 74 22 3a 22 34 32 22 7d 2c 22 66  |offset\":\"42\"},\"f|
0030  6c 61 67 22 3a 31 2c 22 6c 61 6e 67 75 61 67 65  |lag\":1,\"language|
0040  22 3a 22 4a 41 56 41 22 2c 22 6f 70 61 71 75 65  |\":\"JAVA\",\"opaque|
0050  22 3a 37 2c 22 73 65 72 69 61 6c 69 7a 65 54 79  |\":7,\"serializeTy|
0060  70 65 43 75 72 72 65 6e 74 52 50 43 22 3a 22 4a  |peCurrentRPC\":\"J|
0070  53 4f 4e 22 2c 22 76 65 72 73 69 6f 6e 22 3a 34  |SON\",\"version\":4|
0080  37 39 7d                                         |79}|
";

fn route_request() -> RemotingCommand {
    let mut cmd = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_opaque(1);
    cmd.language = LanguageCode::JAVA;
    cmd.version = 479;
    cmd.ext_fields.insert("topic", "TopicTest");
    cmd
}

fn decode_one(bytes: &[u8]) -> Result<Option<RemotingCommand>, DecodeError> {
    FrameDecoder::new().decode(&mut BytesMut::from(bytes))
}

#[test]
fn v1_json_request_decodes_and_reencodes_byte_for_byte() {
    let wire = hex(V1);
    assert_eq!(wire.len(), 139);
    let cmd = decode_one(&wire).unwrap().unwrap();
    assert_eq!(cmd, route_request());
    assert_eq!(cmd.request_code(), RequestCode::GET_ROUTEINFO_BY_TOPIC);
    assert!(!cmd.is_response() && !cmd.is_oneway());
    let out = frame::encode_to_bytes(&cmd, SerializeType::Json).unwrap();
    assert_eq!(&out[..], &wire[..]);
}

#[test]
fn v2_binary_request_decodes_and_reencodes_byte_for_byte() {
    let wire = hex(V2);
    assert_eq!(wire.len(), 49);
    let cmd = decode_one(&wire).unwrap().unwrap();
    assert_eq!(cmd, route_request());
    let out = frame::encode_to_bytes(&cmd, SerializeType::RocketMq).unwrap();
    assert_eq!(&out[..], &wire[..]);
}

#[test]
fn v3_json_response_decodes_and_reencodes_byte_for_byte() {
    let wire = hex(V3);
    let cmd = decode_one(&wire).unwrap().unwrap();
    assert!(cmd.is_response());
    assert_eq!(cmd.code, 0);
    assert_eq!(cmd.opaque, 7);
    assert_eq!(cmd.ext_fields.get("offset"), Some("42"));
    assert_eq!(cmd.language, LanguageCode::JAVA);
    let out = frame::encode_to_bytes(&cmd, SerializeType::Json).unwrap();
    assert_eq!(&out[..], &wire[..]);
}

#[test]
fn rust_server_response_with_null_ext_fields_and_unknown_keys_decodes() {
    let header = br#"{"version":474,"language":"RUST","code":17,"remark":"No topic route info in name server for the topic: X","flag":1,"opaque":3,"extFields":null,"serializeTypeCurrentRPC":"JSON","extra":[1,{"a":null}]}"#;
    let cmd = decode_one(&frame_with(0, header, b"")).unwrap().unwrap();
    assert_eq!(cmd.code, 17);
    assert_eq!(cmd.language, LanguageCode::RUST);
    assert!(cmd.ext_fields.is_empty());
    assert!(cmd.remark_str().starts_with("No topic route"));
}

#[test]
fn missing_remark_and_ext_fields_decode_as_empty() {
    let cmd = decode_one(&frame_with(
        0,
        br#"{"code":0,"opaque":9,"flag":1}"#,
        b"body",
    ))
    .unwrap()
    .unwrap();
    assert_eq!(cmd.remark, None);
    assert!(cmd.ext_fields.is_empty());
    assert_eq!(&cmd.body[..], b"body");
}

#[test]
fn non_string_ext_values_are_taken_as_text() {
    let h = br#"{"code":0,"extFields":{"queueId":1,"ok":true,"gone":null},"flag":1,"opaque":1}"#;
    let cmd = decode_one(&frame_with(0, h, b"")).unwrap().unwrap();
    assert_eq!(cmd.ext_fields.get("queueId"), Some("1"));
    assert_eq!(cmd.ext_fields.get("ok"), Some("true"));
    assert!(!cmd.ext_fields.contains_key("gone"));
}

#[test]
fn body_is_a_zero_copy_slice_of_the_received_frame() {
    let mut cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2).with_opaque(5);
    cmd.ext_fields.insert("b", "TopicTest");
    cmd.body = Bytes::from(vec![7u8; 1024]);
    for ser in [SerializeType::Json, SerializeType::RocketMq] {
        let mut wire = BytesMut::new();
        frame::encode(&cmd, ser, &mut wire).unwrap();
        let start = wire.as_ptr() as usize;
        let end = start + wire.len();
        let decoded = FrameDecoder::new().decode(&mut wire).unwrap().unwrap();
        let body_ptr = decoded.body.as_ptr() as usize;
        assert!(
            body_ptr >= start && body_ptr + 1024 == end,
            "body was copied"
        );
        assert_eq!(decoded, cmd);
    }
}

fn frame_with(ser: u8, header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((4 + header.len() + body.len()) as u32).to_be_bytes());
    v.extend_from_slice(&((u32::from(ser) << 24) | header.len() as u32).to_be_bytes());
    v.extend_from_slice(header);
    v.extend_from_slice(body);
    v
}

#[test]
fn every_decode_error_variant_from_a_crafted_frame() {
    let mut too_large = Vec::from(17_000_000u32.to_be_bytes());
    too_large.extend_from_slice(&[0; 4]);
    let binary_truncated = frame_with(1, &[0, 105, 0, 1], b"");
    let mut bad_remark_len = hex(V2);
    bad_remark_len[8 + 13..8 + 17].copy_from_slice(&1000i32.to_be_bytes());
    let mut negative_ext_len = hex(V2);
    negative_ext_len[8 + 17..8 + 21].copy_from_slice(&(-1i32).to_be_bytes());
    let mut bad_utf8_binary = hex(V2);
    let last = bad_utf8_binary.len() - 1;
    bad_utf8_binary[last] = 0xff;
    type Case = (&'static str, Vec<u8>, fn(&DecodeError) -> bool);
    let cases: Vec<Case> = vec![
        ("too large", too_large, |e| {
            matches!(
                e,
                DecodeError::FrameTooLarge {
                    len: 17_000_000,
                    max: 16_777_212
                }
            )
        }),
        ("too short", vec![0, 0, 0, 2, 0, 0], |e| {
            matches!(e, DecodeError::FrameTooShort { len: 2 })
        }),
        (
            "header beyond frame",
            {
                let mut f = frame_with(0, b"{}", b"");
                f[7] = 200;
                f
            },
            |e| {
                matches!(
                    e,
                    DecodeError::HeaderLenExceedsFrame {
                        header_len: 200,
                        available: 2
                    }
                )
            },
        ),
        ("serialize type", frame_with(7, b"{}", b""), |e| {
            matches!(e, DecodeError::UnknownSerializeType(7))
        }),
        (
            "json syntax",
            frame_with(0, b"{\"code\":", b""),
            |e| matches!(e, DecodeError::MalformedJsonHeader(m) if m.contains("EOF")),
        ),
        ("json shape", frame_with(0, b"[1,2]", b""), |e| {
            matches!(e, DecodeError::MalformedJsonHeader(_))
        }),
        (
            "json utf8",
            frame_with(0, b"{\"remark\":\"\xff\"}", b""),
            |e| matches!(e, DecodeError::InvalidUtf8 { field: "header" }),
        ),
        ("binary truncated", binary_truncated, |e| {
            matches!(
                e,
                DecodeError::MalformedBinaryHeader {
                    field: "code",
                    offset: 0,
                    ..
                } | DecodeError::MalformedBinaryHeader {
                    field: "version",
                    ..
                }
            )
        }),
        ("binary remark len", bad_remark_len, |e| {
            matches!(
                e,
                DecodeError::MalformedBinaryHeader {
                    field: "remarkLen",
                    offset: 13,
                    reason: "length beyond header"
                }
            )
        }),
        ("binary negative len", negative_ext_len, |e| {
            matches!(
                e,
                DecodeError::MalformedBinaryHeader {
                    field: "extLen",
                    reason: "negative length",
                    ..
                }
            )
        }),
        ("binary utf8", bad_utf8_binary, |e| {
            matches!(
                e,
                DecodeError::InvalidUtf8 {
                    field: "extFields.value"
                }
            )
        }),
    ];
    for (name, bytes, check) in cases {
        let err = decode_one(&bytes).expect_err(name);
        assert!(check(&err), "{name}: unexpected {err:?}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn a_partial_frame_is_not_an_error_and_reserves_room() {
    let wire = hex(V1);
    let mut dec = FrameDecoder::new();
    for cut in 0..wire.len() {
        let mut buf = BytesMut::from(&wire[..cut]);
        assert_eq!(dec.decode(&mut buf).unwrap(), None, "cut at {cut}");
        assert_eq!(buf.len(), cut, "partial input must not be consumed");
        if cut >= 4 {
            assert!(buf.capacity() >= wire.len());
        }
    }
}

#[test]
fn oversize_prefix_is_rejected_before_buffering() {
    let mut dec = FrameDecoder::with_max_frame_len(1024);
    let mut buf = BytesMut::from(&2000u32.to_be_bytes()[..]);
    assert!(matches!(
        dec.decode(&mut buf),
        Err(DecodeError::FrameTooLarge {
            len: 2000,
            max: 1020
        })
    ));
    assert!(buf.capacity() < 2000);
    // The limit includes the prefix: 1020 bytes after it is allowed.
    let header = b"{}";
    let body = vec![0u8; 1020 - 4 - header.len()];
    let ok = frame_with(0, header, &body);
    assert!(dec.decode(&mut BytesMut::from(&ok[..])).unwrap().is_some());
}

#[test]
fn binary_encoding_rejects_codes_beyond_16_bits() {
    let cmd = RemotingCommand::request(RequestCode::POP_MESSAGE);
    assert!(frame::encode_to_bytes(&cmd, SerializeType::RocketMq).is_err());
    assert!(frame::encode_to_bytes(&cmd, SerializeType::Json).is_ok());
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_%|-]{0,12}",
        any::<String>(),
        "[\"\\\\\\x00-\\x1f\u{80}-\u{10ffff}]{0,6}",
    ]
}

prop_compose! {
    fn arb_command(binary: bool)(
        code in if binary { (i16::MIN as i32..=i16::MAX as i32).boxed() } else { any::<i32>().boxed() },
        language in 0u8..=20,
        version in if binary { (i16::MIN as i32..=i16::MAX as i32).boxed() } else { any::<i32>().boxed() },
        opaque in any::<i32>(),
        flag in any::<i32>(),
        remark in proptest::option::of(arb_string()),
        ext in proptest::collection::vec((arb_string(), arb_string()), 0..8),
        body in proptest::collection::vec(any::<u8>(), 0..64),
    ) -> RemotingCommand {
        RemotingCommand {
            code,
            language: if binary || language <= 13 { LanguageCode(language) } else { LanguageCode::OTHER },
            version,
            opaque,
            flag,
            remark: remark.filter(|r| !r.is_empty()),
            ext_fields: ext.into_iter().collect::<ExtFields>(),
            body: Bytes::from(body),
        }
    }
}

fn arb_ser_command() -> impl Strategy<Value = (SerializeType, RemotingCommand)> {
    prop_oneof![
        arb_command(false).prop_map(|c| (SerializeType::Json, c)),
        arb_command(true).prop_map(|c| (SerializeType::RocketMq, c)),
    ]
}

proptest! {
    #[test]
    fn any_command_round_trips((ser, cmd) in arb_ser_command()) {
        let wire = frame::encode_to_bytes(&cmd, ser).unwrap();
        let decoded = decode_one(&wire).unwrap().unwrap();
        prop_assert_eq!(decoded, cmd);
    }

    #[test]
    fn any_chunking_decodes_like_the_whole_stream(
        cmds in proptest::collection::vec(arb_ser_command(), 1..5),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let mut stream = BytesMut::new();
        for (ser, c) in &cmds {
            frame::encode(c, *ser, &mut stream).unwrap();
        }
        let stream = stream.freeze();
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        points.push(stream.len());
        points.sort_unstable();
        let mut dec = FrameDecoder::new();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut from = 0;
        for p in points {
            buf.extend_from_slice(&stream[from..p]);
            from = p;
            while let Some(c) = dec.decode(&mut buf).unwrap() {
                out.push(c);
            }
        }
        prop_assert!(buf.is_empty());
        let expected: Vec<_> = cmds.into_iter().map(|(_, c)| c).collect();
        prop_assert_eq!(out, expected);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut buf = BytesMut::from(&data[..]);
        let mut dec = FrameDecoder::with_max_frame_len(4096);
        while let Ok(Some(_)) = dec.decode(&mut buf) {}
    }
}

proptest! {
    /// A frame head encoded for a body sent separately, followed by that body, is byte for
    /// byte the frame `encode_fields` writes with the body inline, in both serializations.
    #[test]
    fn head_then_body_equals_the_whole_frame(
        opaque in any::<i32>(),
        topic in "[A-Za-z0-9_%-]{1,40}",
        props in "[ -~\u{1}\u{2}]{0,80}",
        body in proptest::collection::vec(any::<u8>(), 0..3000),
        binary in any::<bool>(),
    ) {
        use rocketmq_proto::frame::{encode_fields, encode_fields_head, CommandHead, FieldValue};
        let ser = if binary { SerializeType::RocketMq } else { SerializeType::Json };
        let head = CommandHead {
            code: RequestCode::SEND_MESSAGE_V2.0,
            language: LanguageCode::JAVA,
            version: 479,
            opaque,
            flag: 0,
        };
        let fields = [
            ("a", FieldValue::Str("group")),
            ("b", FieldValue::Str(&topic)),
            ("e", FieldValue::Int(3)),
            ("i", FieldValue::Str(&props)),
            ("k", FieldValue::Bool(false)),
        ];
        let mut whole = BytesMut::new();
        encode_fields(&head, &fields, &body, ser, &mut whole).unwrap();
        let mut split = BytesMut::from(&b"earlier bytes"[..]);
        encode_fields_head(&head, &fields, body.len(), ser, &mut split).unwrap();
        split.extend_from_slice(&body);
        prop_assert_eq!(&split[13..], &whole[..]);
        let cmd = FrameDecoder::new().decode(&mut whole).unwrap().unwrap();
        prop_assert_eq!(&cmd.body[..], &body[..]);
    }
}
