//! fastjson's non-standard map keys: bare integers (spec §4.2) and objects (spec §4.4).
//!
//! fastjson writes a map keyed by integers with bare keys (`{0:"a"}`) and a map keyed by
//! an object with the key written as that object (`{{"queueId":0}:100}`). Neither is
//! JSON. The decoders first rewrite such keys into JSON strings
//! ([`quote_bare_int_keys`], [`quote_object_keys`]), then let `serde_json` parse the
//! result; [`object_key_map`] turns the string keys back into typed keys. The encoders
//! write object keys with [`write_object_key_map`], as Java readers require them.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::json;

/// Quotes every bare integer object key (`{0:"a",-1:"b"}` → `{"0":"a","-1":"b"}`).
///
/// A bare key is an optional `-` and ASCII digits, right after `{` or `,` (whitespace
/// allowed around it) and followed by `:`, outside string literals. String contents,
/// including escaped quotes, are never rewritten. Returns the input unchanged (not
/// copied) when there is nothing to quote. Works on any bytes; never panics.
pub(crate) fn quote_bare_int_keys(input: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        i += 1;
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b',' => {
                if let Some((start, end)) = bare_key_at(input, i) {
                    let buf = out.get_or_insert_with(|| Vec::with_capacity(input.len() + 16));
                    buf.extend_from_slice(&input[copied..start]);
                    buf.push(b'"');
                    buf.extend_from_slice(&input[start..end]);
                    buf.push(b'"');
                    copied = end;
                    i = end;
                }
            }
            _ => {}
        }
    }
    match out {
        Some(mut buf) => {
            buf.extend_from_slice(&input[copied..]);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(input),
    }
}

/// Finds a bare integer key starting at or after `pos` (after whitespace) and
/// followed by optional whitespace and `:`; returns its byte range.
fn bare_key_at(input: &[u8], pos: usize) -> Option<(usize, usize)> {
    let start = skip_ws(input, pos);
    let mut end = start;
    if input.get(end) == Some(&b'-') {
        end += 1;
    }
    let digits = end;
    while input.get(end).is_some_and(u8::is_ascii_digit) {
        end += 1;
    }
    if end == digits {
        return None;
    }
    (input.get(skip_ws(input, end)) == Some(&b':')).then_some((start, end))
}

fn skip_ws(input: &[u8], mut pos: usize) -> usize {
    while input
        .get(pos)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        pos += 1;
    }
    pos
}

/// Rewrites every object-valued map key into a JSON string holding that object's text
/// (`{{"queueId":0}:1}` → `{"{\"queueId\":0}":1}`), keeping its whitespace.
///
/// A key position is right after `{` or `,` inside an object (whitespace allowed),
/// outside string literals; a `{` there starts a key, which ends at its matching `}`.
/// Keys inside such a key are not rewritten (a `MessageQueue` has none), and a key that
/// never closes is left as it is for the JSON parser to reject. Returns the input
/// unchanged (not copied) when there is nothing to rewrite. Works on any bytes, in
/// linear time and without recursion; never panics.
pub(crate) fn quote_object_keys(input: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    // Open containers: `true` for an object, `false` for an array.
    let mut stack: Vec<bool> = Vec::new();
    let mut at_key = false;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match b {
            b'{' if at_key => {
                let Some(end) = object_end(input, i) else {
                    break;
                };
                let buf = out.get_or_insert_with(|| Vec::with_capacity(input.len() + 64));
                buf.extend_from_slice(&input[copied..i]);
                push_json_string(buf, &input[i..end]);
                copied = end;
                i = end;
                at_key = false;
                continue;
            }
            b'{' => {
                stack.push(true);
                at_key = true;
            }
            b'[' => {
                stack.push(false);
                at_key = false;
            }
            b'}' | b']' => {
                stack.pop();
                at_key = false;
            }
            b',' => at_key = stack.last() == Some(&true),
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'"' => {
                in_string = true;
                at_key = false;
            }
            _ => at_key = false,
        }
        i += 1;
    }
    match out {
        Some(mut buf) => {
            buf.extend_from_slice(&input[copied..]);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(input),
    }
}

/// Returns the index just past the `}` that closes the `{` at `start`, skipping string
/// literals; `None` if the input ends first.
fn object_end(input: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in input.iter().enumerate().skip(start) {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Appends `raw` as a JSON string literal: quotes, backslashes and control bytes are
/// escaped, other bytes copied (invalid UTF-8 stays invalid for the parser to reject).
fn push_json_string(buf: &mut Vec<u8>, raw: &[u8]) {
    buf.push(b'"');
    for &b in raw {
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[usize::from(b >> 4)]);
                buf.push(HEX[usize::from(b & 0xf)]);
            }
            _ => buf.push(b),
        }
    }
    buf.push(b'"');
}

/// Writes a map in fastjson's form for object keys: `{k:v,…}` with each key and value
/// as compact JSON (`{{"brokerName":"b","queueId":0,"topic":"T"}:100}`), in the given
/// order. Not JSON, but what Java's fastjson reads (and writes) for such maps.
pub(crate) fn write_object_key_map<'a, K, V, I>(entries: I) -> String
where
    K: Serialize + 'a,
    V: Serialize + 'a,
    I: IntoIterator<Item = (&'a K, &'a V)>,
{
    let mut out = String::from("{");
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&json::to_string(k));
        out.push(':');
        out.push_str(&json::to_string(v));
    }
    out.push('}');
    out
}

