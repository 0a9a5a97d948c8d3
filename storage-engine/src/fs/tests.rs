//! Both file systems behave alike; MemFs crashes drop what was not synced.

use std::path::{Path, PathBuf};

use super::{FileSystem, MemFs, StdFs};

fn exercise(fs: &dyn FileSystem, dir: &Path) {
    fs.create_dir_all(dir).unwrap();
    let a = dir.join("a");
    let f = fs.create(&a).unwrap();
    f.append(b"hello ").unwrap();
    f.append(b"world").unwrap();
    f.sync().unwrap();
    assert_eq!(f.len(), 11);
    let r = fs.open_read(&a).unwrap();
    let mut buf = [0u8; 5];
    r.read_exact_at(6, &mut buf).unwrap();
    assert_eq!(&buf, b"world");
    assert!(r.read_exact_at(8, &mut buf).is_err());
    assert_eq!(r.read_at(20, &mut buf).unwrap(), 0);
    let b = dir.join("b");
    fs.rename(&a, &b).unwrap();
    assert!(!fs.exists(&a) && fs.exists(&b));
    fs.hard_link(&b, &dir.join("c")).unwrap();
    assert_eq!(fs.list(dir).unwrap(), vec![b.clone(), dir.join("c")]);
    let g = fs.open_append(&b).unwrap();
    g.append(b"!").unwrap();
    assert_eq!(fs.file_len(&b).unwrap(), 12);
    assert_eq!(fs.read_all(&b, 100).unwrap(), b"hello world!");
    assert!(fs.read_all(&b, 3).is_err());
    fs.remove(&b).unwrap();
    fs.sync_dir(dir).unwrap();
    assert_eq!(fs.list(dir).unwrap(), vec![dir.join("c")]);
    assert!(fs.open_read(&b).is_err());
}

#[test]
fn std_fs_basics() {
    let tmp = tempfile::tempdir().unwrap();
    exercise(&StdFs, &tmp.path().join("d"));
    assert!(StdFs.real_path(Path::new("x")).is_some());
}

#[test]
fn mem_fs_basics() {
    let fs = MemFs::new();
    exercise(&fs, Path::new("/data/d"));
    assert!(fs.real_path(Path::new("x")).is_none());
    assert!(fs.create(Path::new("/nodir/x")).is_err());
}

#[test]
fn crash_keeps_only_synced_bytes_and_durable_names() {
    let fs = MemFs::new();
    let dir = PathBuf::from("/d");
    fs.create_dir_all(&dir).unwrap();
    let durable = fs.create(&dir.join("durable")).unwrap();
    durable.append(b"synced").unwrap();
    durable.sync().unwrap();
    durable.append(b" lost").unwrap();
    fs.sync_dir(&dir).unwrap();
    let unnamed = fs.create(&dir.join("unnamed")).unwrap();
    unnamed.append(b"x").unwrap();
    unnamed.sync().unwrap(); // bytes synced, but the name never was
    fs.rename(&dir.join("durable"), &dir.join("renamed"))
        .unwrap(); // not synced
    fs.crash();
    assert_eq!(fs.list(&dir).unwrap(), vec![dir.join("durable")]);
    assert_eq!(fs.read_all(&dir.join("durable"), 100).unwrap(), b"synced");
    assert!(
        durable.append(b"after crash").is_err(),
        "stale handle must fail"
    );
    assert!(durable.sync().is_err());
}

#[test]
fn synced_rename_survives_and_removal_needs_dir_sync() {
    let fs = MemFs::new();
    let dir = PathBuf::from("/d");
    fs.create_dir_all(&dir).unwrap();
    let f = fs.create(&dir.join("tmp")).unwrap();
    f.append(b"data").unwrap();
    f.sync().unwrap();
    fs.rename(&dir.join("tmp"), &dir.join("final")).unwrap();
    fs.sync_dir(&dir).unwrap();
    fs.remove(&dir.join("final")).unwrap();
    fs.crash();
    assert_eq!(fs.read_all(&dir.join("final"), 100).unwrap(), b"data");
    fs.overwrite(&dir.join("final"), 1, b"A").unwrap();
    assert_eq!(fs.read_all(&dir.join("final"), 100).unwrap(), b"dAta");
    assert_eq!(fs.synced_len(&dir.join("final")), 4);
    assert!(fs.sync_count() >= 1);
}
