//! A simulated RocketMQ cluster on a virtual clock, for testing producer and consumer logic
//! with no network.
//!
//! [`Harness`] owns a [`Client`](crate::Client) and plays its name servers and brokers
//! ([`MockBroker`], scriptable per request with [`Reply`]). It delivers the client's bytes,
//! answers them, and jumps a virtual clock to the next deadline — it never sleeps.
//! Every broker keeps a [`BrokerStore`] (pulls, offsets, groups, locks, retries): what
//! producers send is stored there ([`Harness::store`]), and the consumer-side requests it
//! knows are answered from it, held pulls included; [`Harness::request`] sends a raw request
//! from a session of the harness's own, [`Harness::produce`] stores a message directly.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rocketmq_core::testing::{Harness, Reply};
//! use rocketmq_core::{Message, ProducerConfig};
//! use rocketmq_proto::ResponseCode;
//!
//! let mut h = Harness::builder(Instant::now())
//!     .broker("broker-a", "10.0.0.1:10911")
//!     .broker("broker-b", "10.0.0.2:10911")
//!     .topic("Orders", &[("broker-a", 4), ("broker-b", 4)])
//!     .build();
//! let p = h.start_producer(ProducerConfig::new("order_producer"));
//!
//! // broker-a is busy: every send that lands there is retried on broker-b.
//! h.broker_mut("broker-a").set_default_reply(Reply::Code(ResponseCode::SYSTEM_BUSY));
//! for _ in 0..4 {
//!     let id = h.send(p, Message::new("Orders", "hello"));
//!     h.drive();
//!     let result = h.send_result(id).expect("completed").expect("sent");
//!     assert_eq!(result.queue.broker_name, "broker-b");
//!     assert!(h.send_attempts(id) <= 2);
//! }
//!
//! // Time is virtual: thirty seconds pass instantly, and heartbeats go out.
//! let before = h.broker("broker-a").received_count(rocketmq_proto::RequestCode::HEART_BEAT);
//! h.advance(Duration::from_secs(30));
//! assert!(h.broker("broker-a").received_count(rocketmq_proto::RequestCode::HEART_BEAT) > before);
//!
//! // Every message sent is in its broker's store.
//! let stored: usize = (0..4).map(|q| h.store("broker-b").messages("Orders", q).len()).sum();
//! assert_eq!(stored, 4);
//! ```
//!
//! Consumers are tested the same way: the harness hands their deliveries to your listener
//! (or to the test, with [`Harness::deliveries`] and [`Harness::ack`]) and the broker stores
//! do what a broker would — here a listener that fails a message once sees it again from
//! the group's retry topic after its delay level, with its original topic:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rocketmq_core::testing::Harness;
//! use rocketmq_core::{ConsumeFrom, ConsumeResult, ConsumerConfig, Message};
//!
//! let mut h = Harness::builder(Instant::now())
//!     .broker("broker-a", "10.0.0.1:10911")
//!     .topic("Orders", &[("broker-a", 2)])
//!     .build();
//! h.produce("broker-a", "Orders", 0, Message::new("Orders", "order-1").with_tags("paid"));
//!
//! // The listener under test: it fails the first delivery of each message.
//! h.set_listener(|d| match d.messages[0].reconsume_times {
//!     0 => ConsumeResult::Later { delay_level: 1 }, // 1 s
//!     _ => ConsumeResult::Success,
//! });
//! let mut config = ConsumerConfig::push("order_consumer");
//! config.consume_from = ConsumeFrom::First;
//! let c = h.start_consumer(config, &[("Orders", "paid")]);
//! assert_eq!(h.delivered(c).len(), 1);
//!
//! // One virtual second later the retry arrives (no sleeping).
//! h.advance(Duration::from_secs(2));
//! let delivered = h.delivered(c);
//! assert_eq!(delivered.len(), 2);
//! assert_eq!(delivered[1].message.topic, "Orders");
//! assert_eq!(delivered[1].reconsume_times, 1);
//! ```

mod cluster;
mod harness;
mod store;

pub use cluster::{MockBroker, MockNameServer, Reply};
pub use harness::{Harness, HarnessBuilder};
pub use store::{BrokerStore, StoreConfig};
