//! ECG R-peak detection.
//!
//! - [`pan_tompkins`]: Pan J, Tompkins WJ. A real-time QRS detection algorithm. IEEE Trans
//!   Biomed Eng 1985;32(3):230–236. Band-pass 5–15 Hz, derivative, squaring, 150-ms moving
//!   window integration, adaptive signal/noise thresholds, search-back at 166 % of the RR
//!   average, T-wave rejection within 360 ms, thresholds halved when the rhythm is irregular.
//!   Filters are applied forward-backward (zero phase), so no delay compensation is needed.
//! - [`elgendi`]: Elgendi M. Fast QRS detection with an optimized knowledge-based method:
//!   evaluation on 11 standard ECG databases. PLoS ONE 2013;8(9):e73557 (two moving averages,
//!   β = 0.08). It is the second, independent detector that [`crate::dsp::eval`] uses to judge
//!   where the ECG reference can be trusted, as Charlton et al. 2022 did with two detectors.
//!
//! Both are polarity-agnostic up to the squaring; each detection is then moved to the extremum
//! of the baseline-free ECG with the record's dominant QRS polarity, so inverted leads and DC
//! offsets (MIMIC's lead II sits at +0.3–1.5 mV) give the true R (or QS) sample.

use super::filter::{butter, fill_gaps, filtfilt, Band};

/// Pan–Tompkins R-peaks (sample indices) of an ECG at `sample_rate_hz` (≥ 40 Hz).
pub fn pan_tompkins(ecg: &[f32], sample_rate_hz: f64) -> Vec<usize> {
    let Some(filled) = prepare(ecg, sample_rate_hz) else { return Vec::new() };
    let fs = sample_rate_hz;
    let Ok(bp_sos) = butter(2, Band::BandPass { low_hz: 5.0, high_hz: 15.0 }, fs) else { return Vec::new() };
    let bp = filtfilt(&bp_sos, &filled);
    let n = bp.len();
    // Five-point derivative, centred.
    let mut slope = vec![0.0f32; n];
    for i in 2..n.saturating_sub(2) {
        slope[i] = (2.0 * bp[i + 2] + bp[i + 1] - bp[i - 1] - 2.0 * bp[i - 2]) * (fs as f32 / 8.0);
    }
    let sq: Vec<f32> = slope.iter().map(|d| d * d).collect();
    let mwi = moving_average(&sq, secs(0.150, fs));
    let refractory = secs(0.200, fs);
    let t_wave_window = secs(0.360, fs);
    let slope_half = secs(0.075, fs);
    // T-wave test slopes are taken on the wide-band (0.5-Hz high-passed) ECG: at 125 Hz a
    // narrow QRS loses most of its slope in the 5–15 Hz band, a peaked T wave does not.
    let Ok(hp) = butter(2, Band::HighPass { cutoff_hz: 0.5 }, fs) else { return Vec::new() };
    let wide = filtfilt(&hp, &filled);
    let max_slope = |i: usize| {
        let (lo, hi) = (i.saturating_sub(slope_half), (i + slope_half).min(n - 1));
        (lo..hi).fold(0.0f32, |m, j| m.max((wide[j + 1] - wide[j]).abs()))
    };
    // Candidates: MWI maxima that are the largest within ±200 ms, so a noise bump just before a
    // QRS cannot claim the refractory period and hide the QRS.
    let is_candidate = local_max_within(&mwi, refractory);

    let learn = secs(2.0, fs).min(n);
    let mut spki = 0.25 * mwi[..learn].iter().fold(0.0f32, |m, &v| m.max(v));
    let mut npki = 0.5 * mwi[..learn].iter().sum::<f32>() / learn.max(1) as f32;
    let mut qrs: Vec<usize> = Vec::new();
    let mut qrs_slope: Vec<f32> = Vec::new();
    let mut rr_recent: Vec<usize> = Vec::new();
    let mut rr_selected: Vec<usize> = Vec::new();
    let mut noise_since_last: Vec<usize> = Vec::new();
    let mean = |v: &[usize]| v.iter().sum::<usize>() as f64 / v.len().max(1) as f64;

    let accept = |i: usize, qrs: &mut Vec<usize>, qrs_slope: &mut Vec<f32>, rr_recent: &mut Vec<usize>, rr_selected: &mut Vec<usize>| {
        if let Some(&last) = qrs.last() {
            let rr = i - last;
            let avg2 = if rr_selected.is_empty() { rr as f64 } else { mean(rr_selected) };
            rr_recent.push(rr);
            if rr_recent.len() > 8 { rr_recent.remove(0); }
            if (0.92 * avg2..=1.16 * avg2).contains(&(rr as f64)) || rr_selected.is_empty() {
                rr_selected.push(rr);
                if rr_selected.len() > 8 { rr_selected.remove(0); }
            }
        }
        qrs.push(i);
        qrs_slope.push(max_slope(i));
    };

    for i in 1..n.saturating_sub(1) {
        if !is_candidate[i] {
            continue;
        }
        let v = mwi[i];
        let (avg2, irregular) = match (rr_selected.is_empty(), rr_recent.last()) {
            (false, Some(&rr)) => {
                let a = mean(&rr_selected);
                (Some(a), !(0.92 * a..=1.16 * a).contains(&(rr as f64)))
            }
            _ => (None, false),
        };
        // Search back for a missed beat before judging this candidate.
        if let (Some(avg2), Some(&last)) = (avg2, qrs.last())
            && (i - last) as f64 > 1.66 * avg2 {
                let t2 = 0.5 * (npki + 0.25 * (spki - npki));
                let best = noise_since_last
                    .iter()
                    .copied()
                    .filter(|&c| c > last + refractory && i > c + refractory && mwi[c] > t2)
                    .max_by(|&a, &b| mwi[a].total_cmp(&mwi[b]));
                if let Some(c) = best {
                    spki = 0.25 * mwi[c] + 0.75 * spki;
                    accept(c, &mut qrs, &mut qrs_slope, &mut rr_recent, &mut rr_selected);
                    noise_since_last.clear();
                }
            }
        let mut t1 = npki + 0.25 * (spki - npki);
        if irregular {
            t1 *= 0.5;
        }
        let last = qrs.last().copied();
        if last.is_some_and(|l| i < l + refractory) {
            continue;
        }
        let is_t_wave = match last {
            Some(l) if i < l + t_wave_window => max_slope(i) < 0.5 * qrs_slope.last().copied().unwrap_or(0.0),
            _ => false,
        };
        if v > t1 && !is_t_wave {
            spki = 0.125 * v + 0.875 * spki;
            accept(i, &mut qrs, &mut qrs_slope, &mut rr_recent, &mut rr_selected);
            noise_since_last.clear();
        } else {
            npki = 0.125 * v + 0.875 * npki;
            noise_since_last.push(i);
        }
    }
    refine_to_extremum(ecg, &filled, &qrs, fs)
}

