//! Integrated Gradients (Sundararajan, Taly & Yan 2017, "Axiomatic attribution for deep
//! networks", ICML), as the paper applies it (section IV-C, `../shared/design/network.md`):
//! `IG_j[i] = (x[i] − x'[i]) · (1/m) Σ_k ∂f_j(x' + α_k (x − x'))/∂x[i]`, midpoint rule
//! `α_k = (k + ½)/m`, for every generated-ECG point j (the 300×300 map) and every class
//! probability (a 300-vector per class).
//!
//! All rows come from one backward pass per chunk: the m scaled inputs are replicated once per
//! output index, each replica's loss selects its own output, and since the network treats
//! samples independently (layer norm is per sample, nothing mixes the batch) the gradient of
//! the summed loss with respect to replica r is the gradient of replica r's output alone.
//! Chunks bound memory; the per-step gradients are summed on the host in a fixed order, so
//! results agree across chunk sizes to rounding (the batched kernels' last bits).

use burn::prelude::*;
use burn::tensor::activation::softmax;
use serde::{Deserialize, Serialize};

use super::baseline::{Baseline, BaselineError};
use super::quadrature::{Partition, PathFunction, integrate};
use crate::dsp::cycles::CYCLE_LEN;
use crate::model::Network;
use crate::model::infer::{predict_cycles, predict_in_batches};

/// The paper's and Captum's default number of Riemann steps.
pub const DEFAULT_STEPS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IgSettings {
    pub baseline: Baseline,
    /// Riemann steps m (midpoint rule): the uniform partition, and where adaptive refinement
    /// starts.
    pub steps: usize,
    pub partition: Partition,
    /// Network evaluations per forward/backward pass. Bounds memory: the autodiff tape of one
    /// evaluation of the full network holds about 1.5 MB.
    pub chunk_samples: usize,
}

impl Default for IgSettings {
    fn default() -> Self {
        Self { baseline: Baseline::Zero, steps: DEFAULT_STEPS, partition: Partition::Uniform, chunk_samples: 512 }
    }
}

impl IgSettings {
    /// "baseline zero, 64 steps (midpoint)": what every map is printed with.
    pub fn describe(&self) -> String {
        match self.partition {
            Partition::Uniform => format!("baseline {}, {} steps (midpoint rule)", self.baseline.describe(), self.steps),
            Partition::Adaptive { tolerance, max_steps } => format!(
                "baseline {}, {} steps refined to completeness within {} % or {max_steps} steps (adaptive midpoint rule)",
                self.baseline.describe(),
                self.steps,
                100.0 * tolerance
            ),
        }
    }
}

/// How far the attributions of one output fall short of the IG completeness axiom
/// `Σ_i IG_j[i] = f_j(x) − f_j(x')` (the Riemann sum's error).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Completeness {
    /// `max_j |Σ_i IG_j[i] − (f_j(x) − f_j(x'))|` over the map's outputs.
    pub max_abs_error: f64,
    /// `Σ_j |error_j| / Σ_j |f_j(x) − f_j(x')|`: the error relative to what the attributions
    /// explain; 0 when no output moves.
    pub relative_error: f64,
}

impl Completeness {
    /// From (Σ_i IG_j[i], f_j(x) − f_j(x')) per output j.
    pub fn of(pairs: impl IntoIterator<Item = (f64, f64)>) -> Self {
        let (mut max_abs, mut err_sum, mut delta_sum) = (0.0f64, 0.0, 0.0);
        for (attributed, delta) in pairs {
            let err = (attributed - delta).abs();
            max_abs = max_abs.max(err);
            err_sum += err;
            delta_sum += delta.abs();
        }
        let relative_error = if delta_sum > 0.0 { err_sum / delta_sum } else { 0.0 };
        Self { max_abs_error: max_abs, relative_error }
    }
}

