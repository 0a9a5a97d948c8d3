//! The activity lines the request path records in a traced request, one
//! function each so every hook is one line (Cassandra's wording where it has
//! one). Each is a no-op unless the request on this thread is traced.

use std::net::IpAddr;

use sibyl_protocol::types::Consistency;

use super::active::event;

/// `Parsing <query>`.
pub fn parsing(query: &str) {
    event(|| format!("Parsing {query}"));
}

/// `Preparing statement`.
pub fn preparing() {
    event(|| "Preparing statement".to_owned());
}

/// `Executing read on ks.t at consistency X`.
pub fn read_started(keyspace: &str, table: &str, consistency: Consistency) {
    event(|| {
        let cl = consistency.name();
        format!("Executing read on {keyspace}.{table} at consistency {cl}")
    });
}

/// `Read N live rows and M tombstone cells`.
pub fn rows_read(live: usize, tombstones: u64) {
    event(|| format!("Read {live} live rows and {tombstones} tombstone cells"));
}

/// `Executing N mutation(s) at consistency X`.
pub fn writing(mutations: usize, consistency: Consistency) {
    event(|| {
        let cl = consistency.name();
        format!("Executing {mutations} mutation(s) at consistency {cl}")
    });
}

/// `Write complete`.
pub fn written() {
    event(|| "Write complete".to_owned());
}

/// `Executing single-partition query on t` (this node's replica read).
pub fn local_read(table: &str) {
    event(|| format!("Executing single-partition query on {table}"));
}

/// `Adding to t memtable` (this node's replica write).
pub fn local_write(table: &str) {
    event(|| format!("Adding to {table} memtable"));
}

/// `Sending <VERB> message to /ip`.
pub fn sending(verb: &str, to: IpAddr) {
    event(|| format!("Sending {verb} message to /{to}"));
}

/// `<VERB> from /ip`: a replica's answer.
pub fn answered(verb: &str, from: IpAddr) {
    event(|| format!("{verb} from /{from}"));
}
