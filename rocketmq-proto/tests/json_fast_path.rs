//! The JSON header fast path (`header::json_scan`) against the full serde decoder, through
//! the hidden hook `header::json_decode_both_ways`.
//!
//! Invariant: whenever the fast path answers `Some(cmd)`, the full decoder answers `Ok` with
//! an equal command. And the fast path is actually used: for the compact form our encoder
//! (and Java) writes, with no string that needs an escape, it answers `Some`.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rocketmq_proto::header::{
    json_decode_both_ways, SendMessageRequestHeader, SendMessageResponseHeader,
};
use rocketmq_proto::{
    frame, version, DecodeError, ExtFields, LanguageCode, RemotingCommand, RequestCode,
    ResponseCode, SerializeType, FLAG_ONEWAY, FLAG_RESPONSE,
};

type Both = (
    Option<RemotingCommand>,
    Result<RemotingCommand, DecodeError>,
);

// ------------------------------------------------------------------------------ helpers

/// `bytes` as a Rust byte-string literal, to paste into a test.
fn lit(bytes: &[u8]) -> String {
    format!("b\"{}\"", bytes.escape_ascii())
}

/// The JSON header of `cmd` as our encoder writes it: bytes `[8, 8 + header_len)` of its
/// frame, `header_len` being the low 24 bits of the big-endian word at offset 4.
fn encoded_header(cmd: &RemotingCommand) -> Vec<u8> {
    let mut buf = BytesMut::new();
    frame::encode(cmd, SerializeType::Json, &mut buf).expect("encodes");
    let word = u32::from_be_bytes(buf[4..8].try_into().unwrap());
    assert_eq!(word >> 24, 0, "serialize type of a JSON frame");
    let len = (word & 0x00FF_FFFF) as usize;
    buf[8..8 + len].to_vec()
}

/// The invariant on one input; `Err` describes the violation.
fn violation(header: &[u8], (fast, full): &Both) -> Result<(), String> {
    match (fast, full) {
        (Some(f), Ok(g)) if f != g => Err(format!(
            "fast path and full decoder differ on {}\n fast: {f:?}\n full: {g:?}",
            lit(header)
        )),
        (Some(f), Err(e)) => Err(format!(
            "fast path accepts what the full decoder rejects: {}\n fast: {f:?}\n full: Err({e})",
            lit(header)
        )),
        _ => Ok(()),
    }
}

/// The in-place view (`frame::view_header`) against the fast path: it reads what the fast
/// path reads (up to 16 ext fields) and gives the same command.
fn view_violation(header: &[u8], (fast, _): &Both) -> Result<(), String> {
    let Ok(len) = u32::try_from(header.len()) else {
        return Ok(());
    };
    if len > 0x00FF_FFFF {
        return Ok(());
    }
    let mut body = len.to_be_bytes().to_vec();
    body.extend_from_slice(header);
    let view = frame::view_header(&body);
    match (view, fast) {
        (Some(v), Some(f)) if v.to_command(Bytes::new()) != *f => Err(format!(
            "view and fast path differ on {}\n view: {:?}\n fast: {f:?}",
            lit(header),
            v.to_command(Bytes::new())
        )),
        (Some(v), None) => Err(format!(
            "view takes what the fast path defers: {}\n view: {:?}",
            lit(header),
            v.to_command(Bytes::new())
        )),
        (None, Some(f)) if f.ext_fields.len() <= 16 => Err(format!(
            "view defers a compact header the fast path takes: {}",
            lit(header)
        )),
        _ => Ok(()),
    }
}

/// Decodes `header` both ways (and in place) and asserts the invariants.
fn both(header: &[u8]) -> Both {
    let r = json_decode_both_ways(header);
    if let Err(msg) = violation(header, &r).and_then(|()| view_violation(header, &r)) {
        panic!("{msg}");
    }
    r
}

/// What decoding `cmd`'s header gives back: the command without its body.
fn expected(cmd: &RemotingCommand) -> RemotingCommand {
    let mut c = cmd.clone();
    c.body = Bytes::new();
    c.remark = c.remark.filter(|r| !r.is_empty());
    c
}

fn needs_escape(s: &str) -> bool {
    s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
}

fn any_string_needs_escape(cmd: &RemotingCommand) -> bool {
    cmd.remark.as_deref().is_some_and(needs_escape)
        || cmd
            .ext_fields
            .iter()
            .any(|(k, v)| needs_escape(k) || needs_escape(v))
}

