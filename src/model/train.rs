//! Training (section III-C and Appendix A of the paper): loss (eq. 7)
//! `‖Ê − E‖² + λ_D·CE(p, l) + λ_S·L_S`, with L_S the group sparsity of F* and F1 (eq. 6), Adam.
//! The class term is masked for unlabelled cycles (BIDMC) and the ECG term for records whose
//! ECG is not lead II.

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::data::CycleSet;
use super::network::{Network, NetworkOutput, Variant};
use crate::dsp::cycles::CYCLE_LEN;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    pub variant: Variant,
    pub epochs: usize,
    /// The learning rate drops from `lr_initial` to `lr_final` after this many epochs.
    pub lr_switch_epoch: usize,
    pub lr_initial: f64,
    pub lr_final: f64,
    pub batch_size: usize,
    pub lambda_d: f32,
    pub lambda_s: f32,
    pub seed: u64,
}

impl TrainConfig {
    /// The paper's schedule: 40 epochs, 5e-4 then 1e-4 after 20, batch 10, λ_D 0.1, λ_S 5e-6.
    pub fn paper(variant: Variant) -> Self {
        Self { variant, epochs: 40, lr_switch_epoch: 20, lr_initial: 5e-4, lr_final: 1e-4, batch_size: 10, lambda_d: 0.1, lambda_s: 5e-6, seed: 2026 }
    }
}

/// One batch on a device: inputs and masks.
pub struct Batch {
    pub ppg: Tensor<2>,           // [batch, 300]
    pub ecg: Tensor<2>,           // [batch, 300]
    pub ecg_weight: Tensor<1>,    // [batch]
    pub class: Tensor<1, Int>,    // [batch], 0 where unlabelled
    pub class_weight: Tensor<1>,  // [batch], 0 where unlabelled
}

impl Batch {
    pub fn new(set: &CycleSet, indices: &[usize], device: &Device) -> Self {
        let n = indices.len();
        let mut ppg = Vec::with_capacity(n * CYCLE_LEN);
        let mut ecg = Vec::with_capacity(n * CYCLE_LEN);
        for &i in indices {
            ppg.extend_from_slice(set.ppg_row(i));
            ecg.extend_from_slice(set.ecg_row(i));
        }
        let class: Vec<i64> = indices.iter().map(|&i| set.class[i].max(0) as i64).collect();
        let class_weight: Vec<f32> = indices.iter().map(|&i| if set.class[i] >= 0 { 1.0 } else { 0.0 }).collect();
        let ecg_weight: Vec<f32> = indices.iter().map(|&i| set.ecg_weight[i]).collect();
        Self {
            ppg: Tensor::from_data(TensorData::new(ppg, [n, CYCLE_LEN]), device),
            ecg: Tensor::from_data(TensorData::new(ecg, [n, CYCLE_LEN]), device),
            ecg_weight: Tensor::from_data(TensorData::new(ecg_weight, [n]), device),
            class: Tensor::from_data(TensorData::new(class, [n]), device),
            class_weight: Tensor::from_data(TensorData::new(class_weight, [n]), device),
        }
    }
}

/// The loss terms of a batch, each averaged over the examples it applies to.
pub struct LossTerms {
    pub total: Tensor<1>,
    pub ecg: Tensor<1>,
    pub class: Tensor<1>,
    pub sparsity: Tensor<1>,
}

pub fn loss(out: &NetworkOutput, batch: &Batch, cfg: &TrainConfig) -> LossTerms {
    let [n, _] = out.ecg.dims();
    // ‖Ê − E‖² per cycle, over the cycles that have a lead-II ECG.
    let sq = (out.ecg.clone() - batch.ecg.clone()).square().sum_dim(1).reshape([n]); // [batch]
    let ecg = (sq * batch.ecg_weight.clone()).sum() / batch.ecg_weight.clone().sum().clamp_min(1.0);
    let logp = log_softmax(out.logits.clone(), 1); // [batch, N]
    let picked = logp.gather(1, batch.class.clone().reshape([n, 1])).reshape([n]);
    let class = -(picked * batch.class_weight.clone()).sum() / batch.class_weight.clone().sum().clamp_min(1.0);
    let sparsity = (group_sparsity(out.f_star.clone()) + group_sparsity(out.f1.clone())).mean();
    let total = ecg.clone() + class.clone().mul_scalar(cfg.lambda_d) + sparsity.clone().mul_scalar(cfg.lambda_s);
    LossTerms { total, ecg, class, sparsity }
}

