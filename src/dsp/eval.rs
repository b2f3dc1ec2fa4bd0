//! Scoring PPG beats against ECG-derived reference beats, after Charlton et al. 2022 ("Detecting
//! beats in the photoplethysmogram: benchmarking open-source algorithms", Physiol Meas 43
//! 085007, and its toolbox's `assess_beat_detectors.m`, `align_ppg_ecg_beats.m`,
//! `detect_ecg_beats.m`):
//!
//! - reference beats: R-peaks of the simultaneous ECG (Pan–Tompkins); the ECG is trusted only in
//!   20-s windows (5-s overlap) where a second, independent detector (Elgendi) agrees on every
//!   beat within 150 ms; PPG windows with no signal (NaN, or flat for > 1 s; the toolbox's
//!   0.1 s, widened for MIMIC's quantisation, see [`FLAT_LINE_SECS`]) are excluded;
//! - each PPG beat is represented by its upstroke's mid-amplitude point;
//! - pulse arrival: the lag (0–2 s, 8-ms steps) that lets the most reference beats find a PPG
//!   beat within tolerance, estimated per block of 300 R-peaks (the toolbox's variable lag) near
//!   the lag of the whole record ([`anchored_lags_secs`]);
//! - a PPG beat matches a reference beat when it lies within ±150 ms of R + lag; matching is
//!   one-to-one (stricter than the toolbox, which lets one PPG beat count for two references);
//! - TP, FP, FN per record; sensitivity TP/(TP+FN), PPV TP/(TP+FP), F1 their harmonic mean.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::beats::{analyse_beats, to_analysis_rate};
use super::cycles::{block_lag_secs, LAG_BLOCK_BEATS};
use super::ecg_peaks::elgendi;
use super::filter::ANALYSIS_RATE_HZ;

pub const MATCH_TOLERANCE_SECS: f64 = 0.150;
const QUALITY_WINDOW_SECS: f64 = 20.0;
const QUALITY_WINDOW_OVERLAP_SECS: f64 = 5.0;
const LAG_RANGE_SECS: (f64, f64) = (0.0, 2.0);
/// The toolbox uses 0.1 s; MIMIC's coarsely quantised PPG (≈ 1/256 of full scale) sits on one
/// value for up to 0.3 s at diastolic troughs of perfectly good pulses (train record af_002),
/// so only a flat line of a whole second counts as no signal here.
const FLAT_LINE_SECS: f64 = 1.0;

/// True positives, false positives, false negatives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn sensitivity(&self) -> f64 { ratio(self.tp, self.tp + self.fn_) }
    pub fn ppv(&self) -> f64 { ratio(self.tp, self.tp + self.fp) }
    pub fn f1(&self) -> f64 { ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_) }
    fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { f64::NAN } else { a as f64 / b as f64 }
}

/// One-to-one matching of sorted detection times to sorted reference times within ±`tol_secs`.
pub fn match_beats(detections_secs: &[f64], references_secs: &[f64], tol_secs: f64) -> Counts {
    let (_, found) = match_flags(detections_secs, references_secs, tol_secs);
    let tp = found.iter().filter(|&&f| f).count();
    Counts { tp, fp: detections_secs.len() - tp, fn_: references_secs.len() - tp }
}

/// [`match_beats`]'s pairing as flags: (each detection matched, each reference found).
pub fn match_flags(detections_secs: &[f64], references_secs: &[f64], tol_secs: f64) -> (Vec<bool>, Vec<bool>) {
    let mut used = vec![false; detections_secs.len()];
    let mut start = 0;
    let found = references_secs
        .iter()
        .map(|&r| {
            while start < detections_secs.len() && detections_secs[start] < r - tol_secs {
                start += 1;
            }
            super::cycles::claim_nearest(detections_secs, start, r, tol_secs, &mut used).is_some()
        })
        .collect();
    (used, found)
}

/// Where the main result's errors lie: a researcher's first question about a detector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErrorSites {
    /// False detections and missed references outside the beats the PPG quality check calls
    /// usable (artefact, clipping, implausible duration, …).
    pub fp_outside_usable: usize,
    pub fn_outside_usable: usize,
    /// Missed references inside usable beats whose R–R interval before them is under
    /// [`SHORT_RR_FRACTION`] of the median of the surrounding 20: heartbeats after a short
    /// filling time, whose pulse may not reach the finger (pulse deficit, common in AF).
    pub fn_after_short_rr: usize,
}

