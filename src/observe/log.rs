//! Structured log lines on stderr, written by a background thread.
//!
//! Callers format a line (JSON object or `key=value` text) and hand it to a bounded channel; a
//! writer thread batches lines into few `write` calls. The event loop therefore never blocks on
//! stderr: if the writer falls behind, lines are dropped and counted rather than stalling
//! request handling.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};

use crate::config::{LogFormat, LogLevel};

/// Lines queued for the writer before new ones are dropped.
const QUEUE_LINES: usize = 65_536;

/// A field value in a log line.
#[derive(Clone, Copy, Debug)]
pub enum Field<'a> {
    Str(&'a str),
    U64(u64),
    F64(f64),
    Bool(bool),
}

impl<'a> From<&'a str> for Field<'a> {
    fn from(s: &'a str) -> Self {
        Field::Str(s)
    }
}
impl From<u64> for Field<'_> {
    fn from(v: u64) -> Self {
        Field::U64(v)
    }
}
impl From<u16> for Field<'_> {
    fn from(v: u16) -> Self {
        Field::U64(u64::from(v))
    }
}
impl From<usize> for Field<'_> {
    fn from(v: usize) -> Self {
        Field::U64(v as u64)
    }
}
impl From<f64> for Field<'_> {
    fn from(v: f64) -> Self {
        Field::F64(v)
    }
}
impl From<bool> for Field<'_> {
    fn from(v: bool) -> Self {
        Field::Bool(v)
    }
}

/// The logger shared by the loop and the workers.
pub struct Logger {
    level: LogLevel,
    format: LogFormat,
    tx: Option<Sender<String>>,
    dropped: AtomicU64,
    writer: Option<JoinHandle<()>>,
}

impl Logger {
    /// Starts the writer thread.
    pub fn new(level: LogLevel, format: LogFormat) -> std::io::Result<Self> {
        let (tx, rx) = bounded(QUEUE_LINES);
        let writer = std::thread::Builder::new()
            .name("hbf-log".into())
            .spawn(move || write_lines(rx))?;
        Ok(Logger {
            level,
            format,
            tx: Some(tx),
            dropped: AtomicU64::new(0),
            writer: Some(writer),
        })
    }

    /// Whether a line at `level` would be written.
    pub fn enabled(&self, level: LogLevel) -> bool {
        level >= self.level
    }

    /// Lines dropped because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Relaxed)
    }

    /// Formats and queues one line.
    pub fn log(&self, level: LogLevel, msg: &str, fields: &[(&str, Field<'_>)]) {
        if !self.enabled(level) {
            return;
        }
        let line = format_line(self.format, SystemTime::now(), level, msg, fields);
        if let Some(tx) = &self.tx {
            if let Err(TrySendError::Full(_)) = tx.try_send(line) {
                self.dropped.fetch_add(1, Relaxed);
            }
        }
    }

    pub fn debug(&self, msg: &str, fields: &[(&str, Field<'_>)]) {
        self.log(LogLevel::Debug, msg, fields)
    }
    pub fn info(&self, msg: &str, fields: &[(&str, Field<'_>)]) {
        self.log(LogLevel::Info, msg, fields)
    }
    pub fn warn(&self, msg: &str, fields: &[(&str, Field<'_>)]) {
        self.log(LogLevel::Warn, msg, fields)
    }
    pub fn error(&self, msg: &str, fields: &[(&str, Field<'_>)]) {
        self.log(LogLevel::Error, msg, fields)
    }
}

impl Drop for Logger {
    /// Flushes every queued line before returning.
    fn drop(&mut self) {
        self.tx.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

fn write_lines(rx: Receiver<String>) {
    let stderr = std::io::stderr();
    let mut batch = String::with_capacity(64 * 1024);
    while let Ok(line) = rx.recv() {
        batch.push_str(&line);
        while batch.len() < 60 * 1024 {
            match rx.try_recv() {
                Ok(line) => batch.push_str(&line),
                Err(_) => break,
            }
        }
        let _ = stderr.lock().write_all(batch.as_bytes());
        batch.clear();
    }
}

fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    }
}

/// One log line, newline-terminated.
pub fn format_line(
    format: LogFormat,
    at: SystemTime,
    level: LogLevel,
    msg: &str,
    fields: &[(&str, Field<'_>)],
) -> String {
    let mut line = String::with_capacity(160);
    let ts = rfc3339_millis(at);
    match format {
        LogFormat::Json => {
            line.push_str("{\"ts\":\"");
            line.push_str(&ts);
            line.push_str("\",\"level\":\"");
            line.push_str(level_name(level));
            line.push_str("\",\"msg\":");
            push_json_str(&mut line, msg);
            for (key, value) in fields {
                line.push(',');
                push_json_str(&mut line, key);
                line.push(':');
                match value {
                    Field::Str(s) => push_json_str(&mut line, s),
                    Field::U64(v) => {
                        let _ = write!(line, "{v}");
                    }
                    Field::F64(v) if v.is_finite() => {
                        let _ = write!(line, "{v:.3}");
                    }
                    Field::F64(_) => line.push_str("null"),
                    Field::Bool(b) => line.push_str(if *b { "true" } else { "false" }),
                }
            }
            line.push_str("}\n");
        }
        LogFormat::Text => {
            let _ = write!(line, "{ts} {:<5} {msg}", level_name(level));
            for (key, value) in fields {
                match value {
                    Field::Str(s) if s.contains([' ', '"', '=']) || s.is_empty() => {
                        let _ = write!(line, " {key}=");
                        push_json_str(&mut line, s);
                    }
                    Field::Str(s) => {
                        let _ = write!(line, " {key}={}", s.escape_debug());
                    }
                    Field::U64(v) => {
                        let _ = write!(line, " {key}={v}");
                    }
                    Field::F64(v) => {
                        let _ = write!(line, " {key}={v:.3}");
                    }
                    Field::Bool(b) => {
                        let _ = write!(line, " {key}={b}");
                    }
                }
            }
            line.push('\n');
        }
    }
    line
}

/// Appends `s` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `2026-11-25T20:00:00.123Z`.
pub fn rfc3339_millis(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 → (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_636_800_123);
        assert_eq!(rfc3339_millis(t), "2026-11-25T20:00:00.123Z");
        assert_eq!(rfc3339_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(&rfc3339_millis(leap)[..10], "2000-02-29");
    }

    #[test]
    fn json_lines_are_valid_json() {
        let line = format_line(
            LogFormat::Json,
            UNIX_EPOCH,
            LogLevel::Info,
            "req \"x\"\n",
            &[
                ("path", Field::Str("/a\u{1}b")),
                ("status", Field::U64(200)),
                ("ms", Field::F64(1.5)),
            ],
        );
        let v: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap();
        assert_eq!(v["msg"], "req \"x\"\n");
        assert_eq!(v["path"], "/a\u{1}b");
        assert_eq!(v["status"], 200);
        assert_eq!(v["level"], "info");
    }
}
