//! Measured profiles: chains loaded from Chain JSON or CSV.
//!
//! # CSV format
//!
//! ```text
//! # name: "llama3-8b"
//! # unit: "s"
//! name,kind,forward_ms,backward_ms,param_bytes,activation_bytes,output_bytes
//! tok_embeddings,input,0.05,0.1,8405385216,16384,33554432
//! ```
//!
//! - The header row is required and names the seven columns (any order,
//!   no others). `kind` and the byte columns may be empty (`block`, `0`).
//! - Lines that start with `#` are comments, except `# name: <json string>`
//!   and `# unit: <json string>` before the header, which set the chain's
//!   name (default: the file stem for [`load_chain`], `profile` for
//!   [`chain_from_csv`]) and unit (default `s`).
//! - Times: `forward_ms` and `backward_ms` are milliseconds whenever the
//!   chain unit is a time (`s`, `ms`, `us`, `ns`); so a profile measured in
//!   milliseconds becomes a chain in seconds, the unit of the hardware model.
//!   For other units (`flop`, `units`, ...) the two columns hold the cost in
//!   that unit unchanged.
//! - Exactness: the conversion between milliseconds and the chain unit moves
//!   the decimal point of the written text (it never multiplies binary
//!   floats), and [`chain_to_csv`] writes the shortest text that reads back to
//!   the same `f64`; so chain -> CSV -> chain is bit-for-bit identical.
//! - Fields with a comma, a quote, a line break or surrounding spaces are
//!   double-quoted (RFC 4180, `""` for a quote); unquoted fields are trimmed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pipecut_core::{Chain, CostModel, Layer, LayerKind};

use crate::error::CostError;

/// The CSV columns, in the order [`chain_to_csv`] writes them.
pub const CSV_COLUMNS: [&str; 7] = [
    "name",
    "kind",
    "forward_ms",
    "backward_ms",
    "param_bytes",
    "activation_bytes",
    "output_bytes",
];

/// Powers of ten from the chain unit to milliseconds (`None`: not a time unit).
fn ms_shift(unit: &str) -> Option<i32> {
    match unit {
        "s" => Some(3),
        "ms" => Some(0),
        "us" | "µs" => Some(-3),
        "ns" => Some(-6),
        _ => None,
    }
}

/// Splits a finite decimal number's text into its mantissa and power of ten.
fn split_exponent(text: &str) -> Option<(&str, i64)> {
    match text.find(['e', 'E']) {
        Some(i) => Some((&text[..i], text[i + 1..].parse().ok()?)),
        None => Some((text, 0)),
    }
}

