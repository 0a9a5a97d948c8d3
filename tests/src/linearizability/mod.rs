//! A linearizability checker for LWT histories (DESIGN §8): recorded
//! concurrent histories of a CAS register and a unique-insert set are
//! searched for a linearization with the Wing–Gong–Lowe algorithm.
//!
//! Keys are independent objects (P-compositionality: a history is
//! linearizable iff each key's sub-history is), so each key is checked on its
//! own. A key whose search exceeds its step budget is reported unknown, never
//! a silent pass. The format and how to read a report: `docs/linearizability.md`.
//!
//! - [`history`]: events, operations, the JSON format.
//! - [`model`]: the register and set specifications.
//! - [`wgl`]: the search.
//! - [`report`]: verdicts and the shortest violating prefix.

pub mod history;
pub mod model;
pub mod report;
pub mod wgl;

use std::path::Path;

pub use history::{Event, EventKind, History, Input, Operation, Output};
pub use model::{Model, Register, UniqueSet};
pub use report::{KeyReport, Report, Verdict, Violation};

/// Default step budget per key: ample for the workloads (a few hundred
/// operations per key, at most 8 concurrent clients) yet seconds of work.
pub const STEPS_MAX_DEFAULT: u64 = 5_000_000;

/// Largest history file read (bytes).
pub const FILE_BYTES_MAX: u64 = 256 * 1024 * 1024;

/// Checks every key of `history`, each with at most `steps_max` search steps.
///
/// # Errors
/// The history is malformed (see [`History::operations`]) or a key mixes
/// register and set operations.
pub fn check_history(history: &History, steps_max: u64) -> Result<Report, String> {
    let mut report = Report::default();
    for (key, ops) in history::by_key(history.operations()?) {
        let sets = ops.iter().filter(|o| o.input.is_set_op()).count();
        let key_report = if sets == 0 {
            report::check_key(&Register, "register", key, &ops, steps_max)
        } else if sets == ops.len() {
            report::check_key(&UniqueSet::for_ops(&ops), "set", key, &ops, steps_max)
        } else {
            return Err(format!("key {key} mixes register and set operations"));
        };
        report.keys.push(key_report);
    }
    Ok(report)
}

/// Loads a history file (JSON array or JSON lines) and checks it with
/// [`STEPS_MAX_DEFAULT`].
///
/// # Errors
/// The file cannot be read, is too large, or is malformed.
pub fn check_file(path: &Path) -> Result<Report, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    if size > FILE_BYTES_MAX {
        return Err(format!(
            "{}: {size} bytes, more than {FILE_BYTES_MAX}",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    check_history(&history::parse(&text)?, STEPS_MAX_DEFAULT)
}
