//! Alignment and cycles as the network's pre-processing (Li, Tian, Zhu & Wu, section III-B,
//! after Zhu, Tian, Wong & Wu, "ECG reconstruction via PPG: a pilot study", IEEE BHI 2019):
//! each PPG onset is paired with the R-peak of the same heartbeat, both signals are detrended,
//! and PPG cycles [onset k, onset k+1) and ECG cycles [R k, R k+1) are interpolated to
//! [`CYCLE_LEN`] samples, then amplitude-normalised by [`normalise_cycle`].

/// Samples per cycle, the network's input and output length (L = 300).
pub const CYCLE_LEN: usize = 300;

/// Cut-off of the detrending high-pass. Breathing and slow motion (≤ 0.3 Hz) are removed, while
/// the cardiac fundamental keeps ≥ 71 % of its amplitude at 30 bpm and ≥ 97 % at 60 bpm.
pub const DETREND_CUTOFF_HZ: f64 = 0.4;

/// Onset-to-R lags searched for the pulse arrival time. MIMIC's monitors add a constant
/// ECG/PPG offset to the physiological 0.1–0.3 s: on the train records the onset follows its
/// R-peak by a median 0.33–0.52 s (p95 ≤ 0.56 s), so 0.1–0.8 s holds every train record while
/// excluding the impossible pairing of a pulse with an R-peak that comes after it. Where
/// several lags fit equally well (a perfectly regular rhythm aliases by one RR), the smallest
/// wins.
pub const PULSE_ARRIVAL_RANGE_SECS: (f64, f64) = (0.10, 0.80);

/// How far an onset may sit from R + the local pulse arrival time and still be paired: beat-to-
/// beat arrival time varies by tens of ms in AF (pre-ejection period follows the preceding RR),
/// and the foot of a damped AF pulse is found less precisely than its R-peak; ±150 ms is the
/// match window of Charlton et al. 2022, and keeps pairs unambiguous up to 200 bpm.
pub const PAIRING_TOLERANCE_SECS: f64 = 0.15;

const LAG_STEP_SECS: f64 = 0.008;
pub(crate) const LAG_BLOCK_BEATS: usize = 300;

/// Smoothness-priors detrending (Tarvainen, Ranta-aho & Karjalainen, "An advanced detrending
/// method with application to HRV analysis", IEEE TBME 2002;49(2):172–175): subtracts the trend
/// z = (I + λ² D₂ᵀD₂)⁻¹ x, a zero-phase high-pass whose −6 dB point is `cutoff_hz` for
/// λ = (fs / 2π f_c)². Solved in overlapping 60-s blocks (O(n), bounded memory for 24-h files);
/// the trend's impulse response is a few seconds long, so 10-s margins make the seams invisible.
/// Input must be finite.
pub fn detrend(x: &[f32], sample_rate_hz: f64, cutoff_hz: f64) -> Vec<f32> {
    let lambda = (sample_rate_hz / (2.0 * std::f64::consts::PI * cutoff_hz)).powi(2);
    let block = (60.0 * sample_rate_hz) as usize;
    let margin = (10.0 * sample_rate_hz) as usize;
    let mut out = vec![0.0f32; x.len()];
    // The factorisation depends only on the block length: all inner blocks share one, so a
    // 24-h file factorises three matrices instead of 1440.
    let mut factors: Vec<PentaFactor> = Vec::new();
    let mut start = 0;
    while start < x.len() {
        let end = (start + block).min(x.len());
        let (lo, hi) = (start.saturating_sub(margin), (end + margin).min(x.len()));
        let n = hi - lo;
        let k = match factors.iter().position(|f| f.d.len() == n) {
            Some(k) => k,
            None => {
                factors.push(PentaFactor::new(n, lambda));
                factors.len() - 1
            }
        };
        let trend = factors[k].solve(&x[lo..hi]);
        for i in start..end {
            out[i] = (f64::from(x[i]) - trend[i - lo]) as f32;
        }
        start = end;
    }
    out
}

/// Shortest block whose D₂ᵀD₂ has the general band structure used below.
const MIN_BAND_LEN: usize = 4;

/// LDLᵀ factorisation of the pentadiagonal I + λ² D₂ᵀD₂ of size n.
struct PentaFactor {
    d: Vec<f64>,
    /// L[i+1][i] and L[i+2][i].
    l1: Vec<f64>,
    l2: Vec<f64>,
}

