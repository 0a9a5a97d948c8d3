//! Run reports: the interval and summary lines, `--json`, and `--html`: a
//! self-contained page with a latency-over-time and a percentile chart (hand
//! written SVG), comparing every run stored in the page.
//!
//! Invariant: the HTML page embeds its runs as JSON between [`RUNS_BEGIN`] and
//! [`RUNS_END`]; writing to an existing page appends the new runs to those, so
//! several runs (or several `--json` files) end in one comparable page.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::histo::Latency;

/// Marks the start of the embedded runs in an HTML report.
pub const RUNS_BEGIN: &str = "<script type=\"application/json\" id=\"sibyl-runs\">";
/// Marks their end.
pub const RUNS_END: &str = "</script>";

/// One interval of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalLine {
    /// Seconds since measuring began, at the end of the interval.
    pub t: f64,
    /// Operations completed in the interval.
    pub ops: u64,
    /// Their rate.
    pub ops_per_sec: f64,
    /// Failed operations in the interval.
    pub errors: u64,
    /// Latency of the interval's operations.
    pub latency_ms: Latency,
}

/// The result of a run (the `--json` document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// A name for charts (defaults to workload and command).
    pub label: String,
    /// Workload name.
    pub workload: String,
    /// The command line.
    pub command: String,
    /// Operations completed (failures included).
    pub ops: u64,
    /// Failed operations.
    pub errors: u64,
    /// Measured seconds.
    pub duration_s: f64,
    /// `ops / duration_s`.
    pub ops_per_sec: f64,
    /// Operations in flight.
    pub concurrency: usize,
    /// Whole-run latency.
    pub latency_ms: Latency,
    /// Per-interval lines.
    pub intervals: Vec<IntervalLine>,
}

/// The header of interval lines.
pub const INTERVAL_HEADER: &str = "    time(s)      ops/s   errors   p50(ms)   p99(ms)   max(ms)";

/// One interval line.
pub fn format_interval(l: &IntervalLine) -> String {
    format!(
        "{:>11.1} {:>10.0} {:>8} {:>9.3} {:>9.3} {:>9.3}",
        l.t, l.ops_per_sec, l.errors, l.latency_ms.p50, l.latency_ms.p99, l.latency_ms.max
    )
}

/// The final summary.
pub fn format_summary(r: &RunReport) -> String {
    let l = &r.latency_ms;
    format!(
        "Results ({}):\n  ops          {}\n  errors       {}\n  duration     {:.1} s\n  \
         throughput   {:.0} ops/s\n  latency ms   mean {:.3}  p50 {:.3}  p95 {:.3}  p99 {:.3}  \
         p99.9 {:.3}  max {:.3}",
        r.workload,
        r.ops,
        r.errors,
        r.duration_s,
        r.ops_per_sec,
        l.mean,
        l.p50,
        l.p95,
        l.p99,
        l.p999,
        l.max
    )
}

/// Writes `report` as pretty JSON.
///
/// # Errors
/// The file cannot be written.
pub fn write_json(report: &RunReport, path: &Path) -> Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Reads a `--json` file.
///
/// # Errors
/// Unreadable or not a report.
pub fn read_json(path: &Path) -> Result<RunReport> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The runs embedded in an HTML report, or none when the file is missing.
///
/// # Errors
/// The file exists but its embedded runs do not parse.
pub fn read_html_runs(path: &Path) -> Result<Vec<RunReport>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(Vec::new());
    };
    let Some(start) = text.find(RUNS_BEGIN) else {
        return Ok(Vec::new());
    };
    let rest = text.get(start + RUNS_BEGIN.len()..).unwrap_or("");
    let json = rest
        .find(RUNS_END)
        .and_then(|end| rest.get(..end))
        .unwrap_or("");
    serde_json::from_str(&json.replace("<\\/", "</"))
        .with_context(|| format!("parsing runs in {}", path.display()))
}