/// Σ_i ‖F[i,:]‖₂ + Σ_j ‖F[:,j]‖₂ per example (eq. 6). [batch, C, V] -> [batch]
fn group_sparsity(f: Tensor<3>) -> Tensor<1> {
    let [n, _, _] = f.dims();
    let sq = f.square();
    // The epsilon keeps the gradient of ‖·‖ finite on an all-zero group.
    let rows = sq.clone().sum_dim(2).add_scalar(1e-12).sqrt().sum_dim(1).reshape([n]);
    let cols = sq.sum_dim(1).add_scalar(1e-12).sqrt().sum_dim(2).reshape([n]);
    rows + cols
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct EpochLog {
    pub epoch: usize,
    pub lr: f64,
    pub train_loss: f64,
    pub train_ecg: f64,
    pub train_class: f64,
    pub monitor_ecg: Option<f64>,
    pub monitor_class: Option<f64>,
    pub secs: f64,
}

/// Trains from `init` (or a fresh network) on `train`; `monitor` is only reported each epoch,
/// never used to choose anything: the last epoch's weights are the result.
pub fn train(
    cfg: &TrainConfig,
    classes: usize,
    train: &CycleSet,
    monitor: Option<&CycleSet>,
    init: Option<Network>,
    device: &Device,
    mut progress: impl FnMut(&EpochLog),
) -> (Network, Vec<EpochLog>) {
    let device = device.clone().autodiff();
    device.seed(cfg.seed);
    let mut net = match init {
        // A network built or loaded on a plain device gets its own autodiff graph here.
        Some(n) => n.fork(&device).train(),
        None => Network::new(cfg.variant, classes, &device),
    };
    let mut optim = AdamConfig::new().with_beta_1(0.9).with_beta_2(0.999).with_epsilon(1e-8).init();
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut logs = Vec::new();
    for epoch in 0..cfg.epochs {
        let started = std::time::Instant::now();
        let lr = if epoch < cfg.lr_switch_epoch { cfg.lr_initial } else { cfg.lr_final };
        order.shuffle(&mut rng);
        let (mut sum, mut sum_ecg, mut sum_class, mut batches) = (0.0, 0.0, 0.0, 0usize);
        for chunk in order.chunks(cfg.batch_size) {
            let batch = Batch::new(train, chunk, &device);
            let out = net.forward(batch.ppg.clone());
            let terms = loss(&out, &batch, cfg);
            sum += terms.total.clone().into_scalar::<f32>() as f64;
            sum_ecg += terms.ecg.into_scalar::<f32>() as f64;
            sum_class += terms.class.into_scalar::<f32>() as f64;
            batches += 1;
            let grads = GradientsParams::from_grads(terms.total.backward(), &net);
            net = optim.step(lr, net, grads);
        }
        let mut log = EpochLog {
            epoch: epoch + 1,
            lr,
            train_loss: sum / batches.max(1) as f64,
            train_ecg: sum_ecg / batches.max(1) as f64,
            train_class: sum_class / batches.max(1) as f64,
            ..Default::default()
        };
        if let Some(m) = monitor.filter(|m| !m.is_empty()) {
            let (e, c) = mean_losses(&net.valid(), m, cfg, &device.clone().without_autodiff());
            log.monitor_ecg = Some(e);
            log.monitor_class = Some(c);
        }
        log.secs = started.elapsed().as_secs_f64();
        progress(&log);
        logs.push(log);
    }
    (net.valid(), logs)
}

/// Mean ECG and class loss terms over a set, without gradients: each term averaged over the
/// cycles it applies to (lead-II ECG; labelled record), as in training.
pub fn mean_losses(net: &Network, set: &CycleSet, cfg: &TrainConfig, device: &Device) -> (f64, f64) {
    let idx: Vec<usize> = (0..set.len()).collect();
    let (mut e, mut ne, mut c, mut nc) = (0.0, 0.0, 0.0, 0.0);
    for chunk in idx.chunks(256) {
        let batch = Batch::new(set, chunk, device);
        let out = net.forward(batch.ppg.clone());
        let terms = loss(&out, &batch, cfg);
        let we: f64 = chunk.iter().map(|&i| f64::from(set.ecg_weight[i])).sum();
        let wc = chunk.iter().filter(|&&i| set.class[i] >= 0).count() as f64;
        e += terms.ecg.into_scalar::<f32>() as f64 * we;
        c += terms.class.into_scalar::<f32>() as f64 * wc;
        ne += we;
        nc += wc;
    }
    (e / ne.max(1.0), c / nc.max(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_cycles(class: [i32; 2], ecg_weight: [f32; 2]) -> CycleSet {
        CycleSet {
            ppg: vec![0.5; 2 * CYCLE_LEN],
            ecg: (0..2 * CYCLE_LEN).map(|i| (i % 7) as f32 / 7.0).collect(),
            class: class.to_vec(),
            ecg_weight: ecg_weight.to_vec(),
            record: vec![0, 0],
            beat: vec![0, 1],
            records: Vec::new(),
        }
    }

    fn output(ecg: Vec<f32>, logits: Vec<f32>, device: &Device) -> NetworkOutput {
        NetworkOutput {
            ecg: Tensor::from_data(TensorData::new(ecg, [2, CYCLE_LEN]), device),
            logits: Tensor::from_data(TensorData::new(logits, [2, 2]), device),
            f1: Tensor::zeros([2, 3, 5], device),
            f_star: Tensor::zeros([2, 3, 5], device),
        }
    }

    #[test]
    fn unlabelled_and_non_lead_ii_cycles_do_not_reach_their_terms() {
        let device = Device::flex();
        let cfg = TrainConfig::paper(Variant::Full);
        // Cycle 0: labelled AF (class 0), lead II. Cycle 1: unlabelled, ECG not lead II.
        let set = two_cycles([0, -1], [1.0, 0.0]);
        let batch = Batch::new(&set, &[0, 1], &device);
        let scalar = |t: Tensor<1>| t.into_scalar::<f32>();
        let base = loss(&output(vec![0.0; 2 * CYCLE_LEN], vec![2.0, 0.0, 0.0, 0.0], &device), &batch, &cfg);
        // Anything the second cycle outputs changes neither term.
        let mut ecg = vec![0.0; 2 * CYCLE_LEN];
        ecg[CYCLE_LEN..].fill(9.0);
        let moved = loss(&output(ecg, vec![2.0, 0.0, -5.0, 5.0], &device), &batch, &cfg);
        assert_eq!(scalar(base.ecg.clone()), scalar(moved.ecg));
        assert_eq!(scalar(base.class.clone()), scalar(moved.class));
        // Each term is the first cycle's own value: Σ E² and −log softmax(2, 0)[0].
        let sse: f32 = set.ecg_row(0).iter().map(|e| e * e).sum();
        assert!((scalar(base.ecg) - sse).abs() < 1e-3 * sse);
        let ce = (1.0 + (-2.0f32).exp()).ln();
        assert!((scalar(base.class) - ce).abs() < 1e-6);
        // Eq. 6 on all-zero maps leaves only the epsilons: (3 rows + 5 columns) × 1e-6, for F* and F1.
        assert!((scalar(base.sparsity) - 2.0 * (3.0 + 5.0) * 1e-6).abs() < 1e-9);
    }
}
