//! Namespaces: topics (and groups) prefixed `ns%`, as Java's `NamespaceUtil` does.

/// Prefixes a topic with the namespace (`ns%topic`).
pub(crate) fn with_namespace(ns: Option<&str>, topic: String) -> String {
    match ns.filter(|n| !n.is_empty()) {
        Some(ns) if !topic.starts_with(&format!("{ns}%")) => format!("{ns}%{topic}"),
        _ => topic,
    }
}

/// Removes the namespace prefix `ns%` from a topic, in place.
pub(crate) fn without_namespace(ns: Option<&str>, mut topic: String) -> String {
    if let Some(ns) = ns.filter(|n| !n.is_empty()) {
        let prefixed = topic.starts_with(ns) && topic[ns.len()..].starts_with('%');
        if prefixed {
            topic.drain(..=ns.len());
        }
    }
    topic
}
