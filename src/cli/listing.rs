//! `pipecut algorithms` and `pipecut models`.

use pipecut::registry;

use super::{emit, CliError};

/// `pipecut algorithms`.
pub fn algorithms() -> Result<(), CliError> {
    use std::fmt::Write;
    let all = registry::ALGORITHMS;
    let width = all.iter().map(|a| a.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for a in all {
        let default = if a.name == registry::DEFAULT_ALGORITHM {
            " [default]"
        } else {
            ""
        };
        let _ = writeln!(out, "{:<width$}  {}{default}", a.name, a.description);
    }
    emit(None, &out)
}

/// `pipecut models`.
pub fn models() -> Result<(), CliError> {
    use std::fmt::Write;
    let mut out = String::from("Preset models (use with --model):\n");
    let _ = writeln!(
        out,
        "  {:<18} {:<12} {:>6} {:>6} {:>5} {:>4} {:>7} {:>6} {:>9} {:>6} {:>4}",
        "name", "family", "dim", "layers", "heads", "kv", "vocab", "ffn", "experts", "seq", "mbs"
    );
    for p in pipecut::cost::presets() {
        let experts = if p.experts == 0 {
            "-".to_string()
        } else {
            format!("{}/top{}", p.experts, p.top_k)
        };
        let _ = writeln!(
            out,
            "  {:<18} {:<12} {:>6} {:>6} {:>5} {:>4} {:>7} {:>6} {:>9} {:>6} {:>4}",
            p.name,
            p.family,
            p.dim,
            p.n_layers,
            p.n_heads,
            p.n_kv_heads,
            p.vocab_size,
            p.ffn_hidden_dim,
            experts,
            p.seq_len,
            p.micro_batch_size
        );
    }
    for p in pipecut::cost::presets() {
        let _ = writeln!(out, "  {}: {}", p.name, p.description);
    }
    out.push_str("\nHardware (use with --hardware; `flops` keeps FLOPs as the unit):\n");
    let _ = writeln!(
        out,
        "  {:<12} {:>14} {:>12} {:>6} {:>10}",
        "name", "peak TFLOP/s", "HBM GB/s", "eff", "overhead"
    );
    for h in pipecut::cost::hardware_presets() {
        let _ = writeln!(
            out,
            "  {:<12} {:>14.1} {:>12.0} {:>6.2} {:>8.1} us  {}",
            h.name,
            h.peak_flops / 1e12,
            h.bandwidth / 1e9,
            h.efficiency,
            h.launch_overhead * 1e6,
            h.description
        );
    }
    emit(None, &out)
}
