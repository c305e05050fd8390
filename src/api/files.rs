//! Import files, read as they arrive: the bytes of an upload flow through a bounded channel into
//! a CSV or JSON reader on a blocking thread, whose checked rows flow back, a chunk at a time, to
//! the [`Importer`]. Memory stays bounded whatever the size of the file.
//!
//! CSV: comma-separated, UTF-8 (a byte-order mark is skipped), a header naming the columns of
//! [`rows::COLUMNS`] in any order; row numbers are line numbers, as a spreadsheet shows them
//! (the header is row 1). JSON: an array of objects shaped like [`EventInput`]; row numbers count
//! the objects from 1.

use std::{
    cell::Cell,
    collections::HashMap,
    io::{self, BufRead, Read},
    path::PathBuf,
    rc::Rc,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, LazyLock, Mutex,
    },
};

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::rows::{self, Defaults, EventInput};
use crate::store::{
    import::{Importer, NewEvent, Problem, Summary},
    StoreError,
};

/// Rows handed to the importer at a time.
pub const CHUNK_ROWS: usize = 2_000;

/// Largest CSV row or JSON array element, in bytes: reading stops at a larger one (code
/// `element_too_large`, naming its row), so one huge element cannot take the server's memory.
pub const MAX_ELEMENT_BYTES: usize = 64 * 1024;

/// The problem of an element over [`MAX_ELEMENT_BYTES`]: `what` is "row" or "element".
pub fn element_too_large(row: u64, what: &str) -> Problem {
    Problem::new(
        row,
        "",
        "element_too_large",
        format!("{what} {row} is larger than {} KiB, the most one {what} may have", MAX_ELEMENT_BYTES >> 10),
    )
}

/// A file's row or element over the cap: reading stops there.
fn file_element_too_large(row: u64, what: &str) -> Item {
    let mut problem = element_too_large(row, what);
    problem.message.push_str("; the file was read no further");
    Item::File(problem)
}

