//! The SSTables of one table directory: which generations are published, cleanup of
//! unfinished writes at start-up, deletion, and the next free generation number.
//!
//! Invariant: a generation is published iff its TOC exists (the writer renames the TOC
//! last). Deletion removes the TOC first, so a crash mid-delete leaves an unpublished
//! generation that [`remove_incomplete`] finishes off.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::error::Result;
use super::format::{Component, Descriptor};
use super::io::remove_quietly;
use crate::fs::FileSystem;

/// A file name in an SSTable directory: `(generation, component, temporary?)`.
fn classify(path: &Path) -> Option<(u64, Component, bool)> {
    let name = path.file_name()?.to_str()?;
    match name.strip_suffix(".tmp") {
        Some(published) => Descriptor::parse_file_name(published).map(|(g, c)| (g, c, true)),
        None => Descriptor::parse_file_name(name).map(|(g, c)| (g, c, false)),
    }
}

/// Published generations in `dir`, ascending.
///
/// # Errors
/// When the directory cannot be listed.
pub fn list_generations(fs: &dyn FileSystem, dir: &Path) -> Result<Vec<u64>> {
    let published: BTreeSet<u64> = fs
        .list(dir)?
        .iter()
        .filter_map(|p| classify(p))
        .filter(|(_, c, tmp)| *c == Component::Toc && !tmp)
        .map(|(g, _, _)| g)
        .collect();
    Ok(published.into_iter().collect())
}

/// Removes temporary files and the components of generations without a TOC, then
/// syncs the directory; returns the removed paths (start-up cleanup).
///
/// # Errors
/// When the directory cannot be listed or synced.
pub fn remove_incomplete(fs: &dyn FileSystem, dir: &Path) -> Result<Vec<PathBuf>> {
    let files = fs.list(dir)?;
    let published: BTreeSet<u64> = list_generations(fs, dir)?.into_iter().collect();
    let doomed: Vec<PathBuf> = files
        .into_iter()
        .filter(|p| classify(p).is_some_and(|(g, _, tmp)| tmp || !published.contains(&g)))
        .collect();
    for path in &doomed {
        tracing::info!(file = %path.display(), "removing unfinished sstable file");
        remove_quietly(fs, path);
    }
    if !doomed.is_empty() {
        fs.sync_dir(dir)?;
    }
    Ok(doomed)
}

/// Deletes a published SSTable: TOC first (unpublishing it), then the other components.
///
/// # Errors
/// When the TOC cannot be removed or the directory synced.
pub fn delete(fs: &dyn FileSystem, descriptor: &Descriptor) -> Result<()> {
    let toc = descriptor.path(Component::Toc);
    if fs.exists(&toc) {
        fs.remove(&toc)?;
        fs.sync_dir(&descriptor.dir)?;
    }
    for c in Component::ALL {
        remove_quietly(fs, &descriptor.path(c));
    }
    fs.sync_dir(&descriptor.dir)?;
    Ok(())
}

/// One more than the largest generation of any SSTable file (finished or not) in `dir`.
///
/// # Errors
/// When the directory cannot be listed.
pub fn next_generation(fs: &dyn FileSystem, dir: &Path) -> Result<u64> {
    let max = fs
        .list(dir)?
        .iter()
        .filter_map(|p| classify(p))
        .map(|(g, _, _)| g)
        .max();
    Ok(max.map_or(1, |g| g.saturating_add(1)))
}
