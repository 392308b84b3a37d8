//! Speed targets (HiGHS): `milp` N = 64 P = 8 (< 1 s) and N = 128 P = 16
//! (< 2 s), `milp-steptime` N = 24 P = 4 M = 8 (< 1 s), all proven optimal.
//! The `milp` group runs the defaults (warm start, probe fixing); the
//! `milp-plain` group the bare models (no built-in warm start, no fixing, no
//! bound cut) to show what the strengthening buys.
use criterion::{criterion_group, criterion_main, Criterion};
use pipecut_core::{synthetic, Partitioner, Problem, ProblemSpec, Schedule, Status};
use pipecut_milp::{Backend, MilpBottleneck, MilpOptions, MilpStepTime};

fn lognormal(n: usize, p: usize, m: usize, schedule: Schedule) -> Problem {
    ProblemSpec::new(synthetic::generate(synthetic::Family::Lognormal, n, 1), p)
        .with_micro_batches(m)
        .with_schedule(schedule)
        .check()
        .unwrap()
}

/// Transformer-like chain with a link (cut costs) and a memory cap that binds.
fn transformer(n: usize, p: usize, m: usize) -> Problem {
    let chain = synthetic::generate(synthetic::Family::Transformer, n, 1);
    let bytes: u64 = chain
        .layers()
        .iter()
        .map(|l| l.param_bytes + l.activation_bytes * p as u64)
        .sum();
    ProblemSpec::new(chain, p)
        .with_micro_batches(m)
        .with_link(0.005, 1e9)
        .with_memory_capacity(bytes / p as u64 * 3 / 2)
        .check()
        .unwrap()
}

fn plain(mut o: MilpOptions) -> MilpOptions {
    o.default_starts = false;
    o.probe_fixing = false;
    o.bound_cut = false;
    o
}

fn run(c: &mut Criterion, group: &str, plain_models: bool) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    let bottleneck = [
        ("lognormal_n64_p8", lognormal(64, 8, 16, Schedule::OneFOneB)),
        (
            "lognormal_n128_p16",
            lognormal(128, 16, 32, Schedule::OneFOneB),
        ),
        ("transformer_mem_link_n128_p16", transformer(128, 16, 32)),
    ];
    for (name, problem) in &bottleneck {
        let mut solver = MilpBottleneck::new().with_backend(Backend::Highs);
        if plain_models {
            *solver.options_mut() = plain(solver.options().clone());
        }
        let plan = solver.solve(problem).unwrap();
        assert_eq!(plan.status, Status::Optimal, "{name}: {:?}", plan.notes);
        g.bench_function(format!("bottleneck_{name}"), |b| {
            b.iter(|| solver.solve(problem).unwrap())
        });
    }
    let steptime = [
        ("1f1b_n24_p4_m8", lognormal(24, 4, 8, Schedule::OneFOneB)),
        ("gpipe_n24_p4_m8", lognormal(24, 4, 8, Schedule::GPipe)),
        ("1f1b_transformer_mem_link_n24_p4_m8", transformer(24, 4, 8)),
    ];
    for (name, problem) in &steptime {
        let mut solver = MilpStepTime::new().with_backend(Backend::Highs);
        if plain_models {
            *solver.options_mut() = plain(solver.options().clone());
        }
        let plan = solver.solve(problem).unwrap();
        assert_eq!(plan.status, Status::Optimal, "{name}: {:?}", plan.notes);
        g.bench_function(format!("steptime_{name}"), |b| {
            b.iter(|| solver.solve(problem).unwrap())
        });
    }
    g.finish();
}

fn defaults(c: &mut Criterion) {
    run(c, "milp", false);
}

fn bare(c: &mut Criterion) {
    run(c, "milp-plain", true);
}

criterion_group!(benches, defaults, bare);
criterion_main!(benches);
