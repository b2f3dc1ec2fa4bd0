//! Held-out evaluation of the shipped models (`cardioppg evaluate`): the generated ECG's
//! per-beat Pearson r and rRMSE (‖Ê − E‖₂ / ‖E‖₂, as Zhu et al. 2019 and the paper define it),
//! and the AF AUC per beat and per recording (the network's mean AF probability over the
//! recording's usable beats).

use std::collections::BTreeMap;
use std::fmt::Write;

use burn::prelude::*;

use super::data::CycleSet;
pub use super::infer::Predictions;
use super::infer::predict_in_batches;
use super::network::Network;
use crate::dsp::cycles::CYCLE_LEN;

/// The network on every cycle of `set`, `batch_size` at a time.
pub fn predict(net: &Network, set: &CycleSet, device: &Device, batch_size: usize) -> Predictions {
    predict_in_batches(net, &set.ppg, device, batch_size)
}

pub fn pearson(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    let ma = a.iter().map(|&v| v as f64).sum::<f64>() / n;
    let mb = b.iter().map(|&v| v as f64).sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (x as f64 - ma, y as f64 - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    if saa <= 0.0 || sbb <= 0.0 { 0.0 } else { sab / (saa * sbb).sqrt() }
}

/// ‖pred − truth‖₂ / ‖truth‖₂.
pub fn rrmse(pred: &[f32], truth: &[f32]) -> f64 {
    let num: f64 = pred.iter().zip(truth).map(|(&p, &t)| ((p - t) as f64).powi(2)).sum();
    let den: f64 = truth.iter().map(|&t| (t as f64).powi(2)).sum();
    if den <= 0.0 { f64::NAN } else { (num / den).sqrt() }
}

/// Area under the ROC curve (Mann–Whitney, ties counted half). NaN without both classes.
pub fn auc(scores: &[f64], positive: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        for k in i..=j {
            ranks[order[k]] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return f64::NAN;
    }
    let rank_sum: f64 = ranks.iter().zip(positive).filter(|(_, p)| **p).map(|(r, _)| r).sum();
    (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

/// Mean and sample sd of the finite values (a flat true cycle has no r or rRMSE).
fn mean_sd(v: &[f64]) -> (f64, f64) {
    let v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let n = v.len() as f64;
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, var.sqrt())
}

#[derive(Debug, Clone)]
pub struct RecordResult {
    pub record: String,
    pub label: Option<String>,
    pub beats: usize,
    pub r_mean: f64,
    pub rrmse_mean: f64,
    /// Mean probability of the positive class over the record's usable beats.
    pub positive_prob: f64,
}

/// Scores of one model on one set.
#[derive(Debug, Clone)]
pub struct SetResult {
    pub beats_scored: usize,
    pub r: (f64, f64),
    pub rrmse: (f64, f64),
    pub beat_auc: f64,
    pub record_auc: f64,
    pub records: Vec<RecordResult>,
}

/// `positive` is the index of the class scored by the AUC (AF).
pub fn score(set: &CycleSet, pred: &Predictions, positive: usize) -> SetResult {
    let (mut rs, mut es) = (Vec::new(), Vec::new());
    let (mut beat_scores, mut beat_pos) = (Vec::new(), Vec::new());
    let mut per_record: BTreeMap<u32, (Vec<f64>, Vec<f64>, Vec<f64>, i32)> = BTreeMap::new();
    for i in 0..set.len() {
        let p = pred.probs[i * pred.classes + positive] as f64;
        let entry = per_record.entry(set.record[i]).or_default();
        entry.2.push(p);
        entry.3 = set.class[i];
        if set.class[i] >= 0 {
            beat_scores.push(p);
            beat_pos.push(set.class[i] as usize == positive);
        }
        if set.ecg_weight[i] > 0.0 {
            let r = pearson(&pred.ecg[i * CYCLE_LEN..(i + 1) * CYCLE_LEN], set.ecg_row(i));
            let e = rrmse(&pred.ecg[i * CYCLE_LEN..(i + 1) * CYCLE_LEN], set.ecg_row(i));
            rs.push(r);
            es.push(e);
            entry.0.push(r);
            entry.1.push(e);
        }
    }
    let mut records = Vec::new();
    let (mut rec_scores, mut rec_pos) = (Vec::new(), Vec::new());
    for (rec, (r, e, p, class)) in per_record {
        let info = &set.records[rec as usize];
        let positive_prob = p.iter().sum::<f64>() / p.len().max(1) as f64;
        if class >= 0 {
            rec_scores.push(positive_prob);
            rec_pos.push(class as usize == positive);
        }
        records.push(RecordResult {
            record: info.row.record.clone(),
            label: info.row.label.clone(),
            beats: p.len(),
            r_mean: mean_sd(&r).0,
            rrmse_mean: mean_sd(&e).0,
            positive_prob,
        });
    }
    SetResult {
        beats_scored: rs.len(),
        r: mean_sd(&rs),
        rrmse: mean_sd(&es),
        beat_auc: auc(&beat_scores, &beat_pos),
        record_auc: auc(&rec_scores, &rec_pos),
        records,
    }
}

/// The no-skill reference the network must beat: for every cycle of a set of `n`, the mean
/// lead-II ECG cycle of `fit` (the cycles the network was fitted on) and the class shares of
/// `fit`'s labelled cycles. It ignores the PPG, so its r and rRMSE say how much of the score
/// comes from ECG cycles simply looking alike (every cycle starts and ends on an R-peak), and its
/// AUCs are 0.5.
pub fn mean_template_predictions(fit: &CycleSet, n: usize, classes: usize) -> Predictions {
    let template = mean_ecg_cycle(fit, 0..fit.len());
    let mut shares = vec![0.0f64; classes];
    for &c in &fit.class {
        if let Some(s) = usize::try_from(c).ok().and_then(|c| shares.get_mut(c)) {
            *s += 1.0;
        }
    }
    let labelled: f64 = shares.iter().sum();
    let probs: Vec<f32> = shares.iter().map(|&s| if labelled > 0.0 { (s / labelled) as f32 } else { 1.0 / classes as f32 }).collect();
    Predictions { ecg: template.repeat(n), probs: probs.repeat(n), classes }
}

/// The mean of the lead-II ECG cycles among `rows` of `set` (zeros when there is none).
fn mean_ecg_cycle(set: &CycleSet, rows: impl Iterator<Item = usize>) -> Vec<f32> {
    let mut sum = vec![0.0f64; CYCLE_LEN];
    let mut counted = 0usize;
    for i in rows.filter(|&i| set.ecg_weight[i] > 0.0) {
        for (s, &v) in sum.iter_mut().zip(set.ecg_row(i)) {
            *s += v as f64;
        }
        counted += 1;
    }
    sum.iter().map(|&s| (s / counted.max(1) as f64) as f32).collect()
}

/// The oracle of the paper's protocol: each cycle of `set` gets the mean lead-II ECG cycle of
/// its own record's cycles in `fit` (both subsets of one [`super::data::CycleSet`], so record
/// indices agree); the class shares as in [`mean_template_predictions`]. It knows who the
/// patient is and nothing else, so it bounds what recognising the patient alone can score; a
/// record with no fitted cycle gets the overall mean.
pub fn record_template_predictions(fit: &CycleSet, set: &CycleSet, classes: usize) -> Predictions {
    let overall = mean_template_predictions(fit, 1, classes);
    let mut rows_of: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for i in (0..fit.len()).filter(|&i| fit.ecg_weight[i] > 0.0) {
        rows_of.entry(fit.record[i]).or_default().push(i);
    }
    let means: BTreeMap<u32, Vec<f32>> = rows_of.into_iter().map(|(r, rows)| (r, mean_ecg_cycle(fit, rows.into_iter()))).collect();
    let mut ecg = Vec::with_capacity(set.len() * CYCLE_LEN);
    for i in 0..set.len() {
        ecg.extend_from_slice(means.get(&set.record[i]).unwrap_or(&overall.ecg));
    }
    Predictions { ecg, probs: overall.probs.repeat(set.len()), classes }
}

/// One table row: "model | protocol | beats | r | rRMSE | AUC beat | AUC record".
pub fn table_row(model: &str, protocol: &str, s: &SetResult) -> String {
    format!(
        "| {model} | {protocol} | {} | {:.3} ± {:.3} | {:.3} ± {:.3} | {:.3} | {:.3} |",
        s.beats_scored, s.r.0, s.r.1, s.rrmse.0, s.rrmse.1, s.beat_auc, s.record_auc
    )
}

pub fn table_header() -> String {
    "| model | protocol | beats scored (ECG) | Pearson r (mean ± sd) | rRMSE (mean ± sd) | AF AUC, beats | AF AUC, recordings |\n| --- | --- | --- | --- | --- | --- | --- |".to_string()
}

pub fn record_table(s: &SetResult) -> String {
    let mut out = String::from("| record | label | usable beats | mean r | mean rRMSE | mean P(AF) |\n| --- | --- | --- | --- | --- | --- |\n");
    for r in &s.records {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.3} | {:.3} | {:.3} |",
            r.record,
            r.label.as_deref().unwrap_or("unlabelled"),
            r.beats,
            r.r_mean,
            r.rrmse_mean,
            r.positive_prob
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_half_and_orders() {
        assert_eq!(auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]), 0.75);
        assert_eq!(auc(&[0.5, 0.5], &[false, true]), 0.5);
        assert!(auc(&[0.5], &[true]).is_nan());
    }

    /// Two records: record 0 has ECG rows of 1s and 3s (AF), record 1 rows of 10s (non-AF);
    /// the last row has no lead-II ECG and must not count.
    fn two_records() -> CycleSet {
        let rows: [(f32, i32, f32, u32); 4] = [(1.0, 0, 1.0, 0), (3.0, 0, 1.0, 0), (10.0, 1, 1.0, 1), (99.0, 1, 0.0, 1)];
        let mut set = CycleSet::default();
        for (v, class, w, rec) in rows {
            set.ppg.extend(vec![0.0; CYCLE_LEN]);
            set.ecg.extend(vec![v; CYCLE_LEN]);
            set.class.push(class);
            set.ecg_weight.push(w);
            set.record.push(rec);
            set.beat.push(0);
        }
        set.records = ["AF", "non-AF"]
            .iter()
            .enumerate()
            .map(|(k, label)| super::super::data::RecordCycles {
                row: super::super::data::SplitRow { dataset: "d".into(), record: format!("r{k}"), patient: format!("p{k}"), label: Some(label.to_string()), split: super::super::data::Split::Train },
                ecg_lead: Some("II".into()),
                beats: 2,
                usable: 2,
                ecg_excluded: false,
            })
            .collect();
        set
    }

    #[test]
    fn the_references_average_the_fitted_ecg_overall_and_per_record() {
        let fit = two_records();
        let mean = mean_template_predictions(&fit, 2, 2);
        assert_eq!(mean.ecg.len(), 2 * CYCLE_LEN);
        assert!(mean.ecg.iter().all(|&v| (v - 14.0 / 3.0).abs() < 1e-5), "{}", mean.ecg[0]);
        assert_eq!(&mean.probs[..2], &[0.5, 0.5]);
        let own = record_template_predictions(&fit, &fit.subset(&[2, 0]), 2);
        assert!(own.ecg[..CYCLE_LEN].iter().all(|&v| v == 10.0) && own.ecg[CYCLE_LEN..].iter().all(|&v| v == 2.0));
        assert_eq!(score(&fit, &mean_template_predictions(&fit, fit.len(), 2), 0).beat_auc, 0.5, "no skill");
    }

    #[test]
    fn pearson_and_rrmse_of_known_vectors() {
        let a = [1.0, 2.0, 3.0, 4.0];
        assert!((pearson(&a, &[2.0, 4.0, 6.0, 8.0]) - 1.0).abs() < 1e-12);
        assert!((pearson(&a, &[4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert!((rrmse(&[1.0, 2.0, 3.0, 4.0], &a)).abs() < 1e-12);
        assert!((rrmse(&[0.0; 4], &a) - 1.0).abs() < 1e-12);
    }
}
