//! Message body compression (`C/compression/*Compressor.java`): ZLIB, LZ4 and ZSTD, with
//! decompressors bounded against bombs.
//!
//! | type | sysFlag bits | format | level |
//! |---|---|---|---|
//! | [`CompressionType::Zlib`] | `0x300` (0 = legacy zlib) | RFC 1950, like `java.util.zip.Deflater` | 0–9 |
//! | [`CompressionType::Lz4`] | `0x100` | LZ4 *frame*, like `LZ4FrameOutputStream` | ignored (as Java) |
//! | [`CompressionType::Zstd`] | `0x200` | zstd frame, like `ZstdOutputStream` | 1–22 |
//!
//! LZ4 is `lz4_flex` (pure Rust, no `unsafe` in its default build); ZSTD is the reference
//! C library through the `zstd` crate.

use std::io::{Read, Write};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;

use super::error::MessageDecodeError;
use super::flags::sys_flag;

/// Java's default compression level (`rocketmq.message.compressLevel`).
pub const DEFAULT_COMPRESS_LEVEL: u32 = 5;
/// Highest zstd level.
pub const MAX_ZSTD_LEVEL: u32 = 22;
/// Smallest zstd window a decoder accepts whatever its output cap (8 MiB: what encoders use
/// up to level 19 with an unknown input size).
const MIN_ZSTD_WINDOW_LOG: u32 = 23;
/// Largest zstd window a decoder accepts (zstd's own default limit, 128 MiB).
const MAX_ZSTD_WINDOW_LOG: u32 = 27;

/// A body compression algorithm (Java `CompressionType`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CompressionType {
    /// zlib (RFC 1950); Java's default.
    #[default]
    Zlib,
    /// LZ4 frame format.
    Lz4,
    /// Zstandard frame format.
    Zstd,
}

impl CompressionType {
    /// The sysFlag bits of this type (without [`sys_flag::COMPRESSED_FLAG`]).
    pub const fn sys_flag(self) -> i32 {
        match self {
            Self::Zlib => sys_flag::COMPRESSION_ZLIB,
            Self::Lz4 => sys_flag::COMPRESSION_LZ4,
            Self::Zstd => sys_flag::COMPRESSION_ZSTD,
        }
    }

    /// The type named by the compression bits of `flag` (0 is legacy zlib); `None` for bits
    /// no Java client writes.
    pub fn from_sys_flag(flag: i32) -> Option<Self> {
        match sys_flag::compression_type(flag) {
            0 | sys_flag::COMPRESSION_ZLIB => Some(Self::Zlib),
            sys_flag::COMPRESSION_LZ4 => Some(Self::Lz4),
            sys_flag::COMPRESSION_ZSTD => Some(Self::Zstd),
            _ => None,
        }
    }

    /// Parses Java's names `ZLIB`, `LZ4`, `ZSTD` (case-insensitive), as
    /// `CompressionType.of` does for `rocketmq.message.compressType`.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Zlib, Self::Lz4, Self::Zstd]
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Java's name of the type.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Zlib => "ZLIB",
            Self::Lz4 => "LZ4",
            Self::Zstd => "ZSTD",
        }
    }

    /// The levels this type accepts (LZ4 has none and ignores the level, as Java).
    pub const fn levels(self) -> std::ops::RangeInclusive<u32> {
        match self {
            Self::Zlib => 0..=9,
            Self::Lz4 => 0..=u32::MAX,
            Self::Zstd => 1..=MAX_ZSTD_LEVEL,
        }
    }
}

/// Compresses `data` with `ty` at `level` (clamped to [`CompressionType::levels`]).
///
/// Fails only on an internal compressor error; callers then send the body as it is.
pub fn compress(data: &[u8], ty: CompressionType, level: u32) -> std::io::Result<Vec<u8>> {
    let level = level.clamp(*ty.levels().start(), *ty.levels().end());
    match ty {
        CompressionType::Zlib => {
            let mut enc = ZlibEncoder::new(
                Vec::with_capacity(data.len() / 2 + 64),
                Compression::new(level),
            );
            enc.write_all(data)?;
            enc.finish()
        }
        CompressionType::Lz4 => {
            let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::with_capacity(data.len() / 2));
            enc.write_all(data)?;
            enc.finish().map_err(std::io::Error::other)
        }
        // The level is at most 22, so the cast cannot wrap.
        CompressionType::Zstd => zstd::bulk::compress(data, level as i32),
    }
}