/// The two file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn code(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    /// The format a media type names (`text/csv`, `application/json`), parameters ignored.
    pub fn from_media_type(media: &str) -> Option<Self> {
        let essence = media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" | "application/csv" => Some(Format::Csv),
            "application/json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// What a reader hands over: a row, or a problem of the file as a whole.
pub enum Item {
    Row(Result<NewEvent, Vec<Problem>>),
    File(Problem),
}

/// Why reading the upload itself failed (not a problem of its content).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Rows read so far by the imports running in this process, by import id: what a progress page
/// shows while an all-or-nothing import has committed nothing yet.
static RUNNING: LazyLock<Mutex<HashMap<Uuid, Arc<AtomicU64>>>> = LazyLock::new(Default::default);

/// Rows read so far by a running import of this process.
pub fn progress_of(id: Uuid) -> Option<u64> {
    RUNNING.lock().ok()?.get(&id).map(|p| p.load(Ordering::Relaxed))
}

/// Imports a stream of byte chunks (an upload: `Err` when it broke off) and returns the report.
/// On any error the import is abandoned: its open transaction is rolled back.
pub async fn import_stream<S>(
    importer: Importer,
    format: Format,
    defaults: Defaults,
    mut chunks: S,
) -> Result<Summary, UploadError>
where
    S: Stream<Item = Result<Bytes, String>> + Unpin,
{
    let (bytes_tx, bytes_rx) = mpsc::channel::<Result<Bytes, String>>(8);
    let (items_tx, items_rx) = mpsc::channel::<Vec<Item>>(4);
    let reader = tokio::task::spawn_blocking(move || {
        let input = ChannelReader { rx: bytes_rx, current: Bytes::new() };
        read(format, input, &defaults, &mut |chunk| items_tx.blocking_send(chunk).is_ok());
    });
    let feed = async move {
        while let Some(chunk) = chunks.next().await {
            let failed = chunk.is_err();
            if bytes_tx.send(chunk).await.is_err() || failed {
                return failed;
            }
        }
        false
    };
    let (broken, summary) = tokio::join!(feed, consume(importer, items_rx, reader));
    if broken {
        // The reader saw the error and stopped; what it read was abandoned with it.
        return Err(UploadError::Interrupted("the connection closed before the whole file arrived".into()));
    }
    summary
}

/// Imports a file already on disk (an upload spooled by the form) and returns the report.
pub async fn import_file(
    importer: Importer,
    format: Format,
    defaults: Defaults,
    path: PathBuf,
) -> Result<Summary, UploadError> {
    let (items_tx, items_rx) = mpsc::channel::<Vec<Item>>(4);
    let reader = tokio::task::spawn_blocking(move || match std::fs::File::open(&path) {
        Ok(file) => read(format, file, &defaults, &mut |chunk| items_tx.blocking_send(chunk).is_ok()),
        Err(e) => {
            let _ = items_tx
                .blocking_send(vec![file_problem("unreadable", format!("the upload cannot be read: {e}"))]);
        }
    });
    consume(importer, items_rx, reader).await
}

async fn consume(
    mut importer: Importer,
    mut items: mpsc::Receiver<Vec<Item>>,
    reader: tokio::task::JoinHandle<()>,
) -> Result<Summary, UploadError> {
    let id = importer.id();
    if let Ok(mut running) = RUNNING.lock() {
        running.insert(id, importer.progress.clone());
    }
    let consumed = async {
        while let Some(chunk) = items.recv().await {
            let mut rows = Vec::with_capacity(chunk.len());
            for item in chunk {
                match item {
                    Item::Row(row) => rows.push(row),
                    Item::File(problem) => importer.file_problem(problem),
                }
            }
            importer.push(rows).await?;
        }
        Ok::<(), StoreError>(())
    }
    .await;
    drop(items);
    let read_whole = reader.await.is_ok();
    let outcome = match consumed {
        Err(e) => {
            importer.abandon().await;
            Err(e.into())
        }
        Ok(()) if !read_whole => {
            importer.abandon().await;
            Err(UploadError::Interrupted("the file could not be read to its end".into()))
        }
        Ok(()) => importer.finish().await.map_err(UploadError::from),
    };
    if let Ok(mut running) = RUNNING.lock() {
        running.remove(&id);
    }
    outcome
}

/// A blocking `Read` over the byte chunks of an upload.
struct ChannelReader {
    rx: mpsc::Receiver<Result<Bytes, String>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Err(e)) => return Err(io::Error::other(e)),
                Some(Ok(bytes)) => self.current = bytes,
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Reads a whole file in `format`, handing over chunks of items; stops when `emit` says so.
/// A leading UTF-8 byte-order mark (as spreadsheets write) is skipped.
pub fn read(format: Format, input: impl Read, defaults: &Defaults, emit: &mut dyn FnMut(Vec<Item>) -> bool) {
    let mut out = Batcher { chunk: Vec::with_capacity(CHUNK_ROWS), emit, open: true };
    let mut input = io::BufReader::with_capacity(64 * 1024, input);
    if input.fill_buf().is_ok_and(|start| start.starts_with(b"\xEF\xBB\xBF")) {
        input.consume(3);
    }
    let too_large = Rc::new(Cell::new(None));
    match format {
        Format::Csv => {
            read_csv(BlankLinesKept::new(input, too_large.clone()), defaults, &mut out, &too_large)
        }
        Format::Json => {
            let input = JsonElementCap::new(input, too_large.clone());
            read_json(input, defaults, &mut out, &too_large)
        }
    }
    out.flush();
}

/// Puts a space on every blank line, so the CSV reader keeps it as a (skipped) one-field row,
/// and reads "\r\n" and a lone "\r" as "\n". The reader drops blank lines itself but then gives the next row the
/// blank line's number (rust-csv #208) and counts lines by "\n" only; a report must
/// name the line a person sees in their editor.
struct BlankLinesKept<R> {
    inner: R,
    raw: Vec<u8>,
    out: Vec<u8>,
    at: usize,
    line_start: bool,
    /// A '\r' held back until the next byte says whether it ends a CRLF.
    held_cr: bool,
    /// Where the CSV syntax is, to know where a row ends (a quoted field may span lines).
    quoting: Quoting,
    /// The line being read (from 1) and the line and length of the row being read.
    line: u64,
    row_line: u64,
    row_bytes: usize,
    /// Set to the row's line when a row grows past [`MAX_ELEMENT_BYTES`]: nothing more is read.
    too_large: Rc<Cell<Option<u64>>>,
}

/// Where a byte falls in CSV syntax (comma-separated, '"' quotes, '""' an escaped quote).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoting {
    FieldStart,
    Unquoted,
    Quoted,
    /// A '"' inside a quoted field: it ends the field unless another '"' follows.
    QuoteInQuoted,
}

