//! Delayed messages: a delay level (Java's `ScheduledMessageProducer`) and 5.x timer messages
//! (a delay, or a delivery time).
//!
//! `cargo run -p rocketmq-tokio --example delay_producer` (name server from `NAMESRV_ADDR`,
//! else `127.0.0.1:9876`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rocketmq_tokio::{Message, Producer, SendError};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = Producer::builder().group("delay_producer_group");
    if std::env::var_os("NAMESRV_ADDR").is_none() {
        builder = builder.name_server("127.0.0.1:9876");
    }
    let producer = builder.build()?;
    producer.start().await?;

    // Level 3 is 10 s with the broker's default levels (1s 5s 10s 30s 1m … 2h).
    let r = producer
        .send(Message::new("DelayTopic", "in 10 s").with_delay_level(3))
        .await?;
    println!("level 3: {}", r.msg_id);

    // 5.x timer messages: after a delay, or at a time.
    let r = producer
        .send(Message::new("DelayTopic", "in 2 s").with_delay(Duration::from_secs(2)))
        .await?;
    println!("after 2 s: {}", r.msg_id);
    let in_a_minute = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as i64 + 60_000;
    let r = producer
        .send(Message::new("DelayTopic", "in a minute").with_deliver_time(in_a_minute))
        .await?;
    println!("at {in_a_minute}: {}", r.msg_id);

    // A time in the past is the broker's to refuse (the Rust broker answers code 13).
    let past = Message::new("DelayTopic", "too late").with_deliver_time(in_a_minute - 120_000);
    match producer.send(past).await {
        Err(SendError::TimerRejected { remark, .. }) => println!("refused: {remark}"),
        other => println!("a past deliver time: {other:?}"),
    }

    producer.shutdown().await;
    Ok(())
}
