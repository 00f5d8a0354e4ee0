//! The JSON command header (serialize type 0), as Java's fastjson writes it.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::code::LanguageCode;
use bytes::BytesMut;

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
///
/// The bound assumes the worst case: every string byte escaped.
pub(crate) fn encode_parts<'a>(
    head: &CommandHead,
    remark: Option<&str>,
    fields: impl Iterator<Item = (&'a str, FieldValue<'a>)> + Clone,
    out: &mut BytesMut,
) {
    // Fixed text ≤ 140, five integers ≤ 20 each, a language name or number ≤ 22.
    let mut bound = 140 + 5 * 20 + 22 + remark.map_or(0, |r| 3 + 6 * r.len());
    for (k, v) in fields.clone() {
        bound += 4
            + 6 * k.len()
            + match v {
                FieldValue::Str(s) => 2 + 6 * s.len(),
                FieldValue::Int(_) => 22,
                FieldValue::Bool(_) => 7,
            };
    }
    append_bounded(out, bound, |w| {
        w.put(b"{\"code\":");
        w.int(i64::from(head.code));
        w.put(b",\"extFields\":{");
        for (i, (k, v)) in fields.enumerate() {
            if i > 0 {
                w.byte(b',');
            }
            w.str(k);
            w.byte(b':');
            match v {
                FieldValue::Str(s) => w.str(s),
                FieldValue::Int(n) => w.quoted_int(n),
                FieldValue::Bool(b) => w.put(if b { b"\"true\"" } else { b"\"false\"" }),
            }
        }
        w.put(b"},\"flag\":");
        w.int(i64::from(head.flag));
        w.put(b",\"language\":");
        w.language(head.language);
        w.put(b",\"opaque\":");
        w.int(i64::from(head.opaque));
        if let Some(r) = remark.filter(|r| !r.is_empty()) {
            w.put(b",\"remark\":");
            w.str(r);
        }
        w.put(b",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
        w.int(i64::from(head.version));
        w.byte(b'}');
    });
}

/// Appends what `write` writes, given `bound` bytes, at least what it can write: the text is
/// written into a zero-filled region of that size, then the region is cut to what was
/// written (one resize and one truncate instead of a buffer call per piece).
pub(crate) fn append_bounded(
    out: &mut BytesMut,
    bound: usize,
    write: impl FnOnce(&mut Writer<'_>),
) {
    let start = out.len();
    out.resize(start + bound, 0);
    let mut w = Writer::new(&mut out[start..]);
    write(&mut w);
    let written = w.written();
    out.truncate(start + written);
}

/// Writes into a slice known to be large enough (the caller sized it for the worst case).
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl<'a> Writer<'a> {
    /// A writer at the start of `buf`.
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, at: 0 }
    }

    /// Bytes written so far.
    pub(crate) fn written(&self) -> usize {
        self.at
    }

    #[inline]
    pub(crate) fn byte(&mut self, b: u8) {
        if let Some(dst) = self.buf.get_mut(self.at) {
            *dst = b;
            self.at += 1;
        } else {
            debug_assert!(false, "JSON header bound too small");
        }
    }

    #[inline]
    pub(crate) fn put(&mut self, b: &[u8]) {
        let end = self.at + b.len();
        if let Some(dst) = self.buf.get_mut(self.at..end) {
            copy_short(dst, b);
            self.at = end;
        } else {
            // Unreachable with a correct bound; a short header is caught by the decoder
            // of any peer, and this keeps encoding free of panics.
            debug_assert!(false, "JSON header bound too small");
        }
    }

    pub(crate) fn int(&mut self, v: i64) {
        // Two digits per division, from a table of "00" to "99".
        const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
            2021222324252627282930313233343536373839\
            4041424344454647484950515253545556575859\
            6061626364656667686970717273747576777879\
            8081828384858687888990919293949596979899";
        let mut buf = [0u8; 20];
        let mut n = v.unsigned_abs();
        let mut i = buf.len();
        while n >= 100 {
            let pair = (n % 100) as usize * 2;
            n /= 100;
            i -= 2;
            buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        }
        if n >= 10 {
            let pair = n as usize * 2;
            i -= 2;
            buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        } else {
            i -= 1;
            buf[i] = b'0' + n as u8;
        }
        if v < 0 {
            self.byte(b'-');
        }
        self.put(&buf[i..]);
    }

    /// An integer as a JSON string (ext-field values are strings).
    pub(crate) fn quoted_int(&mut self, v: i64) {
        self.byte(b'"');
        self.int(v);
        self.byte(b'"');
    }

    /// A language by name, or by number when it has none.
    pub(crate) fn language(&mut self, language: LanguageCode) {
        match language.name() {
            Some(n) => self.str(n),
            None => self.int(i64::from(language.0)),
        }
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.byte(b'"');
        self.str_content(s);
        self.byte(b'"');
    }

    /// Writes `s` escaped, without the quotes around it.
    pub(crate) fn str_content(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut rest = s.as_bytes();
        while let Some(i) = super::json_scan::find_special(rest) {
            self.put(&rest[..i]);
            let b = rest[i];
            match b {
                b'"' => self.put(b"\\\""),
                b'\\' => self.put(b"\\\\"),
                b'\n' => self.put(b"\\n"),
                b'\r' => self.put(b"\\r"),
                b'\t' => self.put(b"\\t"),
                _ => self.put(&[
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
        self.put(rest);
    }
}

/// `dst.copy_from_slice(src)` (equal lengths) without a `memcpy` call for the short pieces
/// a header is made of: up to 16 bytes take two fixed-size, possibly overlapping, copies.
#[inline]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n != dst.len() || n > 16 {
        dst.copy_from_slice(src);
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..].copy_from_slice(&src[n - 4..]);
    } else if n >= 2 {
        dst[..2].copy_from_slice(&src[..2]);
        dst[n - 2..].copy_from_slice(&src[n - 2..]);
    } else if n == 1 {
        dst[0] = src[0];
    }
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

#[cfg(test)]
mod tests {
    use super::{copy_short, Writer};

    #[test]
    fn int_writes_what_display_writes() {
        let mut cases = vec![
            0,
            1,
            -1,
            9,
            10,
            11,
            99,
            100,
            101,
            999,
            1000,
            i64::MAX,
            i64::MIN,
        ];
        for p in 0..19 {
            let t = 10i64.pow(p);
            cases.extend([t - 1, t, t + 1, -t, -(t - 1), 7 * t + 3]);
        }
        for v in cases {
            let mut buf = [0u8; 24];
            let mut w = Writer {
                buf: &mut buf,
                at: 0,
            };
            w.int(v);
            let at = w.at;
            assert_eq!(std::str::from_utf8(&buf[..at]), Ok(v.to_string().as_str()));
        }
    }

    #[test]
    fn copy_short_copies_every_length() {
        let src: Vec<u8> = (1..=40).collect();
        for n in 0..=40 {
            let mut dst = vec![0u8; n];
            copy_short(&mut dst, &src[..n]);
            assert_eq!(dst, &src[..n], "length {n}");
        }
    }
}