/// Compresses `data` as an RFC 1950 zlib stream, like `java.util.zip.Deflater(level)`.
///
/// `level` is clamped to `0..=9`.
pub fn compress_zlib(data: &[u8], level: u32) -> Vec<u8> {
    // Writing into a Vec cannot fail.
    compress(data, CompressionType::Zlib, level).unwrap_or_default()
}

/// Decompresses a body according to the compression type bits of `sys_flag`.
///
/// Types 0 (legacy) and `0x300` are zlib, `0x100` LZ4 and `0x200` ZSTD; other bits give
/// [`MessageDecodeError::UnsupportedCompression`]. Output longer than `max_len` gives
/// [`MessageDecodeError::DecompressedTooLarge`] without allocating more than about
/// twice `max_len` (zstd may also reserve its window, at most 128 MiB). The caller decides
/// whether the body is compressed at all ([`sys_flag::COMPRESSED_FLAG`]). Errors carry
/// record index 0.
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
    let Some(ty) = CompressionType::from_sys_flag(flag) else {
        return Err(MessageDecodeError::UnsupportedCompression {
            index,
            compression_type: sys_flag::compression_type(flag),
        });
    };
    if data.is_empty() {
        // Every compressed stream has a header; the LZ4 reader would take none as no frame.
        return Err(MessageDecodeError::Decompress {
            index,
            message: format!("{}: empty input", ty.name()),
        });
    }
    inflate(ty, data, max_len, index).map_err(|e| match e {
        MessageDecodeError::Decompress { index, message } => MessageDecodeError::Decompress {
            index,
            message: format!("{}: {message}", ty.name()),
        },
        other => other,
    })
}

/// Inflates `data` of type `ty`, capped at `max_len`.
fn inflate(
    ty: CompressionType,
    data: &[u8],
    max_len: usize,
    index: usize,
) -> Result<Vec<u8>, MessageDecodeError> {
    let failed = |e: std::io::Error| MessageDecodeError::Decompress {
        index,
        message: e.to_string(),
    };
    match ty {
        CompressionType::Zlib => read_capped(ZlibDecoder::new(data), data, max_len, index),
        CompressionType::Lz4 => {
            let dec = lz4_flex::frame::FrameDecoder::new(data);
            let out = read_capped(dec, data, max_len, index)?;
            if out.is_empty() {
                // lz4_flex reads a frame cut inside its header as no frame at all.
                return Err(failed(std::io::Error::other("truncated frame")));
            }
            Ok(out)
        }
        CompressionType::Zstd => {
            let mut dec = zstd::stream::read::Decoder::with_buffer(data).map_err(failed)?;
            dec.window_log_max(zstd_window_log_max(max_len))
                .map_err(failed)?;
            // A zstd stream may hold several frames; Java's reader reads them all.
            read_capped(dec, data, max_len, index)
        }
    }
}

/// The largest zstd window a decoder capped at `max_len` accepts.
fn zstd_window_log_max(max_len: usize) -> u32 {
    let needed = usize::BITS - max_len.saturating_sub(1).leading_zeros();
    needed.clamp(MIN_ZSTD_WINDOW_LOG, MAX_ZSTD_WINDOW_LOG)
}

