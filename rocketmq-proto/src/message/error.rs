//! Errors of message decoding, encoding, ids, batches and validation.

use thiserror::Error;

/// A stored-message list, a batch body or a compressed body could not be decoded.
///
/// `index` is the 0-based position of the failing record in its buffer (0 for a
/// single-record call); `offset` is a byte offset from the start of the buffer given
/// to the decoder.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MessageDecodeError {
    /// The input ends inside a field (or before the end TOTALSIZE announces).
    #[error(
        "record {index}: field `{field}` at offset {offset} needs {needed} bytes, \
         only {available} left"
    )]
    Truncated {
        /// Record index.
        index: usize,
        /// The field being read.
        field: &'static str,
        /// Offset of the field.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the input.
        available: usize,
    },
    /// The magic code is neither `0xDAA320A7` (V1) nor `0xDAA320AB` (V2).
    #[error("record {index}: bad magic code {magic:#010x} at offset {offset}")]
    BadMagic {
        /// Record index.
        index: usize,
        /// Offset of the magic code.
        offset: usize,
        /// The value read.
        magic: i32,
    },
    /// TOTALSIZE is inconsistent with the fields of the record.
    #[error("record {index}: TOTALSIZE {total_size} at offset {offset} {reason}")]
    BadTotalSize {
        /// Record index.
        index: usize,
        /// Offset of the record (its TOTALSIZE field).
        offset: usize,
        /// The TOTALSIZE value read.
        total_size: i32,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A field extends past the end of its record as given by TOTALSIZE.
    #[error(
        "record {index}: field `{field}` at offset {offset} extends past TOTALSIZE {total_size}"
    )]
    FieldExceedsRecord {
        /// Record index.
        index: usize,
        /// The field being read.
        field: &'static str,
        /// Offset of the field.
        offset: usize,
        /// The record's TOTALSIZE.
        total_size: i32,
    },
    /// A length field is negative.
    #[error("record {index}: length field `{field}` at offset {offset} is negative ({len})")]
    NegativeLength {
        /// Record index.
        index: usize,
        /// The length field.
        field: &'static str,
        /// Offset of the length field.
        offset: usize,
        /// The value read.
        len: i32,
    },
    /// A host's port is outside `0..=65535`.
    #[error("record {index}: field `{field}` at offset {offset} has invalid port {port}")]
    InvalidPort {
        /// Record index.
        index: usize,
        /// `"BORNHOST"` or `"STOREHOST"`.
        field: &'static str,
        /// Offset of the port.
        offset: usize,
        /// The value read.
        port: i32,
    },
    /// BODYCRC does not match `crc32(body) & 0x7FFFFFFF` of the stored body.
    #[error("record {index}: body CRC mismatch: stored {expected:#010x}, computed {actual:#010x}")]
    BodyCrcMismatch {
        /// Record index.
        index: usize,
        /// BODYCRC from the record.
        expected: i32,
        /// CRC computed over the body bytes.
        actual: i32,
    },
    /// The compressed body is not a valid stream of its compression type.
    #[error("record {index}: cannot decompress body: {message}")]
    Decompress {
        /// Record index.
        index: usize,
        /// The decompressor's message.
        message: String,
    },
    /// The decompressed body would exceed the configured maximum.
    #[error("record {index}: decompressed body exceeds {max} bytes")]
    DecompressedTooLarge {
        /// Record index.
        index: usize,
        /// The maximum accepted length.
        max: usize,
    },
    /// The body uses compression type bits no client writes (`0x400`..`0x700`).
    #[error("record {index}: unsupported compression type {compression_type:#x}")]
    UnsupportedCompression {
        /// Record index.
        index: usize,
        /// `sys_flag & 0x700`.
        compression_type: i32,
    },
    /// A string field is not valid UTF-8.
    #[error("record {index}: field `{field}` at offset {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// Record index.
        index: usize,
        /// `"TOPIC"` or `"PROPERTIES"`.
        field: &'static str,
        /// Offset of the string bytes.
        offset: usize,
    },
}

/// A message cannot be written in the stored-message layout.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MessageEncodeError {
    /// The topic is longer than the i16 topic length allows.
    #[error("topic of {len} bytes exceeds the maximum {max}")]
    TopicTooLong {
        /// UTF-8 length of the topic.
        len: usize,
        /// Maximum encodable length.
        max: usize,
    },
    /// The properties string is longer than the i16 properties length allows.
    #[error("properties of {len} bytes exceed the maximum {max}")]
    PropertiesTooLong {
        /// Length of the encoded properties.
        len: usize,
        /// Maximum encodable length.
        max: usize,
    },
    /// The record is longer than the i32 TOTALSIZE allows.
    #[error("record of {len} bytes is too large")]
    RecordTooLarge {
        /// Length the record would have.
        len: usize,
    },
}

