//! The async-io driver thread ends after shutdown and after the last handle is dropped.

use std::time::Duration;

use rocketmq_async_std::{Message, Producer, SendError};

fn driver_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.flatten()
                .filter(|t| {
                    std::fs::read_to_string(t.path().join("comm"))
                        .is_ok_and(|c| c.trim() == "rocketmq-driver")
                })
                .count()
        })
        .unwrap_or(0)
}

fn wait_for_no_driver() -> bool {
    (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(10));
        driver_threads() == 0
    })
}

/// The tests below count process-wide driver threads, so they run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn driver_thread_ends_after_shutdown_on_smol() {
    let _g = SERIAL.lock().unwrap();
    smol::block_on(async {
        let p = Producer::builder()
            .name_server("127.0.0.1:1")
            .group("smol_shutdown")
            .build()
            .unwrap();
        p.start().await.unwrap();
        assert!(p.send(Message::new("T", "x")).await.is_err());
        assert_eq!(driver_threads(), 1);
        p.shutdown().await;
        assert!(matches!(
            p.send(Message::new("T", "x")).await,
            Err(SendError::Shutdown)
        ));
    });
    assert!(wait_for_no_driver());
}

#[test]
fn driver_thread_ends_after_the_last_handle_is_dropped_on_async_std() {
    let _g = SERIAL.lock().unwrap();
    async_std::task::block_on(async {
        let p = Producer::builder()
            .name_server("127.0.0.1:1")
            .group("as_dropped")
            .build()
            .unwrap();
        p.start().await.unwrap();
        let c = p.clone();
        drop(p);
        assert_eq!(driver_threads(), 1);
        drop(c);
    });
    assert!(wait_for_no_driver());
}

#[test]
fn works_under_plain_block_on() {
    let _g = SERIAL.lock().unwrap();
    futures_lite::future::block_on(async {
        let p = Producer::builder()
            .name_server("127.0.0.1:1")
            .group("plain")
            .build()
            .unwrap();
        p.start().await.unwrap();
        let err = p.send(Message::new("T", "x")).await.unwrap_err();
        assert!(matches!(err, SendError::NoRoute { .. }), "{err}");
        p.shutdown().await;
    });
}

#[test]
fn driver_thread_ends_after_a_consumer_shuts_down_on_smol() {
    use rocketmq_async_std::{ConsumeResult, PushConsumer};
    let _g = SERIAL.lock().unwrap();
    smol::block_on(async {
        let c = PushConsumer::builder()
            .name_server("127.0.0.1:1")
            .group("smol_consumer_shutdown")
            .subscribe("T", "*")
            .build_concurrent(|_, _| async { ConsumeResult::Success })
            .unwrap();
        c.start().await.unwrap();
        assert_eq!(driver_threads(), 1);
        c.shutdown().await;
        assert!(c.start().await.is_err(), "a shut-down consumer stays down");
    });
    assert!(wait_for_no_driver());
}
