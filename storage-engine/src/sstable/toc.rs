//! The TOC: the last file written, whose presence publishes the SSTable.
//!
//! A text file (`sb-<gen>-TOC.txt`), one item per line:
//! `sibyl-sstable-toc <format version>`, `generation <n>`, then `<Component> <byte length>`
//! for Data, Index, Summary, Filter and Stats, and finally `crc32 <8 hex digits>` over
//! all preceding bytes. Opening checks the checksum, the version, and each listed
//! file's length, so a truncated or missing component is found before any read.

use std::fmt::Write as _;
use std::path::Path;

use super::codec::crc32;
use super::error::{Result, SsTableError};
use super::format::{Component, FORMAT_VERSION};

/// Components listed in a TOC (every one but the TOC itself).
pub const LISTED: [Component; 5] = [
    Component::Data,
    Component::Index,
    Component::Summary,
    Component::Filter,
    Component::Stats,
];

/// Largest TOC accepted.
pub const TOC_BYTES_MAX: usize = 4096;

/// Renders a TOC for `generation` with the component lengths in [`LISTED`] order.
#[must_use]
pub fn render(generation: u64, lengths: &[u64; 5]) -> String {
    let mut s = format!("sibyl-sstable-toc {FORMAT_VERSION}\ngeneration {generation}\n");
    for (c, len) in LISTED.iter().zip(lengths) {
        let _ = writeln!(s, "{} {len}", c.name());
    }
    let crc = crc32(s.as_bytes());
    let _ = writeln!(s, "crc32 {crc:08x}");
    s
}

/// Parses a TOC; returns the component lengths in [`LISTED`] order.
///
/// # Errors
/// `Corruption` naming `file` for any deviation.
pub fn parse(bytes: &[u8], generation: u64, file: &Path) -> Result<[u64; 5]> {
    let bad = |what: &str| SsTableError::corruption(file, 0, what);
    if bytes.len() > TOC_BYTES_MAX {
        return Err(bad("TOC too large"));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| bad("TOC is not UTF-8"))?;
    let crc_at = text
        .rfind("crc32 ")
        .ok_or_else(|| bad("TOC has no checksum"))?;
    let (body, tail) = text.split_at(crc_at);
    let got = crc32(body.as_bytes());
    // Byte-exact comparison: hex case or trailing whitespace may not vary.
    if tail != format!("crc32 {got:08x}\n") {
        let stated = tail.trim_end().strip_prefix("crc32 ").unwrap_or_default();
        let expected = u32::from_str_radix(stated, 16).map_err(|_| bad("TOC checksum line"))?;
        if expected == got {
            return Err(bad("TOC checksum line is not in canonical form"));
        }
        let (file, offset) = (file.to_path_buf(), super::codec::len_u64(crc_at));
        return Err(SsTableError::ChecksumMismatch {
            file,
            offset,
            expected,
            got,
        });
    }
    let mut lines = body.lines();
    if lines.next() != Some(format!("sibyl-sstable-toc {FORMAT_VERSION}").as_str()) {
        return Err(bad("TOC version line: unsupported format version"));
    }
    if lines.next() != Some(format!("generation {generation}").as_str()) {
        return Err(bad("TOC generation does not match its file name"));
    }
    let mut lengths = [0u64; 5];
    for (c, slot) in LISTED.iter().zip(&mut lengths) {
        let line = lines
            .next()
            .ok_or_else(|| bad("TOC lists too few components"))?;
        let (name, len) = line.split_once(' ').ok_or_else(|| bad("TOC line"))?;
        if name != c.name() {
            return Err(bad("TOC component order"));
        }
        *slot = len.parse().map_err(|_| bad("TOC length"))?;
    }
    if lines.next().is_some() {
        return Err(bad("TOC has extra lines"));
    }
    Ok(lengths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let toc = render(9, &[1, 2, 3, 4, 5]);
        assert_eq!(
            parse(toc.as_bytes(), 9, Path::new("t")).unwrap(),
            [1, 2, 3, 4, 5]
        );
        assert!(parse(toc.as_bytes(), 8, Path::new("t")).is_err());
        let bytes = toc.as_bytes();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut bad = bytes.to_vec();
                bad[i] ^= 1 << bit;
                assert!(
                    parse(&bad, 9, Path::new("t")).is_err(),
                    "flip of bit {bit} at {i}"
                );
            }
        }
    }
}