/// `#[serde(deserialize_with = "object_key_map")]` for a `BTreeMap` whose keys are
/// objects (`MessageQueue`), after the body went through [`quote_object_keys`] (or was
/// sent with string keys holding the object's JSON): each string key is parsed as `K`.
///
/// A `null` map reads as empty, entries with a `null` value are skipped, and a repeated
/// key keeps its last value.
pub(crate) fn object_key_map<'de, K, V, D>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    K: DeserializeOwned + Ord,
    V: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Ok(Option::<Entries<K, V>>::deserialize(d)?
        .map(|e| e.0)
        .unwrap_or_default())
}

/// Writes a JSON object field by field, in the caller's (fastjson's sorted) key order;
/// each value is already-encoded text, so object-keyed maps can be embedded.
pub(crate) struct ObjectWriter {
    out: String,
}

impl ObjectWriter {
    /// Starts an object.
    pub(crate) fn new() -> Self {
        Self {
            out: String::from("{"),
        }
    }

    /// Adds `"key":value` where `value` is encoded text.
    pub(crate) fn raw(&mut self, key: &str, value: &str) -> &mut Self {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        self.out.push_str(&json::to_string(key));
        self.out.push(':');
        self.out.push_str(value);
        self
    }

    /// Adds `"key":value` with `value` encoded as compact JSON.
    pub(crate) fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> &mut Self {
        self.raw(key, &json::to_string(value))
    }

    /// Closes the object and returns its text.
    pub(crate) fn finish(&mut self) -> String {
        let mut out = std::mem::take(&mut self.out);
        out.push('}');
        out
    }
}

/// A map read by [`object_key_map`].
struct Entries<K, V>(BTreeMap<K, V>);

impl<'de, K, V> Deserialize<'de> for Entries<K, V>
where
    K: DeserializeOwned + Ord,
    V: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EntriesVisitor(PhantomData))
    }
}

struct EntriesVisitor<K, V>(PhantomData<(K, V)>);

impl<'de, K, V> Visitor<'de> for EntriesVisitor<K, V>
where
    K: DeserializeOwned + Ord,
    V: Deserialize<'de>,
{
    type Value = Entries<K, V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map with object keys")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<Option<V>>()?;
            let key: K = serde_json::from_str(&key).map_err(|e| {
                de::Error::custom(format_args!("map key {key:?} is not a valid object: {e}"))
            })?;
            if let Some(value) = value {
                out.insert(key, value);
            }
        }
        Ok(Entries(out))
    }
}

#[cfg(test)]
mod tests {
    use super::{quote_bare_int_keys, quote_object_keys};

    fn fix(s: &str) -> String {
        String::from_utf8_lossy(&quote_bare_int_keys(s.as_bytes())).into_owned()
    }

    fn quote(s: &str) -> String {
        String::from_utf8_lossy(&quote_object_keys(s.as_bytes())).into_owned()
    }

    #[test]
    fn quotes_bare_keys() {
        assert_eq!(fix(r#"{0:"a",1:"b"}"#), r#"{"0":"a","1":"b"}"#);
        assert_eq!(
            fix(r#"{ -12 : "a" , 3:"b"}"#),
            r#"{ "-12" : "a" , "3":"b"}"#
        );
    }

    #[test]
    fn leaves_strings_arrays_and_values_alone() {
        for s in [
            r#"{"c":"x{1:y,2:z"}"#,
            r#"{"c":"q\"{1:"}"#,
            r#"[1,2,3]"#,
            r#"{"a":1,"b":-2}"#,
            r#"{"a\\":"{1:"}"#,
        ] {
            assert_eq!(fix(s), s);
        }
    }

    #[test]
    fn borrows_when_unchanged() {
        assert!(matches!(
            quote_bare_int_keys(b"{\"0\":1}"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn tolerates_truncation() {
        for s in [&b"{"[..], b",", b"{-", b"{1", b"{1 ", b"\"\\"] {
            let _ = quote_bare_int_keys(s);
        }
    }

    #[test]
    fn quotes_object_keys() {
        assert_eq!(
            quote(r#"{"t":{{"q":0}:1,{"q":1}:2}}"#),
            r#"{"t":{"{\"q\":0}":1,"{\"q\":1}":2}}"#
        );
        assert_eq!(
            quote("{ {\n\t\"q\":\"a\\\"}\"\n} :1}"),
            r#"{ "{\n\t\"q\":\"a\\\"}\"\n}" :1}"#
        );
        assert_eq!(
            quote(r#"{{"a":{"b":[1,{"c":2}]}}:1}"#),
            r#"{"{\"a\":{\"b\":[1,{\"c\":2}]}}":1}"#
        );
        assert_eq!(
            quote("{{\"a\":\"\u{1}\"}:1}"),
            r#"{"{\"a\":\"\u0001\"}":1}"#
        );
    }

    #[test]
    fn leaves_values_arrays_and_strings_alone() {
        for s in [
            r#"{"a":{"b":1},"c":[{"d":2},{"e":3}]}"#,
            r#"[{"a":1},{"b":2}]"#,
            r#"{"a":"{{\"b\":1}:2}","c":"x\\"}"#,
            r#"{"a":[{}, {}]}"#,
        ] {
            assert_eq!(quote(s), s);
            assert!(matches!(
                quote_object_keys(s.as_bytes()),
                std::borrow::Cow::Borrowed(_)
            ));
        }
    }

    #[test]
    fn object_keys_tolerate_truncation_and_garbage() {
        assert_eq!(quote(r#"{"a":1,{"b""#), r#"{"a":1,{"b""#);
        for s in [
            &b"{{"[..],
            b"{,{",
            b"}}{{",
            b"]{{\"\\",
            b"{{]]}:",
            b"\xff{{\xfe}:1}",
        ] {
            let _ = quote_object_keys(s);
        }
    }
}