impl ErrorSites {
    fn add(&mut self, o: ErrorSites) {
        self.fp_outside_usable += o.fp_outside_usable;
        self.fn_outside_usable += o.fn_outside_usable;
        self.fn_after_short_rr += o.fn_after_short_rr;
    }
}

pub const SHORT_RR_FRACTION: f64 = 0.75;

/// Block lags as the toolbox's variable lag, each searched within ±[`ANCHOR_RR_FRACTION`] of the
/// record's median R–R interval around the lag of the whole record. Over the toolbox's wide
/// range a regular rhythm fits lag L and L − RR almost equally well, and a flip between them from
/// one block to the next leaves, at the block boundary, one reference without a beat (or one
/// beat without a reference): an error of the scorer, not of the detector. The toolbox drops the
/// references that stop increasing and excludes the gap; anchoring keeps one beat-to-beat
/// correspondence and scores them.
pub fn anchored_lags_secs(detections_secs: &[f64], refs_secs: &[f64], range_secs: (f64, f64), tol_secs: f64) -> Vec<f64> {
    let mut rr: Vec<f64> = refs_secs.windows(2).map(|w| w[1] - w[0]).collect();
    rr.sort_by(f64::total_cmp);
    let Some(&median_rr) = rr.get(rr.len() / 2) else {
        return vec![block_lag_secs(detections_secs, refs_secs, range_secs, tol_secs); refs_secs.len()];
    };
    let whole = block_lag_secs(detections_secs, refs_secs, range_secs, tol_secs);
    let half_width = ANCHOR_RR_FRACTION * median_rr;
    refs_secs
        .chunks(LAG_BLOCK_BEATS)
        .flat_map(|block| std::iter::repeat_n(block_lag_secs(detections_secs, block, (whole - half_width, whole + half_width), tol_secs), block.len()))
        .collect()
}

/// A quarter beat: room for the slow drift of pulse arrival time between 300-beat blocks, never
/// enough to reach the neighbouring beat.
pub const ANCHOR_RR_FRACTION: f64 = 0.25;

/// For each R-peak time, whether the interval before it is short against the median of the
/// 20 intervals around it.
fn after_short_rr(r_secs: &[f64]) -> Vec<bool> {
    let rr: Vec<f64> = r_secs.windows(2).map(|w| w[1] - w[0]).collect();
    (0..r_secs.len())
        .map(|j| {
            if j == 0 {
                return false;
            }
            super::local_median(&rr, j - 1, 10).is_some_and(|m| rr[j - 1] < SHORT_RR_FRACTION * m)
        })
        .collect()
}

/// Samples with no signal: NaN, or part of a run of identical values longer than
/// [`FLAT_LINE_SECS`] (after the toolbox's `identify_periods_of_no_signal`).
pub fn no_signal_mask(x: &[f32], sample_rate_hz: f64) -> Vec<bool> {
    let mut mask: Vec<bool> = x.iter().map(|v| !v.is_finite()).collect();
    let min_run = (FLAT_LINE_SECS * sample_rate_hz).round() as usize;
    let mut i = 0;
    while i < x.len() {
        let mut j = i + 1;
        while j < x.len() && x[j] == x[i] {
            j += 1;
        }
        if j - i > min_run {
            mask[i..j].fill(true);
        }
        i = j;
    }
    mask
}

/// Windows of 20 s (5-s overlap) as sample ranges.
fn quality_windows(n: usize, fs: f64) -> Vec<(usize, usize)> {
    let (w, step) = ((QUALITY_WINDOW_SECS * fs) as usize, ((QUALITY_WINDOW_SECS - QUALITY_WINDOW_OVERLAP_SECS) * fs) as usize);
    let mut out = Vec::new();
    let mut s = 0;
    while s + w <= n {
        out.push((s, s + w));
        s += step;
    }
    if out.is_empty() && n > 0 {
        out.push((0, n));
    }
    out
}

