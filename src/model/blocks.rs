//! The building blocks of Table VII (Li, Tian, Zhu, Wu: a lightweight multi-task network that
//! infers ECG and diagnoses disease from one PPG cycle). Every convolution but the ECG head is
//! followed by layer normalisation over (channels, time) — `GroupNorm` with one group, whose
//! per-channel affine terms give the 180,609-parameter count of a PyTorch transcription — and a
//! ReLU. The paper names no activation; ReLU keeps the feature maps that the group-sparsity
//! term (eq. 6) regularises non-negative and sparse.

use burn::module::{Initializer, Param};
use burn::nn::conv::{Conv1d, Conv1dConfig, ConvTranspose1d, ConvTranspose1dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, Linear, LinearConfig, PaddingConfig1d};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid, softmax};

/// Conv1d → layer norm → ReLU.
#[derive(Module, Debug)]
pub struct ConvNorm {
    pub(crate) conv: Conv1d,
    pub(crate) norm: GroupNorm,
}

impl ConvNorm {
    pub fn new(c_in: usize, c_out: usize, kernel: usize, stride: usize, same: bool, device: &Device) -> Self {
        let padding = if same { PaddingConfig1d::Same } else { PaddingConfig1d::Valid };
        Self {
            conv: Conv1dConfig::new(c_in, c_out, kernel).with_stride(stride).with_padding(padding).init(device),
            norm: GroupNormConfig::new(1, c_out).init(device),
        }
    }

    // [batch, c_in, len] -> [batch, c_out, (len - kernel) / stride + 1]
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        relu(self.norm.forward(self.conv.forward(x)))
    }
}

/// ConvTranspose1d → layer norm → ReLU.
#[derive(Module, Debug)]
pub struct TransposedConvNorm {
    conv: ConvTranspose1d,
    norm: GroupNorm,
}

impl TransposedConvNorm {
    pub fn new(c_in: usize, c_out: usize, kernel: usize, device: &Device) -> Self {
        Self {
            conv: ConvTranspose1dConfig::new([c_in, c_out], kernel).init(device),
            norm: GroupNormConfig::new(1, c_out).init(device),
        }
    }

    // [batch, c_in, len] -> [batch, c_out, len + kernel - 1]
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        relu(self.norm.forward(self.conv.forward(x)))
    }
}

/// Feature extraction module (eq. 1): `Y = [C1(X), C2(C1(X))]`, C2 with same padding.
#[derive(Module, Debug)]
pub struct Fem {
    c1: ConvNorm,
    c2: ConvNorm,
}

impl Fem {
    /// `channels` in and out; C1 produces 2/3 of them, C2 the remaining third.
    pub fn new(channels: usize, kernel: usize, device: &Device) -> Self {
        let (wide, narrow) = split_channels(channels);
        Self { c1: ConvNorm::new(channels, wide, kernel, 1, false, device), c2: ConvNorm::new(wide, narrow, 3, 1, true, device) }
    }

    // [batch, C, len] -> [batch, C, len - kernel + 1]
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let a = self.c1.forward(x);
        let b = self.c2.forward(a.clone());
        Tensor::cat(vec![a, b], 1)
    }
}

/// Feature transform module: FEM with a transposed C1, so the sequence grows.
#[derive(Module, Debug)]
pub struct Ftm {
    c1: TransposedConvNorm,
    c2: ConvNorm,
}

impl Ftm {
    pub fn new(channels: usize, kernel: usize, device: &Device) -> Self {
        let (wide, narrow) = split_channels(channels);
        Self { c1: TransposedConvNorm::new(channels, wide, kernel, device), c2: ConvNorm::new(wide, narrow, 3, 1, true, device) }
    }

    // [batch, C, len] -> [batch, C, len + kernel - 1]
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let a = self.c1.forward(x);
        let b = self.c2.forward(a.clone());
        Tensor::cat(vec![a, b], 1)
    }
}

/// 60 → (40, 20) as in Table VII; 30 → (20, 10) in the pruned variant.
fn split_channels(channels: usize) -> (usize, usize) {
    let wide = (2 * channels).div_ceil(3);
    (wide, channels - wide)
}

