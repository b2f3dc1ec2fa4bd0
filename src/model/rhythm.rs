//! The rhythm extension: P(AF) from the irregularity of the pulse intervals. **Not the paper's
//! network** — the network sees one 300-sample cycle at a time and cannot see that intervals are
//! "irregularly irregular", the defining sign of AF. This extension is shown and evaluated
//! beside the network's own probability, never instead of it.
//!
//! - Features per window of [`WINDOW_BEATS`] consecutive usable pulses, after Dash S, Chon KH et
//!   al. "Automatic real time detection of atrial fibrillation", Ann Biomed Eng 2009;37:1701–9
//!   (and McManus DD et al., Heart Rhythm 2013;10:315–9, on PPG): the [`TRIM_EACH_SIDE`] longest
//!   and shortest intervals are dropped (ectopic beats, missed or extra detections; 1/16 of the
//!   window, Dash's share), then the normalised RMSSD (RMSSD / mean interval) and the Shannon
//!   entropy of the intervals in [`ENTROPY_BINS`] bins (normalised to [0, 1]).
//! - 32 pulses (about 30 s, the usual minimum AF episode) rather than Dash's 128, so that a
//!   1-minute excerpt at 50 bpm is readable; 32 was preferred to 64 also because its
//!   leave-one-patient-out AUC inside the train patients was higher (0.978 against 0.917, with
//!   windows not yet bounded by [`MAX_FLAGGED_IN_WINDOW`]), never on the test patients. The
//!   window's pulses lie within 40 consecutive beats, so it never joins stretches far apart.
//! - A ridge-penalised logistic regression on the standardised features, fitted on the windows
//!   of the labelled train patients only (`cardioppg train-rhythm`). The ridge (λ = 1, fixed
//!   before fitting) keeps the coefficients finite when the train windows separate perfectly.
//! - A recording's probability is the mean over its windows.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dsp::beats::BeatAnalysis;

pub const WINDOW_BEATS: usize = 32;
/// A window may step over at most this many flagged beats: its 32 usable pulses lie within 40
/// consecutive beats, so a window never joins stretches minutes apart across an artefact.
pub const MAX_FLAGGED_IN_WINDOW: usize = 8;
pub const TRIM_EACH_SIDE: usize = 2;
pub const ENTROPY_BINS: usize = 16;
pub const RIDGE_LAMBDA: f64 = 1.0;
pub const RHYTHM_FILE: &str = "cardioppg-rhythm-extension.json";
pub const FEATURES: [&str; 2] = ["normalised RMSSD", "Shannon entropy"];

#[derive(Debug, thiserror::Error)]
pub enum RhythmError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {what}")]
    Format { path: PathBuf, what: String },
    #[error("no labelled windows of both classes to fit the rhythm extension on, or the fit did not converge")]
    NothingToFit,
}

/// Irregularity of one window of pulse intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalFeatures {
    pub nrmssd: f64,
    pub shannon_entropy: f64,
}

impl IntervalFeatures {
    fn as_array(&self) -> [f64; 2] {
        [self.nrmssd, self.shannon_entropy]
    }
}

/// The fitted extension, as stored in [`RHYTHM_FILE`] beside the network's bundles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RhythmModel {
    pub name: String,
    pub version: String,
    pub features: Vec<String>,
    pub window_beats: usize,
    pub max_flagged_in_window: usize,
    pub trim_each_side: usize,
    pub entropy_bins: usize,
    pub ridge_lambda: f64,
    /// Standardisation of the features (train windows' mean and sd).
    pub feature_mean: [f64; 2],
    pub feature_sd: [f64; 2],
    pub coefficients: [f64; 2],
    pub intercept: f64,
    pub trained_on: String,
    pub fitted_windows: usize,
    pub train_command: String,
    /// SHA-256 of the file it was loaded from (provenance in reports and batch reuse); empty for
    /// a model fitted in this process.
    #[serde(skip)]
    pub sha256: String,
}

