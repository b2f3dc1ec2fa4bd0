//! The multi-task network: one 300-sample PPG cycle in, the 300-sample ECG cycle and class
//! logits out (Table VII of the paper, `../shared/design/network.md`).

use burn::module::Param;
use burn::nn::conv::{ConvTranspose1d, ConvTranspose1dConfig};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::blocks::{AttentionGate, ChannelGate, Classifier, ConvNorm, Fem, Ftm};
use crate::dsp::cycles::CYCLE_LEN;

/// Kernel of the first convolution and of the ECG head: 300 → 271 → … → 271 → 300.
const END_KERNEL: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// Table VII: two cascaded FEMs (kernels 15, 5) and FTMs (5, 15), 60 channels.
    Full,
    /// Section III-E: one FEM and one FTM (kernel 10) each applied twice, and 30 channels —
    /// the first convolution and the ECG head keep the most significant half of their kernels.
    Lightweight,
}

impl Variant {
    pub fn channels(self) -> usize {
        match self {
            Variant::Full => 60,
            Variant::Lightweight => 30,
        }
    }
}

/// What the network returns for a batch.
pub struct NetworkOutput {
    /// [batch, 300], the generated ECG cycle (same scale as the normalised training ECG).
    pub ecg: Tensor<2>,
    /// [batch, N]
    pub logits: Tensor<2>,
    /// [batch, C, 271], the first convolution's feature map (regularised by eq. 6).
    pub f1: Tensor<3>,
    /// [batch, C, 271], the fused feature map F* (regularised by eq. 6).
    pub f_star: Tensor<3>,
}

#[derive(Module, Debug)]
pub struct Network {
    conv0: ConvNorm,
    encoder: Vec<Fem>,
    decoder: Vec<Ftm>,
    /// 1 for the cascaded modules, 2 for the recursive ones.
    passes: usize,
    gate: AttentionGate,
    head: ConvTranspose1d,
    channel_gate: ChannelGate,
    classifier: Classifier,
}

impl Network {
    pub fn new(variant: Variant, classes: usize, device: &Device) -> Self {
        let c = variant.channels();
        let (encoder, decoder, passes) = match variant {
            Variant::Full => (
                vec![Fem::new(c, 15, device), Fem::new(c, 5, device)],
                vec![Ftm::new(c, 5, device), Ftm::new(c, 15, device)],
                1,
            ),
            Variant::Lightweight => (vec![Fem::new(c, 10, device)], vec![Ftm::new(c, 10, device)], 2),
        };
        Self {
            conv0: ConvNorm::new(1, c, END_KERNEL, 1, false, device),
            encoder,
            decoder,
            passes,
            gate: AttentionGate::new(c, device),
            head: ConvTranspose1dConfig::new([c, 1], END_KERNEL).init(device),
            channel_gate: ChannelGate::new(c, device),
            classifier: Classifier::new(c, classes, device),
        }
    }

    // ppg: [batch, 300]
    pub fn forward(&self, ppg: Tensor<2>) -> NetworkOutput {
        let [batch, len] = ppg.dims();
        let (f1, f_star) = self.trunk(ppg);
        let ecg = self.head.forward(f_star.clone()).reshape([batch, len]); // [batch, 300]
        let w = self.channel_gate.weights(f_star.clone()); // [batch, C]
        let [_, c, v] = f_star.dims();
        let weighted = f_star.clone() * w.reshape([batch, c, 1]).expand([batch, c, v]);
        let logits = self.classifier.forward(weighted); // [batch, N]
        NetworkOutput { ecg, logits, f1, f_star }
    }

    /// The ECG branch alone (the diagnosis branch does not feed it): what the ECG attribution
    /// map differentiates, without paying for the classifier.
    // ppg: [batch, 300] -> [batch, 300]
    pub fn forward_ecg(&self, ppg: Tensor<2>) -> Tensor<2> {
        let [batch, len] = ppg.dims();
        let (_, f_star) = self.trunk(ppg);
        self.head.forward(f_star).reshape([batch, len])
    }

    // ppg: [batch, 300] -> (F1, F*): ([batch, C, 271], [batch, C, 271])
    fn trunk(&self, ppg: Tensor<2>) -> (Tensor<3>, Tensor<3>) {
        let [batch, len] = ppg.dims();
        assert_eq!(len, CYCLE_LEN, "the network takes cycles of {CYCLE_LEN} samples");
        let f1 = self.conv0.forward(ppg.reshape([batch, 1, len])); // [batch, C, 271]
        let x = self.encode_decode(f1.clone());
        let f_star = self.gate.forward(f1.clone(), x); // [batch, C, 271]
        (f1, f_star)
    }

    // F1: [batch, C, 271] -> FT: [batch, C, 271]
    fn encode_decode(&self, f1: Tensor<3>) -> Tensor<3> {
        let mut x = f1;
        for fem in &self.encoder {
            for _ in 0..self.passes {
                x = fem.forward(x); // full: [batch, C, 257] then [batch, C, 253]
            }
        }
        for ftm in &self.decoder {
            for _ in 0..self.passes {
                x = ftm.forward(x); // full: [batch, C, 257] then [batch, C, 271]
            }
        }
        x
    }

