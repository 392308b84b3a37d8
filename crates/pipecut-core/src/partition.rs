//! Partitions: where each stage starts.

use std::ops::Range;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::problem::Problem;

/// A split of `N` layers into `P` contiguous non-empty stages, given by the
/// start index of every stage: `starts = [0, s1, ..., s_{P-1}]`, strictly
/// increasing. Stage `k` holds layers `starts[k] .. starts[k+1]` (the last one
/// runs to `N`). This is the format the reference AutoPipe returns.
///
/// ```
/// use pipecut_core::Partition;
/// let p = Partition::new(vec![0, 4, 8, 11], 14).unwrap();
/// assert_eq!(p.range(3), 11..14);
/// assert_eq!(p.sizes(), vec![4, 4, 3, 3]);
/// assert!(Partition::new(vec![0, 4, 4], 14).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Partition {
    starts: Vec<usize>,
    #[serde(skip)]
    layers: usize,
}

impl Partition {
    /// Validates `starts` against a chain of `layers` layers.
    pub fn new(starts: Vec<usize>, layers: usize) -> Result<Self> {
        match starts.first() {
            None => {
                return Err(Error::PartitionLength {
                    expected: 1,
                    got: 0,
                })
            }
            Some(&first) if first != 0 => return Err(Error::PartitionFirst { value: first }),
            _ => {}
        }
        for index in 1..starts.len() {
            let (previous, value) = (starts[index - 1], starts[index]);
            if value >= layers {
                return Err(Error::PartitionOutOfRange {
                    index,
                    value,
                    layers,
                });
            }
            if value <= previous {
                return Err(Error::PartitionNotIncreasing {
                    index,
                    previous,
                    value,
                });
            }
        }
        if layers == 0 {
            return Err(Error::PartitionOutOfRange {
                index: 0,
                value: 0,
                layers,
            });
        }
        Ok(Partition { starts, layers })
    }

    /// Validates `starts` against a problem: also checks the stage count.
    pub fn for_problem(starts: Vec<usize>, problem: &Problem) -> Result<Self> {
        if starts.len() != problem.stages() {
            return Err(Error::PartitionLength {
                expected: problem.stages(),
                got: starts.len(),
            });
        }
        Partition::new(starts, problem.layers())
    }

    /// Builds a partition from stage sizes (every size >= 1).
    pub fn from_sizes(sizes: &[usize]) -> Result<Self> {
        let layers = sizes.iter().sum();
        let mut starts = Vec::with_capacity(sizes.len());
        let mut at = 0;
        for &s in sizes {
            starts.push(at);
            at += s;
        }
        Partition::new(starts, layers)
    }

    /// The stage starts.
    pub fn starts(&self) -> &[usize] {
        &self.starts
    }

    /// Number of stages.
    pub fn stages(&self) -> usize {
        self.starts.len()
    }

    /// Number of layers covered.
    pub fn layers(&self) -> usize {
        self.layers
    }

    /// Layers of stage `k`.
    pub fn range(&self, k: usize) -> Range<usize> {
        let end = self.starts.get(k + 1).copied().unwrap_or(self.layers);
        self.starts[k]..end
    }

    /// Layer ranges of every stage, in order.
    pub fn ranges(&self) -> impl ExactSizeIterator<Item = Range<usize>> + '_ {
        (0..self.stages()).map(move |k| self.range(k))
    }

    /// Number of layers per stage.
    pub fn sizes(&self) -> Vec<usize> {
        self.ranges().map(|r| r.len()).collect()
    }

    /// Consumes the partition, returning its starts.
    pub fn into_starts(self) -> Vec<usize> {
        self.starts
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s: Vec<String> = self.starts.iter().map(|s| s.to_string()).collect();
        write!(f, "[{}]", s.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Chain, Layer, ProblemSpec};

    #[test]
    fn rejects_each_malformed_partition() {
        assert!(matches!(
            Partition::new(vec![], 3),
            Err(Error::PartitionLength { .. })
        ));
        assert!(matches!(
            Partition::new(vec![1, 2], 3),
            Err(Error::PartitionFirst { value: 1 })
        ));
        assert!(matches!(
            Partition::new(vec![0, 2, 2], 3),
            Err(Error::PartitionNotIncreasing {
                index: 2,
                previous: 2,
                value: 2
            })
        ));
        assert!(matches!(
            Partition::new(vec![0, 2, 1], 3),
            Err(Error::PartitionNotIncreasing { index: 2, .. })
        ));
        assert!(matches!(
            Partition::new(vec![0, 3], 3),
            Err(Error::PartitionOutOfRange {
                index: 1,
                value: 3,
                layers: 3
            })
        ));
        let chain = Chain::new(
            "c",
            "s",
            (0..4)
                .map(|i| Layer::new(format!("l{i}"), 1.0, 1.0))
                .collect(),
        )
        .unwrap();
        let problem = ProblemSpec::new(chain, 2).check().unwrap();
        assert!(matches!(
            Partition::for_problem(vec![0, 1, 2], &problem),
            Err(Error::PartitionLength {
                expected: 2,
                got: 3
            })
        ));
        assert_eq!(
            Partition::for_problem(vec![0, 1], &problem)
                .unwrap()
                .sizes(),
            vec![1, 3]
        );
    }
}