/// Elgendi (2013) R-peaks: band-pass 8–20 Hz, squared, a 97-ms QRS moving average against a
/// 611-ms beat moving average plus β = 0.08 times the mean energy; blocks at least 97 ms wide
/// are QRS complexes.
pub fn elgendi(ecg: &[f32], sample_rate_hz: f64) -> Vec<usize> {
    let Some(filled) = prepare(ecg, sample_rate_hz) else { return Vec::new() };
    let fs = sample_rate_hz;
    let Ok(sos) = butter(3, Band::BandPass { low_hz: 8.0, high_hz: 20.0 }, fs) else { return Vec::new() };
    let bp = filtfilt(&sos, &filled);
    let y: Vec<f32> = bp.iter().map(|v| v * v).collect();
    let w1 = secs(0.097, fs);
    let ma_qrs = moving_average(&y, w1);
    let ma_beat = moving_average(&y, secs(0.611, fs));
    let alpha = 0.08 * y.iter().sum::<f32>() / y.len() as f32;
    let mut peaks = Vec::new();
    let mut i = 0;
    while i < y.len() {
        if ma_qrs[i] > ma_beat[i] + alpha {
            let start = i;
            while i < y.len() && ma_qrs[i] > ma_beat[i] + alpha {
                i += 1;
            }
            if i - start >= w1 {
                let best = (start..i).max_by(|&a, &b| y[a].total_cmp(&y[b])).unwrap_or(start);
                peaks.push(best);
            }
        }
        i += 1;
    }
    refine_to_extremum(ecg, &filled, &peaks, fs)
}

/// `out[i]`: x[i] is a strict local maximum and the largest value within ±`h` samples (ties go
/// to the earliest).
fn local_max_within(x: &[f32], h: usize) -> Vec<bool> {
    let n = x.len();
    let mut out = vec![false; n];
    let mut deque: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    // Sliding-window maximum over [i - h, i + h].
    let mut next = 0;
    for i in 0..n {
        while next < n && next <= i + h {
            while deque.back().is_some_and(|&b| x[b] < x[next]) {
                deque.pop_back();
            }
            deque.push_back(next);
            next += 1;
        }
        while deque.front().is_some_and(|&f| f + h < i) {
            deque.pop_front();
        }
        let is_peak = i > 0 && i + 1 < n && x[i] > x[i - 1] && x[i] >= x[i + 1];
        out[i] = is_peak && deque.front() == Some(&i);
    }
    out
}

fn secs(s: f64, fs: f64) -> usize {
    (s * fs).round().max(1.0) as usize
}

/// Gap-filled copy; `None` when the input is too short, all NaN or the rate unusable.
fn prepare(ecg: &[f32], fs: f64) -> Option<Vec<f32>> {
    if !(fs >= 40.0 && fs.is_finite()) || (ecg.len() as f64) < fs {
        return None;
    }
    fill_gaps(ecg)
}

/// Centred moving average over `w` samples (shrinking at the ends).
pub(crate) fn moving_average(x: &[f32], w: usize) -> Vec<f32> {
    let n = x.len();
    let mut prefix = vec![0.0f64; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + f64::from(x[i]);
    }
    let (before, after) = (w / 2, w - 1 - w / 2);
    (0..n)
        .map(|i| {
            let (lo, hi) = (i.saturating_sub(before), (i + after + 1).min(n));
            ((prefix[hi] - prefix[lo]) / (hi - lo) as f64) as f32
        })
        .collect()
}

