//! The analytic models against published parameter counts and hand-computed
//! FLOPs, and the option combinations the comparison harness relies on.

use pipecut_core::{CostModel, LayerKind};
use pipecut_cost::{
    build_chain, presets, AnalyticModel, Checkpointing, CostError, LayerCost, ModelOptions,
};

fn model(preset: &str) -> AnalyticModel {
    AnalyticModel::from_options(&ModelOptions {
        hardware: Some("flops".into()),
        ..ModelOptions::preset(preset)
    })
    .unwrap()
}

fn within(got: f64, want: f64, tol: f64) -> bool {
    ((got - want) / want).abs() <= tol
}

#[test]
fn parameter_counts_match_published_totals_within_one_percent() {
    // Llama 3 paper table 3 / model cards: 8.03B, 70.6B, 405.9B;
    // DeepSeek-V3 report: 671B total (without the 14B multi-token-prediction module).
    for (preset, want) in [
        ("llama3-8b", 8.03e9),
        ("llama3-70b", 70.6e9),
        ("llama3-405b", 405.9e9),
        ("deepseek-v3-671b", 671e9),
    ] {
        let got = model(preset).param_count().unwrap() as f64;
        assert!(within(got, want, 0.01), "{preset}: {got} vs {want}");
    }
}

#[test]
fn deepseek_v3_activates_about_37b_parameters_per_token() {
    // DeepSeek-V3 report: 37B activated. Our count includes the input
    // embedding and the head (0.93B each) and comes to 37.55B; "about 37B"
    // is taken as 2%. Dense models activate everything.
    let m = model("deepseek-v3-671b");
    let active = m.active_param_count().unwrap() as f64;
    assert!(within(active, 37e9, 0.02), "{active}");
    let l = model("llama3-8b");
    assert_eq!(l.active_param_count().unwrap(), l.param_count().unwrap());
}

fn layer<'a>(costs: &'a [LayerCost], name: &str) -> &'a LayerCost {
    costs.iter().find(|l| l.name == name).unwrap()
}

#[test]
fn llama3_8b_block_and_head_flops_match_hand_computation() {
    let opts = ModelOptions {
        seq_len: Some(8192),
        micro_batch_size: Some(1),
        hardware: Some("flops".into()),
        ..ModelOptions::preset("llama3-8b")
    };
    let costs = AnalyticModel::from_options(&opts)
        .unwrap()
        .layer_costs()
        .unwrap();

    // One block, T = 8192 tokens, d = 4096, 32 heads, 8 KV heads, hd = 128,
    // ffn = 14336.
    //   wq, wo:  2 * 4096 * 4096            = 33,554,432 weights
    //   wk, wv:  2 * 4096 * (8 * 128)       =  8,388,608
    //   w1,w2,w3: 3 * 4096 * 14336          = 176,160,768
    //   total linear weights                = 218,103,808
    //   linear FLOPs 2 * T * weights = 2 * 8192 * 218,103,808 = 3.5734e12
    //   causal attention 2 * 2 * T * s * h * hd / 2
    //     = 2 * 8192 * 8192 * 32 * 128      = 5.4976e11
    //   block forward                       = 4.1232e12
    let linear = 2.0 * 8192.0 * 218_103_808.0;
    let attention = 2.0 * 8192.0 * 8192.0 * 32.0 * 128.0;
    let block = layer(&costs, "layers.0");
    assert!(
        within(block.forward_flops, linear + attention, 0.01),
        "{} vs {}",
        block.forward_flops,
        linear + attention
    );
    assert_eq!(block.backward_flops, 2.0 * block.forward_flops);

    // Output head: 2 * T * d * V = 2 * 8192 * 4096 * 128256 = 8.6073e12
    // (the cross-entropy adds ~5 * T * V = 5.3e9, 0.06%).
    let head = layer(&costs, "output");
    let want = 2.0 * 8192.0 * 4096.0 * 128_256.0;
    assert!(
        within(head.forward_flops, want, 0.01),
        "{}",
        head.forward_flops
    );

    // Parameters: the block's linear weights plus two norms of 4096.
    assert_eq!(block.params, 218_103_808 + 2 * 4096);
    assert_eq!(head.params, 4096 * 128_256);
    assert_eq!(layer(&costs, "tok_embeddings").forward_flops, 0.0);
}

