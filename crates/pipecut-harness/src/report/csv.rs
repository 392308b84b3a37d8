//! The CSV report: one row per problem and algorithm, full-precision
//! numbers (it is read by programs, not people).

use super::opt;
use crate::results::Report;

impl Report {
    /// CSV, one row per problem and algorithm, with a header row.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "suite,problem,model,layers,stages,devices,micro_batches,schedule,algorithm,state,\
             status,objective,starts,bottleneck,step_time,reference,reference_step_time,gain,\
             step_gap,bottleneck_gap,best_step_time,step_time_proven,optimal_bottleneck,\
             bottleneck_proven,peak_memory_bytes,fits_memory,solve_seconds,message\n",
        );
        for p in &self.problems {
            for r in &p.results {
                let starts: Vec<String> = r.starts.iter().map(usize::to_string).collect();
                let fields = [
                    self.suite.clone(),
                    p.id.clone(),
                    p.model.clone(),
                    p.layers.to_string(),
                    p.stages.to_string(),
                    p.devices.to_string(),
                    p.micro_batches.to_string(),
                    p.schedule.to_string(),
                    r.algorithm.clone(),
                    r.state.to_string(),
                    opt(r.status),
                    r.objective.map_or(String::new(), |o| {
                        serde_json::to_value(o)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    }),
                    starts.join(" "),
                    opt(r.bottleneck),
                    opt(r.step_time),
                    opt(p.reference.clone()),
                    opt(p.reference_step_time),
                    opt(r.gain),
                    opt(r.step_gap),
                    opt(r.bottleneck_gap),
                    opt(p.best_step_time),
                    p.step_time_proven.to_string(),
                    opt(p.optimal_bottleneck),
                    p.bottleneck_proven.to_string(),
                    opt(r.peak_memory_bytes),
                    opt(r.fits_memory),
                    r.solve_seconds.to_string(),
                    r.message.clone().unwrap_or_default(),
                ];
                let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                out.push_str(&row.join(","));
                out.push('\n');
            }
        }
        out
    }
}

/// A CSV field, quoted when it holds a separator, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
