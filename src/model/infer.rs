//! The network on a recording's beats, as the app and `cardioppg info` use it: the cycles come
//! from the beat analysis (`dsp::beats`, the same cycle interpolation and normalisation that
//! built the training set), only usable beats are run, and the recording-level probability
//! of each class is the mean over those beats (the paper's per-cycle outputs, aggregated).

use burn::prelude::*;
use burn::tensor::activation::softmax;

use crate::dsp::beats::BeatAnalysis;
use crate::dsp::cycles::CYCLE_LEN;

use super::network::Network;

/// The network's outputs for one beat.
#[derive(Debug, Clone)]
pub struct BeatOutput {
    /// Index into `BeatAnalysis::beats`.
    pub beat: usize,
    /// The GENERATED ECG cycle, 300 samples, on the normalised scale of the training ECG.
    pub generated_ecg: Vec<f32>,
    /// One probability per class, in the manifest's class order.
    pub probabilities: Vec<f32>,
}

/// A class's probability over a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassFinding {
    pub class: String,
    /// Mean over the usable beats.
    pub mean_probability: f64,
    /// Standard deviation over the usable beats (the spread behind the mean).
    pub sd_probability: f64,
    pub usable_beats: usize,
}

/// Generated ECG cycles and class probabilities of `n` cycles, `n × 300` and `n × classes`.
pub struct Predictions {
    pub ecg: Vec<f32>,
    pub probs: Vec<f32>,
    pub classes: usize,
}

/// The network on `cycles` (row-major, `n × 300`), as one batch.
pub fn predict_cycles(net: &Network, cycles: &[f32], device: &Device) -> Predictions {
    let n = cycles.len() / CYCLE_LEN;
    let x = Tensor::<2>::from_data(TensorData::new(cycles.to_vec(), [n, CYCLE_LEN]), device); // [n, 300]
    let y = net.forward(x);
    let classes = y.logits.dims()[1];
    let ecg = y.ecg.into_data().try_into_vec::<f32>().expect("the network's output is f32"); // [n, 300]
    let probs = softmax(y.logits, 1).into_data().try_into_vec::<f32>().expect("the network's output is f32"); // [n, classes]
    Predictions { ecg, probs, classes }
}

/// The network on `cycles` (row-major, `n × 300`), `batch_size` cycles per pass.
pub fn predict_in_batches(net: &Network, cycles: &[f32], device: &Device, batch_size: usize) -> Predictions {
    let mut all = Predictions { ecg: Vec::with_capacity(cycles.len()), probs: Vec::new(), classes: 0 };
    for rows in cycles.chunks(batch_size.max(1) * CYCLE_LEN) {
        let p = predict_cycles(net, rows, device);
        all.ecg.extend(p.ecg);
        all.probs.extend(p.probs);
        all.classes = p.classes;
    }
    all
}

/// Indices of the beats the network runs on: PPG usable and a cycle cut.
pub fn usable_beats(analysis: &BeatAnalysis) -> Vec<usize> {
    (0..analysis.beats.len()).filter(|&i| analysis.beats[i].ppg_usable() && analysis.ppg_cycle(i).is_some()).collect()
}

/// Runs the network on every beat of `analysis` whose PPG is usable, `batch_size` cycles at a time.
pub fn run_usable_beats(net: &Network, analysis: &BeatAnalysis, device: &Device, batch_size: usize) -> Vec<BeatOutput> {
    run_usable_beats_until(net, analysis, device, batch_size, || true, |_, _| ()).unwrap_or_default()
}

/// [`run_usable_beats`] that asks `keep_going` before each batch (`None` when it said stop) and
/// tells `progress(done_beats, total_beats)` after each: the app's worker cancels and reports
/// through these.
pub fn run_usable_beats_until(
    net: &Network,
    analysis: &BeatAnalysis,
    device: &Device,
    batch_size: usize,
    keep_going: impl Fn() -> bool,
    mut progress: impl FnMut(usize, usize),
) -> Option<Vec<BeatOutput>> {
    let beats = usable_beats(analysis);
    let mut out = Vec::with_capacity(beats.len());
    for chunk in beats.chunks(batch_size.max(1)) {
        if !keep_going() {
            return None;
        }
        let cycles: Vec<f32> = chunk.iter().flat_map(|&i| analysis.ppg_cycle(i).expect("filtered above").iter().copied()).collect();
        let Predictions { ecg, probs, classes } = predict_cycles(net, &cycles, device); // [n, 300], [n, classes]
        for (k, &beat) in chunk.iter().enumerate() {
            out.push(BeatOutput {
                beat,
                generated_ecg: ecg[k * CYCLE_LEN..(k + 1) * CYCLE_LEN].to_vec(),
                probabilities: probs[k * classes..(k + 1) * classes].to_vec(),
            });
        }
        progress(out.len(), beats.len());
    }
    Some(out)
}

/// Mean and spread of each class's probability over the beats.
pub fn summarise(outputs: &[BeatOutput], classes: &[String]) -> Vec<ClassFinding> {
    classes
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let values: Vec<f64> = outputs.iter().filter_map(|o| o.probabilities.get(c)).map(|&p| f64::from(p)).collect();
            let n = values.len();
            let mean = if n == 0 { f64::NAN } else { values.iter().sum::<f64>() / n as f64 };
            let sd = if n < 2 { 0.0 } else { (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() };
            ClassFinding { class: name.clone(), mean_probability: mean, sd_probability: sd, usable_beats: n }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_is_mean_and_sample_sd_per_class() {
        let o = |p: f32| BeatOutput { beat: 0, generated_ecg: vec![], probabilities: vec![p, 1.0 - p] };
        let s = summarise(&[o(0.2), o(0.4), o(0.6)], &["AF".into(), "non-AF".into()]);
        assert_eq!(s[0].usable_beats, 3);
        assert!((s[0].mean_probability - 0.4).abs() < 1e-6);
        assert!((s[0].sd_probability - 0.2).abs() < 1e-6);
        assert!((s[1].mean_probability - 0.6).abs() < 1e-6);
        assert!(summarise(&[], &["AF".into()])[0].mean_probability.is_nan());
    }
}
