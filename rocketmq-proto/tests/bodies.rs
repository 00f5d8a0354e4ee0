//! JSON bodies: routes (standard and fastjson forms), heartbeats, consumer bodies,
//! and the object-keyed ResetOffsetBody.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rocketmq_proto::body::*;
use rocketmq_proto::{BodyError, SubscriptionError};

/// Spec §4.3, legacy fastjson form (bare integer keys).
const ROUTE_LEGACY: &str = r#"{"brokerDatas":[{"brokerAddrs":{0:"192.168.1.20:10911",1:"192.168.1.21:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;

/// Spec §4.3, standard form.
const ROUTE_STANDARD: &str = r#"{"brokerDatas":[{"brokerAddrs":{"0":"192.168.1.20:10911","1":"192.168.1.21:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;

/// Spec §7 example.
const HEARTBEAT: &str = r#"{"clientID":"192.168.1.10@12345#91823123456789","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"cg","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":1700000000000,"tagsSet":["TagA"],"topic":"TopicTest"}],"unitMode":false}],"producerDataSet":[{"groupName":"pg"}]}"#;

fn queue(broker: &str, read: i32, write: i32, perm: i32) -> QueueData {
    QueueData {
        broker_name: broker.into(),
        perm,
        read_queue_nums: read,
        topic_sys_flag: 0,
        write_queue_nums: write,
    }
}

fn broker(cluster: &str, name: &str, addrs: &[(i64, &str)]) -> BrokerData {
    BrokerData {
        broker_addrs: addrs.iter().map(|&(id, a)| (id, a.to_owned())).collect(),
        broker_name: name.into(),
        cluster: cluster.into(),
        enable_acting_master: false,
        zone_name: None,
    }
}

fn spec_route() -> TopicRouteData {
    TopicRouteData {
        broker_datas: vec![broker(
            "DefaultCluster",
            "broker-a",
            &[(0, "192.168.1.20:10911"), (1, "192.168.1.21:10911")],
        )],
        filter_server_table: BTreeMap::new(),
        order_topic_conf: None,
        queue_datas: vec![queue("broker-a", 4, 4, 6)],
    }
}

fn route(json: &str) -> Result<TopicRouteData, BodyError> {
    TopicRouteData::from_json(json.as_bytes())
}

#[test]
fn route_legacy_and_standard_decode_to_the_same_value() {
    assert_eq!(route(ROUTE_STANDARD), Ok(spec_route()));
    assert_eq!(route(ROUTE_LEGACY), Ok(spec_route()));
}

#[test]
fn route_to_json_is_the_standard_payload() {
    assert_eq!(spec_route().to_json(), ROUTE_STANDARD);
}

#[test]
fn route_master_and_slave() {
    let r = route(ROUTE_LEGACY).unwrap_or_default();
    let b = &r.broker_datas[0];
    assert_eq!(b.master_addr(), Some("192.168.1.20:10911"));
    assert_eq!(
        b.broker_addrs.get(&1).map(String::as_str),
        Some("192.168.1.21:10911")
    );
    let slave_only = broker("c", "b", &[(1, "x:1")]);
    assert_eq!(slave_only.master_addr(), None);
}

#[test]
fn route_several_brokers_and_normalized_comparison() {
    let json = r#"{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.2:10911"},"brokerName":"broker-b","cluster":"C"},{"brokerAddrs":{0:"10.0.0.1:10911",2:"10.0.0.3:10911"},"brokerName":"broker-a","cluster":"C"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-b","perm":6,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8},{"brokerName":"broker-a","perm":4,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":2}]}"#;
    let r = route(json).unwrap_or_default();
    assert_eq!(r.broker_datas.len(), 2);
    assert_eq!(r.broker_datas[1].broker_addrs.len(), 2);
    assert_eq!(r.broker_datas[1].master_addr(), Some("10.0.0.1:10911"));
    assert_eq!(r.queue_datas[1], queue("broker-a", 4, 2, 4));

    let mut swapped = r.clone();
    swapped.broker_datas.reverse();
    swapped.queue_datas.reverse();
    assert_ne!(swapped, r);
    assert_eq!(swapped.normalized(), r.normalized());
    assert_eq!(r.normalized().broker_datas[0].broker_name, "broker-a");
    assert_eq!(r.normalized().queue_datas[0].broker_name, "broker-a");

    let mut changed = r.clone();
    changed.queue_datas[0].perm = 4;
    assert_ne!(changed.normalized(), r.normalized());
}

