//! Golden tables of CONSUMER.md §1.2–§1.9 and union properties of the strategies.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use proptest::prelude::*;

use super::*;

fn queues(topic: &str, broker: &str, n: usize) -> Vec<MessageQueue> {
    (0..n)
        .map(|i| MessageQueue::new(topic, broker, i32::try_from(i).expect("small")))
        .collect()
}

fn cids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

fn ids(queues: &[MessageQueue]) -> Vec<i32> {
    queues.iter().map(|mq| mq.queue_id).collect()
}

/// Queue ids each consumer of `cid_all` gets.
fn allocation(
    strategy: &AllocateStrategy,
    mq_all: &[MessageQueue],
    cid_all: &[String],
) -> Vec<Vec<i32>> {
    cid_all
        .iter()
        .map(|cid| {
            ids(&strategy
                .allocate("cg", cid, mq_all, cid_all)
                .expect("valid inputs"))
        })
        .collect()
}

/// (#mq, #cid, queue ids of cid0, cid1, …).
type Row = (usize, usize, &'static [&'static [i32]]);

fn assert_rows(strategy: &AllocateStrategy, topic: &str, prefix: &str, rows: &[Row]) {
    for &(mqs, n, want) in rows {
        let got = allocation(
            strategy,
            &queues(topic, "brokerName", mqs),
            &cids(prefix, n),
        );
        assert_eq!(got, want, "{} {mqs} mq / {n} cid", strategy.name());
    }
}

#[test]
fn averagely_golden() {
    const ROWS: &[Row] = &[
        (10, 4, &[&[0, 1, 2], &[3, 4, 5], &[6, 7], &[8, 9]]),
        (8, 3, &[&[0, 1, 2], &[3, 4, 5], &[6, 7]]),
        (7, 3, &[&[0, 1, 2], &[3, 4], &[5, 6]]),
        (6, 4, &[&[0, 1], &[2, 3], &[4], &[5]]),
        (5, 2, &[&[0, 1, 2], &[3, 4]]),
        (4, 4, &[&[0], &[1], &[2], &[3]]),
        (3, 5, &[&[0], &[1], &[2], &[], &[]]),
        (
            16,
            5,
            &[
                &[0, 1, 2, 3],
                &[4, 5, 6],
                &[7, 8, 9],
                &[10, 11, 12],
                &[13, 14, 15],
            ],
        ),
        (1, 1, &[&[0]]),
    ];
    assert_rows(&AllocateStrategy::Averagely, "topic", "CID_PREFIX", ROWS);
}

#[test]
fn averagely_by_circle_golden() {
    const ROWS: &[Row] = &[
        (10, 4, &[&[0, 4, 8], &[1, 5, 9], &[2, 6], &[3, 7]]),
        (8, 3, &[&[0, 3, 6], &[1, 4, 7], &[2, 5]]),
        (7, 3, &[&[0, 3, 6], &[1, 4], &[2, 5]]),
        (6, 4, &[&[0, 4], &[1, 5], &[2], &[3]]),
        (5, 2, &[&[0, 2, 4], &[1, 3]]),
        (3, 5, &[&[0], &[1], &[2], &[], &[]]),
        (
            16,
            5,
            &[
                &[0, 5, 10, 15],
                &[1, 6, 11],
                &[2, 7, 12],
                &[3, 8, 13],
                &[4, 9, 14],
            ],
        ),
    ];
    let strategy = AllocateStrategy::AveragelyByCircle;
    assert_rows(&strategy, "topic", "CID_PREFIX", ROWS);
    // The current consumer is not in the list: nothing, and no error.
    let got = strategy.allocate(
        "cg",
        "CID_PREFIX",
        &queues("topic", "b", 10),
        &cids("CID_PREFIX", 4),
    );
    assert_eq!(got, Ok(Vec::new()));
}

