//! With no name server configured, the producer takes `NAMESRV_ADDR` from the environment,
//! as Java does (its own test binary: it sets the process environment).

use std::time::Duration;

use rocketmq_core::driver::{Producer, Runtime};
use rocketmq_core::Message;
use rocketmq_tests::cluster::{namesrv, require, unique};

async fn sends_through_namesrv_addr<R: Runtime + Default>() {
    let p = Producer::<R>::builder()
        .group(&unique("env_pg"))
        .build()
        .expect("NAMESRV_ADDR fills the name servers");
    p.start().await.expect("start");
    let send = p.send(Message::new(unique("ConfEnv"), "from the environment"));
    let r = futures_lite::future::or(async { Some(send.await) }, async {
        smol::Timer::after(Duration::from_secs(10)).await;
        None
    })
    .await
    .expect("within 10 s");
    assert!(r.is_ok(), "{r:?}");
    p.shutdown().await;
}

#[test]
fn namesrv_addr_is_read_when_no_name_server_is_set() {
    require(&namesrv());
    // Set once, before any runtime starts, with the value every run uses.
    std::env::set_var("NAMESRV_ADDR", namesrv());
    smol::block_on(sends_through_namesrv_addr::<
        rocketmq_async_std::AsyncIoRuntime,
    >());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(sends_through_namesrv_addr::<rocketmq_tokio::TokioRuntime>());
    // Without it, a producer with no name server has none to ask.
    std::env::remove_var("NAMESRV_ADDR");
    let p = Producer::<rocketmq_async_std::AsyncIoRuntime>::builder()
        .group(&unique("env_pg"))
        .build()
        .unwrap();
    smol::block_on(async {
        p.start().await.unwrap();
        let r = p.send(Message::new("ConfEnvNone", "x")).await;
        assert!(
            matches!(r, Err(rocketmq_core::SendError::NoNameServer)),
            "{r:?}"
        );
        p.shutdown().await;
    });
}
