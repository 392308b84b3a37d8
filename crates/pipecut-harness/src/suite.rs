//! Suites: named lists of checked problems to run every partitioner on.
//!
//! A [`Grid`] turns chains into problems (devices `P` x micro-batches `M` x
//! schedules); combinations the problem checker rejects (more stages than
//! layers, ...) are not errors: they are listed in [`Suite::skipped`] with the
//! checker's message, so a report can say how many were left out and why.

use std::path::Path;

use pipecut_core::synthetic::{generate, Family};
use pipecut_core::{Chain, Link, Problem, ProblemSpec, Schedule};
use pipecut_cost::{build_chain, Checkpointing, ModelOptions};
use serde::{Deserialize, Serialize};

use crate::error::{HarnessError, Result};

/// One problem of a suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Unique, human-readable id, e.g. `llama3-8b/P4/M16/1f1b`.
    pub id: String,
    /// The model (chain) it was built from; charts group by it.
    pub model: String,
    /// The checked problem.
    pub problem: Problem,
}

/// A grid combination the problem checker rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedCase {
    /// The id the case would have had.
    pub id: String,
    /// The checker's message.
    pub reason: String,
}

/// How many micro-batches each grid point gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MicroBatches {
    /// `M = factor * P` for every factor (`P` = devices).
    PerDevice(Vec<usize>),
    /// These exact values of `M`.
    Fixed(Vec<usize>),
}

/// The grid that turns a chain into problems.
///
/// `devices` is the number of GPUs `P`. An interleaved schedule with `v`
/// chunks gets `P * v` stages on the same `P` devices, so that every schedule
/// of a grid point runs on the same hardware.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// Device counts `P`.
    pub devices: Vec<usize>,
    /// Micro-batch counts.
    pub micro_batches: MicroBatches,
    /// Schedules.
    pub schedules: Vec<Schedule>,
    /// Memory per device, if limited.
    pub memory_capacity: Option<u64>,
    /// Link between consecutive stages, if any.
    pub link: Option<Link>,
}

impl Default for Grid {
    /// The `presets` grid: `P` in {2, 4, 8, 16}, `M` in {P, 2P, 4P, 8P},
    /// GPipe, 1F1B and interleaved 1F1B with 2 chunks per device.
    fn default() -> Self {
        Grid {
            devices: vec![2, 4, 8, 16],
            micro_batches: MicroBatches::PerDevice(vec![1, 2, 4, 8]),
            schedules: vec![
                Schedule::GPipe,
                Schedule::OneFOneB,
                Schedule::Interleaved { virtual_stages: 2 },
            ],
            memory_capacity: None,
            link: None,
        }
    }
}

impl Grid {
    /// One grid point: `P` devices, `M` micro-batches, one schedule.
    pub fn single(devices: usize, micro_batches: usize, schedule: Schedule) -> Self {
        Grid {
            devices: vec![devices],
            micro_batches: MicroBatches::Fixed(vec![micro_batches]),
            schedules: vec![schedule],
            memory_capacity: None,
            link: None,
        }
    }

    fn micro_batch_values(&self, devices: usize) -> Vec<usize> {
        match &self.micro_batches {
            MicroBatches::PerDevice(f) => f.iter().map(|f| f.saturating_mul(devices)).collect(),
            MicroBatches::Fixed(m) => m.clone(),
        }
    }

    /// Every problem of the grid for one chain, in a fixed order (devices,
    /// then micro-batches, then schedules), with the rejected combinations.
    pub fn expand(&self, model: &str, chain: &Chain) -> (Vec<Case>, Vec<SkippedCase>) {
        self.expand_labeled(model, model, chain)
    }

    /// [`Grid::expand`] with ids starting `label` and cases grouped under
    /// `model` (several chains of one family share a model).
    pub fn expand_labeled(
        &self,
        label: &str,
        model: &str,
        chain: &Chain,
    ) -> (Vec<Case>, Vec<SkippedCase>) {
        let mut cases = Vec::new();
        let mut skipped = Vec::new();
        for &p in &self.devices {
            for m in self.micro_batch_values(p) {
                for &schedule in &self.schedules {
                    let stages = p.saturating_mul(schedule.virtual_stages());
                    let id = format!("{label}/P{p}/M{m}/{schedule}");
                    let mut spec = ProblemSpec::new(chain.clone(), stages)
                        .with_micro_batches(m)
                        .with_schedule(schedule);
                    spec.memory_capacity = self.memory_capacity;
                    spec.link = self.link;
                    match spec.check() {
                        Ok(problem) => cases.push(Case {
                            id,
                            model: model.to_string(),
                            problem,
                        }),
                        Err(e) => skipped.push(SkippedCase {
                            id,
                            reason: e.to_string(),
                        }),
                    }
                }
            }
        }
        (cases, skipped)
    }
}

