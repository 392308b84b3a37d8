//! What a problem's results are measured against: the default split (for
//! gains), the best step time and the optimal bottleneck (for gaps), and
//! the gains and gaps themselves.

use pipecut_core::{Objective, Problem, Status};

use crate::results::{AlgorithmResult, ProblemResult, RunState, EPS};

/// The framework default that gains are measured against.
pub const DEFAULT_REFERENCE: &str = pipecut_heuristics::Torchtitan::NAME;
/// The reference used when [`DEFAULT_REFERENCE`] fails or is absent
/// (torchtitan rejects, e.g., more stages than its layer units).
pub const FALLBACK_REFERENCE: &str = pipecut_heuristics::Uniform::NAME;

/// The gain reference: its name, why it is not the default (if it is not)
/// and its step time.
struct Reference {
    name: Option<String>,
    note: Option<String>,
    step_time: Option<f64>,
}

/// The best figures any memory-fitting plan reached, and whether a proof
/// backs them.
struct Optima {
    best_step_time: Option<f64>,
    step_time_proven: bool,
    optimal_bottleneck: Option<f64>,
    bottleneck_proven: bool,
}

/// The problem's results with references, gains and gaps filled in.
pub(super) fn measure(
    id: &str,
    model: &str,
    problem: &Problem,
    mut results: Vec<AlgorithmResult>,
) -> ProblemResult {
    let reference = reference(&results);
    let optima = optima(&results);
    for r in results.iter_mut().filter(|r| r.state == RunState::Solved) {
        let (Some(step), Some(bn)) = (r.step_time, r.bottleneck) else {
            continue;
        };
        // gain = default / step - 1, with the same rounding-noise snap.
        r.gain = reference.step_time.map(|d| relative_gap(d, step));
        r.step_gap = optima.best_step_time.map(|b| relative_gap(step, b));
        r.bottleneck_gap = optima.optimal_bottleneck.map(|b| relative_gap(bn, b));
    }
    ProblemResult {
        id: id.to_string(),
        model: model.to_string(),
        layers: problem.layers(),
        stages: problem.stages(),
        devices: problem.devices(),
        micro_batches: problem.micro_batches(),
        schedule: problem.schedule(),
        unit: problem.chain().unit().to_string(),
        reference: reference.name,
        reference_note: reference.note,
        reference_step_time: reference.step_time,
        best_step_time: optima.best_step_time,
        step_time_proven: optima.step_time_proven,
        optimal_bottleneck: optima.optimal_bottleneck,
        bottleneck_proven: optima.bottleneck_proven,
        results,
    }
}

/// The default if it solved, else the fallback if it solved, else none.
fn reference(results: &[AlgorithmResult]) -> Reference {
    let solved = |name: &str| {
        results
            .iter()
            .find(|r| r.algorithm == name && r.state == RunState::Solved)
    };
    if let Some(r) = solved(DEFAULT_REFERENCE) {
        return Reference {
            name: Some(DEFAULT_REFERENCE.to_string()),
            note: None,
            step_time: r.step_time,
        };
    }
    let why = match results.iter().find(|r| r.algorithm == DEFAULT_REFERENCE) {
        Some(r) => format!(
            "{DEFAULT_REFERENCE} {}: {}",
            r.state,
            r.message.as_deref().unwrap_or("")
        ),
        None => format!("{DEFAULT_REFERENCE} was not run"),
    };
    match solved(FALLBACK_REFERENCE) {
        Some(r) => Reference {
            name: Some(FALLBACK_REFERENCE.to_string()),
            note: Some(format!("{why}; gains are over {FALLBACK_REFERENCE}")),
            step_time: r.step_time,
        },
        None => Reference {
            name: None,
            note: Some(format!("{why}; {FALLBACK_REFERENCE} unavailable: no gains")),
            step_time: None,
        },
    }
}

/// Best step time and optimal bottleneck over the memory-fitting plans.
fn optima(results: &[AlgorithmResult]) -> Optima {
    let feasible: Vec<&AlgorithmResult> = results.iter().filter(|r| r.is_feasible()).collect();
    let best_step_time = feasible
        .iter()
        .filter_map(|r| r.step_time)
        .min_by(f64::total_cmp);
    let step_time_proven = best_step_time.is_some_and(|best| {
        feasible.iter().any(|r| {
            r.objective == Some(Objective::StepTime)
                && r.status == Some(Status::Optimal)
                && r.step_time.is_some_and(|t| relative_gap(t, best) <= EPS)
        })
    });
    let proven_bottleneck = feasible
        .iter()
        .filter(|r| r.objective == Some(Objective::Bottleneck) && r.status == Some(Status::Optimal))
        .filter_map(|r| r.bottleneck)
        .min_by(f64::total_cmp);
    let (optimal_bottleneck, bottleneck_proven) = match proven_bottleneck {
        Some(b) => (Some(b), true),
        None => (
            feasible
                .iter()
                .filter_map(|r| r.bottleneck)
                .min_by(f64::total_cmp),
            false,
        ),
    };
    Optima {
        best_step_time,
        step_time_proven,
        optimal_bottleneck,
        bottleneck_proven,
    }
}

/// `value / best - 1`, infinite when only `best` is zero.
fn relative_gap(value: f64, best: f64) -> f64 {
    let gap = if best > 0.0 {
        value / best - 1.0
    } else if value > best {
        f64::INFINITY
    } else {
        0.0
    };
    // Identical partitions give bit-identical times; this only removes
    // rounding noise from different summation orders.
    if gap.abs() < 1e-12 {
        0.0
    } else {
        gap
    }
}
