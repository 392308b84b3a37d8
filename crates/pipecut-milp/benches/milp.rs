//! Speed targets (HiGHS): `milp` N = 64 P = 8 and N = 128 P = 16, and
//! `milp-steptime` N = 24 P = 4 M = 8, all proven optimal.
use criterion::{criterion_group, criterion_main, Criterion};
use pipecut_core::{synthetic, Partitioner, ProblemSpec, Schedule, Status};
use pipecut_milp::{Backend, MilpBottleneck, MilpStepTime};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("milp");
    g.sample_size(10);
    for (n, p) in [(64, 8), (128, 16)] {
        let problem = ProblemSpec::new(synthetic::generate(synthetic::Family::Lognormal, n, 1), p)
            .with_micro_batches(2 * p)
            .check()
            .unwrap();
        let solver = MilpBottleneck::new().with_backend(Backend::Highs);
        let plan = solver.solve(&problem).unwrap();
        assert_eq!(plan.status, Status::Optimal, "{:?}", plan.notes);
        g.bench_function(format!("bottleneck_n{n}_p{p}"), |b| {
            b.iter(|| solver.solve(&problem).unwrap())
        });
    }
    for schedule in [Schedule::OneFOneB, Schedule::GPipe] {
        let problem = ProblemSpec::new(synthetic::generate(synthetic::Family::Lognormal, 24, 1), 4)
            .with_micro_batches(8)
            .with_schedule(schedule)
            .check()
            .unwrap();
        let solver = MilpStepTime::new().with_backend(Backend::Highs);
        let plan = solver.solve(&problem).unwrap();
        assert_eq!(plan.status, Status::Optimal, "{:?}", plan.notes);
        g.bench_function(format!("steptime_{schedule}_n24_p4_m8"), |b| {
            b.iter(|| solver.solve(&problem).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