impl PentaFactor {
    fn new(n: usize, lambda: f64) -> Self {
        if n < MIN_BAND_LEN {
            // `solve` takes the mean for such blocks: the band formulas below hold for n ≥ 4
            // (for n = 3 the middle of D₂ᵀD₂ is 4, not 5).
            return PentaFactor { d: vec![1.0; n], l1: vec![0.0; n], l2: vec![0.0; n] };
        }
        let lam2 = lambda * lambda;
        // Bands of D₂ᵀD₂: main, first and second off-diagonal.
        let main = |i: usize| {
            let d = if i == 0 || i == n - 1 { 1.0 } else if i == 1 || i == n - 2 { 5.0 } else { 6.0 };
            1.0 + lam2 * d
        };
        let off1 = |i: usize| lam2 * if i == 0 || i == n - 2 { -2.0 } else { -4.0 }; // A[i+1][i]
        let off2 = lam2; // A[i+2][i]
        let mut d = vec![0.0f64; n];
        let mut l1 = vec![0.0f64; n];
        let mut l2 = vec![0.0f64; n];
        for i in 0..n {
            let mut di = main(i);
            if i >= 1 {
                di -= l1[i - 1] * l1[i - 1] * d[i - 1];
            }
            if i >= 2 {
                di -= l2[i - 2] * l2[i - 2] * d[i - 2];
            }
            d[i] = di;
            if i + 1 < n {
                let mut a = off1(i);
                if i >= 1 {
                    a -= l2[i - 1] * l1[i - 1] * d[i - 1];
                }
                l1[i] = a / di;
            }
            if i + 2 < n {
                l2[i] = off2 / di;
            }
        }
        PentaFactor { d, l1, l2 }
    }

    /// The trend z solving (I + λ² D₂ᵀD₂) z = x; a block shorter than [`MIN_BAND_LEN`] samples
    /// trends to its mean.
    fn solve(&self, x: &[f32]) -> Vec<f64> {
        let n = x.len();
        if n < MIN_BAND_LEN {
            let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n.max(1) as f64;
            return vec![mean; n];
        }
        let (d, l1, l2) = (&self.d, &self.l1, &self.l2);
        let mut z: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        for i in 0..n {
            if i >= 1 {
                z[i] -= l1[i - 1] * z[i - 1];
            }
            if i >= 2 {
                z[i] -= l2[i - 2] * z[i - 2];
            }
        }
        for i in 0..n {
            z[i] /= d[i];
        }
        for i in (0..n).rev() {
            if i + 1 < n {
                z[i] -= l1[i] * z[i + 1];
            }
            if i + 2 < n {
                z[i] -= l2[i] * z[i + 2];
            }
        }
        z
    }
}

/// Per-reference lag (s) of `detections` behind `references`: for each block of
/// [`LAG_BLOCK_BEATS`] references, [`block_lag_secs`] over `range_secs`. After Charlton et al.
/// 2022's variable-lag alignment (`align_ppg_ecg_beats.m`); [`crate::dsp::eval`] anchors it.
pub fn variable_lag_secs(detections_secs: &[f64], refs_secs: &[f64], range_secs: (f64, f64), tol_secs: f64) -> Vec<f64> {
    let mut lags = Vec::with_capacity(refs_secs.len());
    for block in refs_secs.chunks(LAG_BLOCK_BEATS) {
        lags.extend(std::iter::repeat_n(block_lag_secs(detections_secs, block, range_secs, tol_secs), block.len()));
    }
    lags
}

