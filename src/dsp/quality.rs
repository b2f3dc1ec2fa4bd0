//! Per-beat quality. A beat with any [`QualityReason`] is flagged, never dropped: downstream
//! steps gate on [`crate::dsp::beats::Beat::usable`].
//!
//! Template matching follows Orphanidou C et al., "Signal-quality indices for the
//! electrocardiogram and photoplethysmogram: derivation and applications to wireless
//! monitoring", IEEE JBHI 2015;19(3):832–838: each beat, in a window of the local median beat
//! length from its onset, is correlated with the mean of its neighbours.

/// Why a beat is not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QualityReason {
    /// NaN samples (a gap in the recording) inside the PPG beat.
    NanGap,
    /// NaN samples inside the beat's reference ECG cycle (the PPG itself is whole).
    EcgGap,
    /// The PPG sits flat for ≥ 40 ms at a rail: its global maximum or minimum, where that value
    /// holds ≥ 0.5 % of all samples (the signal saturates there).
    Clipping,
    /// Onset-to-onset interval outside 30–240 bpm.
    ImplausibleDuration,
    /// Correlation with the neighbourhood template below [`MIN_TEMPLATE_CORRELATION`].
    LowTemplateCorrelation,
    /// No pulse: the beat's amplitude is below 2 % of the record's median beat amplitude.
    FlatLine,
    /// The file has an ECG but no R-peak pairs with this onset.
    MissingEcgMatch,
}

impl QualityReason {
    /// About the reference ECG, not the pulse: the PPG of the beat is fine.
    pub fn is_ecg_side(self) -> bool {
        matches!(self, QualityReason::MissingEcgMatch | QualityReason::EcgGap)
    }

    pub fn describe(self) -> &'static str {
        match self {
            QualityReason::NanGap => "gap in the recording",
            QualityReason::EcgGap => "gap in the reference ECG",
            QualityReason::Clipping => "signal clipped at the rail",
            QualityReason::ImplausibleDuration => "beat length outside 30–240 bpm",
            QualityReason::LowTemplateCorrelation => "shape unlike neighbouring beats",
            QualityReason::FlatLine => "no pulse (flat line)",
            QualityReason::MissingEcgMatch => "no matching ECG R-peak",
        }
    }
}

/// Shortest and longest plausible beat (240 and 30 bpm).
pub const BEAT_DURATION_RANGE_SECS: (f64, f64) = (0.25, 2.0);
/// Orphanidou et al. 2015 use 0.86 in sinus rhythm; on the MIMIC PERform AF *train* records
/// that flags 32 % of AF beats (whose shape honestly varies with the preceding interval), while
/// 0.75 keeps 78 % of AF and 95 % of non-AF reference beats inside usable beats at a usable-beat
/// F1 of 98.0 % (AF) and 99.8 % (non-AF); 0.6 gains 7 points of AF coverage for 0.5 points of F1.
pub const MIN_TEMPLATE_CORRELATION: f32 = 0.75;
/// Neighbours on each side that form a beat's template.
pub const TEMPLATE_NEIGHBOURS: usize = 8;
const CLIP_RUN_SECS: f64 = 0.04;
const FLAT_AMPLITUDE_SHARE: f32 = 0.02;

/// One beat as quality assessment sees it: sample indices at the analysis rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeatSpan {
    pub onset: usize,
    pub next_onset: usize,
    /// The paired ECG cycle [R k, R k+1), when the file has an ECG and a pair was found.
    pub ecg_cycle: Option<(usize, usize)>,
}

