//! Encoding of the stored-message layout (for tests, fuzz seeds and fake brokers).

use std::net::{IpAddr, SocketAddr};

use super::error::MessageEncodeError;
use super::flags::sys_flag;
use super::properties::encode_properties;
use super::stored::{body_crc32, MessageExt, MAGIC_V1, MAGIC_V2, MIN_RECORD_LEN};

/// Largest topic or properties length the i16 length fields can describe.
const MAX_I16_LEN: usize = i16::MAX as usize;

/// Encodes `msg` as one stored record, the way a broker writes it.
///
/// The body is written as it is in `msg.message.body`: to produce a compressed record,
/// put the compressed bytes there and set COMPRESSED_FLAG and the compression type in
/// `msg.sys_flag`. TOTALSIZE and BODYCRC are computed (the `store_size`, `body_crc`,
/// `msg_id` and `offset_msg_id` fields are ignored), and the IPv6 host bits of
/// `sys_flag` are set to match the hosts. Magic V1 is used for topics shorter than
/// 128 bytes, else V2. Properties are written in key order.
pub fn encode_stored_message(msg: &MessageExt) -> Result<Vec<u8>, MessageEncodeError> {
    encode_stored_message_with_raw_properties(msg, &encode_properties(&msg.message.properties))
}

/// [`encode_stored_message`] with a verbatim properties string instead of
/// `msg.message.properties` (to reproduce a broker's property order byte for byte).
pub fn encode_stored_message_with_raw_properties(
    msg: &MessageExt,
    properties: &str,
) -> Result<Vec<u8>, MessageEncodeError> {
    let topic = msg.message.topic.as_bytes();
    if topic.len() > MAX_I16_LEN {
        return Err(MessageEncodeError::TopicTooLong {
            len: topic.len(),
            max: MAX_I16_LEN,
        });
    }
    if properties.len() > MAX_I16_LEN {
        return Err(MessageEncodeError::PropertiesTooLong {
            len: properties.len(),
            max: MAX_I16_LEN,
        });
    }
    let v1 = topic.len() <= i8::MAX as usize;
    let body = &msg.message.body;
    let len = MIN_RECORD_LEN
        + host_len(msg.born_host)
        + host_len(msg.store_host)
        + body.len()
        + topic.len()
        + usize::from(!v1)
        + properties.len();
    let total_size = i32::try_from(len).map_err(|_| MessageEncodeError::RecordTooLarge { len })?;

    let mut flag =
        msg.sys_flag & !(sys_flag::BORNHOST_V6_FLAG | sys_flag::STOREHOSTADDRESS_V6_FLAG);
    if msg.born_host.is_ipv6() {
        flag |= sys_flag::BORNHOST_V6_FLAG;
    }
    if msg.store_host.is_ipv6() {
        flag |= sys_flag::STOREHOSTADDRESS_V6_FLAG;
    }

    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&total_size.to_be_bytes());
    out.extend_from_slice(&(if v1 { MAGIC_V1 } else { MAGIC_V2 }).to_be_bytes());
    out.extend_from_slice(&body_crc32(body).to_be_bytes());
    out.extend_from_slice(&msg.queue_id.to_be_bytes());
    out.extend_from_slice(&msg.message.flag.to_be_bytes());
    out.extend_from_slice(&msg.queue_offset.to_be_bytes());
    out.extend_from_slice(&msg.commit_log_offset.to_be_bytes());
    out.extend_from_slice(&flag.to_be_bytes());
    out.extend_from_slice(&msg.born_timestamp.to_be_bytes());
    put_host(&mut out, msg.born_host);
    out.extend_from_slice(&msg.store_timestamp.to_be_bytes());
    put_host(&mut out, msg.store_host);
    out.extend_from_slice(&msg.reconsume_times.to_be_bytes());
    out.extend_from_slice(&msg.prepared_transaction_offset.to_be_bytes());
    // `len` fits in i32, so every part of it does too.
    out.extend_from_slice(&(body.len() as i32).to_be_bytes());
    out.extend_from_slice(body);
    if v1 {
        out.push(topic.len() as u8);
    } else {
        out.extend_from_slice(&(topic.len() as i16).to_be_bytes());
    }
    out.extend_from_slice(topic);
    out.extend_from_slice(&(properties.len() as i16).to_be_bytes());
    out.extend_from_slice(properties.as_bytes());
    Ok(out)
}

/// Bytes a host takes beyond the 8 of an IPv4 host.
fn host_len(host: SocketAddr) -> usize {
    if host.is_ipv6() {
        12
    } else {
        0
    }
}

/// Appends the IP bytes and the port as i32.
fn put_host(out: &mut Vec<u8>, host: SocketAddr) {
    match host.ip() {
        IpAddr::V4(v4) => out.extend_from_slice(&v4.octets()),
        IpAddr::V6(v6) => out.extend_from_slice(&v6.octets()),
    }
    out.extend_from_slice(&i32::from(host.port()).to_be_bytes());
}
