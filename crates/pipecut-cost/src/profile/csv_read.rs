//! Reading a chain from CSV (the format is in the parent module's docs): the
//! `csv` crate splits the records; this file reads pipecut's own `#` lines,
//! checks the quoting the crate accepts silently, and turns rows into layers.

use std::collections::HashMap;
use std::io::Cursor;

use csv::{Position, Reader, ReaderBuilder, StringRecord, Terminator};
use pipecut_core::{Chain, Layer, LayerKind};

use super::decimal::{ms_shift, parse_shifted};
use super::{CSV_BACKWARD_WEIGHT_COLUMN, CSV_COLUMNS};
use crate::error::CostError;

/// Parses CSV text into a chain (see the module docs for the format).
pub fn chain_from_csv(text: &str) -> Result<Chain, CostError> {
    chain_from_csv_named(text, "profile")
}

/// [`chain_from_csv`] with the chain name used when no `# name:` line sets one.
pub(super) fn chain_from_csv_named(text: &str, default_name: &str) -> Result<Chain, CostError> {
    let mut meta = Metadata {
        name: default_name.to_string(),
        unit: "s".to_string(),
    };
    let mut records = Records::new(text);
    let Some((line, header)) = records.next_record(Some(&mut meta))? else {
        return Err(CostError::CsvHeader {
            line: text.lines().count().max(1),
            reason: format!("no header row; expected `{}`", CSV_COLUMNS.join(",")),
        });
    };
    let columns = parse_header(line, &header)?;
    let width = header.len();
    let shift = -i64::from(ms_shift(&meta.unit).unwrap_or(0));
    let mut layers: Vec<Layer> = Vec::new();
    // Layer name -> the line it was first defined on.
    let mut lines: HashMap<String, usize> = HashMap::new();
    while let Some((line, fields)) = records.next_record(None)? {
        if fields.len() != width {
            return Err(CostError::CsvField {
                line,
                field: "row".into(),
                value: format!("{} fields", fields.len()),
                reason: format!("expected {width} fields like the header"),
            });
        }
        let row = Row {
            line,
            fields: &fields,
            columns: &columns,
        };
        let layer = row.layer(shift, &lines)?;
        lines.insert(layer.name.clone(), line);
        layers.push(layer);
    }
    Ok(Chain::new(meta.name, meta.unit, layers)?)
}

/// The chain name and unit, as set by `# name:` and `# unit:` lines.
struct Metadata {
    name: String,
    unit: String,
}

impl Metadata {
    /// Reads one comment line (without its line end); lines other than
    /// `# name: <json string>` and `# unit: <json string>` say nothing.
    fn read(&mut self, line: usize, comment: &str) -> Result<(), CostError> {
        let body = comment.trim_start().trim_start_matches('#').trim();
        for (key, slot) in [("name:", &mut self.name), ("unit:", &mut self.unit)] {
            if let Some(value) = body.strip_prefix(key) {
                *slot = serde_json::from_str::<String>(value.trim()).map_err(|e| {
                    CostError::CsvField {
                        line,
                        field: key.trim_end_matches(':').into(),
                        value: value.trim().into(),
                        reason: format!("expected a JSON string ({e})"),
                    }
                })?;
            }
        }
        Ok(())
    }
}

/// The records of a CSV text, each with the 1-based line it starts on.
struct Records<'t> {
    text: &'t str,
    reader: Reader<Cursor<&'t [u8]>>,
    record: StringRecord,
    /// Byte offset and 1-based line of the first byte the reader has not read.
    pos: usize,
    line: usize,
}

impl<'t> Records<'t> {
    fn new(text: &'t str) -> Self {
        let reader = ReaderBuilder::new()
            .has_headers(false)
            // Rows of the wrong width get pipecut's own error, naming the line.
            .flexible(true)
            .comment(Some(b'#'))
            // Lines end at `\n` alone; a `\r` before it is trimmed like
            // other surrounding spaces.
            .terminator(Terminator::Any(b'\n'))
            .from_reader(Cursor::new(text.as_bytes()));
        Records {
            text,
            reader,
            record: StringRecord::new(),
            pos: 0,
            line: 1,
        }
    }

