//! Patient-level cross-validation inside the train patients (`cardioppg train --cv-folds N`):
//! the train patients are dealt into N folds (stratified by label: AF, non-AF, unlabelled),
//! and for each fold the full network is trained with the shipped schedule on the other folds'
//! patients and scored on this fold's. No test patient is read. It validates the training
//! recipe on unseen patients without touching the held-out test set; nothing is chosen by it
//! automatically, and the shipped weights are trained on all train patients.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::data::{Split, SplitRow, extract_cycles};
use super::evaluate::{self, SetResult};
use super::pipeline::{POSITIVE_CLASS, PipelineError, TrainPlan, cap_per_record, classes_of, rows};
use super::train::train;

/// Validation cycles scored per record (a CPU budget; the record-level mean needs no more).
const VALIDATION_CYCLES_PER_RECORD: usize = 250;

/// Fold of each row: patients (never records) are dealt round-robin into `folds` after a
/// seeded shuffle within each label group, so every fold gets AF and non-AF patients.
pub fn patient_folds(rows: &[SplitRow], folds: usize, seed: u64) -> Vec<usize> {
    let mut by_label: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
    for r in rows {
        let group = by_label.entry(r.label.clone()).or_default();
        if !group.contains(&r.patient) {
            group.push(r.patient.clone());
        }
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut fold_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut next = 0;
    for patients in by_label.values_mut() {
        patients.sort();
        patients.shuffle(&mut rng);
        for p in patients.iter() {
            fold_of.entry(p.clone()).or_insert_with(|| {
                next += 1;
                (next - 1) % folds.max(1)
            });
        }
    }
    rows.iter().map(|r| fold_of[&r.patient]).collect()
}

/// Trains and scores the full network once per fold; returns the table (one row per fold and
/// the mean ± sd over folds).
pub fn cross_validate(data_dir: &Path, plan: &TrainPlan, folds: usize, device: &Device, mut log: impl FnMut(&str)) -> Result<String, PipelineError> {
    if folds < 2 {
        return Err(PipelineError::Other(format!("--cv-folds {folds}: at least 2 folds are needed")));
    }
    let train_rows = rows(data_dir, Split::Train)?;
    let classes = classes_of(&train_rows);
    let positive = classes.iter().position(|c| c == POSITIVE_CLASS).ok_or_else(|| PipelineError::Other(format!("no class {POSITIVE_CLASS} in splits.csv")))?;
    let fold_of_row = patient_folds(&train_rows, folds, plan.data.seed);
    let set = extract_cycles(data_dir, &train_rows, &classes)?;
    // extract_cycles keeps the records in `rows` order.
    let fold_of_cycle = |i: usize| fold_of_row[set.record[i] as usize];
    let mut rng = StdRng::seed_from_u64(plan.data.seed);
    let mut out = format!("{}\n", evaluate::table_header());
    let mut results: Vec<SetResult> = Vec::new();
    for k in 0..folds {
        // Sorted, as before: cycles in record order, each record's in time order.
        let capped = |keep: &dyn Fn(usize) -> bool, cap, rng: &mut StdRng| {
            let mut idx = cap_per_record(&set, (0..set.len()).filter(|&i| keep(i)), cap, rng);
            idx.sort_unstable();
            set.subset(&idx)
        };
        let fit = capped(&|i| fold_of_cycle(i) != k, plan.data.max_cycles_per_record, &mut rng);
        let val = capped(&|i| fold_of_cycle(i) == k, Some(VALIDATION_CYCLES_PER_RECORD), &mut rng);
        let patients = fold_of_row.iter().filter(|&&f| f == k).count();
        log(&format!("fold {}/{folds}: {} records of validation patients, {} fitting cycles, {} validation cycles", k + 1, patients, fit.len(), val.len()));
        let (net, _) = train(&plan.full, classes.len(), &fit, None, None, device, |l| {
            log(&format!("  fold {} epoch {:>2}: loss {:.4} (ecg {:.4}, class {:.4}); {:.0} s", k + 1, l.epoch, l.train_loss, l.train_ecg, l.train_class, l.secs))
        });
        let result = evaluate::score(&val, &evaluate::predict(&net, &val, device, 256), positive);
        let row = evaluate::table_row(&format!("Full, fold {}/{folds}", k + 1), "patient-level validation (train patients)", &result);
        log(&row);
        let _ = writeln!(out, "{row}");
        results.push(result);
    }
    let summary = |f: fn(&SetResult) -> f64| {
        let v: Vec<f64> = results.iter().map(f).filter(|x| x.is_finite()).collect();
        let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
        let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len().max(2) - 1) as f64).sqrt();
        format!("{m:.3} ± {sd:.3}")
    };
    let _ = writeln!(
        out,
        "\nOver the {folds} folds (mean ± sd of the fold means): Pearson r {}, rRMSE {}, AF AUC beats {}, AF AUC recordings {}",
        summary(|r| r.r.0),
        summary(|r| r.rrmse.0),
        summary(|r| r.beat_auc),
        summary(|r| r.record_auc)
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(patient: &str, label: Option<&str>) -> SplitRow {
        SplitRow { dataset: "d".into(), record: format!("{patient}-r"), patient: patient.into(), label: label.map(Into::into), split: Split::Train }
    }

    #[test]
    fn folds_keep_patients_together_and_spread_each_label() {
        let mut rows: Vec<SplitRow> = (0..9).map(|i| row(&format!("af{i}"), Some("AF"))).collect();
        rows.extend((0..6).map(|i| row(&format!("n{i}"), Some("non-AF"))));
        rows.extend((0..12).map(|i| row(&format!("u{i}"), None)));
        rows.push(row("u3", None)); // a second record of a patient
        let folds = patient_folds(&rows, 3, 7);
        assert_eq!(folds[rows.len() - 1], folds[9 + 6 + 3], "one patient, one fold");
        for label in [Some("AF"), Some("non-AF"), None] {
            let mut patients: [std::collections::BTreeSet<&str>; 3] = Default::default();
            for (r, &f) in rows.iter().zip(&folds) {
                if r.label.as_deref() == label {
                    patients[f].insert(&r.patient);
                }
            }
            assert!(patients.iter().all(|p| p.len() >= 2), "{label:?}: {patients:?}");
        }
        assert_eq!(folds, patient_folds(&rows, 3, 7), "seeded");
    }
}
