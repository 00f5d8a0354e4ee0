//! A lite pull consumer: the application polls. First as a `Stream` of messages in
//! subscribe mode (the group divides the queues), then by hand on assigned queues with a
//! seek back to the beginning.
//!
//! `cargo run -p rocketmq-tokio --example lite_pull_consumer` (environment: `NAMESRV_ADDR`,
//! default `127.0.0.1:9876`; `TOPIC`, default `TopicTest`; `COUNT`, default 100).

use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;
use rocketmq_tokio::{ConsumeFrom, LitePullConsumer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let namesrv = env("NAMESRV_ADDR", "127.0.0.1:9876");
    let topic = env("TOPIC", "TopicTest");
    let count: usize = env("COUNT", "100").parse()?;

    // Subscribe mode, read as a stream; auto-commit commits what was polled.
    let consumer = LitePullConsumer::builder()
        .name_server(&namesrv)
        .group(&format!("lite_example_{}", std::process::id()))
        .subscribe(&topic, "*")
        .consume_from(ConsumeFrom::First)
        .build()?;
    consumer.start().await?;
    let mut stream = consumer.stream();
    let mut read = 0;
    while read < count {
        let next = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx));
        match tokio::time::timeout(Duration::from_secs(30), next).await {
            Ok(Some(m)) => {
                read += 1;
                println!(
                    "{} queue {} offset {}",
                    m.msg_id, m.queue_id, m.queue_offset
                );
            }
            Ok(None) | Err(_) => break,
        }
    }
    println!("streamed {read} messages");
    consumer.shutdown().await;

    // Assign mode: take one queue, read a batch, go back to its beginning and read it again.
    let assigned = LitePullConsumer::builder()
        .name_server(&namesrv)
        .group(&format!("lite_assign_example_{}", std::process::id()))
        .auto_commit(false)
        .build()?;
    assigned.start().await?;
    let queue = assigned
        .fetch_queues(&topic)
        .await?
        .into_iter()
        .next()
        .ok_or("topic has no queues")?;
    assigned.assign([queue.clone()]).await?;
    assigned.seek_to_begin(&queue).await?;
    let first = assigned.poll(Duration::from_secs(5)).await?;
    assigned.seek_to_begin(&queue).await?;
    let again = assigned.poll(Duration::from_secs(5)).await?;
    println!(
        "queue {}: read {} messages, after seek_to_begin {} again (first offsets {:?} and {:?})",
        queue.queue_id,
        first.len(),
        again.len(),
        first.first().map(|m| m.queue_offset),
        again.first().map(|m| m.queue_offset),
    );
    assigned.commit_sync().await?;
    assigned.shutdown().await;
    Ok(())
}
