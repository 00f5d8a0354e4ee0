//! Which client instance a producer joins: one instance per client id (Java `MQClientManager`).

use std::collections::HashMap;

use crate::client_id::client_id_for;
use crate::config::ClientConfig;
use crate::env::ClientEnv;

/// Client instances by client id; `T` is whatever handle the caller keeps per instance.
///
/// Producers whose configs resolve to the same client id share one instance; different
/// instance or unit names give separate instances (the way to reach several clusters).
#[derive(Debug)]
pub struct ClientRegistry<T> {
    instances: HashMap<String, T>,
}

impl<T> Default for ClientRegistry<T> {
    fn default() -> Self {
        Self {
            instances: HashMap::new(),
        }
    }
}

impl<T> ClientRegistry<T> {
    /// Creates an empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the instance for `config`, creating it with `make(client_id)` if there is none.
    pub fn get_or_create(
        &mut self,
        config: &ClientConfig,
        env: &ClientEnv,
        make: impl FnOnce(&str) -> T,
    ) -> &mut T {
        let id = client_id_for(config, env);
        self.instances
            .entry(id.clone())
            .or_insert_with(|| make(&id))
    }

    /// Removes the instance with `client_id`.
    pub fn remove(&mut self, client_id: &str) -> Option<T> {
        self.instances.remove(client_id)
    }

    /// Keeps only the instances for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut T) -> bool) {
        self.instances.retain(|k, v| keep(k, v));
    }

    /// Returns the number of instances.
    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// Returns whether there is no instance.
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }
}
