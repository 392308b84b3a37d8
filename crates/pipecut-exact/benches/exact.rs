//! Speed targets of the exact solvers:
//! - `exact`, N = 10^6, P = 64: within 3x of one prefix-sum pass over the same data;
//! - `exact`, N = 10^5, P = 1,024: under 20 ms;
//! - `dp`, N = 2,000, P = 16: under 1 s;
//! - `exact` on interleaved schedules (least busiest-device load), N = 128,
//!   16 devices, 2 stages per device: under 1 s;
//! - `exact-steptime`, 1F1B, N = 64, P = 8, M = 32: proven optimal in under
//!   1 s; on N = 24, P = 4, M = 8 (to set next to `milp-steptime`'s bench).
//!
//! Run short: `cargo bench -p pipecut-exact --bench exact -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use pipecut_core::synthetic::{generate, Family};
use pipecut_core::Partitioner;
use pipecut_core::{Problem, ProblemSpec, Schedule};
use pipecut_exact::{optimal_bottleneck, Dp, ExactStepTime};

fn problem(family: Family, layers: usize, stages: usize) -> Problem {
    problem_m(family, layers, stages, 1)
}

fn problem_m(family: Family, layers: usize, stages: usize, micro_batches: usize) -> Problem {
    ProblemSpec::new(generate(family, layers, 42), stages)
        .with_micro_batches(micro_batches)
        .check()
        .expect("valid synthetic problem")
}

/// The baseline: one running sum of `forward + backward` over the chain's layers.
fn prefix_pass(problem: &Problem) -> Vec<f64> {
    let layers = problem.chain().layers();
    let mut work = Vec::with_capacity(layers.len() + 1);
    let mut acc = 0.0;
    work.push(acc);
    for l in layers {
        acc += l.forward + l.backward;
        work.push(acc);
    }
    work
}

fn large(c: &mut Criterion) {
    for family in [Family::Uniform, Family::Lognormal] {
        let p = problem(family, 1_000_000, 64);
        let mut g = c.benchmark_group(format!("n1e6_p64_{}", family.as_str()));
        g.sample_size(20);
        g.bench_function("prefix_pass", |b| {
            b.iter(|| black_box(prefix_pass(black_box(&p))))
        });
        g.bench_function("exact", |b| {
            b.iter(|| black_box(optimal_bottleneck(black_box(&p)).expect("solves")))
        });
        g.finish();
    }
}

fn many_stages(c: &mut Criterion) {
    for family in [Family::Uniform, Family::Lognormal] {
        let p = problem(family, 100_000, 1024);
        let mut g = c.benchmark_group(format!("n1e5_p1024_{}", family.as_str()));
        g.bench_function("prefix_pass", |b| {
            b.iter(|| black_box(prefix_pass(black_box(&p))))
        });
        g.bench_function("exact", |b| {
            b.iter(|| black_box(optimal_bottleneck(black_box(&p)).expect("solves")))
        });
        g.finish();
    }
    // M = P: 2 P M = 2^21 operations, above the default
    // `max_tie_break_operations`, so no tie-break simulation.
    let p = problem_m(Family::Lognormal, 100_000, 1024, 1024);
    let mut g = c.benchmark_group("n1e5_p1024_m1024_lognormal");
    g.sample_size(10);
    g.bench_function("exact", |b| {
        b.iter(|| black_box(optimal_bottleneck(black_box(&p)).expect("solves")))
    });
    g.finish();
}

fn dp(c: &mut Criterion) {
    let p = problem(Family::Lognormal, 2_000, 16);
    let mut g = c.benchmark_group("n2000_p16_lognormal");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("dp", |b| {
        b.iter(|| black_box(Dp::bottleneck().solution(black_box(&p)).expect("solves")))
    });
    g.bench_function("exact", |b| {
        b.iter(|| black_box(optimal_bottleneck(black_box(&p)).expect("solves")))
    });
    g.finish();
}

fn device_load(c: &mut Criterion) {
    for family in Family::ALL {
        let p = ProblemSpec::new(generate(family, 128, 42), 32)
            .with_micro_batches(32)
            .with_schedule(Schedule::Interleaved { virtual_stages: 2 })
            .check()
            .expect("valid synthetic problem");
        let mut g = c.benchmark_group(format!("device_load_n128_d16_v2_{}", family.as_str()));
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(3));
        g.bench_function("exact", |b| {
            b.iter(|| black_box(optimal_bottleneck(black_box(&p)).expect("solves")))
        });
        g.finish();
    }
}

fn steptime(c: &mut Criterion) {
    for (n, p, m) in [(64, 8, 32), (24, 4, 8)] {
        for family in Family::ALL {
            let problem = problem_m(family, n, p, m);
            let mut g = c.benchmark_group(format!("steptime_n{n}_p{p}_m{m}_{}", family.as_str()));
            g.sample_size(10);
            g.measurement_time(Duration::from_secs(3));
            g.bench_function("exact-steptime", |b| {
                b.iter(|| {
                    let s = ExactStepTime::default().solve(black_box(&problem));
                    black_box(s.expect("solves"))
                })
            });
            g.finish();
        }
    }
}

criterion_group!(benches, large, many_stages, dp, device_load, steptime);
criterion_main!(benches);