/// Samples where the ECG reference is trusted: covered by at least one 20-s window with signal
/// in which both detectors found beats and agree on every one of them within 150 ms.
pub fn ecg_trusted_mask(primary: &[usize], second: &[usize], ecg_no_signal: &[bool], fs: f64) -> Vec<bool> {
    let n = ecg_no_signal.len();
    let tol = (MATCH_TOLERANCE_SECS * fs) as usize;
    let near = |v: &[usize], x: usize| {
        let i = v.partition_point(|&p| p + tol < x);
        i < v.len() && v[i] <= x + tol
    };
    let mut ok = vec![false; n];
    for (s, e) in quality_windows(n, fs) {
        if ecg_no_signal[s..e].iter().any(|&b| b) {
            continue;
        }
        let a = &primary[primary.partition_point(|&p| p < s)..primary.partition_point(|&p| p < e)];
        let b = &second[second.partition_point(|&p| p < s)..second.partition_point(|&p| p < e)];
        if !a.is_empty() && a.iter().all(|&x| near(second, x)) && b.iter().all(|&x| near(primary, x)) {
            ok[s..e].fill(true);
        }
    }
    ok
}

/// PPG samples inside a 20-s window (5-s overlap) that has no signal anywhere are excluded.
pub fn ppg_usable_mask(ppg_no_signal: &[bool], fs: f64) -> Vec<bool> {
    let mut ok = vec![true; ppg_no_signal.len()];
    for (s, e) in quality_windows(ppg_no_signal.len(), fs) {
        if ppg_no_signal[s..e].iter().any(|&b| b) {
            ok[s..e].fill(false);
        }
    }
    ok
}

/// The score of one record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordScore {
    pub record: String,
    pub label: String,
    pub split: String,
    /// Every detected beat against every trusted reference beat.
    pub counts: Counts,
    /// Only beats the PPG-side quality check calls usable, against the reference beats that fall
    /// inside them ([`super::beats::Beat::ppg_usable`]: a missing R-peak is about the ECG).
    pub usable_counts: Counts,
    /// Median pulse arrival lag (R-peak → PPG mid-amplitude point), s.
    pub median_lag_secs: f64,
    /// Share of the record where both ECG reference and PPG were usable.
    pub assessed_fraction: f64,
    /// Share of (trusted) reference beats that fall inside usable PPG beats.
    pub usable_coverage: f64,
    /// Where the errors of `counts` lie.
    pub error_sites: ErrorSites,
}

