//! The report writers: Markdown ([`problem_markdown`],
//! `Report::summary_markdown`, `Report::to_markdown`), CSV
//! (`Report::to_csv`), JSON (`Report::to_json`) and the files of every
//! [`Format`] (`Report::write`, which also writes the charts).

mod csv;
mod markdown;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{HarnessError, Result};
use crate::results::Report;

pub use markdown::{problem_markdown, schedules_markdown};

/// An output format of [`Report::write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `report.md`.
    Markdown,
    /// `results.csv`: one row per problem and algorithm.
    Csv,
    /// `report.json`: the whole [`Report`].
    Json,
    /// `gain_by_model.svg`, `gap_distribution.svg`, `solve_time_vs_layers.svg`.
    Svg,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Format::Markdown, Format::Csv, Format::Json, Format::Svg];
}

impl std::str::FromStr for Format {
    type Err = HarnessError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "markdown" | "md" => Ok(Format::Markdown),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "svg" | "charts" => Ok(Format::Svg),
            _ => Err(HarnessError::UnknownFormat { name: s.into() }),
        }
    }
}

impl Report {
    /// Pretty JSON of the whole report (non-finite numbers become `null`).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// Writes the requested formats into `dir` (created if missing) and
    /// returns the paths written.
    pub fn write(&self, dir: &Path, formats: &[Format]) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|source| HarnessError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files: Vec<(String, String)> = Vec::new();
        for f in formats {
            match f {
                Format::Markdown => files.push(("report.md".into(), self.to_markdown())),
                Format::Csv => files.push(("results.csv".into(), self.to_csv())),
                Format::Json => files.push(("report.json".into(), self.to_json())),
                Format::Svg => {
                    files.extend(self.charts().into_iter().map(|(n, s)| (n.to_string(), s)))
                }
            }
        }
        let mut written = Vec::with_capacity(files.len());
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|source| HarnessError::Io {
                path: path.clone(),
                source,
            })?;
            written.push(path);
        }
        Ok(written)
    }
}

/// An optional value as text, empty when absent.
fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}
