//! The client id (`ip@instance[@unit]`) that names a client instance to brokers.

use std::net::IpAddr;

use crate::config::{ClientConfig, DEFAULT_INSTANCE_NAME};
use crate::env::ClientEnv;

/// Builds `ip@instance` or `ip@instance@unit` (Java `buildMQClientId`); IPv6 in brackets.
pub fn build_client_id(ip: &str, instance_name: &str, unit_name: Option<&str>) -> String {
    let mut id = String::with_capacity(ip.len() + instance_name.len() + 16);
    id.push_str(ip);
    id.push('@');
    id.push_str(instance_name);
    if let Some(u) = unit_name.filter(|u| !u.is_empty()) {
        id.push('@');
        id.push_str(u);
    }
    id
}

/// Returns the instance name a producer runs under: `DEFAULT` becomes `<pid>#<nonce>`.
pub fn effective_instance_name(instance_name: &str, pid: u32, nonce: u64) -> String {
    if instance_name == DEFAULT_INSTANCE_NAME {
        format!("{pid}#{nonce}")
    } else {
        instance_name.to_owned()
    }
}

/// Formats an IP as Java's `NetworkUtil` does: IPv6 in brackets.
pub fn format_client_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// Returns the client id a config resolves to in an environment.
///
/// Two configs with the same id share one client instance; give producers different
/// instance or unit names to connect one process to several clusters.
pub fn client_id_for(config: &ClientConfig, env: &ClientEnv) -> String {
    let ip = config
        .client_ip
        .clone()
        .unwrap_or_else(|| format_client_ip(env.local_ip));
    let instance = match config.keep_default_instance_name {
        true => config.instance_name.clone(),
        false => effective_instance_name(&config.instance_name, env.pid, env.instance_nonce),
    };
    build_client_id(&ip, &instance, config.unit_name.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_table() {
        assert_eq!(build_client_id("10.0.0.1", "i1", None), "10.0.0.1@i1");
        assert_eq!(
            build_client_id("10.0.0.1", "i1", Some("u")),
            "10.0.0.1@i1@u"
        );
        assert_eq!(build_client_id("10.0.0.1", "i1", Some("")), "10.0.0.1@i1");
        assert_eq!(
            effective_instance_name("DEFAULT", 12345, 9182),
            "12345#9182"
        );
        assert_eq!(effective_instance_name("orders", 12345, 9182), "orders");
        assert_eq!(format_client_ip("::1".parse().unwrap()), "[::1]");
    }
}