/// Scores PPG beats of [`analyse_beats`] (mid-amplitude points) against R-peaks, as the module
/// doc describes. Both signals at `fs`.
pub fn score_record(ppg: &[f32], ecg: &[f32], fs: f64) -> RecordScore {
    let n = ppg.len().min(ecg.len());
    let (ppg, ecg) = (&ppg[..n], &ecg[..n]);
    let analysis = analyse_beats(ppg, fs, Some((ecg, fs)));
    let mids: Vec<f64> = analysis.beats.iter().map(|b| b.fiducials.mid_amplitude as f64 / fs).collect();
    let ppg_ok_beat: Vec<bool> = analysis.beats.iter().map(|b| b.ppg_usable()).collect();
    let mut usable_span = vec![false; n];
    for (b, &ok) in analysis.beats.iter().zip(&ppg_ok_beat) {
        if ok {
            usable_span[b.fiducials.onset..b.fiducials.next_onset.min(n)].fill(true);
        }
    }
    let r_pt = &analysis.r_peaks;
    let r_el = elgendi(ecg, fs);
    let ecg_ok = ecg_trusted_mask(r_pt, &r_el, &no_signal_mask(ecg, fs), fs);
    let ppg_ok = ppg_usable_mask(&no_signal_mask(ppg, fs), fs);
    let refs_all: Vec<f64> = r_pt.iter().map(|&i| i as f64 / fs).collect();
    let lags = anchored_lags_secs(&mids, &refs_all, LAG_RANGE_SECS, MATCH_TOLERANCE_SECS);
    let at = |mask: &[bool], t: f64| {
        let i = (t * fs).round();
        i >= 0.0 && (i as usize) < n && mask[i as usize]
    };
    let lag_at = |t: f64| {
        let j = refs_all.partition_point(|&r| r < t).min(lags.len().saturating_sub(1));
        lags.get(j).copied().unwrap_or(0.0)
    };
    let short = after_short_rr(&refs_all);
    let trusted: Vec<usize> = (0..refs_all.len()).filter(|&j| at(&ecg_ok, refs_all[j]) && at(&ppg_ok, refs_all[j] + lags[j])).collect();
    let refs: Vec<f64> = trusted.iter().map(|&j| refs_all[j] + lags[j]).collect();
    let keep = |d: f64| at(&ppg_ok, d) && at(&ecg_ok, d - lag_at(d));
    let dets: Vec<f64> = mids.iter().copied().filter(|&d| keep(d)).collect();
    let counts = match_beats(&dets, &refs, MATCH_TOLERANCE_SECS);
    let (matched, found) = match_flags(&dets, &refs, MATCH_TOLERANCE_SECS);
    let mut error_sites = ErrorSites { fp_outside_usable: dets.iter().zip(&matched).filter(|&(&d, &m)| !m && !at(&usable_span, d)).count(), ..ErrorSites::default() };
    for (k, _) in found.iter().enumerate().filter(|(_, f)| !**f) {
        if !at(&usable_span, refs[k]) {
            error_sites.fn_outside_usable += 1;
        } else if short[trusted[k]] {
            error_sites.fn_after_short_rr += 1;
        }
    }
    // The beat a mid-amplitude point belongs to starts up to a pulse upstroke earlier, so a
    // reference counts as covered when its expected mid-amplitude point lies in a usable beat.
    let usable_refs: Vec<f64> = refs.iter().copied().filter(|&r| at(&usable_span, r)).collect();
    let usable_dets: Vec<f64> = mids.iter().zip(&ppg_ok_beat).filter(|&(&d, &ok)| ok && keep(d)).map(|(&d, _)| d).collect();
    let usable_counts = match_beats(&usable_dets, &usable_refs, MATCH_TOLERANCE_SECS);
    let mut sorted = lags.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    RecordScore {
        record: String::new(),
        label: String::new(),
        split: String::new(),
        counts,
        usable_counts,
        median_lag_secs: sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN),
        assessed_fraction: (0..n).filter(|&i| ecg_ok[i] && ppg_ok[i]).count() as f64 / n.max(1) as f64,
        usable_coverage: ratio(usable_refs.len(), refs.len()),
        error_sites,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Read(#[from] crate::io::ReadError),
    #[error("{path}: {what}")]
    Data { path: PathBuf, what: String },
}

/// Scores every record of the MIMIC PERform AF folder; labels and splits from `../splits.csv`.
#[derive(Debug, Clone, Default)]
pub struct EvalReport {
    pub records: Vec<RecordScore>,
}

/// Runs [`score_record`] over every `.hea` record under `data_dir` (the `mimic-perform-af`
/// folder), opened with [`crate::io::open`].
pub fn evaluate_mimic_perform(data_dir: &Path) -> Result<EvalReport, EvalError> {
    let splits_path = data_dir.parent().unwrap_or(data_dir).join("splits.csv");
    let text = std::fs::read_to_string(&splits_path).map_err(|source| EvalError::Io { path: splits_path.clone(), source })?;
    let mut splits: BTreeMap<String, (String, String)> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() >= 5 && f[0] == "mimic-perform-af" {
            splits.insert(f[1].to_string(), (f[3].to_string(), f[4].to_string()));
        }
    }
    let mut headers = Vec::new();
    for sub in std::fs::read_dir(data_dir).map_err(|source| EvalError::Io { path: data_dir.into(), source })? {
        let sub = sub.map_err(|source| EvalError::Io { path: data_dir.into(), source })?.path();
        if sub.is_dir() {
            for f in std::fs::read_dir(&sub).map_err(|source| EvalError::Io { path: sub.clone(), source })? {
                let f = f.map_err(|source| EvalError::Io { path: sub.clone(), source })?.path();
                if f.extension().is_some_and(|e| e == "hea") {
                    headers.push(f);
                }
            }
        }
    }
    headers.sort();
    let mut report = EvalReport::default();
    for path in headers {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let Some((label, split)) = splits.get(&name).cloned() else { continue };
        let rec = crate::io::open(&path)?;
        let data_err = |what: &str| EvalError::Data { path: path.clone(), what: what.into() };
        let ppg = rec.ppg_channel().ok_or_else(|| data_err("no PPG channel"))?;
        let ecg = rec.ecg_channel().ok_or_else(|| data_err("no ECG channel"))?;
        let (p, e) = (&rec.channels[ppg], &rec.channels[ecg]);
        let ppg125 = to_analysis_rate(&p.samples, p.sample_rate_hz).ok_or_else(|| data_err("PPG unusable"))?;
        let ecg125 = to_analysis_rate(&e.samples, e.sample_rate_hz).ok_or_else(|| data_err("ECG unusable"))?;
        let score = score_record(&ppg125, &ecg125, ANALYSIS_RATE_HZ);
        report.records.push(RecordScore { record: name, label, split, ..score });
    }
    Ok(report)
}

