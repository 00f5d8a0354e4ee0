//! A broadcasting consumer's local offsets file, in Java's `offsets.json` format and place
//! (`<dir>/<clientId>/<group>/offsets.json`, with an `offsets.json.bak` copy of the previous
//! contents; CONSUMER.md §6). Written atomically: a temporary file renamed over the old one.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use rocketmq_proto::body::{MessageQueue, OffsetSerializeWrapper};

/// Java's default directory: `${user.home}/.rocketmq_offsets`.
pub(crate) fn default_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".rocketmq_offsets")
}

/// The file of a consumer group of a client.
pub(crate) fn path(dir: &Path, client_id: &str, group: &str) -> PathBuf {
    dir.join(client_id).join(group).join("offsets.json")
}

/// Reads the offsets of a file, else of its `.bak` copy; empty when neither exists. A file
/// that exists and does not parse is an error (Java aborts the start then).
pub(crate) fn read(file: &Path) -> io::Result<BTreeMap<MessageQueue, i64>> {
    let bak = bak_of(file);
    let mut last_error = None;
    for f in [file, bak.as_path()] {
        match std::fs::read(f) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => continue,
            Ok(bytes) => match OffsetSerializeWrapper::from_json(&bytes) {
                Ok(w) => return Ok(w.offset_table),
                Err(e) => last_error = Some(io::Error::new(io::ErrorKind::InvalidData, e)),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => last_error = Some(e),
        }
    }
    match last_error {
        Some(e) => Err(e),
        None => Ok(BTreeMap::new()),
    }
}

/// Writes the offsets: the current contents become the `.bak` copy, then the new contents
/// replace the file through a temporary file and a rename (never half written).
pub(crate) fn write(file: &Path, offsets: BTreeMap<MessageQueue, i64>) -> io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if file.exists() {
        std::fs::copy(file, bak_of(file))?;
    }
    let text = OffsetSerializeWrapper {
        offset_table: offsets,
    }
    .to_json();
    let tmp = file.with_extension("json.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, file)
}

fn bak_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".bak");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use rocketmq_proto::body::MessageQueue;

    use super::{path, read, write};

    #[test]
    fn written_offsets_read_back_and_the_previous_contents_are_kept_as_bak() {
        let dir =
            std::env::temp_dir().join(format!("rocketmq-offsets-test-{}", std::process::id()));
        let file = path(&dir, "10.0.0.1@DEFAULT", "cg");
        assert!(read(&file).unwrap().is_empty(), "no file yet");
        let mq = MessageQueue::new("T", "broker-a", 1);
        write(&file, [(mq.clone(), 5)].into()).unwrap();
        write(&file, [(mq.clone(), 9)].into()).unwrap();
        assert_eq!(read(&file).unwrap().get(&mq), Some(&9));
        let bak = std::fs::read_to_string(file.with_extension("json.bak")).unwrap();
        assert!(bak.contains("}:5"), "{bak}");
        // A damaged file: the .bak copy is read instead.
        std::fs::write(&file, "").unwrap();
        assert_eq!(read(&file).unwrap().get(&mq), Some(&5));
        std::fs::write(&file, "{not json").unwrap();
        assert_eq!(read(&file).unwrap().get(&mq), Some(&5));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