/// A named list of problems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    /// Suite name (`presets`, `random`, `seed`, `chains`, ...).
    pub name: String,
    /// The problems, in a fixed order.
    pub cases: Vec<Case>,
    /// Grid combinations the problem checker rejected.
    pub skipped: Vec<SkippedCase>,
}

/// Names accepted by [`Suite::by_name`].
pub const SUITES: [&str; 5] = ["presets", "random", "seed", "schedules", "chains"];

/// Options of the `random` suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomOptions {
    /// Chain families.
    pub families: Vec<Family>,
    /// Chain lengths `N`.
    pub sizes: Vec<usize>,
    /// Seeds per (family, size): `base_seed .. base_seed + seeds`.
    pub seeds: u64,
    /// First seed.
    pub base_seed: u64,
    /// The grid every chain is run on.
    pub grid: Grid,
}

impl Default for RandomOptions {
    /// Every family, `N` in {8, 16, ..., 1024} (powers of two), 3 seeds,
    /// `P` in {2, 4, 8}, `M = 4P`, 1F1B.
    fn default() -> Self {
        RandomOptions {
            families: Family::ALL.to_vec(),
            sizes: vec![8, 16, 32, 64, 128, 256, 512, 1024],
            seeds: 3,
            base_seed: 0,
            grid: Grid {
                devices: vec![2, 4, 8],
                micro_batches: MicroBatches::PerDevice(vec![4]),
                schedules: vec![Schedule::OneFOneB],
                memory_capacity: None,
                link: None,
            },
        }
    }
}

impl Suite {
    /// A suite from named chains, each expanded over `grid`.
    pub fn from_chains<S: Into<String>>(
        name: impl Into<String>,
        chains: impl IntoIterator<Item = (S, Chain)>,
        grid: &Grid,
    ) -> Suite {
        let mut suite = Suite {
            name: name.into(),
            cases: Vec::new(),
            skipped: Vec::new(),
        };
        for (model, chain) in chains {
            let model = model.into();
            suite.push_chain(&model, &model, &chain, grid);
        }
        suite
    }

    /// Appends a chain's grid points, ids starting `label`, grouped under
    /// `model`.
    pub fn push_chain(&mut self, label: &str, model: &str, chain: &Chain, grid: &Grid) {
        let (cases, skipped) = grid.expand_labeled(label, model, chain);
        self.cases.extend(cases);
        self.skipped.extend(skipped);
    }

    /// The `random` suite: seeded synthetic chains
    /// ([`pipecut_core::synthetic`]); the same options give the same suite.
    /// Cases are grouped by family (the model label), ids name the chain
    /// (`heavy-head-64-s1/P4/M16/1f1b`).
    pub fn random(options: &RandomOptions) -> Suite {
        let mut suite = Suite::from_chains("random", Vec::<(String, Chain)>::new(), &options.grid);
        for &family in &options.families {
            for &n in &options.sizes {
                for s in 0..options.seeds {
                    let seed = options.base_seed.wrapping_add(s);
                    let chain = generate(family, n, seed);
                    let label = format!("{}-{n}-s{seed}", family.as_str());
                    suite.push_chain(&label, family.as_str(), &chain, &options.grid);
                }
            }
        }
        suite
    }

    /// The `presets` suite: every `pipecut_cost` preset at its published
    /// sequence length and micro-batch size on the default H100 roofline,
    /// expanded over `grid` ([`Grid::default`]: `P` in {2, 4, 8, 16}, `M` in
    /// {P, 2P, 4P, 8P}, GPipe / 1F1B / interleaved v = 2).
    pub fn presets(grid: &Grid) -> Result<Suite> {
        let mut chains = Vec::new();
        for info in pipecut_cost::presets() {
            let chain =
                build_chain(&ModelOptions::preset(info.name)).map_err(|e| HarnessError::Model {
                    model: info.name.to_string(),
                    source: Box::new(e),
                })?;
            chains.push((info.name, chain));
        }
        Ok(Suite::from_chains("presets", chains, grid))
    }

    /// The `schedules` suite: every preset on 4 and 8 devices with `M` in
    /// {2D, 4D} under every schedule ([`Schedule::all`], looped ones with 2
    /// stages per device), so each schedule's plans can be compared on the
    /// same devices.
    pub fn schedules() -> Result<Suite> {
        let grid = Grid {
            devices: vec![4, 8],
            micro_batches: MicroBatches::PerDevice(vec![2, 4]),
            schedules: Schedule::all(2),
            memory_capacity: None,
            link: None,
        };
        let mut suite = Suite::presets(&grid)?;
        suite.name = "schedules".into();
        Ok(suite)
    }

