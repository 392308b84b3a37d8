//! Hand-computed small cases for each schedule (the computation is in the
//! comments), the typed errors, and the Gantt chart.

use pipecut_core::{
    evaluate, Chain, Layer, Op, OpKind, Partition, Prefix, ProblemSpec, Schedule, Simulation,
    TimelineOp,
};
use pipecut_sim::{gantt_svg, simulate, Executor, GanttOptions, SimError, Simulator, StageTimes};

fn times(forward: &[f64], backward: &[f64], delay: &[f64]) -> StageTimes {
    StageTimes::new(forward.to_vec(), backward.to_vec(), delay.to_vec())
}

/// Each device's operations as `S<stage><F|B><micro-batch> [start,end]`,
/// in the order the device runs them.
fn lanes(r: &Simulation) -> Vec<String> {
    let mut lanes: Vec<Vec<String>> = Vec::new();
    for (o, (stage, kind, mb, start, end)) in r.timeline.as_ref().unwrap().iter().zip(spans(r)) {
        if lanes.len() <= o.device {
            lanes.resize(o.device + 1, Vec::new());
        }
        lanes[o.device].push(format!("S{stage}{kind}{mb} [{start},{end}]"));
    }
    lanes.into_iter().map(|l| l.join(" ")).collect()
}

/// `(stage, 'F' | 'B', micro-batch, start, end)` of every operation, device by device.
fn spans(r: &Simulation) -> Vec<(usize, char, usize, f64, f64)> {
    r.timeline
        .as_ref()
        .unwrap()
        .iter()
        .map(|o: &TimelineOp| {
            let k = if o.kind == OpKind::Forward { 'F' } else { 'B' };
            (o.stage, k, o.micro_batch, o.start, o.end)
        })
        .collect()
}

#[test]
fn one_f_one_b_two_stages_with_link_delay() {
    // P = 2, M = 2, f = 1, b = 2 on both stages, delay 0.5 on the boundary.
    // Orders: device 0 warms up with min(P - 0 - 1, M) = 1 forward:
    //   dev0: F0 F1 B0 B1      dev1: F0 B0 F1 B1
    // dev0 F0 [0,1], F1 [1,2]
    // dev1 F0: input 1 + 0.5 = 1.5 -> [1.5,2.5]; B0 (own F0) [2.5,4.5];
    //      F1: input 2 + 0.5 = 2.5 < free 4.5 -> [4.5,5.5]; B1 [5.5,7.5]
    // dev0 B0: input 4.5 + 0.5 = 5 > free 2 -> [5,7]; B1: 7.5 + 0.5 = 8 -> [8,10]
    // Step 10. Busy 6 per device: bubble 1 - 12 / 20 = 0.4.
    // Critical path back from dev0 B1: dev1 B1 <- dev1 F1 <- dev1 B0 <- dev1 F0
    // <- dev0 F0: stage 0 has 1 + 2 = 3 on it, stage 1 has 6 -> stage 1.
    let sim = Simulator::for_schedule(Schedule::OneFOneB, 2, 2);
    let r = sim
        .run_times(&times(&[1.0, 1.0], &[2.0, 2.0], &[0.5, 0.0]), true)
        .unwrap();
    assert_eq!(r.step_time, 10.0);
    assert_eq!(
        lanes(&r),
        [
            "S0F0 [0,1] S0F1 [1,2] S0B0 [5,7] S0B1 [8,10]",
            "S1F0 [1.5,2.5] S1B0 [2.5,4.5] S1F1 [4.5,5.5] S1B1 [5.5,7.5]",
        ]
    );
    assert_eq!(r.device_busy, vec![6.0, 6.0]);
    assert!((r.bubble_fraction - 0.4).abs() < 1e-15);
    assert_eq!(r.critical_stage, 1);
    assert_eq!(sim.peak_in_flight(), &[2, 1]);
    // Without the link: (M + P - 1)(f + b) = 3 * 3 = 9.
    let r = sim
        .run_times(&times(&[1.0, 1.0], &[2.0, 2.0], &[0.0, 0.0]), false)
        .unwrap();
    assert_eq!(r.step_time, 9.0);
}