/// Parses `text * 10^shift` exactly as a decimal, rounded once to `f64`.
fn parse_shifted(text: &str, shift: i64) -> Option<f64> {
    let (mantissa, exp) = split_exponent(text)?;
    let digits_ok = !mantissa.is_empty()
        && mantissa
            .trim_start_matches(['+', '-'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.chars().any(|c| c.is_ascii_digit())
        && mantissa.matches('.').count() <= 1
        && mantissa.len() - mantissa.trim_start_matches(['+', '-']).len() <= 1;
    if !digits_ok {
        return None;
    }
    let value: f64 = format!("{mantissa}e{}", exp.checked_add(shift)?)
        .parse()
        .ok()?;
    value.is_finite().then_some(value)
}

/// The shortest decimal text of `value * 10^shift` that [`parse_shifted`]
/// with `-shift` maps back to `value`; plain notation for moderate
/// magnitudes, scientific otherwise.
fn format_shifted(value: f64, shift: i32) -> String {
    // `{:e}` is the shortest round-trip digits: `d.ddde±x`.
    let sci = format!("{value:e}");
    let (mantissa, exp) = split_exponent(&sci).expect("Rust writes a valid exponent");
    let exp = exp + i64::from(shift);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if digits.chars().all(|c| c == '0') {
        return format!("{sign}0");
    }
    // value = 0.digits * 10^(exp + 1)
    let point = exp + 1;
    let n = digits.len() as i64;
    if !(-6..=21).contains(&point) {
        let (head, tail) = digits.split_at(1);
        return if tail.is_empty() {
            format!("{sign}{head}e{exp}")
        } else {
            format!("{sign}{head}.{tail}e{exp}")
        };
    }
    if point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
    } else if point >= n {
        format!("{sign}{digits}{}", "0".repeat((point - n) as usize))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{sign}{int}.{frac}")
    }
}

fn quote(field: &str) -> String {
    let needs = field.is_empty()
        || field.contains([',', '"', '\n', '\r'])
        || field.trim() != field
        || field.starts_with('#');
    if needs {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Writes a chain as CSV (metadata lines, header, one row per layer).
///
/// ```
/// use pipecut_core::{Chain, Layer};
/// use pipecut_cost::{chain_from_csv, chain_to_csv};
/// let chain = Chain::new("toy", "s", vec![Layer::new("a", 0.0015, 0.003)]).unwrap();
/// let csv = chain_to_csv(&chain);
/// assert!(csv.contains("a,block,1.5,3,0,0,0"));
/// assert_eq!(chain_from_csv(&csv).unwrap(), chain);
/// ```
pub fn chain_to_csv(chain: &Chain) -> String {
    let shift = ms_shift(chain.unit()).unwrap_or(0);
    let json = |s: &str| serde_json::to_string(s).expect("a string always serializes");
    let mut out = format!(
        "# name: {}\n# unit: {}\n{}\n",
        json(chain.name()),
        json(chain.unit()),
        CSV_COLUMNS.join(",")
    );
    for l in chain.layers() {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            quote(&l.name),
            l.kind.as_str(),
            format_shifted(l.forward, shift),
            format_shifted(l.backward, shift),
            l.param_bytes,
            l.activation_bytes,
            l.output_bytes
        ));
    }
    out
}

/// One physical record: its fields, and whether each was quoted.
type Record = Vec<(String, bool)>;

/// Splits CSV text into records, keeping the 1-based line each starts on.
fn records(text: &str) -> Result<Vec<(usize, Record)>, CostError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start_line = line;
        // A `#` line is a comment or metadata (`# name: <json>`): taken whole,
        // so quotes and commas in its JSON string are not CSV syntax.
        let mut ahead = chars.clone();
        while ahead.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        if ahead.peek() == Some(&'#') {
            let text: String = chars.by_ref().take_while(|c| *c != '\n').collect();
            line += 1;
            out.push((
                start_line,
                vec![(text.trim_end_matches('\r').to_string(), false)],
            ));
            continue;
        }
        let mut record: Record = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut in_quotes = false;
        loop {
            match chars.next() {
                None => break,
                Some('"') if in_quotes => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        in_quotes = false;
                    }
                }
                Some('"') if field.trim().is_empty() && !quoted => {
                    field.clear();
                    quoted = true;
                    in_quotes = true;
                }
                Some(c) if in_quotes => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
                Some(',') => {
                    record.push((std::mem::take(&mut field), quoted));
                    quoted = false;
                }
                Some('\n') => {
                    line += 1;
                    break;
                }
                Some('\r') if chars.peek() == Some(&'\n') => {}
                Some(c) if quoted => {
                    // Only spaces may follow a closing quote; they are dropped.
                    if !c.is_whitespace() {
                        return Err(CostError::CsvField {
                            line: start_line,
                            field: "row".into(),
                            value: c.to_string(),
                            reason: "text after a closing quote".into(),
                        });
                    }
                }
                Some(c) => field.push(c),
            }
        }
        if in_quotes {
            return Err(CostError::CsvField {
                line: start_line,
                field: "row".into(),
                value: field,
                reason: "unterminated quoted field".into(),
            });
        }
        record.push((field, quoted));
        let blank = record.len() == 1 && !record[0].1 && record[0].0.trim().is_empty();
        if !blank {
            out.push((start_line, record));
        }
    }
    Ok(out)
}

fn field_text((text, quoted): &(String, bool)) -> &str {
    if *quoted {
        text
    } else {
        text.trim()
    }
}

/// Parses CSV text into a chain (see the module docs for the format).
pub fn chain_from_csv(text: &str) -> Result<Chain, CostError> {
    chain_from_csv_named(text, "profile")
}

