//! Scenarios 9–11: tag and SQL92 filters; the lite pull consumer; a slow listener bounds
//! the cache.

use super::*;

/// Scenario 9a: A tag expression: only messages tagged `TagA` or `TagB`, all of them.
pub(crate) async fn tag_filter<R: Runtime + Default>() {
    require(&namesrv());
    let ns = namesrv();
    let topic = unique("CcTags");
    let p = producer::<R>(&ns).await;
    let tagged = produce(&p, 60, |i| {
        let tag = ["TagA", "TagB", "TagC"][i % 3];
        (
            Message::new(&topic, format!("{tag} {i}")).with_tags(tag),
            SendOptions::default(),
        )
    })
    .await;
    // Last in every queue, matching: once these are in, every other was filtered.
    let ends = ids(&produce(&p, 4, ends(&topic, "TagA", "0")).await);
    let want: Vec<String> = tagged
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 2)
        .map(|(_, r)| r.msg_id.clone())
        .chain(ends)
        .collect();
    let log = Log::default();
    let c = PushConsumer::<R>::builder()
        .name_server(&ns)
        .group(&unique("cc_tags"))
        .subscribe(&topic, "TagA || TagB")
        .consume_from(ConsumeFrom::First)
        .build_concurrent(recorder(&log, 0))
        .unwrap();
    let c = started(c).await;
    filtered(&log, &want, "TagA || TagB").await;
    assert!(log
        .all()
        .iter()
        .all(|s| matches!(s.tags.as_deref(), Some("TagA" | "TagB"))));
    c.shutdown().await;
    p.shutdown().await;
}

/// Scenario 9b: SQL92 over properties (a broker with `enablePropertyFilter=true`): only messages
/// whose `a > 5`, all of them.
pub(crate) async fn sql92_filter<R: Runtime + Default>() {
    require(&namesrv());
    let ns = namesrv();
    let topic = unique("CcSql");
    let p = producer::<R>(&ns).await;
    let props = produce(&p, 40, |i| {
        let a = (i % 10).to_string();
        (
            Message::new(&topic, format!("a={a}")).with_property("a", a),
            SendOptions::default(),
        )
    })
    .await;
    let ends = ids(&produce(&p, 4, ends(&topic, "x", "100")).await);
    let want: Vec<String> = props
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 > 5)
        .map(|(_, r)| r.msg_id.clone())
        .chain(ends)
        .collect();
    let log = Log::default();
    let c = PushConsumer::<R>::builder()
        .name_server(&ns)
        .group(&unique("cc_sql"))
        .subscribe_sql92(&topic, "a > 5")
        .consume_from(ConsumeFrom::First)
        .build_concurrent(recorder(&log, 0))
        .unwrap();
    let c = started(c).await;
    filtered(&log, &want, "a > 5").await;
    c.shutdown().await;
    p.shutdown().await;
}

/// Messages to every one of 4 queues, tagged `tag` with property `a`.
fn ends(topic: &str, tag: &str, a: &str) -> impl Fn(usize) -> (Message, SendOptions) {
    let (topic, tag, a) = (topic.to_owned(), tag.to_owned(), a.to_owned());
    move |q| {
        let m = Message::new(&topic, format!("end {q}"))
            .with_tags(tag.clone())
            .with_property("a", a.clone());
        (m, to_queue(q))
    }
}

/// Waits for every message of `want`, then checks that nothing else came, nothing twice.
async fn filtered(log: &Log, want: &[String], expression: &str) {
    wait_for(
        Duration::from_secs(30),
        &format!("messages matching {expression}"),
        || log.missing(want),
    )
    .await;
    sleep(Duration::from_millis(300)).await;
    let extra: Vec<String> = log
        .all()
        .into_iter()
        .filter(|s| !want.contains(&s.key))
        .map(|s| s.body)
        .collect();
    assert!(extra.is_empty(), "{expression} let through {extra:?}");
    assert_eq!(log.duplicates(want), 0, "{expression}: consumed twice");
}

/// Polls `c` until `n` messages came (or `limit` passed).
async fn poll_n<R: Runtime>(c: &LitePullConsumer<R>, n: usize, limit: Duration) -> Vec<MessageExt> {
    let mut got = Vec::new();
    let deadline = Instant::now() + limit;
    while got.len() < n && Instant::now() < deadline {
        let msgs = within(limit, c.poll(Duration::from_millis(500)))
            .await
            .expect("poll");
        got.extend(msgs);
    }
    got
}

