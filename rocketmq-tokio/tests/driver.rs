//! The tokio driver: time from tokio's clock, and nothing left running after shutdown.

use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use rocketmq_tokio::{Message, Producer, SendError};

/// A name server that accepts connections and never answers.
fn silent_server() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten().take(8) {
            std::thread::spawn(move || {
                let mut b = [0u8; 1024];
                while matches!(c.read(&mut b), Ok(n) if n > 0) {}
            });
        }
    });
    addr
}

/// Waits up to a second for the runtime to have no task alive.
async fn no_task_left() -> bool {
    for _ in 0..100 {
        if tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
            == 0
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test(start_paused = true)]
async fn timeouts_follow_the_paused_tokio_clock() {
    let p = Producer::builder()
        .name_server(&silent_server())
        .group("paused_clock")
        .send_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    p.start().await.unwrap();
    let wall = std::time::Instant::now();
    let virt = tokio::time::Instant::now();
    let err = p.send(Message::new("T", "x")).await.unwrap_err();
    // The name server never answers: the 3 s route request times out on tokio's clock.
    assert!(matches!(err, SendError::NoRoute { .. }), "{err}");
    assert!(virt.elapsed() >= Duration::from_secs(3));
    assert!(
        wall.elapsed() < Duration::from_secs(2),
        "virtual time, not real time"
    );
    p.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_later_send_with_an_earlier_deadline_times_out_first() {
    let p = Producer::builder()
        .name_server(&silent_server())
        .group("earlier_deadline")
        .build()
        .unwrap();
    p.start().await.unwrap();
    let t0 = tokio::time::Instant::now();
    let with_timeout = |ms| rocketmq_tokio::SendOptions {
        timeout: Some(Duration::from_millis(ms)),
        ..Default::default()
    };
    let (a, b) = (p.clone(), p.clone());
    // `long` arms the driver's timer at 2 s; `short`, sent after it, needs it at 0.5 s.
    let long = tokio::spawn(async move {
        let r = a
            .send_with(Message::new("T", "x"), with_timeout(2_000))
            .await;
        (r, t0.elapsed())
    });
    tokio::task::yield_now().await;
    let short = tokio::spawn(async move {
        let r = b.send_with(Message::new("T", "y"), with_timeout(500)).await;
        (r, t0.elapsed())
    });
    let (short, long) = (short.await.unwrap(), long.await.unwrap());
    for ((r, at), ms) in [(short, 500), (long, 2_000)] {
        assert!(matches!(r, Err(SendError::Timeout { .. })), "{r:?}");
        let due = Duration::from_millis(ms);
        assert!(
            at >= due && at < due + Duration::from_millis(100),
            "{ms} ms: {at:?}"
        );
    }
    p.shutdown().await;
}

#[test]
fn nothing_runs_after_shutdown() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let p = Producer::builder()
            .name_server("127.0.0.1:1")
            .group("after_shutdown")
            .build()
            .unwrap();
        p.start().await.unwrap();
        assert!(p.send(Message::new("T", "x")).await.is_err());
        assert_eq!(
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks(),
            1
        );
        p.shutdown().await;
        assert!(matches!(
            p.send(Message::new("T", "x")).await,
            Err(SendError::Shutdown)
        ));
        assert!(
            no_task_left().await,
            "the driver task is still alive after shutdown"
        );
    });
}

#[test]
fn nothing_runs_after_the_last_handle_is_dropped() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let p = Producer::builder()
            .name_server("127.0.0.1:1")
            .group("dropped")
            .build()
            .unwrap();
        p.start().await.unwrap();
        let clone = p.clone();
        drop(p);
        assert_eq!(
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks(),
            1
        );
        drop(clone);
        assert!(
            no_task_left().await,
            "the driver task is still alive after the last handle was dropped"
        );
    });
}

#[tokio::test]
async fn producer_is_send_sync_and_misuse_is_typed() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Producer>();
    let p = Producer::builder()
        .name_server("127.0.0.1:1")
        .group("misuse")
        .build()
        .unwrap();
    let err = p.send(Message::new("T", "x")).await.unwrap_err();
    assert!(
        matches!(err, SendError::Usage(_)),
        "send before start: {err}"
    );
    p.start().await.unwrap();
    assert!(p.start().await.is_err(), "start twice");
    assert!(Producer::builder()
        .name_server("nonsense")
        .group("g")
        .build()
        .is_err());
    assert!(Producer::builder()
        .name_server("127.0.0.1:1")
        .group("bad group!")
        .build()
        .is_err());
    p.shutdown().await;
}

#[test]
fn nothing_runs_after_a_consumer_shuts_down() {
    use rocketmq_tokio::{ConsumeResult, LitePullConsumer, PushConsumer};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let push = PushConsumer::builder()
            .name_server("127.0.0.1:1")
            .group("consumer_after_shutdown")
            .instance_name("shared")
            .subscribe("T", "*")
            .build_concurrent(|_, _| async { ConsumeResult::Success })
            .unwrap();
        push.start().await.unwrap();
        // Same client id: the lite consumer joins the push consumer's instance.
        let lite = LitePullConsumer::builder()
            .name_server("127.0.0.1:1")
            .group("lite_after_shutdown")
            .instance_name("shared")
            .build()
            .unwrap();
        lite.start().await.unwrap();
        assert_eq!(push.client_id(), lite.client_id());
        assert_eq!(
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks(),
            1,
            "one driver for both"
        );
        push.shutdown().await;
        assert!(!no_task_left().await, "the lite consumer still runs");
        let poll = tokio::spawn({
            let lite = lite.clone();
            async move { lite.poll(Duration::from_secs(60)).await }
        });
        tokio::task::yield_now().await;
        lite.shutdown().await;
        let waiting = poll.await.unwrap();
        assert!(
            matches!(waiting, Err(rocketmq_tokio::UsageError::ClientShutdown)),
            "a poll waiting at shutdown ends with the reason: {waiting:?}"
        );
        assert!(
            lite.poll(Duration::from_secs(1)).await.is_err(),
            "a shut-down consumer refuses polls"
        );
        assert!(
            no_task_left().await,
            "the driver task is still alive after the consumers shut down"
        );
    });
}

#[tokio::test]
async fn a_oneway_mode_where_a_result_is_awaited_is_refused_at_once() {
    use rocketmq_tokio::{SendOptions, SendTarget, UsageError};
    let p = Producer::builder()
        .name_server(&silent_server())
        .group("oneway_with_result")
        .build()
        .unwrap();
    p.start().await.unwrap();
    let refused =
        |r: Result<_, SendError>| matches!(r, Err(SendError::Usage(UsageError::OnewayHasNoResult)));
    let msg = || Message::new("T", "x");
    let sent = tokio::time::timeout(Duration::from_secs(5), async {
        (
            p.send_with(msg(), SendOptions::oneway()).await,
            p.send_to(msg(), SendTarget::Hash(1), SendOptions::oneway())
                .await,
            p.send_batch_with(vec![msg()], None, SendOptions::oneway())
                .await,
        )
    })
    .await
    .expect("answered at once, not left waiting");
    assert!(refused(sent.0) && refused(sent.1) && refused(sent.2));
    p.shutdown().await;
}
