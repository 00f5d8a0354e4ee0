//! Send request (V1 and V2 names) and response headers, send statuses.

use super::*;

#[test]
fn send_request_v1() {
    let c = Codec {
        to: SendMessageRequestHeader::to_ext_fields,
        from: SendMessageRequestHeader::from_ext_fields,
    };
    check(
        &c,
        &full_send(),
        &SEND_REQUIRED_V1,
        &[
            ("defaultTopicQueueNums", "i32"),
            ("queueId", "i32"),
            ("sysFlag", "i32"),
            ("bornTimestamp", "i64"),
            ("flag", "i32"),
            ("reconsumeTimes", "i32"),
            ("maxReconsumeTimes", "i32"),
        ],
    );
    let mut ext = ExtFields::new();
    full_send().to_ext_fields(&mut ext);
    assert_eq!(ext.get("bname"), Some("broker-a"));
    assert_eq!(ext.get("sysFlag"), Some("768"));
    assert_eq!(ext.get("batch"), Some("true"));
    assert_eq!(ext.len(), 14);
}

#[test]
fn send_request_v2() {
    let c = Codec {
        to: SendMessageRequestHeader::to_v2_ext_fields,
        from: SendMessageRequestHeader::from_v2_ext_fields,
    };
    check(
        &c,
        &full_send(),
        &["a", "b", "c", "d", "e", "f", "g", "h"],
        &[
            ("d", "i32"),
            ("e", "i32"),
            ("f", "i32"),
            ("g", "i64"),
            ("h", "i32"),
            ("j", "i32"),
            ("l", "i32"),
        ],
    );
}

