//! Checkpoints: how far a load got, so `--resume` continues from there.
//!
//! Invariant: a checkpoint counts only a prefix of the input whose records all
//! ended loaded or rejected (their bad lines flushed first, `bad_file_bytes`
//! long); it is written to a temporary file and renamed, so a kill leaves the
//! old or the new checkpoint, never a torn one.

use std::path::Path;

use crate::error::{Context, Result};
use serde::{Deserialize, Serialize};

/// Progress saved after a prefix of the input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Records (non-blank lines after the header) fully handled.
    pub records_done: u64,
    /// Of those, loaded.
    pub loaded: u64,
    /// Of those, rejected.
    pub rejected: u64,
    /// Length of the bad file covering them.
    pub bad_file_bytes: u64,
}

impl Checkpoint {
    /// Reads a checkpoint.
    ///
    /// # Errors
    /// Unreadable or malformed.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading checkpoint {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("parsing checkpoint {}", path.display()))
    }

    /// Writes it atomically (temporary file, then rename).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn save(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_string(self)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let cp = Checkpoint {
            records_done: 10,
            loaded: 8,
            rejected: 2,
            bad_file_bytes: 77,
        };
        cp.save(&path).unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap(), cp);
    }
}