impl<R: Read> BlankLinesKept<R> {
    fn new(inner: R, too_large: Rc<Cell<Option<u64>>>) -> Self {
        Self {
            inner,
            raw: vec![0; 64 * 1024],
            out: Vec::new(),
            at: 0,
            line_start: true,
            held_cr: false,
            quoting: Quoting::FieldStart,
            line: 1,
            row_line: 1,
            row_bytes: 0,
            too_large,
        }
    }

    fn put(&mut self, b: u8) {
        let terminator = b == b'\n';
        if terminator && self.line_start {
            self.out.push(b' ');
        }
        self.out.push(b);
        self.line_start = terminator;
        self.track_row(b);
    }

    /// Follows the row being read and marks it too large past [`MAX_ELEMENT_BYTES`].
    fn track_row(&mut self, b: u8) {
        self.row_bytes += 1;
        if self.row_bytes > MAX_ELEMENT_BYTES && self.too_large.get().is_none() {
            self.too_large.set(Some(self.row_line));
        }
        let row_ends = match (self.quoting, b) {
            (Quoting::Quoted, b'"') => {
                self.quoting = Quoting::QuoteInQuoted;
                false
            }
            (Quoting::Quoted, _) => false,
            (Quoting::FieldStart | Quoting::QuoteInQuoted, b'"') => {
                self.quoting = Quoting::Quoted;
                false
            }
            (_, b',') => {
                self.quoting = Quoting::FieldStart;
                false
            }
            (_, b'\n') => true,
            _ => {
                self.quoting = Quoting::Unquoted;
                false
            }
        };
        if b == b'\n' {
            self.line += 1;
        }
        if row_ends {
            self.quoting = Quoting::FieldStart;
            self.row_line = self.line;
            self.row_bytes = 0;
        }
    }
}

impl<R: Read> Read for BlankLinesKept<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.out.len() {
            if self.too_large.get().is_some() {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "a row is too large"));
            }
            let n = self.inner.read(&mut self.raw)?;
            self.out.clear();
            self.at = 0;
            if n == 0 {
                if std::mem::take(&mut self.held_cr) {
                    self.put(b'\n');
                    continue;
                }
                return Ok(0);
            }
            let raw = std::mem::take(&mut self.raw);
            for &b in &raw[..n] {
                if std::mem::take(&mut self.held_cr) && b != b'\n' {
                    self.put(b'\n');
                }
                if b == b'\r' {
                    self.held_cr = true;
                } else {
                    self.put(b);
                }
                if self.too_large.get().is_some() {
                    break;
                }
            }
            self.raw = raw;
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

struct Batcher<'a> {
    chunk: Vec<Item>,
    emit: &'a mut dyn FnMut(Vec<Item>) -> bool,
    open: bool,
}

impl Batcher<'_> {
    /// Adds an item; false once the receiver is gone.
    fn push(&mut self, item: Item) -> bool {
        self.chunk.push(item);
        if self.chunk.len() >= CHUNK_ROWS {
            self.flush();
        }
        self.open
    }

    fn flush(&mut self) {
        if self.open && !self.chunk.is_empty() {
            let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK_ROWS));
            self.open = (self.emit)(chunk);
        }
    }
}

fn file_problem(code: &str, message: impl Into<String>) -> Item {
    Item::File(Problem::new(0, "", code, message))
}