/// The 300×300 map of one beat (paper Fig. 4).
#[derive(Debug, Clone)]
pub struct EcgMap {
    /// [300 ECG points (rows) × 300 PPG points (columns)], row-major: `attributions[j * 300 + i]`
    /// is PPG point i's share of GENERATED-ECG point j.
    pub attributions: Vec<f32>,
    pub settings: IgSettings,
    /// Midpoints in the Riemann sum (more than `settings.steps` where refined).
    pub steps_used: usize,
    /// [300]
    pub baseline: Vec<f32>,
    /// f(x), [300]: the generated ECG the map explains.
    pub generated_ecg: Vec<f32>,
    /// f(x'), [300]
    pub baseline_ecg: Vec<f32>,
    pub completeness: Completeness,
}

impl EcgMap {
    pub fn row(&self, ecg_point: usize) -> &[f32] {
        &self.attributions[ecg_point * CYCLE_LEN..(ecg_point + 1) * CYCLE_LEN]
    }
}

/// The per-class maps of one beat (paper Fig. 5).
#[derive(Debug, Clone)]
pub struct ClassMaps {
    /// [classes × 300 PPG points], row-major, in the model's class order.
    pub attributions: Vec<f32>,
    pub settings: IgSettings,
    pub steps_used: usize,
    /// [classes]
    pub probabilities: Vec<f32>,
    /// [classes]
    pub baseline_probabilities: Vec<f32>,
    /// One per class.
    pub completeness: Vec<Completeness>,
}

