//! The path integral of IG, `∫₀¹ ∇f(x' + α(x − x')) dα`, as a midpoint Riemann sum.
//!
//! `Uniform` is the textbook rule: m equal steps. It is what the paper uses, but this network
//! is far from smooth along the path from a zero baseline: layer norm makes the output depend
//! on the input's scale, so f changes fastest for α near 0 (the first 1 % of the path can move
//! a probability by 0.1), and ReLU channels switching on and off add kinks. There m = 64 equal
//! steps miss several per cent of `f(x) − f(x')` (measured: 7 % on the ECG map of a real beat).
//!
//! `Adaptive` starts from the same m equal steps and then splits, in rounds, the intervals whose
//! own completeness gap `|f(b) − f(a) − (b − a)·∇f(mid)·(x − x')|` is largest, until the whole
//! sum is within the tolerance or the step budget is spent. It is still a midpoint Riemann sum
//! of the same integral, on a partition refined where the path is steep (the gaps need f at the
//! interval ends: forward passes only, cheap beside the gradients). All outputs of one cycle
//! share its partition. Measured on real beats from the zero baseline: it brought 3 of 4 beats' class
//! maps within 0.2 % in ≤ 512 steps, but the 300×300 map only from 7.1 % to 4.6 % in 256
//! steps (20 min on this CPU) — there a smoother baseline (low-pass: < 0.6 % at 64 uniform
//! steps) is the practical answer, and every map reports its completeness either way.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::dsp::cycles::CYCLE_LEN;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Partition {
    Uniform,
    /// Refine until `Σ_j |Σ_i IG_j[i] − Δf_j| ≤ tolerance · Σ_j |Δf_j|` over the cycle's
    /// differentiated outputs (every ECG point; every class but the last, whose error is minus
    /// the sum of the others'), or until a cycle has used `max_steps` midpoints.
    Adaptive { tolerance: f64, max_steps: usize },
}

/// What the quadrature needs of the network on the straight paths of some cycles.
pub(crate) trait PathFunction {
    /// Width of an output vector (300 ECG points, or the class count).
    fn width(&self) -> usize;
    /// Gradients of job outputs at points on their cycle's path; `sink(sample, gradient[300])`
    /// in sample order.
    fn gradients(&self, samples: &[(usize, f64)], sink: &mut dyn FnMut(usize, &[f32]));
    /// Outputs at points `(cycle, α)`: `points × width`.
    fn outputs(&self, points: &[(usize, f64)]) -> Vec<f32>;
}

pub(crate) struct Integral {
    /// Per job, `Σ_k w_k ∇f(α_k)` with the interval widths `w_k` summing to 1: `jobs × 300`.
    pub mean_grad: Vec<f64>,
    /// Midpoints used per job.
    pub steps: Vec<usize>,
}

struct Interval {
    a: f64,
    b: f64,
    /// Gradient at the midpoint for each job of the cycle: `jobs_of_cycle × 300`.
    grad: Vec<f64>,
}