fn read_csv(input: impl Read, defaults: &Defaults, out: &mut Batcher<'_>, too_large: &Cell<Option<u64>>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(64 * 1024)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    let header = match reader.read_byte_record(&mut record) {
        Ok(true) => record.clone(),
        Ok(false) => {
            out.push(file_problem(
                "empty_file",
                "the file is empty: a header row and at least one row are needed",
            ));
            return;
        }
        Err(_) if too_large.get().is_some() => {
            out.push(file_element_too_large(1, "row"));
            return;
        }
        Err(e) => {
            out.push(file_problem("unreadable", format!("the file cannot be read: {e}")));
            return;
        }
    };
    let Some(columns) = header_columns(&header, out) else { return };
    let mut rows = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(_) if too_large.get().is_some() => {
                out.push(file_element_too_large(too_large.get().unwrap_or_default(), "row"));
                return;
            }
            Err(e) => {
                out.push(file_problem("unreadable", format!("the file cannot be read past this point: {e}")));
                return;
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or_default();
        if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
            continue; // a blank line
        }
        rows += 1;
        if !out.push(Item::Row(csv_row(line, &record, &columns, defaults))) {
            return;
        }
    }
    if rows == 0 {
        out.push(file_problem("no_rows", "the file has a header but no rows"));
    }
}