/// Encodes `cmd`: the full decoder gives it back, and the fast path takes the header and
/// agrees.
#[track_caller]
fn assert_fast_path_taken(cmd: &RemotingCommand) {
    let header = encoded_header(cmd);
    let (fast, full) = both(&header);
    let want = expected(cmd);
    assert_eq!(full.as_ref(), Ok(&want), "full decoder on {}", lit(&header));
    assert_eq!(
        fast.as_ref(),
        Some(&want),
        "fast path deferred on {}",
        lit(&header)
    );
}

/// Encodes `cmd`, whose strings need escapes: the fast path may defer (and must agree if it
/// does not), the full decoder gives the command back.
#[track_caller]
fn assert_full_decodes(cmd: &RemotingCommand) {
    let header = encoded_header(cmd);
    let (_, full) = both(&header);
    assert_eq!(
        full.as_ref(),
        Ok(&expected(cmd)),
        "full decoder on {}",
        lit(&header)
    );
}

fn ext(pairs: &[(&'static str, &str)]) -> ExtFields {
    pairs.iter().map(|&(k, v)| (k, v.to_owned())).collect()
}

fn send_request_v2() -> RemotingCommand {
    let header = SendMessageRequestHeader {
        producer_group: "please_rename_unique_group_name".into(),
        topic: "TopicTest".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 3,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_123,
        flag: 0,
        properties: None,
        reconsume_times: Some(0),
        unit_mode: Some(false),
        max_reconsume_times: Some(16),
        batch: Some(false),
        broker_name: Some("broker-a".into()),
    };
    let mut cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2).with_opaque(42);
    header.to_v2_ext_fields(&mut cmd.ext_fields);
    cmd
}

fn send_response() -> RemotingCommand {
    let header = SendMessageResponseHeader {
        msg_id: "0A00000100002A9F0000000000000000".into(),
        queue_id: 3,
        queue_offset: 1_234_567_890_123,
        transaction_id: Some("7F0000011A2B18B4AAC27A1E3C9D0000".into()),
        batch_uniq_id: None,
        recall_handle: None,
        region: Some("DefaultRegion".into()),
        trace_on: true,
    };
    let mut cmd = RemotingCommand::response(ResponseCode::SUCCESS, 42, None);
    cmd.language = LanguageCode::JAVA;
    cmd.version = version::V4_9_4;
    header.to_ext_fields(&mut cmd.ext_fields);
    cmd
}

// ------------------------------------------------------------ our encoder's output

#[test]
fn encoder_output_takes_the_fast_path() {
    assert_fast_path_taken(&send_request_v2());
    assert_fast_path_taken(&send_response());

    let mut oneway = RemotingCommand::oneway(RequestCode::HEART_BEAT).with_opaque(7);
    oneway.ext_fields.insert("clientID", "10.0.0.9@1234#5678");
    assert_fast_path_taken(&oneway);
    assert_eq!(oneway.flag, FLAG_ONEWAY);

    // No ext fields, no remark.
    assert_fast_path_taken(&RemotingCommand::request(
        RequestCode::GET_ROUTEINFO_BY_TOPIC,
    ));

    // A remark, and an empty one (written as none).
    let err = RemotingCommand::response(
        ResponseCode::TOPIC_NOT_EXIST,
        -5,
        Some("No topic route info in name server for the topic: TopicTest".into()),
    );
    assert_fast_path_taken(&err);
    assert_fast_path_taken(&RemotingCommand::response(
        ResponseCode::SUCCESS,
        1,
        Some(String::new()),
    ));
    assert_eq!(err.flag, FLAG_RESPONSE);
}

#[test]
fn encoder_output_with_extreme_integers_takes_the_fast_path() {
    let values = [
        i32::MIN,
        i32::MIN + 1,
        -1_000_000_000,
        -1,
        0,
        1,
        9,
        10,
        999_999_999,
        1_000_000_000,
        i32::MAX - 1,
        i32::MAX,
    ];
    for &v in &values {
        for field in 0..4 {
            let mut cmd = send_response();
            match field {
                0 => cmd.code = v,
                1 => cmd.flag = v,
                2 => cmd.opaque = v,
                _ => cmd.version = v,
            }
            assert_fast_path_taken(&cmd);
        }
        let mut all = send_request_v2();
        (all.code, all.flag, all.opaque, all.version) = (v, v, v, v);
        assert_fast_path_taken(&all);
    }
}

#[test]
fn encoder_output_in_every_known_language_takes_the_fast_path() {
    for code in 0u8..=13 {
        let mut cmd = send_response();
        cmd.language = LanguageCode(code);
        assert!(cmd.language.name().is_some());
        assert_fast_path_taken(&cmd);
    }
}

/// A language code without a name is written as a number (`"language":200`).
#[test]
fn encoder_output_with_unknown_language_code_takes_the_fast_path() {
    for code in [14u8, 100, 200, 255] {
        let mut cmd = send_response();
        cmd.language = LanguageCode(code);
        assert!(cmd.language.name().is_none());
        assert_fast_path_taken(&cmd);
    }
}

#[test]
fn encoder_output_with_non_ascii_strings_takes_the_fast_path() {
    let mut cmd = send_response();
    cmd.remark = Some("发送失败 – café ✓ 🚀".into());
    cmd.ext_fields.insert("MSG_REGION", "区域-α");
    cmd.ext_fields.insert("TRACE_ON", "false");
    cmd.ext_fields.insert("ключ", "значение 😀");
    // DEL and other non-control bytes are not escaped.
    cmd.ext_fields
        .insert("del", "a\u{7f}b\u{80}\u{ffff}\u{10ffff}");
    cmd.ext_fields.insert("empty", "");
    cmd.ext_fields.insert("", "empty key");
    cmd.ext_fields.insert("json-like", "{}[]:,null true 1e5 -0");
    assert_fast_path_taken(&cmd);
}

#[test]
fn escaped_strings_are_decoded_by_the_full_decoder() {
    let nasty = [
        "quote \" inside",
        "back\\slash",
        "tab\tnew\nline\rcr",
        "\u{0}\u{1}\u{2}\u{1f}",
        "\\u0041 is not unescaped twice",
        "\"",
        "\\",
        "mixed é \" 🚀 \\ \n",
    ];
    for s in nasty {
        let mut remark = send_response();
        remark.remark = Some(s.to_owned());
        assert_full_decodes(&remark);

        let mut value = send_response();
        value.ext_fields.insert("msgId", s);
        assert_full_decodes(&value);

        let mut key = send_response();
        key.ext_fields.insert(s.to_owned(), "v");
        assert_full_decodes(&key);
    }

    // A real V2 send request: its properties use the separators \x01 and \x02.
    let mut send = send_request_v2();
    send.ext_fields.insert(
        "i",
        "UNIQ_KEY\u{1}7F0000011A2B18B4AAC27A1E3C9D0000\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA\u{2}",
    );
    assert_full_decodes(&send);
}

// ---------------------------------------------------- what the full decoder says

/// Asserts `fast` is `None` and `full` a `MalformedJsonHeader` error mentioning `what`.
#[track_caller]
fn assert_rejected(input: &[u8], what: &str) {
    let (fast, full) = both(input);
    assert_eq!(fast, None, "fast path on {}", lit(input));
    match full {
        Err(DecodeError::MalformedJsonHeader(msg)) => assert!(
            msg.contains(what),
            "full decoder on {}: {msg:?} does not mention {what:?}",
            lit(input)
        ),
        other => panic!("full decoder on {}: {other:?}", lit(input)),
    }
}

/// Asserts the full decoder accepts `input` as `want`; the fast path may defer.
#[track_caller]
fn assert_full_ok(input: &[u8], want: &RemotingCommand) -> Option<RemotingCommand> {
    let (fast, full) = both(input);
    assert_eq!(full.as_ref(), Ok(want), "full decoder on {}", lit(input));
    fast
}

fn empty_command() -> RemotingCommand {
    RemotingCommand {
        code: 0,
        language: LanguageCode::default(),
        version: 0,
        opaque: 0,
        flag: 0,
        remark: None,
        ext_fields: ExtFields::new(),
        body: Bytes::new(),
    }
}

#[test]
fn empty_objects_take_the_fast_path() {
    let empty = empty_command();
    assert_eq!(assert_full_ok(b"{}", &empty), Some(empty.clone()));
    assert_eq!(
        assert_full_ok(b"{\"extFields\":{}}", &empty),
        Some(empty.clone())
    );
    assert_eq!(
        assert_full_ok(b"{\"extFields\":null,\"remark\":null}", &empty),
        Some(empty.clone())
    );
    assert_eq!(
        assert_full_ok(b"{\"remark\":\"\"}", &empty),
        Some(empty.clone())
    );
}

#[test]
fn nulls_are_absent_values() {
    let mut want = empty_command();
    want.code = 1;
    want.ext_fields = ext(&[("b", "2")]);
    let fast = assert_full_ok(
        b"{\"code\":1,\"extFields\":{\"a\":null,\"b\":\"2\",\"c\":null},\"remark\":null}",
        &want,
    );
    assert_eq!(fast, Some(want));

    // A null language reads as OTHER; the fast path may defer.
    let mut other = empty_command();
    other.language = LanguageCode::OTHER;
    assert_full_ok(b"{\"language\":null}", &other);
    // A null integer is an error.
    assert_rejected(b"{\"code\":null}", "invalid type");
}

#[test]
fn duplicate_top_level_keys_are_rejected() {
    for (key, value) in [
        ("code", "1"),
        ("flag", "1"),
        ("opaque", "1"),
        ("version", "1"),
        ("language", "\"JAVA\""),
        ("remark", "\"x\""),
        ("remark", "null"),
        ("extFields", "{}"),
        ("extFields", "null"),
    ] {
        let input = format!("{{\"{key}\":{value},\"code\":0,\"{key}\":{value}}}");
        assert_rejected(input.as_bytes(), "duplicate field");
    }
    assert_rejected(
        b"{\"remark\":null,\"remark\":\"x\"}",
        "duplicate field `remark`",
    );

    // serializeTypeCurrentRPC is ignored by the full decoder, repeated or not.
    let mut want = empty_command();
    want.code = 5;
    assert_full_ok(
        b"{\"code\":5,\"serializeTypeCurrentRPC\":\"JSON\",\"serializeTypeCurrentRPC\":\"JSON\"}",
        &want,
    );
}

#[test]
fn duplicate_ext_keys_keep_the_last_value() {
    let mut want = empty_command();
    want.ext_fields = ext(&[("a", "3"), ("b", "2")]);
    let fast = assert_full_ok(
        b"{\"extFields\":{\"a\":\"1\",\"b\":\"2\",\"a\":\"3\"}}",
        &want,
    );
    assert_eq!(fast, Some(want));

    // A later null does not remove an earlier value.
    let mut want = empty_command();
    want.ext_fields = ext(&[("queueId", "1")]);
    let fast = assert_full_ok(
        b"{\"extFields\":{\"queueId\":\"1\",\"queueId\":null}}",
        &want,
    );
    assert_eq!(fast, Some(want));
}

#[test]
fn whitespace_is_left_to_the_full_decoder() {
    let compact = encoded_header(&send_response());
    let want = expected(&send_response());
    assert_eq!(both(&compact).0.as_ref(), Some(&want));
    let spaced = String::from_utf8(compact.clone())
        .unwrap()
        .replace(",\"", ", \"")
        .replace("\":", "\" :\t");
    assert_full_ok(spaced.as_bytes(), &want);
    for ws in [" ", "\n", "\r\n", "\t"] {
        let mut padded = ws.as_bytes().to_vec();
        padded.extend_from_slice(&compact);
        padded.extend_from_slice(ws.as_bytes());
        assert_full_ok(&padded, &want);
    }
}

#[test]
fn escapes_are_left_to_the_full_decoder() {
    let mut want = empty_command();
    want.code = 1;
    want.remark = Some("a\"b\\c\nd/é🚀".into());
    want.ext_fields = ext(&[("a", "\u{1}x\u{2}")]);
    assert_full_ok(
        br#"{"code":1,"extFields":{"\u0061":"\u0001x\u0002"},"remark":"a\"b\\c\nd\/\u00e9\ud83d\ude80"}"#,
        &want,
    );
    // An escaped top-level key is still that key for the full decoder.
    let mut seven = empty_command();
    seven.code = 7;
    assert_full_ok(br#"{"co\u0064e":7}"#, &seven);
}

#[test]
fn a_numeric_language_is_accepted_by_the_full_decoder() {
    let mut want = empty_command();
    want.language = LanguageCode::RUST;
    assert_full_ok(b"{\"language\":12}", &want);
    want.language = LanguageCode(200);
    assert_full_ok(b"{\"language\":200}", &want);
    assert_rejected(b"{\"language\":256}", "out of range");
    assert_rejected(b"{\"language\":-1}", "out of range");

    // Unknown names read as OTHER, in both paths.
    want.language = LanguageCode::OTHER;
    assert_eq!(
        assert_full_ok(b"{\"language\":\"KOTLIN\"}", &want),
        Some(want.clone())
    );
    assert_eq!(
        assert_full_ok(b"{\"language\":\"rust\"}", &want),
        Some(want)
    );
}

#[test]
fn numbers_outside_i32_or_json_form_are_rejected() {
    for n in [
        "2147483648",
        "-2147483649",
        "4294967296",
        "12345678901",
        "-12345678901",
        "99999999999",
        "00",
        "01",
        "-01",
        "0000000001",
        "1.0",
        "1.5",
        "-0.0",
        "1e2",
        "1E2",
        "0e0",
        "1e-2",
        "+1",
        "-",
        "--1",
        ".5",
        "1.",
        "\"1\"",
        "true",
        "NaN",
        "Infinity",
    ] {
        for key in ["code", "flag", "opaque", "version"] {
            let input = format!("{{\"{key}\":{n}}}");
            let (fast, full) = both(input.as_bytes());
            assert_eq!(fast, None, "fast path on {input}");
            assert!(full.is_err(), "full decoder on {input}: {full:?}");
        }
    }
    // The bounds themselves are fine, in both paths.
    let mut want = empty_command();
    want.code = i32::MIN;
    want.opaque = i32::MAX;
    let fast = assert_full_ok(b"{\"code\":-2147483648,\"opaque\":2147483647}", &want);
    assert_eq!(fast, Some(want));
}

/// serde_json reads `-0` as the float -0.0 (not the integer 0), which an `i32` field
/// rejects: the fast path must not accept it.
#[test]
fn minus_zero_is_rejected() {
    for key in ["code", "flag", "opaque", "version"] {
        let input = format!("{{\"{key}\":-0}}");
        assert_rejected(input.as_bytes(), "invalid type: floating point");
    }
}

#[test]
fn unknown_keys_are_ignored_by_the_full_decoder() {
    let mut want = empty_command();
    want.code = 3;
    for input in [
        &br#"{"code":3,"unknown":1}"#[..],
        br#"{"Code":1,"code":3}"#,
        br#"{"code":3,"extfields":{"a":"b"}}"#,
        br#"{"code":3,"nested":{"a":[1,{"b":null}]}}"#,
        br#"{"code":3,"serializeTypeCurrentRPC":0}"#,
        br#"{"code":3,"serializeTypeCurrentRPC":"ROCKETMQ"}"#,
    ] {
        assert_full_ok(input, &want);
    }
}

#[test]
fn non_string_ext_values_are_taken_as_text_by_the_full_decoder() {
    let mut want = empty_command();
    want.ext_fields = ext(&[("a", "1"), ("b", "true"), ("c", "-7"), ("d", "1.5")]);
    assert_full_ok(br#"{"extFields":{"a":1,"b":true,"c":-7,"d":1.5}}"#, &want);
}

#[test]
fn trailing_garbage_is_rejected() {
    for tail in ["x", "}", ",", "{}", "\0", "null"] {
        let mut input = b"{\"code\":1}".to_vec();
        input.extend_from_slice(tail.as_bytes());
        let (fast, full) = both(&input);
        assert_eq!(fast, None, "fast path on {}", lit(&input));
        assert!(full.is_err(), "full decoder on {}", lit(&input));
    }
}

#[test]
fn not_an_object_is_rejected() {
    for input in [
        &b""[..],
        b" ",
        b"null",
        b"[]",
        b"[1,0,0,0,0]",
        b"\"{}\"",
        b"{",
        b"}",
        b"{,}",
        b"{\"code\":1,}",
        b"{\"code\" 1}",
        b"{\"code\"::1}",
        b"\xEF\xBB\xBF{}",
    ] {
        let (fast, full) = both(input);
        assert_eq!(fast, None, "fast path on {}", lit(input));
        assert!(full.is_err(), "full decoder on {}", lit(input));
    }
}

#[test]
fn invalid_utf8_is_rejected() {
    for input in [
        &b"{\"remark\":\"\xff\"}"[..],
        b"{\"extFields\":{\"a\":\"\xc3\"}}",
        b"\xff",
    ] {
        let (fast, full) = both(input);
        assert_eq!(fast, None);
        assert_eq!(full, Err(DecodeError::InvalidUtf8 { field: "header" }));
    }
}

#[test]
fn every_truncation_of_a_valid_header_is_rejected() {
    let mut headers = vec![
        encoded_header(&send_request_v2()),
        encoded_header(&send_response()),
        b"{\"extFields\":{\"a\":null},\"remark\":null}".to_vec(),
    ];
    let mut err = send_response();
    err.remark = Some("失败 🚀".into());
    headers.push(encoded_header(&err));
    for header in headers {
        assert!(both(&header).0.is_some(), "{}", lit(&header));
        for cut in 0..header.len() {
            let prefix = &header[..cut];
            let (fast, full) = both(prefix);
            assert_eq!(fast, None, "fast path on {}", lit(prefix));
            assert!(full.is_err(), "full decoder on {}", lit(prefix));
        }
    }
}

/// Hand-written near misses of the compact form: only the invariant is checked. Every
/// violation is collected so that one run lists them all.
#[test]
fn edge_cases_keep_the_invariant() {
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let ints = [
        "0",
        "-0",
        "00",
        "-00",
        "01",
        "-01",
        "007",
        "1.0",
        "1.",
        ".5",
        "1e2",
        "1E2",
        "1e-2",
        "-0.0",
        "0e0",
        "-0e0",
        "-0E0",
        "2147483647",
        "2147483648",
        "-2147483648",
        "-2147483649",
        "4294967295",
        "9999999999",
        "-9999999999",
        "12345678901",
        "-12345678901",
        "0000000000",
        "00000000000",
        "+1",
        "-",
        "--1",
        "1-",
        "null",
        "true",
        "\"1\"",
        "{}",
        "[]",
        " 1",
        "1 ",
    ];
    for key in ["code", "flag", "opaque", "version", "language", "unknown"] {
        for n in ints {
            inputs.push(format!("{{\"{key}\":{n}}}").into_bytes());
            inputs.push(format!("{{\"code\":1,\"{key}\":{n},\"extFields\":{{}}}}").into_bytes());
        }
    }
    for v in [
        "null",
        "nul",
        "nulll",
        "NULL",
        "\"\"",
        "\"x\"",
        "\"JAVA\"",
        "\"RUST\"",
        "\"\\u0041\"",
        "1",
        "{}",
        "[]",
        "true",
        "\"a\u{1}b\"",
    ] {
        for key in [
            "remark",
            "language",
            "extFields",
            "serializeTypeCurrentRPC",
            "code",
        ] {
            inputs.push(format!("{{\"{key}\":{v}}}").into_bytes());
            inputs.push(format!("{{\"{key}\":{v},\"{key}\":{v}}}").into_bytes());
        }
        inputs.push(format!("{{\"extFields\":{{\"a\":{v}}}}}").into_bytes());
        inputs.push(format!("{{\"extFields\":{{\"a\":{v},\"a\":\"z\"}}}}").into_bytes());
        inputs.push(format!("{{\"extFields\":{{\"a\":\"z\",\"a\":{v}}}}}").into_bytes());
        inputs.push(format!("{{\"extFields\":{{{v}:\"z\"}}}}").into_bytes());
    }
    for s in [
        "{}",
        "{ }",
        "{\"extFields\":{}}",
        "{\"extFields\":{ }}",
        "{\"extFields\":{},\"extFields\":{}}",
        "{\"extFields\":null,\"extFields\":{}}",
        "{\"extFields\":{\"a\":\"b\",}}",
        "{\"extFields\":{,\"a\":\"b\"}}",
        "{\"extFields\":{\"a\" :\"b\"}}",
        "{\"extFields\":{\"a\": \"b\"}}",
        "{\"extFields\":{\"a\":\"b\" }}",
        "{\"extFields\":{\"a\":\"b\"} }",
        "{\"extFields\":{\"a\":\"b\"}",
        "{\"extFields\":{\"a\"}}",
        "{\"extFields\":{\"a\":}}",
        "{\"extFields\":{\"a\":\"b\"}}}",
        "{\"extFields\":[]}",
        "{\"extFields\":\"\"}",
        "{ \"code\":1}",
        "{\"code\" :1}",
        "{\"code\": 1}",
        "{\"code\":1 }",
        "{\"code\":1} ",
        " {\"code\":1}",
        "{\"code\":1,\n\"flag\":0}",
        "{\"code\":1,\"code\":1}",
        "{\"code\":1,\"Code\":2}",
        "{\"code\":1,\"flag\":2,\"opaque\":3,\"version\":4,\"language\":\"GO\",\"remark\":\"r\",\"extFields\":{\"k\":\"v\"},\"serializeTypeCurrentRPC\":\"JSON\"}",
        "{\"code\":1}x",
        "{\"code\":1}}",
        "{\"code\":1},",
        "{\"code\":1,}",
        "{\"code\":1,,\"flag\":1}",
        "{,\"code\":1}",
        "{\"co\\u0064e\":1}",
        "{\"code\":1,\"co\\u0064e\":2}",
        "{\"remark\":\"\\ud800\"}",
        "{\"remark\":\"\\\"\"}",
        "{\"remark\":\"a\tb\"}",
        "{\"remark\":\"a\\/b\"}",
        "{\"remark\":\"\"}",
        "{\"remark\":\"\",\"remark\":\"\"}",
        "{\"language\":\"\"}",
        "{\"language\":\"JAVA\",\"language\":\"JAVA\"}",
        "{\"language\":12}",
        "{\"language\":255}",
        "{\"language\":256}",
        "{\"language\":-1}",
        "{\"language\":1.5}",
        "{\"serializeTypeCurrentRPC\":\"JSON\",\"serializeTypeCurrentRPC\":1}",
        "[]",
        "",
        "null",
        "{",
        "}",
        "{\"",
        "{\"code",
        "{\"code\"",
        "{\"code\":",
        "{\"code\":-",
        "{\"code\":1",
        "{\"code\":1,",
        "{\"remark\":null",
        "{\"remark\":nu",
    ] {
        inputs.push(s.as_bytes().to_vec());
    }
    inputs.push(b"{\"remark\":\"\xff\"}".to_vec());
    inputs.push(b"{\"code\":1}\0".to_vec());

    let violations: Vec<String> = inputs
        .iter()
        .filter_map(|i| violation(i, &json_decode_both_ways(i)).err())
        .collect();
    assert!(
        violations.is_empty(),
        "{} of {} inputs break the invariant:\n{}",
        violations.len(),
        inputs.len(),
        violations.join("\n")
    );
}

// ------------------------------------------------------------------------ proptests

fn arb_i32() -> impl Strategy<Value = i32> {
    prop_oneof![
        4 => any::<i32>(),
        2 => -1000..1000i32,
        1 => prop::sample::select(vec![i32::MIN, i32::MIN + 1, -1, 0, 1, i32::MAX - 1, i32::MAX]),
    ]
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9_.:%@#|-]{0,12}",
        2 => "\\PC{0,12}",
        1 => any::<String>(),
        1 => r#"[a"\\\x00-\x1f\x7f]{0,6}"#,
    ]
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "a",
            "b",
            "i",
            "n",
            "msgId",
            "queueId",
            "queueOffset",
            "MSG_REGION",
            "TRACE_ON",
            "topic",
            "code",
            "remark",
            "extFields",
        ])
        .prop_map(str::to_owned),
        arb_text(),
    ]
}

