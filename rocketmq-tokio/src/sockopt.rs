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
    use std::time::Duration;

    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};
    use tokio::time::timeout;

    use super::set_read_low_water;

    #[tokio::test]
    async fn a_socket_reports_readable_from_its_mark_and_at_once_when_it_is_lowered() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        assert!(set_read_low_water(&client, 64));

        server.write_all(&[7; 8]).await.unwrap();
        let early = timeout(Duration::from_millis(50), client.readable()).await;
        assert!(
            early.is_err(),
            "8 bytes waiting must not reach a mark of 64"
        );

        assert!(set_read_low_water(&client, 1));
        timeout(Duration::from_secs(5), client.readable())
            .await
            .expect("lowering the mark reports the bytes waiting")
            .unwrap();
        let mut buf = [0; 16];
        assert_eq!(client.try_read(&mut buf).unwrap(), 8);
    }
}
