//! Producer breadth on the real broker: ordered sends by sharding key, batches, delay levels,
//! timer messages, LZ4 and ZSTD bodies. Each is read back from the broker.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rocketmq_core::driver::{Producer, Runtime};
use rocketmq_core::proto::body::MessageQueue;
use rocketmq_core::proto::header::SendStatus;
use rocketmq_core::proto::message::compress::CompressionType;
use rocketmq_core::proto::message::{decode_offset_msg_id, keys, Delay, MessageExt};
use rocketmq_core::{Message, SendError, SendResult};
use rocketmq_tests::admin::{pull_queue, view_message};
use rocketmq_tests::cluster::{namesrv, require, unique};
use rocketmq_tests::join::join_all;

use super::{builder, started, within};

/// The address of the broker that stored `r` (from its offset message id).
fn store_of(r: &SendResult) -> String {
    let id = r.offset_msg_ids().next().expect("an offset msg id");
    decode_offset_msg_id(id)
        .expect("offset msg id")
        .0
        .to_string()
}

/// Creates `topic` (4 queues) with one plain message; returns where it was stored.
async fn create<R: Runtime>(p: &Producer<R>, topic: &str) -> SendResult {
    within(
        Duration::from_secs(10),
        p.send(Message::new(topic, "create")),
    )
    .await
    .expect("topic created")
}

pub(super) async fn sharding_keys_keep_each_key_on_one_queue_in_order<R: Runtime + Default>() {
    require(&namesrv());
    let topic = unique("ConfOrdered");
    let p = started(builder::<R>(&namesrv())).await;
    let first = create(&p, &topic).await;
    let broker = store_of(&first);
    // Ten keys sent side by side, each key's 100 messages one after the other.
    let tasks: Vec<_> = (0..10)
        .map(|k| {
            let (p, topic) = (p.clone(), topic.clone());
            async move {
                let key = format!("order-{k}");
                let mut results = Vec::new();
                for i in 0..100 {
                    let msg = Message::new(&topic, format!("{key}:{i}"));
                    results.push(p.send_ordered(msg, &key).await.expect("ordered send"));
                }
                (key, results)
            }
        })
        .collect();
    let per_key = within(Duration::from_secs(120), join_all(tasks)).await;
    let mut queues: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for (key, results) in &per_key {
        let qs: BTreeSet<_> = results.iter().map(|r| r.queue.clone()).collect();
        assert_eq!(qs.len(), 1, "{key} went to one queue: {qs:?}");
        let offsets: Vec<i64> = results.iter().map(|r| r.queue_offset).collect();
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "{key}: {offsets:?}"
        );
        queues
            .entry(results[0].queue.queue_id)
            .or_default()
            .push(key.clone());
    }
    for (queue, keys_here) in &queues {
        let total = 100 * keys_here.len() + usize::from(*queue == first.queue.queue_id);
        let stored = pull_queue(&broker, &topic, *queue, total);
        assert_eq!(stored.len(), total, "queue {queue}");
        for key in keys_here {
            let bodies: Vec<String> = stored
                .iter()
                .filter(|m| m.message.property(keys::SHARDING_KEY) == Some(key.as_str()))
                .map(|m| String::from_utf8(m.message.body.to_vec()).unwrap())
                .collect();
            let expected: Vec<String> = (0..100).map(|i| format!("{key}:{i}")).collect();
            assert_eq!(bodies, expected, "{key} stored in send order");
        }
    }
    p.shutdown().await;
}

pub(super) async fn a_batch_of_100_reads_back_intact<R: Runtime + Default>() {
    require(&namesrv());
    let topic = unique("ConfBatch");
    let p = started(builder::<R>(&namesrv())).await;
    let first = create(&p, &topic).await;
    let broker = store_of(&first);
    let queue = MessageQueue::new(&topic, &first.queue.broker_name, 1);
    let msgs: Vec<Message> = (0..100)
        .map(|i| {
            Message::new(&topic, format!("batch message {i} ").repeat(1 + i % 7))
                .with_tags("TagB")
                .with_keys([format!("key{i}")])
                .with_property("n", i.to_string())
        })
        .collect();
    let r = within(
        Duration::from_secs(10),
        p.send_batch_to_queue(msgs.clone(), &queue),
    )
    .await
    .expect("batch stored");
    assert_eq!(r.status, SendStatus::SendOk);
    assert_eq!(r.queue, queue);
    let ids: Vec<&str> = r.msg_ids().collect();
    assert_eq!(ids.len(), 100);
    let stored = pull_queue(&broker, &topic, 1, 100);
    let stored: Vec<&MessageExt> = stored
        .iter()
        .filter(|m| m.queue_offset >= r.queue_offset)
        .collect();
    assert_eq!(stored.len(), 100);
    for (i, (m, sent)) in stored.iter().zip(&msgs).enumerate() {
        assert_eq!(m.queue_offset, r.queue_offset + i as i64);
        assert_eq!(m.message.body, sent.body, "message {i}");
        assert_eq!(m.message.tags(), Some("TagB"));
        assert_eq!(m.message.keys(), sent.keys());
        assert_eq!(m.message.property("n"), Some(i.to_string().as_str()));
        assert_eq!(m.message.property(keys::UNIQ_KEY), Some(ids[i]));
    }
    // Too large for the broker's 4 MiB: refused before sending, typed.
    let big: Vec<Message> = (0..5)
        .map(|_| Message::new(&topic, vec![7u8; 1 << 20]))
        .collect();
    let err = p.send_batch(big).await.unwrap_err();
    assert!(
        matches!(
            err,
            SendError::Usage(rocketmq_core::UsageError::InvalidBatch(_))
        ),
        "{err:?}"
    );
    p.shutdown().await;
}

