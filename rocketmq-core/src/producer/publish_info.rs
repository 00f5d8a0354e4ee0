//! Route → publish queues (Java `topicRouteData2TopicPublishInfo`).

use rocketmq_proto::body::{MessageQueue, TopicRouteData};
use rocketmq_proto::message::flags::perm;

/// The queues a producer may send a topic's messages to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopicPublishInfo {
    /// The route came with `orderTopicConf`.
    pub order_topic: bool,
    /// Writeable queues, in Java's order.
    pub queues: Vec<MessageQueue>,
}

impl TopicPublishInfo {
    /// Builds publish info from a route, exactly as Java does.
    ///
    /// With `orderTopicConf`, its `broker:num` entries in order; otherwise queue datas sorted by
    /// broker name, writeable ones whose broker has a master, `writeQueueNums` queues each.
    pub fn from_route(topic: &str, route: &TopicRouteData) -> Self {
        if let Some(conf) = route.order_topic_conf.as_deref().filter(|c| !c.is_empty()) {
            let queues = conf
                .split(';')
                .filter_map(|item| {
                    let (broker, num) = item.split_once(':')?;
                    Some((broker.to_owned(), num.trim().parse::<i32>().ok()?))
                })
                .flat_map(|(broker, num)| queues_of(topic, &broker, num))
                .collect();
            return Self {
                order_topic: true,
                queues,
            };
        }
        let mut datas: Vec<_> = route.queue_datas.iter().collect();
        datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
        let queues = datas
            .into_iter()
            .filter(|qd| perm::is_writeable(qd.perm))
            .filter(|qd| {
                route
                    .broker_datas
                    .iter()
                    .find(|bd| bd.broker_name == qd.broker_name)
                    .is_some_and(|bd| bd.broker_addrs.contains_key(&0))
            })
            .flat_map(|qd| queues_of(topic, &qd.broker_name, qd.write_queue_nums))
            .collect();
        Self {
            order_topic: false,
            queues,
        }
    }

    /// Returns whether there is at least one queue to send to.
    pub fn ok(&self) -> bool {
        !self.queues.is_empty()
    }
}

fn queues_of(topic: &str, broker: &str, num: i32) -> impl Iterator<Item = MessageQueue> {
    let (topic, broker) = (topic.to_owned(), broker.to_owned());
    (0..num.max(0)).map(move |queue_id| MessageQueue {
        topic: topic.clone(),
        broker_name: broker.clone(),
        queue_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocketmq_proto::body::{BrokerData, QueueData};

    fn qd(name: &str, w: i32, r: i32, perm: i32) -> QueueData {
        QueueData {
            broker_name: name.into(),
            read_queue_nums: r,
            write_queue_nums: w,
            perm,
            topic_sys_flag: 0,
        }
    }

    fn bd(name: &str, ids: &[i64]) -> BrokerData {
        BrokerData {
            cluster: "c".into(),
            broker_name: name.into(),
            broker_addrs: ids.iter().map(|&i| (i, format!("{name}:{i}"))).collect(),
            enable_acting_master: false,
            zone_name: None,
        }
    }

    fn route(qds: Vec<QueueData>, bds: Vec<BrokerData>) -> TopicRouteData {
        TopicRouteData {
            order_topic_conf: None,
            queue_datas: qds,
            broker_datas: bds,
            filter_server_table: Default::default(),
        }
    }

    fn names(info: &TopicPublishInfo) -> Vec<String> {
        info.queues
            .iter()
            .map(|q| format!("{}:{}", q.broker_name, q.queue_id))
            .collect()
    }

    #[test]
    fn sorted_by_broker_writeable_with_master_only() {
        let r = route(
            vec![
                qd("c", 1, 1, 6),
                qd("a", 2, 2, 6),
                qd("ro", 2, 2, 4),
                qd("slave-only", 2, 2, 6),
                qd("missing", 2, 2, 6),
            ],
            vec![
                bd("a", &[0, 1]),
                bd("c", &[0]),
                bd("ro", &[0]),
                bd("slave-only", &[1]),
            ],
        );
        let info = TopicPublishInfo::from_route("T", &r);
        assert!(!info.order_topic);
        assert_eq!(names(&info), ["a:0", "a:1", "c:0"]);
        assert!(info.queues.iter().all(|q| q.topic == "T"));
    }

    #[test]
    fn order_topic_conf_wins() {
        let mut r = route(vec![qd("a", 8, 8, 6)], vec![bd("a", &[0])]);
        r.order_topic_conf = Some("b:2;a:1;bad;x:y".into());
        let info = TopicPublishInfo::from_route("T", &r);
        assert!(info.order_topic);
        assert_eq!(names(&info), ["b:0", "b:1", "a:0"]);
    }

    #[test]
    fn default_route_is_capped_at_default_queue_nums() {
        let r = route(
            vec![qd("a", 8, 8, 7), qd("b", 2, 2, 7)],
            vec![bd("a", &[0]), bd("b", &[0])],
        );
        let a = crate::client::route::borrowed_route(&r, 4);
        assert_eq!(
            (
                a.queue_datas[0].read_queue_nums,
                a.queue_datas[0].write_queue_nums
            ),
            (4, 4)
        );
        assert_eq!(
            (
                a.queue_datas[1].read_queue_nums,
                a.queue_datas[1].write_queue_nums
            ),
            (2, 2)
        );
        assert_eq!(TopicPublishInfo::from_route("New", &a).queues.len(), 6);
    }
}
