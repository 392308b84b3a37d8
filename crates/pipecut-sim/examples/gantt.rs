//! Prints the SVG Gantt chart of a small pipeline with a heavy output head:
//! `cargo run -p pipecut-sim --example gantt -- [gpipe|1f1b|interleaved] > chart.svg`.

use pipecut_core::Schedule;
use pipecut_sim::{gantt_svg, GanttOptions, Simulator, StageTimes};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "1f1b".into());
    let (schedule, stages) = match which.as_str() {
        "gpipe" => (Schedule::GPipe, 4),
        "interleaved" => (Schedule::Interleaved { virtual_stages: 2 }, 8),
        _ => (Schedule::OneFOneB, 4),
    };
    let micro_batches = 8;
    // Equal blocks, the last stage carrying a large output head.
    let mut forward = vec![1.0; stages];
    forward[stages - 1] = 1.6;
    let backward: Vec<f64> = forward.iter().map(|f| 2.0 * f).collect();
    let times = StageTimes::new(forward, backward, vec![0.1; stages]);
    let result =
        Simulator::try_for_schedule(schedule, stages, micro_batches)?.run_times(&times, true)?;
    let opts =
        GanttOptions::new(format!("{schedule}: {stages} stages, heavy last stage")).with_unit("ms");
    print!("{}", gantt_svg(&result, &opts)?);
    Ok(())
}