/// Scenario 10: Lite pull: assign and poll, seek to the beginning re-reads, a commit is where the
/// next consumer of the group resumes; subscribed consumers of a group split the queues.
pub(crate) async fn lite_pull_assign_seek_commit_and_subscribe<R: Runtime + Default>() {
    require(&namesrv());
    let ns = namesrv();
    let (broker_name, _) = first_broker(&ns);
    let topic = unique("CcLite");
    let group = unique("cc_lite");
    let p = producer::<R>(&ns).await;
    let on_q0 = |prefix: &'static str| {
        let topic = topic.clone();
        move |i: usize| (Message::new(&topic, format!("{prefix} {i}")), to_queue(0))
    };
    let first = produce(&p, 30, on_q0("first")).await;
    let mq = MessageQueue::new(&topic, &broker_name, first[0].queue.queue_id);
    assert!(first.iter().all(|r| r.queue == mq), "all on one queue");
    let base = first.iter().map(|r| r.queue_offset).min().unwrap();
    let offsets = |msgs: &[MessageExt]| msgs.iter().map(|m| m.queue_offset).collect::<Vec<_>>();
    let want: Vec<i64> = (base..base + 30).collect();

    let one = lite::<R>(&ns, &group).auto_commit(false).build().unwrap();
    within(Duration::from_secs(10), one.assign([mq.clone()]))
        .await
        .unwrap();
    within(Duration::from_secs(10), one.start()).await.unwrap();
    let got = poll_n(&one, 30, Duration::from_secs(20)).await;
    assert_eq!(offsets(&got), want, "every message, in order");
    within(Duration::from_secs(10), one.commit_sync())
        .await
        .unwrap();
    within(Duration::from_secs(10), one.seek_to_begin(&mq))
        .await
        .unwrap();
    let again = poll_n(&one, 30, Duration::from_secs(20)).await;
    assert_eq!(offsets(&again), want, "seek to the beginning reads again");
    // Consumed up to 10 after a seek, not committed: the commit (30) stays.
    within(Duration::from_secs(10), one.seek(&mq, base + 10))
        .await
        .unwrap();
    let part = poll_n(&one, 1, Duration::from_secs(20)).await;
    assert_eq!(part[0].queue_offset, base + 10, "seek to an offset");
    assert_eq!(
        within(Duration::from_secs(10), one.committed(&mq))
            .await
            .unwrap(),
        base + 30
    );
    one.shutdown().await;
    drop(one);
    let more = produce(&p, 10, on_q0("more")).await;
    let two = lite::<R>(&ns, &group).auto_commit(false).build().unwrap();
    within(Duration::from_secs(10), two.assign([mq.clone()]))
        .await
        .unwrap();
    within(Duration::from_secs(10), two.start()).await.unwrap();
    let rest = poll_n(&two, 10, Duration::from_secs(20)).await;
    let mut more: Vec<i64> = more.iter().map(|r| r.queue_offset).collect();
    more.sort();
    assert_eq!(
        offsets(&rest),
        more,
        "the next consumer resumes at the commit"
    );
    two.shutdown().await;

    // Subscribe: two consumers of a group split the topic's four queues.
    let group2 = unique("cc_lite_sub");
    let all = queues_of(&broker_name, &topic, 4);
    let subscriber = || async {
        let c = lite::<R>(&ns, &group2)
            .rebalance_interval(Duration::from_secs(1))
            .build()
            .unwrap();
        within(Duration::from_secs(10), c.subscribe(&topic, "*"))
            .await
            .unwrap();
        within(Duration::from_secs(10), c.start()).await.unwrap();
        c
    };
    let (a, b) = (subscriber().await, subscriber().await);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let held = [a.assignment().await, b.assignment().await];
        match partition(&held, &all) {
            Ok(()) if held.iter().all(|h| h.len() == 2) => break,
            r => assert!(Instant::now() < deadline, "never split: {r:?} {held:?}"),
        }
        sleep(Duration::from_millis(100)).await;
    }
    let spread = ids(&produce(&p, 40, plain(&topic, "spread")).await);
    let mut seen: HashMap<String, Vec<usize>> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while spread.iter().any(|k| !seen.contains_key(k)) {
        assert!(
            Instant::now() < deadline,
            "subscribers did not get everything"
        );
        for (i, c) in [&a, &b].into_iter().enumerate() {
            let msgs = within(Duration::from_secs(10), c.poll(Duration::from_millis(200)))
                .await
                .unwrap();
            for m in msgs {
                seen.entry(m.msg_id).or_default().push(i);
            }
        }
    }
    let spread_seen: Vec<&Vec<usize>> = spread.iter().map(|k| &seen[k]).collect();
    assert!(
        spread_seen.iter().all(|m| m.len() == 1),
        "each message to one subscriber"
    );
    let by: BTreeSet<usize> = spread_seen.iter().map(|m| m[0]).collect();
    assert_eq!(by.len(), 2, "both subscribers get messages");
    a.shutdown().await;
    b.shutdown().await;
    p.shutdown().await;
}