/// `jobs`: (cycle, output index); `deltas`: `x − x'` per cycle, `cycles × 300`.
pub(crate) fn integrate(f: &dyn PathFunction, jobs: &[(usize, usize)], deltas: &[f32], steps: usize, partition: Partition) -> Integral {
    let cycles = deltas.len() / CYCLE_LEN;
    let mut jobs_of: Vec<Vec<usize>> = vec![Vec::new(); cycles];
    for (j, &(c, _)) in jobs.iter().enumerate() {
        jobs_of[c].push(j);
    }
    let uniform = |c: usize| (0..steps).map(move |k| (c, k as f64 / steps as f64, (k + 1) as f64 / steps as f64));
    let mut pending: Vec<(usize, f64, f64)> = (0..cycles).filter(|&c| !jobs_of[c].is_empty()).flat_map(uniform).collect();
    let mut intervals: Vec<Vec<Interval>> = (0..cycles).map(|_| Vec::new()).collect();
    let mut known: HashMap<(usize, u64), Vec<f32>> = HashMap::new();
    let width = f.width();
    while !pending.is_empty() {
        evaluate_midpoints(f, jobs, &jobs_of, &pending, &mut intervals);
        let Partition::Adaptive { tolerance, max_steps } = partition else { break };
        let ends: Vec<(usize, f64)> = pending
            .iter()
            .flat_map(|&(c, a, b)| [(c, a), (c, b)])
            .map(|(c, alpha)| (c, alpha.to_bits()))
            .filter(|key| !known.contains_key(key))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|(c, bits)| (c, f64::from_bits(bits)))
            .collect();
        let values = f.outputs(&ends);
        for (k, &(c, alpha)) in ends.iter().enumerate() {
            known.insert((c, alpha.to_bits()), values[k * width..(k + 1) * width].to_vec());
        }
        pending.clear();
        for c in 0..cycles {
            let split = intervals_to_split(&intervals[c], &jobs_of[c], jobs, &deltas[c * CYCLE_LEN..(c + 1) * CYCLE_LEN], &known, c, tolerance, max_steps);
            for k in split.into_iter().rev() {
                let Interval { a, b, .. } = intervals[c].remove(k);
                let mid = 0.5 * (a + b);
                pending.extend([(c, a, mid), (c, mid, b)]);
            }
        }
    }
    let mut mean_grad = vec![0.0f64; jobs.len() * CYCLE_LEN];
    let mut used = vec![0usize; jobs.len()];
    for (c, list) in intervals.iter_mut().enumerate() {
        list.sort_by(|p, q| p.a.total_cmp(&q.a));
        for (n, &j) in jobs_of[c].iter().enumerate() {
            let acc = &mut mean_grad[j * CYCLE_LEN..(j + 1) * CYCLE_LEN];
            for iv in list.iter() {
                let w = iv.b - iv.a;
                for (s, &g) in acc.iter_mut().zip(&iv.grad[n * CYCLE_LEN..(n + 1) * CYCLE_LEN]) {
                    *s += w * g;
                }
            }
            used[j] = list.len();
        }
    }
    Integral { mean_grad, steps: used }
}

/// Gradients at the midpoints of `pending`, appended to the cycles' interval lists.
fn evaluate_midpoints(f: &dyn PathFunction, jobs: &[(usize, usize)], jobs_of: &[Vec<usize>], pending: &[(usize, f64, f64)], intervals: &mut [Vec<Interval>]) {
    let mut samples = Vec::new();
    let mut owner = Vec::new(); // sample -> (cycle, index in its interval list, job's rank in the cycle)
    for &(c, a, b) in pending {
        let slot = intervals[c].len();
        intervals[c].push(Interval { a, b, grad: vec![0.0; jobs_of[c].len() * CYCLE_LEN] });
        for (n, &j) in jobs_of[c].iter().enumerate() {
            debug_assert_eq!(jobs[j].0, c);
            samples.push((j, 0.5 * (a + b)));
            owner.push((c, slot, n));
        }
    }
    f.gradients(&samples, &mut |s, g| {
        let (c, slot, n) = owner[s];
        for (d, &v) in intervals[c][slot].grad[n * CYCLE_LEN..(n + 1) * CYCLE_LEN].iter_mut().zip(g) {
            *d = f64::from(v);
        }
    });
}

