//! Both AutoPipes at N = 100, P = 8 and N = 1,000, P = 16 (targets: under
//! 1 ms and under 50 ms), on the plain problem and with a link and unequal
//! speeds (the general DP path); `autopipe` at N = 1,000 on 16 devices x 2
//! stages under the zero-bubble and V-shaped schedules (under 50 ms).

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use pipecut_core::synthetic::{generate, Family};
use pipecut_core::{Chain, Layer, ProblemSpec, Schedule};
use pipecut_heuristics::autopipe_reference_search;

mod autopipe_search_bench;
use autopipe_search_bench::bench_autopipe_search;

/// A transformer-like synthetic chain with integer-valued costs (hundredths
/// of a block, rounded), as the reference expects.
fn integer_chain(n: usize, seed: u64) -> Chain {
    let c = generate(Family::Transformer, n, seed);
    let layers = c
        .layers()
        .iter()
        .map(|l| Layer {
            forward: (l.forward * 100.0).round(),
            backward: (l.backward * 100.0).round(),
            ..l.clone()
        })
        .collect();
    Chain::new(c.name(), "units", layers).expect("rounded costs stay valid")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("autopipe");
    for (n, p) in [(100usize, 8usize), (1000, 16)] {
        let chain = integer_chain(n, 7);
        let (f, b) = (chain.forwards(), chain.backwards());
        group.bench_with_input(
            BenchmarkId::new("reference", format!("N{n}-P{p}")),
            &(f, b),
            |bench, (f, b)| bench.iter(|| autopipe_reference_search(black_box(f), black_box(b), p)),
        );
        let problem = ProblemSpec::new(chain.clone(), p)
            .with_micro_batches(2 * p)
            .check()
            .expect("valid problem");
        bench_autopipe_search(
            &mut group,
            BenchmarkId::new("simulated", format!("N{n}-P{p}")),
            &problem,
        );
        // The general DP path: a link and unequal speeds.
        let general = ProblemSpec::new(chain, p)
            .with_micro_batches(2 * p)
            .with_link(10.0, 1e6)
            .with_speeds((0..p).map(|k| 1.0 + (k % 3) as f64 * 0.25).collect())
            .check()
            .expect("valid problem");
        bench_autopipe_search(
            &mut group,
            BenchmarkId::new("simulated-link-speeds", format!("N{n}-P{p}")),
            &general,
        );
    }
    // Several stages per device: N = 1,000 on 16 devices x 2 stages under
    // the looped and V-shaped schedules (target: under 50 ms).
    let chain = integer_chain(1000, 7);
    for schedule in [
        Schedule::InterleavedZeroBubble { virtual_stages: 2 },
        Schedule::ZbvZeroBubble,
        Schedule::DualPipeV,
    ] {
        let problem = ProblemSpec::new(chain.clone(), 32)
            .with_micro_batches(64)
            .with_schedule(schedule)
            .check()
            .expect("valid problem");
        bench_autopipe_search(
            &mut group,
            BenchmarkId::new("simulated-16x2", schedule.to_string()),
            &problem,
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
