//! Prints every preset's dimensions, parameter counts and its default chain's
//! per-layer costs on the default hardware.
//!
//! `cargo run -p pipecut-cost --example list_presets`

use pipecut_cost::{build_chain, presets, CostError, ModelOptions};

fn main() -> Result<(), CostError> {
    for p in presets() {
        println!(
            "{:<18} {:<12} d={} L={} h={} kv={} V={} ffn={} E={} k={} seq={} mbs={} params={:.3}B active={:.3}B",
            p.name,
            p.family,
            p.dim,
            p.n_layers,
            p.n_heads,
            p.n_kv_heads,
            p.vocab_size,
            p.ffn_hidden_dim,
            p.experts,
            p.top_k,
            p.seq_len,
            p.micro_batch_size,
            p.params as f64 / 1e9,
            p.active_params as f64 / 1e9
        );
        let chain = build_chain(&ModelOptions::preset(p.name))?;
        for l in chain
            .layers()
            .iter()
            .take(3)
            .chain(chain.layers().iter().rev().take(2))
        {
            println!(
                "    {:<16} {:<6} fwd {:>10.4} ms  bwd {:>10.4} ms  params {:>14} B  act {:>13} B  out {:>11} B",
                l.name,
                l.kind.as_str(),
                l.forward * 1e3,
                l.backward * 1e3,
                l.param_bytes,
                l.activation_bytes,
                l.output_bytes
            );
        }
    }
    Ok(())
}
