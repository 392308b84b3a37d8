//! Evaluation agrees with a naive recomputation straight from the formulas
//! in `pipecut_core::eval`'s docs.

use pipecut_core::{evaluate, Partition, ProblemSpec, Schedule};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Case {
    layers: Vec<(f64, f64, u64, u64, u64)>,
    cuts: Vec<usize>,
    micro_batches: usize,
    gpipe: bool,
    link: Option<(f64, f64)>,
    speeds: Option<Vec<f64>>,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..14)
        .prop_flat_map(|n| {
            (
                prop::collection::vec(
                    (0.0f64..10.0, 0.0f64..20.0, 0u64..1000, 0u64..100, 0u64..500),
                    n,
                ),
                prop::collection::btree_set(1..n.max(2), 0..n),
                1usize..10,
                any::<bool>(),
                prop::option::of((0.0f64..1.0, 1.0f64..1000.0)),
            )
        })
        .prop_flat_map(|(layers, cuts, m, gpipe, link)| {
            let n = layers.len();
            let cuts: Vec<usize> = cuts.into_iter().filter(|&c| c < n).collect();
            let p = cuts.len() + 1;
            (
                Just(layers),
                Just(cuts),
                Just(m),
                Just(gpipe),
                Just(link),
                prop::option::of(prop::collection::vec(0.25f64..4.0, p)),
            )
        })
        .prop_map(|(layers, cuts, micro_batches, gpipe, link, speeds)| Case {
            layers,
            cuts,
            micro_batches,
            gpipe,
            link,
            speeds,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn evaluation_matches_naive_recomputation(c in case()) {
        let chain = pipecut_testkit::chain_of(&c.layers);
        let layers = chain.layers().to_vec();
        let n = layers.len();
        let mut starts = vec![0];
        starts.extend(c.cuts.iter().copied());
        let p = starts.len();
        let mut spec = ProblemSpec::new(chain, p)
            .with_micro_batches(c.micro_batches)
            .with_schedule(if c.gpipe { Schedule::GPipe } else { Schedule::OneFOneB });
        if let Some((lat, bw)) = c.link { spec = spec.with_link(lat, bw); }
        spec.speeds = c.speeds.clone();
        let problem = spec.check().unwrap();
        let partition = Partition::for_problem(starts.clone(), &problem).unwrap();
        let eval = evaluate(&problem, &partition);

        let m = c.micro_batches;
        let mut times = Vec::new();
        for k in 0..p {
            let first = starts[k];
            let end = if k + 1 < p { starts[k + 1] } else { n };
            let stage = &layers[first..end];
            let fsum: f64 = stage.iter().map(|l| l.forward).sum();
            let bsum: f64 = stage.iter().map(|l| l.backward).sum();
            let speed = c.speeds.as_ref().map_or(1.0, |s| s[k]);
            let mut comm = 0.0;
            if let Some((lat, bw)) = c.link {
                if k > 0 { comm += lat + layers[first - 1].output_bytes as f64 / bw; }
                if k + 1 < p { comm += lat + layers[end - 1].output_bytes as f64 / bw; }
            }
            let t = speed * (fsum + bsum) + comm;
            let in_flight = if c.gpipe { m } else { (p - k).min(m) };
            let mem: u64 = stage.iter().map(|l| l.param_bytes).sum::<u64>()
                + in_flight as u64 * stage.iter().map(|l| l.activation_bytes).sum::<u64>();
            let s = &eval.stages[k];
            prop_assert!((s.time - t).abs() <= 1e-9 * (1.0 + t.abs()), "stage {} time {} vs {}", k, s.time, t);
            prop_assert!((s.forward - fsum).abs() <= 1e-9 * (1.0 + fsum));
            prop_assert_eq!(s.memory_bytes, mem);
            prop_assert_eq!(s.in_flight, in_flight);
            times.push(t);
        }
        let max = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = times.iter().sum();
        prop_assert!((eval.bottleneck - max).abs() <= 1e-9 * (1.0 + max));
        let sur = sum + (m as f64 - 1.0) * max;
        prop_assert!((eval.surrogate_step_time - sur).abs() <= 1e-9 * (1.0 + sur));
        prop_assert_eq!(eval.peak_memory_bytes, eval.stages.iter().map(|s| s.memory_bytes).max().unwrap());
    }
}
