//! Inputs the fast path declines or must agree on with the full decoder.

use super::*;

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
