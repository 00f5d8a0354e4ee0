//! Message body compression (`C/compression/*Compressor.java`): ZLIB only.

use std::io::{Read, Write};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;

use super::error::MessageDecodeError;
use super::flags::sys_flag;

/// Java's default compression level (`rocketmq.message.compressLevel`).
pub const DEFAULT_COMPRESS_LEVEL: u32 = 5;

/// Compresses `data` as an RFC 1950 zlib stream, like `java.util.zip.Deflater(level)`.
///
/// `level` is clamped to `0..=9`.
pub fn compress_zlib(data: &[u8], level: u32) -> Vec<u8> {
    let mut enc = ZlibEncoder::new(
        Vec::with_capacity(data.len() / 2 + 64),
        Compression::new(level.min(9)),
    );
    // Writing into a Vec cannot fail, so neither step returns an error in practice.
    if enc.write_all(data).is_err() {
        return Vec::new();
    }
    enc.finish().unwrap_or_default()
}

/// Decompresses a body according to the compression type bits of `sys_flag`.
///
/// Types 0 (legacy) and `0x300` are zlib; LZ4, ZSTD and unknown types give
/// [`MessageDecodeError::UnsupportedCompression`]. Output longer than `max_len` gives
/// [`MessageDecodeError::DecompressedTooLarge`] without allocating more than about
/// twice `max_len`. The caller decides whether the body is compressed at all
/// ([`sys_flag::COMPRESSED_FLAG`]). Errors carry record index 0.
pub fn decompress(
    data: &[u8],
    sys_flag: i32,
    max_len: usize,
) -> Result<Vec<u8>, MessageDecodeError> {
    decompress_record(data, sys_flag, max_len, 0)
}

/// [`decompress`] reporting errors for record `index`.
pub(crate) fn decompress_record(
    data: &[u8],
    flag: i32,
    max_len: usize,
    index: usize,
) -> Result<Vec<u8>, MessageDecodeError> {
    let compression_type = sys_flag::compression_type(flag);
    if compression_type != 0 && compression_type != sys_flag::COMPRESSION_ZLIB {
        return Err(MessageDecodeError::UnsupportedCompression {
            index,
            compression_type,
        });
    }
    let limit = u64::try_from(max_len).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(max_len));
    ZlibDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| MessageDecodeError::Decompress {
            index,
            message: e.to_string(),
        })?;
    if out.len() > max_len {
        return Err(MessageDecodeError::DecompressedTooLarge {
            index,
            max: max_len,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zlib_round_trip_and_header() {
        let data = b"hello hello hello hello".repeat(10);
        let z = compress_zlib(&data, DEFAULT_COMPRESS_LEVEL);
        assert_eq!(z.first(), Some(&0x78));
        assert_eq!(decompress(&z, 0x301, 1 << 20).unwrap(), data);
        assert_eq!(decompress(&z, 0x1, 1 << 20).unwrap(), data);
        assert_eq!(decompress(&z, 0x1, data.len()).unwrap(), data);
        assert_eq!(
            decompress(&z, 0x1, data.len() - 1),
            Err(MessageDecodeError::DecompressedTooLarge {
                index: 0,
                max: data.len() - 1
            })
        );
    }

    #[test]
    fn zip_bomb_is_capped() {
        let z = compress_zlib(&vec![0u8; 8 << 20], 9);
        assert!(z.len() < 64 << 10);
        assert!(matches!(
            decompress(&z, 0, 1 << 20),
            Err(MessageDecodeError::DecompressedTooLarge { .. })
        ));
    }

    #[test]
    fn unsupported_and_corrupt() {
        for t in [0x100, 0x200, 0x400, 0x700] {
            assert_eq!(
                decompress(b"x", t | 1, 10),
                Err(MessageDecodeError::UnsupportedCompression {
                    index: 0,
                    compression_type: t
                })
            );
        }
        let z = compress_zlib(b"some body some body", 5);
        for cut in 0..z.len() {
            let r = decompress(z.get(..cut).unwrap(), 0, 100);
            assert!(
                matches!(r, Err(MessageDecodeError::Decompress { .. })),
                "{cut}: {r:?}"
            );
        }
    }
}
