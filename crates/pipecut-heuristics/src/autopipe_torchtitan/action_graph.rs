//! The original's timing graph: one node per lowered action (ranks in order,
//! each rank's list in order), edges for
//! - each rank's compute stream (`F`, `B`, `I`, `W` in list order) and,
//!   separately, its communication stream (every `SEND_*`/`RECV_*` in list
//!   order, so transfers on one rank never overlap);
//! - `SEND_F -> RECV_F`, `SEND_B -> RECV_B`, producer `-> SEND_*`;
//! - a forward after the previous stage's forward (same rank) or its
//!   `RECV_F`; a backward (`B`/`I`) after its own forward and after the next
//!   stage's backward (same rank) or its `RECV_B`; `W` after its `I`.
//!
//! Each node starts when its latest predecessor ends (ties: the lowest node
//! id is the critical predecessor); the iteration time is the latest end
//! (ties: lowest id), and one critical path is read back from there.

use super::compute_schedule::Shape;
use super::model::{Action, ActionIndex, ActionKind, ActionMap};
use crate::error::HeuristicError;

/// The graph of one lowered schedule; durations come per evaluation.
pub(crate) struct ActionGraph {
    /// Rank and action of each node.
    pub nodes: Vec<(usize, Action)>,
    /// Predecessors of each node (`pred_start[n]..pred_start[n + 1]` in `preds`).
    pred_start: Vec<usize>,
    preds: Vec<usize>,
    /// A topological order.
    order: Vec<usize>,
}

/// Start and end of every node and the critical predecessor of each.
pub(crate) struct Timing {
    pub start: Vec<f64>,
    pub end: Vec<f64>,
    pub critical_pred: Vec<Option<usize>>,
    /// The last node to finish.
    pub last: usize,
}

impl Timing {
    /// The critical path, first node first.
    pub(crate) fn critical_path(&self) -> Vec<usize> {
        let mut path = vec![self.last];
        while let Some(p) = self.critical_pred[*path.last().expect("non-empty")] {
            path.push(p);
        }
        path.reverse();
        path
    }
}

/// Per-stage durations of one candidate.
pub(crate) struct Durations {
    pub forward: Vec<f64>,
    pub backward: Vec<f64>,
    pub backward_input: Vec<f64>,
    pub backward_weight: Vec<f64>,
    /// One per stage boundary.
    pub communication: Vec<f64>,
}

impl Durations {
    pub(crate) fn of(&self, a: &Action) -> f64 {
        let s = a.stage;
        match a.kind {
            ActionKind::Forward => self.forward[s],
            ActionKind::FullBackward => self.backward[s],
            ActionKind::BackwardInput => self.backward_input[s],
            ActionKind::BackwardWeight => self.backward_weight[s],
            ActionKind::SendF => self.communication[s],
            ActionKind::SendB => self.communication[s - 1],
            ActionKind::RecvF | ActionKind::RecvB => 0.0,
        }
    }
}

/// Collects deduplicated edges.
struct Edges(Vec<Vec<usize>>);

impl Edges {
    fn add(&mut self, src: Option<usize>, dst: usize) {
        if let Some(src) = src {
            if src != dst && !self.0[dst].contains(&src) {
                self.0[dst].push(src);
            }
        }
    }
}

impl ActionGraph {
    /// Builds the graph of `lists` (the lowered schedule).
    pub(crate) fn new(shape: &Shape, lists: &[Vec<Action>]) -> Result<Self, HeuristicError> {
        let nodes: Vec<(usize, Action)> = lists
            .iter()
            .enumerate()
            .flat_map(|(rank, list)| list.iter().map(move |&a| (rank, a)))
            .collect();
        let mut id = ActionIndex::covering(shape.stages, nodes.iter().map(|(_, a)| a)).map();
        for (n, &(_, a)) in nodes.iter().enumerate() {
            id.insert(a, n);
        }
        let mut edges = Edges(vec![Vec::new(); nodes.len()]);
        stream_edges(&nodes, &mut edges);
        data_edges(shape, &nodes, &id, &mut edges);
        let mut pred_start = Vec::with_capacity(nodes.len() + 1);
        let mut preds = Vec::new();
        for p in &edges.0 {
            pred_start.push(preds.len());
            preds.extend_from_slice(p);
        }
        pred_start.push(preds.len());
        let order = topological_order(&edges.0)
            .ok_or_else(|| shape.error("the action graph has a cycle"))?;
        Ok(ActionGraph {
            nodes,
            pred_start,
            preds,
            order,
        })
    }