    /// The next record that is not blank, as [`fields`] reads it; comment
    /// lines before it are given to `meta` when there is one.
    fn next_record(
        &mut self,
        mut meta: Option<&mut Metadata>,
    ) -> Result<Option<(usize, Vec<&str>)>, CostError> {
        let text = self.text;
        loop {
            let moved = self.skip_comments(meta.as_deref_mut())?;
            if self.pos >= text.len() {
                return Ok(None);
            }
            if moved {
                let mut at = Position::new();
                at.set_byte(self.pos as u64).set_line(self.line as u64);
                self.reader.seek(at).map_err(|e| self.unreadable(e))?;
            }
            let (start, line) = (self.pos, self.line);
            let more = self
                .reader
                .read_record(&mut self.record)
                .map_err(|e| self.unreadable(e))?;
            if !more {
                return Ok(None);
            }
            let end = self.reader.position();
            (self.pos, self.line) = (end.byte() as usize, end.line() as usize);
            let raw = text.get(start..self.pos).unwrap_or_default();
            let blank =
                self.record.len() == 1 && !raw.starts_with('"') && self.record[0].trim().is_empty();
            if !blank {
                return fields(line, raw, &self.record).map(|f| Some((line, f)));
            }
        }
    }

    /// Skips line ends and comment lines up to the next record, giving the
    /// comments to `meta` when there is one. Returns whether the reader must
    /// be moved there: it skips line ends and comments with `#` in the first
    /// column itself, but would read an indented comment as a record.
    fn skip_comments(&mut self, mut meta: Option<&mut Metadata>) -> Result<bool, CostError> {
        let mut moved = false;
        while let Some(rest) = self.text.get(self.pos..).filter(|r| !r.is_empty()) {
            // The reader skips line ends between records as well.
            if rest.starts_with('\n') {
                self.line += 1;
                self.pos += 1;
                continue;
            }
            let indented = rest.trim_start_matches(|c: char| c.is_whitespace() && c != '\n');
            if !indented.starts_with('#') {
                break;
            }
            moved |= indented.len() != rest.len();
            let (comment, len) = match rest.find('\n') {
                Some(i) => (&rest[..i], i + 1),
                None => (rest, rest.len()),
            };
            if let Some(meta) = meta.as_deref_mut() {
                meta.read(self.line, comment.trim_end_matches('\r'))?;
            }
            self.pos += len;
            self.line += usize::from(comment.len() < len);
        }
        Ok(moved)
    }

    /// A failure of the `csv` reader itself (it reads from memory, so none
    /// is expected), as an error on the current line.
    fn unreadable(&self, err: csv::Error) -> CostError {
        CostError::CsvField {
            line: self.line,
            field: "row".into(),
            value: String::new(),
            reason: err.to_string(),
        }
    }
}

/// The fields of `record` as pipecut reads them: unquoted fields trimmed,
/// quoted ones as written. `raw` is the record's text, from its first byte.
///
/// The `csv` crate reads `"a"b` as `ab`, an unclosed quote up to the end of
/// the text, and ` "a"` (a space first) as text with quotes; comparing each
/// quoted field with its raw text turns all three into errors. (Before an
/// opening quote the crate has already split the field at its commas, so
/// spaces there cannot be dropped the way spaces after a closing quote are.)
fn fields<'r>(line: usize, raw: &str, record: &'r StringRecord) -> Result<Vec<&'r str>, CostError> {
    let bad = |value: &str, reason: &str| CostError::CsvField {
        line,
        field: "row".into(),
        value: value.to_string(),
        reason: reason.into(),
    };
    let mut rest = raw;
    let mut out = Vec::with_capacity(record.len());
    for field in record {
        let after = match rest.strip_prefix('"') {
            Some(quoted) => match quoted_content(quoted, field) {
                Some((content, after)) => {
                    out.push(content);
                    after
                }
                None if quoted == field.replace('"', "\"\"") => {
                    return Err(bad(field, "unterminated quoted field"))
                }
                None => return Err(bad(field, "text after a closing quote")),
            },
            None if field.trim_start().starts_with('"') => {
                return Err(bad(field, "spaces before an opening quote"))
            }
            None => {
                out.push(field.trim());
                // The crate copies an unquoted field byte for byte.
                rest.get(field.len()..).unwrap_or_default()
            }
        };
        rest = after.strip_prefix(',').unwrap_or(after);
    }
    Ok(out)
}