impl ClassMaps {
    pub fn class(&self, class: usize) -> &[f32] {
        &self.attributions[class * CYCLE_LEN..(class + 1) * CYCLE_LEN]
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExplainError {
    #[error("cycles must be {CYCLE_LEN} samples each; got {0} values")]
    BadCycleLength(usize),
    #[error("cycle {cycle} has a non-finite sample")]
    NonFinite { cycle: usize },
    #[error("IG needs at least one Riemann step, one sample per chunk and a positive finite tolerance")]
    BadSettings,
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    #[error("beat {0} is not in the recording")]
    NoSuchBeat(usize),
    #[error("could not start the attribution worker thread: {0}")]
    Worker(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    Ecg,
    Probability,
}

/// IG over one network on one device (CPU or GPU). Cloning shares the weights.
#[derive(Clone)]
pub struct Explainer {
    /// On the autodiff device, parameters frozen: only input gradients are computed.
    tracked: Network,
    /// The same weights on the plain device, for f(x) and f(x').
    plain: Network,
    device: Device,
    autodiff: Device,
    classes: usize,
    settings: IgSettings,
}

impl Explainer {
    pub fn new(net: &Network, device: &Device, settings: IgSettings) -> Result<Self, ExplainError> {
        let bad_partition = matches!(settings.partition, Partition::Adaptive { tolerance, .. } if !(tolerance.is_finite() && tolerance > 0.0));
        if settings.steps == 0 || settings.chunk_samples == 0 || bad_partition {
            return Err(ExplainError::BadSettings);
        }
        let autodiff = device.clone().autodiff();
        let plain = net.clone().fork(device);
        let classes = plain.forward(Tensor::zeros([1, CYCLE_LEN], device)).logits.dims()[1];
        Ok(Self { tracked: net.clone().fork(&autodiff).no_grad(), plain, device: device.clone(), autodiff, classes, settings })
    }

    pub fn settings(&self) -> IgSettings {
        self.settings
    }

    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The 300×300 GENERATED-ECG map of one cycle: 300 × m network evaluations.
    pub fn ecg_map(&self, cycle: &[f32]) -> Result<EcgMap, ExplainError> {
        check_cycles(cycle)?;
        let baseline = self.settings.baseline.of(cycle)?;
        let jobs: Vec<(usize, usize)> = (0..CYCLE_LEN).map(|j| (0, j)).collect();
        let integral = self.path_integral(cycle, &baseline, &jobs, Output::Ecg);
        let attributions = scale_by_delta(&integral.mean_grad, cycle, &baseline, &jobs);
        let ends = predict_cycles(&self.plain, &[cycle, baseline.as_slice()].concat(), &self.device);
        let (generated_ecg, baseline_ecg) = (ends.ecg[..CYCLE_LEN].to_vec(), ends.ecg[CYCLE_LEN..].to_vec());
        let completeness = Completeness::of((0..CYCLE_LEN).map(|j| {
            let attributed: f64 = attributions[j * CYCLE_LEN..(j + 1) * CYCLE_LEN].iter().map(|&v| f64::from(v)).sum();
            (attributed, f64::from(generated_ecg[j]) - f64::from(baseline_ecg[j]))
        }));
        Ok(EcgMap { attributions, settings: self.settings, steps_used: integral.steps[0], baseline, generated_ecg, baseline_ecg, completeness })
    }

    /// The per-class maps of many cycles (row-major, n × 300), batched together.
    ///
    /// Probabilities sum to one everywhere on the path, so their gradients sum to zero: the
    /// last class's attributions are minus the sum of the others' — exact, and one class fewer
    /// to differentiate (half the work with two classes).
    pub fn class_maps(&self, cycles: &[f32]) -> Result<Vec<ClassMaps>, ExplainError> {
        check_cycles(cycles)?;
        let n = cycles.len() / CYCLE_LEN;
        let mut baselines = Vec::with_capacity(cycles.len());
        for cycle in cycles.chunks_exact(CYCLE_LEN) {
            baselines.extend(self.settings.baseline.of(cycle)?);
        }
        let differentiated = self.classes.saturating_sub(1).max(1).min(self.classes);
        let jobs: Vec<(usize, usize)> = (0..n).flat_map(|b| (0..differentiated).map(move |c| (b, c))).collect();
        let integral = self.path_integral(cycles, &baselines, &jobs, Output::Probability);
        let attributed = scale_by_delta(&integral.mean_grad, cycles, &baselines, &jobs);
        let (at_input, at_baseline) = (self.probabilities(cycles), self.probabilities(&baselines));
        let k = self.classes;
        Ok((0..n)
            .map(|b| {
                let mut attributions = attributed[b * differentiated * CYCLE_LEN..(b + 1) * differentiated * CYCLE_LEN].to_vec();
                if differentiated < k {
                    let last: Vec<f32> = (0..CYCLE_LEN).map(|i| -(0..differentiated).map(|c| attributions[c * CYCLE_LEN + i]).sum::<f32>()).collect();
                    attributions.extend(last);
                }
                let probabilities = at_input[b * k..(b + 1) * k].to_vec();
                let baseline_probabilities = at_baseline[b * k..(b + 1) * k].to_vec();
                let completeness = (0..k)
                    .map(|c| {
                        let sum: f64 = attributions[c * CYCLE_LEN..(c + 1) * CYCLE_LEN].iter().map(|&v| f64::from(v)).sum();
                        Completeness::of([(sum, f64::from(probabilities[c]) - f64::from(baseline_probabilities[c]))])
                    })
                    .collect();
                ClassMaps { attributions, settings: self.settings, steps_used: integral.steps[b * differentiated], probabilities, baseline_probabilities, completeness }
            })
            .collect())
    }

    /// Class probabilities of many cycles, `chunk_samples` at a time.
    fn probabilities(&self, cycles: &[f32]) -> Vec<f32> {
        predict_in_batches(&self.plain, cycles, &self.device, self.settings.chunk_samples).probs
    }

    fn path_integral(&self, inputs: &[f32], baselines: &[f32], jobs: &[(usize, usize)], output: Output) -> super::quadrature::Integral {
        let deltas: Vec<f32> = inputs.iter().zip(baselines).map(|(&x, &x0)| x - x0).collect();
        let path = OnPath { explainer: self, inputs, baselines, jobs, output };
        integrate(&path, jobs, &deltas, self.settings.steps, self.settings.partition)
    }
}

/// The network on the straight paths from the baselines to the inputs.
struct OnPath<'a> {
    explainer: &'a Explainer,
    inputs: &'a [f32],
    baselines: &'a [f32],
    jobs: &'a [(usize, usize)],
    output: Output,
}

impl OnPath<'_> {
    fn point(&self, cycle: usize, alpha: f64, into: &mut Vec<f32>) {
        let x = &self.inputs[cycle * CYCLE_LEN..(cycle + 1) * CYCLE_LEN];
        let x0 = &self.baselines[cycle * CYCLE_LEN..(cycle + 1) * CYCLE_LEN];
        into.extend(x.iter().zip(x0).map(|(&v, &v0)| (f64::from(v0) + alpha * (f64::from(v) - f64::from(v0))) as f32));
    }
}

impl PathFunction for OnPath<'_> {
    fn width(&self) -> usize {
        match self.output {
            Output::Ecg => CYCLE_LEN,
            Output::Probability => self.explainer.classes,
        }
    }

