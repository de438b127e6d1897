//! Logging of `dsguard serve`: where lines go ([`LogSink`], buffered for the one line per
//! review, at once for everything else), the subscriber ([`init_logging`]), the JSON line
//! format ([`JsonLines`]) and the review line itself ([`log_review`]).
//!
//! The JSON format: one object per event, `timestamp`, `level`, then the event's fields in
//! the order they were recorded (`message` among them), the same shape as
//! tracing-subscriber's flattened JSON format without target or spans. Why not that format
//! itself: it sends serde_json's output through an `io::Write` adaptor in dozens of small
//! pieces (each checked as UTF-8) and allocates a `String` for every `%` field; at one line
//! per review that was about 1 µs of a review's 12 µs. Here the line is serialized by
//! serde_json into one reused buffer and handed over in one piece.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::ser::{SerializeMap, Serializer as _};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::admission::{Endpoint, Reviewed};
use kube::core::admission::Operation;

/// The JSON event format of `dsguard serve --log-format json`.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonLines;

thread_local! {
    /// The line being built, and the timestamp's text; reused from event to event.
    static SCRATCH: RefCell<(Vec<u8>, String)> = const { RefCell::new((Vec::new(), String::new())) };
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        SCRATCH.with(|scratch| {
            // A re-entrant event (logged while formatting another) gets fresh buffers.
            let mut fresh = (Vec::new(), String::new());
            let mut guard = scratch.try_borrow_mut();
            let (line, time) = match guard.as_deref_mut() {
                Ok(s) => s,
                Err(_) => &mut fresh,
            };
            line.clear();
            time.clear();
            SystemTime.format_time(&mut Writer::new(time))?;
            write_event(line, time, event).map_err(|_| fmt::Error)?;
            line.push(b'\n');
            writer.write_str(std::str::from_utf8(line).map_err(|_| fmt::Error)?)
        })
    }
}

fn write_event(line: &mut Vec<u8>, time: &str, event: &Event<'_>) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::new(line);
    let mut map = ser.serialize_map(None)?;
    map.serialize_entry("timestamp", time)?;
    map.serialize_entry("level", event.metadata().level().as_str())?;
    let mut fields = Fields {
        map: &mut map,
        error: None,
    };
    event.record(&mut fields);
    if let Some(e) = fields.error {
        return Err(e);
    }
    map.end()
}

/// Writes each field of an event as a map entry; the first serialization error is kept.
struct Fields<'a, M> {
    map: &'a mut M,
    error: Option<serde_json::Error>,
}

impl<M: SerializeMap<Error = serde_json::Error>> Fields<'_, M> {
    fn entry<T: serde::Serialize + ?Sized>(&mut self, field: &Field, value: &T) {
        if self.error.is_none()
            && let Err(e) = self.map.serialize_entry(field.name(), value)
        {
            self.error = Some(e);
        }
    }
}

