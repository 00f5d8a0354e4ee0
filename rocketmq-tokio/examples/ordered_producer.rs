//! Ordered messages: every message of one order goes to one queue, so a consumer reading that
//! queue sees the order's steps in the order they were sent (Java's `OrderedProducer`).
//!
//! `cargo run -p rocketmq-tokio --example ordered_producer` (name server from `NAMESRV_ADDR`,
//! else `127.0.0.1:9876`).

use std::sync::Arc;

use rocketmq_tokio::{Message, MessageQueue, Producer, SelectByHash, SelectByRoundRobin};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = Producer::builder().group("ordered_producer_group");
    if std::env::var_os("NAMESRV_ADDR").is_none() {
        builder = builder.name_server("127.0.0.1:9876");
    }
    let producer = builder.build()?;
    producer.start().await?;

    // 1. A sharding key: Java's hash selection over the key, so Java producers agree.
    for order in 0..5u32 {
        for step in ["created", "paid", "shipped", "delivered"] {
            let key = format!("order-{order}");
            let msg = Message::new("OrderTopic", format!("{key} {step}")).with_tags(step);
            let r = producer.send_ordered(msg, &key).await?;
            println!(
                "{key} {step:9} -> queue {} offset {}",
                r.queue.queue_id, r.queue_offset
            );
        }
    }

    // 2. A selector and its argument, as Java's `send(msg, selector, arg)`.
    let r =
        (producer.send_with_selector(Message::new("OrderTopic", "by id"), SelectByHash, 10_086u64))
            .await?;
    println!("order 10086 -> queue {}", r.queue.queue_id);
    let round_robin = Arc::new(SelectByRoundRobin::new());
    for i in 0..4 {
        let msg = Message::new("OrderTopic", format!("round robin {i}"));
        let r = producer
            .send_with_selector(msg, round_robin.clone(), ())
            .await?;
        println!("round robin {i} -> queue {}", r.queue.queue_id);
    }

    // 3. A queue named outright (it must be of the message's topic).
    let queue = MessageQueue::new("OrderTopic", r.queue.broker_name.clone(), 0);
    let r = producer
        .send_to_queue(Message::new("OrderTopic", "queue 0"), &queue)
        .await?;
    println!("to queue 0 -> {:?}", r.queue);

    producer.shutdown().await;
    Ok(())
}
