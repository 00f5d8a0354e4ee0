//! Message ids: the client `UNIQ_KEY` (`MessageClientIDSetter.java`) and the broker's
//! offset id (`MessageDecoder.createMessageId`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::civil::month_bounds_utc;
use super::error::MessageIdError;
use super::hex::{decode_hex_into, encode_hex_into, push_hex};

/// Generator of `UNIQ_KEY` ids, built from injected process identity only.
///
/// Layout (uppercase hex): IP (4 or 16 bytes), pid as i16, a per-process random i32,
/// i32 milliseconds since the start of the current month, i16 counter (wraps).
///
/// Java measures the month start in the JVM's *local* time zone; this generator uses
/// UTC, so its ids are not time-comparable with Java's across time zones (brokers
/// treat the id as opaque, so this only matters for tools that decode the time).
/// Like Java, the milliseconds are cast to i32 (wrapping after about 24.8 days into
/// the month) and values in `(-1_000_000, 0)` are replaced by 0.
#[derive(Debug, Clone)]
pub struct UniqIdGenerator {
    prefix: String,
    month_start: i64,
    month_end: i64,
    counter: i16,
}

impl UniqIdGenerator {
    /// Creates a generator for this process; the counter starts at 0 as in Java.
    pub fn new(ip: IpAddr, pid: u32, random: i32) -> Self {
        let mut prefix = String::with_capacity(48);
        match ip {
            IpAddr::V4(v4) => push_hex(&mut prefix, &v4.octets()),
            IpAddr::V6(v6) => push_hex(&mut prefix, &v6.octets()),
        }
        // Java keeps the low 16 bits of the pid.
        push_hex(&mut prefix, &(pid as i16).to_be_bytes());
        push_hex(&mut prefix, &random.to_be_bytes());
        Self {
            prefix,
            month_start: 0,
            month_end: 0,
            counter: 0,
        }
    }

    /// The fixed per-process part of every id (24 or 48 hex characters).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Returns a new id for the time `unix_millis` (ms since the Unix epoch).
    pub fn next_id(&mut self, unix_millis: i64) -> String {
        let id = self.next(unix_millis);
        self.to_string(id)
    }

    /// Appends a new id for the time `unix_millis` to `out`.
    pub fn next_id_into(&mut self, unix_millis: i64, out: &mut String) {
        let id = self.next(unix_millis);
        self.write(id, out);
    }

    /// Takes the next id for the time `unix_millis` as a compact value; spell it with
    /// [`write`](Self::write) or [`to_string`](Self::to_string) of this generator.
    pub fn next(&mut self, unix_millis: i64) -> UniqId {
        if unix_millis < self.month_start || unix_millis >= self.month_end {
            (self.month_start, self.month_end) = month_bounds_utc(unix_millis);
        }
        let id = UniqId {
            millis_in_month: millis_in_month(unix_millis, self.month_start),
            counter: self.counter,
        };
        self.counter = self.counter.wrapping_add(1);
        id
    }

    /// Appends the text of `id` (taken from this generator) to `out`.
    pub fn write(&self, id: UniqId, out: &mut String) {
        // The per-message 6 bytes through one stack buffer: two appends in all.
        let [m0, m1, m2, m3] = id.millis_in_month.to_be_bytes();
        let [c0, c1] = id.counter.to_be_bytes();
        let mut buf = [0u8; 12];
        out.reserve(self.id_len());
        out.push_str(&self.prefix);
        out.push_str(encode_hex_into(&[m0, m1, m2, m3, c0, c1], &mut buf));
    }

    /// The text of `id` (taken from this generator).
    pub fn to_string(&self, id: UniqId) -> String {
        let mut out = String::with_capacity(self.id_len());
        self.write(id, &mut out);
        out
    }

    /// Length of every id's text (32 or 56 characters).
    pub fn id_len(&self) -> usize {
        self.prefix.len() + 12
    }
}

/// The per-message part of a `UNIQ_KEY`: 8 bytes instead of a 32-character string, so a
/// pending send holds it inline; the generator that took it spells it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UniqId {
    millis_in_month: i32,
    counter: i16,
}

/// Java's `(int) (now - monthStart)`, with `(-1_000_000, 0)` forced to 0.
fn millis_in_month(unix_millis: i64, month_start: i64) -> i32 {
    let diff = (i128::from(unix_millis) - i128::from(month_start)) as i32;
    if diff < 0 && diff > -1_000_000 {
        0
    } else {
        diff
    }
}