/// A message id string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MessageIdError {
    /// The id is neither 32 (IPv4) nor 56 (IPv6) hex characters long.
    #[error("message id has {len} characters, expected 32 or 56")]
    BadLength {
        /// Length of the string in bytes.
        len: usize,
    },
    /// A character is not a hex digit.
    #[error("message id has a non-hex character at position {position}")]
    InvalidHex {
        /// Byte position of the character.
        position: usize,
    },
    /// The port is outside `0..=65535`.
    #[error("message id has invalid port {0}")]
    InvalidPort(i32),
}

/// A list of messages cannot be sent as one batch.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The batch has no message.
    #[error("a batch needs at least one message")]
    Empty,
    /// Batches cannot be sent to a retry topic.
    #[error("retry topic {0:?} is not supported for batching")]
    RetryTopic(String),
    /// A message has another topic than the first one.
    #[error("message {index} has topic {found:?}, the batch's topic is {expected:?}")]
    MixedTopics {
        /// Index of the offending message.
        index: usize,
        /// The first message's topic.
        expected: String,
        /// The offending message's topic.
        found: String,
    },
    /// A message has another `WAIT` value than the first one.
    #[error("message {index} has WAIT={found}, the batch's first message has WAIT={expected}")]
    MixedWaitStoreMsgOk {
        /// Index of the offending message.
        index: usize,
        /// The first message's effective WAIT value.
        expected: bool,
        /// The offending message's effective WAIT value.
        found: bool,
    },
    /// A message has a delay level, which batches do not support.
    #[error("message {index} has DELAY={value:?}; delayed messages cannot be batched")]
    DelayNotSupported {
        /// Index of the offending message.
        index: usize,
        /// The `DELAY` property value.
        value: String,
    },
    /// A message has a 5.x timer property, which batches do not support (the broker
    /// would ignore it).
    #[error("message {index} has {key}; timer messages cannot be batched")]
    TimerNotSupported {
        /// Index of the offending message.
        index: usize,
        /// The timer property.
        key: &'static str,
    },
    /// The encoded batch is larger than the maximum message size.
    #[error("the batch body of {size} bytes exceeds the maximum message size {max}")]
    TooLarge {
        /// Encoded batch length.
        size: usize,
        /// The maximum.
        max: usize,
    },
    /// A message of the batch breaks a message rule.
    #[error("message {index}: {error}")]
    InvalidMessage {
        /// Index of the offending message.
        index: usize,
        /// The rule it breaks.
        error: ValidationError,
    },
    /// A message's properties are longer than the i16 length allows.
    #[error("message {index}: properties of {len} bytes exceed the maximum {max}")]
    PropertiesTooLong {
        /// Index of the offending message.
        index: usize,
        /// Length of the encoded properties.
        len: usize,
        /// Maximum encodable length.
        max: usize,
    },
    /// A message's record is longer than the i32 size field allows.
    #[error("message {index}: record of {len} bytes is too large")]
    MessageTooLarge {
        /// Index of the offending message.
        index: usize,
        /// Length the record would have.
        len: usize,
    },
}

/// A topic, group, body or message breaks a client-side rule (`Validators.java`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The topic is empty or only whitespace.
    #[error("the topic is blank")]
    BlankTopic,
    /// The topic is longer than allowed.
    #[error("topic {value:?} is {len} characters long, the maximum is {max}")]
    TopicTooLong {
        /// The topic.
        value: String,
        /// Its length in UTF-16 units (as Java counts).
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// The group is empty or only whitespace.
    #[error("the group is blank")]
    BlankGroup,
    /// The group is longer than allowed.
    #[error("group {value:?} is {len} characters long, the maximum is {max}")]
    GroupTooLong {
        /// The group.
        value: String,
        /// Its length in UTF-16 units (as Java counts).
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A topic or group has characters outside `[%|a-zA-Z0-9_-]`.
    #[error("{what} {value:?} contains characters outside [%|a-zA-Z0-9_-]")]
    IllegalChars {
        /// `"topic"` or `"group"`.
        what: &'static str,
        /// The offending value.
        value: String,
    },
    /// The topic is reserved for the broker (`TopicValidator.isNotAllowedSendTopic`).
    #[error("sending to system topic {0:?} is not allowed")]
    NotAllowedToSend(String),
    /// The producer group is the reserved `DEFAULT_PRODUCER`.
    #[error("producer group {0:?} is reserved")]
    ReservedProducerGroup(String),
    /// The body is empty.
    #[error("the message body is empty")]
    EmptyBody,
    /// The body is larger than the maximum message size.
    #[error("message body of {size} bytes exceeds the maximum {max}")]
    BodyTooLarge {
        /// Body length.
        size: usize,
        /// The maximum.
        max: usize,
    },
    /// A delay property is not a number, or a timer property not a positive one.
    #[error("invalid delay property {key}={value:?}")]
    InvalidDelay {
        /// The property.
        key: &'static str,
        /// Its value.
        value: String,
    },
    /// The `INNER_MULTI_DISPATCH` property contains a path separator.
    #[error("INNER_MULTI_DISPATCH {0:?} must not contain '/'")]
    InvalidMultiDispatch(String),
}