#[test]
fn check_contract_for_every_checked_strategy() {
    let (mq_all, cid_all) = (queues("topic", "room1@b", 4), cids("CID_PREFIX", 2));
    let resolver: Arc<dyn MachineRoomResolver> = Arc::new(PrefixResolver);
    let strategies = [
        AllocateStrategy::Averagely,
        AllocateStrategy::AveragelyByCircle,
        AllocateStrategy::MachineRoom {
            consumer_idcs: BTreeSet::from(["room1".to_owned()]),
        },
        AllocateStrategy::MachineRoomNearby {
            inner: Box::new(AllocateStrategy::Averagely),
            resolver,
        },
        AllocateStrategy::consistent_hash(),
    ];
    for s in &strategies {
        let name = s.name();
        assert_eq!(
            s.allocate("cg", "", &mq_all, &cid_all),
            Err(AllocateError::EmptyCurrentCid),
            "{name}"
        );
        assert_eq!(
            s.allocate("cg", "x", &[], &cid_all),
            Err(AllocateError::EmptyMqAll),
            "{name}"
        );
        assert_eq!(
            s.allocate("cg", "x", &mq_all, &[]),
            Err(AllocateError::EmptyCidAll),
            "{name}"
        );
        // Checked in Java's order.
        assert_eq!(
            s.allocate("cg", "", &[], &[]),
            Err(AllocateError::EmptyCurrentCid),
            "{name}"
        );
        assert_eq!(
            s.allocate("cg", "x", &[], &[]),
            Err(AllocateError::EmptyMqAll),
            "{name}"
        );
        assert_eq!(
            s.allocate("cg", "CID_PREFIX", &mq_all, &cid_all),
            Ok(Vec::new()),
            "{name}"
        );
    }
    assert_eq!(
        AllocateError::EmptyCurrentCid.to_string(),
        "currentCID is empty"
    );
    assert_eq!(
        AllocateError::EmptyMqAll.to_string(),
        "mqAll is null or mqAll empty"
    );
    assert_eq!(
        AllocateError::EmptyCidAll.to_string(),
        "cidAll is null or cidAll empty"
    );
}

#[test]
fn config_returns_the_list_verbatim_without_check() {
    let list = queues("topic", "brokerName", 4);
    let strategy = AllocateStrategy::Config(list.clone());
    assert_eq!(
        allocation(&strategy, &[], &cids("CID_PREFIX", 2)),
        [[0, 1, 2, 3], [0, 1, 2, 3]]
    );
    // Whatever the inputs, even ones every other strategy refuses.
    assert_eq!(strategy.allocate("cg", "", &[], &[]), Ok(list));
    assert_eq!(
        AllocateStrategy::Config(Vec::new()).allocate("cg", "c", &[], &[]),
        Ok(Vec::new())
    );
}

fn machine_room_queues() -> Vec<MessageQueue> {
    let mut mq_all: Vec<MessageQueue> = (0..5)
        .map(|i| MessageQueue::new("topic", "room1@broker-a", i))
        .collect();
    mq_all.extend((5..10).map(|i| MessageQueue::new("topic", "room2@broker-b", i)));
    mq_all
}

#[test]
fn machine_room_golden() {
    let strategy = AllocateStrategy::MachineRoom {
        consumer_idcs: BTreeSet::from(["room1".to_owned()]),
    };
    let mq_all = machine_room_queues();
    assert_eq!(
        allocation(&strategy, &mq_all, &cids("CID_PREFIX", 2)),
        [vec![0, 1, 4], vec![2, 3]]
    );
    assert_eq!(
        allocation(&strategy, &mq_all, &cids("CID_PREFIX", 3)),
        [vec![0, 3], vec![1, 4], vec![2]]
    );
    assert_eq!(
        strategy.allocate("cg", "CID_PREFIX0", &[], &cids("CID_PREFIX", 2)),
        Err(AllocateError::EmptyMqAll)
    );
}

#[test]
fn machine_room_splits_broker_names_as_java() {
    let idcs = BTreeSet::from(["room1".to_owned(), String::new()]);
    let names = [
        ("room1@b", true),
        ("room1@b@", true),  // trailing empty part dropped: [room1, b]
        ("room1@b@@", true), // likewise
        ("room1@", false),   // [room1]
        ("room1", false),    // no match: [room1]
        ("room1@b@c", false),
        ("@b", true), // ["", b] and "" is configured
        ("@", false), // [] after dropping trailing empties
        ("room2@b", false),
    ];
    for (name, taken) in names {
        let mq_all = [MessageQueue::new("t", name, 0)];
        let got = allocate_by_machine_room(&idcs, "c", &mq_all, &["c".to_owned()]);
        assert_eq!(got.map(|q| q.len()), Ok(usize::from(taken)), "{name:?}");
    }
}

/// The room is the text before the first `-` (the resolver of the §1.7 golden row).
#[derive(Debug)]
struct PrefixResolver;

