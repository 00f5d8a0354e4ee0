//! Scenarios 1–3: every message consumed once; members of a group split the queues and
//! rebalance; reconsume-later goes through the retry topic to the dead-letter queue.

use super::*;

/// Scenario 1: Every message of 2,000 is consumed, none twice.
pub(crate) async fn every_message_consumed_once<R: Runtime + Default>() {
    require(&namesrv());
    let ns = namesrv();
    let topic = unique("CcEvery");
    let p = producer::<R>(&ns).await;
    let sent = ids(&produce(&p, 2000, plain(&topic, "every")).await);
    let log = Log::default();
    let c = push::<R>(&ns, &unique("cc_every"), &topic)
        .build_concurrent(recorder(&log, 0))
        .unwrap();
    let c = started(c).await;
    wait_for(Duration::from_secs(60), "all 2000 consumed", || {
        log.missing(&sent)
    })
    .await;
    // Late duplicates (a redelivery) would come within a pull or two.
    sleep(Duration::from_millis(500)).await;
    let dups = log.duplicates(&sent);
    eprintln!("every_message_consumed_once: 2000 consumed, {dups} duplicates");
    assert_eq!(dups, 0, "a clean run delivers each message once");
    c.shutdown().await;
    p.shutdown().await;
}

/// Scenario 2: Three members split the queues; a fourth joins and one leaves (no notification: the
/// periodic rebalance finds it): they rebalance, and each message goes to one member.
pub(crate) async fn group_members_split_queues_and_rebalance<R: Runtime + Default>() {
    require(&namesrv());
    let ns = namesrv();
    let (broker_name, broker) = first_broker(&ns);
    let topic = unique("CcGroup");
    create_topic(&broker, &topic, 8);
    let all = queues_of(&broker_name, &topic, 8);
    let group = unique("cc_group");
    let p = producer::<R>(&ns).await;
    let log = Log::default();
    let member = |i: usize| {
        push::<R>(&ns, &group, &topic)
            .rebalance_interval(Duration::from_secs(1))
            .persist_consumer_offset_interval(Duration::from_millis(500))
            .build_concurrent(recorder(&log, i))
            .unwrap()
    };
    let mut members = Vec::new();
    for i in 0..3 {
        members.push((i, started(member(i)).await));
    }
    // The queues the members hold, and the check that they split `all`.
    async fn split<R: Runtime>(
        members: &[(usize, PushConsumer<R>)],
        all: &BTreeSet<MessageQueue>,
        what: &str,
    ) -> HashMap<usize, Vec<MessageQueue>> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut held = Vec::new();
            for (_, c) in members {
                let mut mine = c.assignment().await;
                // The retry topic's queue is the group's too.
                mine.retain(|q| all.contains(q));
                held.push(mine);
            }
            match partition(&held, all) {
                // Every member has some: 8 queues, at most 4 members.
                Ok(()) if held.iter().all(|h| !h.is_empty()) => {
                    return members.iter().map(|(i, _)| *i).zip(held).collect();
                }
                r => assert!(
                    Instant::now() < deadline,
                    "{what}: the members never split the queues: {r:?} {held:?}"
                ),
            }
            sleep(Duration::from_millis(100)).await;
        }
    }
    // Each message of `batch` was consumed once, by the member holding its queue.
    let check = |batch: &[String], held: &HashMap<usize, Vec<MessageQueue>>, what: &str| {
        let batch: BTreeSet<&String> = batch.iter().collect();
        let seen: Vec<_> = log
            .all()
            .into_iter()
            .filter(|s| batch.contains(&s.key))
            .collect();
        let mut count = HashMap::<&str, usize>::new();
        for s in &seen {
            *count.entry(&s.key).or_default() += 1;
            assert!(
                held[&s.member].contains(&s.queue),
                "{what}: member {} consumed queue {} it does not hold",
                s.member,
                s.queue.queue_id
            );
        }
        assert!(
            count.values().all(|&n| n == 1),
            "{what}: a message consumed twice"
        );
    };
    let held = split(&members, &all, "three members").await;
    // AVG gives them 3, 3 and 2 queues.
    let mut sizes: Vec<usize> = held.values().map(Vec::len).collect();
    sizes.sort();
    assert_eq!(sizes, [2, 3, 3], "AVG over 8 queues and 3 members");
    let phase = |n: &str| plain(&topic, n);
    let a = ids(&produce(&p, 200, phase("three")).await);
    wait_for(Duration::from_secs(30), "three members consume", || {
        log.missing(&a)
    })
    .await;
    check(&a, &held, "three members");
    // Offsets reach the broker before the queues move, so that no message is consumed
    // again by its next owner.
    all_committed(&broker, &group, &topic, 8, "before the join").await;

    members.push((3, started(member(3)).await));
    let held = split(&members, &all, "after a join").await;
    let b = ids(&produce(&p, 200, phase("four")).await);
    wait_for(Duration::from_secs(30), "four members consume", || {
        log.missing(&b)
    })
    .await;
    check(&b, &held, "four members");
    assert!(
        log.all()
            .iter()
            .any(|s| s.member == 3 && b.contains(&s.key)),
        "the member that joined consumes"
    );
    all_committed(&broker, &group, &topic, 8, "before the leave").await;

    let (_, leaver) = members.remove(0);
    leaver.shutdown().await;
    let held = split(&members, &all, "after a leave").await;
    let c = ids(&produce(&p, 200, phase("three again")).await);
    wait_for(Duration::from_secs(30), "the rest consume", || {
        log.missing(&c)
    })
    .await;
    check(&c, &held, "after a leave");
    for (_, m) in &members {
        m.shutdown().await;
    }
    p.shutdown().await;
}

