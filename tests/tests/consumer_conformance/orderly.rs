//! Scenario 4: orderly consumption.

use super::*;

/// Scenario 4: Orderly: a queue's messages come in send order, one at a time; a delivery that fails
/// comes again before the rest, none skipped; two members never consume one queue at once.
pub(crate) async fn orderly_in_order_one_at_a_time<R: Runtime + Default>() {
    require(&namesrv());
    let ns = namesrv();
    let topic = unique("CcOrder");
    let group = unique("cc_order");
    let p = producer::<R>(&ns).await;
    // Sharding key "k0" on queue 0, "k1" on queue 1; bodies "k<q> <seq>", sent one after
    // another (the order of concurrent sends is not theirs to keep).
    for i in 0..40 {
        let q = i % 2;
        let m = Message::new(&topic, format!("k{q} {}", i / 2)).with_keys([format!("k{q}")]);
        let send = p.send_with(m, to_queue(q));
        within(Duration::from_secs(10), send).await.unwrap();
    }
    let log = Log::default();
    // Deliveries running per queue, across members; any overlap is recorded.
    let running = Running::default();
    let failed_once = Arc::new(AtomicBool::new(false));
    let listener = |member: usize| {
        let (log, running, failed_once) = (log.clone(), running.clone(), failed_once.clone());
        move |msgs: Arc<[MessageExt]>, ctx: ConsumeContext| {
            let (log, running, failed_once) = (log.clone(), running.clone(), failed_once.clone());
            async move {
                assert!(ctx.orderly);
                let entered = running.enter(ctx.queue.queue_id);
                log.record(member, &msgs, &ctx);
                // Long enough that a member taking a queue still locked by the other (or
                // before its delivery ended) would overlap with it.
                sleep(Duration::from_millis(20)).await;
                entered.finish();
                if msgs[0].message.body.as_ref() == b"k0 4"
                    && !failed_once.swap(true, Ordering::SeqCst)
                {
                    return ConsumeResult::Suspend(Duration::from_millis(200));
                }
                ConsumeResult::Success
            }
        }
    };
    let member = |i: usize| {
        push::<R>(&ns, &group, &topic)
            .rebalance_interval(Duration::from_secs(1))
            .build_orderly(listener(i))
            .unwrap()
    };
    let first = started(member(0)).await;
    let seqs = |q: usize| -> Vec<usize> {
        log.all()
            .iter()
            .filter(|s| s.queue.queue_id == q as i32)
            .map(|s| s.body.rsplit(' ').next().unwrap().parse().unwrap())
            .collect()
    };
    wait_for(Duration::from_secs(30), "both queues consumed", || {
        let (a, b) = (seqs(0), seqs(1));
        if a.len() >= 21 && b.len() >= 20 {
            Ok(())
        } else {
            Err(format!("{} and {} so far", a.len(), b.len()))
        }
    })
    .await;
    let mut want0: Vec<usize> = (0..20).collect();
    want0.insert(5, 4); // the 5th again after its failure
    assert_eq!(
        seqs(0),
        want0,
        "queue 0 in send order, the failed one again"
    );
    assert_eq!(
        seqs(1),
        (0..20).collect::<Vec<_>>(),
        "queue 1 in send order"
    );

    // A second member joins while more come, to all four queues: the queues move between
    // them, never held (consumed) by both at once, and no message of a queue is skipped.
    let spread = |prefix: &'static str| {
        let topic = topic.clone();
        move |i: usize| {
            let q = i % 4;
            (Message::new(&topic, format!("{prefix} {i}")), to_queue(q))
        }
    };
    let mut more = ids(&produce(&p, 200, spread("join")).await);
    let second = started(member(1)).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !second.assignment().await.iter().any(|q| q.topic == topic) {
        assert!(
            Instant::now() < deadline,
            "the second member never got a queue"
        );
        sleep(Duration::from_millis(50)).await;
    }
    more.extend(ids(&produce(&p, 200, spread("after")).await));
    wait_for(Duration::from_secs(30), "the rest consumed", || {
        log.missing(&more)
    })
    .await;
    assert_eq!(running.overlaps(), 0, "a queue consumed by two at once");
    // A queue moving to the other member waits for its delivery in flight (Java: for the
    // consume lock), never cancelling it.
    assert_eq!(
        running.cancelled(),
        0,
        "a delivery cancelled by the handover"
    );
    let members: BTreeSet<usize> = log.all().iter().map(|s| s.member).collect();
    assert_eq!(members.len(), 2, "both members consume");
    for q in 0..4 {
        // Each message of the queue, in offset order, never a step forward past one not
        // yet consumed (a handover may consume again from the committed offset).
        let offsets: Vec<i64> = log
            .all()
            .iter()
            .filter(|s| s.queue.queue_id == q)
            .map(|s| s.offset)
            .collect();
        let mut high = -1;
        for o in &offsets {
            assert!(
                *o <= high + 1,
                "queue {q}: offset {o} after {high}: {offsets:?}"
            );
            high = high.max(*o);
        }
    }
    second.shutdown().await;
    first.shutdown().await;
    p.shutdown().await;
}

/// Deliveries running per queue (across members), how often one began while another of its
/// queue ran, and how many were cancelled (dropped before they finished).
#[derive(Clone, Default)]
struct Running {
    per_queue: Arc<Mutex<HashMap<i32, usize>>>,
    overlaps: Arc<AtomicUsize>,
    cancelled: Arc<AtomicUsize>,
}

/// A delivery of a queue running; ends when dropped.
struct Entered {
    running: Running,
    queue: i32,
    finished: bool,
}

impl Running {
    fn enter(&self, queue: i32) -> Entered {
        let mut r = lock(&self.per_queue);
        let n = r.entry(queue).or_default();
        *n += 1;
        if *n > 1 {
            self.overlaps.fetch_add(1, Ordering::SeqCst);
        }
        Entered {
            running: self.clone(),
            queue,
            finished: false,
        }
    }

    fn overlaps(&self) -> usize {
        self.overlaps.load(Ordering::SeqCst)
    }

    fn cancelled(&self) -> usize {
        self.cancelled.load(Ordering::SeqCst)
    }
}

impl Entered {
    fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        *lock(&self.running.per_queue).entry(self.queue).or_default() -= 1;
        if !self.finished {
            self.running.cancelled.fetch_add(1, Ordering::SeqCst);
        }
    }
}
