//! Unique (UNIQ_KEY) and offset message ids.

use super::*;

// ---------------------------------------------------------------- ids

const MAR_2024: i64 = 1_709_251_200_000; // 2024-03-01T00:00:00Z

#[test]
fn uniq_id_layout() {
    let mut g = UniqIdGenerator::new(
        IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10)),
        12345,
        0x1234_5678,
    );
    let a = g.next_id(MAR_2024 + 123_456);
    let b = g.next_id(MAR_2024 + 123_456);
    assert_eq!(a, "C0A8010A3039123456780001E2400000");
    assert_eq!(b, "C0A8010A3039123456780001E2400001");
    assert_eq!(a.len(), 32);
    assert_eq!(a[..28], b[..28]);
    let info = decode_uniq_id(&b).unwrap();
    assert_eq!(info.counter, 1);
    let mut s = String::from(">");
    g.next_id_into(MAR_2024, &mut s);
    assert_eq!(s, ">C0A8010A303912345678000000000002");
}

#[test]
fn a_compact_uniq_id_spells_the_same_text_as_next_id() {
    let ip = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10));
    let mut text = UniqIdGenerator::new(ip, 12345, 0x1234_5678);
    let mut compact = text.clone();
    for t in [
        MAR_2024 + 123_456,
        MAR_2024 + 123_456,
        MAR_2024 - 1,
        MAR_2024,
    ] {
        let id = compact.next(t);
        assert_eq!(compact.to_string(id), text.next_id(t));
        let mut s = String::from(">");
        compact.write(id, &mut s);
        assert_eq!(&s[1..], compact.to_string(id).as_str());
        assert_eq!(compact.to_string(id).len(), compact.id_len());
    }
    let v6 = UniqIdGenerator::new("2001:db8::42".parse().unwrap(), 1, 1);
    assert_eq!(v6.id_len(), 56);
}

#[test]
fn uniq_id_v4_vector() {
    let info = decode_uniq_id(V4_UNIQ).unwrap();
    assert_eq!(info.ip, IpAddr::V4(Ipv4Addr::new(0xC0, 0xA8, 0x01, 0x0A)));
    assert_eq!(info.pid, 0x3039);
    assert_eq!(info.random, 0x1234_5678);
    assert_eq!(info.millis_in_month, 123_456);
    assert_eq!(info.counter, 1);
    assert_eq!(decode_uniq_id(&V4_UNIQ.to_lowercase()), Some(info));
    assert_eq!(decode_uniq_id("C0A8"), None);
    assert_eq!(decode_uniq_id("G0A8010A3039123456780001E2400001"), None);
}

#[test]
fn uniq_id_ipv6_and_pid_truncation() {
    let ip: IpAddr = "2001:db8::42".parse().unwrap();
    let mut g = UniqIdGenerator::new(ip, 0x0001_FFFE, -1);
    let id = g.next_id(MAR_2024);
    assert_eq!(id.len(), 56);
    let info = decode_uniq_id(&id).unwrap();
    assert_eq!(info.ip, ip);
    assert_eq!(info.pid, -2);
    assert_eq!(info.random, -1);
    assert_eq!(info.millis_in_month, 0);
}

#[test]
fn uniq_id_month_boundaries() {
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut g = UniqIdGenerator::new(ip, 1, 1);
    let millis =
        |g: &mut UniqIdGenerator, t: i64| decode_uniq_id(&g.next_id(t)).unwrap().millis_in_month;
    assert_eq!(millis(&mut g, MAR_2024), 0);
    // 2024-02-29T23:59:59.999Z: Java's (int) cast wraps past 2^31 ms.
    let feb_end = 29 * 86_400_000 - 1;
    assert_eq!(millis(&mut g, MAR_2024 - 1), feb_end as i32);
    assert_eq!(millis(&mut g, MAR_2024 - 1) as u32 as i64, feb_end);
    // Going back and forth across the boundary recomputes the month.
    assert_eq!(millis(&mut g, MAR_2024 + 5), 5);
    assert_eq!(millis(&mut g, 1_706_745_600_000 + 7), 7); // 2024-02-01
    assert_eq!(millis(&mut g, 0), 0);
    assert_eq!(millis(&mut g, 86_400_000 * 31 + 1), 1); // 1970-02-01
}

#[test]
fn uniq_id_counter_wraps() {
    let mut g = UniqIdGenerator::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1, 1);
    let mut last = None;
    for _ in 0..=65_536 {
        last = Some(g.next_id(MAR_2024));
    }
    assert_eq!(decode_uniq_id(&last.unwrap()).unwrap().counter, 0);
}

#[test]
fn offset_msg_id_vector() {
    let id = encode_offset_msg_id(addr("192.168.1.20:10911"), 0x1234);
    assert_eq!(id, "C0A8011400002A9F0000000000001234");
    assert_eq!(
        decode_offset_msg_id(&id),
        Ok((addr("192.168.1.20:10911"), 0x1234))
    );
    let v6 = addr("[fe80::1]:65535");
    let id = encode_offset_msg_id(v6, -1);
    assert_eq!(id.len(), 56);
    assert_eq!(decode_offset_msg_id(&id), Ok((v6, -1)));
    assert_eq!(
        decode_offset_msg_id("C0A8"),
        Err(MessageIdError::BadLength { len: 4 })
    );
    assert_eq!(
        decode_offset_msg_id("C0A8011400002A9F00000000000012Z4"),
        Err(MessageIdError::InvalidHex { position: 30 })
    );
    assert_eq!(
        decode_offset_msg_id("C0A8011400012A9F0000000000001234"),
        Err(MessageIdError::InvalidPort(0x12A9F))
    );
    assert_eq!(
        decode_offset_msg_id("C0A8011400002A9F00000000000012é"),
        Err(MessageIdError::InvalidHex { position: 30 })
    );
}