/// A quoted field's content, and the raw text after the field, when
/// `quoted` (the raw text after the opening quote) holds `field` (as the
/// crate read it) escaped, closed by a quote at the end of the field. The
/// crate appends what follows a closing quote to the field: spaces there
/// (and the `\r` of a `\r\n`) are dropped, as around unquoted fields.
fn quoted_content<'f, 'q>(quoted: &'q str, field: &'f str) -> Option<(&'f str, &'q str)> {
    let mut content = field;
    loop {
        let tail = &field[content.len()..];
        let after = quoted
            .strip_prefix(content.replace('"', "\"\"").as_str())
            .and_then(|r| r.strip_prefix('"'))
            .and_then(|r| r.strip_prefix(tail));
        if let Some(after) = after.filter(|a| a.is_empty() || a.starts_with([',', '\n'])) {
            return Some((content, after));
        }
        let last = content.chars().next_back().filter(|c| c.is_whitespace())?;
        content = &content[..content.len() - last.len_utf8()];
    }
}

/// [`CSV_COLUMNS`], then the optional [`CSV_BACKWARD_WEIGHT_COLUMN`].
const COLUMNS: [&str; 8] = [
    CSV_COLUMNS[0],
    CSV_COLUMNS[1],
    CSV_COLUMNS[2],
    CSV_COLUMNS[3],
    CSV_COLUMNS[4],
    CSV_COLUMNS[5],
    CSV_COLUMNS[6],
    CSV_BACKWARD_WEIGHT_COLUMN,
];

/// Index of [`CSV_BACKWARD_WEIGHT_COLUMN`] in [`COLUMNS`].
const BACKWARD_WEIGHT: usize = 7;

/// Position in the row of each of [`COLUMNS`] (`usize::MAX`: the optional
/// column is absent).
fn parse_header(line: usize, fields: &[&str]) -> Result<[usize; 8], CostError> {
    let mut cols = [usize::MAX; 8];
    for (pos, &col) in fields.iter().enumerate() {
        let Some(i) = COLUMNS.iter().position(|c| *c == col) else {
            return Err(CostError::CsvHeader {
                line,
                reason: format!(
                    "unknown column `{col}`; expected `{}` and optionally `{CSV_BACKWARD_WEIGHT_COLUMN}`",
                    CSV_COLUMNS.join(",")
                ),
            });
        };
        if cols[i] != usize::MAX {
            return Err(CostError::CsvHeader {
                line,
                reason: format!("column `{col}` appears twice"),
            });
        }
        cols[i] = pos;
    }
    if let Some(i) = cols[..CSV_COLUMNS.len()]
        .iter()
        .position(|&c| c == usize::MAX)
    {
        return Err(CostError::CsvHeader {
            line,
            reason: format!("missing column `{}`", CSV_COLUMNS[i]),
        });
    }
    Ok(cols)
}

/// One data row, its fields in file order.
struct Row<'a> {
    line: usize,
    fields: &'a [&'a str],
    /// Position in `fields` of each of [`COLUMNS`].
    columns: &'a [usize; 8],
}