#[test]
fn gpipe_two_stages_with_link_delay() {
    // P = 2, M = 2; stage 0: f = 1, b = 2; stage 1: f = 2, b = 1; delay 0.5.
    // dev0: F0 [0,1], F1 [1,2]
    // dev1: F0 input 1.5 -> [1.5,3.5]; F1 input 2.5 < 3.5 -> [3.5,5.5];
    //       B0 [5.5,6.5]; B1 [6.5,7.5]
    // dev0: B0 input 6.5 + 0.5 = 7 -> [7,9]; B1 input 8 < 9 -> [9,11]. Step 11
    // = the GPipe formula 3 + 3 + (2 - 1)(2 + 2) = 10 plus 0.5 each way.
    // Critical path: dev0 B1 <- dev0 B0 <- dev1 B0 <- dev1 F1 <- dev1 F0 <- dev0 F0:
    // stage 0 has 1 + 2 + 2 = 5, stage 1 has 2 + 2 + 1 = 5: the tie goes to stage 1.
    let r = Simulator::for_schedule(Schedule::GPipe, 2, 2)
        .run_times(&times(&[1.0, 2.0], &[2.0, 1.0], &[0.5, 0.0]), true)
        .unwrap();
    assert_eq!(r.step_time, 11.0);
    assert_eq!(
        lanes(&r),
        [
            "S0F0 [0,1] S0F1 [1,2] S0B0 [7,9] S0B1 [9,11]",
            "S1F0 [1.5,3.5] S1F1 [3.5,5.5] S1B0 [5.5,6.5] S1B1 [6.5,7.5]",
        ]
    );
    assert_eq!(r.critical_stage, 1);
    assert_eq!(
        Simulator::for_schedule(Schedule::GPipe, 2, 2).peak_in_flight(),
        &[2, 2]
    );
}

#[test]
fn interleaved_two_devices_two_chunks_with_and_without_link() {
    // PyTorch's interleaved 1F1B (Megatron's runs every forward first at M = D).
    // D = 2, v = 2 (P = 4, stage g on device g mod 2), M = 2, every chunk f = b = 1.
    // Warm-up: device 0: min((2-0-1)*2 + (2-1)*2, 4) = 4, device 1: 2.
    // i-th forward: chunk (i/2) mod 2, micro-batch i mod 2 (for i < 4);
    // i-th backward: chunk 1 - (i/2) mod 2.
    //   dev0: S0F0 S0F1 S2F0 S2F1 S2B0 S2B1 S0B0 S0B1
    //   dev1: S1F0 S1F1 S3F0 S3B0 S3F1 S3B1 S1B0 S1B1
    // No link:
    //   dev0 S0F0 [0,1] S0F1 [1,2]; dev1 S1F0 [1,2] S1F1 [2,3]
    //   dev0 S2F0 [2,3] S2F1 [3,4]; dev1 S3F0 [3,4] S3B0 [4,5] S3F1 [5,6] S3B1 [6,7]
    //   dev0 S2B0 [5,6] S2B1 [7,8]; dev1 S1B0 [7,8] S1B1 [8,9]
    //   dev0 S0B0 [8,9] S0B1 [9,10]  -> 10 = M(f+b) + (D-1)(f+b)/v = 2*4 + 4/2.
    let sim = Simulator::for_schedule(Schedule::Interleaved1F1B { virtual_stages: 2 }, 4, 2);
    let r = sim
        .run_times(&StageTimes::uniform(4, 1.0, 1.0), true)
        .unwrap();
    assert_eq!(r.step_time, 10.0);
    assert_eq!(
        lanes(&r),
        [
            "S0F0 [0,1] S0F1 [1,2] S2F0 [2,3] S2F1 [3,4] S2B0 [5,6] S2B1 [7,8] S0B0 [8,9] S0B1 [9,10]",
            "S1F0 [1,2] S1F1 [2,3] S3F0 [3,4] S3B0 [4,5] S3F1 [5,6] S3B1 [6,7] S1B0 [7,8] S1B1 [8,9]",
        ]
    );
    // Delay 0.5 on every boundary (all cross devices):
    //   dev0 S0F0 [0,1] S0F1 [1,2]; dev1 S1F0 [1.5,2.5] S1F1 [2.5,3.5]
    //   dev0 S2F0 input 3 -> [3,4]; S2F1 input 4 -> [4,5]
    //   dev1 S3F0 input 4.5 -> [4.5,5.5]; S3B0 [5.5,6.5]; S3F1 input 5.5 < 6.5 -> [6.5,7.5]; S3B1 [7.5,8.5]
    //   dev0 S2B0 input 7 -> [7,8]; S2B1 input 9 -> [9,10]
    //   dev1 S1B0 input 8.5 -> [8.5,9.5]; S1B1 input 10.5 -> [10.5,11.5]
    //   dev0 S0B0 input 10 -> [10,11]; S0B1 input 12 -> [12,13]. Step 13.
    let mut t = StageTimes::uniform(4, 1.0, 1.0);
    t.delay = vec![0.5; 4];
    let r = sim.run_times(&t, true).unwrap();
    assert_eq!(r.step_time, 13.0);
    let s = spans(&r);
    assert_eq!(s[5], (2, 'B', 1, 9.0, 10.0));
    assert_eq!(s[15], (1, 'B', 1, 10.5, 11.5));
    assert_eq!(r.device_busy, vec![8.0, 8.0]);
}

