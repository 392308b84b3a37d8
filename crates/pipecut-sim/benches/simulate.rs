//! Simulation speed at 65,536 operations (P = 64 stages, M = 512
//! micro-batches): the full result, the step-time fast path, with a timeline,
//! and building the simulator. Target: 1F1B well under 10 ms.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use pipecut_core::synthetic::{generate, Family};
use pipecut_core::{Partition, Prefix, ProblemSpec, Schedule};
use pipecut_sim::{Scratch, Simulator, StageTimes};

const P: usize = 64;
const M: usize = 512;

/// Uneven stage times with link delays, deterministic.
fn times() -> StageTimes {
    let forward: Vec<f64> = (0..P)
        .map(|k| 1.0 + ((k * 37) % 11) as f64 * 0.05)
        .collect();
    let backward = forward.iter().map(|f| 2.0 * f).collect();
    StageTimes::new(forward, backward, vec![0.02; P])
}

fn schedules() -> [(&'static str, Schedule); 3] {
    [
        ("1f1b", Schedule::OneFOneB),
        ("gpipe", Schedule::GPipe),
        (
            "interleaved-v2",
            Schedule::Interleaved { virtual_stages: 2 },
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let t = times();
    let mut group = c.benchmark_group("simulate_p64_m512");
    for (name, schedule) in schedules() {
        let sim = Simulator::for_schedule(schedule, P, M);
        assert_eq!(sim.operations(), 2 * P * M);
        group.bench_function(BenchmarkId::new("run", name), |b| {
            b.iter(|| sim.run_times(black_box(&t), false).unwrap().step_time)
        });
        let mut scratch = Scratch::default();
        group.bench_function(BenchmarkId::new("step_time", name), |b| {
            b.iter(|| sim.run_times_with(&mut scratch, black_box(&t)).unwrap())
        });
        group.bench_function(BenchmarkId::new("run_timeline", name), |b| {
            b.iter(|| sim.run_times(black_box(&t), true).unwrap().step_time)
        });
        group.bench_function(BenchmarkId::new("build", name), |b| {
            b.iter(|| Simulator::for_schedule(black_box(schedule), P, M).operations())
        });
    }
    group.finish();

    // Every multi-stage schedule with D = 32 devices, 2 stages per device,
    // M = 512 (target: under 2 ms per simulation).
    let mut group = c.benchmark_group("simulate_d32_v2_m512");
    let p2 = 64;
    let t2 = {
        let forward: Vec<f64> = (0..p2)
            .map(|k| 1.0 + ((k * 37) % 11) as f64 * 0.05)
            .collect();
        let backward = forward.iter().map(|f| 2.0 * f).collect();
        StageTimes::new(forward, backward, vec![0.02; p2])
    };
    for schedule in Schedule::all(2)
        .into_iter()
        .filter(|s| s.virtual_stages() == 2)
    {
        let sim = Simulator::for_schedule(schedule, p2, M);
        let mut scratch = Scratch::default();
        group.bench_function(BenchmarkId::new("step_time", schedule.to_string()), |b| {
            b.iter(|| sim.run_times_with(&mut scratch, black_box(&t2)).unwrap())
        });
        group.bench_function(BenchmarkId::new("run", schedule.to_string()), |b| {
            b.iter(|| sim.run_times(black_box(&t2), false).unwrap().step_time)
        });
    }
    group.finish();

    // The search hot path: a partition of a 256-layer chain, from prefix sums.
    let chain = generate(Family::Transformer, 256, 1);
    let problem = ProblemSpec::new(chain, P)
        .with_micro_batches(M)
        .with_link(1e-5, 1e11)
        .check()
        .unwrap();
    let prefix = Prefix::new(&problem);
    let part = Partition::for_problem((0..P).map(|k| k * 4).collect(), &problem).unwrap();
    let sim = Simulator::new(&problem);
    let mut scratch = Scratch::default();
    c.bench_function("step_time_partition_1f1b_p64_m512", |b| {
        b.iter(|| {
            sim.step_time_with(&mut scratch, &problem, &prefix, black_box(&part))
                .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