/// Moves each detection to the R-peak: first to the steepest point of the QRS (maximum
/// |derivative| of the baseline-free ECG within ±75 ms), then to the extremum with the record's
/// dominant QRS polarity within ±50 ms of it. Polarity comes from the signal, not from the
/// detections, so two detectors refine alike: inverted when the 0.2nd percentile of the
/// baseline-free ECG lies further from zero than the 99.8th. Detections on NaN samples are
/// dropped; ones closer than 200 ms are merged (keeping the larger).
fn refine_to_extremum(raw: &[f32], filled: &[f32], detections: &[usize], fs: f64) -> Vec<usize> {
    if detections.is_empty() {
        return Vec::new();
    }
    let Ok(hp) = butter(2, Band::HighPass { cutoff_hz: 0.5 }, fs) else { return Vec::new() };
    let base_free = filtfilt(&hp, filled);
    let n = base_free.len();
    let sign = dominant_polarity(&base_free);
    let around = |i: usize, h: usize| i.saturating_sub(h)..(i + h + 1).min(n);
    let steep = |i: usize| if i + 1 < n { (base_free[i + 1] - base_free[i]).abs() } else { 0.0 };
    let mut out: Vec<usize> = Vec::with_capacity(detections.len());
    for &d in detections {
        let q = around(d, secs(0.075, fs)).max_by(|&a, &b| steep(a).total_cmp(&steep(b))).unwrap_or(d);
        let r = around(q, secs(0.050, fs)).max_by(|&a, &b| (sign * base_free[a]).total_cmp(&(sign * base_free[b]))).unwrap_or(q);
        if raw[r].is_nan() {
            continue;
        }
        match out.last_mut() {
            Some(last) if r < *last + secs(0.200, fs) => {
                if sign * base_free[r] > sign * base_free[*last] {
                    *last = r;
                }
            }
            _ => out.push(r),
        }
    }
    out
}

/// +1 for upright QRS complexes, −1 for inverted ones (see [`refine_to_extremum`]).
pub fn dominant_polarity(base_free: &[f32]) -> f32 {
    let mut v: Vec<f32> = base_free.iter().copied().filter(|x| x.is_finite()).collect();
    if v.len() < 10 {
        return 1.0;
    }
    let k_hi = v.len() * 998 / 1000;
    let hi = *v.select_nth_unstable_by(k_hi, |a, b| a.total_cmp(b)).1;
    let k_lo = v.len() * 2 / 1000;
    let lo = *v.select_nth_unstable_by(k_lo, |a, b| a.total_cmp(b)).1;
    if -lo > hi { -1.0 } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic ECG: narrow R waves (and a broad T wave) at known samples, on an offset.
    fn ecg_train(r_secs: &[f64], fs: f64, len_secs: f64, polarity: f32, offset: f32) -> Vec<f32> {
        let n = (len_secs * fs) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / fs;
                let v: f64 = r_secs
                    .iter()
                    .map(|&r| (-((t - r) / 0.012).powi(2)).exp() - 0.15 * (-((t - r - 0.03) / 0.01).powi(2)).exp() + 0.25 * (-((t - r - 0.28) / 0.05).powi(2)).exp())
                    .sum();
                polarity * v as f32 + offset + 0.05 * (t * 0.3).sin() as f32
            })
            .collect()
    }

    fn irregular_r_times(count: usize) -> Vec<f64> {
        // Deterministic AF-like intervals between 0.4 and 1.1 s.
        let mut t = 0.6;
        (0..count)
            .map(|k| {
                let r = t;
                t += 0.4 + 0.7 * (((k * 7919) % 113) as f64 / 113.0);
                r
            })
            .collect()
    }

    #[test]
    fn both_detectors_find_every_r_wave_upright_or_inverted() {
        let fs = 125.0;
        let r = irregular_r_times(60);
        let len = r.last().unwrap() + 1.0;
        for (polarity, offset) in [(1.0, 0.8), (-1.0, -0.5)] {
            let x = ecg_train(&r, fs, len, polarity, offset);
            for (name, found) in [("pan-tompkins", pan_tompkins(&x, fs)), ("elgendi", elgendi(&x, fs))] {
                assert_eq!(found.len(), r.len(), "{name}, polarity {polarity}");
                for (f, want) in found.iter().zip(&r) {
                    assert!((*f as f64 / fs - want).abs() <= 1.0 / fs, "{name}: {f} vs {want}");
                }
            }
        }
    }

    #[test]
    fn degenerate_ecg_gives_no_peaks() {
        assert!(pan_tompkins(&[], 125.0).is_empty());
        assert!(pan_tompkins(&[0.3; 5000], 125.0).is_empty());
        assert!(pan_tompkins(&[f32::NAN; 5000], 125.0).is_empty());
        assert!(elgendi(&[0.3; 5000], 125.0).is_empty());
        assert!(pan_tompkins(&[0.0; 50], 125.0).is_empty());
    }
}
