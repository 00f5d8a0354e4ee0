//! Live client instances by runtime and client id (Java `MQClientManager`): producers (and
//! consumers) whose settings resolve to the same client id share one instance and its driver.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use super::inbox::{Command, Inbox};

/// One client instance's command queue; dropping the last one shuts the instance down.
pub(crate) struct SharedInstance {
    pub(crate) inbox: Inbox,
    pub(crate) client_id: String,
    /// Producer and consumer ids are handed out here, in the order the driver creates them.
    next_producer: AtomicU32,
    next_consumer: AtomicU32,
}

/// Which kind of role a handle adds to an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Producer,
    Consumer,
}

impl SharedInstance {
    fn next_id(&self, role: Role) -> u32 {
        let counter = match role {
            Role::Producer => &self.next_producer,
            Role::Consumer => &self.next_consumer,
        };
        counter.fetch_add(1, Ordering::Relaxed)
    }
}

impl Drop for SharedInstance {
    fn drop(&mut self) {
        self.inbox.orphan();
    }
}

/// Instances by `(runtime type, client id)`.
#[derive(Default)]
pub(crate) struct Registry(Mutex<HashMap<(TypeId, String), Weak<SharedInstance>>>);

impl Registry {
    /// The process-wide registry.
    pub(crate) fn global() -> &'static Self {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        REGISTRY.get_or_init(Self::default)
    }

    /// Adds a producer or consumer to the live instance for `key` by sending it `create(id)`
    /// with the instance's next id of that role, or to a new instance made by `make` (which returns its
    /// inbox and whatever else the caller needs, e.g. its driver) when there is none or its
    /// driver has ended meanwhile. Returns the instance, the producer id and what `make`
    /// returned, if it ran.
    pub(crate) fn join_or_create<T>(
        &self,
        key: (TypeId, String),
        role: Role,
        create: impl Fn(u32) -> Command,
        make: impl FnOnce() -> (Inbox, T),
    ) -> (Arc<SharedInstance>, u32, Option<T>) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.retain(|_, w| w.strong_count() > 0);
        if let Some(live) = map.get(&key).and_then(Weak::upgrade) {
            // A driver that has ended refuses the command; a new instance takes its place.
            let id = live.next_id(role);
            if live.inbox.push(create(id)) {
                return (live, id, None);
            }
        }
        let (inbox, extra) = make();
        let instance = Arc::new(SharedInstance {
            inbox,
            client_id: key.1.clone(),
            next_producer: AtomicU32::new(0),
            next_consumer: AtomicU32::new(0),
        });
        // A fresh inbox accepts commands until its driver ends, which has not started yet.
        let id = instance.next_id(role);
        let accepted = instance.inbox.push(create(id));
        debug_assert!(accepted, "a new instance's inbox accepts commands");
        map.insert(key, Arc::downgrade(&instance));
        (instance, id, Some(extra))
    }
}

#[cfg(test)]
mod tests {
    use std::any::TypeId;

    use super::{Command, Inbox, Registry, Role};
    use crate::ids::ProducerId;

    fn key(id: &str) -> (TypeId, String) {
        (TypeId::of::<()>(), id.to_owned())
    }

    fn noop(id: u32) -> Command {
        Command::Shutdown {
            producer: ProducerId(id),
            reply: None,
        }
    }

    #[test]
    fn same_client_id_shares_one_instance_different_ids_are_separate() {
        let reg = Registry::default();
        let (a1, id1, made) =
            reg.join_or_create(key("a"), Role::Producer, noop, || (Inbox::default(), ()));
        assert!(made.is_some());
        let (a2, id2, made) =
            reg.join_or_create(key("a"), Role::Producer, noop, || (Inbox::default(), ()));
        assert!(
            made.is_none(),
            "the second producer joins the first's instance"
        );
        assert!(std::sync::Arc::ptr_eq(&a1, &a2));
        assert_eq!((id1, id2), (0, 1));
        let (b, _, made) =
            reg.join_or_create(key("b"), Role::Producer, noop, || (Inbox::default(), ()));
        assert!(made.is_some());
        assert!(!std::sync::Arc::ptr_eq(&a1, &b));
    }

    #[test]
    fn an_instance_whose_driver_ended_is_replaced() {
        let reg = Registry::default();
        let (old, _, _) =
            reg.join_or_create(key("a"), Role::Producer, noop, || (Inbox::default(), ()));
        // The driver ended (shut down): its inbox refuses commands.
        drop(old.inbox.kill());
        let (new, id, made) =
            reg.join_or_create(key("a"), Role::Producer, noop, || (Inbox::default(), ()));
        assert_eq!(id, 0, "ids count from the new instance");
        assert!(made.is_some(), "a new instance, not an error");
        assert!(!std::sync::Arc::ptr_eq(&old, &new));
    }
}
