//! Server-side filters: one consumer takes `TagA || TagB` by tag, another takes messages
//! whose property `a` is between 0 and 3 by SQL92. The broker needs
//! `enablePropertyFilter=true` (`scripts/broker.sh` sets it); the Rust broker 1.0.0 accepts
//! SQL92 subscriptions but reads no message properties when it evaluates them, so there the
//! SQL92 consumer receives nothing (a Java broker delivers `a=0..3`).
//!
//! `cargo run -p rocketmq-tokio --example filter_consumer` (environment: `NAMESRV_ADDR`,
//! default `127.0.0.1:9876`; `TOPIC`, default `FilterTopic`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocketmq_tokio::{
    ConsumeContext, ConsumeFrom, ConsumeResult, Message, MessageExt, Producer, PushConsumer,
};

type Seen = Arc<Mutex<Vec<String>>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let namesrv = env("NAMESRV_ADDR", "127.0.0.1:9876");
    let topic = env("TOPIC", "FilterTopic");
    let run = std::process::id();

    // Nine messages: tags TagA, TagB, TagC in turn, property a = 0..9, keys of this run.
    let producer = Producer::builder()
        .name_server(&namesrv)
        .group("filter_example_producer")
        .build()?;
    producer.start().await?;
    for i in 0..9 {
        let tag = ["TagA", "TagB", "TagC"][i % 3];
        let msg = Message::new(&topic, format!("message {i} {tag} a={i}"))
            .with_tags(tag)
            .with_keys([format!("{run}")])
            .with_property("a", i.to_string());
        producer.send(msg).await?;
    }
    producer.shutdown().await;

    let by_tag: Seen = Arc::default();
    let tags = PushConsumer::builder()
        .name_server(&namesrv)
        .group(&format!("filter_tag_example_{run}"))
        .subscribe(&topic, "TagA || TagB")
        .consume_from(ConsumeFrom::First)
        .build_concurrent(collect(by_tag.clone(), run))?;
    let by_sql: Seen = Arc::default();
    let sql = PushConsumer::builder()
        .name_server(&namesrv)
        .group(&format!("filter_sql_example_{run}"))
        .subscribe_sql92(&topic, "a BETWEEN 0 AND 3")
        .consume_from(ConsumeFrom::First)
        .build_concurrent(collect(by_sql.clone(), run))?;
    tags.start().await?;
    sql.start().await?;
    for _ in 0..100 {
        if lock(&by_tag).len() >= 6 && lock(&by_sql).len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tags.shutdown().await;
    sql.shutdown().await;
    let (mut by_tag, mut by_sql) = (lock(&by_tag).clone(), lock(&by_sql).clone());
    by_tag.sort();
    by_sql.sort();
    println!("TagA || TagB ({}): {by_tag:#?}", by_tag.len());
    println!("a BETWEEN 0 AND 3 ({}): {by_sql:#?}", by_sql.len());
    if by_sql.is_empty() {
        println!(
            "(no SQL92 match: the broker needs enablePropertyFilter=true, and the Rust broker \
             1.0.0 evaluates SQL92 without the messages' properties)"
        );
    }
    Ok(())
}

/// A listener keeping the bodies of this run's messages.
fn collect(
    seen: Seen,
    run: u32,
) -> impl Fn(Arc<[MessageExt]>, ConsumeContext) -> std::future::Ready<ConsumeResult> {
    move |msgs, _ctx| {
        let ours = msgs
            .iter()
            .filter(|m| m.message.keys() == Some(&run.to_string()))
            .map(|m| String::from_utf8_lossy(&m.message.body).into_owned());
        lock(&seen).extend(ours);
        std::future::ready(ConsumeResult::Success)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
