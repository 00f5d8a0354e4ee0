//! Scenarios 5–8: broadcasting and its offsets file; where a new group starts; a restart
//! resumes without loss; the broker killed mid-consumption.

use super::*;

/// Scenario 5: Broadcasting: every member gets every message; a restarted member resumes from its
/// offsets file (Java's format, in Java's place).
pub(crate) async fn broadcasting_reaches_all_and_resumes_from_file<R: Runtime + Default>() {
    require(&namesrv());
    let ns = namesrv();
    let (_, broker) = first_broker(&ns);
    let topic = unique("CcBroadcast");
    let group = unique("cc_broadcast");
    let dir = temp_dir("offsets");
    let p = producer::<R>(&ns).await;
    let first = ids(&produce(&p, 40, plain(&topic, "first")).await);
    let log = Log::default();
    let instance = |i: usize| format!("{group}_{i}");
    let member = |i: usize| {
        push::<R>(&ns, &group, &topic)
            .message_model(MessageModel::Broadcasting)
            .instance_name(&instance(i))
            .offset_store_dir(&dir)
            .persist_consumer_offset_interval(Duration::from_millis(500))
            .build_concurrent(recorder(&log, i))
            .unwrap()
    };
    let a = started(member(0)).await;
    let b = started(member(1)).await;
    let b_id = b.client_id().to_owned();
    let by_member = |m: usize| -> HashMap<String, usize> {
        let mut n = HashMap::new();
        for s in log.all().into_iter().filter(|s| s.member == m) {
            *n.entry(s.key).or_default() += 1;
        }
        n
    };
    wait_for(Duration::from_secs(30), "both members get all", || {
        for m in 0..2 {
            let got = by_member(m);
            if let Some(k) = first.iter().find(|k| !got.contains_key(*k)) {
                return Err(format!("member {m} misses {k}"));
            }
        }
        Ok(())
    })
    .await;
    b.shutdown().await;
    drop(b);
    // Java's file: <dir>/<clientId>/<group>/offsets.json, each queue's next offset.
    let file = dir.join(&b_id).join(&group).join("offsets.json");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("offsets file {}: {e}", file.display()));
    assert!(
        text.starts_with("{\n\t\"offsetTable\":{{"),
        "fastjson's pretty form with object keys: {text}"
    );
    let table = OffsetSerializeWrapper::from_json(text.as_bytes())
        .expect("Java's format")
        .offset_table;
    let on_broker: BTreeMap<i32, i64> = (0..4)
        .map(|q| (q, max_offset(&broker, &topic, q)))
        .filter(|(_, o)| *o > 0)
        .collect();
    let in_file: BTreeMap<i32, i64> = table
        .iter()
        .filter(|(mq, _)| mq.topic == topic)
        .map(|(mq, o)| (mq.queue_id, *o))
        .collect();
    assert_eq!(in_file.values().sum::<i64>(), 40, "{text}");
    for (q, o) in &on_broker {
        assert_eq!(
            in_file.get(q),
            Some(o),
            "queue {q} consumed to its end: {text}"
        );
    }
    // While b is away, more come; a (still running) gets them, b gets them when back and
    // nothing it had consumed.
    let second = ids(&produce(&p, 20, plain(&topic, "second")).await);
    let b = started(member(1)).await;
    assert_eq!(
        b.client_id(),
        b_id,
        "the same client id finds the same file"
    );
    wait_for(Duration::from_secs(30), "both members get the rest", || {
        for m in 0..2 {
            let got = by_member(m);
            if let Some(k) = second.iter().find(|k| !got.contains_key(*k)) {
                return Err(format!("member {m} misses {k}"));
            }
        }
        Ok(())
    })
    .await;
    sleep(Duration::from_millis(300)).await;
    for m in 0..2 {
        let got = by_member(m);
        let twice: Vec<_> = got.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "member {m} consumed again: {twice:?}");
    }
    b.shutdown().await;
    a.shutdown().await;
    p.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Scenario 6: A new group starts at the first message, at the end, or at a time.
