//! How long building and serializing preset chains takes (the CLI does this
//! once per invocation; the harness once per suite entry).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use pipecut_cost::{build_chain, chain_from_csv, chain_to_csv, Checkpointing, ModelOptions};

fn bench(c: &mut Criterion) {
    for preset in ["llama3-405b", "deepseek-v3-671b"] {
        let opts = ModelOptions {
            preset: preset.into(),
            activation_checkpointing: Some(Checkpointing::Selective { every: 2 }),
            ..ModelOptions::default()
        };
        c.bench_function(&format!("build_chain/{preset}"), |b| {
            b.iter(|| build_chain(black_box(&opts)).unwrap())
        });
        let chain = build_chain(&opts).unwrap();
        c.bench_function(&format!("csv_round_trip/{preset}"), |b| {
            b.iter(|| chain_from_csv(black_box(&chain_to_csv(black_box(&chain)))).unwrap())
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
