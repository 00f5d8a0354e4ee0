//! The seed demo: send `COUNT` messages to `TOPIC` and print each result and a summary.
//!
//! `cargo run -p rocketmq-tokio --example quickstart` (environment: `NAMESRV_ADDR`, default
//! `127.0.0.1:9876`; `TOPIC`, default `TopicTest`; `GROUP`, default
//! `please_rename_unique_group_name`; `COUNT`, default 1000).

use std::time::{Duration, Instant};

use rocketmq_tokio::{Message, Producer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let namesrv = env("NAMESRV_ADDR", "127.0.0.1:9876");
    let topic = env("TOPIC", "TopicTest");
    let group = env("GROUP", "please_rename_unique_group_name");
    let count: usize = env("COUNT", "1000").parse()?;
    let producer = Producer::builder()
        .name_server(&namesrv)
        .group(&group)
        .build()?;
    producer.start().await?;

    let mut latencies = Vec::with_capacity(count);
    let mut failed = 0;
    let start = Instant::now();
    for i in 0..count {
        let msg = Message::new(&topic, format!("Hello RocketMQ {i}")).with_tags("TagA");
        let t = Instant::now();
        match producer.send(msg).await {
            Ok(r) => {
                latencies.push(t.elapsed());
                println!(
                    "SendResult [sendStatus={:?}, msgId={}, offsetMsgId={}, messageQueue=[topic={}, brokerName={}, queueId={}], queueOffset={}]",
                    r.status, r.msg_id, r.offset_msg_id, r.queue.topic, r.queue.broker_name, r.queue.queue_id, r.queue_offset
                );
            }
            Err(e) => {
                failed += 1;
                eprintln!("send {i} failed: {e}");
            }
        }
    }
    let elapsed = start.elapsed();
    producer.shutdown().await;
    summary(count, failed, elapsed, &mut latencies);
    Ok(())
}

fn summary(count: usize, failed: usize, elapsed: Duration, lat: &mut [Duration]) {
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "sent {} failed {} in {:.2?}: {:.0} msgs/s, p50 {:.2?}, p99 {:.2?}",
        count - failed,
        failed,
        elapsed,
        (count - failed) as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
    );
}