/// The column each header cell names, or `None` (with the problem reported) for a bad header.
fn header_columns(header: &csv::ByteRecord, out: &mut Batcher<'_>) -> Option<Vec<&'static str>> {
    let names: Vec<String> =
        header.iter().map(|h| String::from_utf8_lossy(h).trim().to_ascii_lowercase()).collect();
    if names.len() == 1 {
        for (delimiter, name) in [(';', "semicolons"), ('\t', "tabs"), ('|', "vertical bars")] {
            if names[0].contains(delimiter) {
                out.push(file_problem(
                    "wrong_delimiter",
                    format!("the header seems to separate columns with {name}: use commas (CSV)"),
                ));
                return None;
            }
        }
    }
    let mut columns = Vec::new();
    let mut problems = Vec::new();
    for name in &names {
        match rows::COLUMNS.iter().find(|c| **c == name.as_str()) {
            Some(c) if columns.contains(c) => problems.push(format!("the column {c} appears twice")),
            Some(c) => columns.push(*c),
            None => problems.push(format!(
                "unknown column {:?}: the columns are {}",
                name.chars().take(64).collect::<String>(),
                rows::COLUMNS.join(", ")
            )),
        }
    }
    for required in rows::REQUIRED {
        if !columns.contains(&required) {
            problems.push(format!("the required column {required} is missing"));
        }
    }
    if problems.is_empty() {
        return Some(columns);
    }
    for problem in problems {
        out.push(file_problem("bad_header", problem));
    }
    None
}

fn csv_row(
    line: u64,
    record: &csv::ByteRecord,
    columns: &[&'static str],
    defaults: &Defaults,
) -> Result<NewEvent, Vec<Problem>> {
    // A quote left open swallows the following lines into one field (and the row count).
    if let Some(i) = record.iter().position(|f| f.contains(&b'\n') || f.contains(&b'\r')) {
        let column = columns.get(i).copied().unwrap_or("");
        let message = format!("field {} runs over a line break: is a quote left open on this row?", i + 1);
        return Err(vec![Problem::new(line, column, "line_break_in_field", message)]);
    }
    if record.len() != columns.len() {
        let message = format!("this row has {} fields; the header has {}", record.len(), columns.len());
        return Err(vec![Problem::new(line, "", "wrong_field_count", message)]);
    }
    let mut input = EventInput::default();
    let mut problems = Vec::new();
    for (column, bytes) in columns.iter().zip(record.iter()) {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let message = format!(
                    "{column} is not UTF-8 text (byte 0x{:02X} at position {}): save the file as UTF-8",
                    bytes[e.valid_up_to()],
                    e.valid_up_to() + 1
                );
                problems.push(Problem::new(line, column, "not_utf8", message));
                continue;
            }
        };
        let owned = Some(text.to_string());
        match *column {
            "subject_id" => input.subject_id = text.into(),
            "scheme" => input.scheme = text.into(),
            "rule_code" => input.rule_code = text.into(),
            "occurred_at" => input.occurred_at = text.into(),
            "external_ref" => input.external_ref = text.into(),
            "recorded_by" => input.recorded_by = owned,
            "source" => input.source = owned,
            "evidence_ref" => input.evidence_ref = owned,
            _ if text.trim().is_empty() => {}
            _ => match text.trim().parse::<i64>() {
                Ok(points) => input.points = Some(points),
                Err(_) => {
                    let message = format!("points must be a whole number, not {:?}", text.trim());
                    problems.push(Problem::new(line, "points", "invalid_points", message));
                }
            },
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    input.check(line, defaults)
}

fn read_json(input: impl Read, defaults: &Defaults, out: &mut Batcher<'_>, too_large: &Cell<Option<u64>>) {
    let mut de = serde_json::Deserializer::from_reader(input);
    let mut seen = 0u64;
    let outcome = JsonRows { defaults, out: &mut *out, seen: &mut seen }.deserialize(&mut de);
    let outcome = outcome.and_then(|()| de.end());
    match outcome {
        Ok(()) if seen == 0 => {
            out.push(file_problem("no_rows", "the array is empty: there is nothing to record"));
        }
        Ok(()) => {}
        Err(e) if e.is_io() && too_large.get().is_some() => {
            out.push(file_element_too_large(too_large.get().unwrap_or_default(), "element"));
        }
        Err(e) if e.is_io() => {
            out.push(file_problem("unreadable", format!("the file cannot be read past object {seen}: {e}")));
        }
        Err(e) => {
            let message = if seen == 0 && e.line() == 1 && e.column() <= 1 {
                format!("the file is not a JSON array of events: {e}")
            } else {
                format!(
                    "the JSON is malformed after object {seen} (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                )
            };
            out.push(file_problem("invalid_json", message));
        }
    }
}

/// Follows the JSON syntax just enough to know where each element of the top-level array
/// starts, and stops reading (an error, the element's number in `too_large`) when one grows
/// past [`MAX_ELEMENT_BYTES`]. It sits between the buffer and the parser, which reads byte by
/// byte, so the elements before the large one are all parsed.
struct JsonElementCap<R> {
    inner: R,
    depth: u32,
    in_string: bool,
    escaped: bool,
    element: u64,
    element_bytes: usize,
    too_large: Rc<Cell<Option<u64>>>,
}

impl<R: Read> JsonElementCap<R> {
    fn new(inner: R, too_large: Rc<Cell<Option<u64>>>) -> Self {
        Self { inner, depth: 0, in_string: false, escaped: false, element: 1, element_bytes: 0, too_large }
    }

    /// Follows one byte; false when it makes its element too large.
    fn track(&mut self, b: u8) -> bool {
        if self.in_string {
            match (self.escaped, b) {
                (true, _) => self.escaped = false,
                (false, b'\\') => self.escaped = true,
                (false, b'"') => self.in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => self.in_string = true,
                b'[' | b'{' => self.depth += 1,
                b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                b',' if self.depth == 1 => {
                    self.element += 1;
                    self.element_bytes = 0;
                    return true;
                }
                _ => {}
            }
        }
        if self.depth >= 1 {
            self.element_bytes += 1;
        }
        self.element_bytes <= MAX_ELEMENT_BYTES
    }
}

impl<R: Read> Read for JsonElementCap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.too_large.get().is_some() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "an element is too large"));
        }
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if !self.track(b) {
                self.too_large.set(Some(self.element));
                return Err(io::Error::new(io::ErrorKind::InvalidData, "an element is too large"));
            }
        }
        Ok(n)
    }
}

/// Visits the top-level array one object at a time, so the file is never held whole.
struct JsonRows<'a, 'b> {
    defaults: &'a Defaults,
    out: &'a mut Batcher<'b>,
    seen: &'a mut u64,
}

