//! A push consumer (concurrent listener): prints each message it receives, exits once it has
//! `COUNT` of them and prints `consumed N in S s, end-to-end p50 X ms p99 Y ms`.
//!
//! `cargo run -p rocketmq-tokio --example consumer` (environment: `NAMESRV_ADDR`, default
//! `127.0.0.1:9876`; `TOPIC`, default `TopicTest`; `GROUP`, default
//! `please_rename_unique_group_name`; `COUNT`, default 1000). A new group starts from the
//! first stored message; a known one resumes where it stopped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rocketmq_tokio::{ConsumeContext, ConsumeFrom, ConsumeResult, MessageExt, PushConsumer};
use tokio::sync::Notify;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let namesrv = env("NAMESRV_ADDR", "127.0.0.1:9876");
    let topic = env("TOPIC", "TopicTest");
    let group = env("GROUP", "please_rename_unique_group_name");
    let count: usize = env("COUNT", "1000").parse()?;

    let received = Arc::new(AtomicUsize::new(0));
    let latencies_ms = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let done = Arc::new(Notify::new());
    let listener = {
        let (received, latencies_ms, done) = (received.clone(), latencies_ms.clone(), done.clone());
        move |msgs: Arc<[MessageExt]>, ctx: ConsumeContext| {
            let (received, latencies_ms, done) =
                (received.clone(), latencies_ms.clone(), done.clone());
            async move {
                let now = wall_ms();
                for m in msgs.iter() {
                    println!(
                        "{} queue {} offset {} keys {:?} body {:?}",
                        m.msg_id,
                        ctx.queue.queue_id,
                        m.queue_offset,
                        m.message.keys(),
                        String::from_utf8_lossy(&m.message.body),
                    );
                    lock(&latencies_ms).push(now.saturating_sub(m.born_timestamp));
                }
                if received.fetch_add(msgs.len(), Ordering::SeqCst) + msgs.len() >= count {
                    done.notify_one();
                }
                ConsumeResult::Success
            }
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
    done.notified().await;
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

fn wall_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH);
    since.unwrap_or(Duration::ZERO).as_millis() as i64
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