impl MachineRoomResolver for PrefixResolver {
    fn broker_room(&self, mq: &MessageQueue) -> Option<String> {
        mq.broker_name.split('-').next().map(str::to_owned)
    }
    fn consumer_room(&self, cid: &str) -> Option<String> {
        cid.split('-').next().map(str::to_owned)
    }
}

fn nearby(resolver: Arc<dyn MachineRoomResolver>) -> AllocateStrategy {
    AllocateStrategy::MachineRoomNearby {
        inner: Box::new(AllocateStrategy::Averagely),
        resolver,
    }
}

fn labels(queues: &[MessageQueue]) -> Vec<String> {
    queues
        .iter()
        .map(|mq| format!("{}:{}", mq.broker_name, mq.queue_id))
        .collect()
}

#[test]
fn machine_room_nearby_golden() {
    let mut mq_all = queues("t", "IDC1-b", 3);
    mq_all.extend(queues("t", "IDC2-b", 3));
    mq_all.extend(queues("t", "IDC3-b", 2));
    let cid_all: Vec<String> = ["IDC1-c0", "IDC1-c1", "IDC2-c0"]
        .map(str::to_owned)
        .to_vec();
    let strategy = nearby(Arc::new(PrefixResolver));
    assert_eq!(strategy.name(), "MACHINE_ROOM_NEARBY-AVG");
    let want: [&[&str]; 3] = [
        &["IDC1-b:0", "IDC1-b:1", "IDC3-b:0"],
        &["IDC1-b:2", "IDC3-b:1"],
        &["IDC2-b:0", "IDC2-b:1", "IDC2-b:2"],
    ];
    for (cid, want) in cid_all.iter().zip(want) {
        let got = strategy
            .allocate("cg", cid, &mq_all, &cid_all)
            .expect("valid");
        assert_eq!(labels(&got), want, "{cid}");
    }
}

#[test]
fn machine_room_nearby_visits_consumer_less_rooms_in_java_order() {
    // Java's TreeMap<String, _> puts room "Z\u{10000}" before "Z\u{FFFF}"; Rust's order would not.
    let mut mq_all = queues("t", "Z\u{FFFF}-b", 1);
    mq_all.extend(queues("t", "Z\u{10000}-b", 1));
    mq_all.extend(queues("t", "A-b", 1));
    mq_all.extend(queues("t", "Y-b", 1));
    let got = nearby(Arc::new(PrefixResolver))
        .allocate("cg", "A-c0", &mq_all, &["A-c0".to_owned()])
        .expect("valid");
    assert_eq!(
        labels(&got),
        ["A-b:0", "Y-b:0", "Z\u{10000}-b:0", "Z\u{FFFF}-b:0"]
    );
}

