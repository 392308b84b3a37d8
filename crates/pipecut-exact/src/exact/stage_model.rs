//! What the probe needs to know about each stage: its speed factor, its
//! in-flight micro-batches (from the schedule's rules) and the memory cap.

use pipecut_core::Problem;

/// Per-stage parameters of the probe.
#[derive(Debug, Clone)]
pub(crate) struct StageModel {
    pub speed: Vec<f64>,
    pub in_flight: Vec<usize>,
    pub capacity: Option<u64>,
}

impl StageModel {
    pub fn new(problem: &Problem) -> Self {
        let p = problem.stages();
        let speed = match problem.speeds() {
            Some(s) => s.to_vec(),
            None => vec![1.0; p],
        };
        let capacity = problem.memory_capacity();
        // In-flight counts only matter under a cap; the schedule's rules
        // give them (in closed form where the schedule has one).
        let in_flight = match capacity {
            None => vec![0; p],
            Some(_) => problem.peak_in_flight(),
        };
        StageModel {
            speed,
            in_flight,
            capacity,
        }
    }

    pub fn stages(&self) -> usize {
        self.speed.len()
    }

    /// `(capacity, largest in-flight count)` under a cap.
    pub fn memory(&self) -> Option<(u64, u64)> {
        self.capacity.map(|c| (c, self.max_in_flight()))
    }

    /// The largest in-flight count of any stage.
    pub fn max_in_flight(&self) -> u64 {
        self.in_flight.iter().copied().max().unwrap_or(0) as u64
    }

    /// The largest speed factor (the slowest stage).
    pub fn max_speed(&self) -> f64 {
        self.speed.iter().copied().fold(0.0, f64::max)
    }
}