/// Waits until the broker stores each of `queues` queues' offset at its end.
async fn all_committed(broker: &str, group: &str, topic: &str, queues: i32, what: &str) {
    wait_for(
        Duration::from_secs(10),
        &format!("offsets committed {what}"),
        || {
            let behind: Vec<i32> = (0..queues)
                .filter(|&q| {
                    consumer_offset(broker, group, topic, q) != Some(max_offset(broker, topic, q))
                })
                .collect();
            if behind.is_empty() {
                Ok(())
            } else {
                Err(format!("queues {behind:?} behind"))
            }
        },
    )
    .await;
}

/// Scenario 3: A message consumed "later" comes back from `%RETRY%group` after its delay level with
/// its reconsume count up; past `max_reconsume_times` it is in `%DLQ%group`.
pub(crate) async fn reconsume_later_retries_then_dead_letters<R: Runtime + Default>() {
    require(&namesrv());
    let ns = namesrv();
    let (broker_name, _) = first_broker(&ns);
    let topic = unique("CcRetry");
    let group = unique("cc_retry");
    let p = producer::<R>(&ns).await;
    let sent = produce(&p, 1, plain(&topic, "retry")).await;
    let key = sent[0].msg_id.clone();
    let log = Log::default();
    let listener = {
        let log = log.clone();
        move |msgs: Arc<[MessageExt]>, ctx: ConsumeContext| {
            log.record(0, &msgs, &ctx);
            async { ConsumeResult::Later { delay_level: 1 } }
        }
    };
    let c = push::<R>(&ns, &group, &topic)
        .max_reconsume_times(2)
        .build_concurrent(listener)
        .unwrap();
    let c = started(c).await;
    // Deliveries with reconsume counts 0, 1 and 2; the third failure dead-letters it.
    wait_for(Duration::from_secs(30), "three deliveries", || {
        match log.len() {
            n if n >= 3 => Ok(()),
            n => Err(format!("{n} so far")),
        }
    })
    .await;
    let dlq = format!("%DLQ%{group}");
    let reader = lite::<R>(&ns, &unique("cc_dlq_reader")).build().unwrap();
    within(
        Duration::from_secs(10),
        reader.assign([MessageQueue::new(&dlq, &broker_name, 0)]),
    )
    .await
    .unwrap();
    within(Duration::from_secs(10), reader.start())
        .await
        .unwrap();
    let mut dead = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while dead.is_empty() && Instant::now() < deadline {
        dead = within(Duration::from_secs(10), reader.poll(Duration::from_secs(1)))
            .await
            .unwrap();
    }
    let seen = log.all();
    assert_eq!(
        seen.len(),
        3,
        "no delivery after the dead letter: {seen:#?}"
    );
    let retry = format!("%RETRY%{group}");
    for (i, s) in seen.iter().enumerate() {
        assert_eq!(s.key, key, "the same message each time");
        assert_eq!(s.topic, topic, "the listener sees the real topic");
        assert_eq!(s.reconsume_times, i as i32, "delivery {i}");
        let from = if i == 0 { &topic } else { &retry };
        assert_eq!(&s.queue.topic, from, "delivery {i} comes from {from}");
    }
    for w in seen.windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(
            gap >= Duration::from_millis(900) && gap < Duration::from_secs(5),
            "delay level 1 is 1 s, got {gap:?}"
        );
    }
    assert_eq!(dead.len(), 1, "one dead letter: {dead:?}");
    assert_eq!(dead[0].msg_id, key);
    assert_eq!(dead[0].message.body.as_ref(), b"retry 0");
    assert_eq!(dead[0].message.topic, dlq);
    reader.shutdown().await;
    c.shutdown().await;
    p.shutdown().await;
}
