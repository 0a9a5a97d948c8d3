//! The node's metrics: a registry of named, labelled atomic counters,
//! rendered in the Prometheus text exposition format for `GET /metrics`.
//!
//! Counters the hot paths touch (native requests, messages per verb) are
//! resolved once at construction, so counting is one relaxed atomic add with
//! no lock and no lookup by name. Other parts register their own counters with
//! [`Metrics::counter`] once and keep the returned handle. The registry lock
//! is only taken to register and to render; it is never held across IO.
//! A series keeps its value for the life of the process (counters only go up).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::net::Verb;

/// Name of the native protocol request counter.
pub const NATIVE_REQUESTS: &str = "sibyl_native_requests_total";
/// Name of the internode messages-sent counter (label `verb`).
pub const MESSAGES_SENT: &str = "sibyl_messages_sent_total";
/// Name of the internode messages-received counter (label `verb`).
pub const MESSAGES_RECEIVED: &str = "sibyl_messages_received_total";

/// One monotonically increasing counter.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.add(1);
    }

    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// All series of one metric name.
#[derive(Debug, Default)]
struct Family {
    help: String,
    /// Rendered label set (`{verb="MUTATION_REQ"}` or empty) -> counter.
    series: BTreeMap<String, Arc<Counter>>,
}

/// The node's metrics registry.
#[derive(Debug)]
pub struct Metrics {
    families: Mutex<BTreeMap<String, Family>>,
    native_requests: Arc<Counter>,
    /// Indexed by [`Verb::code`].
    sent: Vec<Arc<Counter>>,
    /// Indexed by [`Verb::code`].
    received: Vec<Arc<Counter>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with the node's standard counters at zero.
    pub fn new() -> Self {
        let mut metrics = Metrics {
            families: Mutex::new(BTreeMap::new()),
            native_requests: Arc::new(Counter::default()),
            sent: Vec::new(),
            received: Vec::new(),
        };
        metrics.native_requests = metrics.counter(
            NATIVE_REQUESTS,
            "Native protocol requests received by this node.",
            &[],
        );
        metrics.sent = metrics.per_verb(MESSAGES_SENT, "Internode messages sent, by verb.");
        metrics.received =
            metrics.per_verb(MESSAGES_RECEIVED, "Internode messages received, by verb.");
        metrics
    }

    fn per_verb(&self, name: &str, help: &str) -> Vec<Arc<Counter>> {
        let size = Verb::ALL
            .iter()
            .map(|v| usize::from(v.code()) + 1)
            .max()
            .unwrap_or(0);
        let mut counters: Vec<Arc<Counter>> =
            (0..size).map(|_| Arc::new(Counter::default())).collect();
        for verb in Verb::ALL {
            let name_of_verb = verb.to_string();
            if let Some(slot) = counters.get_mut(usize::from(verb.code())) {
                *slot = self.counter(name, help, &[("verb", name_of_verb.as_str())]);
            }
        }
        counters
    }

    /// Counts one native protocol request.
    pub fn native_request(&self) {
        self.native_requests.inc();
    }

    /// Counts one internode message sent.
    pub fn message_sent(&self, verb: Verb) {
        if let Some(counter) = self.sent.get(usize::from(verb.code())) {
            counter.inc();
        }
    }

    /// Counts one internode message received.
    pub fn message_received(&self, verb: Verb) {
        if let Some(counter) = self.received.get(usize::from(verb.code())) {
            counter.inc();
        }
    }

    /// Native protocol requests counted so far.
    pub fn native_requests(&self) -> u64 {
        self.native_requests.get()
    }

    /// The counter `name{labels}`, registered on first call (later calls with
    /// the same name and labels return the same counter; the first `help`
    /// wins). Keep the handle: this takes the registry lock.
    pub fn counter(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Arc<Counter> {
        let key = render_labels(labels);
        let mut families = self.families.lock();
        let family = families.entry(name.to_owned()).or_insert_with(|| Family {
            help: help.to_owned(),
            series: BTreeMap::new(),
        });
        Arc::clone(family.series.entry(key).or_default())
    }

    /// Every series in the Prometheus text exposition format (version 0.0.4),
    /// metric names and label sets in sorted order.
    pub fn render(&self) -> String {
        let families = self.families.lock();
        let mut out = String::new();
        for (name, family) in families.iter() {
            // Writing to a String cannot fail.
            let _ = writeln!(out, "# HELP {name} {}", escape_help(&family.help));
            let _ = writeln!(out, "# TYPE {name} counter");
            for (labels, counter) in &family.series {
                let _ = writeln!(out, "{name}{labels} {}", counter.get());
            }
        }
        out
    }
}

fn render_labels(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_as_prometheus_text() {
        let metrics = Metrics::new();
        metrics.native_request();
        metrics.native_request();
        metrics.message_sent(Verb::MutationReq);
        metrics.message_received(Verb::ReadRsp);
        metrics.message_received(Verb::ReadRsp);
        metrics.message_received(Verb::ReadRsp);
        let text = metrics.render();
        assert!(text.contains("# TYPE sibyl_native_requests_total counter\n"));
        assert!(text.contains("\nsibyl_native_requests_total 2\n"), "{text}");
        assert!(text.contains("sibyl_messages_sent_total{verb=\"MUTATION_REQ\"} 1\n"));
        assert!(text.contains("sibyl_messages_sent_total{verb=\"READ_REQ\"} 0\n"));
        assert!(text.contains("sibyl_messages_received_total{verb=\"READ_RSP\"} 3\n"));
        assert_eq!(metrics.native_requests(), 2);
        for verb in Verb::ALL {
            assert!(text.contains(&format!("sibyl_messages_received_total{{verb=\"{verb}\"}}")));
        }
    }

    #[test]
    fn registered_counters_are_shared_and_labels_escaped() {
        let metrics = Metrics::new();
        let a = metrics.counter("sibyl_hints_total", "Hints.", &[("peer", "a\"b\\c")]);
        let again = metrics.counter("sibyl_hints_total", "ignored", &[("peer", "a\"b\\c")]);
        a.add(5);
        again.inc();
        assert_eq!(a.get(), 6);
        let text = metrics.render();
        assert!(text.contains("# HELP sibyl_hints_total Hints.\n"));
        assert!(
            text.contains("sibyl_hints_total{peer=\"a\\\"b\\\\c\"} 6\n"),
            "{text}"
        );
    }
}