#[test]
fn route_order_topic_conf() {
    let json = r#"{"brokerDatas":[],"filterServerTable":{},"orderTopicConf":"broker-a:4;broker-b:4","queueDatas":[]}"#;
    let r = route(json).unwrap_or_default();
    assert_eq!(r.order_topic_conf.as_deref(), Some("broker-a:4;broker-b:4"));
    assert_eq!(r.to_json(), json);
}

#[test]
fn route_from_the_rust_server() {
    let json = r#"{"orderTopicConf":null,"queueDatas":[{"brokerName":"broker-a","readQueueNums":8,"writeQueueNums":8,"perm":7,"topicSysFlag":0}],"brokerDatas":[{"cluster":"DefaultCluster","brokerName":"broker-a","brokerAddrs":{"0":"127.0.0.1:10911"},"zoneName":"zone-1","enableActingMaster":true}],"filterServerTable":{},"topicQueueMappingInfo":{"TopicTest":{"a":[1,2,{"b":null}]}},"topicQueueMappingByBroker":null}"#;
    let expected = TopicRouteData {
        broker_datas: vec![BrokerData {
            broker_addrs: [(0, "127.0.0.1:10911".to_owned())].into(),
            broker_name: "broker-a".into(),
            cluster: "DefaultCluster".into(),
            enable_acting_master: true,
            zone_name: Some("zone-1".into()),
        }],
        filter_server_table: BTreeMap::new(),
        order_topic_conf: None,
        queue_datas: vec![queue("broker-a", 8, 8, 7)],
    };
    assert_eq!(route(json), Ok(expected));
}

#[test]
fn route_null_fields_read_as_empty() {
    let all_null =
        r#"{"brokerDatas":null,"filterServerTable":null,"orderTopicConf":null,"queueDatas":null}"#;
    assert_eq!(route(all_null), Ok(TopicRouteData::default()));
    assert_eq!(route("{}"), Ok(TopicRouteData::default()));
    assert_eq!(route(" {\n} "), Ok(TopicRouteData::default()));

    let nested = r#"{"brokerDatas":[{"brokerAddrs":{0:null,1:"10.0.0.2:10911"},"brokerName":null,"cluster":null,"enableActingMaster":null,"zoneName":null}],"filterServerTable":{"10.0.0.1:10911":null},"queueDatas":[{"brokerName":"b","perm":null,"readQueueNums":null,"topicSysFlag":null,"writeQueueNums":null}]}"#;
    let expected = TopicRouteData {
        broker_datas: vec![broker("", "", &[(1, "10.0.0.2:10911")])],
        filter_server_table: [("10.0.0.1:10911".to_owned(), Vec::new())].into(),
        order_topic_conf: None,
        queue_datas: vec![queue("b", 0, 0, 0)],
    };
    assert_eq!(route(nested), Ok(expected));
}

#[test]
fn route_filter_server_table() {
    let json = r#"{"brokerDatas":[],"filterServerTable":{"10.0.0.1:10911":["10.0.0.1:1","10.0.0.1:2"]},"queueDatas":[]}"#;
    let r = route(json).unwrap_or_default();
    assert_eq!(r.filter_server_table["10.0.0.1:10911"].len(), 2);
    assert_eq!(r.to_json(), json);
}

#[test]
fn route_bare_keys_inside_strings_are_not_rewritten() {
    let json = r#"{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911"},"brokerName":"b{1:x,2:y}","cluster":"c\"{1:\\","zoneName":",3:"}],"queueDatas":[]}"#;
    let r = route(json).unwrap_or_default();
    let b = &r.broker_datas[0];
    assert_eq!(b.broker_name, "b{1:x,2:y}");
    assert_eq!(b.cluster, "c\"{1:\\");
    assert_eq!(b.zone_name.as_deref(), Some(",3:"));
    assert_eq!(b.master_addr(), Some("10.0.0.1:10911"));
}

