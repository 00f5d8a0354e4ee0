//! The JSON command header (serialize type 0), as Java's fastjson writes it.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::code::LanguageCode;
use bytes::{BufMut, BytesMut};

use crate::command::RemotingCommand;
use crate::error::DecodeError;
use crate::ext_fields::ExtFields;
use crate::frame::{CommandHead, FieldValue};

/// Appends `cmd`'s header as JSON: sorted keys, no whitespace, as Java sends it.
pub(crate) fn encode(cmd: &RemotingCommand, out: &mut BytesMut) {
    let head = CommandHead::of(cmd);
    let fields = cmd.ext_fields.iter().map(|(k, v)| (k, FieldValue::Str(v)));
    encode_parts(&head, cmd.remark.as_deref(), fields, out);
}

/// Appends a JSON header from its parts; `fields` must come in key order.
pub(crate) fn encode_parts<'a>(
    head: &CommandHead,
    remark: Option<&str>,
    fields: impl Iterator<Item = (&'a str, FieldValue<'a>)>,
    out: &mut BytesMut,
) {
    out.extend_from_slice(b"{\"code\":");
    push_int(out, i64::from(head.code));
    out.extend_from_slice(b",\"extFields\":{");
    for (i, (k, v)) in fields.enumerate() {
        if i > 0 {
            out.put_u8(b',');
        }
        push_str(out, k);
        out.put_u8(b':');
        match v {
            FieldValue::Str(s) => push_str(out, s),
            FieldValue::Int(n) => {
                out.put_u8(b'"');
                push_int(out, n);
                out.put_u8(b'"');
            }
            FieldValue::Bool(b) => {
                out.extend_from_slice(if b { b"\"true\"" } else { b"\"false\"" })
            }
        }
    }
    out.extend_from_slice(b"},\"flag\":");
    push_int(out, i64::from(head.flag));
    out.extend_from_slice(b",\"language\":");
    match head.language.name() {
        Some(n) => push_str(out, n),
        None => push_int(out, i64::from(head.language.0)),
    }
    out.extend_from_slice(b",\"opaque\":");
    push_int(out, i64::from(head.opaque));
    if let Some(r) = remark.filter(|r| !r.is_empty()) {
        out.extend_from_slice(b",\"remark\":");
        push_str(out, r);
    }
    out.extend_from_slice(b",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
    push_int(out, i64::from(head.version));
    out.put_u8(b'}');
}

fn push_int(out: &mut BytesMut, v: i64) {
    let mut buf = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.put_u8(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

/// Bytes that JSON strings must escape.
const ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

pub(crate) fn push_str(out: &mut BytesMut, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.put_u8(b'"');
    let mut rest = s.as_bytes();
    while let Some(i) = rest.iter().position(|&b| ESCAPE[b as usize]) {
        out.extend_from_slice(&rest[..i]);
        let b = rest[i];
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ]),
        }
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out.put_u8(b'"');
}

/// Parses a JSON header into a command with an empty body.
pub(crate) fn decode(header: &[u8]) -> Result<RemotingCommand, DecodeError> {
    let text =
        std::str::from_utf8(header).map_err(|_| DecodeError::InvalidUtf8 { field: "header" })?;
    if let Some(cmd) = super::json_scan::decode(text) {
        return Ok(cmd);
    }
    decode_full(text)
}

/// The complete decoder: any JSON a peer may send, with serde's error messages.
pub(crate) fn decode_full(text: &str) -> Result<RemotingCommand, DecodeError> {
    // serde accepts a struct written as an array; a header is always an object.
    if !text.trim_start().starts_with('{') {
        return Err(DecodeError::MalformedJsonHeader(
            "header is not a JSON object".to_owned(),
        ));
    }
    let h: JsonHeader =
        serde_json::from_str(text).map_err(|e| DecodeError::MalformedJsonHeader(e.to_string()))?;
    Ok(RemotingCommand {
        code: h.code,
        language: h.language.0,
        version: h.version,
        opaque: h.opaque,
        flag: h.flag,
        remark: h.remark.filter(|r| !r.is_empty()),
        ext_fields: h.ext_fields.map(|e| e.0).unwrap_or_default(),
        body: bytes::Bytes::new(),
    })
}

#[derive(Deserialize)]
struct JsonHeader {
    #[serde(default)]
    code: i32,
    #[serde(default)]
    language: Lang,
    #[serde(default)]
    version: i32,
    #[serde(default)]
    opaque: i32,
    #[serde(default)]
    flag: i32,
    #[serde(default)]
    remark: Option<String>,
    #[serde(default, rename = "extFields")]
    ext_fields: Option<Ext>,
}

/// A language given by name (or, leniently, by number). Unknown names read as `OTHER`.
#[derive(Default)]
struct Lang(LanguageCode);

impl<'de> Deserialize<'de> for Lang {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Lang;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a language name or code")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Lang, E> {
                Ok(Lang(
                    LanguageCode::from_name(v).unwrap_or(LanguageCode::OTHER),
                ))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Lang, E> {
                u8::try_from(v)
                    .map(|b| Lang(LanguageCode(b)))
                    .map_err(|_| E::custom("language code out of range"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Lang, E> {
                u8::try_from(v)
                    .map(|b| Lang(LanguageCode(b)))
                    .map_err(|_| E::custom("language code out of range"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Lang, E> {
                Ok(Lang(LanguageCode::OTHER))
            }
        }
        d.deserialize_any(V)
    }
}

/// `extFields`: values are strings; numbers and booleans are taken as their text, nulls skipped.
struct Ext(ExtFields);

impl<'de> Deserialize<'de> for Ext {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ext;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of string values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ext, A::Error> {
                let mut ext = ExtFields::with_capacity(8);
                while let Some(Key(k)) = map.next_key::<Key>()? {
                    if let Some(v) = map.next_value::<Scalar>()?.0 {
                        ext.insert(k, v);
                    }
                }
                Ok(Ext(ext))
            }
        }
        d.deserialize_map(V)
    }
}

/// An ext-field key, interned without allocation when it is a well-known one.
struct Key(std::borrow::Cow<'static, str>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(crate::ext_fields::intern(v)))
            }
        }
        d.deserialize_str(V)
    }
}

struct Scalar(Option<String>);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar(Some(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(None))
            }
        }
        d.deserialize_any(V)
    }
}