prop_compose! {
    fn arb_command()(
        code in arb_i32(),
        flag in arb_i32(),
        opaque in arb_i32(),
        version in arb_i32(),
        // Codes without a name are written as numbers.
        language in prop_oneof![3 => 0u8..=13, 1 => any::<u8>()],
        remark in proptest::option::of(arb_text()),
        ext in proptest::collection::vec((arb_key(), arb_text()), 0..8),
    ) -> RemotingCommand {
        RemotingCommand {
            code,
            language: LanguageCode(language),
            version,
            opaque,
            flag,
            remark,
            ext_fields: ext.into_iter().collect(),
            body: Bytes::new(),
        }
    }
}

/// JSON-ish text around the header grammar: right values, near misses and junk.
fn arb_number() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<i32>().prop_map(|n| n.to_string()),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        3 => prop::sample::select(vec![
            "0", "-0", "00", "01", "-01", "1.0", "1.", ".5", "1e2", "1E2", "-0.0", "0e0", "-0e0",
            "2147483647", "2147483648", "-2147483648", "-2147483649", "12345678901", "+1", "-",
        ])
        .prop_map(str::to_owned),
    ]
}

fn arb_json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z0-9 _é中🚀]{0,8}".prop_map(|s| format!("\"{s}\"")),
        1 => r#"([a-z]|\\[nt"\\/]|\\u00[0-7][0-9a-f]|\\ud83d\\ude80|\\ud800){0,4}"#
            .prop_map(|s| format!("\"{s}\"")),
        1 => r#"[a-z"\\\x00-\x1f]{0,4}"#.prop_map(|s| format!("\"{s}\"")),
        1 => prop::sample::select(vec!["\"JAVA\"", "\"RUST\"", "\"JSON\"", "\"OTHER\"", "\"\""])
            .prop_map(str::to_owned),
    ]
}

