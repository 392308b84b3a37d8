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
//! - The header row is required and names the seven columns of
//!   [`CSV_COLUMNS`] (any order), optionally [`CSV_BACKWARD_WEIGHT_COLUMN`],
//!   and no others. `kind` and the byte columns may be empty (`block`, `0`).
//! - `backward_weight_ms` is the weight-gradient part of `backward_ms`
//!   (`Layer::backward_weight`): at most `backward_ms`; an empty cell, or no
//!   such column, leaves it unstated (pipecut then assumes one half).
//!   [`chain_to_csv`] writes the column, after `backward_ms`, only when some
//!   layer states it.
//! - Lines that start with `#` (after optional spaces or tabs) are comments,
//!   except `# name: <json string>` and `# unit: <json string>` before the
//!   header, which set the chain's name (default: the file stem for
//!   [`load_chain`], `profile` for [`chain_from_csv`]) and unit (default
//!   `s`). A comment line is read whole: quotes and commas in it are not CSV
//!   syntax.
//! - Times: `forward_ms`, `backward_ms` and `backward_weight_ms` are
//!   milliseconds whenever the chain unit is a time (`s`, `ms`, `us`, `ns`);
//!   so a profile measured in milliseconds becomes a chain in seconds, the
//!   unit of the hardware model. For other units (`flop`, `units`, ...) the
//!   time columns hold the cost in that unit unchanged.
//! - Exactness: the conversion between milliseconds and the chain unit moves
//!   the decimal point of the written text (it never multiplies binary
//!   floats), and [`chain_to_csv`] writes the shortest text that reads back to
//!   the same `f64`; so chain -> CSV -> chain is bit-for-bit identical.
//! - Rows are RFC 4180, read and written by the `csv` crate: fields with a
//!   comma, a quote or a line break are double-quoted (`""` for a quote), and
//!   so are names with surrounding spaces or a leading `#`. Unquoted fields
//!   are trimmed; quoted ones are kept as written. A quote opens a field
//!   only as its first character (spaces before it are an error) and must
//!   be closed; only spaces may follow the closing quote.
//!
//! Files: `decimal.rs` (the text shift between milliseconds and the chain
//! unit), `csv_read.rs`, `csv_write.rs`.

mod csv_read;
mod csv_write;
mod decimal;

use std::path::{Path, PathBuf};

use pipecut_core::{Chain, CostModel};

use crate::error::CostError;

pub use csv_read::chain_from_csv;
pub use csv_write::chain_to_csv;

/// The CSV columns every profile has, in the order [`chain_to_csv`] writes
/// them.
pub const CSV_COLUMNS: [&str; 7] = [
    "name",
    "kind",
    "forward_ms",
    "backward_ms",
    "param_bytes",
    "activation_bytes",
    "output_bytes",
];

/// The optional column of each layer's weight-gradient part of the backward
/// (milliseconds, like `backward_ms`).
pub const CSV_BACKWARD_WEIGHT_COLUMN: &str = "backward_weight_ms";

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
        csv_read::chain_from_csv_named(&text, stem)
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