pub(crate) async fn new_group_starts_first_last_or_at_a_time<R: Runtime + Default>() {
    require(&namesrv());
    let ns = namesrv();
    let topic = unique("CcFrom");
    let p = producer::<R>(&ns).await;
    let before = ids(&produce(&p, 20, plain(&topic, "before")).await);
    sleep(Duration::from_millis(300)).await;
    let at = wall_ms();
    sleep(Duration::from_millis(300)).await;
    let after = ids(&produce(&p, 20, plain(&topic, "after")).await);
    let logs = [Log::default(), Log::default(), Log::default()];
    let from = [
        ConsumeFrom::First,
        ConsumeFrom::Last,
        ConsumeFrom::Timestamp(at),
    ];
    let groups: Vec<String> = (0..3).map(|_| unique("cc_from")).collect();
    let mut consumers = Vec::new();
    for (i, f) in from.iter().enumerate() {
        let c = push::<R>(&ns, &groups[i], &topic)
            .consume_from(f.clone())
            .build_concurrent(recorder(&logs[i], i))
            .unwrap();
        consumers.push(started(c).await);
    }
    // The group starting at the end pulls every queue (from there) before the last batch.
    let (_, broker) = first_broker(&ns);
    let client = consumers[1].client_id().to_owned();
    wait_for(Duration::from_secs(10), "pulls from the end", || {
        let info = running_info(&broker, &groups[1], &client)?;
        let pulling = (info.mq_table.iter())
            .filter(|(mq, pq)| mq.topic == topic && pq.last_pull_timestamp > 0)
            .count();
        match pulling {
            4 => Ok(()),
            n => Err(format!("{n} queues pulled")),
        }
    })
    .await;
    let last = ids(&produce(&p, 20, plain(&topic, "last")).await);
    let want: [Vec<&Vec<String>>; 3] = [
        vec![&before, &after, &last],
        vec![&last],
        vec![&after, &last],
    ];
    for (i, w) in want.iter().enumerate() {
        let keys: Vec<String> = w.iter().flat_map(|v| v.iter().cloned()).collect();
        wait_for(Duration::from_secs(20), &format!("{:?}", from[i]), || {
            logs[i].missing(&keys)
        })
        .await;
    }
    sleep(Duration::from_millis(300)).await;
    for (i, w) in want.iter().enumerate() {
        let want: BTreeSet<String> = w.iter().flat_map(|v| v.iter().cloned()).collect();
        let got: BTreeSet<String> = logs[i].counts().into_keys().collect();
        let extra: Vec<_> = logs[i]
            .all()
            .into_iter()
            .filter(|s| !want.contains(&s.key))
            .map(|s| s.body)
            .collect();
        assert_eq!(got, want, "{:?}: consumed besides: {extra:?}", from[i]);
    }
    for c in &consumers {
        c.shutdown().await;
    }
    p.shutdown().await;
}

/// Scenario 7: A member consumes part and shuts down; the next one of the group resumes: nothing
/// lost, and only what was in flight consumed again.
pub(crate) async fn restart_resumes_without_loss<R: Runtime + Default>() {
    require(&namesrv());
    let ns = namesrv();
    let (_, broker) = first_broker(&ns);
    let topic = unique("CcRestart");
    let group = unique("cc_restart");
    let p = producer::<R>(&ns).await;
    let sent = ids(&produce(&p, 1000, plain(&topic, "restart")).await);
    let log = Log::default();
    const THREADS: u32 = 4;
    let slow = |member: usize| {
        let log = log.clone();
        move |msgs: Arc<[MessageExt]>, ctx: ConsumeContext| {
            let log = log.clone();
            async move {
                log.record(member, &msgs, &ctx);
                sleep(Duration::from_millis(2)).await;
                ConsumeResult::Success
            }
        }
    };
    let member = |i: usize| {
        push::<R>(&ns, &group, &topic)
            .consume_thread_max(THREADS)
            // Only the shutdown's persist can save the first member's progress in time.
            .persist_consumer_offset_interval(Duration::from_secs(120))
            .build_concurrent(slow(i))
            .unwrap()
    };
    let first = started(member(0)).await;
    wait_for(Duration::from_secs(30), "half consumed", || {
        match log.len() {
            n if n >= 500 => Ok(()),
            n => Err(format!("{n} so far")),
        }
    })
    .await;
    first.shutdown().await;
    let by_first = log.len();
    // The shutdown's offset updates are oneway (as Java's): read them once they settle.
    let committed_now = || -> i64 {
        (0..4)
            .map(|q| consumer_offset(&broker, &group, &topic, q).unwrap_or(0))
            .sum()
    };
    let mut committed = committed_now();
    let mut stable = 0;
    while stable < 3 {
        sleep(Duration::from_millis(100)).await;
        let now = committed_now();
        stable = if now == committed { stable + 1 } else { 0 };
        committed = now;
    }
    assert!(
        committed > 0 && committed <= by_first as i64,
        "shutdown committed {committed} of the {by_first} consumed"
    );
    let second = started(member(1)).await;
    wait_for(Duration::from_secs(30), "the rest consumed", || {
        log.missing(&sent)
    })
    .await;
    sleep(Duration::from_millis(300)).await;
    let dups = log.duplicates(&sent);
    eprintln!(
        "restart_resumes_without_loss: first consumed {by_first}, committed {committed}, \
         {dups} consumed again"
    );
    // Consumed again: what the first had in flight (its listeners at shutdown) and what
    // it finished above a message still in flight, a few per queue.
    assert!(
        dups <= 4 * THREADS as usize,
        "{dups} consumed again after {by_first} by the first member"
    );
    assert_eq!(
        dups,
        by_first - committed as usize,
        "exactly those past the commit"
    );
    second.shutdown().await;
    p.shutdown().await;
}

