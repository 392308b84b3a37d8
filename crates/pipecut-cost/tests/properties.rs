//! Property tests: monotonicity of the analytic model, and exact JSON/CSV
//! round trips of arbitrary chains.

use pipecut_core::{Chain, CostModel, Layer, LayerKind};
use pipecut_cost::{
    chain_from_csv, chain_to_csv, AnalyticModel, Checkpointing, LayerCost, ModelOptions,
};
use proptest::prelude::*;

const PRESETS: [&str; 6] = [
    "llama3-debug",
    "llama3-8b",
    "llama3-70b",
    "llama3-405b",
    "deepseek-v3-debug",
    "deepseek-v3-671b",
];

fn costs(opts: &ModelOptions) -> Vec<LayerCost> {
    AnalyticModel::from_options(opts)
        .unwrap()
        .layer_costs()
        .unwrap()
}

fn options(preset: usize, seq: usize, mbs: usize, layers: usize) -> ModelOptions {
    ModelOptions {
        seq_len: Some(seq),
        micro_batch_size: Some(mbs),
        layers: Some(layers),
        hardware: Some("flops".into()),
        ..ModelOptions::preset(PRESETS[preset])
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// More tokens (longer sequences or bigger micro-batches): more FLOPs and
    /// more activation bytes in every layer, strictly more FLOPs in blocks and
    /// the head; parameters unchanged; time non-decreasing on a GPU.
    #[test]
    fn more_tokens_more_flops(
        preset in 0..PRESETS.len(),
        seq in 1usize..8192,
        extra_seq in 0usize..4096,
        mbs in 1usize..4,
        extra_mbs in 0usize..3,
        layers in 1usize..8,
    ) {
        prop_assume!(extra_seq + extra_mbs > 0);
        let small = options(preset, seq, mbs, layers);
        let big = options(preset, seq + extra_seq, mbs + extra_mbs, layers);
        for (a, b) in costs(&small).iter().zip(&costs(&big)) {
            prop_assert!(b.forward_flops >= a.forward_flops, "{}", a.name);
            prop_assert!(b.backward_flops >= a.backward_flops, "{}", a.name);
            prop_assert!(b.activation_bytes >= a.activation_bytes, "{}", a.name);
            prop_assert_eq!(a.params, b.params);
            if a.kind != LayerKind::Input {
                prop_assert!(b.forward_flops > a.forward_flops, "{}", a.name);
            }
        }
        let gpu = |o: ModelOptions| AnalyticModel::from_options(&ModelOptions { hardware: None, ..o })
            .unwrap().chain().unwrap();
        for (a, b) in gpu(small).layers().iter().zip(gpu(big).layers()) {
            prop_assert!(b.forward >= a.forward && b.backward >= a.backward, "{}", a.name);
        }
    }

    /// Full recomputation raises every block's backward by one forward and
    /// lowers its activation bytes to the block input; other layers keep
    /// their costs. Selective sits in between, block by block.
    #[test]
    fn recomputation_trades_backward_for_memory(
        preset in 0..PRESETS.len(),
        seq in 1usize..8192,
        layers in 1usize..10,
        every in 1usize..5,
        gpu in any::<bool>(),
    ) {
        let with = |ac| ModelOptions {
            activation_checkpointing: Some(ac),
            hardware: if gpu { None } else { Some("flops".into()) },
            ..options(preset, seq, 1, layers)
        };
        let none = costs(&with(Checkpointing::None));
        let full = costs(&with(Checkpointing::Full));
        let sel = costs(&with(Checkpointing::Selective { every }));
        for ((n, f), s) in none.iter().zip(&full).zip(&sel) {
            if n.kind == LayerKind::Block {
                let block: usize = n.name["layers.".len()..].parse().unwrap();
                prop_assert!(f.backward_flops > n.backward_flops);
                prop_assert_eq!(f.backward_flops, 3.0 * n.forward_flops);
                // The recomputed forward is input-gradient work.
                prop_assert_eq!(f.backward_weight_flops, n.backward_weight_flops);
                prop_assert!(f.activation_bytes < n.activation_bytes);
                prop_assert!(f.backward_traffic > n.backward_traffic);
                let picked = (block + 1) % every == 0;
                prop_assert_eq!(s.recomputed, picked);
                prop_assert_eq!(s, if picked { f } else { n });
            } else {
                prop_assert_eq!(n, f);
                prop_assert_eq!(n, s);
            }
            prop_assert_eq!(n.forward_flops, f.forward_flops);
            prop_assert_eq!(n.param_bytes, f.param_bytes);
        }
        let chain = |ac| AnalyticModel::from_options(&with(ac)).unwrap().chain().unwrap();
        for (n, f) in chain(Checkpointing::None).layers().iter().zip(chain(Checkpointing::Full).layers()) {
            prop_assert!(f.backward >= n.backward);
            prop_assert_eq!(n.forward, f.forward);
        }
    }

    /// Every layer of every analytic chain states its weight-gradient part,
    /// and it lies in `0..=backward`, whatever the preset, sizes,
    /// recomputation and hardware; so do its FLOPs and traffic.
    #[test]
    fn backward_weight_within_backward(
        preset in 0..PRESETS.len(),
        seq in 1usize..8192,
        mbs in 1usize..4,
        layers in 1usize..8,
        ac in prop_oneof![
            Just(Checkpointing::None),
            Just(Checkpointing::Full),
            (1usize..4).prop_map(|every| Checkpointing::Selective { every }),
        ],
        hardware in prop_oneof![
            Just("flops"),
            Just("h100-sxm"),
            Just("rtx-3090"),
            Just("a100-80gb,overhead=0"),
            Just("custom,peak=1e9,bandwidth=1e15,efficiency=1,overhead=0"),
        ],
    ) {
        let opts = ModelOptions {
            hardware: Some(hardware.into()),
            activation_checkpointing: Some(ac),
            ..options(preset, seq, mbs, layers)
        };
        let model = AnalyticModel::from_options(&opts).unwrap();
        for c in model.layer_costs().unwrap() {
            prop_assert!(0.0 <= c.backward_weight_flops && c.backward_weight_flops <= c.backward_flops, "{}", c.name);
            prop_assert!(0.0 <= c.backward_weight_traffic && c.backward_weight_traffic <= c.backward_traffic, "{}", c.name);
            // Weight gradients are never most of a backward, except the embedding's.
            if c.kind != LayerKind::Input {
                prop_assert!(c.backward_weight_share() <= 0.5, "{}", c.name);
            }
        }
        let chain = model.chain().unwrap();
        prop_assert!(!chain.assumes_backward_split());
        for l in chain.layers() {
            let weight = l.backward_weight.unwrap();
            prop_assert!(0.0 <= weight && weight <= l.backward, "{}: {} > {}", l.name, weight, l.backward);
        }
    }

    /// More blocks or a wider model: more parameters; wider: more FLOPs per block.
    #[test]
    fn bigger_models_cost_more(
        preset in 0..PRESETS.len(),
        layers in 1usize..12,
        extra in 1usize..6,
        dim_step in 1usize..8,
    ) {
        let opts = options(preset, 512, 1, layers);
        let more = options(preset, 512, 1, layers + extra);
        let params = |o: &ModelOptions| costs(o).iter().map(|l| l.params).sum::<u64>();
        prop_assert!(params(&more) > params(&opts));
        // Multiples of 128 keep the Llama head split exact for every preset's heads.
        let dim = |d| ModelOptions { dim: Some(d), ..options(preset, 512, 1, layers) };
        let (a, b) = (costs(&dim(128 * dim_step)), costs(&dim(128 * (dim_step + 1))));
        prop_assert!(b[1].forward_flops > a[1].forward_flops);
        prop_assert!(b[1].params > a[1].params);
    }
}

fn name_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,8}(\\.[0-9]{1,3})?",
        // Commas, quotes, spaces, comment marks, line breaks, non-ASCII.
        "[ -~\\n\\r\u{e9}\u{4e2d}]{1,12}",
    ]
}

