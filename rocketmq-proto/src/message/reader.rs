//! A bounds-checked big-endian reader over one record of a message buffer.

use super::error::MessageDecodeError;

/// Reads fields of record `index`, never past `end` (the record's end).
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
    index: usize,
    total_size: Option<i32>,
}

impl<'a> Reader<'a> {
    /// Starts reading record `index` at `pos`; the record end is the buffer end until
    /// [`Reader::limit`] is called.
    pub(crate) fn new(buf: &'a [u8], pos: usize, index: usize) -> Self {
        Self {
            buf,
            pos,
            end: buf.len(),
            index,
            total_size: None,
        }
    }

    /// Current offset in the buffer.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Record index, for errors.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// Restricts reading to `total_size` bytes from `record_start`.
    ///
    /// Fails with `Truncated` if the buffer is shorter than that.
    pub(crate) fn limit(
        &mut self,
        record_start: usize,
        total_size: i32,
        min: usize,
    ) -> Result<(), MessageDecodeError> {
        let size = usize::try_from(total_size)
            .ok()
            .filter(|&s| s >= min)
            .ok_or(MessageDecodeError::BadTotalSize {
                index: self.index,
                offset: record_start,
                total_size,
                reason: "is smaller than the smallest possible record",
            })?;
        let available = self.buf.len().saturating_sub(record_start);
        if size > available {
            return Err(MessageDecodeError::Truncated {
                index: self.index,
                field: "record",
                offset: record_start,
                needed: size,
                available,
            });
        }
        self.end = record_start + size;
        self.total_size = Some(total_size);
        Ok(())
    }

    /// Fails unless every byte of the record has been read.
    pub(crate) fn finish(&self, record_start: usize) -> Result<(), MessageDecodeError> {
        if self.pos == self.end {
            Ok(())
        } else {
            Err(MessageDecodeError::BadTotalSize {
                index: self.index,
                offset: record_start,
                total_size: self.total_size.unwrap_or_default(),
                reason: "is larger than the record's fields",
            })
        }
    }

    /// Takes the next `n` bytes of `field`.
    pub(crate) fn take(
        &mut self,
        n: usize,
        field: &'static str,
    ) -> Result<&'a [u8], MessageDecodeError> {
        let end = self.pos.saturating_add(n);
        let bytes = match self.buf.get(self.pos..end) {
            Some(bytes) if end <= self.end => bytes,
            _ => return Err(self.overrun(n, field)),
        };
        self.pos = end;
        Ok(bytes)
    }

    /// The error for a read of `n` bytes that does not fit.
    fn overrun(&self, n: usize, field: &'static str) -> MessageDecodeError {
        match self.total_size {
            Some(total_size) => MessageDecodeError::FieldExceedsRecord {
                index: self.index,
                field,
                offset: self.pos,
                total_size,
            },
            None => MessageDecodeError::Truncated {
                index: self.index,
                field,
                offset: self.pos,
                needed: n,
                available: self.buf.len().saturating_sub(self.pos),
            },
        }
    }

    /// Reads a fixed-size array.
    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], MessageDecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, field)?);
        Ok(a)
    }

    /// Reads a big-endian i32.
    pub(crate) fn i32(&mut self, field: &'static str) -> Result<i32, MessageDecodeError> {
        self.array(field).map(i32::from_be_bytes)
    }

    /// Reads a big-endian i64.
    pub(crate) fn i64(&mut self, field: &'static str) -> Result<i64, MessageDecodeError> {
        self.array(field).map(i64::from_be_bytes)
    }

    /// Reads a non-negative length of `width` bytes (1, 2 or 4, signed).
    pub(crate) fn len(
        &mut self,
        width: usize,
        field: &'static str,
    ) -> Result<usize, MessageDecodeError> {
        let offset = self.pos;
        let len = match width {
            1 => i32::from(i8::from_be_bytes(self.array(field)?)),
            2 => i32::from(i16::from_be_bytes(self.array(field)?)),
            _ => i32::from_be_bytes(self.array(field)?),
        };
        usize::try_from(len).map_err(|_| MessageDecodeError::NegativeLength {
            index: self.index,
            field,
            offset,
            len,
        })
    }

    /// Reads a UTF-8 string of `n` bytes.
    pub(crate) fn str(
        &mut self,
        n: usize,
        field: &'static str,
    ) -> Result<&'a str, MessageDecodeError> {
        let offset = self.pos;
        let bytes = self.take(n, field)?;
        std::str::from_utf8(bytes).map_err(|_| MessageDecodeError::InvalidUtf8 {
            index: self.index,
            field,
            offset,
        })
    }
}