impl<'de> DeserializeSeed<'de> for JsonRows<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for JsonRows<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of event objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<serde_json::Value>()? {
            *self.seen += 1;
            let row = *self.seen;
            let item = match serde_json::from_value::<EventInput>(value) {
                Ok(input) => input.check(row, self.defaults),
                Err(e) => Err(vec![json_problem(row, &e)]),
            };
            if !self.out.push(Item::Row(item)) {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// A problem for an object that does not have the shape of an event.
pub fn json_problem(row: u64, e: &serde_json::Error) -> Problem {
    let text = e.to_string();
    // serde names the field between backticks: "missing field `scheme`", "unknown field `x`".
    let field = text.split('`').nth(1).unwrap_or("");
    let message = text.split(" at line ").next().unwrap_or(&text).to_string();
    Problem::new(row, field, "invalid_object", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Defaults {
        Defaults { recorded_by: "tester".into(), source: "import".into() }
    }

    fn read_all(format: Format, bytes: &[u8]) -> (Vec<NewEvent>, Vec<Problem>) {
        let mut events = Vec::new();
        let mut problems = Vec::new();
        read(format, bytes, &defaults(), &mut |chunk| {
            for item in chunk {
                match item {
                    Item::Row(Ok(e)) => events.push(e),
                    Item::Row(Err(p)) => problems.extend(p),
                    Item::File(p) => problems.push(p),
                }
            }
            true
        });
        (events, problems)
    }

    const SUBJECT: &str = "0193a5b2-7c1e-7d3a-9f00-1234567890ab";

    #[test]
    fn csv_rows_are_read_in_any_column_order_with_line_numbers() {
        let file = format!(
            "external_ref,subject_id,scheme,rule_code,occurred_at,points\nR-1,{SUBJECT},rongcheng,TRAFFIC-01,2026-03-01,-5\nR-2,{SUBJECT},rongcheng,TRAFFIC-01,2026-03-02,\n"
        );
        let (events, problems) = read_all(Format::Csv, file.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(events.len(), 2);
        assert_eq!((events[0].row, events[0].fact.points), (2, Some(-5)));
        assert_eq!((events[1].row, events[1].fact.points), (3, None));
    }

    #[test]
    fn csv_rows_after_blank_lines_keep_their_line_numbers() {
        let header = "subject_id,scheme,rule_code,occurred_at,external_ref";
        let row = |r: &str| format!("{SUBJECT},rongcheng,TRAFFIC-01,2026-03-01,{r}");
        for eol in ["\n", "\r\n", "\r"] {
            let file =
                [header.to_string(), row("R-1"), String::new(), row("R-2"), String::new(), String::new()]
                    .join(eol)
                    + eol
                    + &format!("{SUBJECT},rongcheng{eol}")
                    + &row("R-3");
            let (events, problems) = read_all(Format::Csv, file.as_bytes());
            let lines: Vec<u64> = events.iter().map(|e| e.row).collect();
            assert_eq!(lines, [2, 4, 8], "{eol:?}");
            assert_eq!((problems[0].row, problems[0].code.as_str()), (7, "wrong_field_count"), "{eol:?}");
        }
    }

    #[test]
    fn bad_csv_gets_specific_problems() {
        let (_, p) = read_all(Format::Csv, b"subject_id;scheme;rule_code\n1;2;3\n");
        assert_eq!(p[0].code, "wrong_delimiter");
        let (_, p) = read_all(Format::Csv, b"subject_id,scheme,colour\n");
        let codes: Vec<&str> = p.iter().map(|p| p.code.as_str()).collect();
        assert!(codes.iter().all(|c| *c == "bad_header") && codes.len() == 4, "{p:?}");
        let header = "subject_id,scheme,rule_code,occurred_at,external_ref\n";
        let (_, p) = read_all(Format::Csv, format!("{header}{SUBJECT},rongcheng\n").as_bytes());
        assert_eq!((p[0].row, p[0].code.as_str()), (2, "wrong_field_count"));
        let latin1 =
            [header.as_bytes(), SUBJECT.as_bytes(), b",rongcheng,TRAFFIC-01,2026-03-01,Caf\xe9\n"].concat();
        let (_, p) = read_all(Format::Csv, &latin1);
        assert_eq!((p[0].field.as_str(), p[0].code.as_str()), ("external_ref", "not_utf8"));
        let open = format!("{header}{SUBJECT},rongcheng,TRAFFIC-01,2026-03-01,\"R-1\n{SUBJECT},x,y,z,w\n");
        let (_, p) = read_all(Format::Csv, open.as_bytes());
        assert_eq!(p[0].code, "line_break_in_field");
        let (_, p) = read_all(Format::Csv, b"");
        assert_eq!(p[0].code, "empty_file");
        let bom = format!("\u{feff}{header}{SUBJECT},rongcheng,TRAFFIC-01,2026-03-01,R-1\n");
        let (events, p) = read_all(Format::Csv, bom.as_bytes());
        assert!(p.is_empty() && events.len() == 1, "{p:?}");
    }

    #[test]
    fn a_row_or_element_over_the_cap_stops_reading_and_is_named() {
        let header = "subject_id,scheme,rule_code,occurred_at,external_ref\n";
        let good = format!("{SUBJECT},rongcheng,TRAFFIC-01,2026-03-01,R-1\n");
        let huge = "x".repeat(MAX_ELEMENT_BYTES + 1);
        let file = format!("{header}{good}\n{SUBJECT},rongcheng,TRAFFIC-01,2026-03-01,{huge}\n{good}");
        let (events, p) = read_all(Format::Csv, file.as_bytes());
        assert_eq!(events.len(), 1);
        assert_eq!((p.len(), p[0].row, p[0].code.as_str()), (1, 4, "element_too_large"), "{p:?}");
        // A quote left open makes one row of many short lines.
        let lines = "a\n".repeat(MAX_ELEMENT_BYTES / 2 + 1);
        let file = format!("{header}{good}{SUBJECT},rongcheng,TRAFFIC-01,2026-03-01,\"{lines}");
        let (events, p) = read_all(Format::Csv, file.as_bytes());
        assert_eq!(events.len(), 1);
        assert_eq!((p[0].row, p[0].code.as_str()), (3, "element_too_large"), "{p:?}");
        // Just under the cap, with quotes, escaped quotes and commas inside: read.
        let quoted = format!("\"{}\"\"a,b\"", "y".repeat(MAX_ELEMENT_BYTES - 200));
        let file = format!("{header}{SUBJECT},rongcheng,TRAFFIC-01,2026-03-01,{quoted}\n{good}");
        let (events, p) = read_all(Format::Csv, file.as_bytes());
        assert!(p.is_empty() && events.len() == 2, "{p:?}");

        let element = |r: &str| {
            format!(
                r#"{{"subject_id":"{SUBJECT}","scheme":"rongcheng","rule_code":"TRAFFIC-01","occurred_at":"2026-03-01","external_ref":"{r}"}}"#
            )
        };
        let file = format!("[{}, {}, {}]", element("R-1"), element(&format!("[\\\"{huge}]")), element("R-3"));
        let (events, p) = read_all(Format::Json, file.as_bytes());
        assert_eq!(events.len(), 1);
        assert_eq!((p.len(), p[0].row, p[0].code.as_str()), (1, 2, "element_too_large"), "{p:?}");
        let file = format!("[{}, \"{}\"]", element("R-1"), "z".repeat(MAX_ELEMENT_BYTES - 100));
        let (events, p) = read_all(Format::Json, file.as_bytes());
        assert_eq!(events.len(), 1);
        assert_eq!((p[0].row, p[0].code.as_str()), (2, "invalid_object"), "{p:?}");
    }

    #[test]
    fn json_arrays_are_read_object_by_object() {
        let file = format!(
            r#"[{{"subject_id":"{SUBJECT}","scheme":"rongcheng","rule_code":"TRAFFIC-01","occurred_at":"2026-03-01","external_ref":"R-1"}},
               {{"subject_id":"{SUBJECT}","scheme":"rongcheng","rule_code":"TRAFFIC-01","occurred_at":"2026-03-01","external_ref":"R-2","authority_id":"x"}}]"#
        );
        let (events, problems) = read_all(Format::Json, file.as_bytes());
        assert_eq!(events.len(), 1);
        assert_eq!((problems[0].row, problems[0].code.as_str()), (2, "invalid_object"));
        let (_, p) = read_all(Format::Json, b"[{\"subject_id\": ");
        assert_eq!(p[0].code, "invalid_json");
        let (_, p) = read_all(Format::Json, b"{}");
        assert_eq!(p[0].code, "invalid_json");
    }
}
