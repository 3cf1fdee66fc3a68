//! The cluster gate epoch on the real Redis: a caller that started a read and then stood still
//! must not hold up anyone else. (Its old form held an async lock across the read; a read frame
//! parked in a connection's set of pending replies held it while that connection's next send
//! waited for it, and every send of the instance stopped behind them.)

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tidings_domain::ports::GateEpoch;
use tidings_infrastructure::cluster::{RedisGateEpoch, RedisKeys, connect_redis};
use tidings_tests::Backend;
use tidings_tests::backend::redis_url;

#[tokio::test]
async fn a_caller_that_stands_still_mid_read_holds_up_nobody() {
    if Backend::cluster("gate epoch").is_none() {
        return;
    }
    let prefix = format!("epoch-test-{}:", std::process::id());
    let pool = connect_redis(&redis_url(), 2, std::time::Duration::from_secs(5)).await.expect("redis");
    let keys = RedisKeys::new(prefix.clone());
    let epoch = Arc::new(RedisGateEpoch::new(pool, &keys));
    epoch.bump().await.expect("bump");

    // The first caller is polled once, so its read is on its way, then never again (it is
    // kept alive, as a parked future is).
    let mut parked = pin!(epoch.current());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(parked.as_mut().poll(&mut cx), Poll::Pending), "a Redis read cannot be ready at once");

    // Everyone else still gets the epoch, and sees a bump that finished before they asked.
    for expected in 2..5 {
        epoch.bump().await.expect("bump");
        let seen = tokio::time::timeout(Duration::from_secs(3), epoch.current())
            .await
            .expect("a parked caller held up the gate epoch")
            .expect("epoch read");
        assert_eq!(seen, expected);
    }
    // The parked caller, polled again, finishes too.
    let late = tokio::time::timeout(Duration::from_secs(3), parked).await.expect("parked caller").expect("epoch");
    assert!(late >= 1);

    let mut conn = tidings_tests::backend::redis_pool().get().await.expect("redis");
    let _: i64 = deadpool_redis::redis::cmd("DEL").arg(keys.gate_epoch()).query_async(&mut conn).await.expect("del");
}