/// Reasons per beat. `raw_ppg` is the PPG at `sample_rate_hz` with NaN gaps kept; `shape_ppg`
/// is the gap-filled, detrended PPG the cycles are cut from; `raw_ecg` is `Some` when the file
/// has an ECG.
pub fn assess(raw_ppg: &[f32], shape_ppg: &[f32], raw_ecg: Option<&[f32]>, beats: &[BeatSpan], sample_rate_hz: f64) -> Vec<Vec<QualityReason>> {
    // Without finite samples no value equals a rail, so neither saturates.
    let (rail_lo, rail_hi) = super::finite_range(raw_ppg).unwrap_or((f32::INFINITY, f32::NEG_INFINITY));
    let clip_run = (CLIP_RUN_SECS * sample_rate_hz).round().max(2.0) as usize;
    // A rail is where the signal saturates: the extreme value itself is common (≥ 0.5 % of
    // samples). A smooth signal touches its extremes in a handful of samples; MIMIC's coarse
    // quantisation can park one ordinary trough there for 0.3 s, which is not clipping.
    let finite = raw_ppg.iter().filter(|v| v.is_finite()).count();
    let common = |rail: f32| raw_ppg.iter().filter(|&&v| v == rail).count() * 200 >= finite.max(1);
    let (hi_saturates, lo_saturates) = (common(rail_hi), common(rail_lo));
    let amplitudes: Vec<f32> = beats.iter().map(|b| range_of(&raw_ppg[b.onset..=b.next_onset.min(raw_ppg.len() - 1)])).collect();
    let median_amplitude = median(amplitudes.iter().copied().filter(|v| v.is_finite()).collect());
    let correlations = template_correlations(shape_ppg, beats);
    beats
        .iter()
        .enumerate()
        .map(|(k, b)| {
            let mut reasons = Vec::new();
            let span = &raw_ppg[b.onset..=b.next_onset.min(raw_ppg.len() - 1)];
            let ecg_gap = match (raw_ecg, b.ecg_cycle) {
                (Some(e), Some((s, t))) => e[s.min(e.len())..t.min(e.len())].iter().any(|v| v.is_nan()),
                _ => false,
            };
            if span.iter().any(|v| v.is_nan()) {
                reasons.push(QualityReason::NanGap);
            } else if ecg_gap {
                reasons.push(QualityReason::EcgGap);
            }
            if (hi_saturates && has_run_at(span, rail_hi, clip_run)) || (lo_saturates && has_run_at(span, rail_lo, clip_run)) {
                reasons.push(QualityReason::Clipping);
            }
            let secs = (b.next_onset - b.onset) as f64 / sample_rate_hz;
            if !(BEAT_DURATION_RANGE_SECS.0..=BEAT_DURATION_RANGE_SECS.1).contains(&secs) {
                reasons.push(QualityReason::ImplausibleDuration);
            }
            let flat = !(amplitudes[k] > FLAT_AMPLITUDE_SHARE * median_amplitude) && !span.iter().any(|v| v.is_nan());
            if flat {
                reasons.push(QualityReason::FlatLine);
            }
            if !flat && correlations[k].is_some_and(|c| c < MIN_TEMPLATE_CORRELATION) {
                reasons.push(QualityReason::LowTemplateCorrelation);
            }
            if raw_ecg.is_some() && b.ecg_cycle.is_none() {
                reasons.push(QualityReason::MissingEcgMatch);
            }
            reasons
        })
        .collect()
}

fn range_of(x: &[f32]) -> f32 {
    super::finite_range(x).map_or(f32::NAN, |(lo, hi)| hi - lo)
}

fn median(mut v: Vec<f32>) -> f32 {
    if v.is_empty() {
        return f32::NAN;
    }
    let mid = v.len() / 2;
    *v.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1
}

/// True when `x` holds `run` consecutive samples equal to `rail`.
fn has_run_at(x: &[f32], rail: f32, run: usize) -> bool {
    let mut count = 0;
    for &v in x {
        count = if v == rail { count + 1 } else { 0 };
        if count >= run {
            return true;
        }
    }
    false
}

