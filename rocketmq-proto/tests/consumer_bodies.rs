//! Consumer bodies against the literal JSON of CONSUMER.md: `offsets.json` (§6), the
//! answers to 221/307/309 (§7), CHECK_CLIENT_CONFIG (§9); round trips and robustness.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rocketmq_proto::body::*;
use rocketmq_proto::BodyError;

/// CONSUMER §6: Java's pretty `offsets.json` (fastjson hash order: queue 1 first).
const OFFSETS_PRETTY: &str = "{\n\t\"offsetTable\":{{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"queueId\":1,\n\t\t\t\"topic\":\"TopicTest\"\n\t\t}:205,{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"queueId\":0,\n\t\t\t\"topic\":\"TopicTest\"\n\t\t}:100\n\t}\n}";

/// [`OFFSETS_PRETTY`] with the entries in queue order, as `to_json` writes them.
const OFFSETS_PRETTY_SORTED: &str = "{\n\t\"offsetTable\":{{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"queueId\":0,\n\t\t\t\"topic\":\"TopicTest\"\n\t\t}:100,{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"queueId\":1,\n\t\t\t\"topic\":\"TopicTest\"\n\t\t}:205\n\t}\n}";

/// CONSUMER §6: the empty table.
const OFFSETS_EMPTY: &str = "{\n\t\"offsetTable\":{}\n}";

/// CONSUMER §6: the compact form fastjson also reads.
const OFFSETS_COMPACT: &str = r#"{"offsetTable":{{"brokerName":"b","queueId":3,"topic":"T"}:9}}"#;

/// CONSUMER §7: RESET_CONSUMER_CLIENT_OFFSET (220) body.
const RESET_OFFSET: &str =
    r#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:100}}"#;

/// CONSUMER §7: GET_CONSUMER_STATUS_FROM_CLIENT (221) answer.
const CONSUMER_STATUS: &str = r#"{"consumerTable":{},"messageQueueTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:100}}"#;

/// CONSUMER §7: GET_CONSUMER_RUNNING_INFO (307) answer (Java's `Properties` order).
const RUNNING_INFO: &str = r#"{"mqPopTable":{},"mqTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"cachedMsgCount":0,"cachedMsgMaxOffset":0,"cachedMsgMinOffset":0,"cachedMsgSizeInMiB":0,"commitOffset":100,"droped":false,"lastConsumeTimestamp":1700000000000,"lastLockTimestamp":1700000000000,"lastPullTimestamp":1700000000000,"locked":false,"transactionMsgCount":0,"transactionMsgMaxOffset":0,"transactionMsgMinOffset":0,"tryUnlockTimes":0}},"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY","PROP_CONSUMER_START_TIMESTAMP":"1700000000000","PROP_CONSUMEORDERLY":"false","PROP_CLIENT_VERSION":"V5_3_3","PROP_NAMESERVER_ADDR":"127.0.0.1:9876;","PROP_THREADPOOL_CORE_SIZE":"20"},"statusTable":{"TopicTest":{"consumeFailedMsgs":0,"consumeFailedTPS":0.0,"consumeOKTPS":0.0,"consumeRT":0.0,"pullRT":1.5,"pullTPS":10.0}},"subscriptionSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":1700000000000,"tagsSet":["TagA"],"topic":"TopicTest"}],"userConsumerInfo":{}}"#;

