//! Typed custom headers: round trips, missing and invalid fields, V2 short names.

use std::fmt::Debug;

use rocketmq_proto::header::*;
use rocketmq_proto::{ExtFields, HeaderError, RequestCode, ResponseCode};

/// Conversion functions of one header type.
struct Codec<H> {
    to: fn(&H, &mut ExtFields),
    from: fn(&ExtFields) -> Result<H, HeaderError>,
}

/// Checks a fully populated header: round trip, `Missing` for each required key,
/// `Invalid` for each listed numeric key, and that `Default` round-trips too.
fn check<H: PartialEq + Debug + Default>(
    c: &Codec<H>,
    full: &H,
    required: &[&'static str],
    numeric: &[(&'static str, &'static str)],
) {
    let mut ext = ExtFields::new();
    (c.to)(full, &mut ext);
    assert_eq!((c.from)(&ext).as_ref(), Ok(full), "round trip via {ext:?}");

    for &field in required {
        let mut e = ext.clone();
        assert!(e.remove(field).is_some(), "{field} was not written");
        assert_eq!(
            (c.from)(&e),
            Err(HeaderError::Missing { field }),
            "without {field}"
        );
    }
    for &(field, expected) in numeric {
        let mut e = ext.clone();
        e.insert(field, "12x");
        assert_eq!(
            (c.from)(&e),
            Err(HeaderError::Invalid {
                field,
                value: "12x".into(),
                expected
            }),
            "bad {field}"
        );
    }

    let default = H::default();
    let mut ext = ExtFields::new();
    (c.to)(&default, &mut ext);
    assert_eq!((c.from)(&ext), Ok(default));
}

fn ext_of(pairs: &[(&'static str, &str)]) -> ExtFields {
    pairs.iter().map(|&(k, v)| (k, v)).collect()
}

fn full_send() -> SendMessageRequestHeader {
    SendMessageRequestHeader {
        producer_group: "pg".into(),
        topic: "TopicTest".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 3,
        sys_flag: 0x300,
        born_timestamp: 1_700_000_000_000,
        flag: 7,
        properties: Some("WAIT\u{1}true\u{2}".into()),
        reconsume_times: Some(2),
        unit_mode: Some(false),
        max_reconsume_times: Some(16),
        batch: Some(true),
        broker_name: Some("broker-a".into()),
    }
}

const SEND_REQUIRED_V1: [&str; 8] = [
    "producerGroup",
    "topic",
    "defaultTopic",
    "defaultTopicQueueNums",
    "queueId",
    "sysFlag",
    "bornTimestamp",
    "flag",
];

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

#[test]
fn get_route_info() {
    let c = Codec {
        to: GetRouteInfoRequestHeader::to_ext_fields,
        from: GetRouteInfoRequestHeader::from_ext_fields,
    };
    check(
        &c,
        &GetRouteInfoRequestHeader::new("TopicTest"),
        &["topic"],
        &[],
    );
    let mut ext = ExtFields::new();
    GetRouteInfoRequestHeader::new("TopicTest").to_ext_fields(&mut ext);
    assert_eq!(
        ext,
        ext_of(&[("topic", "TopicTest"), ("acceptStandardJsonOnly", "true")])
    );
}

#[test]
fn pull_request() {
    let c = Codec {
        to: PullMessageRequestHeader::to_ext_fields,
        from: PullMessageRequestHeader::from_ext_fields,
    };
    let full = PullMessageRequestHeader {
        consumer_group: "cg".into(),
        topic: "TopicTest".into(),
        queue_id: 2,
        queue_offset: 100,
        max_msg_nums: 32,
        sys_flag: 3,
        commit_offset: 99,
        suspend_timeout_millis: 15000,
        subscription: Some("TagA || TagB".into()),
        sub_version: 1_700_000_000_000,
        expression_type: Some("TAG".into()),
        max_msg_bytes: Some(262_144),
        request_source: Some(-1),
        proxy_forward_client_id: Some("cid".into()),
        broker_name: Some("broker-a".into()),
    };
    check(
        &c,
        &full,
        &[
            "consumerGroup",
            "topic",
            "queueId",
            "queueOffset",
            "maxMsgNums",
            "sysFlag",
            "commitOffset",
            "suspendTimeoutMillis",
            "subVersion",
        ],
        &[
            ("queueOffset", "i64"),
            ("maxMsgNums", "i32"),
            ("maxMsgBytes", "i32"),
            ("subVersion", "i64"),
        ],
    );
    let mut ext = ExtFields::new();
    full.to_ext_fields(&mut ext);
    assert_eq!(ext.get("proxyFrowardClientId"), Some("cid"));
    assert_eq!(ext.len(), 15);
}

#[test]
fn pull_status_mapping() {
    let table = [
        (0, Some(PullStatus::Found)),
        (19, Some(PullStatus::NoNewMsg)),
        (20, Some(PullStatus::NoMatchedMsg)),
        (21, Some(PullStatus::OffsetIllegal)),
        (1, None),
        (2, None),
        (22, None),
        (24, None),
        (25, None),
        (26, None),
        (215, None),
        (-1, None),
    ];
    for (code, expected) in table {
        assert_eq!(
            PullStatus::from_response_code(ResponseCode(code)),
            expected,
            "code {code}"
        );
    }
    let names = [
        PullStatus::Found,
        PullStatus::NoNewMsg,
        PullStatus::NoMatchedMsg,
        PullStatus::OffsetIllegal,
    ]
    .map(PullStatus::java_name);
    assert_eq!(
        names,
        ["FOUND", "NO_NEW_MSG", "NO_MATCHED_MSG", "OFFSET_ILLEGAL"]
    );
}

#[test]
fn pull_response() {
    let c = Codec {
        to: PullMessageResponseHeader::to_ext_fields,
        from: PullMessageResponseHeader::from_ext_fields,
    };
    let full = PullMessageResponseHeader {
        suggest_which_broker_id: 1,
        next_begin_offset: 132,
        min_offset: 0,
        max_offset: 500,
        offset_delta: Some(10),
        topic_sys_flag: Some(0),
        group_sys_flag: Some(1),
        forbidden_type: Some(2),
    };
    check(
        &c,
        &full,
        &[
            "suggestWhichBrokerId",
            "nextBeginOffset",
            "minOffset",
            "maxOffset",
        ],
        &[
            ("nextBeginOffset", "i64"),
            ("offsetDelta", "i64"),
            ("topicSysFlag", "i32"),
        ],
    );
}

#[test]
fn consumer_offsets() {
    check(
        &Codec {
            to: QueryConsumerOffsetRequestHeader::to_ext_fields,
            from: QueryConsumerOffsetRequestHeader::from_ext_fields,
        },
        &QueryConsumerOffsetRequestHeader {
            consumer_group: "cg".into(),
            topic: "T".into(),
            queue_id: 1,
            set_zero_if_not_found: Some(false),
            broker_name: Some("broker-a".into()),
        },
        &["consumerGroup", "topic", "queueId"],
        &[("queueId", "i32")],
    );
    check(
        &Codec {
            to: QueryConsumerOffsetResponseHeader::to_ext_fields,
            from: QueryConsumerOffsetResponseHeader::from_ext_fields,
        },
        &QueryConsumerOffsetResponseHeader { offset: Some(42) },
        &[],
        &[("offset", "i64")],
    );
    check(
        &Codec {
            to: UpdateConsumerOffsetRequestHeader::to_ext_fields,
            from: UpdateConsumerOffsetRequestHeader::from_ext_fields,
        },
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: "cg".into(),
            topic: "T".into(),
            queue_id: 1,
            commit_offset: -7,
            broker_name: Some("broker-a".into()),
        },
        &["consumerGroup", "topic", "queueId", "commitOffset"],
        &[("commitOffset", "i64")],
    );
    // The spec §11 V3 response.
    let ext = ext_of(&[("offset", "42")]);
    assert_eq!(
        QueryConsumerOffsetResponseHeader::from_ext_fields(&ext),
        Ok(QueryConsumerOffsetResponseHeader { offset: Some(42) })
    );
    // A broker asked with setZeroIfNotFound=true may answer SUCCESS without `offset`.
    assert_eq!(
        QueryConsumerOffsetResponseHeader::from_ext_fields(&ExtFields::new()),
        Ok(QueryConsumerOffsetResponseHeader { offset: None })
    );
    let mut ext = ExtFields::new();
    QueryConsumerOffsetResponseHeader { offset: None }.to_ext_fields(&mut ext);
    assert!(ext.is_empty());
    // setZeroIfNotFound is written only when set, as Java's nullable Boolean.
    let mut ext = ExtFields::new();
    QueryConsumerOffsetRequestHeader {
        set_zero_if_not_found: Some(true),
        ..QueryConsumerOffsetRequestHeader::default()
    }
    .to_ext_fields(&mut ext);
    assert_eq!(ext.get("setZeroIfNotFound"), Some("true"));
    let mut ext = ExtFields::new();
    QueryConsumerOffsetRequestHeader::default().to_ext_fields(&mut ext);
    assert_eq!(ext.get("setZeroIfNotFound"), None);
}

#[test]
fn queue_offsets() {
    check(
        &Codec {
            to: GetMaxOffsetRequestHeader::to_ext_fields,
            from: GetMaxOffsetRequestHeader::from_ext_fields,
        },
        &GetMaxOffsetRequestHeader {
            topic: "T".into(),
            queue_id: 3,
            committed: Some(true),
            broker_name: Some("b".into()),
        },
        &["topic", "queueId"],
        &[("queueId", "i32")],
    );
    check(
        &Codec {
            to: GetMinOffsetRequestHeader::to_ext_fields,
            from: GetMinOffsetRequestHeader::from_ext_fields,
        },
        &GetMinOffsetRequestHeader {
            topic: "T".into(),
            queue_id: 3,
            broker_name: None,
        },
        &["topic", "queueId"],
        &[("queueId", "i32")],
    );
    check(
        &Codec {
            to: SearchOffsetRequestHeader::to_ext_fields,
            from: SearchOffsetRequestHeader::from_ext_fields,
        },
        &SearchOffsetRequestHeader {
            topic: "T".into(),
            queue_id: 3,
            timestamp: 1_700_000_000_000,
            boundary_type: BoundaryType::Upper,
            broker_name: Some("b".into()),
        },
        &["topic", "queueId", "timestamp"],
        &[("timestamp", "i64")],
    );
    check(
        &Codec {
            to: OffsetResponseHeader::to_ext_fields,
            from: OffsetResponseHeader::from_ext_fields,
        },
        &OffsetResponseHeader { offset: 1 << 40 },
        &["offset"],
        &[("offset", "i64")],
    );
}

#[test]
fn boundary_type_parses_case_insensitively() {
    let mut ext = ext_of(&[("topic", "T"), ("queueId", "0"), ("timestamp", "5")]);
    let get =
        |ext: &ExtFields| SearchOffsetRequestHeader::from_ext_fields(ext).map(|h| h.boundary_type);
    assert_eq!(get(&ext), Ok(BoundaryType::Lower));
    for (value, expected) in [
        ("upper", BoundaryType::Upper),
        ("UPPER", BoundaryType::Upper),
        ("Upper", BoundaryType::Upper),
        ("lower", BoundaryType::Lower),
        ("LOWER", BoundaryType::Lower),
        ("other", BoundaryType::Lower),
    ] {
        ext.insert("boundaryType", value);
        assert_eq!(get(&ext), Ok(expected), "{value}");
    }
    let mut out = ExtFields::new();
    SearchOffsetRequestHeader::default().to_ext_fields(&mut out);
    assert_eq!(out.get("boundaryType"), Some("LOWER"));
}

#[test]
fn client_headers() {
    check(
        &Codec {
            to: UnregisterClientRequestHeader::to_ext_fields,
            from: UnregisterClientRequestHeader::from_ext_fields,
        },
        &UnregisterClientRequestHeader {
            client_id: "127.0.0.1@1#2".into(),
            producer_group: Some("pg".into()),
            consumer_group: Some("cg".into()),
        },
        &["clientID"],
        &[],
    );
    check(
        &Codec {
            to: GetConsumerListByGroupRequestHeader::to_ext_fields,
            from: GetConsumerListByGroupRequestHeader::from_ext_fields,
        },
        &GetConsumerListByGroupRequestHeader {
            consumer_group: "cg".into(),
        },
        &["consumerGroup"],
        &[],
    );
    check(
        &Codec {
            to: NotifyConsumerIdsChangedRequestHeader::to_ext_fields,
            from: NotifyConsumerIdsChangedRequestHeader::from_ext_fields,
        },
        &NotifyConsumerIdsChangedRequestHeader {
            consumer_group: "cg".into(),
        },
        &["consumerGroup"],
        &[],
    );
    check(
        &Codec {
            to: GetConsumerRunningInfoRequestHeader::to_ext_fields,
            from: GetConsumerRunningInfoRequestHeader::from_ext_fields,
        },
        &GetConsumerRunningInfoRequestHeader {
            consumer_group: "cg".into(),
            client_id: "cid".into(),
            jstack_enable: true,
        },
        &["consumerGroup", "clientId"],
        &[],
    );
    check(
        &Codec {
            to: ResetOffsetRequestHeader::to_ext_fields,
            from: ResetOffsetRequestHeader::from_ext_fields,
        },
        &ResetOffsetRequestHeader {
            group: "cg".into(),
            topic: "T".into(),
            queue_id: 2,
            offset: Some(100),
            timestamp: 1_700_000_000_000,
            is_force: true,
        },
        &["group", "topic", "timestamp", "isForce"],
        &[("queueId", "i32"), ("offset", "i64"), ("timestamp", "i64")],
    );
    check(
        &Codec {
            to: HeartbeatRequestHeader::to_ext_fields,
            from: HeartbeatRequestHeader::from_ext_fields,
        },
        &HeartbeatRequestHeader,
        &[],
        &[],
    );
}

#[test]
fn consumer_status_and_consume_directly_headers() {
    check(
        &Codec {
            to: GetConsumerStatusRequestHeader::to_ext_fields,
            from: GetConsumerStatusRequestHeader::from_ext_fields,
        },
        &GetConsumerStatusRequestHeader {
            topic: "TopicTest".into(),
            group: "cg".into(),
            client_addr: Some("10.0.0.1:50000".into()),
        },
        &["topic", "group"],
        &[],
    );
    let c = Codec {
        to: ConsumeMessageDirectlyResultRequestHeader::to_ext_fields,
        from: ConsumeMessageDirectlyResultRequestHeader::from_ext_fields,
    };
    let full = ConsumeMessageDirectlyResultRequestHeader {
        consumer_group: "cg".into(),
        client_id: Some("192.168.1.10@12345#1".into()),
        msg_id: Some("C0A8010A00002A9F0000000000000064".into()),
        broker_name: Some("broker-a".into()),
        topic: Some("TopicTest".into()),
        topic_sys_flag: Some(0),
        group_sys_flag: Some(1),
    };
    check(
        &c,
        &full,
        &["consumerGroup"],
        &[("topicSysFlag", "i32"), ("groupSysFlag", "i32")],
    );
    let mut ext = ExtFields::new();
    full.to_ext_fields(&mut ext);
    assert_eq!(ext.get("brokerName"), Some("broker-a"));
    assert_eq!(ext.get("bname"), None);
    // The admin tool's extFields arrive verbatim: extra keys (ACL, `bname`, …) are ignored.
    let ext = ext_of(&[
        ("consumerGroup", "cg"),
        ("AccessKey", "ak"),
        ("Signature", "sig"),
        ("bname", "broker-a"),
    ]);
    assert_eq!(
        ConsumeMessageDirectlyResultRequestHeader::from_ext_fields(&ext),
        Ok(ConsumeMessageDirectlyResultRequestHeader {
            consumer_group: "cg".into(),
            ..ConsumeMessageDirectlyResultRequestHeader::default()
        })
    );
}

#[test]
fn lock_headers_carry_only_bname() {
    check(
        &Codec {
            to: LockBatchMqRequestHeader::to_ext_fields,
            from: LockBatchMqRequestHeader::from_ext_fields,
        },
        &LockBatchMqRequestHeader {
            broker_name: Some("broker-a".into()),
        },
        &[],
        &[],
    );
    check(
        &Codec {
            to: UnlockBatchMqRequestHeader::to_ext_fields,
            from: UnlockBatchMqRequestHeader::from_ext_fields,
        },
        &UnlockBatchMqRequestHeader {
            broker_name: Some("broker-a".into()),
        },
        &[],
        &[],
    );
    let mut ext = ExtFields::new();
    LockBatchMqRequestHeader::default().to_ext_fields(&mut ext);
    UnlockBatchMqRequestHeader::default().to_ext_fields(&mut ext);
    assert!(ext.is_empty());
    let mut ext = ExtFields::new();
    UnlockBatchMqRequestHeader {
        broker_name: Some("b".into()),
    }
    .to_ext_fields(&mut ext);
    assert_eq!(ext, ext_of(&[("bname", "b")]));
}

#[test]
fn java_primitive_defaults_when_absent() {
    let ext = ext_of(&[("consumerGroup", "cg"), ("clientId", "c")]);
    let h = GetConsumerRunningInfoRequestHeader::from_ext_fields(&ext);
    assert_eq!(h.map(|h| h.jstack_enable), Ok(false));

    let ext = ext_of(&[
        ("group", "g"),
        ("topic", "T"),
        ("timestamp", "1"),
        ("isForce", "false"),
    ]);
    let h = ResetOffsetRequestHeader::from_ext_fields(&ext);
    assert_eq!(h.as_ref().map(|h| h.queue_id), Ok(-1));
    assert_eq!(h.as_ref().map(|h| h.offset), Ok(None));
    assert_eq!(ResetOffsetRequestHeader::default().queue_id, -1);

    let ext = ext_of(&[("offset", "5"), ("group", "g"), ("delayLevel", "0")]);
    let h = ConsumerSendMsgBackRequestHeader::from_ext_fields(&ext);
    assert_eq!(h.map(|h| h.unit_mode), Ok(false));
}

#[test]
fn unregister_client_writes_only_present_groups() {
    let mut ext = ExtFields::new();
    UnregisterClientRequestHeader {
        client_id: "cid".into(),
        producer_group: Some("pg".into()),
        consumer_group: None,
    }
    .to_ext_fields(&mut ext);
    assert_eq!(ext, ext_of(&[("clientID", "cid"), ("producerGroup", "pg")]));
}

#[test]
fn send_msg_back() {
    check(
        &Codec {
            to: ConsumerSendMsgBackRequestHeader::to_ext_fields,
            from: ConsumerSendMsgBackRequestHeader::from_ext_fields,
        },
        &ConsumerSendMsgBackRequestHeader {
            offset: 0x1234,
            group: "cg".into(),
            delay_level: 0,
            origin_msg_id: Some("C0A8".into()),
            origin_topic: Some("T".into()),
            unit_mode: false,
            max_reconsume_times: Some(16),
            broker_name: Some("broker-a".into()),
        },
        &["offset", "group", "delayLevel"],
        &[
            ("offset", "i64"),
            ("delayLevel", "i32"),
            ("maxReconsumeTimes", "i32"),
        ],
    );
}

#[test]
fn transactions() {
    check(
        &Codec {
            to: EndTransactionRequestHeader::to_ext_fields,
            from: EndTransactionRequestHeader::from_ext_fields,
        },
        &EndTransactionRequestHeader {
            topic: Some("T".into()),
            producer_group: "pg".into(),
            tran_state_table_offset: 5,
            commit_log_offset: 0x1234,
            commit_or_rollback: TransactionState::Commit,
            from_transaction_check: true,
            msg_id: "UNIQ".into(),
            transaction_id: Some("UNIQ".into()),
        },
        &[
            "producerGroup",
            "tranStateTableOffset",
            "commitLogOffset",
            "commitOrRollback",
            "msgId",
        ],
        &[("tranStateTableOffset", "i64"), ("commitLogOffset", "i64")],
    );
    check(
        &Codec {
            to: CheckTransactionStateRequestHeader::to_ext_fields,
            from: CheckTransactionStateRequestHeader::from_ext_fields,
        },
        &CheckTransactionStateRequestHeader {
            topic: Some("T".into()),
            tran_state_table_offset: 5,
            commit_log_offset: 0x1234,
            msg_id: Some("UNIQ".into()),
            transaction_id: Some("UNIQ".into()),
            offset_msg_id: Some("OFF".into()),
        },
        &["tranStateTableOffset", "commitLogOffset"],
        &[("tranStateTableOffset", "i64"), ("commitLogOffset", "i64")],
    );
}

#[test]
fn transaction_state_values() {
    for (state, v) in [
        (TransactionState::Unknown, 0),
        (TransactionState::Commit, 8),
        (TransactionState::Rollback, 12),
    ] {
        assert_eq!(state.as_i32(), v);
        assert_eq!(TransactionState::from_i32(v), Some(state));
    }
    assert_eq!(TransactionState::from_i32(4), None);

    let mut ext = ExtFields::new();
    EndTransactionRequestHeader::default().to_ext_fields(&mut ext);
    assert_eq!(ext.get("commitOrRollback"), Some("0"));
    assert_eq!(ext.get("fromTransactionCheck"), Some("false"));
    ext.insert("commitOrRollback", "4");
    assert_eq!(
        EndTransactionRequestHeader::from_ext_fields(&ext),
        Err(HeaderError::Invalid {
            field: "commitOrRollback",
            value: "4".into(),
            expected: "transaction state (0, 8 or 12)",
        })
    );
}

#[test]
fn admin_headers() {
    check(
        &Codec {
            to: ViewMessageByIdRequestHeader::to_ext_fields,
            from: ViewMessageByIdRequestHeader::from_ext_fields,
        },
        &ViewMessageByIdRequestHeader {
            topic: Some("T".into()),
            offset: 0x1234,
        },
        &["offset"],
        &[("offset", "i64")],
    );
    check(
        &Codec {
            to: GetEarliestMsgStoretimeRequestHeader::to_ext_fields,
            from: GetEarliestMsgStoretimeRequestHeader::from_ext_fields,
        },
        &GetEarliestMsgStoretimeRequestHeader {
            topic: "T".into(),
            queue_id: 0,
        },
        &["topic", "queueId"],
        &[("queueId", "i32")],
    );
    check(
        &Codec {
            to: GetEarliestMsgStoretimeResponseHeader::to_ext_fields,
            from: GetEarliestMsgStoretimeResponseHeader::from_ext_fields,
        },
        &GetEarliestMsgStoretimeResponseHeader {
            timestamp: 1_700_000_000_000,
        },
        &["timestamp"],
        &[("timestamp", "i64")],
    );
}

#[test]
fn integers_parse_like_java() {
    let mut ext = ext_of(&[("offset", "+5")]);
    assert_eq!(
        OffsetResponseHeader::from_ext_fields(&ext),
        Ok(OffsetResponseHeader { offset: 5 })
    );
    for bad in ["", " 5", "5 ", "0x10", "9223372036854775808", "1.0"] {
        ext.insert("offset", bad);
        assert_eq!(
            OffsetResponseHeader::from_ext_fields(&ext),
            Err(HeaderError::Invalid {
                field: "offset",
                value: bad.into(),
                expected: "i64"
            }),
            "{bad:?}"
        );
    }
    ext.insert("offset", "-9223372036854775808");
    assert_eq!(
        OffsetResponseHeader::from_ext_fields(&ext),
        Ok(OffsetResponseHeader { offset: i64::MIN })
    );
    let mut out = ExtFields::new();
    OffsetResponseHeader { offset: i64::MIN }.to_ext_fields(&mut out);
    assert_eq!(out.get("offset"), Some("-9223372036854775808"));
}

#[test]
fn unknown_keys_are_ignored() {
    let ext = ext_of(&[("offset", "1"), ("AccessKey", "ak"), ("Signature", "sig")]);
    assert_eq!(
        OffsetResponseHeader::from_ext_fields(&ext),
        Ok(OffsetResponseHeader { offset: 1 })
    );
}
