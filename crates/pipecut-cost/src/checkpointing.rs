//! Activation checkpointing policies, as torchtitan names them.

use std::fmt;
use std::str::FromStr;

use crate::error::CostError;

/// Which transformer blocks recompute their forward pass during backward.
///
/// Only blocks are checkpointed; the embedding, final norm and output head
/// never are (torchtitan wraps `model.layers` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Checkpointing {
    /// Keep every activation; no recomputation.
    #[default]
    None,
    /// Every block keeps only its input and recomputes its forward.
    Full,
    /// Every `every`-th block is fully checkpointed (torchtitan's layer-wise
    /// `selective_ac_option = "K"`).
    Selective {
        /// The period `K >= 1`; `1` is the same as [`Checkpointing::Full`].
        every: usize,
    },
}

impl Checkpointing {
    /// Whether block `block` (0-based among the blocks) is recomputed.
    ///
    /// Selective follows torchtitan's `_apply_layer_sac`: a counter is bumped
    /// before the test `count % K == 0`, so blocks `K-1, 2K-1, ...` are wrapped
    /// (every 2nd block: `layers.1`, `layers.3`, ...).
    pub fn recomputes(&self, block: usize) -> bool {
        match *self {
            Checkpointing::None => false,
            Checkpointing::Full => true,
            Checkpointing::Selective { every } => every != 0 && (block + 1) % every == 0,
        }
    }

    /// Rejects `selective:0`.
    pub fn validate(&self) -> Result<(), CostError> {
        match self {
            Checkpointing::Selective { every: 0 } => Err(CostError::InvalidCheckpointing {
                value: self.to_string(),
            }),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Checkpointing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Checkpointing::None => f.write_str("none"),
            Checkpointing::Full => f.write_str("full"),
            Checkpointing::Selective { every } => write!(f, "selective:{every}"),
        }
    }
}

impl FromStr for Checkpointing {
    type Err = CostError;
    /// `none`, `full` or `selective:K` (K >= 1).
    fn from_str(s: &str) -> Result<Self, CostError> {
        let bad = || CostError::InvalidCheckpointing {
            value: s.to_string(),
        };
        match s.trim() {
            "none" => Ok(Checkpointing::None),
            "full" => Ok(Checkpointing::Full),
            other => {
                let k = other.strip_prefix("selective:").ok_or_else(bad)?;
                match k.trim().parse::<usize>() {
                    Ok(every) if every >= 1 => Ok(Checkpointing::Selective { every }),
                    _ => Err(bad()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_display_round_trip_and_rejects() {
        for ac in [
            Checkpointing::None,
            Checkpointing::Full,
            Checkpointing::Selective { every: 1 },
            Checkpointing::Selective { every: 7 },
        ] {
            assert_eq!(ac.to_string().parse::<Checkpointing>().unwrap(), ac);
        }
        for bad in [
            "",
            "selective",
            "selective:0",
            "selective:-1",
            "partial",
            "selective:x",
        ] {
            assert!(
                matches!(bad.parse::<Checkpointing>(), Err(CostError::InvalidCheckpointing { value }) if value == bad),
                "{bad}"
            );
        }
    }

    #[test]
    fn selective_every_second_block_matches_torchtitan() {
        let ac = Checkpointing::Selective { every: 2 };
        let picked: Vec<usize> = (0..6).filter(|&b| ac.recomputes(b)).collect();
        assert_eq!(picked, vec![1, 3, 5]);
        assert!((0..6).all(|b| Checkpointing::Full.recomputes(b)));
        assert!((0..6).all(|b| Checkpointing::Selective { every: 1 }.recomputes(b)));
        assert!(!(0..6).any(|b| Checkpointing::None.recomputes(b)));
    }
}
