//! The fast path for JSON headers: one pass over the compact form Java and the Rust broker
//! write (no whitespace, no escapes, known keys), with no parser machinery.
//!
//! It never decides anything on its own: when the text is outside that form it answers
//! `None` and the caller falls back to the complete serde decoder. When it answers `Some`, the
//! result equals what the serde decoder returns for the same text (a differential test and a
//! fuzz target check this).

use crate::code::LanguageCode;
use crate::command::RemotingCommand;
use crate::ext_fields::{intern, ExtFields};
use crate::frame::{CommandHead, HeaderView};

/// Decodes a compact header, or `None` when the text needs the full decoder.
pub(crate) fn decode(text: &str) -> Option<RemotingCommand> {
    let mut ext = Owned(None);
    let (head, remark) = scan(text, &mut ext)?;
    Some(RemotingCommand {
        code: head.code,
        language: head.language,
        version: head.version,
        opaque: head.opaque,
        flag: head.flag,
        remark: remark.map(str::to_owned),
        ext_fields: ext.0.unwrap_or_default(),
        body: bytes::Bytes::new(),
    })
}

/// Reads a compact header into `view` without allocating; `false` when [`decode`] would not
/// take it (or it has more than [`VIEW_FIELDS`] ext fields), `view` then holding part of it.
pub(crate) fn read_into<'a>(text: &'a str, view: &mut HeaderView<'a>) -> bool {
    view.len = 0;
    let mut sink = Borrowed {
        view,
        overflow: false,
    };
    let Some((head, remark)) = scan(text, &mut sink) else {
        return false;
    };
    if sink.overflow {
        return false;
    }
    view.head = head;
    view.remark = remark;
    true
}

/// Where the ext fields a scan finds go.
trait ExtSink<'a> {
    /// A non-null `extFields` object begins; its text is at most `bound` bytes.
    fn start(&mut self, bound: usize);
    /// One non-null entry, in order (the full decoder skips null values too).
    fn field(&mut self, key: &'a str, value: &'a str);
}

/// Ext fields copied into an owned map.
struct Owned(Option<ExtFields>);

impl<'a> ExtSink<'a> for Owned {
    fn start(&mut self, bound: usize) {
        self.0 = Some(ExtFields::with_capacities(8, bound));
    }
    fn field(&mut self, key: &'a str, value: &'a str) {
        if let Some(ext) = &mut self.0 {
            ext.insert(intern(key), value);
        }
    }
}

/// Ext fields kept as slices of the header in a view, up to [`VIEW_FIELDS`].
struct Borrowed<'v, 'a> {
    view: &'v mut HeaderView<'a>,
    overflow: bool,
}

impl<'a> ExtSink<'a> for Borrowed<'_, 'a> {
    fn start(&mut self, _bound: usize) {}
    fn field(&mut self, key: &'a str, value: &'a str) {
        match self.view.fields.get_mut(self.view.len) {
            Some(slot) => {
                *slot = (key, value);
                self.view.len += 1;
            }
            None => self.overflow = true,
        }
    }
}

/// One pass over a compact header: the head and the remark (when not empty) are returned,
/// the ext fields go to `ext`.
fn scan<'a>(text: &'a str, ext: &mut impl ExtSink<'a>) -> Option<(CommandHead, Option<&'a str>)> {
    let mut s = Scanner { text, at: 0 };
    let mut head = CommandHead {
        code: 0,
        language: LanguageCode::default(),
        version: 0,
        opaque: 0,
        flag: 0,
    };
    let mut remark = None;
    let mut seen = 0u8;
    s.eat(b'{')?;
    if !s.try_eat(b'}') {
        loop {
            let key = s.string()?;
            s.eat(b':')?;
            let bit = match key {
                "code" => {
                    head.code = s.int()?;
                    1
                }
                "flag" => {
                    head.flag = s.int()?;
                    2
                }
                "opaque" => {
                    head.opaque = s.int()?;
                    4
                }
                "version" => {
                    head.version = s.int()?;
                    8
                }
                "language" => {
                    head.language = if s.peek() == Some(b'"') {
                        LanguageCode::from_name(s.string()?).unwrap_or(LanguageCode::OTHER)
                    } else {
                        // Our encoder writes a code without a name as its number.
                        LanguageCode(u8::try_from(s.int()?).ok()?)
                    };
                    16
                }
                "remark" => {
                    remark = s.string_or_null()?;
                    32
                }
                "extFields" => {
                    if !s.try_null() {
                        ext.start(s.text.len() - s.at);
                        s.ext_fields(ext)?;
                    }
                    64
                }
                // Ignored by the full decoder too, whatever its value; only strings here.
                "serializeTypeCurrentRPC" => {
                    s.string()?;
                    128
                }
                _ => return None,
            };
            // The full decoder rejects a repeated field.
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            if s.try_eat(b'}') {
                break;
            }
            s.eat(b',')?;
        }
    }
    if s.at != text.len() {
        return None;
    }
    Some((head, remark.filter(|r| !r.is_empty())))
}

struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.at += 1)
    }

    fn try_eat(&mut self, b: u8) -> bool {
        self.eat(b).is_some()
    }

    fn try_null(&mut self) -> bool {
        let null = self.text.as_bytes()[self.at..].starts_with(b"null");
        if null {
            self.at += 4;
        }
        null
    }

    /// A string with no escapes and no control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let rest = &self.text.as_bytes()[self.at..];
        let len = find_special(rest)?;
        if rest[len] != b'"' {
            return None;
        }
        let s = self.text.get(self.at..self.at + len)?;
        self.at += len + 1;
        Some(s)
    }

    fn string_or_null(&mut self) -> Option<Option<&'a str>> {
        if self.try_null() {
            return Some(None);
        }
        self.string().map(Some)
    }

    /// An integer in JSON's form (no leading zeros, no fraction or exponent) that fits `i32`.
    fn int(&mut self) -> Option<i32> {
        let neg = self.try_eat(b'-');
        let digits = &self.text.as_bytes()[self.at..];
        let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
        // serde_json reads `-0` as a float, which the full decoder rejects for an integer.
        if len == 0 || len > 10 || (len > 1 && digits[0] == b'0') || (neg && digits[0] == b'0') {
            return None;
        }
        if matches!(digits.get(len), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let mut v: i64 = 0;
        for &d in &digits[..len] {
            v = v * 10 + i64::from(d - b'0');
        }
        self.at += len;
        i32::try_from(if neg { -v } else { v }).ok()
    }

    /// `{"k":"v",...}` with string or null values, each non-null one given to `ext`.
    fn ext_fields(&mut self, ext: &mut impl ExtSink<'a>) -> Option<()> {
        self.eat(b'{')?;
        if self.try_eat(b'}') {
            return Some(());
        }
        loop {
            let k = self.string()?;
            self.eat(b':')?;
            if let Some(v) = self.string_or_null()? {
                ext.field(k, v);
            }
            if self.try_eat(b'}') {
                return Some(());
            }
            self.eat(b',')?;
        }
    }
}

/// Index of the first byte a JSON string cannot hold as is (`"`, `\\` or a control byte),
/// eight bytes at a time.
pub(crate) fn find_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(chunk);
        // Per byte, high bit set where: byte < 0x20 (ASCII only), byte == '"', byte == '\\'.
        // Borrows may mark bytes after the first hit, never before it.
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let quote = w ^ (ONES * u64::from(b'"'));
        let quote = quote.wrapping_sub(ONES) & !quote & HIGH;
        let slash = w ^ (ONES * u64::from(b'\\'));
        let slash = slash.wrapping_sub(ONES) & !slash & HIGH;
        let hits = control | quote | slash;
        if hits != 0 {
            return Some(at + hits.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::find_special;

    #[test]
    fn find_special_matches_a_byte_scan() {
        let slow = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
        let mut cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"plain ascii text, long enough for two words".to_vec(),
            "h\u{e9}llo w\u{f6}rld \u{20ac}\u{20ac}\u{20ac}\""
                .as_bytes()
                .to_vec(),
        ];
        for special in [b'"', b'\\', 0x00, 0x01, 0x1f] {
            for pos in 0..20 {
                let mut v = vec![b'a'; 20];
                v[pos] = special;
                // Bytes that must not match: 0x20, 0x7f, 0x80, 0xff, '#' and ']' near it.
                if pos + 1 < 20 {
                    v[pos + 1] = [0x20, 0x7f, 0x80, 0xff, b'#', b']'][pos % 6];
                }
                cases.push(v);
            }
        }
        for b in 0u8..=255 {
            cases.push(vec![b; 11]);
        }
        for c in &cases {
            assert_eq!(find_special(c), slow(c), "{c:?}");
        }
    }
}