impl Row<'_> {
    /// The field of column `COLUMNS[i]`; empty when the column is absent.
    fn get(&self, i: usize) -> &str {
        self.fields
            .get(self.columns[i])
            .copied()
            .unwrap_or_default()
    }

    fn bad(&self, i: usize, reason: &str) -> CostError {
        CostError::CsvField {
            line: self.line,
            field: COLUMNS[i].into(),
            value: self.get(i).to_string(),
            reason: reason.into(),
        }
    }

    /// The layer this row describes; `shift` takes the time columns to the
    /// chain unit, `lines` holds the names already defined.
    fn layer(&self, shift: i64, lines: &HashMap<String, usize>) -> Result<Layer, CostError> {
        let name = self.get(0);
        if name.is_empty() {
            return Err(self.bad(0, "layer name is empty"));
        }
        if let Some(first) = lines.get(name) {
            return Err(self.bad(0, &format!("duplicate layer name (first on line {first})")));
        }
        let kind: LayerKind = self.get(1).parse().map_err(|e: String| self.bad(1, &e))?;
        let mut times = [0.0; 2];
        for (slot, i) in times.iter_mut().zip([2, 3]) {
            *slot = self.time(i, shift)?;
        }
        let backward_weight = match self.get(BACKWARD_WEIGHT) {
            "" => None,
            _ => Some(self.time(BACKWARD_WEIGHT, shift)?),
        };
        // Checked here rather than by the chain, so the error names the line.
        if backward_weight.is_some_and(|w| w > times[1]) {
            return Err(self.bad(
                BACKWARD_WEIGHT,
                &format!("must be at most backward_ms (`{}`)", self.get(3)),
            ));
        }
        let mut bytes = [0u64; 3];
        for (slot, i) in bytes.iter_mut().zip([4, 5, 6]) {
            let t = self.get(i);
            *slot = if t.is_empty() {
                0
            } else {
                t.parse()
                    .map_err(|_| self.bad(i, "expected a whole number of bytes (0..2^64)"))?
            };
        }
        let mut layer = Layer::new(name, times[0], times[1])
            .with_kind(kind)
            .with_bytes(bytes[0], bytes[1], bytes[2]);
        layer.backward_weight = backward_weight;
        Ok(layer)
    }

    /// The time in column `i`, in the chain unit.
    fn time(&self, i: usize, shift: i64) -> Result<f64, CostError> {
        let value = parse_shifted(self.get(i), shift)
            .ok_or_else(|| self.bad(i, "expected a finite decimal number"))?;
        if value < 0.0 {
            return Err(self.bad(i, "time must be >= 0"));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_crlf() {
        let text = "name,kind,forward_ms,backward_ms,param_bytes,activation_bytes,output_bytes\r\n\
                    \"a,\"\"b\"\"\",input,1,2,,,\r\n\r\n  c ,, 3 , 4 ,5,6,7\r\n";
        let chain = chain_from_csv(text).unwrap();
        assert_eq!(chain.name(), "profile");
        assert_eq!(chain.unit(), "s");
        let l = &chain.layers()[0];
        assert_eq!(
            (l.name.as_str(), l.kind, l.forward),
            ("a,\"b\"", LayerKind::Input, 0.001)
        );
        let l = &chain.layers()[1];
        assert_eq!(l.name, "c");
        assert_eq!(
            (l.kind, l.backward, l.output_bytes),
            (LayerKind::Block, 0.004, 7)
        );
        assert_eq!(
            chain_from_csv(&super::super::chain_to_csv(&chain))
                .unwrap()
                .layers(),
            chain.layers()
        );
    }

    #[test]
    fn columns_in_any_order() {
        let text = "kind,name,output_bytes,activation_bytes,param_bytes,backward_ms,forward_ms\n\
                    output,head,3,2,1,20,10\n";
        let l = chain_from_csv(text).unwrap().layers()[0].clone();
        assert_eq!(
            l,
            Layer::new("head", 0.01, 0.02)
                .with_kind(LayerKind::Output)
                .with_bytes(1, 2, 3)
        );
    }
}