/// The lag in `range_secs` that lets the most of the sorted `block` references find a detection
/// within ±`tol_secs`, taken at the centre of the first (smallest-lag) plateau of maxima and
/// refined to the median residual of the pairs it matches.
pub(crate) fn block_lag_secs(detections_secs: &[f64], block: &[f64], range_secs: (f64, f64), tol_secs: f64) -> f64 {
    let (Some(&first_ref), Some(&last_ref)) = (block.first(), block.last()) else {
        return range_secs.0;
    };
    let steps = ((range_secs.1 - range_secs.0) / LAG_STEP_SECS).round() as usize;
    let nearest = |det: &[f64], t: f64| {
        let i = det.partition_point(|&d| d < t - tol_secs);
        (i < det.len() && det[i] <= t + tol_secs).then(|| det[i])
    };
    let (lo, hi) = (first_ref + range_secs.0 - tol_secs, last_ref + range_secs.1 + tol_secs);
    let det = &detections_secs[detections_secs.partition_point(|&d| d < lo)..detections_secs.partition_point(|&d| d <= hi)];
    let counts: Vec<usize> = (0..=steps)
        .map(|s| {
            let lag = range_secs.0 + s as f64 * LAG_STEP_SECS;
            block.iter().filter(|&&r| nearest(det, r + lag).is_some()).count()
        })
        .collect();
    let top = counts.iter().copied().max().unwrap_or(0);
    let first = counts.iter().position(|&c| c == top).unwrap_or(0);
    let last = first + counts[first..].iter().take_while(|&&c| c == top).count() - 1;
    let centre = range_secs.0 + (first + last) as f64 / 2.0 * LAG_STEP_SECS;
    let mut residuals: Vec<f64> = block.iter().filter_map(|&r| nearest(det, r + centre).map(|d| d - r)).collect();
    residuals.sort_by(|a, b| a.total_cmp(b));
    residuals.get(residuals.len() / 2).copied().unwrap_or(centre)
}

/// For each PPG onset, the index (into `r_peaks`) of the R-peak of the same heartbeat: the one
/// nearest to onset − pulse arrival time, within ±[`PAIRING_TOLERANCE_SECS`]; `None` when no
/// R-peak fits. The arrival time is estimated per block of 300 R-peaks
/// ([`variable_lag_secs`] over [`PULSE_ARRIVAL_RANGE_SECS`]). Both lists are sorted sample
/// indices at `sample_rate_hz`.
pub fn pair_onsets_with_r_peaks(onsets: &[usize], r_peaks: &[usize], sample_rate_hz: f64) -> Vec<Option<usize>> {
    if r_peaks.is_empty() || onsets.is_empty() {
        return vec![None; onsets.len()];
    }
    let to_secs = |v: &[usize]| v.iter().map(|&i| i as f64 / sample_rate_hz).collect::<Vec<f64>>();
    let (on, r) = (to_secs(onsets), to_secs(r_peaks));
    let lags = variable_lag_secs(&on, &r, PULSE_ARRIVAL_RANGE_SECS, PAIRING_TOLERANCE_SECS);
    let mut used = vec![false; r.len()];
    on.iter()
        .map(|&t| {
            // The lag of the block whose R-peaks surround the expected R.
            let j = r.partition_point(|&x| x < t - PULSE_ARRIVAL_RANGE_SECS.0).saturating_sub(1);
            let expected = t - lags[j.min(lags.len() - 1)];
            let i = r.partition_point(|&x| x < expected - PAIRING_TOLERANCE_SECS);
            claim_nearest(&r, i, expected, PAIRING_TOLERANCE_SECS, &mut used)
        })
        .collect()
}

/// One-to-one matching step shared by pairing and scoring: among the sorted `times` from index
/// `from` on, the one nearest `target` within ±`tol_secs` that no earlier call claimed; it is
/// marked used and returned.
pub(crate) fn claim_nearest(times: &[f64], from: usize, target: f64, tol_secs: f64, used: &mut [bool]) -> Option<usize> {
    let best = (from..times.len())
        .take_while(|&k| times[k] <= target + tol_secs)
        .filter(|&k| !used[k])
        .min_by(|&a, &b| (times[a] - target).abs().total_cmp(&(times[b] - target).abs()));
    if let Some(k) = best {
        used[k] = true;
    }
    best
}

/// Interpolates `x[start..end)` linearly onto [`CYCLE_LEN`] equally spaced points (point k at
/// start + k·(end − start)/L), as the paper's "interpolated to length L". `None` when the
/// range is empty or out of bounds.
pub fn resample_cycle(x: &[f32], start: usize, end: usize) -> Option<Vec<f32>> {
    if end <= start || end > x.len() {
        return None;
    }
    let span = (end - start) as f64;
    Some(
        (0..CYCLE_LEN)
            .map(|k| {
                let pos = start as f64 + k as f64 * span / CYCLE_LEN as f64;
                let i = pos.floor() as usize;
                let frac = (pos - i as f64) as f32;
                let a = x[i];
                let b = x.get(i + 1).copied().unwrap_or(a);
                a + (b - a) * frac
            })
            .collect(),
    )
}