#[test]
fn megatron_interleaved_with_m_equal_d_runs_forwards_first() {
    // D = 2, v = 2, M = 2, f = b = 1, no link: every forward first.
    //   dev0: S0F0 [0,1] S0F1 [1,2] S2F0 [2,3] S2F1 [3,4]
    //   dev1: S1F0 [1,2] S1F1 [2,3] S3F0 [3,4] S3F1 [4,5] S3B0 [5,6] S3B1 [6,7]
    //   dev0: S2B0 [6,7] S2B1 [7,8]; dev1: S1B0 [7,8] S1B1 [8,9]; dev0: S0B0 [8,9] S0B1 [9,10]
    let sim = Simulator::for_schedule(Schedule::Interleaved { virtual_stages: 2 }, 4, 2);
    let r = sim
        .run_times(&StageTimes::uniform(4, 1.0, 1.0), true)
        .unwrap();
    assert_eq!(
        lanes(&r),
        [
            "S0F0 [0,1] S0F1 [1,2] S2F0 [2,3] S2F1 [3,4] S2B0 [6,7] S2B1 [7,8] S0B0 [8,9] S0B1 [9,10]",
            "S1F0 [1,2] S1F1 [2,3] S3F0 [3,4] S3F1 [4,5] S3B0 [5,6] S3B1 [6,7] S1B0 [7,8] S1B1 [8,9]",
        ]
    );
    assert_eq!(r.step_time, 10.0);
}

#[test]
fn interleaved_on_one_device_charges_no_link() {
    // D = 1, v = 2: both stages on device 0, so the boundary crosses no link.
    // Order (warm-up (v-1)*D = 1): S0F0 S1F0 S1B0 S0B0 -> 1 + 1 + 1 + 1 = 4.
    let sim = Simulator::for_schedule(Schedule::Interleaved { virtual_stages: 2 }, 2, 1);
    let mut t = StageTimes::uniform(2, 1.0, 1.0);
    t.delay = vec![5.0, 0.0];
    assert_eq!(sim.run_times(&t, false).unwrap().step_time, 4.0);
}

#[test]
fn surrogate_differs_from_1f1b_for_non_uniform_stages() {
    // P = 2, M = 2, stage 0: f = b = 2 (t = 4), stage 1: f = b = 1 (t = 2).
    // Surrogate: 4 + 2 + (2 - 1) * 4 = 10.
    // dev0 F0 [0,2] F1 [2,4]; dev1 F0 [2,3] B0 [3,4] F1 [4,5] B1 [5,6];
    // dev0 B0 input 4 -> [4,6], B1 input 6 -> [6,8]. Step 8 = M * max t, below the surrogate.
    let chain = Chain::new(
        "c",
        "s",
        vec![Layer::new("a", 2.0, 2.0), Layer::new("b", 1.0, 1.0)],
    )
    .unwrap();
    let problem = ProblemSpec::new(chain, 2)
        .with_micro_batches(2)
        .check()
        .unwrap();
    let part = Partition::for_problem(vec![0, 1], &problem).unwrap();
    let r = simulate(&problem, &part, false).unwrap();
    assert_eq!(r.step_time, 8.0);
    assert_eq!(
        pipecut_core::surrogate_step_time(&problem, &part),
        10.0,
        "the surrogate overestimates here"
    );
    // The heavy first stage is on the critical path the most: 2 + 2 + 2 + 2 = 8.
    assert_eq!(r.critical_stage, 0);
}

