use pipecut_core::*;
use pipecut_heuristics::*;
#[test]
fn stats() {
    let mut seed = 12345u64;
    let mut rnd = |m: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    let (mut ok, mut infeasible, mut nofit, mut nofit_but_exists, mut inter) = (0, 0, 0, 0, 0);
    for _ in 0..4000 {
        let n = 2 + rnd(8) as usize;
        let layers: Vec<Layer> = (0..n)
            .map(|i| {
                Layer::new(format!("l{i}"), 1.0 + rnd(5) as f64, 2.0).with_bytes(
                    rnd(50),
                    rnd(10),
                    0,
                )
            })
            .collect();
        let chain = Chain::new("c", "u", layers).unwrap();
        let d = 1 + rnd(3) as usize;
        let v = 2;
        let p = d * v;
        if p > n {
            continue;
        }
        let m = d * (1 + rnd(3) as usize);
        let cap = rnd(400);
        let problem = ProblemSpec::new(chain, p)
            .with_micro_batches(m)
            .with_schedule(Schedule::Interleaved { virtual_stages: v })
            .with_memory_capacity(cap)
            .check()
            .unwrap();
        inter += 1;
        let exists = {
            let mut any = false;
            let n = problem.layers();
            let mut cuts: Vec<usize> = (0..p).collect();
            loop {
                let part = Partition::new(cuts.clone(), n).unwrap();
                if evaluate(&problem, &part).fits_memory {
                    any = true;
                    break;
                }
                // next combination of p-1 cuts among 1..n
                let mut k = p - 1;
                let mut done = true;
                while k >= 1 {
                    if cuts[k] < n - (p - k) {
                        cuts[k] += 1;
                        for j in k + 1..p {
                            cuts[j] = cuts[j - 1] + 1;
                        }
                        done = false;
                        break;
                    }
                    k -= 1;
                }
                if done {
                    break;
                }
            }
            any
        };
        match AutoPipe::default().solve(&problem) {
            Ok(plan) => {
                assert!(plan.fits_memory);
                ok += 1
            }
            Err(Error::MemoryInfeasible { .. }) => {
                assert!(!exists);
                infeasible += 1
            }
            Err(Error::Solver { .. }) => {
                nofit += 1;
                if exists {
                    nofit_but_exists += 1
                }
            }
            Err(e) => panic!("{e}"),
        }
    }
    eprintln!("inter {inter} ok {ok} infeasible {infeasible} nofit {nofit} nofit_but_exists {nofit_but_exists}");
}
