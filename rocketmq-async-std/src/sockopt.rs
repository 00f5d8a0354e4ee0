//! The socket's read low-water mark (`SO_RCVLOWAT`), which neither std nor socket2 sets: the
//! one `unsafe` call of this crate.
#![allow(unsafe_code)]

/// Sets `SO_RCVLOWAT`: the socket reports readable only once `bytes` wait. Linux only, where
/// lowering the mark also reports data already waiting (the driver relies on that); `false`
/// elsewhere or when the call fails.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn set_read_low_water(socket: &impl std::os::fd::AsFd, bytes: usize) -> bool {
    use std::os::fd::AsRawFd;

    const LEN: libc::socklen_t = size_of::<libc::c_int>() as libc::socklen_t;
    let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    // SAFETY: the descriptor is borrowed from a live socket for the whole call, and the value
    // points at a `c_int` that outlives the call, its exact size passed with it.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_fd().as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            std::ptr::from_ref(&value).cast(),
            LEN,
        )
    };
    if rc != 0 {
        let error = std::io::Error::last_os_error();
        tracing::debug!(%error, bytes, "SO_RCVLOWAT not set");
    }
    rc == 0
}

/// Not available here: the driver pauses reading by time alone.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn set_read_low_water<S>(_socket: &S, _bytes: usize) -> bool {
    false
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    use async_io::{Async, Timer};
    use futures_lite::future::{block_on, or};

    use super::set_read_low_water;

    /// Whether the reactor reports `client` readable within `wait`.
    async fn readable_within(client: &Async<TcpStream>, wait: Duration) -> bool {
        let readable = async {
            client.readable().await.unwrap();
            true
        };
        let timeout = async {
            Timer::after(wait).await;
            false
        };
        or(readable, timeout).await
    }

    #[test]
    fn a_socket_reports_readable_from_its_mark_and_at_once_when_it_is_lowered() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = Async::<TcpStream>::connect(listener.local_addr().unwrap());
        let client = block_on(client).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        assert!(set_read_low_water(&client, 64));

        server.write_all(&[7; 8]).unwrap();
        let early = block_on(readable_within(&client, Duration::from_millis(50)));
        assert!(!early, "8 bytes waiting must not reach a mark of 64");

        assert!(set_read_low_water(&client, 1));
        let late = block_on(readable_within(&client, Duration::from_secs(5)));
        assert!(late, "lowering the mark reports the bytes waiting");
    }
}