#[test]
fn speeds_and_link_come_from_the_problem() {
    // Two layers, stage 1 twice as slow; layer a sends 100 bytes at 100 B/s
    // after 0.5 latency: delay 1.5 each way.
    // M = 1: S0F0 [0,1]; S1F0 input 1 + 1.5 = 2.5 -> [2.5, 2.5 + 2*1];
    // S1B0 [4.5, 4.5 + 2*2]; S0B0 input 8.5 + 1.5 = 10 -> [10, 12].
    let chain = Chain::new(
        "c",
        "s",
        vec![
            Layer::new("a", 1.0, 2.0).with_bytes(10, 3, 100),
            Layer::new("b", 1.0, 2.0).with_bytes(20, 4, 0),
        ],
    )
    .unwrap();
    let problem = ProblemSpec::new(chain, 2)
        .with_link(0.5, 100.0)
        .with_speeds(vec![1.0, 2.0])
        .check()
        .unwrap();
    let part = Partition::for_problem(vec![0, 1], &problem).unwrap();
    let r = simulate(&problem, &part, true).unwrap();
    assert_eq!(r.step_time, 12.0);
    // Memory: params + in-flight (min(P - k, M) = 1) * activations.
    let eval = evaluate(&problem, &part);
    let stage_memory: Vec<u64> = eval.stages.iter().map(|s| s.memory_bytes).collect();
    assert_eq!(stage_memory, vec![13, 24]);
    assert_eq!(eval.device_memory_bytes, vec![13, 24]);
    assert_eq!(eval.peak_memory_bytes, 24);
    // The assembled plan carries the same simulation and evaluation.
    let plan = Executor::new(&problem).given(part.clone()).unwrap();
    assert_eq!(plan.step_time(), 12.0);
    assert_eq!(plan.peak_memory_bytes(), 24);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["step_time"], 12.0);
    assert_eq!(json["critical_stage"], 1);
}

#[test]
fn typed_errors() {
    let sim = Simulator::for_schedule(Schedule::OneFOneB, 3, 4);
    // Stage-times length.
    let e = sim
        .run_times(&times(&[1.0, 1.0], &[1.0, 1.0, 1.0], &[0.0; 3]), false)
        .unwrap_err();
    assert!(matches!(
        e,
        SimError::StageTimesLength {
            expected: 3,
            forward: 2,
            backward: 3,
            backward_weight: 3,
            delay: 3
        }
    ));
    // A NaN or negative time names its field and stage.
    let e = sim
        .run_times(&times(&[1.0; 3], &[1.0, f64::NAN, 1.0], &[0.0; 3]), false)
        .unwrap_err();
    assert!(matches!(
        e,
        SimError::InvalidStageTime {
            field: "backward",
            stage: 1,
            ..
        }
    ));
    let e = sim
        .run_times(&times(&[1.0; 3], &[1.0; 3], &[0.0, -1.0, 0.0]), false)
        .unwrap_err();
    assert!(matches!(
        e,
        SimError::InvalidStageTime {
            field: "delay",
            stage: 1,
            ..
        }
    ));

    // Partition mismatches.
    let chain = pipecut_testkit::uniform(6, 1.0, 1.0);
    let problem = ProblemSpec::new(chain.clone(), 3)
        .with_micro_batches(4)
        .check()
        .unwrap();
    let prefix = Prefix::new(&problem);
    let sim = Simulator::new(&problem);
    let two = Partition::new(vec![0, 3], 6).unwrap();
    assert!(matches!(
        sim.step_time(&problem, &prefix, &two),
        Err(SimError::Core(pipecut_core::Error::PartitionLength {
            expected: 3,
            got: 2
        }))
    ));
    let short = Partition::new(vec![0, 1, 2], 5).unwrap();
    assert!(matches!(
        sim.run(&problem, &short, false),
        Err(SimError::LayerCount {
            partition: 5,
            chain: 6
        })
    ));
    let other = ProblemSpec::new(chain.clone(), 3)
        .with_micro_batches(5)
        .check()
        .unwrap();
    let part = Partition::new(vec![0, 2, 4], 6).unwrap();
    assert!(matches!(
        sim.run(&other, &part, false),
        Err(SimError::ScheduleMismatch {
            simulator_micro_batches: 4,
            problem_micro_batches: 5,
            ..
        })
    ));
    let small = ProblemSpec::new(pipecut_testkit::uniform(4, 1.0, 1.0), 3)
        .with_micro_batches(4)
        .check()
        .unwrap();
    assert!(matches!(
        sim.step_time(&problem, &Prefix::new(&small), &part),
        Err(SimError::PrefixLength {
            prefix: 4,
            chain: 6
        })
    ));
    // The typed error converts into the core error partitioners return.
    let core: pipecut_core::Error = SimError::NoTimeline.into();
    assert!(matches!(core, pipecut_core::Error::Solver { .. }));
}