/// Appends `runs` to the page at `path` (creating it) and rewrites it.
///
/// # Errors
/// The file cannot be read or written.
pub fn append_html(path: &Path, runs: &[RunReport]) -> Result<()> {
    let mut all = read_html_runs(path)?;
    all.extend_from_slice(runs);
    std::fs::write(path, render_html(&all)?).with_context(|| format!("writing {}", path.display()))
}

const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];
const W: f64 = 720.0;
const H: f64 = 300.0;
const PAD: f64 = 50.0;

fn label(r: &RunReport, i: usize) -> String {
    if r.label.is_empty() {
        format!("run {} ({}, {:.0} ops/s)", i + 1, r.workload, r.ops_per_sec)
    } else {
        r.label.clone()
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Draws polylines of (x, y) series on shared axes.
fn chart(title: &str, xlabel: &str, series: &[(String, Vec<(f64, f64)>)]) -> String {
    let xmax = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.0))
        .fold(1e-9, f64::max);
    let ymax = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .fold(1e-9, f64::max);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\">\
         <text x=\"{}\" y=\"16\" text-anchor=\"middle\">{}</text>\
         <line x1=\"{PAD}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\
         <line x1=\"{PAD}\" y1=\"{PAD}\" x2=\"{PAD}\" y2=\"{}\" stroke=\"black\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
         <text x=\"4\" y=\"{}\">{ymax:.3} ms</text><text x=\"{}\" y=\"{}\">{xmax:.1}</text>",
        W / 2.0,
        escape(title),
        H - PAD,
        W - 10.0,
        H - PAD,
        H - PAD,
        W / 2.0,
        H - 12.0,
        escape(xlabel),
        PAD - 4.0,
        W - 40.0,
        H - PAD + 14.0
    );
    for (i, (name, points)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| {
                let px = PAD + x / xmax * (W - PAD - 10.0);
                let py = H - PAD - y / ymax * (H - 2.0 * PAD);
                format!("{px:.1},{py:.1}")
            })
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" fill=\"{color}\">{}</text>",
            pts.join(" "),
            PAD + 10.0,
            PAD + 14.0 * (i as f64 + 1.0),
            escape(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The whole page for `runs`.
///
/// # Errors
/// The runs cannot be serialized.
pub fn render_html(runs: &[RunReport]) -> Result<String> {
    let over_time: Vec<_> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let pts = r
                .intervals
                .iter()
                .map(|l| (l.t, l.latency_ms.p99))
                .collect();
            (format!("{} p99", label(r, i)), pts)
        })
        .collect();
    let percentiles: Vec<_> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let l = &r.latency_ms;
            let pts = vec![
                (50.0, l.p50),
                (95.0, l.p95),
                (99.0, l.p99),
                (99.9, l.p999),
                (100.0, l.max),
            ];
            (label(r, i), pts)
        })
        .collect();
    let mut table = String::from(
        "<table border=\"1\"><tr><th>run</th><th>command</th><th>ops/s</th><th>errors</th>\
         <th>p50</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th></tr>",
    );
    for (i, r) in runs.iter().enumerate() {
        let l = &r.latency_ms;
        let _ = write!(
            table,
            "<tr><td>{}</td><td><code>{}</code></td><td>{:.0}</td><td>{}</td><td>{:.3}</td>\
             <td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td></tr>",
            escape(&label(r, i)),
            escape(&r.command),
            r.ops_per_sec,
            r.errors,
            l.p50,
            l.p95,
            l.p99,
            l.p999,
            l.max
        );
    }
    table.push_str("</table>");
    let json = serde_json::to_string(runs)?.replace("</", "<\\/");
    Ok(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>sibyl-stress</title></head>\
         <body><h1>sibyl-stress runs</h1>{table}<h2>p99 latency over time</h2>{}\
         <h2>Latency by percentile</h2>{}\n{RUNS_BEGIN}{json}{RUNS_END}\n</body></html>\n",
        chart("p99 latency (ms) per interval", "seconds", &over_time),
        chart("latency (ms) at percentile", "percentile", &percentiles),
    ))
}