    fn preds_of(&self, n: usize) -> &[usize] {
        &self.preds[self.pred_start[n]..self.pred_start[n + 1]]
    }

    /// Longest-path timing with the original's tie-breaks.
    pub(crate) fn time(&self, d: &Durations) -> Timing {
        let n = self.nodes.len();
        let mut start = vec![0.0; n];
        let mut end = vec![0.0; n];
        let mut critical_pred = vec![None; n];
        for &node in &self.order {
            let mut best: Option<usize> = None;
            for &p in self.preds_of(node) {
                let better = match best {
                    None => true,
                    Some(b) => end[p] > end[b] || (end[p] == end[b] && p < b),
                };
                if better {
                    best = Some(p);
                }
            }
            if let Some(b) = best {
                start[node] = end[b];
            }
            critical_pred[node] = best;
            end[node] = start[node] + d.of(&self.nodes[node].1);
        }
        let mut last = 0;
        for k in 1..n {
            if end[k] > end[last] {
                last = k;
            }
        }
        Timing {
            start,
            end,
            critical_pred,
            last,
        }
    }
}

/// Compute and communication streams per rank, each in list order.
fn stream_edges(nodes: &[(usize, Action)], edges: &mut Edges) {
    let ranks = nodes.iter().map(|&(r, _)| r + 1).max().unwrap_or(0);
    let mut prev_compute: Vec<Option<usize>> = vec![None; ranks];
    let mut prev_comm: Vec<Option<usize>> = vec![None; ranks];
    for (n, &(rank, a)) in nodes.iter().enumerate() {
        let prev = if a.kind.is_compute() {
            &mut prev_compute[rank]
        } else {
            &mut prev_comm[rank]
        };
        edges.add(*prev, n);
        *prev = Some(n);
    }
}

/// Data dependencies between the nodes.
fn data_edges(shape: &Shape, nodes: &[(usize, Action)], id: &ActionMap, edges: &mut Edges) {
    let find = |stage: usize, kind, mb| id.get(&Action::new(stage, kind, mb));
    let same_rank = |a: usize, b: usize| shape.rank_of(a) == shape.rank_of(b);
    for (n, &(_, a)) in nodes.iter().enumerate() {
        let (s, mb) = (a.stage, a.microbatch);
        let gradient_from = |stage| {
            find(stage, ActionKind::BackwardInput, mb)
                .or_else(|| find(stage, ActionKind::FullBackward, mb))
        };
        match a.kind {
            ActionKind::RecvF => edges.add(
                s.checked_sub(1)
                    .and_then(|p| find(p, ActionKind::SendF, mb)),
                n,
            ),
            ActionKind::RecvB => edges.add(find(s + 1, ActionKind::SendB, mb), n),
            ActionKind::SendF => edges.add(find(s, ActionKind::Forward, mb), n),
            ActionKind::SendB => edges.add(gradient_from(s), n),
            ActionKind::Forward if s > 0 && same_rank(s - 1, s) => {
                edges.add(find(s - 1, ActionKind::Forward, mb), n)
            }
            ActionKind::Forward => edges.add(find(s, ActionKind::RecvF, mb), n),
            ActionKind::FullBackward | ActionKind::BackwardInput => {
                edges.add(find(s, ActionKind::Forward, mb), n);
                if s + 1 < shape.stages && same_rank(s + 1, s) {
                    edges.add(gradient_from(s + 1), n);
                } else {
                    edges.add(find(s, ActionKind::RecvB, mb), n);
                }
            }
            ActionKind::BackwardWeight => edges.add(find(s, ActionKind::BackwardInput, mb), n),
        }
    }
}

/// Kahn's algorithm; `None` on a cycle.
fn topological_order(preds: &[Vec<usize>]) -> Option<Vec<usize>> {
    let n = preds.len();
    let mut indegree: Vec<usize> = preds.iter().map(Vec::len).collect();
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (dst, p) in preds.iter().enumerate() {
        for &src in p {
            succs[src].push(dst);
        }
    }
    let mut order: Vec<usize> = (0..n).filter(|&k| indegree[k] == 0).collect();
    let mut head = 0;
    while head < order.len() {
        let node = order[head];
        head += 1;
        for &next in &succs[node] {
            indegree[next] -= 1;
            if indegree[next] == 0 {
                order.push(next);
            }
        }
    }
    (order.len() == n).then_some(order)
}
