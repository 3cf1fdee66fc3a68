//! The report: the run, its fault windows and each check's verdict with figures, as text for
//! people and as JSON.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};

use super::inject::Window;

/// Most examples kept per check.
const MAX_EXAMPLES: usize = 12;

/// One check's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// Short name.
    pub name: &'static str,
    /// Whether it held.
    pub pass: bool,
    /// One line on what was found.
    pub summary: String,
    /// Figures by name.
    pub figures: Map<String, Value>,
    /// Examples of failures (at most [`MAX_EXAMPLES`]).
    pub examples: Vec<String>,
    /// Examples found in all (more than are kept).
    pub examples_total: usize,
}

impl CheckResult {
    /// A passing check with no figures yet.
    pub fn new(name: &'static str) -> Self {
        Self { name, pass: true, summary: String::new(), figures: Map::new(), examples: Vec::new(), examples_total: 0 }
    }

    /// Sets a figure.
    pub fn figure(&mut self, key: &str, value: impl Into<Value>) {
        self.figures.insert(key.to_owned(), value.into());
    }

    /// Adds an example (kept while there is room).
    pub fn example(&mut self, text: String) {
        self.examples_total += 1;
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(text);
        }
    }
}

/// A fault window in the report.
#[derive(Debug, Clone, Serialize)]
pub struct WindowReport {
    /// Fault kind.
    pub kind: &'static str,
    /// Instance id or `all`.
    pub instance: String,
    /// Start, seconds since the run's start.
    pub start_s: f64,
    /// Heal, seconds since the run's start.
    pub heal_s: f64,
    /// Details.
    pub note: String,
    /// Why applying or healing it failed.
    pub error: Option<String>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// How the run was set up (schedule, seed, sizes, binary).
    pub run: Map<String, Value>,
    /// What the traffic did.
    pub traffic: Map<String, Value>,
    /// The fault windows, in order.
    pub windows: Vec<WindowReport>,
    /// The checks, in order.
    pub checks: Vec<CheckResult>,
    /// Seconds from start to the end of the checks.
    pub duration_s: f64,
    /// True when every check passed.
    pub pass: bool,
}

/// Seconds from `t0` to `t` (negative if before).
pub fn secs(t0: Instant, t: Instant) -> f64 {
    if t >= t0 { (t - t0).as_secs_f64() } else { -(t0 - t).as_secs_f64() }
}

/// A duration as `1.234s`.
pub fn dur(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}

/// The windows as the report shows them, named with `ids`.
pub fn windows(t0: Instant, windows: &[Window], ids: &[String]) -> Vec<WindowReport> {
    windows
        .iter()
        .map(|w| WindowReport {
            kind: w.kind.name(),
            instance: w.instance.map_or_else(|| "all".to_owned(), |i| ids.get(i).cloned().unwrap_or_default()),
            start_s: secs(t0, w.start),
            heal_s: secs(t0, w.heal),
            note: w.note.clone(),
            error: w.error.clone(),
        })
        .collect()
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            n.as_f64().filter(|f| f.fract() != 0.0).map_or_else(|| n.to_string(), |f| format!("{f:.3}"))
        }
        other => other.to_string(),
    }
}

impl Report {
    /// The report as text.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let kv = |m: &Map<String, Value>| m.iter().map(|(k, v)| format!("{k}={}", value_text(v))).collect::<Vec<_>>();
        let _ = writeln!(s, "== tidings-faults report");
        let _ = writeln!(s, "run: {}", kv(&self.run).join(", "));
        let _ = writeln!(s, "traffic:");
        for line in kv(&self.traffic) {
            let _ = writeln!(s, "  {line}");
        }
        let _ = writeln!(s, "fault windows (seconds since start; heal = fault over and instance back):");
        for (k, w) in self.windows.iter().enumerate() {
            let _ = writeln!(
                s,
                "  #{:<2} {:<15} {:<4} {:>7.1} .. {:>7.1} ({:>5.1}s){}",
                k + 1,
                w.kind,
                w.instance,
                w.start_s,
                w.heal_s,
                w.heal_s - w.start_s,
                if w.note.is_empty() { String::new() } else { format!("  {}", w.note) }
            );
            if let Some(e) = &w.error {
                let _ = writeln!(s, "       FAILED: {e}");
            }
        }
        let _ = writeln!(s, "checks:");
        for c in &self.checks {
            let _ = writeln!(s, "  {} {:<20} {}", if c.pass { "PASS" } else { "FAIL" }, c.name, c.summary);
            if !c.figures.is_empty() {
                let _ = writeln!(s, "       {}", kv(&c.figures).join(", "));
            }
            for e in &c.examples {
                let _ = writeln!(s, "       e.g. {e}");
            }
            if c.examples_total > c.examples.len() {
                let _ = writeln!(s, "       … {} more", c.examples_total - c.examples.len());
            }
        }
        let failed: Vec<&str> = self.checks.iter().filter(|c| !c.pass).map(|c| c.name).collect();
        let verdict = if failed.is_empty() { "PASS".to_owned() } else { format!("FAIL ({})", failed.join(", ")) };
        let _ = writeln!(s, "result: {verdict} in {:.1}s", self.duration_s);
        s
    }
}

/// Percentile `p` (0–100) of sorted `v`.
pub fn percentile(v: &[Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
    v[idx.min(v.len() - 1)]
}