/// The parts of a decoded `UNIQ_KEY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqIdInfo {
    /// IP address of the producer.
    pub ip: IpAddr,
    /// Producer process id truncated to 16 bits.
    pub pid: i16,
    /// Per-process random value (Java: class-loader hash code).
    pub random: i32,
    /// Milliseconds since the start of the month (see [`UniqIdGenerator`]).
    pub millis_in_month: i32,
    /// Per-process counter.
    pub counter: i16,
}

/// Decodes a `UNIQ_KEY` of 32 (IPv4) or 56 (IPv6) hex characters.
pub fn decode_uniq_id(id: &str) -> Option<UniqIdInfo> {
    let ip_len = match id.len() {
        32 => 4,
        56 => 16,
        _ => return None,
    };
    let mut raw = [0u8; 28];
    let raw = raw.get_mut(..id.len() / 2)?;
    decode_hex_into(id.as_bytes(), raw).ok()?;
    let (ip_bytes, rest) = raw.split_at(ip_len);
    let ip = ip_from_bytes(ip_bytes)?;
    let (pid, rest) = rest.split_first_chunk::<2>()?;
    let (random, rest) = rest.split_first_chunk::<4>()?;
    let (millis, rest) = rest.split_first_chunk::<4>()?;
    let counter = rest.first_chunk::<2>()?;
    Some(UniqIdInfo {
        ip,
        pid: i16::from_be_bytes(*pid),
        random: i32::from_be_bytes(*random),
        millis_in_month: i32::from_be_bytes(*millis),
        counter: i16::from_be_bytes(*counter),
    })
}

/// The broker's offset message id: hex of store IP, port as i32 and commit-log offset.
///
/// 32 characters for an IPv4 store host, 56 for IPv6.
pub fn encode_offset_msg_id(store: SocketAddr, commit_log_offset: i64) -> String {
    let mut out = String::with_capacity(56);
    match store.ip() {
        IpAddr::V4(v4) => push_hex(&mut out, &v4.octets()),
        IpAddr::V6(v6) => push_hex(&mut out, &v6.octets()),
    }
    push_hex(&mut out, &i32::from(store.port()).to_be_bytes());
    push_hex(&mut out, &commit_log_offset.to_be_bytes());
    out
}

/// Decodes an offset message id into the store host and the commit-log offset.
pub fn decode_offset_msg_id(id: &str) -> Result<(SocketAddr, i64), MessageIdError> {
    let ip_len = match id.len() {
        32 => 4,
        56 => 16,
        len => return Err(MessageIdError::BadLength { len }),
    };
    let mut raw = [0u8; 28];
    let bad_len = MessageIdError::BadLength { len: id.len() };
    let raw = raw.get_mut(..id.len() / 2).ok_or(bad_len.clone())?;
    decode_hex_into(id.as_bytes(), raw)
        .map_err(|position| MessageIdError::InvalidHex { position })?;
    let (ip_bytes, rest) = raw.split_at(ip_len);
    let ip = ip_from_bytes(ip_bytes).ok_or(bad_len.clone())?;
    let (port, rest) = rest.split_first_chunk::<4>().ok_or(bad_len.clone())?;
    let offset = rest.first_chunk::<8>().ok_or(bad_len)?;
    let port = i32::from_be_bytes(*port);
    let port = u16::try_from(port).map_err(|_| MessageIdError::InvalidPort(port))?;
    Ok((SocketAddr::new(ip, port), i64::from_be_bytes(*offset)))
}

/// An IPv4 address from 4 bytes or an IPv6 address from 16.
pub(crate) fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(b) = <[u8; 4]>::try_from(bytes) {
        Some(IpAddr::V4(Ipv4Addr::from(b)))
    } else if let Ok(b) = <[u8; 16]>::try_from(bytes) {
        Some(IpAddr::V6(Ipv6Addr::from(b)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_wrap_and_clamp() {
        assert_eq!(millis_in_month(5, 0), 5);
        let late = 29 * 86_400_000 - 1;
        assert_eq!(millis_in_month(late, 0), (late as i32));
        assert!(millis_in_month(late, 0) < 0);
        // (int) wraps to a value in (-1_000_000, 0): forced to 0.
        assert_eq!(millis_in_month((1i64 << 32) - 10, 0), 0);
        assert_eq!(millis_in_month(-5, 0), 0);
    }
}
