//! Schedule names as people write them: PyTorch's `get_schedule_class`
//! names (`1F1B`, `GPipe`, `Interleaved1F1B`, `LoopedBFS`,
//! `InterleavedZeroBubble`, `ZBVZeroBubble`, `DualPipeV`, with or without the
//! `Schedule` class prefix) and pipecut's own (`1f1b`, `interleaved-1f1b`,
//! ...), case-insensitive, `-`, `_` and spaces ignored.

use super::Schedule;
use crate::error::{Error, Result};

/// How a named schedule places stages on devices, which decides the stages
/// per device it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleFamily {
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
    family: ScheduleFamily,
    build: fn(usize) -> Schedule,
}

/// One row of [`NAMES`]: canonical pipecut name, PyTorch name (empty for
/// Megatron's order, which PyTorch lacks), family, builder.
type Row = (
    &'static str,
    &'static str,
    ScheduleFamily,
    fn(usize) -> Schedule,
);

/// Every schedule.
const NAMES: &[Row] = &[
    ("1f1b", "1F1B", ScheduleFamily::Single, |_| {
        Schedule::OneFOneB
    }),
    ("gpipe", "GPipe", ScheduleFamily::Single, |_| {
        Schedule::GPipe
    }),
    ("interleaved", "", ScheduleFamily::Looped, |v| {
        Schedule::Interleaved { virtual_stages: v }
    }),
    (
        "interleaved-1f1b",
        "Interleaved1F1B",
        ScheduleFamily::Looped,
        |v| Schedule::Interleaved1F1B { virtual_stages: v },
    ),
    (
        "interleaved-zero-bubble",
        "InterleavedZeroBubble",
        ScheduleFamily::Looped,
        |v| Schedule::InterleavedZeroBubble { virtual_stages: v },
    ),
    ("looped-bfs", "LoopedBFS", ScheduleFamily::Looped, |v| {
        Schedule::LoopedBfs { virtual_stages: v }
    }),
    (
        "zbv-zero-bubble",
        "ZBVZeroBubble",
        ScheduleFamily::V,
        |_| Schedule::ZbvZeroBubble,
    ),
    ("dualpipev", "DualPipeV", ScheduleFamily::V, |_| {
        Schedule::DualPipeV
    }),
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
    /// Parses `name`; an unknown one is an error naming `field` and every
    /// known name.
    ///
    /// ```
    /// use pipecut_core::ScheduleName;
    /// let s = ScheduleName::parse("ScheduleInterleaved1F1B", "schedule")?;
    /// assert_eq!(s.canonical(), "interleaved-1f1b");
    /// assert_eq!(s.schedule("schedule", 2)?.virtual_stages(), 2);
    /// assert!(ScheduleName::parse("PipeDream", "schedule").is_err());
    /// # Ok::<(), pipecut_core::Error>(())
    /// ```
    pub fn parse(name: &str, field: &str) -> Result<ScheduleName> {
        let key = normalise(name);
        NAMES
            .iter()
            .find(|(canonical, torch, _, _)| {
                normalise(canonical) == key || (!torch.is_empty() && normalise(torch) == key)
            })
            .map(|&(canonical, _, family, build)| ScheduleName {
                canonical,
                family,
                build,
            })
            .ok_or_else(|| Error::InvalidSchedule {
                field: field.to_string(),
                value: format!("{name:?}"),
                reason: format!("not a schedule; choose one of: {}", known_names()),
            })
    }

    /// pipecut's name (`interleaved-1f1b`).
    pub fn canonical(&self) -> &'static str {
        self.canonical
    }

    /// How it places stages.
    pub fn family(&self) -> ScheduleFamily {
        self.family
    }

    /// Stages per device when none is given: 1 for one-stage schedules and
    /// 2 for the V-shaped ones; 2 for looped ones where every device can
    /// take two of the `layers` (else 1), as torchtitan's experiment does.
    pub fn default_stages_per_device(&self, devices: usize, layers: usize) -> usize {
        match self.family {
            ScheduleFamily::Single => 1,
            ScheduleFamily::V => 2,
            ScheduleFamily::Looped if layers >= 2 * devices => 2,
            ScheduleFamily::Looped => 1,
        }
    }

    /// The schedule with `v` stages per device; a count a one-stage or
    /// V-shaped schedule does not run is an error naming `field`, and zero
    /// for a looped one is [`Error::ZeroVirtualStages`], as the problem check
    /// reports it.
    pub fn schedule(&self, field: &str, v: usize) -> Result<Schedule> {
        let reason = match (self.family, v) {
            (ScheduleFamily::Looped, 0) => return Err(Error::ZeroVirtualStages),
            (ScheduleFamily::Single, v) if v != 1 => {
                format!("{} runs exactly one stage per device", self.canonical)
            }
            (ScheduleFamily::V, v) if v != 2 => {
                format!("{} runs exactly two stages per device", self.canonical)
            }
            _ => return Ok((self.build)(v)),
        };
        Err(Error::InvalidSchedule {
            field: field.to_string(),
            value: v.to_string(),
            reason,
        })
    }
}

