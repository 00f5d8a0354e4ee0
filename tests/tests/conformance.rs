//! One list of real-broker scenarios, run on every adapter: tokio, async-std's executor and smol.
//!
//! Needs the real server (`scripts/test.sh` starts it); without one every test fails with
//! instructions. The broker-kill scenario starts a cluster of its own.

use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rocketmq_core::driver::{Producer, ProducerBuilder, Runtime};
use rocketmq_core::proto::header::SendStatus;
use rocketmq_core::proto::message::keys;
use rocketmq_core::proto::SerializeType;
use rocketmq_core::{Message, SendError, SendResult, TransportError};
use rocketmq_tests::admin::{max_offset, view_message};
use rocketmq_tests::cluster::{namesrv, namesrv_b, require, unique, OwnCluster};
use rocketmq_tests::fake_server::{FakeServer, Misbehaviour};
use rocketmq_tests::join::join_all;

#[path = "conformance/breadth.rs"]
mod breadth;
use breadth::*;

const BROKER_A: &str = "127.0.0.1:10911";

fn builder<R: Runtime + Default>(ns: &str) -> ProducerBuilder<R> {
    Producer::<R>::builder()
        .name_server(ns)
        .group(&unique("conf_pg"))
}

async fn started<R: Runtime + Default>(b: ProducerBuilder<R>) -> Producer<R> {
    let p = b.build().expect("valid config");
    p.start().await.expect("start");
    p
}

/// Waits for `fut` at most `limit` (a hang fails the test instead of stalling it).
async fn within<T>(limit: Duration, fut: impl std::future::Future<Output = T>) -> T {
    futures_lite::future::or(async { Some(fut.await) }, async {
        smol::Timer::after(limit).await;
        None
    })
    .await
    .unwrap_or_else(|| panic!("did not complete within {limit:?}"))
}

async fn sync_send_to_a_new_topic<R: Runtime + Default>() {
    require(&namesrv());
    let topic = unique("ConfNew");
    let p = started(builder::<R>(&namesrv())).await;
    let r = within(
        Duration::from_secs(10),
        p.send(Message::new(&topic, "hello")),
    )
    .await
    .unwrap();
    assert_eq!(r.status, SendStatus::SendOk);
    assert_eq!(r.queue.topic, topic);
    assert_eq!(r.queue.broker_name, "broker-a");
    assert!(
        (0..4).contains(&r.queue.queue_id),
        "TBW102 route capped at 4 queues: {r:?}"
    );
    assert_eq!(r.msg_id.len(), 32);
    assert_eq!(r.offset_msg_id.len(), 32);
    assert_eq!(r.transaction_id.as_deref(), Some(r.msg_id.as_str()));
    p.shutdown().await;
}

async fn stored_message_reads_back_equal<R: Runtime + Default>() {
    require(&namesrv());
    let p = started(builder::<R>(&namesrv())).await;
    sends_read_back_equal(&p, &unique("ConfReadBack")).await;
    p.shutdown().await;
}

/// ROCKETMQ binary request headers (Java's `rocketmq.serialize.type=ROCKETMQ`): route, heartbeat
/// and send all work, and what was stored equals what was sent.
async fn binary_headers_round_trip<R: Runtime + Default>() {
    require(&namesrv());
    let p = started(builder::<R>(&namesrv()).serialize_type(SerializeType::RocketMq)).await;
    sends_read_back_equal(&p, &unique("ConfBinary")).await;
    p.shutdown().await;
}

/// Sends a small and a 64 KiB (compressed) message and reads both back by offset msg id: body,
/// tags, keys, a user property, UNIQ_KEY and queue offset equal what was sent.
async fn sends_read_back_equal<R: Runtime>(p: &Producer<R>, topic: &str) {
    let big: Vec<u8> = (0..64 * 1024).map(|i| b"rocketmq"[i % 8]).collect();
    for body in [b"hello read back".to_vec(), big] {
        let msg = Message::new(topic, body.clone())
            .with_tags("TagA")
            .with_keys(["k1", "k2"])
            .with_property("color", "blue");
        let r = within(Duration::from_secs(10), p.send(msg)).await.unwrap();
        assert_eq!(r.status, SendStatus::SendOk);
        let stored = view_message(topic, &r.offset_msg_id);
        assert_eq!(stored.message.body.as_ref(), body.as_slice());
        assert_eq!(stored.message.topic, topic);
        assert_eq!(stored.message.tags(), Some("TagA"));
        assert_eq!(stored.message.keys(), Some("k1 k2"));
        assert_eq!(stored.message.property("color"), Some("blue"));
        assert_eq!(
            stored.message.property(keys::UNIQ_KEY),
            Some(r.msg_id.as_str())
        );
        assert_eq!(stored.queue_offset, r.queue_offset);
        if body.len() > 4096 {
            assert!(
                stored.store_size < 8 * 1024,
                "64 KiB body must be stored compressed: {}",
                stored.store_size
            );
        }
    }
}