#[test]
fn invalid_schedules_error_instead_of_panicking() {
    use pipecut_core::Error as E;
    let inter = |v| Schedule::Interleaved { virtual_stages: v };
    let cases: Vec<(Schedule, usize, usize)> = vec![
        (Schedule::OneFOneB, 0, 4),
        (Schedule::GPipe, 2, 0),
        (inter(0), 4, 4),
        (inter(3), 4, 4),
        (inter(2), 4, 3),
    ];
    for (s, p, m) in cases {
        let sim = Simulator::for_schedule(s, p, m);
        let e = sim
            .run_times(&StageTimes::uniform(p, 1.0, 1.0), false)
            .unwrap_err();
        let SimError::Core(core) = e else {
            panic!("{s} {p} {m}: {e}")
        };
        match (s, p, m) {
            (_, 0, _) => assert!(matches!(core, E::ZeroStages)),
            (_, _, 0) => assert!(matches!(core, E::ZeroMicroBatches)),
            (Schedule::Interleaved { virtual_stages: 0 }, ..) => {
                assert!(matches!(core, E::ZeroVirtualStages))
            }
            (Schedule::Interleaved { virtual_stages: 3 }, ..) => assert!(matches!(
                core,
                E::VirtualStagesMismatch {
                    stages: 4,
                    virtual_stages: 3
                }
            )),
            _ => assert!(matches!(
                core,
                E::MicroBatchesNotMultiple {
                    micro_batches: 3,
                    devices: 2
                }
            )),
        }
        assert!(Simulator::try_for_schedule(s, p, m).is_err());
    }
    // Far too many operations: refused before anything is allocated.
    assert!(matches!(
        Simulator::try_for_schedule(Schedule::OneFOneB, 1 << 20, 1 << 20),
        Err(SimError::TooManyOperations { .. })
    ));
    assert!(matches!(
        Simulator::try_for_schedule(Schedule::GPipe, 1 << 14, 1 << 13),
        Err(SimError::TooManyOperations {
            stages: 16384,
            micro_batches: 8192,
            limit: pipecut_sim::MAX_OPERATIONS
        })
    ));
    assert!(matches!(
        Simulator::try_for_schedule(Schedule::GPipe, usize::MAX, 3),
        Err(SimError::TooManyOperations { .. })
    ));
    // Searches share simulators across threads.
    fn shareable<T: Send + Sync>() {}
    shareable::<Simulator>();
}

