//! Writing a chain as CSV: pipecut's `# name:` / `# unit:` lines, then the
//! header and one row per layer through the `csv` crate.

use csv::{QuoteStyle, Terminator, Writer, WriterBuilder};
use pipecut_core::Chain;

use super::decimal::{format_shifted, ms_shift};
use super::{CSV_BACKWARD_WEIGHT_COLUMN, CSV_COLUMNS};

/// Writes a chain as CSV (metadata lines, header, one row per layer).
///
/// ```
/// use pipecut_core::{Chain, Layer};
/// use pipecut_cost::{chain_from_csv, chain_to_csv};
/// let chain = Chain::new("toy", "s", vec![Layer::new("a", 0.0015, 0.003)]).unwrap();
/// let csv = chain_to_csv(&chain);
/// assert!(csv.contains("a,block,1.5,3,0,0,0"));
/// assert_eq!(chain_from_csv(&csv).unwrap(), chain);
///
/// // A stated weight-gradient part adds the `backward_weight_ms` column.
/// let layers = vec![Layer::new("a", 0.0015, 0.003).with_backward_weight(0.001)];
/// let csv = chain_to_csv(&Chain::new("toy", "s", layers).unwrap());
/// assert!(csv.contains("name,kind,forward_ms,backward_ms,backward_weight_ms,"));
/// assert!(csv.contains("a,block,1.5,3,1,0,0,0"));
/// ```
pub fn chain_to_csv(chain: &Chain) -> String {
    let json = |s: &str| serde_json::to_string(s).expect("a string always serializes");
    let metadata = format!(
        "# name: {}\n# unit: {}\n",
        json(chain.name()),
        json(chain.unit())
    );
    let bytes =
        write_rows(chain, metadata.into_bytes()).expect("writing CSV to memory cannot fail");
    String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
}

/// Whether pipecut's reader needs `name` quoted where the `csv` crate's
/// [`QuoteStyle::Necessary`] would not quote it: the reader trims unquoted
/// fields and takes a row that starts with `#` for a comment.
fn needs_extra_quotes(name: &str) -> bool {
    name.is_empty() || name.trim() != name || name.starts_with('#')
}

/// Where [`CSV_BACKWARD_WEIGHT_COLUMN`] goes: right after `backward_ms`.
const WEIGHT_AT: usize = 4;

/// Appends the header and the layer rows to `out`.
fn write_rows(chain: &Chain, out: Vec<u8>) -> csv::Result<Vec<u8>> {
    let shift = ms_shift(chain.unit()).unwrap_or(0);
    // Profiles without the split keep the seven-column format.
    let with_weight = chain.layers().iter().any(|l| l.backward_weight.is_some());
    let mut header = CSV_COLUMNS.to_vec();
    if with_weight {
        header.insert(WEIGHT_AT, CSV_BACKWARD_WEIGHT_COLUMN);
    }
    let mut rows = row_writer(out);
    rows.write_record(&header)?;
    for l in chain.layers() {
        let forward = format_shifted(l.forward, shift);
        let backward = format_shifted(l.backward, shift);
        let weight = l
            .backward_weight
            .map(|w| format_shifted(w, shift))
            .unwrap_or_default();
        let bytes = [l.param_bytes, l.activation_bytes, l.output_bytes].map(|b| b.to_string());
        let mut fields = vec![
            l.name.as_str(),
            l.kind.as_str(),
            &forward,
            &backward,
            &bytes[0],
            &bytes[1],
            &bytes[2],
        ];
        if with_weight {
            fields.insert(WEIGHT_AT, &weight);
        }
        if !needs_extra_quotes(&l.name) {
            rows.write_record(&fields)?;
            continue;
        }
        // The crate quotes per writer, not per field: a second writer quotes
        // the name alone and ends it with the delimiter, then the rest of the
        // row follows with the usual quoting.
        let mut out = rows.into_inner().map_err(|e| e.into_error())?;
        let mut name = WriterBuilder::new()
            .quote_style(QuoteStyle::Always)
            .terminator(Terminator::Any(b','))
            .from_writer(&mut out);
        name.write_record(&fields[..1])?;
        name.flush()?;
        drop(name);
        rows = row_writer(out);
        rows.write_record(&fields[1..])?;
    }
    Ok(rows.into_inner().map_err(|e| e.into_error())?)
}

/// The writer of the header and the rows.
fn row_writer(out: Vec<u8>) -> Writer<Vec<u8>> {
    WriterBuilder::new()
        // A row whose name another writer wrote has one field fewer here.
        .flexible(true)
        .from_writer(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipecut_core::{Layer, LayerKind};

    /// Quoting is RFC 4180 plus the names pipecut's reader would otherwise
    /// change; only the name field of such a row is quoted.
    #[test]
    fn quotes_only_the_fields_that_need_it() {
        // (Control characters never reach the writer: checked chains refuse them.)
        let names = [" a", "#x", "a,b", "q\"", "a#b", "é"];
        let layers = names
            .iter()
            .map(|n| Layer::new(*n, 0.001, 0.002).with_kind(LayerKind::Output))
            .collect();
        let chain = Chain::new("c", "s", layers).unwrap();
        let rows: Vec<String> = names
            .iter()
            .map(|n| format!("{n},output,1,2,0,0,0"))
            .collect();
        let quoted = [
            "\" a\",output,1,2,0,0,0",
            "\"#x\",output,1,2,0,0,0",
            "\"a,b\",output,1,2,0,0,0",
            "\"q\"\"\",output,1,2,0,0,0",
            &rows[4],
            &rows[5],
        ];
        let want = format!(
            "# name: \"c\"\n# unit: \"s\"\n{}\n{}\n",
            CSV_COLUMNS.join(","),
            quoted.join("\n")
        );
        assert_eq!(chain_to_csv(&chain), want);
    }
}
