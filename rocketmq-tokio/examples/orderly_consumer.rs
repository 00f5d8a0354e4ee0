//! Ordered messages: each order's steps go to one queue (chosen by the order id), and an
//! orderly consumer receives them one at a time, in send order, under the broker's queue lock.
//!
//! `cargo run -p rocketmq-tokio --example orderly_consumer` (environment: `NAMESRV_ADDR`,
//! default `127.0.0.1:9876`; `TOPIC`, default `OrderTopic`; `ORDERS`, default 10).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocketmq_tokio::{
    ConsumeContext, ConsumeFrom, ConsumeResult, Message, MessageExt, Producer, PushConsumer,
    SendOptions,
};
use tokio::sync::Notify;

const STEPS: [&str; 4] = ["created", "paid", "shipped", "done"];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let namesrv = env("NAMESRV_ADDR", "127.0.0.1:9876");
    let topic = env("TOPIC", "OrderTopic");
    let orders: usize = env("ORDERS", "10").parse()?;
    let run = std::process::id();

    // Steps seen per order; the listener checks each arrives after the one before.
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let done = Arc::new(Notify::new());
    let listener = {
        let (seen, done) = (seen.clone(), done.clone());
        let mine = format!("{run}-");
        move |msgs: Arc<[MessageExt]>, ctx: ConsumeContext| {
            let (seen, done, mine) = (seen.clone(), done.clone(), mine.clone());
            async move {
                let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                for m in msgs.iter() {
                    let Some(order) = m.message.keys().filter(|k| k.starts_with(&mine)) else {
                        continue;
                    };
                    let order = order.to_owned();
                    let step = String::from_utf8_lossy(&m.message.body).into_owned();
                    let next = seen.entry(order.clone()).or_default();
                    assert_eq!(step, STEPS[*next], "order {order} out of order");
                    *next += 1;
                    println!("queue {} {order}: {step}", ctx.queue.queue_id);
                }
                if seen.len() == orders && seen.values().all(|&n| n == STEPS.len()) {
                    done.notify_one();
                }
                ConsumeResult::Success
            }
        }
    };
    // Send first (a new topic is created by the first send), then consume from the start;
    // keys carry this run's id so that orders of earlier runs are skipped.
    let producer = Producer::builder()
        .name_server(&namesrv)
        .group("orderly_example_producer")
        .build()?;
    producer.start().await?;
    for step in STEPS {
        for order in 0..orders {
            let msg = Message::new(&topic, step).with_keys([format!("{run}-order-{order}")]);
            // Java's selector `id % queues`: the same order always lands on the same queue.
            let to_queue = SendOptions {
                queue_index: Some(order),
                ..SendOptions::default()
            };
            producer.send_with(msg, to_queue).await?;
        }
    }
    producer.shutdown().await;

    let consumer = PushConsumer::builder()
        .name_server(&namesrv)
        .group(&format!("orderly_example_{run}"))
        .subscribe(&topic, "*")
        .consume_from(ConsumeFrom::First)
        .build_orderly(listener)?;
    consumer.start().await?;
    tokio::time::timeout(Duration::from_secs(60), done.notified()).await?;
    println!("consumed {orders} orders, every step in order");
    consumer.shutdown().await;
    Ok(())
}
