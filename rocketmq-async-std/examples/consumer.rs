//! A push consumer on async-std's executor or smol's: `cargo run -p rocketmq-async-std
//! --example consumer-async-std [async-std|smol]`. Listeners run on the adapter's own executor
//! threads, so either `block_on` works. Prints each message; exits once it has `COUNT` and
//! prints `consumed N in S s, end-to-end p50 X ms p99 Y ms` (environment: `NAMESRV_ADDR`,
//! `TOPIC` (TopicTest), `GROUP`, `COUNT` (100)).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rocketmq_async_std::{ConsumeContext, ConsumeFrom, ConsumeResult, MessageExt, PushConsumer};

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let namesrv = env("NAMESRV_ADDR", "127.0.0.1:9876");
    let topic = env("TOPIC", "TopicTest");
    let group = env("GROUP", "please_rename_unique_group_name");
    let count: usize = env("COUNT", "100").parse()?;

    let received = Arc::new(AtomicUsize::new(0));
    let latencies_ms = Arc::new(Mutex::new(Vec::new()));
    let (done_tx, done_rx) = async_channel_like();
    let listener = {
        let (received, latencies_ms) = (received.clone(), latencies_ms.clone());
        move |msgs: Arc<[MessageExt]>, _ctx: ConsumeContext| {
            let now = wall_ms();
            for m in msgs.iter() {
                println!(
                    "{} {:?}",
                    m.msg_id,
                    String::from_utf8_lossy(&m.message.body)
                );
                lock(&latencies_ms).push(now.saturating_sub(m.born_timestamp));
            }
            if received.fetch_add(msgs.len(), Ordering::SeqCst) + msgs.len() >= count {
                done_tx.fire();
            }
            std::future::ready(ConsumeResult::Success)
        }
    };
    let consumer = PushConsumer::builder()
        .name_server(&namesrv)
        .group(&group)
        .subscribe(&topic, "*")
        .consume_from(ConsumeFrom::First)
        .build_concurrent(listener)?;
    let start = Instant::now();
    consumer.start().await?;
    let _ = done_rx.recv().await;
    let elapsed = start.elapsed();
    consumer.shutdown().await;

    let mut lat = std::mem::take(&mut *lock(&latencies_ms));
    lat.sort_unstable();
    let pct = |p: f64| lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)));
    println!(
        "consumed {} in {:.2} s, end-to-end p50 {} ms p99 {} ms",
        received.load(Ordering::SeqCst).min(count),
        elapsed.as_secs_f64(),
        pct(0.50).copied().unwrap_or_default(),
        pct(0.99).copied().unwrap_or_default(),
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match std::env::args().nth(1).as_deref() {
        Some("smol") => smol::block_on(run()),
        _ => async_std::task::block_on(run()),
    }
}

/// A one-time signal: fired from a listener, awaited by `run`.
fn async_channel_like() -> (Fire, smol::channel::Receiver<()>) {
    let (tx, rx) = smol::channel::bounded(1);
    (Fire(tx), rx)
}

struct Fire(smol::channel::Sender<()>);

impl Fire {
    fn fire(&self) {
        let _ = self.0.try_send(());
    }
}

fn wall_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH);
    since.unwrap_or(Duration::ZERO).as_millis() as i64
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