    /// The `seed` suite: torchtitan debug-model variants on
    /// `P = 4`, `M = 32` (batch 32 of micro-batch 1), 1F1B, sequence 2048,
    /// selective activation checkpointing of every 2nd block, H100 roofline:
    /// llama3 with dim in {256, 2048, 4096} x layers in {6, 12}, and
    /// deepseek_v3 without MoE with dim in {256, 2048, 4096, 8192} x layers in
    /// {6, 12, 16}. Model labels read `llama3-d2048-L12`,
    /// `deepseek-v3-dense-d256-L6`.
    pub fn seed() -> Result<Suite> {
        let mut variants = Vec::new();
        for dim in [256, 2048, 4096] {
            for layers in [6, 12] {
                variants.push((
                    "llama3-debug",
                    format!("llama3-d{dim}-L{layers}"),
                    dim,
                    layers,
                    None,
                ));
            }
        }
        for dim in [256, 2048, 4096, 8192] {
            for layers in [6, 12, 16] {
                variants.push((
                    "deepseek-v3-debug",
                    format!("deepseek-v3-dense-d{dim}-L{layers}"),
                    dim,
                    layers,
                    Some(false),
                ));
            }
        }
        let grid = Grid::single(4, 32, Schedule::OneFOneB);
        let mut chains = Vec::with_capacity(variants.len());
        for (preset, label, dim, layers, moe) in variants {
            let options = ModelOptions {
                seq_len: Some(2048),
                micro_batch_size: Some(1),
                layers: Some(layers),
                dim: Some(dim),
                moe,
                activation_checkpointing: Some(Checkpointing::Selective { every: 2 }),
                ..ModelOptions::preset(preset)
            };
            let chain = build_chain(&options).map_err(|e| HarnessError::Model {
                model: label.clone(),
                source: Box::new(e),
            })?;
            chains.push((label, chain));
        }
        Ok(Suite::from_chains("seed", chains, &grid))
    }

    /// User chains: every `.json` (Chain JSON) or `.csv` (profile) file of
    /// `dir`, sorted by name, loaded with `pipecut_cost::load_chain` and
    /// expanded over `grid`; the model label is the file stem.
    pub fn from_folder(dir: &Path, grid: &Grid) -> Result<Suite> {
        Suite::from_folder_with(dir, grid, pipecut_cost::load_chain)
    }

    /// A suite by name: `presets` and `random` with their default options,
    /// `seed`, or `chains` (the folder `chains`, on `grid` or the default
    /// grid).
    pub fn by_name(name: &str, chains: Option<&Path>, grid: Option<&Grid>) -> Result<Suite> {
        let default_grid = Grid::default();
        let grid = grid.unwrap_or(&default_grid);
        match name {
            "presets" => Suite::presets(grid),
            "random" => Ok(Suite::random(&RandomOptions::default())),
            "seed" => Suite::seed(),
            "schedules" => Suite::schedules(),
            "chains" => match chains {
                Some(dir) => Suite::from_folder(dir, grid),
                None => Err(HarnessError::InvalidOption {
                    field: "chains",
                    value: "none".into(),
                    reason: "the `chains` suite needs a folder of chain files",
                }),
            },
            _ => Err(HarnessError::UnknownSuite {
                name: name.into(),
                expected: SUITES.join(", "),
            }),
        }
    }

