//! The ROCKETMQ binary command header (serialize type 1).

use crate::code::LanguageCode;
use bytes::{BufMut, BytesMut};

use crate::command::RemotingCommand;
use crate::error::{DecodeError, EncodeError};
use crate::ext_fields::ExtFields;
use crate::frame::{CommandHead, FieldValue};

/// Appends `cmd`'s header in the ROCKETMQ binary layout.
pub(crate) fn encode(cmd: &RemotingCommand, out: &mut BytesMut) -> Result<(), EncodeError> {
    let fields: Vec<(&str, FieldValue<'_>)> = cmd
        .ext_fields
        .iter()
        .map(|(k, v)| (k, FieldValue::Str(v)))
        .collect();
    encode_parts(&CommandHead::of(cmd), cmd.remark.as_deref(), &fields, out)
}

/// Appends a binary header from its parts.
pub(crate) fn encode_parts(
    head: &CommandHead,
    remark: Option<&str>,
    fields: &[(&str, FieldValue<'_>)],
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    let code = i16::try_from(head.code).map_err(|_| EncodeError::CodeOutOfRange(head.code))?;
    let version =
        i16::try_from(head.version).map_err(|_| EncodeError::VersionOutOfRange(head.version))?;
    out.extend_from_slice(&code.to_be_bytes());
    out.put_u8(head.language.0);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&head.opaque.to_be_bytes());
    out.extend_from_slice(&head.flag.to_be_bytes());
    let remark = remark.unwrap_or("");
    out.extend_from_slice(&len_i32(remark.len())?.to_be_bytes());
    out.extend_from_slice(remark.as_bytes());
    let len_at = out.len();
    out.extend_from_slice(&[0; 4]);
    let mut scratch = String::new();
    for (k, v) in fields {
        let kl = i16::try_from(k.len()).map_err(|_| EncodeError::KeyTooLong(k.len()))?;
        out.extend_from_slice(&kl.to_be_bytes());
        out.extend_from_slice(k.as_bytes());
        let value: &str = match v {
            FieldValue::Str(s) => s,
            FieldValue::Int(n) => {
                scratch.clear();
                scratch.push_str(&n.to_string());
                &scratch
            }
            FieldValue::Bool(b) => {
                if *b {
                    "true"
                } else {
                    "false"
                }
            }
        };
        out.extend_from_slice(&len_i32(value.len())?.to_be_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    let ext_len = len_i32(out.len() - len_at - 4)?;
    out[len_at..len_at + 4].copy_from_slice(&ext_len.to_be_bytes());
    Ok(())
}

fn len_i32(n: usize) -> Result<i32, EncodeError> {
    i32::try_from(n).map_err(|_| EncodeError::HeaderTooLarge(n))
}

/// A bounds-checked reader over the header bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(DecodeError::MalformedBinaryHeader {
                field,
                offset: self.pos,
                reason: "truncated",
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, field)?);
        Ok(a)
    }

    fn len(&mut self, n_bytes: usize, field: &'static str) -> Result<usize, DecodeError> {
        let offset = self.pos;
        let v = if n_bytes == 2 {
            i64::from(i16::from_be_bytes(self.array(field)?))
        } else {
            i64::from(i32::from_be_bytes(self.array(field)?))
        };
        let n = usize::try_from(v).map_err(|_| DecodeError::MalformedBinaryHeader {
            field,
            offset,
            reason: "negative length",
        })?;
        if n > self.buf.len() - self.pos {
            return Err(DecodeError::MalformedBinaryHeader {
                field,
                offset,
                reason: "length beyond header",
            });
        }
        Ok(n)
    }

    fn str(&mut self, n: usize, field: &'static str) -> Result<&'a str, DecodeError> {
        let b = self.take(n, field)?;
        std::str::from_utf8(b).map_err(|_| DecodeError::InvalidUtf8 { field })
    }

    fn string(&mut self, n: usize, field: &'static str) -> Result<String, DecodeError> {
        self.str(n, field).map(str::to_owned)
    }
}

/// Parses a binary header into a command with an empty body.
pub(crate) fn decode(header: &[u8]) -> Result<RemotingCommand, DecodeError> {
    let mut r = Reader {
        buf: header,
        pos: 0,
    };
    let code = i32::from(i16::from_be_bytes(r.array("code")?));
    let language = LanguageCode(r.array::<1>("language")?[0]);
    let version = i32::from(i16::from_be_bytes(r.array("version")?));
    let opaque = i32::from_be_bytes(r.array("opaque")?);
    let flag = i32::from_be_bytes(r.array("flag")?);
    let remark_len = r.len(4, "remarkLen")?;
    let remark = Some(r.string(remark_len, "remark")?).filter(|s| !s.is_empty());
    let ext_len = r.len(4, "extLen")?;
    let mut ext = ExtFields::with_capacities(8, header.len());
    let mut m = Reader {
        buf: r.take(ext_len, "extFields")?,
        pos: 0,
    };
    while m.pos < m.buf.len() {
        let kl = m.len(2, "extFields.keyLen")?;
        let k = m.str(kl, "extFields.key")?;
        let vl = m.len(4, "extFields.valueLen")?;
        let v = m.str(vl, "extFields.value")?;
        ext.insert_wire(k, v);
    }
    // Java stops reading after the map; trailing bytes are ignored as it does.
    Ok(RemotingCommand {
        code,
        language,
        version,
        opaque,
        flag,
        remark,
        ext_fields: ext,
        body: bytes::Bytes::new(),
    })
}