/// [`RUNNING_INFO`] with the properties sorted, as `to_json` writes them.
const RUNNING_INFO_SORTED: &str = r#"{"mqPopTable":{},"mqTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"cachedMsgCount":0,"cachedMsgMaxOffset":0,"cachedMsgMinOffset":0,"cachedMsgSizeInMiB":0,"commitOffset":100,"droped":false,"lastConsumeTimestamp":1700000000000,"lastLockTimestamp":1700000000000,"lastPullTimestamp":1700000000000,"locked":false,"transactionMsgCount":0,"transactionMsgMaxOffset":0,"transactionMsgMinOffset":0,"tryUnlockTimes":0}},"properties":{"PROP_CLIENT_VERSION":"V5_3_3","PROP_CONSUMEORDERLY":"false","PROP_CONSUMER_START_TIMESTAMP":"1700000000000","PROP_CONSUME_TYPE":"CONSUME_PASSIVELY","PROP_NAMESERVER_ADDR":"127.0.0.1:9876;","PROP_THREADPOOL_CORE_SIZE":"20"},"statusTable":{"TopicTest":{"consumeFailedMsgs":0,"consumeFailedTPS":0.0,"consumeOKTPS":0.0,"consumeRT":0.0,"pullRT":1.5,"pullTPS":10.0}},"subscriptionSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":1700000000000,"tagsSet":["TagA"],"topic":"TopicTest"}],"userConsumerInfo":{}}"#;

/// CONSUMER §7: CONSUME_MESSAGE_DIRECTLY (309) answer.
const CONSUME_DIRECTLY: &str =
    r#"{"autoCommit":true,"consumeResult":"CR_SUCCESS","order":false,"spentTimeMills":3}"#;

/// CHECK_CLIENT_CONFIG (46) body for an SQL92 subscription (fastjson key order).
const CHECK_CLIENT: &str = r#"{"clientId":"192.168.1.10@12345#1","group":"cg","namespace":"ns","subscriptionData":{"classFilterMode":false,"codeSet":[],"expressionType":"SQL92","subString":"a > 5","subVersion":1700000000000,"tagsSet":[],"topic":"TopicTest"}}"#;

fn mq(topic: &str, broker: &str, id: i32) -> MessageQueue {
    MessageQueue::new(topic, broker, id)
}

fn offsets(entries: &[(MessageQueue, i64)]) -> OffsetSerializeWrapper {
    OffsetSerializeWrapper {
        offset_table: entries.iter().cloned().collect(),
    }
}

#[test]
fn offsets_json_literal_decodes_and_encodes_in_java_pretty_form() {
    let expected = offsets(&[
        (mq("TopicTest", "broker-a", 0), 100),
        (mq("TopicTest", "broker-a", 1), 205),
    ]);
    let decoded = OffsetSerializeWrapper::from_json(OFFSETS_PRETTY.as_bytes());
    assert_eq!(decoded, Ok(expected.clone()));
    assert_eq!(expected.to_json(), OFFSETS_PRETTY_SORTED);
    assert!(!expected.to_json().ends_with('\n'));
    assert_eq!(
        OffsetSerializeWrapper::from_json(OFFSETS_PRETTY_SORTED.as_bytes()),
        Ok(expected)
    );
}

#[test]
fn offsets_json_empty_table() {
    assert_eq!(OffsetSerializeWrapper::default().to_json(), OFFSETS_EMPTY);
    for empty in [
        OFFSETS_EMPTY,
        "{}",
        r#"{"offsetTable":null}"#,
        "{\"offsetTable\":{}}",
    ] {
        assert_eq!(
            OffsetSerializeWrapper::from_json(empty.as_bytes()),
            Ok(OffsetSerializeWrapper::default()),
            "{empty:?}"
        );
    }
}

#[test]
fn offsets_json_compact_any_key_order_and_string_keys() {
    let expected = offsets(&[(mq("T", "b", 3), 9)]);
    for json in [
        OFFSETS_COMPACT,
        r#"{"offsetTable":{{"topic":"T","queueId":3,"brokerName":"b"}:9}}"#,
        r#"{"offsetTable":{{"queueId":3,"brokerName":"b","topic":"T"}:9}}"#,
        "{ \"other\":[{\"x\":{}}],\r\n \"offsetTable\" : { {\"queueId\" : 3 , \"brokerName\":\"b\",\"topic\":\"T\"} : 9 } , \"z\":null}",
        r#"{"offsetTable":{"{\"brokerName\":\"b\",\"queueId\":3,\"topic\":\"T\"}":9}}"#,
        r#"{"offsetTable":{{"brokerName":"b","queueId":3,"topic":"T"}:1,{"topic":"T","brokerName":"b","queueId":3}:9,{"brokerName":"c","queueId":0,"topic":"T"}:null}}"#,
    ] {
        assert_eq!(
            OffsetSerializeWrapper::from_json(json.as_bytes()),
            Ok(expected.clone()),
            "{json:?}"
        );
    }
}