    /// User chains: every `.json` or `.csv` file of `dir` (sorted by file
    /// name), loaded with `load`, expanded over `grid`. The model label is
    /// the file stem.
    pub fn from_folder_with<F, E>(dir: &Path, grid: &Grid, mut load: F) -> Result<Suite>
    where
        F: FnMut(&Path) -> std::result::Result<Chain, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    {
        let io = |source| HarnessError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            if path.is_file() && matches!(ext.as_deref(), Some("json" | "csv")) {
                files.push(path);
            }
        }
        if files.is_empty() {
            return Err(HarnessError::EmptyFolder {
                path: dir.to_path_buf(),
            });
        }
        files.sort();
        let mut chains = Vec::with_capacity(files.len());
        for path in files {
            let chain = load(&path).map_err(|e| HarnessError::Chain {
                path: path.clone(),
                source: e.into(),
            })?;
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("chain")
                .to_string();
            chains.push((stem, chain));
        }
        Ok(Suite::from_chains("chains", chains, grid))
    }

    /// Number of problems.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// Whether the suite has no problem.
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Chain {
        pipecut_testkit::uniform(n, 1.0, 2.0)
    }

    #[test]
    fn default_grid_counts_and_skips() {
        // 6 layers: P = 8 and 16 have too many stages; interleaved P = 4
        // needs 8 stages.
        let (cases, skipped) = Grid::default().expand("m", &chain(6));
        assert_eq!(cases.len() + skipped.len(), 4 * 4 * 3);
        // P = 2: all 12; P = 4: GPipe and 1F1B for 4 values of M.
        assert_eq!(cases.len(), 12 + 8);
        assert!(skipped.iter().all(|s| s.reason.contains("exceeds")));
        let inter = cases
            .iter()
            .find(|c| c.id == "m/P2/M4/interleaved(v=2)")
            .unwrap();
        assert_eq!(inter.problem.stages(), 4);
        assert_eq!(inter.problem.devices(), 2);
        assert_eq!(inter.problem.micro_batches(), 4);
    }

    #[test]
    fn random_suite_is_deterministic_and_sized() {
        let opts = RandomOptions {
            sizes: vec![4, 16],
            seeds: 2,
            ..RandomOptions::default()
        };
        let a = Suite::random(&opts);
        assert_eq!(a, Suite::random(&opts));
        // N = 4 rejects P = 8 for each family and seed.
        assert_eq!(a.cases.len() + a.skipped.len(), 4 * 2 * 2 * 3);
        assert_eq!(a.skipped.len(), 4 * 2);
        let ids: std::collections::BTreeSet<_> = a.cases.iter().map(|c| &c.id).collect();
        assert_eq!(ids.len(), a.cases.len(), "ids are unique");
    }

    #[test]
    fn seed_suite_has_every_debug_model_variant() {
        let s = Suite::seed().unwrap();
        assert_eq!(s.len(), 6 + 12);
        assert!(s.skipped.is_empty());
        for c in &s.cases {
            let p = &c.problem;
            assert_eq!(
                (p.stages(), p.micro_batches(), p.schedule()),
                (4, 32, Schedule::OneFOneB)
            );
            assert_eq!(p.chain().unit(), "s");
        }
        let case = |model: &str| s.cases.iter().find(|c| c.model == model).unwrap();
        let l12 = case("llama3-d2048-L12");
        assert_eq!(l12.problem.layers(), 12 + 3);
        assert_eq!(case("deepseek-v3-dense-d8192-L16").problem.layers(), 16 + 3);
        // Selective checkpointing: block 1 recomputes, block 0 does not.
        let layers = l12.problem.chain().layers();
        let ratio = |l: &pipecut_core::Layer| l.backward / l.forward;
        assert!(ratio(&layers[2]) > ratio(&layers[1]));
    }

    #[test]
    fn presets_suite_covers_every_preset_and_counts_rejections() {
        let grid = Grid {
            devices: vec![2, 16],
            micro_batches: MicroBatches::PerDevice(vec![1]),
            ..Grid::default()
        };
        let s = Suite::presets(&grid).unwrap();
        let presets = pipecut_cost::presets();
        assert_eq!(s.cases.len() + s.skipped.len(), presets.len() * 2 * 3);
        // The debug models (6 blocks + 3) cannot take 16 stages.
        let debug = s
            .skipped
            .iter()
            .filter(|c| c.id.starts_with("llama3-debug/"))
            .count();
        assert_eq!(debug, 3);
        assert!(matches!(
            Suite::by_name("nope", None, None),
            Err(HarnessError::UnknownSuite { .. })
        ));
        assert!(Suite::by_name("chains", None, None).is_err());
    }

    #[test]
    fn folder_suite_loads_sorted_chain_files() {
        let dir =
            std::env::temp_dir().join(format!("pipecut-harness-folder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("b.json"), chain(4).to_json()).unwrap();
        std::fs::write(dir.join("a.json"), chain(3).to_json()).unwrap();
        std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
        let grid = Grid::single(2, 4, Schedule::OneFOneB);
        let json = |p: &Path| Chain::from_json(&std::fs::read_to_string(p).unwrap());
        let suite = Suite::from_folder_with(&dir, &grid, json).unwrap();
        let ids: Vec<_> = suite.cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["a/P2/M4/1f1b", "b/P2/M4/1f1b"]);
        std::fs::write(dir.join("d.csv"), pipecut_cost::chain_to_csv(&chain(5))).unwrap();
        let both = Suite::from_folder(&dir, &grid).unwrap();
        let ids: Vec<_> = both.cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["a/P2/M4/1f1b", "b/P2/M4/1f1b", "d/P2/M4/1f1b"]);
        assert_eq!(both.cases[2].problem.layers(), 5);
        std::fs::write(dir.join("c.json"), "{").unwrap();
        let err = Suite::from_folder_with(&dir, &grid, json).unwrap_err();
        assert!(matches!(err, HarnessError::Chain { ref path, .. } if path.ends_with("c.json")));
        std::fs::remove_dir_all(&dir).unwrap();
        let empty = Suite::from_folder_with(&dir, &grid, json);
        assert!(matches!(empty, Err(HarnessError::Io { .. })));
    }
}