/// Reads `reader` to its end, failing once more than `max_len` bytes come out.
fn read_capped(
    reader: impl Read,
    input: &[u8],
    max_len: usize,
    index: usize,
) -> Result<Vec<u8>, MessageDecodeError> {
    let limit = u64::try_from(max_len).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::with_capacity(input.len().saturating_mul(4).min(max_len));
    reader
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

    const ALL: [CompressionType; 3] = [
        CompressionType::Zlib,
        CompressionType::Lz4,
        CompressionType::Zstd,
    ];

    fn flag(t: CompressionType) -> i32 {
        t.sys_flag() | sys_flag::COMPRESSED_FLAG
    }

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
    fn every_type_round_trips_with_its_magic_and_flag() {
        let data = b"rocketmq rocketmq rocketmq ".repeat(500);
        for (t, magic) in [
            (CompressionType::Zlib, &[0x78][..]),
            (CompressionType::Lz4, &[0x04, 0x22, 0x4D, 0x18][..]),
            (CompressionType::Zstd, &[0x28, 0xB5, 0x2F, 0xFD][..]),
        ] {
            let c = compress(&data, t, DEFAULT_COMPRESS_LEVEL).unwrap();
            assert!(c.starts_with(magic), "{t:?}: {:02x?}", &c[..4]);
            assert!(c.len() < data.len() / 10, "{t:?} compresses: {}", c.len());
            assert_eq!(decompress(&c, flag(t), data.len()).unwrap(), data, "{t:?}");
            assert_eq!(CompressionType::from_sys_flag(flag(t)), Some(t));
            assert_eq!(
                CompressionType::from_name(&t.name().to_lowercase()),
                Some(t)
            );
        }
        assert_eq!(
            CompressionType::from_sys_flag(0x1),
            Some(CompressionType::Zlib)
        );
        assert_eq!(CompressionType::from_name("snappy"), None);
    }

    #[test]
    fn levels_are_clamped_not_rejected() {
        let data = b"abcabcabcabc".repeat(100);
        for t in ALL {
            for level in [0, 1, 9, 50] {
                let c = compress(&data, t, level).unwrap();
                assert_eq!(decompress(&c, flag(t), data.len()).unwrap(), data);
            }
        }
    }

    #[test]
    fn bombs_are_capped_for_every_type() {
        let zeros = vec![0u8; 8 << 20];
        for t in ALL {
            let z = compress(&zeros, t, 9).unwrap();
            assert!(z.len() < 64 << 10, "{t:?}: {}", z.len());
            assert_eq!(
                decompress(&z, flag(t), 1 << 20),
                Err(MessageDecodeError::DecompressedTooLarge {
                    index: 0,
                    max: 1 << 20
                }),
                "{t:?}"
            );
            assert_eq!(decompress(&z, flag(t), 8 << 20).unwrap().len(), 8 << 20);
        }
    }

    #[test]
    fn unsupported_and_corrupt() {
        for t in [0x400, 0x500, 0x600, 0x700] {
            assert_eq!(
                decompress(b"x", t | 1, 10),
                Err(MessageDecodeError::UnsupportedCompression {
                    index: 0,
                    compression_type: t
                })
            );
        }
        for t in ALL {
            let z = compress(b"some body some body some body", t, 5).unwrap();
            for cut in 0..z.len() {
                let r = decompress(z.get(..cut).unwrap(), flag(t), 100);
                // lz4_flex accepts a frame whose 4-byte end mark is missing.
                if t == CompressionType::Lz4 && cut >= z.len() - 4 {
                    assert_eq!(r.as_deref(), Ok(&b"some body some body some body"[..]));
                    continue;
                }
                assert!(
                    matches!(r, Err(MessageDecodeError::Decompress { .. })),
                    "{t:?} {cut}: {r:?}"
                );
            }
            let mut flipped = z.clone();
            let last = flipped.len() - 1;
            flipped[last / 2] ^= 0xFF;
            // A flipped byte is an error or, at worst, different bytes: never a panic.
            let _ = decompress(&flipped, flag(t), 100);
        }
    }

    #[test]
    fn zstd_window_limit_follows_the_cap() {
        assert_eq!(zstd_window_log_max(100), MIN_ZSTD_WINDOW_LOG);
        assert_eq!(zstd_window_log_max(1 << 25), 25);
        assert_eq!(zstd_window_log_max((1 << 25) + 1), 26);
        assert_eq!(zstd_window_log_max(usize::MAX), MAX_ZSTD_WINDOW_LOG);
    }
}
