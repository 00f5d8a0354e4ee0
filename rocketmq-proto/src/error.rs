//! Errors of frame decoding/encoding, typed header conversion, bodies and subscriptions.

use thiserror::Error;

/// The byte stream is corrupt; the connection it came from must be closed.
///
/// A partial frame is never an error: the decoder returns `Ok(None)` for it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The length prefix exceeds the configured maximum frame length.
    #[error("frame length {len} exceeds the maximum {max}")]
    FrameTooLarge {
        /// Length announced by the prefix (bytes after the prefix).
        len: u64,
        /// Maximum accepted length (bytes after the prefix).
        max: u64,
    },
    /// The length prefix is too small to hold the header-length word.
    #[error("frame length {len} is too short to hold the header length word")]
    FrameTooShort {
        /// Length announced by the prefix.
        len: u32,
    },
    /// The header length exceeds the frame.
    #[error("header length {header_len} exceeds the frame's {available} bytes")]
    HeaderLenExceedsFrame {
        /// Header length from the frame.
        header_len: u32,
        /// Bytes available after the header-length word.
        available: u32,
    },
    /// The serialize-type byte is neither JSON (0) nor ROCKETMQ (1).
    #[error("unknown serialize type {0}")]
    UnknownSerializeType(u8),
    /// The JSON header is not a valid command object.
    #[error("malformed JSON header: {0}")]
    MalformedJsonHeader(String),
    /// The ROCKETMQ binary header is truncated or inconsistent.
    #[error("malformed binary header: field `{field}` at offset {offset}: {reason}")]
    MalformedBinaryHeader {
        /// The header field being read.
        field: &'static str,
        /// Offset within the header where reading failed.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// A header string is not valid UTF-8.
    #[error("invalid UTF-8 in header field `{field}`")]
    InvalidUtf8 {
        /// The header field (or `"header"` for the whole JSON header).
        field: &'static str,
    },
}

/// A command cannot be represented in the requested serialization.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The ROCKETMQ binary header stores `code` in 16 bits.
    #[error("code {0} does not fit the binary header's 16 bits")]
    CodeOutOfRange(i32),
    /// The ROCKETMQ binary header stores `version` in 16 bits.
    #[error("version {0} does not fit the binary header's 16 bits")]
    VersionOutOfRange(i32),
    /// An ext-field key is longer than the binary header's i16 length.
    #[error("ext field key of {0} bytes is too long for the binary header")]
    KeyTooLong(usize),
    /// The header is longer than the 24-bit header length.
    #[error("header of {0} bytes exceeds the 24-bit header length")]
    HeaderTooLarge(usize),
    /// The frame is longer than the length prefix can express.
    #[error("frame of {0} bytes is too large")]
    FrameTooLarge(usize),
}

/// A typed header could not be read from `extFields`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// A required field is absent.
    #[error("missing required header field `{field}`")]
    Missing {
        /// The wire name of the field.
        field: &'static str,
    },
    /// A field's value does not parse as its type.
    #[error("header field `{field}` = {value:?} is not a valid {expected}")]
    Invalid {
        /// The wire name of the field.
        field: &'static str,
        /// The value received.
        value: String,
        /// The expected type (`"i32"`, `"bool"`, …).
        expected: &'static str,
    },
}

/// A JSON body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The body is not valid JSON of the expected shape.
    #[error("malformed {what} body: {message}")]
    Json {
        /// What was being decoded (`"TopicRouteData"`, …).
        what: &'static str,
        /// The parser's message.
        message: String,
    },
}

/// A subscription expression cannot be turned into `SubscriptionData` (Java `FilterAPI`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SubscriptionError {
    /// Splitting a tag expression on `||` left no part at all (e.g. `||`).
    #[error("subString split error")]
    SplitError,
    /// A non-TAG (SQL92) expression is empty.
    #[error("Expression can't be null! {expression_type}")]
    EmptyExpression {
        /// The expression type (`SQL92`).
        expression_type: &'static str,
    },
}