/// The extension applied to one recording.
#[derive(Debug, Clone, PartialEq)]
pub struct RhythmAssessment {
    pub windows: usize,
    /// Mean P(AF) over the windows.
    pub af_probability: f64,
    /// Median features over the windows (shown beside the probability).
    pub median_nrmssd: f64,
    pub median_shannon_entropy: f64,
    /// P(AF) of the window each beat belongs to; `None` for beats in no full window.
    pub per_beat: Vec<Option<f64>>,
}

/// Intervals (s) of the beats whose PPG is usable, with their beat index. Flags about the
/// reference ECG (no R-peak match, a gap in the ECG) do not count: the rhythm is read from the
/// pulse alone, with or without an ECG in the file.
pub fn usable_intervals(analysis: &BeatAnalysis) -> Vec<(usize, f64)> {
    analysis
        .beats
        .iter()
        .enumerate()
        .filter(|(_, b)| b.issues.iter().all(|r| r.is_ecg_side()))
        .map(|(i, b)| (i, b.duration_secs()))
        .collect()
}

/// Features of one window of `(beat index, interval s)`; successive differences only between
/// beats adjacent in the recording and both kept after trimming. `None` when too few remain.
pub fn interval_features(window: &[(usize, f64)]) -> Option<IntervalFeatures> {
    if window.len() < 2 * TRIM_EACH_SIDE + 8 {
        return None;
    }
    let mut by_value: Vec<usize> = (0..window.len()).collect();
    by_value.sort_by(|&a, &b| window[a].1.total_cmp(&window[b].1));
    let mut kept = vec![true; window.len()];
    for &k in by_value[..TRIM_EACH_SIDE].iter().chain(&by_value[window.len() - TRIM_EACH_SIDE..]) {
        kept[k] = false;
    }
    let values: Vec<f64> = window.iter().zip(&kept).filter(|(_, k)| **k).map(|(w, _)| w.1).collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let diffs: Vec<f64> = (1..window.len())
        .filter(|&k| kept[k] && kept[k - 1] && window[k].0 == window[k - 1].0 + 1)
        .map(|k| window[k].1 - window[k - 1].1)
        .collect();
    if diffs.is_empty() || !(mean > 0.0) {
        return None;
    }
    let rmssd = (diffs.iter().map(|d| d * d).sum::<f64>() / diffs.len() as f64).sqrt();
    let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    let mut counts = [0usize; ENTROPY_BINS];
    for &v in &values {
        let bin = if hi > lo { (((v - lo) / (hi - lo)) * ENTROPY_BINS as f64) as usize } else { 0 };
        counts[bin.min(ENTROPY_BINS - 1)] += 1;
    }
    let n = values.len() as f64;
    let entropy: f64 = counts.iter().filter(|&&c| c > 0).map(|&c| -(c as f64 / n) * (c as f64 / n).ln()).sum();
    Some(IntervalFeatures { nrmssd: rmssd / mean, shannon_entropy: entropy / (ENTROPY_BINS as f64).ln() })
}