/// Resolves nothing for the names it lists, an empty room for `"empty"`.
#[derive(Debug)]
struct GappyResolver(&'static str);

impl MachineRoomResolver for GappyResolver {
    fn broker_room(&self, mq: &MessageQueue) -> Option<String> {
        match mq.broker_name.as_str() {
            name if name == self.0 => None,
            "empty" => Some(String::new()),
            _ => Some("r".to_owned()),
        }
    }
    fn consumer_room(&self, cid: &str) -> Option<String> {
        match cid {
            cid if cid == self.0 => None,
            "empty" => Some(String::new()),
            _ => Some("r".to_owned()),
        }
    }
}

#[test]
fn machine_room_nearby_requires_every_room() {
    let cid_all = vec!["c".to_owned(), "gap".to_owned()];
    let strategy = nearby(Arc::new(GappyResolver("gap")));
    let mq_all = [
        MessageQueue::new("t", "b", 0),
        MessageQueue::new("t", "gap", 1),
    ];
    let err = strategy
        .allocate("cg", "c", &mq_all, &cid_all)
        .expect_err("no room");
    assert_eq!(
        err,
        AllocateError::NoBrokerRoom {
            queue: mq_all[1].clone()
        }
    );
    assert_eq!(
        err.to_string(),
        "Machine room is null for mq MessageQueue [topic=t, brokerName=gap, queueId=1]"
    );
    let err = strategy
        .allocate("cg", "c", &mq_all[..1], &cid_all)
        .expect_err("no room");
    assert_eq!(
        err,
        AllocateError::NoConsumerRoom {
            cid: "gap".to_owned()
        }
    );
    assert_eq!(err.to_string(), "Machine room is null for consumer id gap");
    let mq_all = [MessageQueue::new("t", "empty", 0)];
    let err = strategy
        .allocate("cg", "c", &mq_all, &cid_all[..1])
        .expect_err("empty room");
    assert!(matches!(err, AllocateError::NoBrokerRoom { .. }));
}

#[test]
fn consistent_hash_md5_vectors() {
    let vectors: &[(&str, [u8; 8], u32)] = &[
        (
            "CID-0-0",
            [0x71, 0x47, 0x9a, 0xf9, 0xa4, 0x58, 0x6a, 0x33],
            1_900_518_137,
        ),
        (
            "CID-0-1",
            [0x9b, 0xa7, 0x2d, 0x02, 0x39, 0xfb, 0x75, 0xd0],
            2_611_424_514,
        ),
        (
            "CID-1-0",
            [0x42, 0x29, 0xc9, 0x93, 0x12, 0x46, 0xe0, 0x6b],
            1_110_034_835,
        ),
        (
            "MessageQueue [topic=topic_test, brokerName=brokerName, queueId=0]",
            [0x81, 0x74, 0x41, 0x17, 0xa5, 0x2e, 0x6e, 0x1e],
            2_171_879_703,
        ),
        (
            "MessageQueue [topic=topic_test, brokerName=brokerName, queueId=1]",
            [0xd7, 0xed, 0x6f, 0xf6, 0xc4, 0x23, 0xe0, 0xf8],
            3_622_662_134,
        ),
        (
            "",
            [0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04],
            3_558_706_393,
        ),
    ];
    for &(key, md5_prefix, h) in vectors {
        assert_eq!(md5::compute(key.as_bytes()).0[..8], md5_prefix, "{key:?}");
        assert_eq!(md5_ring_hash(key), h, "{key:?}");
    }
    let mq = MessageQueue::new("topic_test", "brokerName", 0);
    assert_eq!(java_queue_string(&mq), vectors[3].0);
}

/// (#mq, #cid, queue ids of CID-0, CID-1, …), mq = ("topic_test", "brokerName", i).
#[test]
fn consistent_hash_golden() {
    const VNODES_10: &[Row] = &[
        (6, 2, &[&[1, 3, 4, 5], &[0, 2]]),
        (10, 3, &[&[1, 6, 7], &[2, 9], &[0, 3, 4, 5, 8]]),
        (8, 4, &[&[1], &[], &[0, 3, 4, 5], &[2, 6, 7]]),
        (
            20,
            10,
            &[
                &[19],
                &[15, 17],
                &[4, 5, 8],
                &[6, 7, 9, 14],
                &[],
                &[10, 11],
                &[13, 18],
                &[0, 2, 12, 16],
                &[3],
                &[1],
            ],
        ),
    ];
    const VNODES_3: &[Row] = &[
        (6, 2, &[&[0, 3, 5], &[1, 2, 4]]),
        (10, 3, &[&[0, 3, 5, 6, 7, 8], &[1, 2, 9], &[4]]),
        (8, 4, &[&[3, 5], &[2], &[4], &[0, 1, 6, 7]]),
        (
            20,
            10,
            &[
                &[3, 5, 8, 18, 19],
                &[],
                &[4],
                &[6, 7, 9],
                &[],
                &[10, 11, 15, 17],
                &[],
                &[0, 2, 12],
                &[1, 13, 14],
                &[16],
            ],
        ),
    ];
    let default = AllocateStrategy::consistent_hash();
    assert_eq!(
        default,
        AllocateStrategy::ConsistentHash { virtual_nodes: 10 }
    );
    assert_rows(&default, "topic_test", "CID-", VNODES_10);
    assert_rows(
        &AllocateStrategy::ConsistentHash { virtual_nodes: 3 },
        "topic_test",
        "CID-",
        VNODES_3,
    );
    // No virtual node: an empty ring, nobody gets anything.
    let none = AllocateStrategy::ConsistentHash { virtual_nodes: 0 };
    assert_rows(&none, "topic_test", "CID-", &[(6, 2, &[&[], &[]])]);
}

#[test]
fn consistent_hash_repeated_cid_continues_its_node_numbering() {
    // Java adds "CID-0" twice: nodes CID-0-0..2, then CID-0-3..5 (3 already on the ring).
    let doubled: Vec<String> = ["CID-0", "CID-1", "CID-0"].map(str::to_owned).to_vec();
    let mut want = BTreeMap::new();
    for (cid, nodes) in [("CID-0", 0..6), ("CID-1", 0..3)] {
        for i in nodes {
            want.insert(md5_ring_hash(&format!("{cid}-{i}")), cid);
        }
    }
    assert_eq!(want.len(), 9);
    assert_eq!(hash_ring(&doubled, 3), want);
}

#[test]
fn consistent_hash_collision_later_node_replaces() {
    // "c106893-0" and "c147464-0" share their first 4 MD5 bytes.
    let (x, y) = ("c106893".to_owned(), "c147464".to_owned());
    assert_eq!(md5_ring_hash("c106893-0"), 3_379_821_892);
    assert_eq!(md5_ring_hash("c147464-0"), 3_379_821_892);
    let mq_all = queues("topic_test", "brokerName", 8);
    let one_node = AllocateStrategy::ConsistentHash { virtual_nodes: 1 };
    // One ring entry, owned by the cid added last.
    let all = ids(&mq_all);
    assert_eq!(
        allocation(&one_node, &mq_all, &[x.clone(), y.clone()]),
        [vec![], all.clone()]
    );
    assert_eq!(
        allocation(&one_node, &mq_all, &[y.clone(), x.clone()]),
        [vec![], all]
    );
    // x lost its only node, so when added again it has 0 nodes on the ring: it adds
    // "c106893-0" again, which takes the entry back.
    let thrice = [x.clone(), y.clone(), x.clone()];
    let ring = hash_ring(&thrice, 1);
    assert_eq!(
        ring.into_iter().collect::<Vec<_>>(),
        [(3_379_821_892, x.as_str())]
    );
    assert_eq!(one_node.allocate("cg", &x, &mq_all, &thrice), Ok(mq_all));
}

/// §1.9: `TopicTest` on broker-a and broker-b, 4 queues each, 3 consumers.
#[test]
fn realistic_two_broker_vector() {
    let mut shuffled = queues("TopicTest", "broker-b", 4);
    shuffled.extend(queues("TopicTest", "broker-a", 4));
    shuffled.reverse();
    let mq_all = java_sorted_queues(shuffled);
    let short = |q: &[MessageQueue]| -> String {
        q.iter()
            .map(|mq| {
                format!(
                    "{}{}",
                    mq.broker_name.trim_start_matches("broker-"),
                    mq.queue_id
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(short(&mq_all), "a0 a1 a2 a3 b0 b1 b2 b3");
    let cid_all = java_sorted_ids(["10.0.0.3@1", "10.0.0.1@1", "10.0.0.2@1"].map(str::to_owned));
    assert_eq!(cid_all, ["10.0.0.1@1", "10.0.0.2@1", "10.0.0.3@1"]);
    let rows: [(AllocateStrategy, [&str; 3]); 4] = [
        (
            AllocateStrategy::Averagely,
            ["a0 a1 a2", "a3 b0 b1", "b2 b3"],
        ),
        (
            AllocateStrategy::AveragelyByCircle,
            ["a0 a3 b2", "a1 b0 b3", "a2 b1"],
        ),
        (
            AllocateStrategy::consistent_hash(),
            ["a1", "a0 b0 b2 b3", "a2 a3 b1"],
        ),
        (
            AllocateStrategy::ConsistentHash { virtual_nodes: 3 },
            ["", "a3 b2 b3", "a0 a1 a2 b0 b1"],
        ),
    ];
    for (strategy, want) in rows {
        for (cid, want) in cid_all.iter().zip(want) {
            let got = strategy
                .allocate("cg", cid, &mq_all, &cid_all)
                .expect("valid");
            assert_eq!(short(&got), want, "{} {cid}", strategy.name());
        }
    }
}

#[test]
fn names_and_equality() {
    let resolver: Arc<dyn MachineRoomResolver> = Arc::new(PrefixResolver);
    let by_circle = nearby(Arc::clone(&resolver));
    let names = [
        (AllocateStrategy::default(), "AVG"),
        (AllocateStrategy::AveragelyByCircle, "AVG_BY_CIRCLE"),
        (AllocateStrategy::Config(Vec::new()), "CONFIG"),
        (
            AllocateStrategy::MachineRoom {
                consumer_idcs: BTreeSet::new(),
            },
            "MACHINE_ROOM",
        ),
        (
            AllocateStrategy::MachineRoomNearby {
                inner: Box::new(AllocateStrategy::AveragelyByCircle),
                resolver: Arc::clone(&resolver),
            },
            "MACHINE_ROOM_NEARBY-AVG_BY_CIRCLE",
        ),
        (AllocateStrategy::consistent_hash(), "CONSISTENT_HASH"),
        (AllocateStrategy::Custom(Arc::new(FirstQueue)), "FIRST"),
    ];
    for (strategy, name) in &names {
        assert_eq!(strategy.name(), *name);
        assert_eq!(Allocate::name(strategy), *name);
        assert_eq!(strategy, &strategy.clone());
    }
    assert_eq!(AllocateStrategy::default(), AllocateStrategy::Averagely);
    assert_eq!(by_circle, nearby(Arc::clone(&resolver)));
    assert_ne!(
        by_circle,
        nearby(Arc::new(PrefixResolver)),
        "another resolver"
    );
    let custom: Arc<dyn Allocate> = Arc::new(FirstQueue);
    assert_eq!(
        AllocateStrategy::Custom(Arc::clone(&custom)),
        AllocateStrategy::Custom(Arc::clone(&custom))
    );
    assert_ne!(
        AllocateStrategy::Custom(custom),
        AllocateStrategy::Custom(Arc::new(FirstQueue))
    );
    assert_ne!(
        AllocateStrategy::Averagely,
        AllocateStrategy::AveragelyByCircle
    );
}

/// A user strategy: the first queue to the first consumer.
#[derive(Debug)]
struct FirstQueue;

impl Allocate for FirstQueue {
    fn allocate(
        &self,
        _group: &str,
        current_cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Result<Vec<MessageQueue>, AllocateError> {
        match check(current_cid, mq_all, cid_all)? {
            Some(0) => Ok(mq_all.iter().take(1).cloned().collect()),
            _ => Ok(Vec::new()),
        }
    }
    fn name(&self) -> String {
        "FIRST".to_owned()
    }
}

#[test]
fn custom_strategies_and_nearby_with_a_custom_inner() {
    let mq_all = queues("t", "r-b", 3);
    let cid_all = cids("r-c", 2);
    let custom = AllocateStrategy::Custom(Arc::new(FirstQueue));
    assert_eq!(allocation(&custom, &mq_all, &cid_all), [vec![0], vec![]]);
    let nearby_custom = AllocateStrategy::MachineRoomNearby {
        inner: Box::new(custom),
        resolver: Arc::new(PrefixResolver),
    };
    assert_eq!(nearby_custom.name(), "MACHINE_ROOM_NEARBY-FIRST");
    assert_eq!(
        allocation(&nearby_custom, &mq_all, &cid_all),
        [vec![0], vec![]]
    );
}

#[test]
fn java_string_order_is_utf16_not_bytes() {
    // U+FFFF is one code unit 0xFFFF; U+10000 is the pair D800 DC00, which Java puts first.
    assert_eq!(java_string_cmp("\u{FFFF}", "\u{10000}"), Ordering::Greater);
    assert_eq!(
        "\u{FFFF}".cmp("\u{10000}"),
        Ordering::Less,
        "Rust's byte order differs"
    );
    assert_eq!(java_string_cmp("\u{E000}", "\u{1F600}"), Ordering::Greater);
    assert_eq!(java_string_cmp("\u{D7FF}", "\u{10000}"), Ordering::Less);
    assert_eq!(java_string_cmp("ab", "abc"), Ordering::Less);
    assert_eq!(java_string_cmp("", ""), Ordering::Equal);
    assert_eq!(
        java_sorted_ids(["\u{FFFF}", "\u{10000}", "a"].map(str::to_owned)),
        ["a", "\u{10000}", "\u{FFFF}"]
    );
    // §1.2's example, with brokers given in reverse.
    let brokers = ["broker-b", "broker-a", "broker-9", "broker-10", "Broker-a"];
    let sorted = java_sorted_queues(brokers.map(|b| MessageQueue::new("t", b, 0)));
    let names: Vec<&str> = sorted.iter().map(|mq| mq.broker_name.as_str()).collect();
    assert_eq!(
        names,
        ["Broker-a", "broker-10", "broker-9", "broker-a", "broker-b"]
    );
    // Topic first, then broker (Java order), then queue id.
    let sorted = java_sorted_queues([
        MessageQueue::new("u", "a", 0),
        MessageQueue::new("t", "\u{FFFF}", 0),
        MessageQueue::new("t", "\u{10000}", 2),
        MessageQueue::new("t", "\u{10000}", -1),
    ]);
    let keys: Vec<(&str, &str, i32)> = sorted
        .iter()
        .map(|mq| (mq.topic.as_str(), mq.broker_name.as_str(), mq.queue_id))
        .collect();
    assert_eq!(
        keys,
        [
            ("t", "\u{10000}", -1),
            ("t", "\u{10000}", 2),
            ("t", "\u{FFFF}", 0),
            ("u", "a", 0)
        ]
    );
}

/// Allocations of every consumer, flattened and sorted, and whether any queue was given twice.
fn union_of(
    strategy: &AllocateStrategy,
    mq_all: &[MessageQueue],
    cid_all: &[String],
) -> (Vec<MessageQueue>, bool) {
    let mut all: Vec<MessageQueue> = cid_all
        .iter()
        .flat_map(|cid| {
            strategy
                .allocate("cg", cid, mq_all, cid_all)
                .expect("valid inputs")
        })
        .collect();
    all.sort();
    let len = all.len();
    all.dedup();
    let duplicated = all.len() != len;
    (all, duplicated)
}

fn arb_inputs() -> impl Strategy<Value = (Vec<MessageQueue>, Vec<String>)> {
    (1usize..64, 1usize..16, any::<u32>(), 1usize..4).prop_map(|(mqs, n, salt, brokers)| {
        let mq_all = java_sorted_queues((0..mqs).map(|i| {
            MessageQueue::new(
                "T",
                format!("b{}", i % brokers),
                i32::try_from(i).unwrap_or(0),
            )
        }));
        // MACHINE_ROOM_NEARBY rooms (text before `-`): b0..b4, overlapping the brokers'.
        let cid_all = java_sorted_ids((0..n).map(|i| format!("b{}-10.0.{i}.{salt}@{i}", i % 5)));
        (mq_all, cid_all)
    })
}

proptest! {
    #[test]
    fn every_queue_goes_to_exactly_one_consumer(
        (mq_all, cid_all) in arb_inputs(),
        virtual_nodes in 1usize..12,
    ) {
        let mut want = mq_all.clone();
        want.sort();
        for strategy in [
            AllocateStrategy::Averagely,
            AllocateStrategy::AveragelyByCircle,
            AllocateStrategy::ConsistentHash { virtual_nodes },
            nearby(Arc::new(PrefixResolver)),
        ] {
            let (union, duplicated) = union_of(&strategy, &mq_all, &cid_all);
            prop_assert!(!duplicated, "{}", strategy.name());
            prop_assert_eq!(&union, &want, "{}", strategy.name());
        }
    }

    #[test]
    fn averagely_sizes_differ_by_at_most_one((mq_all, cid_all) in arb_inputs()) {
        let sizes: Vec<usize> = allocation(&AllocateStrategy::Averagely, &mq_all, &cid_all)
            .iter()
            .map(Vec::len)
            .collect();
        let (min, max) = (sizes.iter().min(), sizes.iter().max());
        prop_assert!(max.zip(min).is_some_and(|(max, min)| max - min <= 1));
    }

    #[test]
    fn machine_room_allocates_exactly_the_configured_rooms(
        (mq_all, cid_all) in arb_inputs(),
        room_of in proptest::collection::vec(0u8..3, 64),
    ) {
        let rooms = ["idc1@", "idc2@", "x"];
        let mq_all: Vec<MessageQueue> = mq_all
            .into_iter()
            .zip(&room_of)
            .map(|(mq, &r)| MessageQueue::new(mq.topic, format!("{}{}", rooms[usize::from(r)], mq.broker_name), mq.queue_id))
            .collect();
        let strategy = AllocateStrategy::MachineRoom { consumer_idcs: BTreeSet::from(["idc1".to_owned()]) };
        let mut want: Vec<MessageQueue> = mq_all.iter().filter(|mq| mq.broker_name.starts_with("idc1@")).cloned().collect();
        want.sort();
        let (union, duplicated) = union_of(&strategy, &mq_all, &cid_all);
        prop_assert!(!duplicated);
        prop_assert_eq!(union, want);
    }
}
