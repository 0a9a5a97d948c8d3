//! Hinted handoff (DESIGN §6): writes a replica missed (it was down, or did
//! not answer in time) are kept on disk and replayed once it is back.
//!
//! One append-only file per target host under `<data_dir>/hints/`, records
//! `u32 length | u32 CRC-32 | i64 created (ms) | encoded partition update`.
//! A replay renames the file to `.replaying` (new hints go to a fresh file),
//! sends every record as a MUTATION_REQ, and deletes the file once all were
//! acknowledged; on failure the `.replaying` file is retried first next
//! time. A torn or corrupt tail ends a file (the rest is dropped with a log
//! line). Mutations keep their write timestamps, so replaying twice is
//! harmless. No hints are kept for a host whose oldest pending hint is older
//! than `max_hint_window` (it has been gone too long: repair is the cure), and
//! hints for hosts that left the ring are deleted.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use parking_lot::Mutex;

use crate::clock::Clock;
use crate::coordinator::{HintSink, Topology};
use crate::net::{Messaging, Verb};
use crate::ring::HostId;
use crate::shutdown::ShutdownSignal;

/// How often hints are looked at for replay.
pub const REPLAY_INTERVAL: Duration = Duration::from_secs(2);
/// Longest wait for a replayed hint's acknowledgement.
const REPLAY_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest hint record read back.
const HINT_BYTES_MAX: u32 = 256 * 1024 * 1024;
/// Record header: length, checksum, creation time.
const HEADER_LEN: usize = 4 + 4 + 8;

/// The node's hints.
pub struct HintStore {
    dir: PathBuf,
    clock: Arc<dyn Clock>,
    window_ms: i64,
    files: Mutex<HashMap<HostId, (File, i64)>>,
    stored: AtomicU64,
    replayed: AtomicU64,
}

impl HintStore {
    /// Opens (creating) `<data_dir>/hints`.
    ///
    /// # Errors
    /// The directory cannot be created.
    pub fn open(
        data_dir: &Path,
        clock: Arc<dyn Clock>,
        max_hint_window_ms: u64,
    ) -> std::io::Result<Self> {
        let dir = data_dir.join("hints");
        fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            clock,
            window_ms: i64::try_from(max_hint_window_ms).unwrap_or(i64::MAX),
            files: Mutex::new(HashMap::new()),
            stored: AtomicU64::new(0),
            replayed: AtomicU64::new(0),
        })
    }

    /// Hints written since start.
    pub fn stored(&self) -> u64 {
        self.stored.load(Ordering::Relaxed)
    }

    /// Hints replayed (acknowledged) since start.
    pub fn replayed(&self) -> u64 {
        self.replayed.load(Ordering::Relaxed)
    }

    fn path(&self, host: HostId, suffix: &str) -> PathBuf {
        self.dir.join(format!("{host}.{suffix}"))
    }

    fn now_ms(&self) -> i64 {
        self.clock.now_micros() / 1000
    }

    fn append(&self, host: HostId, mutation: &[u8]) -> std::io::Result<()> {
        let now = self.now_ms();
        let mut files = self.files.lock();
        let (file, oldest) = match files.entry(host) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let path = self.path(host, "hints");
                let oldest = oldest_record(&path).unwrap_or(now);
                let file = OpenOptions::new().create(true).append(true).open(&path)?;
                e.insert((file, oldest))
            }
        };
        if now.saturating_sub(*oldest) > self.window_ms {
            return Ok(());
        }
        let len = u32::try_from(mutation.len()).unwrap_or(u32::MAX);
        let mut record = BytesMut::with_capacity(HEADER_LEN + mutation.len());
        record.put_u32(len);
        record.put_u32(crc32fast::hash(mutation));
        record.put_i64(now);
        record.put_slice(mutation);
        file.write_all(&record)?;
        self.stored.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Hosts with hints waiting (files of either kind).
    fn hosts_with_hints(&self) -> Vec<HostId> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut hosts: Vec<HostId> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let (host, _) = name.split_once('.')?;
                host.parse().ok()
            })
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }

    /// Takes the hints of `host` for replay: the `.replaying` file (renaming
    /// the live file to it when there is none).
    fn take_for_replay(&self, host: HostId) -> Option<(PathBuf, Vec<(i64, Bytes)>)> {
        let replaying = self.path(host, "replaying");
        if !replaying.exists() {
            let mut files = self.files.lock();
            files.remove(&host);
            let live = self.path(host, "hints");
            if !live.exists() || fs::rename(&live, &replaying).is_err() {
                return None;
            }
        }
        Some((replaying.clone(), read_records(&replaying)))
    }

    fn forget(&self, host: HostId) {
        self.files.lock().remove(&host);
        for suffix in ["hints", "replaying"] {
            let _ = fs::remove_file(self.path(host, suffix));
        }
    }
}

impl HintSink for HintStore {
    fn store(&self, target: HostId, mutation: Bytes) {
        if let Err(e) = self.append(target, &mutation) {
            tracing::error!(host = %target, error = %e, "writing a hint failed");
        }
    }
}