#[test]
fn deepseek_moe_block_flops_by_hand() {
    // DeepSeek-V3 671B MoE block at T = s = 4096, FLOPs per token of the
    // linear layers (2 per weight):
    //   MLA: wq_a 7168*1536 + wq_b 1536*128*192 + wkv_a 7168*576
    //        + wkv_b 512*128*256 + wo 128*128*7168          = 187,105,280 weights
    //   router 7168*256                                    =   1,835,008
    //   shared + 8 routed experts: 9 * 3 * 7168 * 2048      = 396,361,728
    //   linear FLOPs: 2 * T * 585,302,016 = 2 * 4096 * 585,302,016 = 4.7948e12
    //   causal attention: T * s * h * (192 + 128) = 4096 * 4096 * 128 * 320
    //     = 6.8719e11 (half of 2 * T * s * h * 192 for scores and of
    //     2 * T * s * h * 128 for values)
    let costs = model("deepseek-v3-671b").layer_costs().unwrap();
    let moe = layer(&costs, "layers.3");
    let linear = 2.0 * 4096.0 * 585_302_016.0;
    let attention = 4096.0 * 4096.0 * 128.0 * 320.0;
    assert!(
        within(moe.forward_flops, linear + attention, 0.01),
        "{} vs {}",
        moe.forward_flops,
        linear + attention
    );
    // All 256 routed experts are held, 8 are active.
    let expert = 3 * 7168 * 2048u64;
    assert_eq!(moe.params - moe.active_params, (256 - 8) * expert);
    // Dense blocks 0..3 and MoE from 3 on.
    assert!(layer(&costs, "layers.2").params < moe.params);
}

#[test]
fn chains_follow_torchtitan_names_and_kinds() {
    for p in presets() {
        let chain = build_chain(&ModelOptions::preset(p.name)).unwrap();
        assert_eq!(chain.unit(), "s");
        assert_eq!(chain.name(), p.name);
        assert_eq!(chain.len(), p.n_layers + 3);
        let l = chain.layers();
        assert_eq!(
            (l[0].name.as_str(), l[0].kind),
            ("tok_embeddings", LayerKind::Input)
        );
        for (i, block) in l[1..=p.n_layers].iter().enumerate() {
            assert_eq!(block.name, format!("layers.{i}"));
            assert_eq!(block.kind, LayerKind::Block);
        }
        let tail: Vec<_> = l[p.n_layers + 1..]
            .iter()
            .map(|l| (l.name.as_str(), l.kind))
            .collect();
        assert_eq!(
            tail,
            [("norm", LayerKind::Output), ("output", LayerKind::Output)]
        );
    }
}

#[test]
fn preset_dimensions_are_the_published_ones() {
    let by_name = |n: &str| presets().into_iter().find(|p| p.name == n).unwrap();
    let debug = by_name("llama3-debug");
    assert_eq!(
        (debug.dim, debug.n_layers, debug.n_heads, debug.vocab_size),
        (256, 6, 16, 2048)
    );
    for (n, ffn) in [
        ("llama3-8b", 14336),
        ("llama3-70b", 28672),
        ("llama3-405b", 53248),
    ] {
        assert_eq!(by_name(n).ffn_hidden_dim, ffn, "{n}");
    }
    let ds = by_name("deepseek-v3-671b");
    assert_eq!(
        (ds.dim, ds.n_layers, ds.experts, ds.top_k, ds.vocab_size),
        (7168, 61, 256, 8, 129280)
    );
}

#[test]
fn seed_suite_variants_build() {
    // batch 32 x seq 2048, micro-batch 1, selective AC every 2nd block.
    let base = |preset: &str, dim, layers, moe| ModelOptions {
        preset: preset.into(),
        seq_len: Some(2048),
        micro_batch_size: Some(1),
        dim: Some(dim),
        layers: Some(layers),
        moe,
        activation_checkpointing: Some(Checkpointing::Selective { every: 2 }),
        ..ModelOptions::default()
    };
    let mut names = std::collections::HashSet::new();
    for dim in [256, 2048, 4096] {
        for layers in [6, 12] {
            let chain = build_chain(&base("llama3-debug", dim, layers, None)).unwrap();
            assert_eq!(chain.len(), layers + 3);
            assert!(names.insert(chain.name().to_string()));
        }
    }
    for dim in [256, 2048, 4096, 8192] {
        for layers in [6, 12, 16] {
            let opts = base("deepseek-v3-debug", dim, layers, Some(false));
            let model = AnalyticModel::from_options(&opts).unwrap();
            let costs = model.layer_costs().unwrap();
            // Without MoE every block is the same dense block, except for
            // recomputation of every 2nd one.
            assert_eq!(costs[1].params, costs[layers].params);
            assert_eq!(costs[1].active_params, costs[1].params);
            assert!(costs[2].recomputed && !costs[1].recomputed);
            let chain = model.chain().unwrap();
            assert!(names.insert(chain.name().to_string()));
        }
    }
    // Larger dims cost more per block.
    let block = |dim| {
        build_chain(&base("llama3-debug", dim, 6, None))
            .unwrap()
            .layers()[1]
            .forward
    };
    assert!(block(4096) > block(2048) && block(2048) > block(256));
}