    /// Kernel significance for pruning (section III-E): for the first convolution's kernels
    /// `E‖F1[i,:]‖² + λ_w·ᾱ[i]` (ᾱ: the attention the gate gives channel i of F1), for the ECG
    /// head's `E‖F*[i,:]‖² + λ_w·w[i]` (w: the diagnosis branch's channel weight). λ_w is set
    /// per layer so that both terms have the same mean, the paper giving no value.
    // ppg: [batch, 300] -> ([C], [C])
    pub fn significance(&self, ppg: Tensor<2>) -> (Vec<f32>, Vec<f32>) {
        let [batch, len] = ppg.dims();
        let f1 = self.conv0.forward(ppg.reshape([batch, 1, len]));
        let x = self.encode_decode(f1.clone());
        let alpha = self.gate.alpha(f1.clone(), x.clone()); // [batch, C, C]
        let f_star = x + alpha.clone().matmul(f1.clone());
        let c = f1.dims()[1];
        let energy = |f: Tensor<3>| -> Vec<f32> { to_vec(f.square().sum_dim(2).mean_dim(0).reshape([c])) };
        let attention = to_vec(alpha.mean_dim(1).mean_dim(0).reshape([c]));
        let weights = to_vec(self.channel_gate.weights(f_star.clone()).mean_dim(0).reshape([c]));
        (combine(&energy(f1), &attention), combine(&energy(f_star), &weights))
    }

    /// The lightweight network initialised from this (full) one: the first convolution keeps
    /// the kernels `keep_f1`, the ECG head the kernels `keep_head`; the recursive FEM/FTM and
    /// the diagnosis branch, whose shapes differ, start fresh, then the whole is fine-tuned.
    pub fn pruned(&self, keep_f1: &[usize], keep_head: &[usize], classes: usize, device: &Device) -> Network {
        let mut light = Network::new(Variant::Lightweight, classes, device);
        let idx = |k: &[usize]| Tensor::<1, Int>::from_data(TensorData::new(k.iter().map(|&i| i as i64).collect::<Vec<_>>(), [k.len()]), device);
        let (i1, ih) = (idx(keep_f1), idx(keep_head));
        let src = &self.conv0;
        light.conv0.conv.weight = Param::from_tensor(src.conv.weight.val().to_device(device).select(0, i1.clone()));
        if let (Some(b), Some(_)) = (&src.conv.bias, &light.conv0.conv.bias) {
            light.conv0.conv.bias = Some(Param::from_tensor(b.val().to_device(device).select(0, i1.clone())));
        }
        if let Some(g) = &src.norm.gamma {
            light.conv0.norm.gamma = Some(Param::from_tensor(g.val().to_device(device).select(0, i1.clone())));
        }
        if let Some(b) = &src.norm.beta {
            light.conv0.norm.beta = Some(Param::from_tensor(b.val().to_device(device).select(0, i1)));
        }
        // ConvTranspose1d weight: [C_in, 1, 30]; the bias is the output's and stays.
        light.head.weight = Param::from_tensor(self.head.weight.val().to_device(device).select(0, ih));
        light.head.bias = self.head.bias.as_ref().map(|b| Param::from_tensor(b.val().to_device(device)));
        light
    }
}

fn to_vec(t: Tensor<1>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().expect("f32 tensor")
}

fn combine(energy: &[f32], weight: &[f32]) -> Vec<f32> {
    let me = energy.iter().sum::<f32>() / energy.len().max(1) as f32;
    let mw = weight.iter().sum::<f32>() / weight.len().max(1) as f32;
    let lambda_w = if mw > 0.0 { me / mw } else { 0.0 };
    energy.iter().zip(weight).map(|(e, w)| e + lambda_w * w).collect()
}

/// Indices of the `k` largest scores, ascending by index.
pub fn top_k(scores: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    idx.truncate(k);
    idx.sort_unstable();
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_counts_match_the_paper_transcription() {
        let device = Device::flex();
        // 180,609 with five classes (a PyTorch transcription of Table VII); 33 fewer with two.
        assert_eq!(Network::new(Variant::Full, 5, &device).num_params(), 180_609);
        assert_eq!(Network::new(Variant::Full, 2, &device).num_params(), 180_576);
    }

    #[test]
    fn pruning_copies_the_kept_kernels_along_the_right_axis() {
        let device = Device::flex();
        let full = Network::new(Variant::Full, 2, &device);
        let keep: Vec<usize> = (0..60).rev().step_by(2).rev().collect(); // 1, 3, …, 59
        let light = full.pruned(&keep, &keep, 2, &device);
        let rows = |t: Tensor<3>| t.into_data().try_into_vec::<f32>().unwrap();
        // Conv1d weight [out, in = 1, 30]; ConvTranspose1d weight [in, out = 1, 30]: both index
        // the kernel on axis 0.
        for (light_w, full_w) in [
            (rows(light.conv0.conv.weight.val()), rows(full.conv0.conv.weight.val())),
            (rows(light.head.weight.val()), rows(full.head.weight.val())),
        ] {
            assert_eq!(light_w.len(), 30 * END_KERNEL);
            for (k, &i) in keep.iter().enumerate() {
                assert_eq!(light_w[k * END_KERNEL..(k + 1) * END_KERNEL], full_w[i * END_KERNEL..(i + 1) * END_KERNEL]);
            }
        }
    }

    #[test]
    fn shapes_hold_for_both_variants() {
        let device = Device::flex();
        for variant in [Variant::Full, Variant::Lightweight] {
            let net = Network::new(variant, 2, &device);
            let out = net.forward(Tensor::zeros([3, CYCLE_LEN], &device));
            assert_eq!(out.ecg.dims(), [3, CYCLE_LEN]);
            assert_eq!(out.logits.dims(), [3, 2]);
            assert_eq!(out.f_star.dims(), [3, variant.channels(), 271]);
        }
    }
}
