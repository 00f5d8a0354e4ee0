//! Quickstart on async-std's executor or smol's: `cargo run -p rocketmq-async-std --example
//! quickstart [async-std|smol]` (name server from `NAMESRV_ADDR`, count from `COUNT`).

use std::time::Instant;

use rocketmq_async_std::{Message, Producer};

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".into());
    let count: usize = std::env::var("COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    let producer = Producer::builder()
        .name_server(&namesrv)
        .group("please_rename_unique_group_name")
        .build()?;
    producer.start().await?;
    let start = Instant::now();
    let mut failed = 0;
    for i in 0..count {
        let msg = Message::new("TopicTest", format!("Hello RocketMQ {i}")).with_tags("TagA");
        match producer.send(msg).await {
            Ok(r) => println!(
                "{:?} {} {}:{} offset {}",
                r.status, r.msg_id, r.queue.broker_name, r.queue.queue_id, r.queue_offset
            ),
            Err(e) => {
                failed += 1;
                eprintln!("send {i} failed: {e}");
            }
        }
    }
    producer.shutdown().await;
    println!(
        "sent {} failed {failed} in {:.2?}",
        count - failed,
        start.elapsed()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match std::env::args().nth(1).as_deref() {
        Some("smol") => smol::block_on(run()),
        _ => async_std::task::block_on(run()),
    }
}