#[test]
fn v2_names_are_the_spec_table() {
    let expected = [
        ("a", "producerGroup"),
        ("b", "topic"),
        ("c", "defaultTopic"),
        ("d", "defaultTopicQueueNums"),
        ("e", "queueId"),
        ("f", "sysFlag"),
        ("g", "bornTimestamp"),
        ("h", "flag"),
        ("i", "properties"),
        ("j", "reconsumeTimes"),
        ("k", "unitMode"),
        ("l", "maxReconsumeTimes"),
        ("m", "batch"),
        ("n", "bname"),
    ];
    assert_eq!(SendMessageRequestHeader::V2_NAMES, expected);

    // The V2 encoding is the v1 encoding with every key renamed through the table.
    let h = full_send();
    let (mut v1, mut v2) = (ExtFields::new(), ExtFields::new());
    h.to_ext_fields(&mut v1);
    h.to_v2_ext_fields(&mut v2);
    let renamed: ExtFields = expected
        .iter()
        .map(|&(short, long)| (short, v1.get(long).unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(v2, renamed);
}

#[test]
fn typical_send_v2_ext_fields() {
    let h = SendMessageRequestHeader {
        producer_group: "pg".into(),
        topic: "TopicTest".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 1,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_123,
        flag: 0,
        properties: Some(
            "UNIQ_KEY\u{1}C0A8010A3039123456780001E2400001\u{2}WAIT\u{1}true\u{2}".into(),
        ),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        max_reconsume_times: None,
        batch: Some(false),
        broker_name: Some("broker-a".into()),
    };
    let mut ext = ExtFields::new();
    h.clone().into_v2_ext_fields(&mut ext);
    let expected = ext_of(&[
        ("a", "pg"),
        ("b", "TopicTest"),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "1"),
        ("f", "0"),
        ("g", "1700000000123"),
        ("h", "0"),
        (
            "i",
            "UNIQ_KEY\u{1}C0A8010A3039123456780001E2400001\u{2}WAIT\u{1}true\u{2}",
        ),
        ("j", "0"),
        ("k", "false"),
        ("m", "false"),
        ("n", "broker-a"),
    ]);
    assert_eq!(ext, expected);
    let mut by_ref = ExtFields::new();
    h.to_v2_ext_fields(&mut by_ref);
    assert_eq!(by_ref, expected);
}

#[test]
fn send_request_any_picks_names_by_code() {
    let h = full_send();
    let (mut v1, mut v2) = (ExtFields::new(), ExtFields::new());
    h.to_ext_fields(&mut v1);
    h.to_v2_ext_fields(&mut v2);
    for code in [
        RequestCode::SEND_MESSAGE_V2,
        RequestCode::SEND_BATCH_MESSAGE,
        RequestCode::SEND_REPLY_MESSAGE_V2,
    ] {
        assert!(SendMessageRequestHeader::is_v2_code(code));
        assert_eq!(
            SendMessageRequestHeader::from_ext_fields_any(code, &v2),
            Ok(h.clone())
        );
        assert_eq!(
            SendMessageRequestHeader::from_ext_fields_any(code, &v1),
            Err(HeaderError::Missing { field: "a" })
        );
    }
    assert_eq!(
        SendMessageRequestHeader::from_ext_fields_any(RequestCode::SEND_MESSAGE, &v1),
        Ok(h.clone())
    );
    // The raw code of a decoded command works too.
    assert_eq!(
        SendMessageRequestHeader::from_ext_fields_any(310, &v2),
        Ok(h.clone())
    );
    assert_eq!(
        SendMessageRequestHeader::from_ext_fields_any(10, &v1),
        Ok(h.clone())
    );
    assert!(!SendMessageRequestHeader::is_v2_code(324));
    assert_eq!(
        SendMessageRequestHeader::from_ext_fields_any(RequestCode::SEND_MESSAGE, &v2),
        Err(HeaderError::Missing {
            field: "producerGroup"
        })
    );
}

#[test]
fn v2_broker_name_falls_back_to_bname() {
    let mut ext = ExtFields::new();
    let mut h = full_send();
    h.broker_name = None;
    h.to_v2_ext_fields(&mut ext);
    ext.insert("bname", "broker-b");
    let got = SendMessageRequestHeader::from_v2_ext_fields(&ext).map(|h| h.broker_name);
    assert_eq!(got, Ok(Some("broker-b".into())));
}

#[test]
fn booleans_parse_like_java() {
    let mut ext = ExtFields::new();
    full_send().to_ext_fields(&mut ext);
    for (value, expected) in [
        ("TRUE", true),
        ("True", true),
        ("false", false),
        ("yes", false),
        ("", false),
    ] {
        ext.insert("batch", value);
        let got = SendMessageRequestHeader::from_ext_fields(&ext).map(|h| h.batch);
        assert_eq!(got, Ok(Some(expected)), "{value:?}");
    }
}

#[test]
fn send_response() {
    let c = Codec {
        to: SendMessageResponseHeader::to_ext_fields,
        from: SendMessageResponseHeader::from_ext_fields,
    };
    let full = SendMessageResponseHeader {
        msg_id: "7F00000100002A9F0000000000000000".into(),
        queue_id: 1,
        queue_offset: 42,
        transaction_id: Some("C0A8010A3039123456780001E2400001".into()),
        batch_uniq_id: Some("B".into()),
        recall_handle: Some("R".into()),
        region: Some("DefaultRegion".into()),
        trace_on: false,
    };
    check(
        &c,
        &full,
        &["msgId", "queueId", "queueOffset"],
        &[("queueId", "i32"), ("queueOffset", "i64")],
    );

    // What the Rust broker sends.
    let ext = ext_of(&[
        ("msgId", "7F00000100002A9F0000000000000000"),
        ("queueId", "1"),
        ("queueOffset", "0"),
        ("transactionId", "AB"),
        ("MSG_REGION", "DefaultRegion"),
        ("TRACE_ON", "true"),
    ]);
    let h = SendMessageResponseHeader::from_ext_fields(&ext);
    assert_eq!(h.as_ref().map(|h| h.trace_on), Ok(true));
    assert_eq!(
        h.as_ref().map(|h| h.region.as_deref()),
        Ok(Some("DefaultRegion"))
    );

    // TRACE_ON is false only for exactly "false"; absent means true.
    for (value, expected) in [
        (None, true),
        (Some("false"), false),
        (Some("FALSE"), true),
        (Some("x"), true),
    ] {
        let mut e = ext.clone();
        e.remove("TRACE_ON");
        if let Some(v) = value {
            e.insert("TRACE_ON", v);
        }
        assert_eq!(
            SendMessageResponseHeader::from_ext_fields(&e).map(|h| h.trace_on),
            Ok(expected)
        );
    }
    assert!(SendMessageResponseHeader::default().trace_on);
}

#[test]
fn send_status_mapping() {
    let table = [
        (0, Some(SendStatus::SendOk)),
        (10, Some(SendStatus::FlushDiskTimeout)),
        (12, Some(SendStatus::FlushSlaveTimeout)),
        (11, Some(SendStatus::SlaveNotAvailable)),
        (1, None),
        (2, None),
        (13, None),
        (14, None),
        (16, None),
        (17, None),
        (1500, None),
        (-1, None),
    ];
    for (code, expected) in table {
        assert_eq!(
            SendStatus::from_response_code(ResponseCode(code)),
            expected,
            "code {code}"
        );
    }
    assert_eq!(SendStatus::SendOk.java_name(), "SEND_OK");
}