/// Pearson correlation of each beat with the mean of its ±[`TEMPLATE_NEIGHBOURS`] neighbours
/// (Orphanidou 2015), each taken from its onset over w = min(this beat's length, the
/// neighbourhood's median length) samples. Orphanidou uses the median length alone; in AF that
/// window runs into the next upstroke of every short beat and condemns it, so the window stops at
/// the beat's own end, and only neighbours at least w long (whose window is all their own beat)
/// form the template. `None` where no such neighbour exists.
pub fn template_correlations(x: &[f32], beats: &[BeatSpan]) -> Vec<Option<f32>> {
    let n = beats.len();
    let mut out = vec![None; n];
    let mut template: Vec<f32> = Vec::new();
    let len = |b: &BeatSpan| b.next_onset - b.onset;
    for k in 0..n {
        let (lo, hi) = (k.saturating_sub(TEMPLATE_NEIGHBOURS), (k + TEMPLATE_NEIGHBOURS + 1).min(n));
        if hi - lo < 3 {
            continue;
        }
        let median_len = median(beats[lo..hi].iter().map(|b| len(b) as f32).collect()) as usize;
        let w = median_len.min(len(&beats[k]));
        if w < 4 || beats[k].onset + w > x.len() {
            continue;
        }
        template.clear();
        template.resize(w, 0.0);
        let mut used = 0;
        for (j, b) in beats.iter().enumerate().take(hi).skip(lo) {
            if j == k || len(b) < w || b.onset + w > x.len() {
                continue;
            }
            for (t, v) in template.iter_mut().zip(&x[b.onset..b.onset + w]) {
                *t += v;
            }
            used += 1;
        }
        if used == 0 {
            continue;
        }
        out[k] = pearson(&x[beats[k].onset..beats[k].onset + w], &template);
    }
    out
}

fn pearson(a: &[f32], b: &[f32]) -> Option<f32> {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().map(|&v| f64::from(v)).sum::<f64>() / n, b.iter().map(|&v| f64::from(v)).sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (f64::from(x) - ma, f64::from(y) - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    (saa > 0.0 && sbb > 0.0).then(|| (sab / (saa * sbb).sqrt()) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(onsets: &[usize]) -> Vec<BeatSpan> {
        onsets.windows(2).map(|w| BeatSpan { onset: w[0], next_onset: w[1], ecg_cycle: None }).collect()
    }

    #[test]
    fn each_reason_is_raised_by_its_own_defect() {
        let fs = 125.0;
        let onsets: Vec<usize> = (0..30).map(|k| k * 100).collect();
        let mut x: Vec<f32> = (0..3000).map(|i| ((i % 100) as f32 / 100.0 * std::f32::consts::PI).sin()).collect();
        let mut beats = spans(&onsets);
        let clean = assess(&x, &x, None, &beats, fs);
        assert!(clean.iter().all(Vec::is_empty), "{clean:?}");
        x[1050] = f32::NAN; // beat 10
        x[1520..1540].fill(2.0); // beats 15 and 16: flat tops at the rail
        x[1620..1640].fill(2.0);
        for v in &mut x[2000..2100] { *v *= 0.001; } // beat 20: no pulse
        for (i, v) in x[2500..2600].iter_mut().enumerate() { *v = ((i as f32) * 0.9).sin() * 0.5 + 0.5; } // beat 25: noise
        beats[5].next_onset = beats[5].onset + 20; // 375 bpm
        let filled: Vec<f32> = x.iter().map(|v| if v.is_nan() { 0.5 } else { *v }).collect();
        let q = assess(&x, &filled, Some(&filled), &beats, fs);
        assert!(q[10].contains(&QualityReason::NanGap));
        assert!(q[15].contains(&QualityReason::Clipping));
        assert!(q[20].contains(&QualityReason::FlatLine));
        assert!(q[25].contains(&QualityReason::LowTemplateCorrelation));
        assert!(q[5].contains(&QualityReason::ImplausibleDuration));
        assert!(q.iter().all(|r| r.contains(&QualityReason::MissingEcgMatch)));
        assert!(!q[3].contains(&QualityReason::LowTemplateCorrelation));
    }

    #[test]
    fn no_beats_no_reasons() {
        assert!(assess(&[0.0; 10], &[0.0; 10], None, &[], 125.0).is_empty());
    }
}