/// Scenario 11: A slow listener: pulls stop at the thresholds, so what is cached stays bounded
/// however much waits on the broker.
pub(crate) async fn slow_listener_bounds_the_cache<R: Runtime + Default>() {
    require(&namesrv());
    let ns = namesrv();
    let (_, broker) = first_broker(&ns);
    let topic = unique("CcSlow");
    let group = unique("cc_slow");
    let p = producer::<R>(&ns).await;
    produce(&p, 2000, plain(&topic, "slow")).await;
    const THRESHOLD: u32 = 20;
    const BATCH: u32 = 8;
    const THREADS: usize = 2;
    let consumed = Arc::new(AtomicUsize::new(0));
    // Deliveries handed out and not answered: at most THREADS at once.
    let (unanswered, most_unanswered) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let listener = {
        let (consumed, unanswered, most) = (
            consumed.clone(),
            unanswered.clone(),
            most_unanswered.clone(),
        );
        move |msgs: Arc<[MessageExt]>, _ctx: ConsumeContext| {
            let (consumed, unanswered, most) = (consumed.clone(), unanswered.clone(), most.clone());
            async move {
                most.fetch_max(
                    unanswered.fetch_add(1, Ordering::SeqCst) + 1,
                    Ordering::SeqCst,
                );
                sleep(Duration::from_millis(20)).await;
                consumed.fetch_add(msgs.len(), Ordering::SeqCst);
                unanswered.fetch_sub(1, Ordering::SeqCst);
                ConsumeResult::Success
            }
        }
    };
    let c = push::<R>(&ns, &group, &topic)
        .pull_threshold_for_queue(THRESHOLD)
        .pull_batch_size(BATCH)
        .consume_thread_max(THREADS as u32)
        .build_concurrent(listener)
        .unwrap();
    let c = started(c).await;
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(4) {
        sleep(Duration::from_millis(400)).await;
        let info = match running_info(&broker, &group, c.client_id()) {
            Ok(info) => info,
            Err(e) => {
                eprintln!("running info: {e}");
                continue;
            }
        };
        let cached: Vec<i32> = info
            .mq_table
            .iter()
            .filter(|(mq, _)| mq.topic == topic)
            .map(|(_, pq)| pq.cached_msg_count)
            .collect();
        samples.push(cached);
    }
    let done = consumed.load(Ordering::SeqCst);
    eprintln!("slow_listener_bounds_the_cache: consumed {done}, cached per queue {samples:?}");
    assert!(samples.len() >= 5, "running info answered: {samples:?}");
    let most = most_unanswered.load(Ordering::SeqCst);
    assert_eq!(most, THREADS, "listeners running at once");
    assert!(done < 1000, "the listener is the bottleneck: {done}");
    // A pull is sent while at most THRESHOLD are cached, and brings at most BATCH.
    let bound = (THRESHOLD + BATCH) as i32;
    for s in &samples {
        assert!(
            s.iter().all(|&n| n <= bound),
            "cache over {bound}: {samples:?}"
        );
    }
    let peak: i32 = samples
        .iter()
        .map(|s| s.iter().sum::<i32>())
        .max()
        .unwrap_or(0);
    assert!(
        peak >= 4 * THRESHOLD as i32,
        "queues fill up to the threshold: {samples:?}"
    );
    c.shutdown().await;
    p.shutdown().await;
}
