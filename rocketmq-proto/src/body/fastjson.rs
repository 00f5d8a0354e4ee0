//! Repairs fastjson's non-standard output: bare integer map keys (spec §4.2).

use std::borrow::Cow;

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

#[cfg(test)]
mod tests {
    use super::quote_bare_int_keys;

    fn fix(s: &str) -> String {
        String::from_utf8_lossy(&quote_bare_int_keys(s.as_bytes())).into_owned()
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
}
