//! RocketMQ "remoting" protocol types: bytes in, values out, no I/O.
//!
//! - [`frame`]: the length-prefixed frame, [`frame::encode`] and the incremental
//!   [`FrameDecoder`] (tokio-util `Decoder` contract, without tokio); for hot paths,
//!   [`frame::encode_fields`] from borrowed fields, [`header::SendHeaderTemplate`] for sends,
//!   and [`frame::view_header`] to read a compact JSON header in place without allocating.
//! - [`RemotingCommand`]: one request or response in either serialization
//!   ([`SerializeType::Json`], [`SerializeType::RocketMq`]).
//! - [`code`]: request, response and language codes as newtypes.
//! - [`header`]: typed custom headers converted to and from [`ExtFields`].
//! - [`body`]: JSON bodies (topic routes, heartbeats, consumer lists, offsets, `offsets.json`,
//!   the answers to a broker's admin requests).
//! - [`message`]: message properties, ids, batches, stored-message decoding, validation.
//!
//! Nothing here panics on peer data: every length is checked before it is read, and
//! every failure is a typed error.
//!
//! ```
//! use bytes::BytesMut;
//! use rocketmq_proto::{frame, FrameDecoder, RemotingCommand, RequestCode, SerializeType};
//!
//! let mut cmd = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_opaque(1);
//! cmd.ext_fields.insert("topic", "TopicTest");
//! let mut wire = BytesMut::new();
//! frame::encode(&cmd, SerializeType::Json, &mut wire).unwrap();
//! let decoded = FrameDecoder::new().decode(&mut wire).unwrap().unwrap();
//! assert_eq!(decoded, cmd);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod body;
pub mod code;
pub mod command;
pub mod error;
pub mod ext_fields;
pub mod frame;
pub mod header;
pub mod message;

pub use code::{version, LanguageCode, RequestCode, ResponseCode, SerializeType};
pub use command::{RemotingCommand, FLAG_ONEWAY, FLAG_RESPONSE};
pub use error::{BodyError, DecodeError, EncodeError, HeaderError, SubscriptionError};
pub use ext_fields::ExtFields;
pub use frame::FrameDecoder;