fn cost_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![
        0.0..10.0f64,
        (0u64..1 << 20).prop_map(|i| i as f64 * 1e-6),
        any::<f64>()
            .prop_map(f64::abs)
            .prop_filter("finite", |v| v.is_finite()),
        Just(0.0),
        Just(f64::MIN_POSITIVE / 4.0),
    ]
}

fn layer_strategy() -> impl Strategy<Value = Layer> {
    (
        name_strategy(),
        prop_oneof![
            Just(LayerKind::Input),
            Just(LayerKind::Block),
            Just(LayerKind::Output)
        ],
        cost_strategy(),
        cost_strategy(),
        // The weight-gradient part, as a fraction of the backward.
        proptest::option::of(prop_oneof![0.0..=1.0f64, Just(0.0), Just(1.0)]),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(|(name, kind, f, b, share, p, a, o)| {
            let layer = Layer::new(name, f, b).with_kind(kind).with_bytes(p, a, o);
            match share {
                Some(share) => layer.with_backward_weight(share * b),
                None => layer,
            }
        })
}

fn chain_strategy() -> impl Strategy<Value = Chain> {
    (
        name_strategy(),
        prop_oneof![
            Just("s".to_string()),
            Just("ms".to_string()),
            Just("us".to_string()),
            Just("ns".to_string()),
            Just("flop".to_string()),
            name_strategy(),
        ],
        proptest::collection::vec(layer_strategy(), 1..12),
    )
        .prop_filter_map("unique layer names", |(name, unit, layers)| {
            Chain::new(name, unit, layers).ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn csv_round_trip_is_exact(chain in chain_strategy()) {
        let text = chain_to_csv(&chain);
        let back = chain_from_csv(&text).unwrap();
        prop_assert_eq!(&back, &chain);
        for (a, b) in back.layers().iter().zip(chain.layers()) {
            prop_assert_eq!(a.forward.to_bits(), b.forward.to_bits());
            prop_assert_eq!(a.backward.to_bits(), b.backward.to_bits());
            prop_assert_eq!(a.backward_weight.map(f64::to_bits), b.backward_weight.map(f64::to_bits));
        }
        // The optional column appears exactly when some layer states the split.
        let header = text.lines().find(|l| l.starts_with("name,")).unwrap();
        prop_assert_eq!(header.contains("backward_weight_ms"), chain.layers().iter().any(|l| l.backward_weight.is_some()));
    }

    #[test]
    fn json_round_trip_is_exact(chain in chain_strategy()) {
        let back = Chain::from_json(&chain.to_json()).unwrap();
        prop_assert_eq!(&back, &chain);
        for (a, b) in back.layers().iter().zip(chain.layers()) {
            prop_assert_eq!(a.forward.to_bits(), b.forward.to_bits());
        }
    }
}

#[test]
fn preset_chains_round_trip_through_json_and_csv() {
    for preset in PRESETS {
        for hardware in [None, Some("flops".to_string())] {
            let chain = AnalyticModel::from_options(&ModelOptions {
                hardware,
                activation_checkpointing: Some(Checkpointing::Selective { every: 2 }),
                ..ModelOptions::preset(preset)
            })
            .unwrap()
            .chain()
            .unwrap();
            assert_eq!(chain_from_csv(&chain_to_csv(&chain)).unwrap(), chain);
            assert_eq!(Chain::from_json(&chain.to_json()).unwrap(), chain);
        }
    }
}