/// Polls queue `queue` of `topic` until a message with body `body` shows; returns when.
async fn first_seen(
    broker: &str,
    topic: &str,
    queue: i32,
    body: &[u8],
    limit: Duration,
) -> Option<Instant> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let found = pull_queue(broker, topic, queue, 0)
            .iter()
            .any(|m| m.message.body.as_ref() == body);
        if found {
            return Some(Instant::now());
        }
        smol::Timer::after(Duration::from_millis(100)).await;
    }
    None
}

/// Sends `msg` to queue 0 of a fresh topic; returns the store, when it was sent, and the
/// moment it became visible in the queue.
async fn delayed<R: Runtime + Default>(
    prefix: &str,
    msg: impl FnOnce(&str) -> Message,
) -> (Instant, Option<Instant>) {
    require(&namesrv());
    let topic = unique(prefix);
    let p = started(builder::<R>(&namesrv())).await;
    let first = create(&p, &topic).await;
    let broker = store_of(&first);
    let queue = MessageQueue::new(&topic, &first.queue.broker_name, 0);
    let msg = msg(&topic);
    let body = msg.body.clone();
    let sent = Instant::now();
    within(Duration::from_secs(10), p.send_to_queue(msg, &queue))
        .await
        .expect("delayed message accepted");
    let seen = first_seen(&broker, &topic, 0, &body, Duration::from_secs(20)).await;
    p.shutdown().await;
    (sent, seen)
}

pub(super) async fn delay_level_2_shows_after_five_seconds<R: Runtime + Default>() {
    let (sent, seen) = delayed::<R>("ConfDelay", |t| {
        Message::new(t, "five seconds later").with_delay_level(2)
    })
    .await;
    let after = seen.expect("visible within 20 s") - sent;
    assert!(
        after >= Duration::from_millis(4500),
        "visible after {after:?}, before 5 s"
    );
}

pub(super) async fn a_two_second_timer_shows_after_two_seconds<R: Runtime + Default>() {
    let (sent, seen) = delayed::<R>("ConfTimer", |t| {
        Message::new(t, "two seconds later").with_delay(Duration::from_secs(2))
    })
    .await;
    let after = seen.expect("visible within 20 s") - sent;
    // The broker rounds a deliver time down to its 1 s precision.
    assert!(
        after >= Duration::from_millis(1000),
        "visible after {after:?}"
    );
    // A deliver time in the past is refused with a timer error.
    let p = started(builder::<R>(&namesrv())).await;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let msg = Message::new(unique("ConfTimerPast"), "too late").with_deliver_time(now_ms - 60_000);
    match within(Duration::from_secs(10), p.send(msg)).await {
        Err(SendError::TimerRejected { delay, .. }) => {
            assert_eq!(delay, Some(Delay::At(now_ms - 60_000)));
        }
        other => panic!("expected a timer rejection, got {other:?}"),
    }
    p.shutdown().await;
}

pub(super) async fn lz4_and_zstd_bodies_are_stored_compressed<R: Runtime + Default>() {
    require(&namesrv());
    let topic = unique("ConfCompress");
    let body: Vec<u8> = (0..64 * 1024)
        .map(|i: usize| b"lz4 and zstd on the broker "[i % 27] ^ (i / 4096) as u8)
        .collect();
    for ty in [CompressionType::Lz4, CompressionType::Zstd] {
        let p = started(builder::<R>(&namesrv()).compress_type(ty)).await;
        let r = within(
            Duration::from_secs(10),
            p.send(Message::new(&topic, body.clone())),
        )
        .await
        .expect("stored");
        let stored = view_message(&topic, &r.offset_msg_id);
        assert_eq!(stored.message.body.as_ref(), body.as_slice(), "{ty:?}");
        assert_eq!(
            stored.sys_flag & 0x700,
            ty.sys_flag(),
            "{ty:?} type bits kept"
        );
        assert!(
            stored.store_size < 8 * 1024,
            "{ty:?} stored compressed: {}",
            stored.store_size
        );
        p.shutdown().await;
    }
}