/// Skip-connection attention gate (eq. 2–4): `G[i,j] = cos(F1[i,:], FT[j,:])`, `Φ = GΘ`,
/// `α = softmax_j Φ`, `F*[i] = FT[i] + Σ_j α[i,j] F1[j]`.
#[derive(Module, Debug)]
pub struct AttentionGate {
    theta: Param<Tensor<2>>,
}

impl AttentionGate {
    pub fn new(channels: usize, device: &Device) -> Self {
        let bound = 1.0 / (channels as f64).sqrt();
        let theta = Initializer::Uniform { min: -bound, max: bound }.init([channels, channels], device);
        Self { theta }
    }

    // f1, ft: [batch, C, V] -> F*: [batch, C, V]
    pub fn forward(&self, f1: Tensor<3>, ft: Tensor<3>) -> Tensor<3> {
        let alpha = self.alpha(f1.clone(), ft.clone());
        ft + alpha.matmul(f1)
    }

    // f1, ft: [batch, C, V] -> α: [batch, C, C], rows sum to 1
    pub fn alpha(&self, f1: Tensor<3>, ft: Tensor<3>) -> Tensor<3> {
        let [batch, channels, _] = f1.dims();
        let g = unit_rows(f1).matmul(unit_rows(ft).swap_dims(1, 2)); // [batch, C, C]
        let phi = g.reshape([batch * channels, channels]).matmul(self.theta.val()).reshape([batch, channels, channels]);
        softmax(phi, 2)
    }
}

/// Rows scaled to unit l2 norm; an all-zero row (a silent ReLU channel) stays zero.
fn unit_rows(x: Tensor<3>) -> Tensor<3> {
    // The epsilon inside the root keeps the gradient finite on an all-zero row.
    let norm = x.clone().square().sum_dim(2).add_scalar(1e-12).sqrt(); // [batch, C, 1]
    x / norm
}

/// Channel attention of the diagnosis branch: per-channel mean, variance, max and min →
/// FC(4C, 20) → ReLU → FC(20, C) → sigmoid → weights in [0, 1]^C.
#[derive(Module, Debug)]
pub struct ChannelGate {
    fc1: Linear,
    fc2: Linear,
}

impl ChannelGate {
    pub fn new(channels: usize, device: &Device) -> Self {
        Self { fc1: LinearConfig::new(4 * channels, 20).init(device), fc2: LinearConfig::new(20, channels).init(device) }
    }

    // [batch, C, V] -> weights [batch, C]
    pub fn weights(&self, x: Tensor<3>) -> Tensor<2> {
        let [batch, channels, _] = x.dims();
        let stats = Tensor::cat(
            vec![x.clone().mean_dim(2), x.clone().var(2), x.clone().max_dim(2), x.min_dim(2)],
            1,
        ); // [batch, 4C, 1]
        let h = relu(self.fc1.forward(stats.reshape([batch, 4 * channels])));
        sigmoid(self.fc2.forward(h))
    }
}

/// Three strided convolutions and FC 53–10–N (Table VII); returns logits.
#[derive(Module, Debug)]
pub struct Classifier {
    conv1: ConvNorm,
    conv2: ConvNorm,
    conv3: ConvNorm,
    fc1: Linear,
    fc2: Linear,
}

impl Classifier {
    pub fn new(channels: usize, classes: usize, device: &Device) -> Self {
        Self {
            conv1: ConvNorm::new(channels, 30, 30, 2, false, device),
            conv2: ConvNorm::new(30, 20, 10, 2, false, device),
            conv3: ConvNorm::new(20, 1, 4, 1, false, device),
            fc1: LinearConfig::new(53, 10).init(device),
            fc2: LinearConfig::new(10, classes).init(device),
        }
    }

    // [batch, C, 271] -> logits [batch, N]
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let x = self.conv1.forward(x); // [batch, 30, 121]
        let x = self.conv2.forward(x); // [batch, 20, 56]
        let x = self.conv3.forward(x); // [batch, 1, 53]
        let [batch, _, len] = x.dims();
        let h = relu(self.fc1.forward(x.reshape([batch, len])));
        self.fc2.forward(h)
    }
}
