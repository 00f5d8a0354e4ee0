//! Frames: `[u32 length][u8 serialize type | u24 header length][header][body]`.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::code::ResponseCode;
use crate::code::SerializeType;
use crate::command::RemotingCommand;
use crate::command::FLAG_RESPONSE;
use crate::error::{DecodeError, EncodeError};
use crate::ext_fields::ExtFields;
use crate::header::{binary, json, json_scan};

/// Java's default maximum frame length (16 MiB, including the 4-byte length prefix).
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// Largest header length the 24-bit field can hold.
const MAX_HEADER_LEN: usize = 0xFF_FFFF;

/// Appends `cmd` as one frame to `dst`.
///
/// Output is deterministic: the same command always encodes to the same bytes.
pub fn encode(
    cmd: &RemotingCommand,
    ser: SerializeType,
    dst: &mut BytesMut,
) -> Result<(), EncodeError> {
    let start = begin_frame(dst, 128 + 24 * cmd.ext_fields.len() + cmd.body.len());
    let r = match ser {
        SerializeType::Json => {
            json::encode(cmd, dst);
            Ok(())
        }
        SerializeType::RocketMq => binary::encode(cmd, dst),
    };
    finish_frame(dst, start, ser, Body::Append(&cmd.body), r)
}

/// The body of a frame being finished: copied in, or only counted (sent separately).
#[derive(Clone, Copy)]
pub(crate) enum Body<'a> {
    Append(&'a [u8]),
    Counted(usize),
}

impl Body<'_> {
    /// Length of the frame's body.
    fn len(self) -> usize {
        match self {
            Self::Append(b) => b.len(),
            Self::Counted(n) => n,
        }
    }

    /// Bytes this call appends for the body.
    pub(crate) fn appended_len(self) -> usize {
        match self {
            Self::Append(b) => b.len(),
            Self::Counted(_) => 0,
        }
    }
}

/// Reserves room and writes placeholder length words; returns where the frame starts.
pub(crate) fn begin_frame(dst: &mut BytesMut, size_hint: usize) -> usize {
    dst.reserve(8 + size_hint);
    let start = dst.len();
    dst.put_u64(0);
    start
}

/// Appends the body and patches the length words, or rolls the frame back on error.
pub(crate) fn finish_frame(
    dst: &mut BytesMut,
    start: usize,
    ser: SerializeType,
    body: Body<'_>,
    encoded: Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let header_len = dst.len() - start - 8;
    let body_len = body.len();
    let checked = encoded.and_then(|()| {
        if header_len > MAX_HEADER_LEN {
            return Err(EncodeError::HeaderTooLarge(header_len));
        }
        let len = 4 + header_len + body_len;
        u32::try_from(len)
            .ok()
            .filter(|&l| l <= i32::MAX as u32)
            .ok_or(EncodeError::FrameTooLarge(len))
    });
    match checked {
        Ok(len) => {
            if let Body::Append(b) = body {
                dst.extend_from_slice(b);
            }
            dst[start..start + 4].copy_from_slice(&len.to_be_bytes());
            let word = (u32::from(ser.as_u8()) << 24) | header_len as u32;
            dst[start + 4..start + 8].copy_from_slice(&word.to_be_bytes());
            Ok(())
        }
        Err(e) => {
            dst.truncate(start);
            Err(e)
        }
    }
}

/// Appends the header bytes of `cmd` in `ser` to `out`.
pub fn encode_header(
    cmd: &RemotingCommand,
    ser: SerializeType,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    match ser {
        SerializeType::Json => {
            json::encode(cmd, out);
            Ok(())
        }
        SerializeType::RocketMq => binary::encode(cmd, out),
    }
}

/// The fixed part of a command header, for encoding from borrowed fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommandHead {
    /// Request or response code.
    pub code: i32,
    /// Sender's language.
    pub language: crate::LanguageCode,
    /// Sender's version.
    pub version: i32,
    /// Request id.
    pub opaque: i32,
    /// Flag bits.
    pub flag: i32,
}

impl CommandHead {
    /// Returns the head of an owned command.
    pub fn of(cmd: &RemotingCommand) -> Self {
        Self {
            code: cmd.code,
            language: cmd.language,
            version: cmd.version,
            opaque: cmd.opaque,
            flag: cmd.flag,
        }
    }
}

/// One ext-field value, borrowed; numbers and booleans are written as their text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValue<'a> {
    /// A string.
    Str(&'a str),
    /// An integer, written in decimal.
    Int(i64),
    /// A boolean, written `true`/`false`.
    Bool(bool),
}

