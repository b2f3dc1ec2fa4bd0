//! IG baselines: the reference input the attribution is measured against. Zero is the paper's
//! (section IV-C); a flat line at the cycle's mean asks "what does the pulse's *shape* add";
//! a low-passed cycle (the "blurred" baseline of Sturmfels, Lundberg & Lee 2020, "Visualizing
//! the impact of feature attribution baselines", Distill) asks what its fine detail — the
//! sharpness of the systolic peak, the dicrotic notch — adds beyond its gross rise and fall.

use serde::{Deserialize, Serialize};

use crate::dsp::filter::{Band, butter, filtfilt};

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub enum Baseline {
    /// All-zero cycle, as the paper.
    #[default]
    Zero,
    /// A flat line at the cycle's mean.
    Mean,
    /// The cycle through a zero-phase order-2 Butterworth low-pass. The cut-off is in
    /// harmonics of the heart rate (cycles per beat), since a cycle is one beat on 300 samples
    /// whatever its duration.
    LowPass { cutoff_per_beat: f64 },
}

impl Baseline {
    /// Keeps the rise and fall (fundamental and second harmonic), drops the notch and the peak's
    /// shape.
    pub const DEFAULT_LOW_PASS: Baseline = Baseline::LowPass { cutoff_per_beat: 2.0 };

    /// What reports and the UI print.
    pub fn describe(&self) -> String {
        match self {
            Baseline::Zero => "zero".into(),
            Baseline::Mean => "flat line at the cycle mean".into(),
            Baseline::LowPass { cutoff_per_beat } => format!("low-pass, {cutoff_per_beat} cycles per beat"),
        }
    }

    /// The baseline for one cycle (same length).
    pub fn of(&self, cycle: &[f32]) -> Result<Vec<f32>, BaselineError> {
        match *self {
            Baseline::Zero => Ok(vec![0.0; cycle.len()]),
            Baseline::Mean => {
                let mean = cycle.iter().map(|&v| f64::from(v)).sum::<f64>() / cycle.len().max(1) as f64;
                Ok(vec![mean as f32; cycle.len()])
            }
            Baseline::LowPass { cutoff_per_beat } => {
                // The cycle as one "second" of signal sampled at its length in Hz.
                let sos = butter(2, Band::LowPass { cutoff_hz: cutoff_per_beat }, cycle.len() as f64)
                    .map_err(|e| BaselineError::LowPass(e.to_string()))?;
                Ok(filtfilt(&sos, cycle))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BaselineError {
    #[error("low-pass baseline: {0}")]
    LowPass(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_have_their_defining_property() {
        let cycle: Vec<f32> = (0..300).map(|i| ((i as f32) / 300.0 * std::f32::consts::PI).sin() + 0.2 * ((i as f32) * std::f32::consts::PI / 10.0).sin()).collect();
        assert!(Baseline::Zero.of(&cycle).unwrap().iter().all(|&v| v == 0.0));
        let mean = Baseline::Mean.of(&cycle).unwrap();
        let expected = cycle.iter().sum::<f32>() / 300.0;
        assert!(mean.iter().all(|&v| (v - expected).abs() < 1e-5));
        // The low-pass removes the fast ripple (15 cycles per beat): by linearity, the cycle's
        // baseline is the half-sine's alone (away from the padded ends).
        let half_sine: Vec<f32> = (0..300).map(|i| ((i as f32) / 300.0 * std::f32::consts::PI).sin()).collect();
        let (smooth, reference) = (Baseline::DEFAULT_LOW_PASS.of(&cycle).unwrap(), Baseline::DEFAULT_LOW_PASS.of(&half_sine).unwrap());
        let ripple = smooth.iter().zip(&reference).skip(60).take(180).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(ripple < 0.01, "ripple left: {ripple}");
        assert!(Baseline::LowPass { cutoff_per_beat: 400.0 }.of(&cycle).is_err());
    }
}