#[test]
fn invalid_options_name_the_field() {
    let err = |opts: ModelOptions| AnalyticModel::from_options(&opts).unwrap_err();
    assert!(matches!(
        err(ModelOptions::preset("gpt-5")),
        CostError::UnknownPreset { name, .. } if name == "gpt-5"
    ));
    for (opts, field) in [
        (
            ModelOptions {
                seq_len: Some(0),
                ..ModelOptions::default()
            },
            "seq_len",
        ),
        (
            ModelOptions {
                micro_batch_size: Some(0),
                ..ModelOptions::default()
            },
            "micro_batch_size",
        ),
        (
            ModelOptions {
                layers: Some(0),
                ..ModelOptions::default()
            },
            "layers",
        ),
        (
            ModelOptions {
                dim: Some(250),
                ..ModelOptions::default()
            },
            "dim",
        ),
        (
            ModelOptions {
                vocab: Some(0),
                ..ModelOptions::default()
            },
            "vocab",
        ),
        (
            ModelOptions {
                moe: Some(true),
                ..ModelOptions::default()
            },
            "moe",
        ),
        (
            ModelOptions {
                bytes_per_param: Some(0),
                ..ModelOptions::default()
            },
            "bytes_per_param",
        ),
        (
            ModelOptions {
                seq_len: Some(usize::MAX),
                ..ModelOptions::default()
            },
            "seq_len",
        ),
    ] {
        match err(opts) {
            CostError::InvalidOption { field: got, .. } => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(matches!(
        err(ModelOptions {
            hardware: Some("tpu-v5".into()),
            ..ModelOptions::default()
        }),
        CostError::UnknownHardware { .. }
    ));
    assert!(matches!(
        err(ModelOptions {
            activation_checkpointing: Some(Checkpointing::Selective { every: 0 }),
            ..ModelOptions::default()
        }),
        CostError::InvalidCheckpointing { .. }
    ));
    // The biggest allowed sizes still fit 64-bit byte counts or say which one does not.
    let huge = AnalyticModel::from_options(&ModelOptions {
        seq_len: Some(1 << 24),
        micro_batch_size: Some(1 << 16),
        vocab: Some(1 << 24),
        ..ModelOptions::default()
    })
    .unwrap();
    assert!(matches!(
        huge.chain(),
        Err(CostError::Overflow { layer, field: "activation_bytes" }) if layer == "output"
    ));
}

#[test]
fn flops_mode_and_hardware_modes() {
    let flops = build_chain(&ModelOptions {
        hardware: Some("flops".into()),
        ..ModelOptions::preset("llama3-8b")
    })
    .unwrap();
    assert_eq!(flops.unit(), "flop");
    let h100 = build_chain(&ModelOptions::preset("llama3-8b")).unwrap();
    let a100 = build_chain(&ModelOptions {
        hardware: Some("a100-80gb".into()),
        ..ModelOptions::preset("llama3-8b")
    })
    .unwrap();
    for ((f, h), a) in flops.layers().iter().zip(h100.layers()).zip(a100.layers()) {
        assert!(a.forward >= h.forward, "{}", f.name);
        // Large blocks are compute-bound: time = flops / (0.6 * 989e12) + 40us.
        if f.kind == LayerKind::Block {
            let want = f.forward / (0.6 * 989e12) + 40e-6;
            assert!(within(h.forward, want, 1e-12), "{} {}", h.forward, want);
        }
    }
    // The embedding has no FLOPs: it is memory-bound. It reads T rows of d
    // and writes T x d in bf16 (2 * 2 * 8192 * 4096 bytes) and reads and
    // stashes the int64 ids (2 * 8 * 8192).
    let traffic = 2.0 * (2.0 * 8192.0 * 4096.0) + 16.0 * 8192.0;
    let emb = &h100.layers()[0];
    assert!(
        within(emb.forward, traffic / 3.35e12 + 40e-6, 1e-12),
        "{}",
        emb.forward
    );
    // Tiny models: the launch overhead dominates, blocks and head cost about the same.
    let debug = build_chain(&ModelOptions::default()).unwrap();
    let costs: Vec<f64> = debug.costs();
    let (lo, hi) = costs
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), &c| (lo.min(c), hi.max(c)));
    assert!(hi < 1.6 * lo, "{costs:?}");
}

