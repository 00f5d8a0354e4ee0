//! Uppercase hex encoding and hex decoding for message ids.

const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the uppercase hex of `bytes` to `out`.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xF)]));
    }
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