#[test]
fn route_negative_and_spaced_keys() {
    let legacy = r#"{"brokerDatas":[{"brokerAddrs":{ -1 : "a:1" , 0:"b:2", 10:"c:3"},"brokerName":"x","cluster":"y"}]}"#;
    let standard = r#"{"brokerDatas":[{"brokerAddrs":{"-1":"a:1","0":"b:2","10":"c:3"},"brokerName":"x","cluster":"y"}]}"#;
    let r = route(legacy);
    assert_eq!(r, route(standard));
    let addrs = r
        .map(|r| r.broker_datas[0].broker_addrs.clone())
        .unwrap_or_default();
    assert_eq!(addrs.keys().copied().collect::<Vec<_>>(), [-1, 0, 10]);
}

#[test]
fn route_garbage_is_an_error() {
    for bad in [
        "",
        " ",
        "null",
        "[",
        "{",
        "}",
        "{\"brokerDatas\":[{]}",
        "{\"brokerDatas\":{}}",
        "{\"queueDatas\":[{\"perm\":\"6\"}]}",
        "{\"queueDatas\":[{\"perm\":4294967296}]}",
        "{\"brokerDatas\":[{\"brokerAddrs\":{\"x\":\"a\"}}]}",
        "{\"brokerDatas\":[{\"brokerAddrs\":{99999999999999999999:\"a\"}}]}",
        "{0:1}x",
        "\u{feff}{}",
        "{\"a\":1}{}",
    ] {
        match route(bad) {
            Err(BodyError::Json { what, message }) => {
                assert_eq!(what, "TopicRouteData");
                assert!(!message.is_empty());
            }
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
    assert!(TopicRouteData::from_json(&[0xff, 0xfe, b'{']).is_err());
    assert!(TopicRouteData::from_json(b"{\"brokerDatas\":[{\"cluster\":\"\xff\"}]}").is_err());
}

#[test]
fn route_truncated_at_every_length_is_an_error() {
    for payload in [ROUTE_STANDARD, ROUTE_LEGACY] {
        let bytes = payload.as_bytes();
        for len in 0..bytes.len() {
            assert!(
                TopicRouteData::from_json(&bytes[..len]).is_err(),
                "prefix of {len} bytes decoded"
            );
        }
        assert!(TopicRouteData::from_json(bytes).is_ok());
    }
}

#[test]
fn route_deep_nesting_does_not_crash() {
    // Unknown fields are skipped without recursion; either outcome is fine.
    let deep = format!("{{\"x\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let _ = route(&deep);
    let deep_keys = format!("{}{}", "{0:".repeat(50_000), "}".repeat(50_000));
    let _ = route(&deep_keys);
    // Known fields hit serde_json's recursion limit.
    let deep_known = format!(
        "{{\"brokerDatas\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(route(&deep_known).is_err());
}

/// Writes `r` in fastjson's legacy form: like `to_json` but with bare broker ids.
fn legacy_json(r: &TopicRouteData) -> String {
    let mut s = r.to_json();
    for b in &r.broker_datas {
        for (id, addr) in &b.broker_addrs {
            s = s.replace(&format!("\"{id}\":\"{addr}\""), &format!("{id}:\"{addr}\""));
        }
    }
    s
}

fn arb_route(text: &'static str) -> impl Strategy<Value = TopicRouteData> {
    let queue = (text, any::<i32>(), any::<i32>(), any::<i32>(), any::<i32>()).prop_map(
        |(broker_name, perm, read_queue_nums, topic_sys_flag, write_queue_nums)| QueueData {
            broker_name,
            perm,
            read_queue_nums,
            topic_sys_flag,
            write_queue_nums,
        },
    );
    let broker = (
        prop::collection::btree_map(any::<i64>(), text, 0..4),
        text,
        text,
        any::<bool>(),
        prop::option::of(text),
    )
        .prop_map(
            |(broker_addrs, broker_name, cluster, enable_acting_master, zone_name)| BrokerData {
                broker_addrs,
                broker_name,
                cluster,
                enable_acting_master,
                zone_name,
            },
        );
    (
        prop::collection::vec(broker, 0..4),
        prop::collection::btree_map(text, prop::collection::vec(text, 0..3), 0..3),
        prop::option::of(text),
        prop::collection::vec(queue, 0..4),
    )
        .prop_map(
            |(broker_datas, filter_server_table, order_topic_conf, queue_datas)| TopicRouteData {
                broker_datas,
                filter_server_table,
                order_topic_conf,
                queue_datas,
            },
        )
}

proptest! {
    #[test]
    fn route_json_round_trips(r in arb_route("\\PC{0,12}")) {
        prop_assert_eq!(TopicRouteData::from_json(r.to_json().as_bytes()), Ok(r));
    }

    #[test]
    fn route_legacy_json_round_trips(r in arb_route("[a-z0-9.:{},\\- ]{0,12}")) {
        let legacy = legacy_json(&r);
        prop_assert_eq!(TopicRouteData::from_json(legacy.as_bytes()), Ok(r));
    }

    #[test]
    fn route_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = TopicRouteData::from_json(&bytes);
        let _ = ResetOffsetBody::from_json(&bytes);
        let _ = HeartbeatData::from_json(&bytes);
    }

    #[test]
    fn route_never_panics_on_json_like_text(s in "[{}\\[\\]\",:0-9a-z\\\\ -]{0,64}") {
        let _ = TopicRouteData::from_json(s.as_bytes());
        let _ = ResetOffsetBody::from_json(s.as_bytes());
    }
}

fn spec_heartbeat() -> HeartbeatData {
    HeartbeatData {
        client_id: "192.168.1.10@12345#91823123456789".into(),
        consumer_data_set: vec![ConsumerData {
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_type: ConsumeType::ConsumePassively,
            group_name: "cg".into(),
            message_model: MessageModel::Clustering,
            subscription_data_set: vec![SubscriptionData::from_tag_expression(
                "TopicTest",
                "TagA",
                1_700_000_000_000,
            )
            .expect("TagA is a valid tag expression")],
            unit_mode: false,
        }],
        producer_data_set: vec![ProducerData {
            group_name: "pg".into(),
        }],
    }
}

#[test]
fn heartbeat_matches_the_spec_example_byte_for_byte() {
    assert_eq!(spec_heartbeat().to_json(), HEARTBEAT);
    assert_eq!(
        HeartbeatData::from_json(HEARTBEAT.as_bytes()),
        Ok(spec_heartbeat())
    );
}

#[test]
fn heartbeat_producer_only_and_every_subscription_has_an_expression_type() {
    let hb = HeartbeatData {
        client_id: "c".into(),
        consumer_data_set: Vec::new(),
        producer_data_set: vec![ProducerData {
            group_name: "pg".into(),
        }],
    };
    assert_eq!(
        hb.to_json(),
        r#"{"clientID":"c","consumerDataSet":[],"producerDataSet":[{"groupName":"pg"}]}"#
    );

    let mut hb = spec_heartbeat();
    hb.consumer_data_set[0]
        .subscription_data_set
        .push(SubscriptionData::from_tag_expression("%RETRY%cg", "*", 5).expect("* is valid"));
    let json = hb.to_json();
    assert_eq!(json.matches("\"expressionType\":\"TAG\"").count(), 2);
    assert_eq!(HeartbeatData::from_json(json.as_bytes()), Ok(hb));
}

#[test]
fn heartbeat_enum_names() {
    let names = |c: &ConsumerData| {
        let json = HeartbeatData {
            consumer_data_set: vec![c.clone()],
            ..HeartbeatData::default()
        }
        .to_json();
        (
            json.contains("CONSUME_ACTIVELY"),
            json.contains("BROADCASTING"),
            json.contains("CONSUME_FROM_TIMESTAMP"),
        )
    };
    let c = ConsumerData {
        consume_type: ConsumeType::ConsumeActively,
        message_model: MessageModel::Broadcasting,
        consume_from_where: ConsumeFromWhere::ConsumeFromTimestamp,
        ..ConsumerData::default()
    };
    assert_eq!(names(&c), (true, true, true));
    let json = br#"{"consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST","consumeType":"CONSUME_POP"}],"heartbeatFingerprint":0,"withoutSub":false}"#;
    let hb = HeartbeatData::from_json(json).unwrap_or_default();
    assert_eq!(
        hb.consumer_data_set[0].consume_type,
        ConsumeType::ConsumePop
    );
    assert_eq!(
        hb.consumer_data_set[0].consume_from_where,
        ConsumeFromWhere::ConsumeFromLastOffsetAndFromMinWhenBootFirst
    );
    assert!(HeartbeatData::from_json(br#"{"consumerDataSet":[{"consumeType":"NOPE"}]}"#).is_err());
}

#[test]
fn java_string_hash_values() {
    assert_eq!(java_string_hash("TagA"), 2_598_919);
    assert_eq!(java_string_hash(""), 0);
    assert_eq!(java_string_hash("a"), 97);
    assert_eq!(java_string_hash("é"), 233);
    assert_eq!(java_string_hash("😀"), 55357 * 31 + 56832);
    assert_eq!(java_string_hash("😀"), 1_772_899);
    // Wrapping: "polygenelubricants".hashCode() == Integer.MIN_VALUE.
    assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
    // h = 31 * h + c by hand over a longer ASCII string.
    let by_hand = "TopicTest"
        .bytes()
        .fold(0i32, |h, b| h.wrapping_mul(31).wrapping_add(i32::from(b)));
    assert_eq!(java_string_hash("TopicTest"), by_hand);
}

/// CONSUMER.md §8.4, every row: (expression, tagsSet, codeSet).
const TAG_EXPRESSIONS: &[(&str, &[&str], &[i32])] = &[
    ("TagA", &["TagA"], &[2_598_919]),
    ("TagA || TagB", &["TagA", "TagB"], &[2_598_919, 2_598_920]),
    ("TagA||TagB", &["TagA", "TagB"], &[2_598_919, 2_598_920]),
    (
        " TagA ||  TagB ",
        &["TagA", "TagB"],
        &[2_598_919, 2_598_920],
    ),
    ("TagA || TagA", &["TagA"], &[2_598_919]),
    ("TagA ||", &["TagA"], &[2_598_919]),
    ("|| TagA", &["TagA"], &[2_598_919]),
    ("TagA || *", &["TagA", "*"], &[2_598_919, 42]),
    (" * ", &["*"], &[42]),
    ("  ", &[], &[]),
    ("TagA | TagB", &["TagA | TagB"], &[-455_180_443]),
    (
        "TagA ||| TagB",
        &["TagA", "| TagB"],
        &[2_598_919, -712_800_980],
    ),
    ("中文", &["中文"], &[646_394]),
];

#[test]
fn subscription_tag_expressions_match_the_java_golden_table() {
    for &(expr, tags, codes) in TAG_EXPRESSIONS {
        let s = SubscriptionData::from_tag_expression("T", expr, 7)
            .unwrap_or_else(|e| panic!("{expr:?}: {e}"));
        assert_eq!(s.sub_string, expr, "{expr:?}: subString keeps the text");
        assert_eq!(s.tags_set, tags, "{expr:?}: tagsSet");
        assert_eq!(s.code_set, codes, "{expr:?}: codeSet");
        assert_eq!(s.expression_type, "TAG");
        assert_eq!((s.topic.as_str(), s.sub_version), ("T", 7));
        assert!(!s.class_filter_mode);
    }
}

#[test]
fn subscription_all_only_for_empty_or_exact_star() {
    for all in ["*", ""] {
        let s = SubscriptionData::from_tag_expression("T", all, 7).expect("subscribes to all");
        assert_eq!(s.sub_string, "*");
        assert!(s.tags_set.is_empty() && s.code_set.is_empty());
        assert_eq!(s.expression_type, "TAG");
        assert_eq!(s.sub_version, 7);
    }
    // Blank text is not "all": kept as given, no tags (the broker then matches nothing).
    let s = SubscriptionData::from_tag_expression("T", "  ", 7).expect("blank is accepted");
    assert_eq!(s.sub_string, "  ");
}

#[test]
fn subscription_split_errors_and_java_split_edges() {
    // Java's split drops trailing empty parts: "||" and "||||" leave nothing at all.
    for expr in ["||", "||||"] {
        assert_eq!(
            SubscriptionData::from_tag_expression("T", expr, 1),
            Err(SubscriptionError::SplitError),
            "{expr:?}"
        );
    }
    assert_eq!(
        SubscriptionError::SplitError.to_string(),
        "subString split error"
    );
    // A leading empty part or a blank part keeps the split non-empty: no error, no tags.
    let s = SubscriptionData::from_tag_expression("T", "|| ||", 1).expect("[\"\", \" \"]");
    assert!(s.tags_set.is_empty() && s.code_set.is_empty());
    // Left to right, non-overlapping, like the regex.
    let s = SubscriptionData::from_tag_expression("T", " TagA || TagB ||| | ||TagA||", 1)
        .expect("valid");
    assert_eq!(s.tags_set, ["TagA", "TagB", "| |"]);
    // Java's trim strips control characters but not U+00A0 / U+3000.
    let s = SubscriptionData::from_tag_expression("T", "\tTagA\u{1}||\u{a0}TagB\u{3000}", 1)
        .expect("valid");
    assert_eq!(s.tags_set, ["TagA", "\u{a0}TagB\u{3000}"]);
}

#[test]
fn subscription_sql92() {
    let s = SubscriptionData::from_sql92("T", "a > 1 AND b = 'x'", 9).expect("non-empty");
    assert_eq!(s.expression_type, "SQL92");
    assert_eq!(s.sub_string, "a > 1 AND b = 'x'");
    assert!(s.tags_set.is_empty() && s.code_set.is_empty());
    assert_eq!((s.topic.as_str(), s.sub_version), ("T", 9));
    // Only the empty text is refused (Java's StringUtils.isEmpty); blanks are the broker's problem.
    let err = SubscriptionData::from_sql92("T", "", 9).expect_err("empty");
    assert_eq!(
        err,
        SubscriptionError::EmptyExpression {
            expression_type: "SQL92"
        }
    );
    assert_eq!(err.to_string(), "Expression can't be null! SQL92");
    assert!(SubscriptionData::from_sql92("T", " ", 9).is_ok());
}

#[test]
fn subscription_client_side_tag_recheck() {
    let build = |e: &str| SubscriptionData::from_tag_expression("T", e, 1).expect("valid");
    let tags = build("TagA || TagB");
    assert!(tags.matches_tag(Some("TagA")));
    assert!(tags.matches_tag(Some("TagB")));
    assert!(!tags.matches_tag(Some("TagC")));
    assert!(!tags.matches_tag(Some("taga")), "exact, case-sensitive");
    assert!(!tags.matches_tag(Some(" TagA")), "exact, not trimmed");
    assert!(!tags.matches_tag(None), "untagged messages are dropped");
    // `*` as a literal tag matches only the tag "*".
    let star = build(" * ");
    assert!(star.matches_tag(Some("*")) && !star.matches_tag(Some("TagA")));
    // Empty tagsSet: everything passes (`*`, blank text, SQL92).
    for all in [
        build("*"),
        build("  "),
        SubscriptionData::from_sql92("T", "a = 1", 1).expect("sql"),
    ] {
        assert!(all.matches_tag(Some("TagA")) && all.matches_tag(None));
    }
}

#[test]
fn consumer_list_body() {
    let json = br#"{"consumerIdList":["10.0.0.1@1#2","10.0.0.2@3#4"]}"#;
    let body = ConsumerListBody::from_json(json);
    assert_eq!(
        body.as_ref().map(|b| b.consumer_id_list.clone()),
        Ok(vec!["10.0.0.1@1#2".to_owned(), "10.0.0.2@3#4".to_owned()])
    );
    assert_eq!(
        body.map(|b| b.to_json()),
        Ok(String::from_utf8_lossy(json).into_owned())
    );
    assert_eq!(
        ConsumerListBody::from_json(br#"{"consumerIdList":null}"#),
        Ok(ConsumerListBody::default())
    );
    assert!(matches!(
        ConsumerListBody::from_json(b"{\"consumerIdList\":[1]}"),
        Err(BodyError::Json {
            what: "ConsumerListBody",
            ..
        })
    ));
}

#[test]
fn message_queue_json_and_order() {
    let mq = MessageQueue::new("T", "broker-a", 3);
    let body = LockBatchResponseBody {
        lock_ok_mq_set: vec![mq.clone()],
    };
    assert_eq!(
        body.to_json(),
        r#"{"lockOKMQSet":[{"brokerName":"broker-a","queueId":3,"topic":"T"}]}"#
    );
    assert_eq!(
        LockBatchResponseBody::from_json(body.to_json().as_bytes()),
        Ok(body)
    );

    let mut v = vec![
        MessageQueue::new("T2", "a", 0),
        MessageQueue::new("T1", "b", 0),
        MessageQueue::new("T1", "a", 10),
        MessageQueue::new("T1", "a", 2),
    ];
    v.sort();
    assert_eq!(
        v,
        [
            MessageQueue::new("T1", "a", 2),
            MessageQueue::new("T1", "a", 10),
            MessageQueue::new("T1", "b", 0),
            MessageQueue::new("T2", "a", 0),
        ]
    );
}

#[test]
fn lock_batch_request_body() {
    let body = LockBatchRequestBody {
        client_id: "cid".into(),
        consumer_group: "cg".into(),
        mq_set: vec![
            MessageQueue::new("T", "broker-a", 0),
            MessageQueue::new("T", "broker-a", 1),
        ],
        only_this_broker: true,
    };
    let json = r#"{"clientId":"cid","consumerGroup":"cg","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"},{"brokerName":"broker-a","queueId":1,"topic":"T"}],"onlyThisBroker":true}"#;
    assert_eq!(body.to_json(), json);
    assert_eq!(LockBatchRequestBody::from_json(json.as_bytes()), Ok(body));
}

#[test]
fn reset_offset_body_fastjson_form() {
    let json = br#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:100}}"#;
    let body = ResetOffsetBody::from_json(json);
    assert_eq!(
        body.as_ref().map(|b| b.offset_table.clone()),
        Ok(vec![(MessageQueue::new("T", "broker-a", 0), 100)])
    );
    assert_eq!(
        body.map(|b| b.to_json()),
        Ok(String::from_utf8_lossy(json).into_owned())
    );
}

#[test]
fn reset_offset_body_variants() {
    let json = br#" { "other" : {"x":[1,{"y":null}]} , "offsetTable" : {
        {"brokerName":"broker-b","queueId":1,"topic":"T"} : -1 ,
        "{\"brokerName\":\"broker-a\",\"queueId\":2,\"topic\":\"T\"}": 7,
        {"topic":"T","queueId":0,"brokerName":"broker-a"}:5,
        {"brokerName":"broker-a","queueId":0,"topic":"T"}:6,
        {"brokerName":"broker-c","queueId":0,"topic":"T"}:null
    } } "#;
    let body = ResetOffsetBody::from_json(json).map(|b| b.offset_table);
    assert_eq!(
        body,
        Ok(vec![
            (MessageQueue::new("T", "broker-a", 0), 6),
            (MessageQueue::new("T", "broker-a", 2), 7),
            (MessageQueue::new("T", "broker-b", 1), -1),
        ])
    );
    for empty in [
        &b"{}"[..],
        b"{\"offsetTable\":{}}",
        b"{\"offsetTable\":null}",
    ] {
        assert_eq!(
            ResetOffsetBody::from_json(empty),
            Ok(ResetOffsetBody::default())
        );
    }
}

#[test]
fn reset_offset_body_errors() {
    let good = br#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:100,{"brokerName":"broker-a","queueId":1,"topic":"T"}:200}}"#;
    assert!(ResetOffsetBody::from_json(good).is_ok());
    for len in 0..good.len() {
        assert!(
            ResetOffsetBody::from_json(&good[..len]).is_err(),
            "prefix {len}"
        );
    }
    for bad in [
        &b"[]"[..],
        b"null",
        b"{\"offsetTable\":[]}",
        b"{\"offsetTable\":{1:2}}",
        b"{\"offsetTable\":{\"nope\":2}}",
        b"{\"offsetTable\":{{\"queueId\":\"x\"}:2}}",
        b"{\"offsetTable\":{{}:\"2\"}}",
        b"{\"offsetTable\":{{}:2}}}",
        b"{\"offsetTable\":{{}:2} x",
        b"{\"offsetTable\" {}}",
        b"{,}",
    ] {
        match ResetOffsetBody::from_json(bad) {
            Err(BodyError::Json { what, .. }) => assert_eq!(what, "ResetOffsetBody"),
            other => panic!("{:?} gave {other:?}", String::from_utf8_lossy(bad)),
        }
    }
}

proptest! {
    #[test]
    fn reset_offset_round_trips(entries in prop::collection::btree_map(
        ("\\PC{0,8}", "\\PC{0,8}", any::<i32>()), any::<i64>(), 0..6)
    ) {
        let body = ResetOffsetBody {
            offset_table: entries
                .into_iter()
                .map(|((t, b, q), o)| (MessageQueue::new(t, b, q), o))
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .collect(),
        };
        prop_assert_eq!(ResetOffsetBody::from_json(body.to_json().as_bytes()), Ok(body));
    }
}
