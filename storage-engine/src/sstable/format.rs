//! The SSTable byte layout: file names, the common file header, and every limit.
//!
//! An SSTable is a set of component files sharing one generation number in one
//! directory, named `sb-<generation>-<Component>.db` (`sb-7-Data.db`, `sb-7-Index.db`,
//! `sb-7-Summary.db`, `sb-7-Filter.db`, `sb-7-Stats.db`, and `sb-7-TOC.txt`). While
//! being written each file carries an extra `.tmp` suffix; the TOC is renamed last,
//! so a generation without a TOC is an unfinished write and may be deleted.
//!
//! Every binary component starts with the same 12-byte header:
//! `magic "SBYL" | component tag (4 ASCII bytes) | format version u16 LE | reserved u16 = 0`.
//! All fixed-width integers in every component are little-endian; variable-length
//! integers are LEB128 (see `codec`). The full layout lives in `docs/sstable-format.md`.

use std::path::{Path, PathBuf};

use super::codec::ByteReader;
use super::error::{Result, SsTableError};

/// Magic bytes opening every binary component.
pub const MAGIC: [u8; 4] = *b"SBYL";
/// The format version written into every component; readers accept exactly this.
pub const FORMAT_VERSION: u16 = 1;
/// Length of the common header.
pub const HEADER_LEN: usize = 12;
/// Default uncompressed size of one Data chunk.
pub const CHUNK_BYTES_DEFAULT: u32 = 16 * 1024;
/// Smallest allowed chunk size.
pub const CHUNK_BYTES_MIN: u32 = 1024;
/// Largest allowed chunk size (bounds the buffer a reader allocates per chunk).
pub const CHUNK_BYTES_MAX: u32 = 16 * 1024 * 1024;
/// Target serialized size of one row-index block inside a wide partition: one chunk, so
/// a slice decodes at most about a chunk of rows it does not want and a block rarely
/// spans more than two chunks (64 KiB blocks, Cassandra 3's `column_index_size`, made
/// a 100-row slice decode and copy four chunks).
pub const ROW_INDEX_BLOCK_BYTES: u64 = 16 * 1024;
/// Every `SUMMARY_INTERVAL`-th index entry is sampled into the Summary.
pub const SUMMARY_INTERVAL: usize = 128;
/// Largest partition key (Cassandra's limit: a u16 length).
pub const KEY_BYTES_MAX: usize = 64 * 1024 - 1;
/// Largest encoded clustering key.
pub const CLUSTERING_BYTES_MAX: usize = 64 * 1024;
/// Largest single cell value or cell path.
pub const VALUE_BYTES_MAX: usize = 256 * 1024 * 1024;
/// Largest number of cells in one row, row-index blocks, or range tombstones in a partition
/// (bounds allocations in decoders).
pub const ITEMS_MAX: usize = 64 * 1024 * 1024;
/// Largest Index entry (one partition's key, position and row index).
pub const INDEX_ENTRY_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Largest Summary, Stats or Filter component kept in memory.
pub const META_BYTES_MAX: u64 = 1024 * 1024 * 1024;

const _: () = assert!(CHUNK_BYTES_MIN <= CHUNK_BYTES_DEFAULT);
const _: () = assert!(CHUNK_BYTES_DEFAULT <= CHUNK_BYTES_MAX);
const _: () = assert!(SUMMARY_INTERVAL > 0);
const _: () = assert!(KEY_BYTES_MAX < u16::MAX as usize + 1);
const _: () = assert!(ROW_INDEX_BLOCK_BYTES >= 1024);

/// One file of an SSTable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    /// Partitions, serialized and cut into compressed, checksummed chunks.
    Data,
    /// One entry per partition: key, data position, size, row index.
    Index,
    /// Every Nth index entry, loaded in memory at open for binary search.
    Summary,
    /// Bloom filter over partition keys.
    Filter,
    /// Statistics: timestamps, deletion times, clustering and token bounds, counts.
    Stats,
    /// Table of contents: the list of components and their lengths; written last.
    Toc,
}

impl Component {
    /// Every component, in the order the writer publishes them (TOC last).
    pub const ALL: [Component; 6] = [
        Component::Data,
        Component::Index,
        Component::Summary,
        Component::Filter,
        Component::Stats,
        Component::Toc,
    ];

    /// The name used in file names and in the TOC.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Component::Data => "Data",
            Component::Index => "Index",
            Component::Summary => "Summary",
            Component::Filter => "Filter",
            Component::Stats => "Stats",
            Component::Toc => "TOC",
        }
    }

    /// The 4-byte tag in the binary header.
    #[must_use]
    pub fn tag(self) -> [u8; 4] {
        match self {
            Component::Data => *b"DATA",
            Component::Index => *b"INDX",
            Component::Summary => *b"SUMM",
            Component::Filter => *b"FILT",
            Component::Stats => *b"STAT",
            Component::Toc => *b"TOC_",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Component::Toc => "txt",
            _ => "db",
        }
    }
}

/// Where one SSTable lives: its directory and generation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Descriptor {
    /// Directory holding the component files.
    pub dir: PathBuf,
    /// Generation number, unique per table directory.
    pub generation: u64,
}

