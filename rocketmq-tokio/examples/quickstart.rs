//! The seed demo: send 1,000 messages to TopicTest and print each result and a summary.
//!
//! `cargo run -p rocketmq-tokio --example quickstart` (name server from `NAMESRV_ADDR`,
//! default `127.0.0.1:9876`; message count from `COUNT`, default 1000).

use std::time::{Duration, Instant};

use rocketmq_tokio::{Message, Producer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".into());
    let count: usize = std::env::var("COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1000);
    let producer = Producer::builder()
        .name_server(&namesrv)
        .group("please_rename_unique_group_name")
        .build()?;
    producer.start().await?;

    let mut latencies = Vec::with_capacity(count);
    let mut failed = 0;
    let start = Instant::now();
    for i in 0..count {
        let msg = Message::new("TopicTest", format!("Hello RocketMQ {i}")).with_tags("TagA");
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