impl EvalReport {
    /// Pooled counts and per-record F1 values of one label × split group.
    pub fn group(&self, label: &str, split: &str, usable_only: bool) -> (Counts, Vec<f64>) {
        let mut c = Counts::default();
        let mut f1s = Vec::new();
        for r in self.records.iter().filter(|r| r.label == label && r.split == split) {
            let rc = if usable_only { r.usable_counts } else { r.counts };
            c.add(rc);
            f1s.push(rc.f1());
        }
        (c, f1s)
    }

    /// The error sites of one label × split group, summed.
    pub fn error_sites(&self, label: &str, split: &str) -> ErrorSites {
        let mut s = ErrorSites::default();
        for r in self.records.iter().filter(|r| r.label == label && r.split == split) {
            s.add(r.error_sites);
        }
        s
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |v: f64| if v.is_nan() { "   –  ".to_string() } else { format!("{:6.2}", 100.0 * v) };
        writeln!(f, "PPG beats (MSPTDfast v2 + hidden-pulse pass) vs ECG reference, ±{:.0} ms, Charlton et al. 2022 method", MATCH_TOLERANCE_SECS * 1e3)?;
        for (title, usable_only) in [("all detected beats (main result)", false), ("usable beats only (PPG quality flags applied; coverage = refs inside usable beats)", true)] {
            writeln!(f, "\n{title}")?;
            writeln!(f, "{:<8} {:<6} {:>4} {:>7} {:>7} {:>5} {:>5}  {:>6} {:>6} {:>6}  {:>9}", "rhythm", "split", "recs", "refs", "TP", "FP", "FN", "Se%", "PPV%", "F1%", "medianF1%")?;
            for label in ["non-AF", "AF"] {
                for split in ["train", "test"] {
                    let (c, mut f1s) = self.group(label, split, usable_only);
                    f1s.retain(|v| !v.is_nan());
                    f1s.sort_by(|a, b| a.total_cmp(b));
                    let median = if f1s.is_empty() { f64::NAN } else if f1s.len() % 2 == 1 { f1s[f1s.len() / 2] } else { 0.5 * (f1s[f1s.len() / 2 - 1] + f1s[f1s.len() / 2]) };
                    writeln!(f, "{:<8} {:<6} {:>4} {:>7} {:>7} {:>5} {:>5}  {} {} {}  {:>9}", label, split, f1s.len(), c.tp + c.fn_, c.tp, c.fp, c.fn_, pct(c.sensitivity()), pct(c.ppv()), pct(c.f1()), pct(median))?;
                }
            }
        }
        writeln!(f, "\nwhere the main result's errors lie (outside usable: in beats the PPG quality check flags; short RR: a reference after an R-R interval < {:.0} % of the local median, where a pulse deficit is expected)", 100.0 * SHORT_RR_FRACTION)?;
        writeln!(f, "{:<8} {:<6} {:>5} {:>15} {:>5} {:>15} {:>19} {:>9}", "rhythm", "split", "FP", "outside usable", "FN", "outside usable", "usable, short RR", "other")?;
        for label in ["non-AF", "AF"] {
            for split in ["train", "test"] {
                let (c, _) = self.group(label, split, false);
                let s = self.error_sites(label, split);
                let other = c.fn_ - s.fn_outside_usable - s.fn_after_short_rr;
                writeln!(f, "{:<8} {:<6} {:>5} {:>15} {:>5} {:>15} {:>19} {:>9}", label, split, c.fp, s.fp_outside_usable, c.fn_, s.fn_outside_usable, s.fn_after_short_rr, other)?;
            }
        }
        writeln!(f, "\nper record:")?;
        for r in &self.records {
            writeln!(
                f,
                "{:<26} {:<6} {:<5} refs {:>5} FP {:>4} FN {:>4}  F1 {}%  usable: F1 {}% coverage {}%  lag {:.2} s  assessed {:.0}%",
                r.record, r.label, r.split, r.counts.tp + r.counts.fn_, r.counts.fp, r.counts.fn_, pct(r.counts.f1()), pct(r.usable_counts.f1()), pct(r.usable_coverage), r.median_lag_secs, 100.0 * r.assessed_fraction
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_is_one_to_one_within_tolerance() {
        let refs = [1.0, 2.0, 3.0, 4.0];
        let dets = [1.05, 1.1, 2.2, 3.0, 5.0];
        assert_eq!(match_beats(&dets, &refs, 0.15), Counts { tp: 2, fp: 3, fn_: 2 });
        let c = Counts { tp: 90, fp: 10, fn_: 0 };
        assert!((c.f1() - 180.0 / 190.0).abs() < 1e-12 && c.sensitivity() == 1.0 && (c.ppv() - 0.9).abs() < 1e-12);
        assert!(Counts::default().f1().is_nan());
    }

    #[test]
    fn a_beat_after_a_short_interval_is_told_apart_and_flags_follow_the_matching() {
        let mut r: Vec<f64> = (0..30).map(|k| k as f64).collect();
        r[16] = 15.6; // premature beat 0.6 s after beat 15, then a compensatory pause
        let short = after_short_rr(&r);
        assert_eq!(short.iter().enumerate().filter(|(_, s)| **s).map(|(j, _)| j).collect::<Vec<_>>(), vec![16]);
        assert!(after_short_rr(&[]).is_empty() && after_short_rr(&[1.0]) == [false]);
        let (matched, found) = match_flags(&[1.05, 1.1, 2.2, 3.0], &[1.0, 2.0, 3.0], 0.15);
        assert_eq!((matched, found), (vec![true, false, false, true], vec![true, false, true]));
    }

    #[test]
    fn the_lag_is_recovered_from_an_irregular_train() {
        let mut t = 0.0;
        let refs: Vec<f64> = (0..600).map(|k| { t += 0.5 + 0.5 * (((k * 37) % 17) as f64 / 17.0); t }).collect();
        let dets: Vec<f64> = refs.iter().map(|r| r + 0.62).collect();
        let lags = anchored_lags_secs(&dets, &refs, (0.0, 2.0), 0.15);
        assert!(lags.iter().all(|l| (l - 0.62).abs() < 0.021), "{:?}", &lags[..3]);
    }

    #[test]
    fn a_regular_rhythm_keeps_one_beat_correspondence_across_blocks() {
        // RR 0.6 s, beats 0.55 s behind: lag 0.55 and −0.05 fit all but the first reference of a
        // block, so the unanchored blocks flip at the first boundary and lose a reference there.
        let refs: Vec<f64> = (0..600).map(|k| 1.0 + 0.6 * k as f64).collect();
        let dets: Vec<f64> = refs.iter().map(|r| r + 0.55).collect();
        let score = |lags: &[f64]| match_beats(&dets, &refs.iter().zip(lags).map(|(r, l)| r + l).collect::<Vec<_>>(), 0.15);
        let unanchored = super::super::cycles::variable_lag_secs(&dets, &refs, (0.0, 2.0), 0.15);
        assert!(score(&unanchored).fn_ > 0, "premise: the blocks flip ({}, {})", unanchored[0], unanchored[599]);
        let lags = anchored_lags_secs(&dets, &refs, (0.0, 2.0), 0.15);
        assert!(lags.iter().all(|l| (l - 0.55).abs() < 1e-9), "{} {}", lags[0], lags[599]);
        assert_eq!(score(&lags), Counts { tp: 600, fp: 0, fn_: 0 });
        assert!(anchored_lags_secs(&dets, &[], (0.0, 2.0), 0.15).is_empty());
        assert_eq!(anchored_lags_secs(&dets, &refs[..1], (0.0, 2.0), 0.15).len(), 1);
    }

    /// Prints the table on the real data; run with
    /// `cargo test --lib dsp::eval -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn print_mimic_perform_scores() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mimic-perform-af");
        println!("{}", evaluate_mimic_perform(&dir).unwrap());
    }
}
