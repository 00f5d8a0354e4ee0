//! Message module: spec vectors V4/V5, round trips, error table, validation, ids.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rocketmq_proto::message::batch::{unwrap_inner_batch, validate_batch};
use rocketmq_proto::message::compress::compress_zlib;
use rocketmq_proto::message::flags::sys_flag;
use rocketmq_proto::message::stored::{
    body_crc32, decode_stored_message_with, decode_stored_messages_with,
    encode_stored_message_with_raw_properties, DecodeOptions,
};
use rocketmq_proto::message::validate::{
    is_system_topic, validate_body, validate_group, validate_message, validate_producer_group,
    validate_topic,
};
use rocketmq_proto::message::{
    decode_batch, decode_offset_msg_id, decode_properties, decode_stored_message,
    decode_stored_messages, decode_uniq_id, encode_batch, encode_batch_into, encode_offset_msg_id,
    encode_properties, encode_properties_into, encode_properties_with, encode_stored_message, keys,
    BatchEntry, BatchError, Message, MessageDecodeError, MessageExt, MessageIdError, Properties,
    UniqIdGenerator, ValidationError,
};

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// Spec §11 V4 (167 bytes).
fn v4() -> Vec<u8> {
    hex("00 00 00 a7 da a3 20 a7 77 d1 89 82 00 00 00 01
         00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
         00 00 12 34 00 00 00 00 00 00 01 8b cf e5 68 00
         c0 a8 01 0a 00 00 d4 31 00 00 01 8b cf e5 68 05
         c0 a8 01 14 00 00 2a 9f 00 00 00 00 00 00 00 00
         00 00 00 00 00 00 00 05 48 65 6c 6c 6f 09 54 6f
         70 69 63 54 65 73 74 00 3e 55 4e 49 51 5f 4b 45
         59 01 43 30 41 38 30 31 30 41 33 30 33 39 31 32
         33 34 35 36 37 38 30 30 30 31 45 32 34 30 30 30
         30 31 02 57 41 49 54 01 74 72 75 65 02 54 41 47
         53 01 54 61 67 41 02")
}

const V4_PROPS: &str =
    "UNIQ_KEY\u{1}C0A8010A3039123456780001E2400001\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA\u{2}";
const V4_UNIQ: &str = "C0A8010A3039123456780001E2400001";

/// Spec §11 V5 (78 bytes).
fn v5() -> Vec<u8> {
    hex("00 00 00 21 00 00 00 00 00 00 00 00 00 00 00 00
         00 00 00 01 41 00 0a 57 41 49 54 01 74 72 75 65
         02 00 00 00 2d 00 00 00 00 00 00 00 00 00 00 00
         00 00 00 00 02 42 43 00 15 4b 45 59 53 01 6b 31
         20 6b 32 02 57 41 49 54 01 74 72 75 65 02")
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn props(pairs: &[(&str, &str)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn decode_one(bytes: &[u8]) -> Result<MessageExt, MessageDecodeError> {
    let v = decode_stored_messages(&Bytes::copy_from_slice(bytes))?;
    assert_eq!(v.len(), 1);
    Ok(v.into_iter().next().unwrap())
}

fn sample_ext() -> MessageExt {
    decode_one(&v4()).unwrap()
}

/// What an expected decode error must satisfy.
type Check = fn(&MessageDecodeError) -> bool;

mod batch;
mod ids;
mod rules;
mod stored;