/// Clusters of the broker-kill scenario: one per run, each on ports of its own.
static KILL_SLOT: AtomicU16 = AtomicU16::new(0);

/// Starts a cluster of its own on the next free ports: a name server on 9956, 9966, ...
/// and a broker on 11001, 11011, ... (which also takes the port below it by 2 and the one
/// above it).
fn own_cluster() -> OwnCluster {
    let free = |port: u16| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
    loop {
        let slot = KILL_SLOT.fetch_add(1, Ordering::SeqCst);
        assert!(slot < 20, "no free ports for a cluster of its own");
        let (ns, broker) = (9956 + 10 * slot, 11001 + 10 * slot);
        if [ns, broker - 2, broker, broker + 1].into_iter().all(free) {
            return OwnCluster::start(&format!("cckill{slot}"), ns, broker);
        }
    }
}

/// Scenario 8: The broker is killed (`kill -9`) while a consumer consumes, and started again:
/// consumption goes on by itself and every message the producer had acknowledged is consumed.
pub(crate) async fn broker_killed_mid_consumption<R: Runtime + Default>() {
    require(&namesrv());
    let cluster = own_cluster();
    let ns = cluster.namesrv.clone();
    let topic = unique("CcKill");
    let p = Producer::<R>::builder()
        .name_server(&ns)
        .group(&unique("cc_kill_pg"))
        .send_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    p.start().await.unwrap();
    let mut acked = ids(&produce(&p, 100, plain(&topic, "before")).await);
    let log = Log::default();
    let c = push::<R>(&ns, &unique("cc_kill"), &topic)
        .build_concurrent(recorder(&log, 0))
        .unwrap();
    let c = started(c).await;
    wait_for(
        Duration::from_secs(30),
        "consuming before the kill",
        || match log.len() {
            n if n >= 50 => Ok(()),
            n => Err(format!("{n} so far")),
        },
    )
    .await;
    cluster.kill_broker();
    for i in 0..5 {
        let send = p.send(Message::new(&topic, format!("outage {i}")));
        if let Ok(r) = within(Duration::from_secs(10), send).await {
            acked.push(r.msg_id);
        }
    }
    cluster.restart_broker();
    // Sends work again soon; those acknowledged must be consumed.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut after = 0;
    let mut i = 0;
    while after < 50 {
        assert!(Instant::now() < deadline, "sends did not recover");
        let send = p.send(Message::new(&topic, format!("after {i}")));
        i += 1;
        match within(Duration::from_secs(10), send).await {
            Ok(r) => {
                acked.push(r.msg_id);
                after += 1;
            }
            Err(_) => sleep(Duration::from_millis(200)).await,
        }
    }
    // Within seconds: the broker forgot the group, and the client heartbeats it again as
    // soon as it connects (Java 5.2+), not with the next periodic heartbeat (30 s).
    let restarted = Instant::now();
    wait_for(
        Duration::from_secs(10),
        "every acknowledged message consumed after the restart",
        || log.missing(&acked),
    )
    .await;
    eprintln!(
        "broker_killed_mid_consumption: {} acknowledged, all consumed {:?} after the \
         restart, {} duplicates",
        acked.len(),
        restarted.elapsed(),
        log.duplicates(&acked)
    );
    c.shutdown().await;
    p.shutdown().await;
}
