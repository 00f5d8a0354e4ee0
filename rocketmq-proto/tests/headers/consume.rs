//! Route, pull, offset, client, consumer-status and lock headers; Java's defaults.

use super::*;

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