fn arb_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => arb_json_string(),
        2 => arb_number(),
        1 => prop::sample::select(vec!["null", "true", "false", "nul", "[]", "{}", "[1]"])
            .prop_map(str::to_owned),
    ]
}

/// Whitespace, usually none.
fn arb_ws() -> impl Strategy<Value = &'static str> {
    prop_oneof![12 => Just(""), 1 => Just(" "), 1 => Just("\n"), 1 => Just("\t"), 1 => Just("\r\n")]
}

fn arb_ext_object() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (
            prop_oneof![
                3 => prop::sample::select(vec!["\"a\"", "\"b\"", "\"msgId\"", "\"queueId\""])
                    .prop_map(str::to_owned),
                1 => arb_json_string(),
            ],
            prop_oneof![4 => arb_json_string(), 1 => Just("null".to_owned()), 1 => arb_scalar()],
            arb_ws(),
        ),
        0..5,
    )
    .prop_map(|entries| {
        let body: Vec<String> = entries
            .into_iter()
            .map(|(k, v, ws)| format!("{ws}{k}{ws}:{ws}{v}{ws}"))
            .collect();
        format!("{{{}}}", body.join(","))
    })
}

/// A top-level `"key":value` entry, usually of the right type for its key.
fn arb_entry() -> impl Strategy<Value = String> {
    let int_key = prop::sample::select(vec!["code", "flag", "opaque", "version"]);
    prop_oneof![
        6 => (int_key, arb_number()).prop_map(|(k, v)| format!("\"{k}\":{v}")),
        2 => prop_oneof![
            arb_json_string(),
            Just("12".to_owned()),
            Just("null".to_owned())
        ]
        .prop_map(|v| format!("\"language\":{v}")),
        2 => prop_oneof![3 => arb_json_string(), 1 => Just("null".to_owned())]
            .prop_map(|v| format!("\"remark\":{v}")),
        3 => prop_oneof![4 => arb_ext_object(), 1 => Just("null".to_owned())]
            .prop_map(|v| format!("\"extFields\":{v}")),
        1 => Just("\"serializeTypeCurrentRPC\":\"JSON\"".to_owned()),
        1 => (
            prop::sample::select(vec![
                "code", "flag", "opaque", "version", "language", "remark", "extFields",
                "serializeTypeCurrentRPC", "unknown", "Code",
            ]),
            arb_scalar()
        )
            .prop_map(|(k, v)| format!("\"{k}\":{v}")),
    ]
}

