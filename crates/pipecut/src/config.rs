//! Solver settings: [`SolverConfig`] is what users write (command line, JSON,
//! Python); [`SolverConfig::check`] turns it into [`SolverSettings`], the only
//! form the registry accepts. Nothing is clamped silently.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::milp::Backend;

/// Unchecked solver settings, as users give them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SolverConfig {
    /// Wall-clock limit per MILP solve, in seconds (`None`: no limit).
    pub time_limit_seconds: Option<f64>,
    /// MILP backend by name (`microlp`, `highs`; `None`: the best compiled in).
    pub milp_backend: Option<String>,
    /// Threads for solvers that can use several (at least 1).
    pub threads: usize,
}

impl Default for SolverConfig {
    /// A 10-second MILP limit, the best backend compiled in, one thread.
    fn default() -> Self {
        SolverConfig {
            time_limit_seconds: Some(10.0),
            milp_backend: None,
            threads: 1,
        }
    }
}

/// Longest time limit accepted: about 31 years, far beyond any solve and
/// well inside what `Duration` represents.
pub const MAX_TIME_LIMIT_SECONDS: f64 = 1e9;

impl SolverConfig {
    /// Validates every field.
    ///
    /// ```
    /// let mut config = pipecut::SolverConfig::default();
    /// config.threads = 0;
    /// assert!(config.check().is_err());
    /// config.threads = 2;
    /// assert_eq!(config.check()?.threads(), 2);
    /// # Ok::<(), pipecut::Error>(())
    /// ```
    pub fn check(&self) -> Result<SolverSettings, Error> {
        let time_limit = match self.time_limit_seconds {
            None => None,
            Some(s) if s.is_finite() && s > 0.0 && s <= MAX_TIME_LIMIT_SECONDS => {
                Some(Duration::from_secs_f64(s))
            }
            Some(s) => {
                return Err(Error::InvalidSetting {
                    field: "time_limit_seconds",
                    value: crate::core::format::number(s),
                    reason: format!(
                        "must be a positive number of seconds, at most {}",
                        crate::core::format::number(MAX_TIME_LIMIT_SECONDS)
                    ),
                })
            }
        };
        if self.threads == 0 {
            return Err(Error::InvalidSetting {
                field: "threads",
                value: "0".into(),
                reason: "at least one thread is needed".into(),
            });
        }
        let milp_backend = match &self.milp_backend {
            None => None,
            Some(name) => Some(name.parse::<Backend>().map_err(|e| Error::InvalidSetting {
                field: "milp_backend",
                value: name.clone(),
                reason: e.to_string(),
            })?),
        };
        Ok(SolverSettings {
            time_limit,
            milp_backend,
            threads: self.threads,
        })
    }
}

/// Checked solver settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolverSettings {
    time_limit: Option<Duration>,
    milp_backend: Option<Backend>,
    threads: usize,
}

impl SolverSettings {
    /// The MILP time limit.
    pub fn time_limit(&self) -> Option<Duration> {
        self.time_limit
    }

    /// The MILP backend, if one was chosen.
    pub fn milp_backend(&self) -> Option<Backend> {
        self.milp_backend
    }

    /// Threads (at least 1).
    pub fn threads(&self) -> usize {
        self.threads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_each_bad_field_by_name() {
        let bad = |f: fn(&mut SolverConfig)| {
            let mut c = SolverConfig::default();
            f(&mut c);
            match c.check() {
                Err(Error::InvalidSetting { field, .. }) => field,
                other => panic!("expected InvalidSetting, got {other:?}"),
            }
        };
        assert_eq!(
            bad(|c| c.time_limit_seconds = Some(0.0)),
            "time_limit_seconds"
        );
        assert_eq!(
            bad(|c| c.time_limit_seconds = Some(1e20)),
            "time_limit_seconds"
        );
        assert_eq!(
            bad(|c| c.time_limit_seconds = Some(f64::NAN)),
            "time_limit_seconds"
        );
        assert_eq!(bad(|c| c.threads = 0), "threads");
        assert_eq!(
            bad(|c| c.milp_backend = Some("cplex".into())),
            "milp_backend"
        );
        let s = SolverConfig::default().check().unwrap();
        assert_eq!(s.time_limit(), Some(Duration::from_secs(10)));
        let json: SolverConfig = serde_json::from_str(r#"{"threads": 4}"#).unwrap();
        assert_eq!(json.check().unwrap().threads(), 4);
        assert!(serde_json::from_str::<SolverConfig>(r#"{"thread": 4}"#).is_err());
    }
}