async fn sixteen_tasks_send_two_thousand<R: Runtime + Default>() {
    require(&namesrv());
    let topic = unique("ConfConc");
    let p = started(builder::<R>(&namesrv())).await;
    within(
        Duration::from_secs(10),
        p.send(Message::new(&topic, "create")),
    )
    .await
    .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|t| {
            let (p, topic) = (p.clone(), topic.clone());
            async move {
                let mut out = Vec::new();
                for i in 0..125 {
                    out.push(p.send(Message::new(&topic, format!("t{t} m{i}"))).await);
                }
                out
            }
        })
        .collect();
    let results: Vec<Result<SendResult, SendError>> =
        within(Duration::from_secs(120), join_all(tasks))
            .await
            .into_iter()
            .flatten()
            .collect();
    assert_eq!(results.len(), 2000);
    let ok: Vec<_> = results
        .into_iter()
        .map(|r| r.expect("every send succeeds"))
        .collect();
    let queues: BTreeSet<_> = ok.iter().map(|r| r.queue.queue_id).collect();
    assert_eq!(queues.len(), 4, "spread over all queues: {queues:?}");
    let ids: HashSet<_> = ok.iter().map(|r| r.msg_id.clone()).collect();
    assert_eq!(ids.len(), 2000, "every UNIQ_KEY distinct");
    p.shutdown().await;
}