fn arb_header_text() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec((arb_entry(), arb_ws()), 0..9),
        arb_ws(),
        prop_oneof![20 => Just(""), 1 => Just("x"), 1 => Just("}"), 1 => Just(",")],
    )
        .prop_map(|(entries, ws, tail)| {
            let body: Vec<String> = entries
                .into_iter()
                .map(|(e, ws)| format!("{ws}{e}"))
                .collect();
            format!("{{{}{ws}}}{tail}", body.join(","))
        })
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(prop::sample::Index),
    Insert(prop::sample::Index, u8),
    Replace(prop::sample::Index, u8),
    InsertToken(prop::sample::Index, &'static str),
    Truncate(prop::sample::Index),
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![
        3 => prop::sample::select(b"{}[]:,\"\\ -0123456789.eEnul\x01\x7f".to_vec()),
        1 => any::<u8>(),
    ];
    let token = prop::sample::select(vec![
        "null",
        "-0",
        "-",
        "0",
        "00",
        "1e5",
        ".5",
        "\"",
        "\\",
        "\\u0041",
        " ",
        "\"code\":1,",
        "\"remark\":null,",
        "\"extFields\":{},",
        "\"a\":\"b\",",
        "\"language\":12,",
        "2147483648",
        "\u{e9}",
        "\u{1F680}",
    ]);
    prop_oneof![
        2 => any::<prop::sample::Index>().prop_map(Mutation::Delete),
        2 => (any::<prop::sample::Index>(), byte.clone()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        2 => (any::<prop::sample::Index>(), byte).prop_map(|(i, b)| Mutation::Replace(i, b)),
        2 => (any::<prop::sample::Index>(), token).prop_map(|(i, t)| Mutation::InsertToken(i, t)),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match m {
            Mutation::Delete(i) if len > 0 => {
                bytes.remove(i.index(len));
            }
            Mutation::Insert(i, b) => bytes.insert(i.index(len + 1), *b),
            Mutation::Replace(i, b) if len > 0 => bytes[i.index(len)] = *b,
            Mutation::InsertToken(i, t) => {
                let at = i.index(len + 1);
                bytes.splice(at..at, t.bytes());
            }
            Mutation::Truncate(i) => bytes.truncate(i.index(len + 1)),
            _ => {}
        }
    }
    bytes
}

fn arb_input() -> impl Strategy<Value = Vec<u8>> {
    let seed = prop_oneof![
        3 => arb_command().prop_map(|c| encoded_header(&c)),
        3 => arb_header_text().prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..48),
    ];
    (seed, proptest::collection::vec(arb_mutation(), 0..4))
        .prop_map(|(bytes, mutations)| mutate(bytes, &mutations))
}

proptest! {
    // No regression files: a failure prints the minimal input, to be pasted into a test.
    #![proptest_config(ProptestConfig {
        cases: 2048,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn encoded_commands_agree(cmd in arb_command()) {
        let header = encoded_header(&cmd);
        let r = json_decode_both_ways(&header);
        if let Err(msg) = violation(&header, &r) {
            return Err(TestCaseError::fail(msg));
        }
        let (fast, full) = r;
        let want = expected(&cmd);
        prop_assert_eq!(full.as_ref(), Ok(&want), "full decoder on {}", lit(&header));
        if !any_string_needs_escape(&cmd) {
            prop_assert_eq!(fast.as_ref(), Some(&want), "fast path deferred on {}", lit(&header));
        }
    }

    #[test]
    fn mutated_and_arbitrary_inputs_keep_the_invariant(input in arb_input()) {
        if let Err(msg) = violation(&input, &json_decode_both_ways(&input)) {
            return Err(TestCaseError::fail(msg));
        }
    }

    #[test]
    fn generated_headers_keep_the_invariant(text in arb_header_text()) {
        let input = text.into_bytes();
        if let Err(msg) = violation(&input, &json_decode_both_ways(&input)) {
            return Err(TestCaseError::fail(msg));
        }
    }
}