/// Non-overlapping windows of [`WINDOW_BEATS`] usable intervals that lie within
/// `WINDOW_BEATS + MAX_FLAGGED_IN_WINDOW` consecutive beats, with their features; the scan moves
/// on by one usable beat where a window would span more.
pub fn windows(intervals: &[(usize, f64)]) -> Vec<(&[(usize, f64)], IntervalFeatures)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + WINDOW_BEATS <= intervals.len() {
        let w = &intervals[i..i + WINDOW_BEATS];
        if w[WINDOW_BEATS - 1].0 - w[0].0 >= WINDOW_BEATS + MAX_FLAGGED_IN_WINDOW {
            i += 1;
            continue;
        }
        if let Some(f) = interval_features(w) {
            out.push((w, f));
        }
        i += WINDOW_BEATS;
    }
    out
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl RhythmModel {
    pub fn probability(&self, f: &IntervalFeatures) -> f64 {
        let x = f.as_array();
        let z: f64 = (0..2).map(|j| self.coefficients[j] * (x[j] - self.feature_mean[j]) / self.feature_sd[j]).sum::<f64>() + self.intercept;
        sigmoid(z)
    }

    /// `None` when the recording has no full window of usable pulses.
    pub fn assess(&self, analysis: &BeatAnalysis) -> Option<RhythmAssessment> {
        let intervals = usable_intervals(analysis);
        let wins = windows(&intervals);
        if wins.is_empty() {
            return None;
        }
        let mut per_beat = vec![None; analysis.beats.len()];
        let mut probs = Vec::with_capacity(wins.len());
        for (w, f) in &wins {
            let p = self.probability(f);
            for &(beat, _) in *w {
                per_beat[beat] = Some(p);
            }
            probs.push(p);
        }
        // `wins` is not empty, so neither median is None.
        let median = |v: Vec<f64>| crate::dsp::median(v).unwrap_or(f64::NAN);
        Some(RhythmAssessment {
            windows: wins.len(),
            af_probability: probs.iter().sum::<f64>() / probs.len() as f64,
            median_nrmssd: median(wins.iter().map(|(_, f)| f.nrmssd).collect()),
            median_shannon_entropy: median(wins.iter().map(|(_, f)| f.shannon_entropy).collect()),
            per_beat,
        })
    }

    /// Ridge logistic regression by Newton's method on standardised features; `is_af` labels.
    pub fn fit(samples: &[(IntervalFeatures, bool)], trained_on: &str, train_command: &str) -> Result<RhythmModel, RhythmError> {
        let n = samples.len() as f64;
        if !samples.iter().any(|s| s.1) || samples.iter().all(|s| s.1) {
            return Err(RhythmError::NothingToFit);
        }
        let mut mean = [0.0; 2];
        let mut sd = [0.0; 2];
        for j in 0..2 {
            mean[j] = samples.iter().map(|s| s.0.as_array()[j]).sum::<f64>() / n;
            sd[j] = (samples.iter().map(|s| (s.0.as_array()[j] - mean[j]).powi(2)).sum::<f64>() / n).sqrt().max(1e-12);
        }
        let rows: Vec<([f64; 3], f64)> = samples
            .iter()
            .map(|(f, y)| {
                let x = f.as_array();
                ([1.0, (x[0] - mean[0]) / sd[0], (x[1] - mean[1]) / sd[1]], if *y { 1.0 } else { 0.0 })
            })
            .collect();
        let mut w = [0.0f64; 3];
        for _ in 0..50 {
            // Gradient and Hessian of the penalised negative log-likelihood (intercept unpenalised).
            let mut g = [0.0; 3];
            let mut h = [[0.0; 3]; 3];
            for (x, y) in &rows {
                let p = sigmoid(w[0] * x[0] + w[1] * x[1] + w[2] * x[2]);
                for a in 0..3 {
                    g[a] += (p - y) * x[a];
                    for b in 0..3 {
                        h[a][b] += p * (1.0 - p) * x[a] * x[b];
                    }
                }
            }
            for a in 1..3 {
                g[a] += RIDGE_LAMBDA * w[a];
                h[a][a] += RIDGE_LAMBDA;
            }
            let step = solve3(h, g);
            for a in 0..3 {
                w[a] -= step[a];
            }
            if step.iter().map(|s| s.abs()).fold(0.0, f64::max) < 1e-10 {
                break;
            }
        }
        if !w.iter().all(|v| v.is_finite()) {
            return Err(RhythmError::NothingToFit);
        }
        Ok(RhythmModel {
            name: "CardioPPG rhythm extension".into(),
            version: "1.0.1".into(),
            features: FEATURES.iter().map(|s| s.to_string()).collect(),
            window_beats: WINDOW_BEATS,
            max_flagged_in_window: MAX_FLAGGED_IN_WINDOW,
            trim_each_side: TRIM_EACH_SIDE,
            entropy_bins: ENTROPY_BINS,
            ridge_lambda: RIDGE_LAMBDA,
            feature_mean: mean,
            feature_sd: sd,
            coefficients: [w[1], w[2]],
            intercept: w[0],
            trained_on: trained_on.into(),
            fitted_windows: samples.len(),
            train_command: train_command.into(),
            sha256: String::new(),
        })
    }

    /// Reads the file; errors name it and what is wrong. A file written for other window or
    /// feature settings than this build computes is refused, not silently misapplied.
    pub fn load(path: &Path) -> Result<RhythmModel, RhythmError> {
        let text = std::fs::read_to_string(path).map_err(|source| RhythmError::Io { path: path.into(), source })?;
        let bad = |what: String| RhythmError::Format { path: path.into(), what };
        let mut m: RhythmModel = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        m.sha256 = super::bundle::sha256_hex(text.as_bytes());
        if m.window_beats != WINDOW_BEATS || m.max_flagged_in_window != MAX_FLAGGED_IN_WINDOW || m.trim_each_side != TRIM_EACH_SIDE || m.entropy_bins != ENTROPY_BINS || m.features != FEATURES {
            return Err(bad("window_beats/max_flagged_in_window/trim_each_side/entropy_bins/features differ from what this version computes".into()));
        }
        let finite = m.feature_mean.iter().chain(&m.coefficients).chain([&m.intercept]).all(|v| v.is_finite());
        if !finite || m.feature_sd.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(bad("feature_mean, feature_sd, coefficients and intercept must be finite (feature_sd > 0)".into()));
        }
        Ok(m)
    }

    /// Written atomically ([`crate::review::write_atomic`]), so a crash never leaves half a file.
    pub fn save(&self, path: &Path) -> Result<(), RhythmError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| RhythmError::Format { path: path.into(), what: e.to_string() })?;
        crate::review::write_atomic(path, (text + "\n").as_bytes()).map_err(|source| RhythmError::Io { path: path.into(), source })
    }
}

