//! Name server choice: keep the current one while it works, else move to the next.

/// The configured name servers and which one is in use.
#[derive(Clone, Debug)]
pub(crate) struct NameServers {
    addrs: Vec<String>,
    chosen: Option<usize>,
    counter: usize,
}

impl NameServers {
    /// Starts with a random counter, as Java does (`random(0..998)`).
    pub(crate) fn new(addrs: Vec<String>, random: u32) -> Self {
        Self {
            addrs,
            chosen: None,
            counter: (random % 999) as usize,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.addrs.len()
    }

    /// Returns the name server to ask now.
    pub(crate) fn current(&mut self) -> Option<&str> {
        if self.addrs.is_empty() {
            return None;
        }
        let i = match self.chosen {
            Some(i) => i,
            None => {
                self.counter = self.counter.wrapping_add(1);
                let i = self.counter % self.addrs.len();
                self.chosen = Some(i);
                i
            }
        };
        self.addrs.get(i).map(String::as_str)
    }

    /// Marks `addr` as failed so that the next request goes to another name server.
    pub(crate) fn failed(&mut self, addr: &str) {
        if self
            .chosen
            .and_then(|i| self.addrs.get(i))
            .is_some_and(|a| a == addr)
        {
            self.chosen = None;
        }
    }

    pub(crate) fn contains(&self, addr: &str) -> bool {
        self.addrs.iter().any(|a| a == addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sticks_until_failure_then_moves_on() {
        let mut ns = NameServers::new(vec!["a:1".into(), "b:1".into(), "c:1".into()], 0);
        let first = ns.current().unwrap().to_owned();
        assert_eq!(first, "b:1");
        assert_eq!(ns.current().unwrap(), first);
        ns.failed("x:1");
        assert_eq!(ns.current().unwrap(), first);
        ns.failed(&first);
        assert_eq!(ns.current().unwrap(), "c:1");
        ns.failed("c:1");
        assert_eq!(ns.current().unwrap(), "a:1");
    }
}
