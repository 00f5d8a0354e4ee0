//! Broadcasting: every consumer of the group receives every message. Offsets are kept by
//! each consumer in a local file (Java's `offsets.json`), so a restart resumes where it
//! stopped.
//!
//! `cargo run -p rocketmq-tokio --example broadcast_consumer` (environment: `NAMESRV_ADDR`,
//! default `127.0.0.1:9876`; `TOPIC`, default `TopicTest`; `COUNT`, default 100;
//! `OFFSETS_DIR`, default `target/broadcast-offsets`). Run it twice at once: both print
//! every message.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rocketmq_tokio::{
    ConsumeContext, ConsumeFrom, ConsumeResult, MessageExt, MessageModel, PushConsumer,
};
use tokio::sync::Notify;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let namesrv = env("NAMESRV_ADDR", "127.0.0.1:9876");
    let topic = env("TOPIC", "TopicTest");
    let count: usize = env("COUNT", "100").parse()?;
    let offsets_dir = env("OFFSETS_DIR", "target/broadcast-offsets");

    let received = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(Notify::new());
    let listener = {
        let (received, done) = (received.clone(), done.clone());
        move |msgs: Arc<[MessageExt]>, _ctx: ConsumeContext| {
            let (received, done) = (received.clone(), done.clone());
            async move {
                for m in msgs.iter() {
                    println!(
                        "{} {:?}",
                        m.msg_id,
                        String::from_utf8_lossy(&m.message.body)
                    );
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
        .group("broadcast_example")
        .subscribe(&topic, "*")
        .message_model(MessageModel::Broadcasting)
        .consume_from(ConsumeFrom::First)
        .offset_store_dir(&offsets_dir)
        .build_concurrent(listener)?;
    consumer.start().await?;
    done.notified().await;
    // Shutdown writes the offsets file: the next run starts after what this one consumed.
    consumer.shutdown().await;
    println!(
        "consumed {}; offsets in {offsets_dir}",
        received.load(Ordering::SeqCst)
    );
    Ok(())
}
