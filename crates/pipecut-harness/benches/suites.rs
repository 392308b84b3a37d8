//! Suite throughput without MILP: the `seed` suite whole, and slices of
//! `presets` and `random` (the full suites are timed by the `run_suite`
//! example: one run of each is longer than a benchmark sample should be).

use criterion::{criterion_group, criterion_main, Criterion};
use pipecut_core::Partitioner;
use pipecut_harness::{Grid, MicroBatches, RandomOptions, Runner, Suite};

fn algorithms() -> Vec<Box<dyn Partitioner>> {
    let mut a = pipecut_heuristics::all();
    a.push(Box::new(pipecut_exact::Exact::default()));
    a.push(Box::new(pipecut_exact::Dp::bottleneck()));
    a.push(Box::new(pipecut_exact::Dp::surrogate()));
    a
}

fn suites(c: &mut Criterion) {
    let algos = algorithms();
    let runner = Runner::new(&algos);
    let run = |suite: &Suite| runner.run_suite(suite).expect("the worker threads start");
    let seed = Suite::seed().expect("seed suite builds");
    let presets = Suite::presets(&Grid {
        devices: vec![4],
        micro_batches: MicroBatches::PerDevice(vec![8]),
        ..Grid::default()
    })
    .expect("presets build");
    let random = Suite::random(&RandomOptions {
        seeds: 1,
        ..RandomOptions::default()
    });
    let mut g = c.benchmark_group("suite");
    g.sample_size(10);
    g.bench_function("seed", |b| b.iter(|| run(&seed)));
    g.bench_function("presets_P4_M32", |b| b.iter(|| run(&presets)));
    g.bench_function("random_1_seed", |b| b.iter(|| run(&random)));
    g.finish();
}

criterion_group!(benches, suites);
criterion_main!(benches);