impl<M: SerializeMap<Error = serde_json::Error>> Visit for Fields<'_, M> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.entry(field, value);
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.entry(field, &value);
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.entry(field, &value);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.entry(field, &value);
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.entry(field, &value);
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // `fmt::Arguments` serializes through `collect_str`: escaped as written, no String.
        self.entry(field, &format_args!("{value}"));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%x` fields arrive here too, wrapped so that `Debug` prints their `Display`.
        self.entry(field, &format_args!("{value:?}"));
    }
}

/// The target of the one-line-per-review events.
pub const REVIEW_TARGET: &str = "dsguard::review";

/// Where log lines go: stderr, through a buffer. Review lines (one per request) are
/// buffered and written at least every 100 ms, which takes a write(2) per request off the
/// request path; every other line (start, reload, errors) is written at once.
#[derive(Clone)]
pub struct LogSink(Arc<std::sync::Mutex<std::io::BufWriter<std::io::Stderr>>>);

impl LogSink {
    fn new() -> Self {
        let sink = Self(Arc::new(std::sync::Mutex::new(
            std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr()),
        )));
        let weak = Arc::downgrade(&sink.0);
        std::thread::Builder::new()
            .name("log-flush".into())
            .spawn(move || {
                while let Some(inner) = weak.upgrade() {
                    let _ = inner.lock().map(|mut w| std::io::Write::flush(&mut *w));
                    drop(inner);
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
            .ok();
        sink
    }

    /// Writes out whatever is buffered.
    pub fn flush(&self) {
        if let Ok(mut w) = self.0.lock() {
            let _ = std::io::Write::flush(&mut *w);
        }
    }
}

/// A writer for one log line.
pub struct LineWriter<'a> {
    sink: &'a LogSink,
    flush: bool,
}

impl std::io::Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut w = self.sink.0.lock().unwrap_or_else(|e| e.into_inner());
        w.write_all(buf)?;
        if self.flush {
            w.flush()?;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.sink
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogSink {
    type Writer = LineWriter<'a>;
    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            sink: self,
            flush: true,
        }
    }
    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        LineWriter {
            sink: self,
            flush: meta.target() != REVIEW_TARGET,
        }
    }
}

/// Installs the log subscriber: one line per event, JSON or text, to stderr. Call
/// [`LogSink::flush`] on the result before the process exits.
pub fn init_logging(format: LogFormat, level: tracing::Level) -> LogSink {
    let sink = LogSink::new();
    let builder = tracing_subscriber::fmt()
        .with_writer(sink.clone())
        .with_max_level(level)
        .with_target(false);
    let result = match format {
        LogFormat::Json => builder.event_format(JsonLines).try_init(),
        LogFormat::Text => builder.with_ansi(false).try_init(),
    };
    // Already installed (tests call this more than once): keep the first.
    let _ = result;
    sink
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable text.
    Text,
}

/// One line per review; never the object.
pub(crate) fn log_review(
    endpoint: Endpoint,
    reviewed: &Reviewed,
    response_bytes: usize,
    elapsed: Duration,
) {
    let req = &reviewed.request;
    let rules = reviewed
        .outcome
        .rules
        .iter()
        .map(|(r, _)| r.as_str())
        .collect::<Vec<_>>()
        .join(",");
    tracing::info!(
        target: REVIEW_TARGET,
        uid = %req.uid,
        endpoint = endpoint.as_str(),
        kind = %format_args!("{}/{}", req.kind.group, req.kind.kind),
        namespace = req.namespace.as_deref().unwrap_or(""),
        name = %req.name,
        operation = operation_name(&req.operation),
        allowed = reviewed.response.response.allowed,
        checked = reviewed.outcome.checked,
        rules = %rules,
        patch_ops = reviewed.outcome.patch_operations,
        response_bytes,
        latency_us = elapsed.as_micros() as u64,
        "review"
    );
}

/// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`, as the API server writes it.
pub(crate) fn operation_name(op: &Operation) -> &'static str {
    match op {
        Operation::Create => "CREATE",
        Operation::Update => "UPDATE",
        Operation::Delete => "DELETE",
        Operation::Connect => "CONNECT",
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use serde_json::Value;

    use super::JsonLines;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn one_json_object_per_event_with_every_field_escaped() {
        let buf = Buf::default();
        let out = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .event_format(JsonLines)
            .with_writer(move || buf.clone())
            .finish();
        let error = std::io::Error::other("disk \"full\"");
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                uid = %"a\"b\\c\nd",
                kind = %format_args!("{}/{}", "apps", "DaemonSet"),
                allowed = false,
                patch_ops = 2u64,
                delta = -3i64,
                ratio = 0.5,
                name = "ds",
                "review"
            );
            tracing::warn!(
                error = &error as &(dyn std::error::Error + 'static),
                "reload failed: {}",
                7
            );
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        let first = &lines[0];
        assert_eq!(first["level"], "INFO");
        assert_eq!(first["message"], "review");
        assert_eq!(first["uid"], "a\"b\\c\nd");
        assert_eq!(first["kind"], "apps/DaemonSet");
        assert_eq!(first["allowed"], false);
        assert_eq!(first["patch_ops"], 2);
        assert_eq!(first["delta"], -3);
        assert_eq!(first["ratio"], 0.5);
        assert_eq!(first["name"], "ds");
        let ts = first["timestamp"].as_str().unwrap();
        assert!(
            ts.len() >= 20 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T',
            "RFC 3339 UTC: {ts}"
        );
        let keys: Vec<&str> = first
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(&keys[..2], ["timestamp", "level"]);
        assert_eq!(lines[1]["level"], "WARN");
        assert_eq!(lines[1]["message"], "reload failed: 7");
        assert_eq!(lines[1]["error"], "disk \"full\"");
    }
}
