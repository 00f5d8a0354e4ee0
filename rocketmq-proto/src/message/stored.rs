//! Stored messages as returned by PULL_MESSAGE and CHECK_TRANSACTION_STATE
//! (`MessageDecoder.decode`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::Bytes;

use super::compress::decompress_record;
use super::error::MessageDecodeError;
use super::flags::sys_flag;
use super::properties::{decode_properties, keys, Properties};
use super::reader::Reader;
use super::unique_id::encode_offset_msg_id;
use super::Message;

pub use super::stored_encode::{encode_stored_message, encode_stored_message_with_raw_properties};

/// Magic code of a V1 record (1-byte topic length).
pub const MAGIC_V1: i32 = 0xDAA3_20A7_u32 as i32;
/// Magic code of a V2 record (2-byte topic length).
pub const MAGIC_V2: i32 = 0xDAA3_20AB_u32 as i32;
/// Default cap on a decompressed body: 64 MiB (4 × the broker's 16 MiB maximum message size).
pub const DEFAULT_MAX_BODY_LEN: usize = 4 * 16 * 1024 * 1024;
/// Length of the smallest possible record (V1, IPv4 hosts, everything empty).
pub const MIN_RECORD_LEN: usize = 91;

/// A message as stored by the broker (`MessageExt.java`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageExt {
    /// Topic, flag, properties and (decompressed) body.
    pub message: Message,
    /// Queue id.
    pub queue_id: i32,
    /// TOTALSIZE of the record.
    pub store_size: i32,
    /// Offset in the consume queue.
    pub queue_offset: i64,
    /// Physical offset in the commit log.
    pub commit_log_offset: i64,
    /// `sysFlag` ([`sys_flag`]); COMPRESSED_FLAG is cleared once the body is decompressed.
    pub sys_flag: i32,
    /// Producer timestamp (ms).
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: SocketAddr,
    /// Broker store timestamp (ms).
    pub store_timestamp: i64,
    /// Broker address.
    pub store_host: SocketAddr,
    /// Reconsume count.
    pub reconsume_times: i32,
    /// Prepared transaction offset.
    pub prepared_transaction_offset: i64,
    /// BODYCRC of the record (CRC32 of the stored body & 0x7FFFFFFF).
    pub body_crc: i32,
    /// `UNIQ_KEY` if present, else [`MessageExt::offset_msg_id`].
    pub msg_id: String,
    /// Offset message id built from the store host and commit-log offset.
    pub offset_msg_id: String,
}

/// Options of the stored-message decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// Largest accepted decompressed body.
    pub max_body_len: usize,
    /// Whether to check BODYCRC against the stored body.
    pub verify_body_crc: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            max_body_len: DEFAULT_MAX_BODY_LEN,
            verify_body_crc: true,
        }
    }
}

impl DecodeOptions {
    /// Sets the largest accepted decompressed body.
    pub fn with_max_body_len(mut self, max_body_len: usize) -> Self {
        self.max_body_len = max_body_len;
        self
    }

    /// Sets whether BODYCRC is checked.
    pub fn with_verify_body_crc(mut self, verify: bool) -> Self {
        self.verify_body_crc = verify;
        self
    }
}

/// Decodes every record of a pull body with [`DecodeOptions::default`].
///
/// Unlike Java, which stops silently, the first bad record is an error naming its
/// index, field and offset. An empty body gives an empty list.
pub fn decode_stored_messages(body: &Bytes) -> Result<Vec<MessageExt>, MessageDecodeError> {
    decode_stored_messages_with(body, &DecodeOptions::default())
}

/// Decodes every record of a pull body (see [`decode_stored_messages`]).
///
/// Uncompressed bodies share `body`'s buffer.
pub fn decode_stored_messages_with(
    body: &Bytes,
    options: &DecodeOptions,
) -> Result<Vec<MessageExt>, MessageDecodeError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < body.len() {
        let (raw, next) = decode_record(body, pos, out.len(), options)?;
        let stored_body = body.slice(raw.body.0..raw.body.1);
        out.push(raw.finish(stored_body, options)?);
        pos = next;
    }
    Ok(out)
}

/// Decodes one record from the front of `buf` with [`DecodeOptions::default`] and
/// advances `buf` past it.
///
/// Errors use record index 0 and offsets from the start of `buf`; on error `buf` is
/// left unchanged.
pub fn decode_stored_message(buf: &mut &[u8]) -> Result<MessageExt, MessageDecodeError> {
    decode_stored_message_with(buf, &DecodeOptions::default())
}

/// Decodes one record from the front of `buf` (see [`decode_stored_message`]).
pub fn decode_stored_message_with(
    buf: &mut &[u8],
    options: &DecodeOptions,
) -> Result<MessageExt, MessageDecodeError> {
    let input: &[u8] = buf;
    let (raw, next) = decode_record(input, 0, 0, options)?;
    let stored_body = Bytes::copy_from_slice(input.get(raw.body.0..raw.body.1).unwrap_or_default());
    let msg = raw.finish(stored_body, options)?;
    *buf = input.get(next..).unwrap_or_default();
    Ok(msg)
}

/// The fields of one record, with the body as a range of the input.
struct RawRecord {
    index: usize,
    store_size: i32,
    body_crc: i32,
    queue_id: i32,
    flag: i32,
    queue_offset: i64,
    commit_log_offset: i64,
    sys_flag: i32,
    born_timestamp: i64,
    born_host: SocketAddr,
    store_timestamp: i64,
    store_host: SocketAddr,
    reconsume_times: i32,
    prepared_transaction_offset: i64,
    body: (usize, usize),
    topic: String,
    properties: Properties,
}