/// The creation time of a hint file's first record (only its header is read).
fn oldest_record(path: &Path) -> Option<i64> {
    let mut header = [0_u8; HEADER_LEN];
    File::open(path).ok()?.read_exact(&mut header).ok()?;
    let created = header.get(8..16)?;
    Some(i64::from_be_bytes(created.try_into().ok()?))
}

/// Every intact record of a hint file, in order.
fn read_records(path: &Path) -> Vec<(i64, Bytes)> {
    let mut bytes = Vec::new();
    if File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .is_err()
    {
        return Vec::new();
    }
    let mut buf = Bytes::from(bytes);
    let mut out = Vec::new();
    while buf.remaining() >= HEADER_LEN {
        let len = buf.get_u32();
        let crc = buf.get_u32();
        let created = buf.get_i64();
        let Ok(len_usize) = usize::try_from(len) else {
            break;
        };
        if len > HINT_BYTES_MAX || buf.remaining() < len_usize {
            tracing::warn!(file = %path.display(), "hint file ends in a torn record");
            break;
        }
        let payload = buf.split_to(len_usize);
        if crc32fast::hash(&payload) != crc {
            tracing::warn!(file = %path.display(), "corrupt hint record; the rest of the file is dropped");
            break;
        }
        out.push((created, payload));
    }
    out
}

/// Replays hints to hosts that are up, every [`REPLAY_INTERVAL`], until shutdown.
pub async fn replay_loop(
    hints: Arc<HintStore>,
    topology: Arc<Topology>,
    messaging: Arc<Messaging>,
    mut shutdown: ShutdownSignal,
) {
    loop {
        tokio::select! {
            () = shutdown.fired() => return,
            () = tokio::time::sleep(REPLAY_INTERVAL) => {}
        }
        let view = topology.current();
        for host in hints.hosts_with_hints() {
            let Some(info) = view.ring.node(&host) else {
                tracing::info!(%host, "dropping hints for a node that left the ring");
                hints.forget(host);
                continue;
            };
            if view.down.contains(&host) || host == view.local {
                continue;
            }
            let address = info.address;
            let store = Arc::clone(&hints);
            let Ok(Some((path, records))) =
                tokio::task::spawn_blocking(move || store.take_for_replay(host)).await
            else {
                continue;
            };
            if replay(&messaging, address, &records).await {
                hints
                    .replayed
                    .fetch_add(records.len() as u64, Ordering::Relaxed);
                let _ = fs::remove_file(&path);
                tracing::info!(%host, count = records.len(), "hints replayed");
            }
        }
    }
}

/// Sends every record to `address`; true when all were acknowledged.
async fn replay(
    messaging: &Messaging,
    address: std::net::IpAddr,
    records: &[(i64, Bytes)],
) -> bool {
    const IN_FLIGHT_MAX: usize = 64;
    for chunk in records.chunks(IN_FLIGHT_MAX) {
        let mut waits = Vec::with_capacity(chunk.len());
        for (_, mutation) in chunk {
            let (tx, rx) = tokio::sync::oneshot::channel();
            messaging.request(
                address,
                Verb::MutationReq,
                mutation.clone(),
                REPLAY_TIMEOUT,
                Box::new(move |result| {
                    let _ = tx.send(matches!(result, Ok(f) if f.verb == Verb::MutationRsp));
                }),
            );
            waits.push(rx);
        }
        for rx in waits {
            if !matches!(rx.await, Ok(true)) {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn hints_are_kept_in_order_and_torn_tails_end_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(1_000_000_000));
        let store = HintStore::open(dir.path(), clock.clone(), 3_600_000).unwrap();
        let host = uuid::Uuid::from_u128(9);
        store.store(host, Bytes::from_static(b"one"));
        store.store(host, Bytes::from_static(b"two"));
        assert_eq!(store.hosts_with_hints(), vec![host]);
        let (path, records) = store.take_for_replay(host).unwrap();
        let payloads: Vec<&[u8]> = records.iter().map(|(_, p)| &p[..]).collect();
        assert_eq!(payloads, vec![&b"one"[..], &b"two"[..]]);
        // New hints go to a fresh file while the old one replays.
        store.store(host, Bytes::from_static(b"three"));
        assert!(store.path(host, "hints").exists());
        // A torn tail: the intact records survive.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[0, 0, 0, 9, 1, 2]).unwrap();
        assert_eq!(read_records(&path).len(), 2);
        store.forget(host);
        assert!(store.hosts_with_hints().is_empty());
    }

    #[test]
    fn no_hints_past_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(1_000_000_000));
        let store = HintStore::open(dir.path(), clock.clone(), 1_000).unwrap();
        let host = uuid::Uuid::from_u128(3);
        store.store(host, Bytes::from_static(b"a"));
        clock.advance_micros(2_000_000);
        store.store(host, Bytes::from_static(b"b"));
        assert_eq!(read_records(&store.path(host, "hints")).len(), 1);
        assert_eq!(store.stored(), 1);
    }
}