#[test]
fn custom_orders_are_checked_and_deadlocks_detected() {
    let f = |mb| Op {
        kind: OpKind::Forward,
        micro_batch: mb,
        chunk: 0,
    };
    let b = |mb| Op {
        kind: OpKind::Backward,
        micro_batch: mb,
        chunk: 0,
    };
    // Device 0 wants B0 (which needs device 1's B0, which needs device 1's F0,
    // which needs device 0's F0) before its own F0: a cycle.
    let e = Simulator::from_orders(
        Schedule::OneFOneB,
        2,
        1,
        vec![vec![b(0), f(0)], vec![f(0), b(0)]],
    )
    .unwrap_err();
    assert!(matches!(
        e,
        SimError::Deadlock {
            device: 0,
            kind: OpKind::Backward,
            micro_batch: 0,
            chunk: 0
        }
    ));
    assert!(matches!(
        Simulator::from_orders(Schedule::OneFOneB, 2, 1, vec![vec![f(0), b(0)]]),
        Err(SimError::DeviceCount {
            expected: 2,
            got: 1
        })
    ));
    assert!(matches!(
        Simulator::from_orders(Schedule::OneFOneB, 2, 1, vec![vec![f(0), b(0)], vec![f(0)]]),
        Err(SimError::OrderLength {
            device: 1,
            expected: 2,
            got: 1
        })
    ));
    assert!(matches!(
        Simulator::from_orders(
            Schedule::OneFOneB,
            2,
            1,
            vec![vec![f(0), f(0)], vec![f(0), b(0)]]
        ),
        Err(SimError::OrderOp {
            device: 0,
            position: 1,
            ..
        })
    ));
    assert!(matches!(
        Simulator::from_orders(
            Schedule::OneFOneB,
            2,
            1,
            vec![vec![f(0), b(1)], vec![f(0), b(0)]]
        ),
        Err(SimError::OrderOp {
            device: 0,
            position: 1,
            ..
        })
    ));
    // GPipe's order given by hand on 1F1B placement behaves like GPipe.
    let gpipe = vec![vec![f(0), f(1), b(0), b(1)]; 2];
    let custom = Simulator::from_orders(Schedule::OneFOneB, 2, 2, gpipe).unwrap();
    let t = times(&[1.0, 2.0], &[2.0, 1.0], &[0.5, 0.0]);
    assert_eq!(custom.run_times(&t, false).unwrap().step_time, 11.0);
    assert_eq!(custom.peak_in_flight(), &[2, 2]);
}

#[test]
fn gantt_chart_is_readable_svg() {
    let sim = Simulator::for_schedule(Schedule::Interleaved { virtual_stages: 2 }, 4, 4);
    let mut t = StageTimes::uniform(4, 1.0, 2.0);
    t.delay = vec![0.25; 4];
    let no_timeline = sim.run_times(&t, false).unwrap();
    assert!(matches!(
        gantt_svg(&no_timeline, &GanttOptions::default()),
        Err(SimError::NoTimeline)
    ));
    let r = sim.run_times(&t, true).unwrap();
    assert!(matches!(
        gantt_svg(&r, &GanttOptions::default().with_width(10)),
        Err(SimError::GanttOption { field: "width", .. })
    ));
    let opts = GanttOptions::new("A <b> & c")
        .with_unit("ms")
        .with_width(900);
    let svg = gantt_svg(&r, &opts).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    // Title escaped, axis label with unit, legend entries, one row label per device.
    assert!(svg.contains("A &lt;b&gt; &amp; c"));
    assert!(svg.contains("time (ms)"));
    for text in [
        "forward (F)",
        "backward (B)",
        "idle",
        "device 0 (0, 2)",
        "device 1 (1, 3)",
    ] {
        assert!(svg.contains(&format!(">{text}<")), "missing {text}");
    }
    // Only the kinds the schedule runs are in the legend.
    assert!(!svg.contains("backward input"));
    assert!(!svg.contains("device 2<"));
    // One bar per operation, each with a tooltip.
    assert_eq!(svg.matches("<title>").count(), 2 * 4 * 4);
    // Two chunks: two forward shades and two backward shades among the bars.
    let fills: std::collections::HashSet<&str> = svg
        .lines()
        .filter(|l| l.contains("<title>"))
        .filter_map(|l| l.split("fill=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(fills.len(), 4);
    // Bars are wide enough here (900 px for ~20 time units) for their numbers.
    assert!(svg.contains(">3</text>"));
    // Tags balance.
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    assert_eq!(
        svg.matches("<rect").count(),
        svg.matches("/>").count() - svg.matches("<line").count() + svg.matches("</rect>").count()
    );
    // Same input, same chart.
    assert_eq!(svg, gantt_svg(&r, &opts).unwrap());
}