/// Reads the record at `start`; returns it and the offset of the next record.
fn decode_record(
    buf: &[u8],
    start: usize,
    index: usize,
    options: &DecodeOptions,
) -> Result<(RawRecord, usize), MessageDecodeError> {
    let mut r = Reader::new(buf, start, index);
    let store_size = r.i32("TOTALSIZE")?;
    r.limit(start, store_size, MIN_RECORD_LEN)?;
    let magic_offset = r.pos();
    let magic = r.i32("MAGICCODE")?;
    let topic_len_width = match magic {
        MAGIC_V1 => 1,
        MAGIC_V2 => 2,
        _ => {
            return Err(MessageDecodeError::BadMagic {
                index,
                offset: magic_offset,
                magic,
            })
        }
    };
    let body_crc = r.i32("BODYCRC")?;
    let queue_id = r.i32("QUEUEID")?;
    let flag = r.i32("FLAG")?;
    let queue_offset = r.i64("QUEUEOFFSET")?;
    let commit_log_offset = r.i64("PHYSICALOFFSET")?;
    let sys_flag = r.i32("SYSFLAG")?;
    let born_timestamp = r.i64("BORNTIMESTAMP")?;
    let born_host = read_host(
        &mut r,
        sys_flag & sys_flag::BORNHOST_V6_FLAG != 0,
        "BORNHOST",
    )?;
    let store_timestamp = r.i64("STORETIMESTAMP")?;
    let store_host = read_host(
        &mut r,
        sys_flag & sys_flag::STOREHOSTADDRESS_V6_FLAG != 0,
        "STOREHOST",
    )?;
    let reconsume_times = r.i32("RECONSUMETIMES")?;
    let prepared_transaction_offset = r.i64("PREPAREDTRANSACTIONOFFSET")?;
    let body_len = r.len(4, "BODYLEN")?;
    let body_start = r.pos();
    let body = r.take(body_len, "BODY")?;
    if options.verify_body_crc {
        let actual = body_crc32(body);
        if actual != body_crc {
            return Err(MessageDecodeError::BodyCrcMismatch {
                index,
                expected: body_crc,
                actual,
            });
        }
    }
    let topic_len = r.len(topic_len_width, "TOPICLEN")?;
    let topic = r.str(topic_len, "TOPIC")?.to_owned();
    let props_len = r.len(2, "PROPERTIESLEN")?;
    let properties = decode_properties(r.str(props_len, "PROPERTIES")?);
    r.finish(start)?;
    let raw = RawRecord {
        index,
        store_size,
        body_crc,
        queue_id,
        flag,
        queue_offset,
        commit_log_offset,
        sys_flag,
        born_timestamp,
        born_host,
        store_timestamp,
        store_host,
        reconsume_times,
        prepared_transaction_offset,
        body: (body_start, body_start + body_len),
        topic,
        properties,
    };
    Ok((raw, r.pos()))
}

impl RawRecord {
    /// Builds the [`MessageExt`], decompressing `stored_body` if needed.
    fn finish(
        self,
        stored_body: Bytes,
        options: &DecodeOptions,
    ) -> Result<MessageExt, MessageDecodeError> {
        let mut flag = self.sys_flag;
        let body = if flag & sys_flag::COMPRESSED_FLAG != 0 {
            flag &= !sys_flag::COMPRESSED_FLAG;
            Bytes::from(decompress_record(
                &stored_body,
                self.sys_flag,
                options.max_body_len,
                self.index,
            )?)
        } else {
            stored_body
        };
        let properties = self.properties;
        let offset_msg_id = encode_offset_msg_id(self.store_host, self.commit_log_offset);
        let msg_id = properties
            .get(keys::UNIQ_KEY)
            .map(str::to_owned)
            .unwrap_or_else(|| offset_msg_id.clone());
        Ok(MessageExt {
            message: Message {
                topic: self.topic,
                flag: self.flag,
                properties,
                body,
            },
            queue_id: self.queue_id,
            store_size: self.store_size,
            queue_offset: self.queue_offset,
            commit_log_offset: self.commit_log_offset,
            sys_flag: flag,
            born_timestamp: self.born_timestamp,
            born_host: self.born_host,
            store_timestamp: self.store_timestamp,
            store_host: self.store_host,
            reconsume_times: self.reconsume_times,
            prepared_transaction_offset: self.prepared_transaction_offset,
            body_crc: self.body_crc,
            msg_id,
            offset_msg_id,
        })
    }
}

/// Reads an IPv4 (4-byte) or IPv6 (16-byte) address and an i32 port.
fn read_host(
    r: &mut Reader<'_>,
    v6: bool,
    field: &'static str,
) -> Result<SocketAddr, MessageDecodeError> {
    let ip = if v6 {
        IpAddr::V6(Ipv6Addr::from(r.array::<16>(field)?))
    } else {
        IpAddr::V4(Ipv4Addr::from(r.array::<4>(field)?))
    };
    let port_offset = r.pos();
    let port = r.i32(field)?;
    let port = u16::try_from(port).map_err(|_| MessageDecodeError::InvalidPort {
        index: r.index(),
        field,
        offset: port_offset,
        port,
    })?;
    Ok(SocketAddr::new(ip, port))
}

/// `CRC32(body) & 0x7FFFFFFF` as stored in BODYCRC.
pub fn body_crc32(body: &[u8]) -> i32 {
    (crc32fast::hash(body) & 0x7FFF_FFFF) as i32
}