/// Appends a frame built from borrowed header fields, with no intermediate `ExtFields`.
///
/// `fields` must be sorted by key (JSON output is then byte-identical to [`encode`] of the
/// equivalent command). This is the allocation-light path for hot requests such as sends.
pub fn encode_fields(
    head: &CommandHead,
    fields: &[(&str, FieldValue<'_>)],
    body: &[u8],
    ser: SerializeType,
    dst: &mut BytesMut,
) -> Result<(), EncodeError> {
    encode_fields_with(head, fields, Body::Append(body), ser, dst)
}

/// Like [`encode_fields`], but writes only the length words and the header of a frame
/// whose `body_len` body bytes the caller sends right after (zero-copy bodies: the
/// body goes out as its own buffer, in a vectored write).
pub fn encode_fields_head(
    head: &CommandHead,
    fields: &[(&str, FieldValue<'_>)],
    body_len: usize,
    ser: SerializeType,
    dst: &mut BytesMut,
) -> Result<(), EncodeError> {
    encode_fields_with(head, fields, Body::Counted(body_len), ser, dst)
}

fn encode_fields_with(
    head: &CommandHead,
    fields: &[(&str, FieldValue<'_>)],
    body: Body<'_>,
    ser: SerializeType,
    dst: &mut BytesMut,
) -> Result<(), EncodeError> {
    debug_assert!(
        fields.windows(2).all(|w| w[0].0 < w[1].0),
        "fields sorted by key"
    );
    let start = begin_frame(dst, 160 + 24 * fields.len() + body.appended_len());
    let r = match ser {
        SerializeType::Json => {
            json::encode_parts(head, None, fields.iter().copied(), dst);
            Ok(())
        }
        SerializeType::RocketMq => binary::encode_parts(head, None, fields, dst),
    };
    finish_frame(dst, start, ser, body, r)
}

/// Encodes `cmd` into a new buffer (convenience for tests and tools).
pub fn encode_to_bytes(cmd: &RemotingCommand, ser: SerializeType) -> Result<Bytes, EncodeError> {
    let mut b = BytesMut::new();
    encode(cmd, ser, &mut b)?;
    Ok(b.freeze())
}

/// Incremental frame decoder with the tokio-util `Decoder` contract.
///
/// Feed it a growing buffer; each call removes at most one whole frame from the front.
/// It never allocates more than the maximum frame length, whatever a prefix claims.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    max_frame_len: usize,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// Creates a decoder with Java's 16 MiB limit.
    pub fn new() -> Self {
        Self {
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
        }
    }

    /// Creates a decoder accepting frames up to `max` bytes, including the length prefix.
    pub fn with_max_frame_len(max: usize) -> Self {
        Self {
            max_frame_len: max.max(8),
        }
    }

    /// Returns the maximum frame length, including the length prefix.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Removes and decodes one frame from the front of `src`.
    ///
    /// Returns `Ok(None)` when `src` does not yet hold a whole frame (after reserving room
    /// for it), and `Err` when the stream is corrupt and the connection must be closed.
    /// The command's body is a zero-copy slice of `src`'s bytes.
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<RemotingCommand>, DecodeError> {
        match self.split_frame(src)? {
            Ok(frame) => decode_frame_body(frame).map(Some),
            Err(missing) => {
                src.reserve(missing);
                Ok(None)
            }
        }
    }

    /// Like [`decode`](Self::decode), but returns the frame undecoded: its bytes after the
    /// length prefix, whose header word has been checked (decode them with
    /// [`decode_frame_body`], or read the header in place with [`view_header`]).
    ///
    /// Unlike `decode` it reserves nothing: while frames split off earlier are still held,
    /// a reservation would have to move `src` to a new allocation; the caller's next append
    /// reserves once they are gone, and reuses the buffer.
    pub fn next_frame(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        Ok(self.split_frame(src)?.ok())
    }

    /// Splits the first whole frame off `src` (without its length prefix), or tells how
    /// many more bytes are needed at least.
    fn split_frame(&self, src: &mut BytesMut) -> Result<Result<Bytes, usize>, DecodeError> {
        let Some(len) = peek_u32(src, 0) else {
            return Ok(Err(8));
        };
        let max = (self.max_frame_len - 4) as u64;
        if u64::from(len) > max {
            return Err(DecodeError::FrameTooLarge {
                len: u64::from(len),
                max,
            });
        }
        if len < 4 {
            return Err(DecodeError::FrameTooShort { len });
        }
        // Check the header word as soon as it arrives, before waiting for the whole frame.
        if let Some(word) = peek_u32(src, 4) {
            check_header_word(word, len)?;
        }
        let total = 4 + len as usize;
        if src.len() < total {
            return Ok(Err(total - src.len()));
        }
        let mut frame = src.split_to(total);
        frame.advance(4);
        Ok(Ok(frame.freeze()))
    }
}

/// A frame's header read in place, without allocating (see [`view_header`]): the top-level
/// fields and up to [`VIEW_FIELDS`] ext fields, borrowed from the frame.
#[derive(Clone, Copy, Debug)]
pub struct HeaderView<'a> {
    pub(crate) head: CommandHead,
    pub(crate) remark: Option<&'a str>,
    pub(crate) fields: [(&'a str, &'a str); VIEW_FIELDS],
    pub(crate) len: usize,
}

/// Most ext fields a [`HeaderView`] holds; a header with more is left to the full decoder.
pub const VIEW_FIELDS: usize = 16;

impl<'a> HeaderView<'a> {
    /// A view of nothing, to read a header into with [`read_header`].
    pub fn empty() -> Self {
        Self {
            head: CommandHead::default(),
            remark: None,
            fields: [("", ""); VIEW_FIELDS],
            len: 0,
        }
    }

    /// Code, language, version, opaque and flag.
    pub fn head(&self) -> &CommandHead {
        &self.head
    }

    /// Whether this is a response (flag bit 0).
    pub fn is_response(&self) -> bool {
        self.head.flag & FLAG_RESPONSE != 0
    }

    /// The code read as a response code.
    pub fn response_code(&self) -> ResponseCode {
        ResponseCode(self.head.code)
    }

    /// The remark, when present and not empty.
    pub fn remark(&self) -> Option<&'a str> {
        self.remark
    }

    /// The ext fields in wire order (a repeated key counts with its last value, as in
    /// [`ExtFields`]).
    pub fn ext_fields(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.fields[..self.len].iter().copied()
    }

    /// The same header as an owned command with `body`.
    pub fn to_command(&self, body: Bytes) -> RemotingCommand {
        let mut ext_fields = ExtFields::with_capacity(self.len);
        for (k, v) in self.ext_fields() {
            ext_fields.insert_wire(k, v);
        }
        RemotingCommand {
            code: self.head.code,
            language: self.head.language,
            version: self.head.version,
            opaque: self.head.opaque,
            flag: self.head.flag,
            remark: self.remark.map(str::to_owned),
            ext_fields,
            body,
        }
    }
}

/// Reads the header of a frame (its bytes after the length prefix, as [`decode_frame_body`]
/// takes them) in place: `Some` for the compact JSON form Java and the Rust broker write with
/// at most [`VIEW_FIELDS`] ext fields, and then equal to what [`decode_frame_body`] decodes;
/// `None` for anything else (binary headers, escapes, whitespace, malformed frames), which
/// the full decoder handles.
pub fn view_header(frame: &[u8]) -> Option<HeaderView<'_>> {
    let mut view = HeaderView::empty();
    read_header(frame, &mut view).then_some(view)
}

/// Like [`view_header`], into a view the caller keeps (no copy of the view is made): `true`
/// when the header was read, `false` when it needs the full decoder.
pub fn read_header<'a>(frame: &'a [u8], view: &mut HeaderView<'a>) -> bool {
    match compact_json_header(frame) {
        Some(text) => json_scan::read_into(text, view),
        None => false,
    }
}

/// The body of a frame whose header [`view_header`] read: the bytes after the header.
pub fn frame_body(frame: &Bytes) -> Bytes {
    match peek_u32(frame, 0) {
        Some(word) => {
            let header_len = (word & 0xFF_FFFF) as usize;
            frame.slice((4 + header_len).min(frame.len())..)
        }
        None => Bytes::new(),
    }
}

/// The text of a frame's JSON header, or `None` for a binary header or a malformed frame.
fn compact_json_header(frame: &[u8]) -> Option<&str> {
    let len = u32::try_from(frame.len()).ok()?;
    let word = peek_u32(frame, 0)?;
    let (ser, header_len) = check_header_word(word, len).ok()?;
    if ser != SerializeType::Json {
        return None;
    }
    std::str::from_utf8(frame.get(4..4 + header_len)?).ok()
}

fn peek_u32(src: &[u8], at: usize) -> Option<u32> {
    let b = src.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn check_header_word(word: u32, len: u32) -> Result<(SerializeType, usize), DecodeError> {
    let ty = (word >> 24) as u8;
    let ser = SerializeType::from_u8(ty).ok_or(DecodeError::UnknownSerializeType(ty))?;
    let header_len = word & 0xFF_FFFF;
    let available = len - 4;
    if header_len > available {
        return Err(DecodeError::HeaderLenExceedsFrame {
            header_len,
            available,
        });
    }
    Ok((ser, header_len as usize))
}

/// Decodes a frame without its length prefix: the header-length word, header and body.
pub fn decode_frame_body(frame: Bytes) -> Result<RemotingCommand, DecodeError> {
    let len = u32::try_from(frame.len()).map_err(|_| DecodeError::FrameTooLarge {
        len: frame.len() as u64,
        max: u64::from(u32::MAX),
    })?;
    let word = peek_u32(&frame, 0).ok_or(DecodeError::FrameTooShort { len })?;
    let (ser, header_len) = check_header_word(word, len)?;
    let header = &frame[4..4 + header_len];
    let mut cmd = match ser {
        SerializeType::Json => json::decode(header)?,
        SerializeType::RocketMq => binary::decode(header)?,
    };
    cmd.body = frame.slice(4 + header_len..);
    Ok(cmd)
}
