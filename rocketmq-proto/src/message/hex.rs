//! Uppercase hex encoding and hex decoding for message ids.

const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the uppercase hex of `bytes` to `out`.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    // Sixteen bytes at a time through a stack buffer: one append per chunk, not per digit.
    let mut buf = [0u8; 32];
    for chunk in bytes.chunks(16) {
        let text = encode_hex_into(chunk, &mut buf);
        out.push_str(text);
    }
}

/// Writes the uppercase hex of `bytes` to the front of `buf` (at least twice as long) and
/// returns it; bytes that do not fit are left out.
pub(crate) fn encode_hex_into<'a>(bytes: &[u8], buf: &'a mut [u8]) -> &'a str {
    let mut len = 0;
    for (pair, &b) in buf.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xF)];
        len += 2;
    }
    // Hex digits are ASCII, so this never fails.
    std::str::from_utf8(&buf[..len]).unwrap_or_default()
}

/// Decodes hex digits (either case) into `out`, which must be half as long as `s`.
///
/// On failure returns the byte position of the first non-hex character.
pub(crate) fn decode_hex_into(s: &[u8], out: &mut [u8]) -> Result<(), usize> {
    if s.len() != out.len() * 2 {
        return Err(s.len().min(out.len() * 2));
    }
    for (i, (pair, o)) in s.chunks_exact(2).zip(out.iter_mut()).enumerate() {
        let (hi, lo) = match pair {
            [hi, lo] => (*hi, *lo),
            _ => return Err(i * 2),
        };
        let hi = nibble(hi).ok_or(i * 2)?;
        let lo = nibble(lo).ok_or(i * 2 + 1)?;
        *o = (hi << 4) | lo;
    }
    Ok(())
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_hex_writes_two_uppercase_digits_per_byte_at_every_length() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let mut s = String::from("kept");
            push_hex(&mut s, &bytes);
            let want: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
            assert_eq!(s, format!("kept{want}"), "{len} bytes");
        }
    }

    #[test]
    fn encode_hex_into_leaves_out_bytes_that_do_not_fit() {
        let mut buf = [0u8; 5];
        assert_eq!(encode_hex_into(&[0x1F, 0xA0, 0x07], &mut buf), "1FA0");
        assert_eq!(encode_hex_into(&[], &mut buf), "");
    }

    #[test]
    fn round_trip() {
        let mut s = String::new();
        push_hex(&mut s, &[0x00, 0xAB, 0x7F, 0xFF]);
        assert_eq!(s, "00AB7FFF");
        let mut out = [0u8; 4];
        decode_hex_into(b"00ab7fFF", &mut out).unwrap();
        assert_eq!(out, [0x00, 0xAB, 0x7F, 0xFF]);
        assert_eq!(decode_hex_into(b"00aG", &mut [0u8; 2]), Err(3));
        assert_eq!(decode_hex_into(b"000", &mut [0u8; 2]), Err(3));
    }
}