fn chain_from_csv_named(text: &str, default_name: &str) -> Result<Chain, CostError> {
    let mut name = default_name.to_string();
    let mut unit = "s".to_string();
    let mut columns: Option<[usize; 7]> = None;
    let mut width = 0;
    let mut layers: Vec<Layer> = Vec::new();
    // Layer name -> the line it was first defined on.
    let mut lines: HashMap<String, usize> = HashMap::new();
    for (line, record) in records(text)? {
        let first = &record[0];
        if !first.1 && first.0.trim_start().starts_with('#') {
            if columns.is_none() {
                // `records` keeps a `#` line whole, as one field.
                let body = first.0.trim_start().trim_start_matches('#').trim();
                for (key, slot) in [("name:", &mut name), ("unit:", &mut unit)] {
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
            }
            continue;
        }
        let Some(cols) = columns else {
            columns = Some(parse_header(line, &record)?);
            width = record.len();
            continue;
        };
        if record.len() != width {
            return Err(CostError::CsvField {
                line,
                field: "row".into(),
                value: format!("{} fields", record.len()),
                reason: format!("expected {width} fields like the header"),
            });
        }
        let get = |i: usize| field_text(&record[cols[i]]);
        let bad = |i: usize, reason: &str| CostError::CsvField {
            line,
            field: CSV_COLUMNS[i].into(),
            value: get(i).to_string(),
            reason: reason.into(),
        };
        let layer_name = get(0).to_string();
        if layer_name.is_empty() {
            return Err(bad(0, "layer name is empty"));
        }
        if let Some(first) = lines.get(&layer_name) {
            return Err(bad(
                0,
                &format!("duplicate layer name (first on line {first})"),
            ));
        }
        let kind: LayerKind = get(1).parse().map_err(|e: String| bad(1, &e))?;
        let shift = -i64::from(ms_shift(&unit).unwrap_or(0));
        let mut times = [0.0; 2];
        for (slot, i) in times.iter_mut().zip([2, 3]) {
            *slot = parse_shifted(get(i), shift)
                .ok_or_else(|| bad(i, "expected a finite decimal number"))?;
            if *slot < 0.0 {
                return Err(bad(i, "time must be >= 0"));
            }
        }
        let mut bytes = [0u64; 3];
        for (slot, i) in bytes.iter_mut().zip([4, 5, 6]) {
            let t = get(i);
            *slot = if t.is_empty() {
                0
            } else {
                t.parse()
                    .map_err(|_| bad(i, "expected a whole number of bytes (0..2^64)"))?
            };
        }
        lines.insert(layer_name.clone(), line);
        layers.push(
            Layer::new(layer_name, times[0], times[1])
                .with_kind(kind)
                .with_bytes(bytes[0], bytes[1], bytes[2]),
        );
    }
    if columns.is_none() {
        return Err(CostError::CsvHeader {
            line: text.lines().count().max(1),
            reason: format!("no header row; expected `{}`", CSV_COLUMNS.join(",")),
        });
    }
    Ok(Chain::new(name, unit, layers)?)
}

fn parse_header(line: usize, record: &Record) -> Result<[usize; 7], CostError> {
    let mut cols = [usize::MAX; 7];
    for (pos, field) in record.iter().enumerate() {
        let col = field_text(field);
        let Some(i) = CSV_COLUMNS.iter().position(|c| *c == col) else {
            return Err(CostError::CsvHeader {
                line,
                reason: format!(
                    "unknown column `{col}`; expected `{}`",
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
    if let Some(i) = cols.iter().position(|&c| c == usize::MAX) {
        return Err(CostError::CsvHeader {
            line,
            reason: format!("missing column `{}`", CSV_COLUMNS[i]),
        });
    }
    Ok(cols)
}

/// Loads a chain from a `.json` (Chain JSON) or `.csv` file.
pub fn load_chain(path: &Path) -> Result<Chain, CostError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let is_json = match ext.as_deref() {
        Some("json") => true,
        Some("csv") => false,
        _ => {
            return Err(CostError::UnknownFormat {
                path: path.to_path_buf(),
            })
        }
    };
    let text = std::fs::read_to_string(path).map_err(|source| CostError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if is_json {
        Ok(Chain::from_json(&text)?)
    } else {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("profile");
        chain_from_csv_named(&text, stem)
    }
}

/// A measured profile on disk: implements [`CostModel`] by loading the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileFile {
    /// A `.json` or `.csv` file.
    pub path: PathBuf,
}

impl CostModel for ProfileFile {
    type Error = CostError;

    fn name(&self) -> String {
        self.path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("profile")
            .to_string()
    }

    fn chain(&self) -> Result<Chain, CostError> {
        load_chain(&self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_shift_is_textual() {
        assert_eq!(format_shifted(0.0015, 3), "1.5");
        assert_eq!(format_shifted(2.0, 3), "2000");
        assert_eq!(format_shifted(1.0e-9, 3), "0.000001");
        assert_eq!(format_shifted(1.25e-12, 3), "1.25e-9");
        assert_eq!(format_shifted(1e300, 0), "1e300");
        assert_eq!(format_shifted(0.0, 3), "0");
        assert_eq!(format_shifted(-0.0, 3), "-0");
        assert_eq!(format_shifted(123.0, -3), "0.123");
        assert_eq!(parse_shifted("1.5", -3), Some(0.0015));
        assert_eq!(parse_shifted("2E3", -3), Some(2.0));
        assert_eq!(parse_shifted(".5", 0), Some(0.5));
        for bad in [
            "", "abc", "inf", "NaN", "1.2.3", "--1", "1e", "e5", "1e99999",
        ] {
            assert_eq!(parse_shifted(bad, -3), None, "{bad}");
        }
        // 0.1 + 0.2 in seconds is not 0.3; the shifted text keeps every bit.
        let v = 0.1 + 0.2;
        assert_eq!(parse_shifted(&format_shifted(v, 3), -3), Some(v));
    }

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
            chain_from_csv(&chain_to_csv(&chain)).unwrap().layers(),
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