#[test]
fn offsets_json_sorts_by_topic_broker_then_queue_id() {
    let w = offsets(&[
        (mq("T2", "a", 0), 4),
        (mq("T1", "b", 0), 3),
        (mq("T1", "a", 10), 2),
        (mq("T1", "a", 2), 1),
    ]);
    let json = w.to_json();
    let pos = |needle: &str| json.find(needle).unwrap_or(usize::MAX);
    assert!(pos("}:1") < pos("}:2") && pos("}:2") < pos("}:3") && pos("}:3") < pos("}:4"));
    assert_eq!(OffsetSerializeWrapper::from_json(json.as_bytes()), Ok(w));
}

#[test]
fn offsets_json_escapes_strings() {
    let w = offsets(&[(mq("T\"{}:\\", "b\t\n\u{1}é", -1), i64::MIN)]);
    let json = w.to_json();
    assert!(json.contains(r#""topic":"T\"{}:\\""#), "{json}");
    assert!(json.contains(r#""brokerName":"b\t\n\u0001é""#), "{json}");
    assert_eq!(OffsetSerializeWrapper::from_json(json.as_bytes()), Ok(w));
}

#[test]
fn offsets_json_errors() {
    for bad in [
        "",
        "null",
        "[]",
        " [{}]",
        "{",
        "{\"offsetTable\":[]}",
        "{\"offsetTable\":{1:2}}",
        "{\"offsetTable\":{\"nope\":2}}",
        "{\"offsetTable\":{{\"queueId\":\"x\"}:2}}",
        "{\"offsetTable\":{{}:\"2\"}}",
        "{\"offsetTable\":{{}:2.5}}",
        "{\"offsetTable\":{{\"a\":{{}:1}}:2}}",
        "{\"offsetTable\":{{}:2}}}",
        "{\"offsetTable\":{{}:2} x",
    ] {
        match OffsetSerializeWrapper::from_json(bad.as_bytes()) {
            Err(BodyError::Json { what, message }) => {
                assert_eq!(what, "OffsetSerializeWrapper");
                assert!(!message.is_empty());
            }
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
    for len in 0..OFFSETS_PRETTY.len() {
        assert!(
            OffsetSerializeWrapper::from_json(&OFFSETS_PRETTY.as_bytes()[..len]).is_err(),
            "prefix of {len} bytes decoded"
        );
    }
}

#[test]
fn reset_offset_literal() {
    let body = ResetOffsetBody::from_json(RESET_OFFSET.as_bytes());
    assert_eq!(
        body.as_ref().map(|b| b.offset_table.clone()),
        Ok(vec![(mq("TopicTest", "broker-a", 0), 100)])
    );
    assert_eq!(body.map(|b| b.to_json()).as_deref(), Ok(RESET_OFFSET));
    assert_eq!(
        ResetOffsetBody::default().to_json(),
        r#"{"offsetTable":{}}"#
    );
}

#[test]
fn consumer_status_literal() {
    let expected = GetConsumerStatusBody {
        message_queue_table: [(mq("TopicTest", "broker-a", 0), 100)].into(),
    };
    let body = GetConsumerStatusBody::from_json(CONSUMER_STATUS.as_bytes());
    assert_eq!(body, Ok(expected.clone()));
    assert_eq!(expected.to_json(), CONSUMER_STATUS);
    assert_eq!(
        GetConsumerStatusBody::default().to_json(),
        r#"{"consumerTable":{},"messageQueueTable":{}}"#
    );
    // A broker-aggregated consumerTable (object keys one level down) is skipped.
    let nested = r#"{"consumerTable":{"cid":{{"brokerName":"b","queueId":1,"topic":"T"}:5}},"messageQueueTable":null}"#;
    assert_eq!(
        GetConsumerStatusBody::from_json(nested.as_bytes()),
        Ok(GetConsumerStatusBody::default())
    );
}

fn spec_running_info() -> ConsumerRunningInfo {
    let props = [
        (ConsumerRunningInfo::PROP_CONSUME_TYPE, "CONSUME_PASSIVELY"),
        (
            ConsumerRunningInfo::PROP_CONSUMER_START_TIMESTAMP,
            "1700000000000",
        ),
        (ConsumerRunningInfo::PROP_CONSUME_ORDERLY, "false"),
        (ConsumerRunningInfo::PROP_CLIENT_VERSION, "V5_3_3"),
        (ConsumerRunningInfo::PROP_NAMESERVER_ADDR, "127.0.0.1:9876;"),
        (ConsumerRunningInfo::PROP_THREADPOOL_CORE_SIZE, "20"),
    ];
    ConsumerRunningInfo {
        jstack: None,
        mq_pop_table: BTreeMap::new(),
        mq_table: [(
            mq("TopicTest", "broker-a", 0),
            ProcessQueueInfo {
                commit_offset: 100,
                last_consume_timestamp: 1_700_000_000_000,
                last_lock_timestamp: 1_700_000_000_000,
                last_pull_timestamp: 1_700_000_000_000,
                ..ProcessQueueInfo::default()
            },
        )]
        .into(),
        properties: props
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        status_table: [(
            "TopicTest".to_owned(),
            ConsumeStatus {
                pull_rt: 1.5,
                pull_tps: 10.0,
                ..ConsumeStatus::default()
            },
        )]
        .into(),
        subscription_set: vec![SubscriptionData::from_tag_expression(
            "TopicTest",
            "TagA",
            1_700_000_000_000,
        )
        .expect("a valid expression")],
        user_consumer_info: BTreeMap::new(),
    }
}

#[test]
fn running_info_literal() {
    let decoded = ConsumerRunningInfo::from_json(RUNNING_INFO.as_bytes());
    assert_eq!(decoded, Ok(spec_running_info()));
    let json = spec_running_info().to_json();
    assert_eq!(json, RUNNING_INFO_SORTED);
    assert!(json.contains(
        r#""mqTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"cachedMsgCount""#
    ));
    assert_eq!(
        ConsumerRunningInfo::from_json(json.as_bytes()),
        Ok(spec_running_info())
    );
}

#[test]
fn running_info_property_names_are_javas() {
    assert_eq!(
        ConsumerRunningInfo::PROP_CONSUME_ORDERLY,
        "PROP_CONSUMEORDERLY"
    );
    assert_eq!(ConsumerRunningInfo::PROP_CONSUME_TYPE, "PROP_CONSUME_TYPE");
    assert_eq!(
        ConsumerRunningInfo::PROP_CONSUMER_START_TIMESTAMP,
        "PROP_CONSUMER_START_TIMESTAMP"
    );
    assert_eq!(
        ConsumerRunningInfo::PROP_THREADPOOL_CORE_SIZE,
        "PROP_THREADPOOL_CORE_SIZE"
    );
    assert_eq!(
        ConsumerRunningInfo::PROP_NAMESERVER_ADDR,
        "PROP_NAMESERVER_ADDR"
    );
    assert_eq!(
        ConsumerRunningInfo::PROP_CLIENT_VERSION,
        "PROP_CLIENT_VERSION"
    );
}

#[test]
fn running_info_jstack_pop_table_and_user_info() {
    let mut info = spec_running_info();
    info.jstack = Some("\"main\" #1\n\tat X.y(X.java:1)\n".into());
    info.mq_pop_table.insert(
        mq("TopicTest", "broker-b", 2),
        PopProcessQueueInfo {
            dropped: true,
            last_pop_timestamp: 5,
            wait_ack_count: 3,
        },
    );
    info.mq_table.insert(
        mq("TopicTest", "broker-a", 1),
        ProcessQueueInfo {
            dropped: true,
            locked: true,
            try_unlock_times: 2,
            cached_msg_size_in_mib: 7,
            ..ProcessQueueInfo::default()
        },
    );
    info.user_consumer_info.insert("k".into(), "v".into());
    let json = info.to_json();
    assert!(json.starts_with(r#"{"jstack":"\"main\" #1\n\tat X.y(X.java:1)\n","mqPopTable":{{"brokerName":"broker-b","queueId":2,"topic":"TopicTest"}:{"droped":true,"lastPopTimestamp":5,"waitAckCount":3}},"mqTable":{{"#), "{json}");
    assert!(json.ends_with(r#""userConsumerInfo":{"k":"v"}}"#), "{json}");
    assert!(json.contains(r#""cachedMsgSizeInMiB":7"#) && json.contains(r#""droped":true"#));
    assert_eq!(ConsumerRunningInfo::from_json(json.as_bytes()), Ok(info));
}

#[test]
fn running_info_tolerates_nulls_newer_names_and_unknown_fields() {
    let json = r#"{"jstack":null,"mqPopTable":null,"mqTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"dropped":true,"commitOffset":null,"extra":[1]},{"brokerName":"b","queueId":1,"topic":"T"}:null},"properties":null,"statusTable":{"T":{"pullRT":null}},"subscriptionSet":null,"userConsumerInfo":null,"future":{{"x":1}:2}}"#;
    let expected = ConsumerRunningInfo {
        mq_table: [(
            mq("T", "b", 0),
            ProcessQueueInfo {
                dropped: true,
                ..ProcessQueueInfo::default()
            },
        )]
        .into(),
        status_table: [("T".to_owned(), ConsumeStatus::default())].into(),
        ..ConsumerRunningInfo::default()
    };
    assert_eq!(
        ConsumerRunningInfo::from_json(json.as_bytes()),
        Ok(expected)
    );
    assert_eq!(
        ConsumerRunningInfo::from_json(b"{}"),
        Ok(ConsumerRunningInfo::default())
    );
    assert_eq!(
        ConsumerRunningInfo::default().to_json(),
        r#"{"mqPopTable":{},"mqTable":{},"properties":{},"statusTable":{},"subscriptionSet":[],"userConsumerInfo":{}}"#
    );
    for bad in [
        r#"{"mqTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"locked":"yes"}}}"#,
        r#"{"mqTable":{"T":{}}}"#,
        r#"{"properties":{"a":1}}"#,
        r#"{"statusTable":{"T":{"pullRT":"fast"}}}"#,
        r#"{"subscriptionSet":{}}"#,
    ] {
        assert!(
            matches!(
                ConsumerRunningInfo::from_json(bad.as_bytes()),
                Err(BodyError::Json {
                    what: "ConsumerRunningInfo",
                    ..
                })
            ),
            "{bad}"
        );
    }
}

#[test]
fn consume_directly_literal_and_results() {
    let expected = ConsumeMessageDirectlyResult {
        auto_commit: true,
        consume_result: Some(CMResult::Success),
        order: false,
        remark: None,
        spent_time_mills: 3,
    };
    assert_eq!(
        ConsumeMessageDirectlyResult::from_json(CONSUME_DIRECTLY.as_bytes()),
        Ok(expected.clone())
    );
    assert_eq!(expected.to_json(), CONSUME_DIRECTLY);

    let thrown = ConsumeMessageDirectlyResult {
        auto_commit: false,
        consume_result: Some(CMResult::ThrowException),
        order: true,
        remark: Some("java.lang.RuntimeException: boom".into()),
        spent_time_mills: 12,
    };
    let json = thrown.to_json();
    assert_eq!(
        json,
        r#"{"autoCommit":false,"consumeResult":"CR_THROW_EXCEPTION","order":true,"remark":"java.lang.RuntimeException: boom","spentTimeMills":12}"#
    );
    assert_eq!(
        ConsumeMessageDirectlyResult::from_json(json.as_bytes()),
        Ok(thrown)
    );

    for (result, name) in [
        (CMResult::Success, "CR_SUCCESS"),
        (CMResult::Later, "CR_LATER"),
        (CMResult::Rollback, "CR_ROLLBACK"),
        (CMResult::Commit, "CR_COMMIT"),
        (CMResult::ThrowException, "CR_THROW_EXCEPTION"),
        (CMResult::ReturnNull, "CR_RETURN_NULL"),
    ] {
        assert_eq!(result.java_name(), name);
        let body = ConsumeMessageDirectlyResult {
            consume_result: Some(result),
            ..ConsumeMessageDirectlyResult::default()
        };
        assert!(body
            .to_json()
            .contains(&format!("\"consumeResult\":\"{name}\"")));
        assert_eq!(
            ConsumeMessageDirectlyResult::from_json(body.to_json().as_bytes()),
            Ok(body)
        );
    }
}

#[test]
fn consume_directly_java_defaults() {
    let d = ConsumeMessageDirectlyResult::default();
    assert!(d.auto_commit && !d.order && d.consume_result.is_none());
    assert_eq!(
        d.to_json(),
        r#"{"autoCommit":true,"order":false,"spentTimeMills":0}"#
    );
    for json in [
        "{}",
        r#"{"autoCommit":null,"order":null,"consumeResult":null,"remark":null}"#,
    ] {
        assert_eq!(
            ConsumeMessageDirectlyResult::from_json(json.as_bytes()),
            Ok(ConsumeMessageDirectlyResult::default()),
            "{json}"
        );
    }
    assert!(matches!(
        ConsumeMessageDirectlyResult::from_json(br#"{"consumeResult":"CR_MAYBE"}"#),
        Err(BodyError::Json {
            what: "ConsumeMessageDirectlyResult",
            ..
        })
    ));
}

#[test]
fn check_client_body() {
    let expected = CheckClientRequestBody {
        client_id: "192.168.1.10@12345#1".into(),
        group: "cg".into(),
        namespace: Some("ns".into()),
        subscription_data: SubscriptionData {
            expression_type: SubscriptionData::SQL92.into(),
            sub_string: "a > 5".into(),
            sub_version: 1_700_000_000_000,
            topic: "TopicTest".into(),
            ..SubscriptionData::default()
        },
    };
    assert_eq!(
        CheckClientRequestBody::from_json(CHECK_CLIENT.as_bytes()),
        Ok(expected.clone())
    );
    assert_eq!(expected.to_json(), CHECK_CLIENT);
    let without_ns = CheckClientRequestBody {
        namespace: None,
        ..expected
    };
    assert!(!without_ns.to_json().contains("namespace"));
    assert_eq!(
        CheckClientRequestBody::from_json(without_ns.to_json().as_bytes()),
        Ok(without_ns)
    );
    assert!(matches!(
        CheckClientRequestBody::from_json(br#"{"subscriptionData":{"codeSet":"x"}}"#),
        Err(BodyError::Json {
            what: "CheckClientRequestBody",
            ..
        })
    ));
}

/// Every new decoder, with the name its errors carry.
fn decode_all(bytes: &[u8]) {
    fn check<T>(r: Result<T, BodyError>, name: &str) {
        match r {
            Ok(_) => {}
            Err(BodyError::Json { what, .. }) => assert_eq!(what, name),
            Err(other) => panic!("{name}: unexpected error {other:?}"),
        }
    }
    check(
        OffsetSerializeWrapper::from_json(bytes),
        "OffsetSerializeWrapper",
    );
    check(ConsumerRunningInfo::from_json(bytes), "ConsumerRunningInfo");
    check(
        GetConsumerStatusBody::from_json(bytes),
        "GetConsumerStatusBody",
    );
    check(
        ConsumeMessageDirectlyResult::from_json(bytes),
        "ConsumeMessageDirectlyResult",
    );
    check(
        CheckClientRequestBody::from_json(bytes),
        "CheckClientRequestBody",
    );
    check(ResetOffsetBody::from_json(bytes), "ResetOffsetBody");
}

#[test]
fn deep_nesting_does_not_crash() {
    let n = 100_000;
    for deep in [
        format!("{}{}", "{".repeat(n), "}".repeat(n)),
        format!("{{\"offsetTable\":{}1:2{}}}", "{".repeat(n), "}".repeat(n)),
        format!(
            "{{\"mqTable\":{{{}{}:{{}}}}}}",
            "{".repeat(n),
            "}".repeat(n)
        ),
        format!("{{\"x\":{}{}}}", "[".repeat(n), "]".repeat(n)),
        format!("{}{}", "{{\"a\":".repeat(n / 8), "}".repeat(n / 4)),
        "{".repeat(n),
        ",{".repeat(n),
    ] {
        decode_all(deep.as_bytes());
    }
}

const LITERALS: [&str; 9] = [
    OFFSETS_PRETTY,
    OFFSETS_EMPTY,
    OFFSETS_COMPACT,
    RESET_OFFSET,
    CONSUMER_STATUS,
    RUNNING_INFO,
    CONSUME_DIRECTLY,
    CHECK_CLIENT,
    RUNNING_INFO_SORTED,
];

/// One edit of a literal: delete, insert or replace a byte, or truncate.
#[derive(Clone, Debug)]
enum Edit {
    Delete(usize),
    Insert(usize, u8),
    Replace(usize, u8),
    Truncate(usize),
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match *edit {
        Edit::Delete(i) if !bytes.is_empty() => {
            let i = at(i, bytes.len());
            bytes.remove(i);
        }
        Edit::Insert(i, b) => {
            let i = at(i, bytes.len() + 1);
            bytes.insert(i, b);
        }
        Edit::Replace(i, b) if !bytes.is_empty() => {
            let i = at(i, bytes.len());
            bytes[i] = b;
        }
        Edit::Truncate(i) => {
            let i = at(i, bytes.len() + 1);
            bytes.truncate(i);
        }
        _ => {}
    }
}

/// Bytes that matter to the parsers, and any byte.
fn edit_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b"{}[]\":,\\ \t\n0-9eEn.tfa\x00\xff".to_vec()),
        any::<u8>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), edit_byte()).prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<usize>(), edit_byte()).prop_map(|(i, b)| Edit::Replace(i, b)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["\\PC{0,8}", "[a-z{}\\[\\]\":,\\\\\t\n ]{0,8}"]
}

fn arb_mq() -> impl Strategy<Value = MessageQueue> {
    (text(), text(), any::<i32>()).prop_map(|(t, b, q)| MessageQueue::new(t, b, q))
}

/// Doubles with a short exact decimal form (serde_json's default float parsing is not
/// guaranteed to round-trip every bit pattern).
fn arb_f64() -> impl Strategy<Value = f64> {
    any::<i32>().prop_map(|n| f64::from(n) / 4.0)
}

fn arb_pq() -> impl Strategy<Value = ProcessQueueInfo> {
    (
        (
            any::<i32>(),
            any::<i64>(),
            any::<i64>(),
            any::<i32>(),
            any::<i64>(),
        ),
        (
            any::<bool>(),
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
            any::<bool>(),
        ),
        (any::<i32>(), any::<i64>(), any::<i64>(), any::<i64>()),
    )
        .prop_map(
            |((a, b, c, d, e), (f, g, h, i, j), (k, l, m, n))| ProcessQueueInfo {
                cached_msg_count: a,
                cached_msg_max_offset: b,
                cached_msg_min_offset: c,
                cached_msg_size_in_mib: d,
                commit_offset: e,
                dropped: f,
                last_consume_timestamp: g,
                last_lock_timestamp: h,
                last_pull_timestamp: i,
                locked: j,
                transaction_msg_count: k,
                transaction_msg_max_offset: l,
                transaction_msg_min_offset: m,
                try_unlock_times: n,
            },
        )
}

fn arb_status() -> impl Strategy<Value = ConsumeStatus> {
    (
        any::<i64>(),
        arb_f64(),
        arb_f64(),
        arb_f64(),
        arb_f64(),
        arb_f64(),
    )
        .prop_map(|(a, b, c, d, e, f)| ConsumeStatus {
            consume_failed_msgs: a,
            consume_failed_tps: b,
            consume_ok_tps: c,
            consume_rt: d,
            pull_rt: e,
            pull_tps: f,
        })
}

fn arb_running_info() -> impl Strategy<Value = ConsumerRunningInfo> {
    (
        prop::option::of(text()),
        prop::collection::btree_map(
            arb_mq(),
            (any::<bool>(), any::<i64>(), any::<i32>()).prop_map(|(d, t, w)| PopProcessQueueInfo {
                dropped: d,
                last_pop_timestamp: t,
                wait_ack_count: w,
            }),
            0..3,
        ),
        prop::collection::btree_map(arb_mq(), arb_pq(), 0..4),
        prop::collection::btree_map(text(), text(), 0..4),
        prop::collection::btree_map(text(), arb_status(), 0..3),
        prop::collection::vec(
            (text(), text(), any::<i64>()).prop_filter_map("a valid expression", |(t, e, v)| {
                SubscriptionData::from_tag_expression(t, &e, v).ok()
            }),
            0..3,
        ),
        prop::collection::btree_map(text(), text(), 0..3),
    )
        .prop_map(
            |(jstack, mq_pop_table, mq_table, properties, status_table, subs, user)| {
                ConsumerRunningInfo {
                    jstack,
                    mq_pop_table,
                    mq_table,
                    properties,
                    status_table,
                    subscription_set: subs,
                    user_consumer_info: user,
                }
            },
        )
}

proptest! {
    #[test]
    fn decoders_never_panic_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        decode_all(&bytes);
    }

    #[test]
    fn decoders_never_panic_on_mutated_literals(
        which in 0..LITERALS.len(),
        edits in prop::collection::vec(edit(), 1..8),
    ) {
        let mut bytes = LITERALS[which].as_bytes().to_vec();
        for e in &edits {
            apply(&mut bytes, e);
        }
        decode_all(&bytes);
    }

    #[test]
    fn offsets_json_round_trips(table in prop::collection::btree_map(arb_mq(), any::<i64>(), 0..6)) {
        let w = OffsetSerializeWrapper { offset_table: table };
        let json = w.to_json();
        let well_formed = json.starts_with("{\n\t\"offsetTable\":{") && json.ends_with("}\n}");
        prop_assert!(well_formed);
        prop_assert_eq!(OffsetSerializeWrapper::from_json(json.as_bytes()), Ok(w));
    }

    #[test]
    fn consumer_status_round_trips(table in prop::collection::btree_map(arb_mq(), any::<i64>(), 0..6)) {
        let body = GetConsumerStatusBody { message_queue_table: table };
        prop_assert_eq!(GetConsumerStatusBody::from_json(body.to_json().as_bytes()), Ok(body));
    }

    #[test]
    fn running_info_round_trips(info in arb_running_info()) {
        prop_assert_eq!(ConsumerRunningInfo::from_json(info.to_json().as_bytes()), Ok(info));
    }

    #[test]
    fn consume_directly_round_trips(
        auto_commit in any::<bool>(),
        result in prop::option::of(prop::sample::select(vec![
            CMResult::Success, CMResult::Later, CMResult::Rollback,
            CMResult::Commit, CMResult::ThrowException, CMResult::ReturnNull,
        ])),
        order in any::<bool>(),
        remark in prop::option::of(text()),
        spent in any::<i64>(),
    ) {
        let body = ConsumeMessageDirectlyResult {
            auto_commit,
            consume_result: result,
            order,
            remark,
            spent_time_mills: spent,
        };
        prop_assert_eq!(ConsumeMessageDirectlyResult::from_json(body.to_json().as_bytes()), Ok(body));
    }
}