impl Schedule {
    /// The schedule called `name` (see [`ScheduleName`]) with
    /// `stages_per_device` (when none: 1 for one-stage schedules, else 2);
    /// errors name `schedule` and `virtual_stages`.
    ///
    /// ```
    /// use pipecut_core::Schedule;
    /// assert_eq!(Schedule::from_name("LoopedBFS", None)?, Schedule::LoopedBfs { virtual_stages: 2 });
    /// assert_eq!(Schedule::from_name("1F1B", None)?, Schedule::OneFOneB);
    /// assert!(Schedule::from_name("DualPipeV", Some(3)).is_err());
    /// # Ok::<(), pipecut_core::Error>(())
    /// ```
    pub fn from_name(name: &str, stages_per_device: Option<usize>) -> Result<Schedule> {
        let parsed = ScheduleName::parse(name, "schedule")?;
        let v = stages_per_device.unwrap_or(match parsed.family {
            ScheduleFamily::Single => 1,
            ScheduleFamily::Looped | ScheduleFamily::V => 2,
        });
        parsed.schedule("virtual_stages", v)
    }
}

/// Every accepted name (`1F1B (1f1b), GPipe (gpipe), interleaved, ...`), for
/// error messages.
pub fn known_names() -> String {
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
        for &(canonical, torch, family, _) in NAMES {
            let v = if family == ScheduleFamily::Single {
                1
            } else {
                2
            };
            let a = ScheduleName::parse(canonical, "s").unwrap();
            assert_eq!(a.canonical(), canonical);
            let want = a.schedule("v", v).unwrap();
            if !torch.is_empty() {
                for spelling in [
                    torch.to_string(),
                    torch.to_lowercase(),
                    torch.to_uppercase(),
                    format!("Schedule{torch}"),
                    format!("schedule_{torch}"),
                ] {
                    let b = ScheduleName::parse(&spelling, "s").unwrap();
                    assert_eq!(b.schedule("v", v).unwrap(), want, "{spelling}");
                }
            }
        }
        // Every core schedule has a name here, and its display name parses back.
        for s in Schedule::all(2) {
            let name = s.to_string();
            let base = name.split('(').next().unwrap();
            let parsed = ScheduleName::parse(base, "s").unwrap();
            assert_eq!(parsed.schedule("v", s.virtual_stages()).unwrap(), s);
            assert_eq!(
                Schedule::from_name(base, Some(s.virtual_stages())).unwrap(),
                s
            );
        }
    }

    #[test]
    fn unknown_names_and_bad_counts_name_the_field() {
        let msg = ScheduleName::parse("pipedream", "schedule_type")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("schedule_type") && msg.contains("ZBVZeroBubble (zbv-zero-bubble)"),
            "{msg}"
        );
        // `schedule` alone is not a schedule, even though the prefix is dropped.
        assert!(ScheduleName::parse("Schedule", "s").is_err());
        let one = ScheduleName::parse("1F1B", "s").unwrap();
        assert!(one
            .schedule("virtual_stages_per_rank", 2)
            .unwrap_err()
            .to_string()
            .contains("virtual_stages_per_rank"));
        let v = ScheduleName::parse("DualPipeV", "s").unwrap();
        assert!(v.schedule("vs", 3).is_err());
        let looped = ScheduleName::parse("LoopedBFS", "s").unwrap();
        assert!(matches!(
            looped.schedule("vs", 0),
            Err(Error::ZeroVirtualStages)
        ));
        assert_eq!(looped.schedule("vs", 3).unwrap().virtual_stages(), 3);
        assert_eq!(looped.default_stages_per_device(4, 8), 2);
        assert_eq!(looped.default_stages_per_device(4, 7), 1);
        assert_eq!(v.default_stages_per_device(4, 7), 2);
        assert_eq!(one.default_stages_per_device(4, 8), 1);
        assert_eq!(
            Schedule::from_name("1f1b", None).unwrap(),
            Schedule::OneFOneB
        );
        assert_eq!(
            Schedule::from_name("ZBVZeroBubble", None).unwrap(),
            Schedule::ZbvZeroBubble
        );
        assert!(Schedule::from_name("gpipe", Some(2))
            .unwrap_err()
            .to_string()
            .contains("virtual_stages"));
    }
}