/// The intervals of one cycle to bisect next (indices, ascending); none once its completeness
/// error is within tolerance or its budget would be exceeded.
#[allow(clippy::too_many_arguments)]
fn intervals_to_split(list: &[Interval], jobs_of: &[usize], jobs: &[(usize, usize)], delta: &[f32], known: &HashMap<(usize, u64), Vec<f32>>, c: usize, tolerance: f64, max_steps: usize) -> Vec<usize> {
    if list.is_empty() {
        return Vec::new();
    }
    let value = |alpha: f64, job: usize| f64::from(known[&(c, alpha.to_bits())][jobs[job].1]);
    // Signed gap of every job on every interval.
    let gaps: Vec<Vec<f64>> = list
        .iter()
        .map(|iv| {
            jobs_of
                .iter()
                .enumerate()
                .map(|(n, &j)| {
                    let predicted: f64 = iv.grad[n * CYCLE_LEN..(n + 1) * CYCLE_LEN].iter().zip(delta).map(|(&g, &d)| g * f64::from(d)).sum::<f64>() * (iv.b - iv.a);
                    value(iv.b, j) - value(iv.a, j) - predicted
                })
                .collect()
        })
        .collect();
    let (lo, hi) = list.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), iv| (lo.min(iv.a), hi.max(iv.b)));
    let scale: f64 = jobs_of.iter().map(|&j| (value(hi, j) - value(lo, j)).abs()).sum();
    let error: f64 = (0..jobs_of.len()).map(|n| gaps.iter().map(|g| g[n]).sum::<f64>().abs()).sum();
    // A floor for outputs that barely move end to end (f32 arithmetic cannot do better).
    if error <= tolerance * scale + 1e-6 * jobs_of.len() as f64 {
        return Vec::new();
    }
    let size: Vec<f64> = gaps.iter().map(|g| g.iter().map(|v| v.abs()).sum()).collect();
    let worst = size.iter().copied().fold(0.0, f64::max);
    let budget = max_steps.saturating_sub(list.len());
    let mut order: Vec<usize> = (0..list.len()).filter(|&k| size[k] >= 0.25 * worst && size[k] > 0.0).collect();
    order.sort_by(|&p, &q| size[q].total_cmp(&size[p]));
    order.truncate(budget); // each split adds one midpoint net (two new, one dropped)
    order.sort_unstable();
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f(z) = Σ_i w_i tanh(k z_i)` on the path `z = α x` (zero baseline): steep near α = 0 like
    /// the network, with a known gradient `w_i k sech²(k α x_i)`.
    struct Steep {
        x: Vec<f32>,
        w: Vec<f64>,
        k: f64,
    }

    impl PathFunction for Steep {
        fn width(&self) -> usize {
            1
        }
        fn gradients(&self, samples: &[(usize, f64)], sink: &mut dyn FnMut(usize, &[f32])) {
            for (s, &(_, alpha)) in samples.iter().enumerate() {
                let g: Vec<f32> = self.x.iter().zip(&self.w).map(|(&x, &w)| (w * self.k / (self.k * alpha * f64::from(x)).cosh().powi(2)) as f32).collect();
                sink(s, &g);
            }
        }
        fn outputs(&self, points: &[(usize, f64)]) -> Vec<f32> {
            points.iter().map(|&(_, alpha)| self.x.iter().zip(&self.w).map(|(&x, &w)| w * (self.k * alpha * f64::from(x)).tanh()).sum::<f64>() as f32).collect()
        }
    }

    fn relative_error(f: &Steep, integral: &Integral) -> f64 {
        let attributed: f64 = integral.mean_grad.iter().zip(&f.x).map(|(g, &x)| g * f64::from(x)).sum();
        let exact = f64::from(f.outputs(&[(0, 1.0)])[0]) - f64::from(f.outputs(&[(0, 0.0)])[0]);
        (attributed - exact).abs() / exact.abs()
    }

    #[test]
    fn adaptive_refinement_reaches_the_tolerance_where_uniform_steps_do_not() {
        let x: Vec<f32> = (0..CYCLE_LEN).map(|i| 0.1 + (i as f32 / CYCLE_LEN as f32)).collect();
        let w: Vec<f64> = (0..CYCLE_LEN).map(|i| if i % 3 == 0 { -0.5 } else { 1.0 }).collect();
        let f = Steep { x: x.clone(), w, k: 200.0 };
        let uniform = integrate(&f, &[(0, 0)], &x, 16, Partition::Uniform);
        assert_eq!(uniform.steps, [16]);
        let coarse = relative_error(&f, &uniform);
        assert!(coarse > 0.05, "uniform 16 steps already exact: {coarse}");
        let adaptive = integrate(&f, &[(0, 0)], &x, 16, Partition::Adaptive { tolerance: 1e-3, max_steps: 400 });
        let fine = relative_error(&f, &adaptive);
        assert!(fine <= 1e-3, "adaptive: {fine} with {:?} steps", adaptive.steps);
        assert!(adaptive.steps[0] > 16 && adaptive.steps[0] < 400, "{:?}", adaptive.steps);
        // The partition's widths sum to one: a smooth (linear) f is integrated exactly by both.
        let linear = Steep { x: x.clone(), w: vec![1.0; CYCLE_LEN], k: 1e-3 };
        for p in [Partition::Uniform, Partition::Adaptive { tolerance: 1e-3, max_steps: 400 }] {
            assert!(relative_error(&linear, &integrate(&linear, &[(0, 0)], &x, 16, p)) < 1e-5);
        }
    }
}