    /// One replica per sample, each selecting its own output; one backward pass per chunk.
    fn gradients(&self, samples: &[(usize, f64)], sink: &mut dyn FnMut(usize, &[f32])) {
        let (ex, width) = (self.explainer, self.width());
        for (c, chunk) in samples.chunks(ex.settings.chunk_samples).enumerate() {
            let rows = chunk.len();
            let mut path = Vec::with_capacity(rows * CYCLE_LEN);
            let mut select = vec![0.0f32; rows * width];
            for (r, &(job, alpha)) in chunk.iter().enumerate() {
                let (cycle, target) = self.jobs[job];
                self.point(cycle, alpha, &mut path);
                select[r * width + target] = 1.0;
            }
            let x = Tensor::<2>::from_data(TensorData::new(path, [rows, CYCLE_LEN]), &ex.autodiff).require_grad(); // [rows, 300]
            let select = Tensor::<2>::from_data(TensorData::new(select, [rows, width]), &ex.autodiff); // [rows, width]
            let y = match self.output {
                Output::Ecg => ex.tracked.forward_ecg(x.clone()),                         // [rows, 300]
                Output::Probability => softmax(ex.tracked.forward(x.clone()).logits, 1), // [rows, classes]
            };
            let grads = (y * select).sum().backward();
            let g = x.grad(&grads).expect("the path input is tracked").into_data().try_into_vec::<f32>().expect("f32 gradient"); // [rows, 300]
            for r in 0..rows {
                sink(c * ex.settings.chunk_samples + r, &g[r * CYCLE_LEN..(r + 1) * CYCLE_LEN]);
            }
        }
    }

    fn outputs(&self, points: &[(usize, f64)]) -> Vec<f32> {
        let ex = self.explainer;
        let mut out = Vec::with_capacity(points.len() * self.width());
        for chunk in points.chunks(ex.settings.chunk_samples) {
            let mut x = Vec::with_capacity(chunk.len() * CYCLE_LEN);
            for &(cycle, alpha) in chunk {
                self.point(cycle, alpha, &mut x);
            }
            let p = predict_cycles(&ex.plain, &x, &ex.device);
            out.extend(match self.output {
                Output::Ecg => p.ecg,
                Output::Probability => p.probs,
            });
        }
        out
    }
}

/// `(x − x') ⊙ mean gradient`, one 300-row per job.
fn scale_by_delta(mean_grad: &[f64], inputs: &[f32], baselines: &[f32], jobs: &[(usize, usize)]) -> Vec<f32> {
    let mut out = Vec::with_capacity(mean_grad.len());
    for (j, &(cycle, _)) in jobs.iter().enumerate() {
        let x = &inputs[cycle * CYCLE_LEN..(cycle + 1) * CYCLE_LEN];
        let x0 = &baselines[cycle * CYCLE_LEN..(cycle + 1) * CYCLE_LEN];
        let g = &mean_grad[j * CYCLE_LEN..(j + 1) * CYCLE_LEN];
        out.extend((0..CYCLE_LEN).map(|i| ((f64::from(x[i]) - f64::from(x0[i])) * g[i]) as f32));
    }
    out
}

fn check_cycles(cycles: &[f32]) -> Result<(), ExplainError> {
    if cycles.is_empty() || !cycles.len().is_multiple_of(CYCLE_LEN) {
        return Err(ExplainError::BadCycleLength(cycles.len()));
    }
    match cycles.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(ExplainError::NonFinite { cycle: i / CYCLE_LEN }),
        None => Ok(()),
    }
}
