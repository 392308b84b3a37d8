//! Schedule names as Python users write them: PyTorch's
//! `get_schedule_class` names (`1F1B`, `GPipe`, `Interleaved1F1B`,
//! `LoopedBFS`, `InterleavedZeroBubble`, `ZBVZeroBubble`, `DualPipeV`, with
//! or without the `Schedule` class prefix) and pipecut's own (`1f1b`,
//! `interleaved-1f1b`, ...), case-insensitive, `-`, `_` and spaces ignored.

use pipecut::core::Schedule;

use crate::error::{Error, Result};

/// How a schedule places stages on devices, which decides the stages per
/// device it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One stage per device (GPipe, 1F1B).
    Single,
    /// Any number of stages per device, looped placement.
    Looped,
    /// Exactly two stages per device, V placement.
    V,
}

/// A schedule by name, before its stages per device are known.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleName {
    canonical: &'static str,
    layout: Layout,
    build: fn(usize) -> Schedule,
}

/// One row of [`NAMES`]: canonical pipecut name, PyTorch name (empty for
/// Megatron's order, which PyTorch lacks), layout, builder.
type Row = (&'static str, &'static str, Layout, fn(usize) -> Schedule);

/// Every schedule.
const NAMES: &[Row] = &[
    ("1f1b", "1F1B", Layout::Single, |_| Schedule::OneFOneB),
    ("gpipe", "GPipe", Layout::Single, |_| Schedule::GPipe),
    ("interleaved", "", Layout::Looped, |v| {
        Schedule::Interleaved { virtual_stages: v }
    }),
    ("interleaved-1f1b", "Interleaved1F1B", Layout::Looped, |v| {
        Schedule::Interleaved1F1B { virtual_stages: v }
    }),
    (
        "interleaved-zero-bubble",
        "InterleavedZeroBubble",
        Layout::Looped,
        |v| Schedule::InterleavedZeroBubble { virtual_stages: v },
    ),
    ("looped-bfs", "LoopedBFS", Layout::Looped, |v| {
        Schedule::LoopedBfs { virtual_stages: v }
    }),
    ("zbv-zero-bubble", "ZBVZeroBubble", Layout::V, |_| {
        Schedule::ZbvZeroBubble
    }),
    ("dualpipev", "DualPipeV", Layout::V, |_| Schedule::DualPipeV),
];

/// Lower case without `-`, `_`, spaces and a leading `schedule`.
fn normalise(name: &str) -> String {
    let flat: String = name
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    match flat.strip_prefix("schedule") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => flat,
    }
}

impl ScheduleName {
    /// Parses `name`; an unknown one is an error naming `field`.
    ///
    /// ```
    /// use pipecut_native::schedule_name::ScheduleName;
    /// let s = ScheduleName::parse("ScheduleInterleaved1F1B", "schedule")?;
    /// assert_eq!(s.canonical(), "interleaved-1f1b");
    /// assert_eq!(s.schedule("schedule", 2)?.virtual_stages(), 2);
    /// assert!(ScheduleName::parse("PipeDream", "schedule").is_err());
    /// # Ok::<(), pipecut_native::Error>(())
    /// ```
    pub fn parse(name: &str, field: &'static str) -> Result<ScheduleName> {
        let key = normalise(name);
        NAMES
            .iter()
            .find(|(canonical, torch, _, _)| {
                normalise(canonical) == key || (!torch.is_empty() && normalise(torch) == key)
            })
            .map(|&(canonical, _, layout, build)| ScheduleName {
                canonical,
                layout,
                build,
            })
            .ok_or_else(|| Error::UnknownSchedule {
                field,
                name: name.to_string(),
                known: known(),
            })
    }

    /// pipecut's name (`interleaved-1f1b`).
    pub fn canonical(&self) -> &'static str {
        self.canonical
    }

    /// How it places stages.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Stages per device when none is given: 1 for one-stage schedules and
    /// 2 for the V-shaped ones; 2 for looped ones where every device can
    /// take two of the `layers` (else 1), as torchtitan's experiment does.
    pub fn default_stages_per_device(&self, devices: usize, layers: usize) -> usize {
        match self.layout {
            Layout::Single => 1,
            Layout::V => 2,
            Layout::Looped if layers >= 2 * devices => 2,
            Layout::Looped => 1,
        }
    }

    /// The schedule with `v` stages per device; a count the schedule does
    /// not run is an error naming `field`.
    pub fn schedule(&self, field: &str, v: usize) -> Result<Schedule> {
        let reason = match (self.layout, v) {
            (_, 0) => "at least one stage per device is needed".to_string(),
            (Layout::Single, v) if v != 1 => {
                format!("{} runs exactly one stage per device", self.canonical)
            }
            (Layout::V, v) if v != 2 => {
                format!("{} runs exactly two stages per device", self.canonical)
            }
            _ => return Ok((self.build)(v)),
        };
        Err(Error::invalid(field, v, reason))
    }
}

/// Every accepted name, for error messages.
pub fn known() -> String {
    NAMES
        .iter()
        .map(|(canonical, torch, _, _)| {
            if torch.is_empty() {
                (*canonical).to_string()
            } else {
                format!("{torch} ({canonical})")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_torch_and_pipecut_name_parses_to_the_same_schedule() {
        for &(canonical, torch, layout, _) in NAMES {
            let v = if layout == Layout::Single { 1 } else { 2 };
            let a = ScheduleName::parse(canonical, "s").unwrap();
            assert_eq!(a.canonical(), canonical);
            let want = a.schedule("v", v).unwrap();
            if !torch.is_empty() {
                for spelling in [
                    torch.to_string(),
                    torch.to_lowercase(),
                    torch.to_uppercase(),
                    format!("Schedule{torch}"),
                ] {
                    let b = ScheduleName::parse(&spelling, "s").unwrap();
                    assert_eq!(b.schedule("v", v).unwrap(), want, "{spelling}");
                }
            }
        }
        // Every core schedule has a name here.
        for s in Schedule::all(2) {
            let name = s.to_string();
            let base = name.split('(').next().unwrap();
            let parsed = ScheduleName::parse(base, "s").unwrap();
            assert_eq!(parsed.schedule("v", s.virtual_stages()).unwrap(), s);
        }
    }

    #[test]
    fn unknown_names_and_bad_counts_name_the_field() {
        let e = ScheduleName::parse("pipedream", "schedule_type").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("schedule_type") && msg.contains("ZBVZeroBubble"),
            "{msg}"
        );
        let one = ScheduleName::parse("1F1B", "s").unwrap();
        assert!(one
            .schedule("virtual_stages_per_rank", 2)
            .unwrap_err()
            .to_string()
            .contains("virtual_stages_per_rank"));
        let v = ScheduleName::parse("DualPipeV", "s").unwrap();
        assert!(v.schedule("vs", 3).is_err());
        let looped = ScheduleName::parse("LoopedBFS", "s").unwrap();
        assert!(looped.schedule("vs", 0).is_err());
        assert_eq!(looped.schedule("vs", 3).unwrap().virtual_stages(), 3);
        assert_eq!(looped.default_stages_per_device(4, 8), 2);
        assert_eq!(looped.default_stages_per_device(4, 7), 1);
        assert_eq!(v.default_stages_per_device(4, 7), 2);
    }
}
