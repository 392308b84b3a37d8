//! Prints solve times (median of 5) and probe counts of `exact` on synthetic
//! chains, including heterogeneous speeds and memory caps, next to one
//! prefix-sum pass over the same data.
//!
//! `cargo run --release -p pipecut-exact --example exact_figures`

use std::time::Instant;

use pipecut_core::synthetic::{generate, Family};
use pipecut_core::{Problem, ProblemSpec};
use pipecut_exact::{optimal_bottleneck, Dp};

fn median_seconds(mut run: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[2]
}

fn prefix_pass(problem: &Problem) -> Vec<f64> {
    let mut acc = 0.0;
    std::iter::once(0.0)
        .chain(problem.chain().layers().iter().map(|l| {
            acc += l.forward + l.backward;
            acc
        }))
        .collect()
}

fn report(label: &str, problem: &Problem) {
    let pass = median_seconds(|| {
        std::hint::black_box(prefix_pass(problem));
    });
    let solution = optimal_bottleneck(problem).expect("solves");
    let exact = median_seconds(|| {
        std::hint::black_box(optimal_bottleneck(problem).expect("solves"));
    });
    println!(
        "{label:<44} exact {:>9.3} ms  pass {:>8.3} ms  ratio {:>5.2}  probes {:>2}  T* {:.6}  LB {:.6}  UB {:.6}",
        exact * 1e3,
        pass * 1e3,
        exact / pass,
        solution.probes,
        solution.value,
        solution.lower_bound,
        solution.upper_bound
    );
}

fn main() {
    for family in Family::ALL {
        for (n, p) in [(1_000_000, 64), (100_000, 1024)] {
            let spec = ProblemSpec::new(generate(family, n, 42), p);
            report(
                &format!("{} N={n} P={p}", family.as_str()),
                &spec.clone().check().expect("valid"),
            );
            let speeds = (0..p).map(|k| 1.0 + (k % 3) as f64 * 0.5).collect();
            report(
                &format!("{} N={n} P={p} speeds 1/1.5/2", family.as_str()),
                &spec.clone().with_speeds(speeds).check().expect("valid"),
            );
            if family == Family::Transformer {
                // 1F1B, M = 2P: a cap 30% above the perfectly balanced need.
                let chain = generate(family, n, 42);
                let params: u64 = chain.layers().iter().map(|l| l.param_bytes).sum();
                let acts: u64 = chain.layers().iter().map(|l| l.activation_bytes).sum();
                let cap = ((params + acts * p as u64) as f64 / p as f64 * 1.3) as u64;
                report(
                    &format!("{} N={n} P={p} M={} cap", family.as_str(), 2 * p),
                    &spec
                        .clone()
                        .with_micro_batches(2 * p)
                        .with_memory_capacity(cap)
                        .check()
                        .expect("valid"),
                );
            }
        }
    }
    let problem = ProblemSpec::new(generate(Family::Lognormal, 2_000, 42), 16)
        .with_micro_batches(16)
        .check()
        .expect("valid");
    for dp in [Dp::bottleneck(), Dp::surrogate()] {
        let s = dp.solution(&problem).expect("solves");
        let t = median_seconds(|| {
            std::hint::black_box(dp.solution(&problem).expect("solves"));
        });
        println!(
            "{:<12} lognormal N=2000 P=16 M=16: {:>9.3} ms  passes {}  value {:.6}",
            format!("{:?}", dp.objective),
            t * 1e3,
            s.passes,
            s.value
        );
    }
}