async fn oneway_sends_arrive<R: Runtime + Default>() {
    require(&namesrv());
    let topic = unique("ConfOneway");
    let p = started(builder::<R>(&namesrv())).await;
    within(
        Duration::from_secs(10),
        p.send(Message::new(&topic, "create")),
    )
    .await
    .unwrap();
    let total = |t: &str| (0..4).map(|q| max_offset(BROKER_A, t, q)).sum::<i64>();
    // The broker indexes a stored message into its queue asynchronously: wait until the
    // first message shows, or `before` may miss it and the count end one over.
    let deadline = Instant::now() + Duration::from_secs(15);
    while total(&topic) < 1 && Instant::now() < deadline {
        smol::Timer::after(Duration::from_millis(20)).await;
    }
    let before = total(&topic);
    assert_eq!(before, 1, "only the first message is on the new topic");
    for i in 0..100 {
        within(
            Duration::from_secs(5),
            p.send_oneway(Message::new(&topic, format!("oneway {i}"))),
        )
        .await
        .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while total(&topic) < before + 100 && Instant::now() < deadline {
        smol::Timer::after(Duration::from_millis(100)).await;
    }
    assert_eq!(total(&topic), before + 100);
    p.shutdown().await;
}

async fn a_dead_first_name_server_is_skipped<R: Runtime + Default>() {
    require(&namesrv());
    let list = format!("127.0.0.1:1;{}", namesrv());
    for _ in 0..3 {
        let p = started(builder::<R>(&list)).await;
        let r = within(
            Duration::from_secs(10),
            p.send(Message::new(unique("ConfDeadNs"), "x")),
        )
        .await;
        assert!(r.is_ok(), "{r:?}");
        p.shutdown().await;
    }
}

async fn two_clusters_in_one_process<R: Runtime + Default>() {
    require(&namesrv());
    require(&namesrv_b());
    let topic = unique("ConfTwo");
    let one = started(builder::<R>(&namesrv()).instance_name("cluster_one")).await;
    let two = started(builder::<R>(&namesrv_b()).instance_name("cluster_two")).await;
    assert_ne!(one.client_id(), two.client_id());
    for i in 0..10 {
        let r1 = within(
            Duration::from_secs(10),
            one.send(Message::new(&topic, format!("one {i}"))),
        )
        .await
        .unwrap();
        let r2 = within(
            Duration::from_secs(10),
            two.send(Message::new(&topic, format!("two {i}"))),
        )
        .await
        .unwrap();
        assert_eq!(r1.queue.broker_name, "broker-a");
        assert_eq!(r2.queue.broker_name, "broker-b");
        assert_eq!(
            view_message(&topic, &r1.offset_msg_id)
                .message
                .body
                .as_ref(),
            format!("one {i}").as_bytes()
        );
        assert_eq!(
            view_message(&topic, &r2.offset_msg_id)
                .message
                .body
                .as_ref(),
            format!("two {i}").as_bytes()
        );
    }
    one.shutdown().await;
    two.shutdown().await;
}

async fn garbage_from_a_fake_broker_is_a_typed_error<R: Runtime + Default>() {
    require(&namesrv());
    for how in [
        Misbehaviour::GarbageFrame,
        Misbehaviour::OversizeLength,
        Misbehaviour::CloseMidFrame,
    ] {
        let fake = FakeServer::broker(how);
        let ns = FakeServer::name_server(BROKER_A, &fake.addr);
        let topic = unique("ConfGarbage");
        let p = started(builder::<R>(&ns.addr).retries(0)).await;
        let (mut good, mut bad) = (0, 0);
        for i in 0..24 {
            match within(
                Duration::from_secs(10),
                p.send(Message::new(&topic, format!("{i}"))),
            )
            .await
            {
                Ok(r) => {
                    assert_eq!(r.queue.broker_name, "broker-a");
                    good += 1;
                }
                Err(e) => {
                    let typed = matches!(
                        (how, e.root_cause()),
                        (
                            Misbehaviour::CloseMidFrame,
                            SendError::Transport {
                                error: TransportError::ConnectionClosed { .. },
                                ..
                            }
                        ) | (
                            _,
                            SendError::Transport {
                                error: TransportError::Protocol { .. },
                                ..
                            }
                        )
                    );
                    assert!(typed, "{how:?}: untyped error {e:?}");
                    bad += 1;
                }
            }
        }
        assert!(good > 0 && bad > 0, "{how:?}: good {good} bad {bad}");
        // The producer keeps working for the healthy broker.
        p.shutdown().await;
    }
}

/// Broker-kill scenarios share one extra cluster; run them one at a time.
static OWN_CLUSTER: Mutex<()> = Mutex::new(());

// The guard serializes the three runtimes' runs on the one extra cluster; each test blocks
// its own thread, so holding it across awaits cannot deadlock.
#[allow(clippy::await_holding_lock)]
async fn broker_killed_and_restarted_mid_stream<R: Runtime + Default>() {
    require(&namesrv());
    let _guard = OWN_CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let cluster = OwnCluster::start("c", 9896, 10931);
    let topic = unique("ConfKill");
    let p = started(builder::<R>(&cluster.namesrv).send_timeout(Duration::from_secs(3))).await;
    let mut acked = Vec::new();
    let send = |i: usize| {
        let p = p.clone();
        let topic = topic.clone();
        async move {
            let body = format!("kill test {i}");
            let t = Instant::now();
            let r = within(
                Duration::from_secs(10),
                p.send(Message::new(&topic, body.clone())),
            )
            .await;
            (body, r, t.elapsed())
        }
    };
    for i in 0..30 {
        let (body, r, _) = send(i).await;
        acked.push((r.expect("before the kill"), body));
    }
    cluster.kill_broker();
    let mut outage_failures = 0;
    for i in 30..40 {
        let (body, r, took) = send(i).await;
        assert!(
            took <= Duration::from_millis(3500),
            "send {i} exceeded its deadline: {took:?}"
        );
        match r {
            Ok(r) => acked.push((r, body)),
            Err(e) => {
                outage_failures += 1;
                assert!(!e.to_string().is_empty());
            }
        }
    }
    assert!(outage_failures > 0, "sends during the outage must fail");
    cluster.restart_broker();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ok_in_a_row = 0;
    let mut i = 40;
    while ok_in_a_row < 20 {
        assert!(
            Instant::now() < deadline,
            "sends did not recover after the restart"
        );
        let (body, r, _) = send(i).await;
        i += 1;
        match r {
            Ok(r) => {
                acked.push((r, body));
                ok_in_a_row += 1;
            }
            Err(_) => {
                ok_in_a_row = 0;
                smol::Timer::after(Duration::from_millis(200)).await;
            }
        }
    }
    for (r, body) in &acked {
        let stored = view_message(&topic, &r.offset_msg_id);
        assert_eq!(
            stored.message.body.as_ref(),
            body.as_bytes(),
            "acknowledged message lost"
        );
    }
    p.shutdown().await;
}

macro_rules! conformance {
    ($($scenario:ident),* $(,)?) => {
        mod tokio_runtime {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                super::$scenario::<rocketmq_tokio::TokioRuntime>().await;
            })*
        }
        mod async_std_runtime {
            $(#[test]
            fn $scenario() {
                async_std::task::block_on(super::$scenario::<rocketmq_async_std::AsyncIoRuntime>());
            })*
        }
        mod smol_runtime {
            $(#[test]
            fn $scenario() {
                smol::block_on(super::$scenario::<rocketmq_async_std::AsyncIoRuntime>());
            })*
        }
    };
}

conformance!(
    sync_send_to_a_new_topic,
    stored_message_reads_back_equal,
    binary_headers_round_trip,
    sixteen_tasks_send_two_thousand,
    oneway_sends_arrive,
    a_dead_first_name_server_is_skipped,
    two_clusters_in_one_process,
    garbage_from_a_fake_broker_is_a_typed_error,
    broker_killed_and_restarted_mid_stream,
    sharding_keys_keep_each_key_on_one_queue_in_order,
    a_batch_of_100_reads_back_intact,
    delay_level_2_shows_after_five_seconds,
    a_two_second_timer_shows_after_two_seconds,
    lz4_and_zstd_bodies_are_stored_compressed,
);
