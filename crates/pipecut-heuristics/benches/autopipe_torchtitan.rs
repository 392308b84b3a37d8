//! `autopipe-torchtitan` next to `autopipe` at N = 32, 256 and 1,000 layers
//! on a llama-like chain with integer costs (a light embedding, blocks of
//! 100 to 112 units, a tiny norm, a head of 400; backward `2F + (i mod 3)`):
//! 1F1B on 8 ranks with M = 16, and InterleavedZeroBubble on 4 ranks x 2
//! stages with M = 8 and 3 units of transfer per boundary. The same inputs
//! are easy to rebuild in Python to time the original.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use pipecut_core::{Chain, Layer, Problem, ProblemSpec, Schedule};
use pipecut_heuristics::autopipe_torchtitan::{autopipe_torchtitan_search, layer_inputs};

mod autopipe_search_bench;
use autopipe_search_bench::bench_autopipe_search;

/// Forward cost of layer `i` of `n`.
fn forward(i: usize, n: usize) -> f64 {
    match i {
        0 => 5.0,
        _ if i == n - 1 => 400.0,
        _ if i == n - 2 => 1.0,
        _ => (100 + (7 * i) % 13) as f64,
    }
}

fn chain(n: usize) -> Chain {
    let layers = (0..n)
        .map(|i| {
            let f = forward(i, n);
            Layer::new(format!("l{i}"), f, 2.0 * f + (i % 3) as f64).with_bytes(0, 0, 3)
        })
        .collect();
    Chain::new(format!("llama-like-{n}"), "units", layers).expect("valid chain")
}

fn problems(n: usize) -> [(&'static str, Problem); 2] {
    let one = ProblemSpec::new(chain(n), 8)
        .with_micro_batches(16)
        .check()
        .expect("valid");
    let zb = ProblemSpec::new(chain(n), 8)
        .with_micro_batches(8)
        .with_schedule(Schedule::InterleavedZeroBubble { virtual_stages: 2 })
        .with_link(0.0, 1.0)
        .check()
        .expect("valid");
    [("1f1b-P8-M16", one), ("zb-4x2-M8-comm3", zb)]
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("autopipe_torchtitan");
    for n in [32usize, 256, 1000] {
        for (label, problem) in problems(n) {
            let inputs = layer_inputs(&problem).expect("a supported schedule");
            group.bench_with_input(
                BenchmarkId::new(format!("torchtitan/{label}"), n),
                &inputs,
                |b, inputs| b.iter(|| autopipe_torchtitan_search(black_box(inputs)).expect("runs")),
            );
            bench_autopipe_search(
                &mut group,
                BenchmarkId::new(format!("autopipe/{label}"), n),
                &problem,
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