/// Solves the 3×3 system `h · x = g` (Gaussian elimination with partial pivoting).
fn solve3(mut h: [[f64; 3]; 3], mut g: [f64; 3]) -> [f64; 3] {
    for c in 0..3 {
        let p = (c..3).max_by(|&a, &b| h[a][c].abs().total_cmp(&h[b][c].abs())).unwrap_or(c);
        h.swap(c, p);
        g.swap(c, p);
        for r in c + 1..3 {
            let f = h[r][c] / h[c][c];
            for k in c..3 {
                h[r][k] -= f * h[c][k];
            }
            g[r] -= f * g[c];
        }
    }
    let mut x = [0.0; 3];
    for r in (0..3).rev() {
        x[r] = (g[r] - (r + 1..3).map(|k| h[r][k] * x[k]).sum::<f64>()) / h[r][r];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    fn regular(n: usize, jitter: f64, seed: &mut u64) -> Vec<(usize, f64)> {
        (0..n).map(|i| (i, 0.8 + jitter * (lcg(seed) - 0.5))).collect()
    }

    #[test]
    fn irregular_intervals_score_higher_than_regular_ones() {
        let mut seed = 7;
        let sinus = interval_features(&regular(WINDOW_BEATS, 0.02, &mut seed)).unwrap();
        let af = interval_features(&regular(WINDOW_BEATS, 0.6, &mut seed)).unwrap();
        assert!(sinus.nrmssd < 0.03 && af.nrmssd > 0.15, "{sinus:?} {af:?}");
        assert!(af.shannon_entropy > 0.8, "{af:?}");
        // A perfectly regular train has no variability at all.
        let flat: Vec<(usize, f64)> = (0..WINDOW_BEATS).map(|i| (i, 1.0)).collect();
        assert_eq!(interval_features(&flat).unwrap().nrmssd, 0.0);
    }

    #[test]
    fn trimming_removes_isolated_ectopic_beats_and_gaps_break_successive_differences() {
        let mut w: Vec<(usize, f64)> = (0..WINDOW_BEATS).map(|i| (i, 1.0)).collect();
        for k in [5, 20] {
            w[k].1 = 0.5; // premature beat
            w[k + 1].1 = 1.5; // compensatory pause
        }
        assert_eq!(interval_features(&w).unwrap().nrmssd, 0.0);
        // Beats 10 and 30 apart in the recording: their intervals are not successive.
        let half = WINDOW_BEATS / 2;
        let gapped: Vec<(usize, f64)> = (0..WINDOW_BEATS).map(|i| (if i < half { i } else { i + 10 }, if i < half { 1.0 } else { 0.9 })).collect();
        assert_eq!(interval_features(&gapped).unwrap().nrmssd, 0.0);
        assert!(interval_features(&w[..2 * TRIM_EACH_SIDE + 7]).is_none());
    }

    #[test]
    fn a_window_never_spans_a_long_run_of_flagged_beats() {
        let ok: Vec<(usize, f64)> = (0..WINDOW_BEATS).map(|i| (i, 1.0)).collect();
        assert_eq!(windows(&ok).len(), 1);
        // 8 flagged beats inside: still one window; 9 or more: none.
        for (gap, expected) in [(MAX_FLAGGED_IN_WINDOW, 1), (MAX_FLAGGED_IN_WINDOW + 1, 0), (500, 0)] {
            let w: Vec<(usize, f64)> = (0..WINDOW_BEATS).map(|i| (if i < 10 { i } else { i + gap }, 1.0)).collect();
            assert_eq!(windows(&w).len(), expected, "{gap} flagged beats");
        }
        // After a long artefact the scan finds the next full window.
        let mut two: Vec<(usize, f64)> = (0..10).map(|i| (i, 1.0)).collect();
        two.extend((0..WINDOW_BEATS).map(|i| (1000 + i, 1.0)));
        assert_eq!(windows(&two).iter().map(|(w, _)| w[0].0).collect::<Vec<_>>(), vec![1000]);
    }

    #[test]
    fn the_fit_separates_the_classes_and_the_file_round_trips() {
        let mut seed = 11;
        let mut samples = Vec::new();
        for k in 0..60 {
            let af = k % 2 == 0;
            samples.push((interval_features(&regular(WINDOW_BEATS, if af { 0.5 } else { 0.05 }, &mut seed)).unwrap(), af));
        }
        let m = RhythmModel::fit(&samples, "synthetic", "test").unwrap();
        assert!(m.coefficients[0] > 0.0 && m.coefficients.iter().all(|c| c.is_finite()));
        let hit = samples.iter().filter(|(f, af)| (m.probability(f) > 0.5) == *af).count();
        assert_eq!(hit, samples.len());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RHYTHM_FILE);
        m.save(&path).unwrap();
        let loaded = RhythmModel::load(&path).unwrap();
        assert_eq!(loaded.sha256, crate::model::bundle::sha256_hex(&std::fs::read(&path).unwrap()));
        assert_eq!(RhythmModel { sha256: String::new(), ..loaded }, m);
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = text.replace(&format!("\"window_beats\": {WINDOW_BEATS}"), "\"window_beats\": 7");
        assert_ne!(text, edited);
        std::fs::write(&path, edited).unwrap();
        let err = RhythmModel::load(&path).unwrap_err().to_string();
        assert!(err.contains(RHYTHM_FILE) && err.contains("window_beats"), "{err}");
        assert!(matches!(RhythmModel::fit(&samples[..1], "", ""), Err(RhythmError::NothingToFit)));
    }
}
