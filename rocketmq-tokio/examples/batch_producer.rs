//! Batches: many small messages of one topic in one request (Java's `BatchProducer`), and a
//! long list cut into batches under a size limit (Java's `ListSplitter` example).
//!
//! `cargo run -p rocketmq-tokio --example batch_producer` (name server from `NAMESRV_ADDR`,
//! else `127.0.0.1:9876`).

use rocketmq_tokio::{BatchSplitter, Message, Producer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = Producer::builder().group("batch_producer_group");
    if std::env::var_os("NAMESRV_ADDR").is_none() {
        builder = builder.name_server("127.0.0.1:9876");
    }
    let producer = builder.build()?;
    producer.start().await?;

    // One batch: same topic, no delay; the result lists every message's id.
    let batch: Vec<Message> = (0..3)
        .map(|i| Message::new("BatchTest", format!("Hello world {i}")).with_tags("TagA"))
        .collect();
    let r = producer.send_batch(batch).await?;
    println!(
        "batch of 3 stored from offset {}: {:?}",
        r.queue_offset,
        r.msg_ids().collect::<Vec<_>>()
    );

    // A long list: cut into batches of at most 1 MiB each, then send them one by one.
    let many: Vec<Message> = (0..10_000)
        .map(|i| Message::new("BatchTest", format!("message {i} ").repeat(20)))
        .collect();
    let mut sent = 0;
    for batch in BatchSplitter::new(many, 1024 * 1024) {
        let n = batch.len();
        let r = producer.send_batch(batch).await?;
        sent += n;
        println!(
            "{n} messages -> {} queue {}",
            r.queue.broker_name, r.queue.queue_id
        );
    }
    println!("{sent} messages in batches");

    producer.shutdown().await;
    Ok(())
}