/// The one per-cycle amplitude normalisation, for PPG and ECG cycles alike and for training and
/// the app alike: min–max to [0, 1]. Why: PPG amplitude is in arbitrary monitor units (MIMIC
/// "NU", AC gain changing with probe and perfusion) and ECG amplitude depends on lead and gain,
/// neither of which the network should learn; min–max keeps the waveform's shape exactly, pins
/// the PPG onset near 0 and the systolic peak at 1, keeps the ECG R-peak at 1 (or its QS at 0
/// in inverted leads) and bounds both, which suits a squared-error ECG loss. A flat cycle (no
/// range, or non-finite values) becomes all zeros and the function returns false; quality flags
/// such beats anyway.
pub fn normalise_cycle(cycle: &mut [f32]) -> bool {
    let (lo, hi) = cycle.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let range = hi - lo;
    if !(range.is_finite() && range > f32::EPSILON * hi.abs().max(lo.abs()).max(1e-30)) || cycle.iter().any(|v| !v.is_finite()) {
        cycle.fill(0.0);
        return false;
    }
    for v in cycle.iter_mut() {
        *v = (*v - lo) / range;
    }
    true
}

#[cfg(test)]
mod tests {

    #[test]
    fn detrend_survives_inputs_shorter_than_its_band() {
        for n in 0..5 {
            let x = vec![1.5f32; n];
            let y = detrend(&x, 125.0, 0.4);
            assert_eq!(y.len(), n);
            assert!(y.iter().all(|v| v.abs() < 1e-6), "{n}: {y:?}");
        }
    }
    use super::*;

    #[test]
    fn detrending_removes_breathing_and_keeps_the_pulse() {
        let fs = 125.0;
        let n = 125 * 200;
        let pulse = |t: f64| (2.0 * std::f64::consts::PI * 1.2 * t).sin();
        let x: Vec<f32> = (0..n).map(|i| { let t = i as f64 / fs; (pulse(t) + 3.0 * (2.0 * std::f64::consts::PI * 0.1 * t).sin() + 5.0 + 0.01 * t) as f32 }).collect();
        let y = detrend(&x, fs, DETREND_CUTOFF_HZ);
        let err = (2000..n - 2000).map(|i| (f64::from(y[i]) - pulse(i as f64 / fs)).abs()).fold(0.0, f64::max);
        assert!(err < 0.06, "max deviation {err}");
    }

    #[test]
    fn cycles_have_the_network_length_and_unit_range() {
        let x: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.02).sin() * 3.0 + 7.0).collect();
        let mut c = resample_cycle(&x, 100, 237).unwrap();
        assert_eq!(c.len(), CYCLE_LEN);
        assert_eq!(c[0], x[100]);
        assert!(normalise_cycle(&mut c));
        let (lo, hi) = c.iter().fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        assert!(lo == 0.0 && (hi - 1.0).abs() < 1e-6);
        let mut flat = vec![2.0f32; CYCLE_LEN];
        assert!(!normalise_cycle(&mut flat) && flat.iter().all(|&v| v == 0.0));
        assert!(resample_cycle(&x, 5, 5).is_none() && resample_cycle(&x, 990, 1001).is_none());
    }

    #[test]
    fn onsets_pair_with_the_r_peak_of_their_own_beat_in_an_irregular_rhythm() {
        let fs = 125.0;
        let mut t = 1.0;
        let r: Vec<usize> = (0..400).map(|k| { t += 0.45 + 0.6 * (((k * 7919) % 101) as f64 / 101.0); (t * fs) as usize }).collect();
        // Pulse arrival 0.55 s — longer than the shortest RR, as in fast AF on MIMIC.
        let onsets: Vec<usize> = r.iter().filter(|_| true).map(|&i| i + 69).collect();
        let pairs = pair_onsets_with_r_peaks(&onsets, &r, fs);
        assert!(pairs.iter().enumerate().all(|(k, p)| *p == Some(k)), "{:?}", &pairs[..5]);
        assert!(pair_onsets_with_r_peaks(&onsets, &[], fs).iter().all(Option::is_none));
    }
}
