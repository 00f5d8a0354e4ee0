//! The fast path answers for what this client's encoder (and Java) writes.

use super::*;

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