impl Descriptor {
    /// A descriptor for `generation` in `dir`.
    pub fn new(dir: impl Into<PathBuf>, generation: u64) -> Self {
        Self {
            dir: dir.into(),
            generation,
        }
    }

    /// The published path of `component`.
    #[must_use]
    pub fn path(&self, component: Component) -> PathBuf {
        self.dir.join(format!(
            "sb-{}-{}.{}",
            self.generation,
            component.name(),
            component.extension()
        ))
    }

    /// The temporary path `component` is written under before publication.
    #[must_use]
    pub fn tmp_path(&self, component: Component) -> PathBuf {
        let mut name = self.path(component).into_os_string();
        name.push(".tmp");
        PathBuf::from(name)
    }

    /// Parses a published file name `sb-<gen>-<Component>.<ext>` into (generation, component).
    #[must_use]
    pub fn parse_file_name(name: &str) -> Option<(u64, Component)> {
        let rest = name.strip_prefix("sb-")?;
        let (generation, rest) = rest.split_once('-')?;
        let generation = generation.parse().ok()?;
        let component = Component::ALL
            .into_iter()
            .find(|c| rest == format!("{}.{}", c.name(), c.extension()))?;
        Some((generation, component))
    }
}

/// Appends the common header for `component`.
pub fn put_header(out: &mut Vec<u8>, component: Component) {
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&component.tag());
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
}

/// Checks the common header of `bytes` (the whole file) for `component`.
///
/// # Errors
/// `Corruption` naming `file` when the magic, tag or version is wrong.
pub fn check_header(bytes: &[u8], component: Component, file: &Path) -> Result<()> {
    let mut r = ByteReader::new(bytes);
    let bad = |what: String| SsTableError::corruption(file, 0, what);
    let magic = r.take(4, "magic").map_err(|e| e.at(file, 0))?;
    if magic != MAGIC {
        return Err(bad(format!(
            "bad magic {magic:02x?}, expected {MAGIC:02x?}"
        )));
    }
    let tag = r.take(4, "component tag").map_err(|e| e.at(file, 0))?;
    if tag != component.tag() {
        return Err(bad(format!(
            "component tag {tag:02x?} is not {}",
            component.name()
        )));
    }
    let version = r.u16("format version").map_err(|e| e.at(file, 0))?;
    if version != FORMAT_VERSION {
        return Err(bad(format!(
            "unsupported format version {version} (this build reads {FORMAT_VERSION})"
        )));
    }
    if r.u16("reserved").map_err(|e| e.at(file, 0))? != 0 {
        return Err(bad("reserved header bytes are not zero".into()));
    }
    Ok(())
}

/// Splits a small checksummed component `header | body | crc32(body) u32`, checking both.
///
/// # Errors
/// `Corruption` on a bad header or short file, `ChecksumMismatch` on a bad checksum.
pub fn checked_body<'a>(bytes: &'a [u8], component: Component, file: &Path) -> Result<&'a [u8]> {
    check_header(bytes, component, file)?;
    let short = || SsTableError::corruption(file, 0, "file shorter than header and checksum");
    let end = bytes
        .len()
        .checked_sub(4)
        .filter(|e| *e >= HEADER_LEN)
        .ok_or_else(short)?;
    let body = bytes.get(HEADER_LEN..end).ok_or_else(short)?;
    let mut crc = [0u8; 4];
    crc.copy_from_slice(bytes.get(end..).ok_or_else(short)?);
    let expected = u32::from_le_bytes(crc);
    let got = super::codec::crc32(body);
    if expected != got {
        return Err(SsTableError::ChecksumMismatch {
            file: file.to_path_buf(),
            offset: super::codec::len_u64(HEADER_LEN),
            expected,
            got,
        });
    }
    Ok(body)
}

/// Frames `body` as a small checksummed component: `header | body | crc32(body)`.
#[must_use]
pub fn frame_body(component: Component, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len() + 4);
    put_header(&mut out, component);
    out.extend_from_slice(body);
    out.extend_from_slice(&super::codec::crc32(body).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let d = Descriptor::new("/x", 42);
        for c in Component::ALL {
            let path = d.path(c);
            let name = path.file_name().unwrap().to_str().unwrap();
            assert_eq!(Descriptor::parse_file_name(name), Some((42, c)));
            let tmp = d.tmp_path(c);
            let tmp = tmp.file_name().unwrap().to_str().unwrap();
            assert_eq!(Descriptor::parse_file_name(tmp), None);
        }
        assert_eq!(d.path(Component::Data), PathBuf::from("/x/sb-42-Data.db"));
    }

    #[test]
    fn framed_body_checks() {
        let file = Path::new("f");
        let framed = frame_body(Component::Stats, b"hello");
        assert_eq!(
            checked_body(&framed, Component::Stats, file).unwrap(),
            b"hello"
        );
        assert!(checked_body(&framed, Component::Filter, file).is_err());
        for i in 0..framed.len() {
            let mut bad = framed.clone();
            bad[i] ^= 0x10;
            let err = checked_body(&bad, Component::Stats, file).unwrap_err();
            assert!(err.is_corruption(), "{err}");
        }
        assert!(checked_body(&framed[..13], Component::Stats, file).is_err());
    }
}
