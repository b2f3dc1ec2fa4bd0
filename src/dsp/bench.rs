//! A 24-hour benchmark of the beat step, and the synthetic PPG it (and the property tests) use.
//! Not a `benches/` target, to keep the build lean: run the ignored test in a release build,
//! `cargo test --lib --release dsp::bench -- --ignored --nocapture`.

use std::fmt::Write as _;
use std::time::Instant;

use super::beats::{analyse_beats, detect_pulses};

/// A synthetic PPG: each pulse a systolic and a diastolic Gaussian wave starting at its onset
/// time (pulse shape after the two-Gaussian models of PPG morphology, e.g. Rubins 2008), added
/// to a slow 0.05-Hz baseline of 1 % amplitude. Returns `len_secs × rate_hz` samples. Also returns, per pulse, the time of
/// its systolic maximum (s), measured on the pulse alone.
pub fn synthetic_ppg(onsets_secs: &[f64], rate_hz: f64, len_secs: f64) -> (Vec<f32>, Vec<f64>) {
    let n = (len_secs * rate_hz) as usize;
    let mut x = vec![0.0f32; n];
    let mut peaks = Vec::with_capacity(onsets_secs.len());
    for (k, &t0) in onsets_secs.iter().enumerate() {
        let ibi = onsets_secs.get(k + 1).map_or(0.8, |t| t - t0).min(1.2);
        let (ts, td) = (0.16 * ibi.sqrt(), 0.40 * ibi.sqrt());
        let shape = |t: f64| {
            if t < 0.0 {
                return 0.0;
            }
            (-((t - ts) / (0.35 * ts)).powi(2)).exp() + 0.45 * (-((t - td) / 0.09).powi(2)).exp() - (-(ts / (0.35 * ts)).powi(2)).exp()
        };
        let (first, last) = ((t0 * rate_hz).ceil().max(0.0) as usize, (((t0 + 1.6 * ibi) * rate_hz) as usize).min(n));
        for (i, v) in x.iter_mut().enumerate().take(last).skip(first) {
            *v += shape(i as f64 / rate_hz - t0) as f32;
        }
        peaks.push(t0 + (0..400).map(|j| j as f64 * 0.001).max_by(|a, b| shape(*a).total_cmp(&shape(*b))).unwrap_or(ts));
    }
    // A slow, small baseline: real signals never repeat a value exactly for long.
    for (i, v) in x.iter_mut().enumerate() {
        *v += 0.01 * (2.0 * std::f64::consts::PI * 0.05 * i as f64 / rate_hz).sin() as f32;
    }
    (x, peaks)
}

/// Deterministic pseudo-random numbers in [0, 1) (a 64-bit LCG), so benchmarks and tests repeat.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// 24 h of realistic 125-Hz PPG: heart rate wandering 55–110 bpm with beat-to-beat variability,
/// breathing baseline and amplitude modulation, slow drift, sensor noise, 8-bit-like
/// quantisation as in MIMIC.
pub fn synthetic_day(rate_hz: f64) -> Vec<f32> {
    let len_secs = 24.0 * 3600.0;
    let mut rng = Lcg(0x5eed);
    let mut onsets = Vec::new();
    let (mut t, mut hr) = (0.3, 75.0);
    while t < len_secs {
        onsets.push(t);
        hr = (hr + (rng.next() - 0.5) * 2.0).clamp(55.0, 110.0);
        t += 60.0 / hr * (1.0 + 0.04 * (rng.next() - 0.5));
    }
    let (mut x, _) = synthetic_ppg(&onsets, rate_hz, len_secs);
    for (i, v) in x.iter_mut().enumerate() {
        let s = i as f64 / rate_hz;
        let breath = (2.0 * std::f64::consts::PI * 0.25 * s).sin();
        let noisy = f64::from(*v) * (1.0 + 0.15 * breath) + 0.3 * breath + 0.5 * (s / 600.0).sin() + 0.02 * (rng.next() - 0.5);
        *v = ((noisy * 128.0).round() / 128.0) as f32;
    }
    x
}

/// Times the whole beat step (resampling check, band-pass, MSPTDfast v2 and the hidden-pulse
/// pass, fiducials, detrending, cycles, quality) on 24 h of synthetic 125-Hz PPG,
/// single-threaded, and reports the figures.
pub fn bench_24h() -> String {
    let rate_hz = 125.0;
    let t_gen = Instant::now();
    let ppg = synthetic_day(rate_hz);
    let gen_secs = t_gen.elapsed().as_secs_f64();
    let t_detect = Instant::now();
    let detected = detect_pulses(&ppg).map_or(0, |(_, b)| b.onsets.len());
    let detect_secs = t_detect.elapsed().as_secs_f64();
    let t_all = Instant::now();
    let analysis = analyse_beats(&ppg, rate_hz, None);
    let all_secs = t_all.elapsed().as_secs_f64();
    let mut s = String::new();
    let _ = writeln!(s, "24 h of synthetic 125-Hz PPG: {} samples (generated in {gen_secs:.2} s)", ppg.len());
    let _ = writeln!(s, "filter + MSPTDfast v2 + hidden-pulse pass: {detect_secs:.3} s ({detected} onsets)");
    let _ = writeln!(
        s,
        "whole step (filter, beats, fiducials, detrend, cycles, quality): {all_secs:.3} s for {} beats, {:.1} % usable, mean HR {:.1} bpm",
        analysis.summary.count,
        100.0 * analysis.summary.usable_share,
        analysis.summary.mean_heart_rate_bpm.unwrap_or(f64::NAN)
    );
    let _ = writeln!(s, "target < 2 s on one core: {}", if all_secs < 2.0 { "met" } else { "NOT met" });
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_pulses_peak_where_reported() {
        let (x, peaks) = synthetic_ppg(&[0.5, 1.3, 2.1], 1000.0, 3.0);
        for p in peaks {
            let i = (p * 1000.0).round() as usize;
            assert!(x[i] >= x[i - 3] && x[i] >= x[i + 3], "{p}");
        }
    }

    /// `cargo test --lib --release dsp::bench -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn print_bench_24h() {
        println!("{}", bench_24h());
    }
}