fn llama3_8b(ac: Checkpointing, hardware: Option<&str>) -> AnalyticModel {
    AnalyticModel::from_options(&ModelOptions {
        seq_len: Some(8192),
        micro_batch_size: Some(1),
        hardware: hardware.map(str::to_string),
        activation_checkpointing: Some(ac),
        ..ModelOptions::preset("llama3-8b")
    })
    .unwrap()
}

#[test]
fn llama3_8b_backward_weight_follows_the_layer_rules() {
    // Hand numbers of `llama3_8b_block_and_head_flops_match_hand_computation`.
    let linear = 2.0 * 8192.0 * 218_103_808.0;
    let (t, d, v) = (8192.0, 4096.0, 128_256.0);
    for ac in [Checkpointing::None, Checkpointing::Full] {
        let costs = llama3_8b(ac, Some("flops")).layer_costs().unwrap();
        let blocks: Vec<_> = costs
            .iter()
            .filter(|c| c.kind == LayerKind::Block)
            .collect();
        assert_eq!(blocks.len(), 32);
        for block in blocks {
            // Linear weight gradients plus the two RMSNorms' (2 FLOPs per
            // element); recomputing the forward adds input-gradient work only.
            assert_eq!(block.backward_weight_flops, linear + 2.0 * 2.0 * t * d);
            // Without recomputation: the linears' share of the forward
            // (86.7%) halved; with it, two thirds of that.
            let ratio = block.backward_weight_flops / block.backward_flops;
            let want = if ac == Checkpointing::Full {
                (0.28, 0.30)
            } else {
                (0.42, 0.44)
            };
            assert!(want.0 < ratio && ratio < want.1, "{ac}: {ratio}");
            // Traffic is split in the FLOP share.
            assert!(within(
                block.backward_weight_traffic / block.backward_traffic,
                ratio,
                1e-12
            ));
        }

        // The head's weight gradient is its matmul's `dW`, which costs the
        // same as the matmul's input gradient `dY W`; the loss adds input
        // gradient only.
        let head = layer(&costs, "output");
        assert_eq!(head.backward_weight_flops, 2.0 * t * d * v);
        assert!(head.backward_weight_flops < head.backward_flops - head.backward_weight_flops);
        let emb = layer(&costs, "tok_embeddings");
        assert_eq!(emb.backward_weight_traffic, emb.backward_traffic);
        assert_eq!(emb.backward_weight_share(), 1.0);
        assert_eq!(layer(&costs, "norm").backward_weight_share(), 0.25);
    }
}

#[test]
fn chains_state_the_backward_split_on_every_layer() {
    for ac in [Checkpointing::None, Checkpointing::Full] {
        for hardware in [None, Some("flops"), Some("a100-80gb,overhead=0")] {
            let model = llama3_8b(ac, hardware);
            let chain = model.chain().unwrap();
            assert!(!chain.assumes_backward_split());
            let costs = model.layer_costs().unwrap();
            for (l, c) in chain.layers().iter().zip(&costs) {
                let weight = l.backward_weight.unwrap();
                assert!(weight <= l.backward, "{}", l.name);
                // The chain keeps the modelled share of the backward time.
                assert_eq!(weight, c.backward_weight_share() * l.backward, "{}", l.name);
            }
            let by_name = |n: &str| chain.layers().iter().find(|l| l.name == n).unwrap();
            let emb = by_name("tok_embeddings");
            assert_eq!(emb.backward_weight, Some(emb.backward), "{hardware:?}");
            let head = by_name("output");
            assert!(head.backward_weight() < head.backward_input());
            if hardware == Some("flops") {
                // In FLOPs the head's weight part is its matmul's input-gradient part.
                assert!(within(
                    head.backward_weight(),
                    2.0 * 8192.0 * 4096.0 * 128_256.0,
                    1e-12
                ));
            }
        }
    }
}

#[test]
fn deepseek_moe_experts_and_router_are_linears() {
    // The MoE block of `deepseek_moe_block_flops_by_hand`: all 585,302,016
    // linear weights (router and experts included) and four RMSNorms
    // (7168, q_lora 1536, kv_lora 512, 7168).
    let costs = model("deepseek-v3-671b").layer_costs().unwrap();
    let moe = layer(&costs, "layers.3");
    let t = 4096.0;
    let want = 2.0 * t * 585_302_016.0 + 2.0 * t * (2.0 * 7168.0 + 1536.0 + 512.0);
    assert!(
        within(moe.backward_weight_flops, want, 1e-12),
        "{}",
        moe.backward_weight_flops
    );
    // Linears are 87% of the forward; attention, gates and combine the rest.
    let ratio = moe.backward_weight_share();
    assert!(0.40 < ratio && ratio < 0.45, "{ratio}");
}
