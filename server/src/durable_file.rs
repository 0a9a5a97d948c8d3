//! Small files replaced atomically and durably (schema, roles, identity):
//! write a temporary file beside the target, fsync it, rename it over the
//! target, fsync the directory. After a crash the file is either the old or
//! the new version, never a mix, and an acknowledged change survives.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Which file an operation failed on, and why.
#[derive(Debug)]
pub struct DurableWriteError {
    /// The file or directory.
    pub path: PathBuf,
    /// The OS error.
    pub source: std::io::Error,
}

/// Replaces `path` with `bytes` atomically and durably (see the module docs).
///
/// # Errors
/// The temporary file, the rename or the directory sync failed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DurableWriteError> {
    let tmp = path.with_extension("tmp");
    let at = |path: &Path| {
        let path = path.to_owned();
        move |source| DurableWriteError { path, source }
    };
    let mut out = fs::File::create(&tmp).map_err(at(&tmp))?;
    out.write_all(bytes).map_err(at(&tmp))?;
    out.sync_all().map_err(at(&tmp))?;
    fs::rename(&tmp, path).map_err(at(path))?;
    if let Some(dir) = path.parent() {
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(at(dir))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert!(!path.with_extension("tmp").exists());
        let missing = dir.path().join("no-such-dir").join("x.json");
        assert!(write_atomically(&missing, b"x").is_err());
    }
}
