//! `cardioppg train` and `cardioppg evaluate`: which records and cycles go where.
//!
//! - Only `train` patients of `splits.csv` are used to fit (MIMIC PERform AF with its AF /
//!   non-AF labels; BIDMC unlabelled, ECG term only). Test patients are read only by
//!   `evaluate`.
//! - The paper's protocol (a random 80/20 split of cycles, the same patients on both sides) is
//!   reproduced inside the train patients: the shipped weights are fitted on 80 % of their
//!   cycles, and the other 20 % are the paper-protocol test set. The held-out test patients
//!   give the honest figure.
//! - Nothing is chosen on any evaluation set: the schedule is fixed and the last epoch's weights
//!   ship. The 20 % cycles are only printed per epoch as a monitor.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::bundle::{self, LoadedModel, ModelError, ModelManifest};
use super::data::{CycleSet, DataError, Split, SplitRow, extract_cycles, read_splits};
use super::evaluate::{self, SetResult};
use super::rhythm::{self, RhythmError, RhythmModel, RHYTHM_FILE};
use super::network::{Network, Variant, top_k};
use super::train::{EpochLog, TrainConfig, train};

pub const MODEL_NAME: &str = "CardioPPG-AF";
pub const MODEL_VERSION: &str = "1.1.0";
pub const TRAINED_ON: &str = "MIMIC PERform AF (AF/non-AF labels) and BIDMC (ECG only), train patients of splits.csv";
/// The class whose probability the AUC scores.
pub const POSITIVE_CLASS: &str = "AF";

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Rhythm(#[from] RhythmError),
    #[error("{0}")]
    Other(String),
}

/// What decides which cycles are used; stored in the manifest so `evaluate` rebuilds the same
/// paper-protocol split.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataConfig {
    /// At most this many usable cycles per record (a CPU-time budget; `None`: all).
    pub max_cycles_per_record: Option<usize>,
    /// Share of the train patients' cycles held out for the paper's protocol.
    pub holdout_fraction: f64,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainPlan {
    pub data: DataConfig,
    pub full: TrainConfig,
    pub lightweight: TrainConfig,
}

pub(crate) fn rows(data_dir: &Path, split: Split) -> Result<Vec<SplitRow>, PipelineError> {
    let all = read_splits(&data_dir.join("splits.csv"))?;
    Ok(all.into_iter().filter(|r| r.split == split && matches!(r.dataset.as_str(), "mimic-perform-af" | "bidmc")).collect())
}

pub(crate) fn classes_of(rows: &[SplitRow]) -> Vec<String> {
    let mut c: Vec<String> = rows.iter().filter_map(|r| r.label.clone()).collect();
    c.sort();
    c.dedup();
    c
}

/// At most `cap` randomly drawn cycles of each record among `indices`, grouped by record in
/// record order (the draw, and so the paper-protocol split, depends on this order).
pub(crate) fn cap_per_record(set: &CycleSet, indices: impl Iterator<Item = usize>, cap: Option<usize>, rng: &mut StdRng) -> Vec<usize> {
    let mut by_record: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for i in indices {
        by_record.entry(set.record[i]).or_default().push(i);
    }
    let mut out = Vec::new();
    for (_, mut idx) in by_record {
        idx.shuffle(rng);
        idx.truncate(cap.unwrap_or(usize::MAX));
        out.extend(idx);
    }
    out
}

/// The train patients' cycles, capped per record and split into (fit, paper-protocol test).
pub fn train_cycles(data_dir: &Path, cfg: &DataConfig, classes: &[String]) -> Result<(CycleSet, CycleSet), PipelineError> {
    let set = extract_cycles(data_dir, &rows(data_dir, Split::Train)?, classes)?;
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut pool = cap_per_record(&set, 0..set.len(), cfg.max_cycles_per_record, &mut rng);
    pool.shuffle(&mut rng);
    let n_hold = (pool.len() as f64 * cfg.holdout_fraction).round() as usize;
    let (hold, fit) = pool.split_at(n_hold);
    let (mut hold, mut fit) = (hold.to_vec(), fit.to_vec());
    hold.sort_unstable();
    fit.sort_unstable();
    Ok((set.subset(&fit), set.subset(&hold)))
}

/// Trains the full network, then prunes and fine-tunes the lightweight one; writes both
/// bundles into `out_dir`. `log` receives progress lines.
pub fn train_models(data_dir: &Path, out_dir: &Path, plan: &TrainPlan, device: &Device, command: &str, mut log: impl FnMut(&str)) -> Result<(), PipelineError> {
    let classes = classes_of(&rows(data_dir, Split::Train)?);
    let (fit, hold) = train_cycles(data_dir, &plan.data, &classes)?;
    log(&format!("classes {classes:?}; {} fitting cycles, {} paper-protocol cycles held out", fit.len(), hold.len()));
    let monitor = hold.subset(&(0..hold.len().min(2000)).collect::<Vec<_>>());
    let report = |variant: &str, l: &EpochLog, log: &mut dyn FnMut(&str)| {
        log(&format!(
            "{variant} epoch {:>2} lr {:.0e}: loss {:.4} (ecg {:.4}, class {:.4}); monitor ecg {:.4} class {:.4}; {:.0} s",
            l.epoch, l.lr, l.train_loss, l.train_ecg, l.train_class, l.monitor_ecg.unwrap_or(f64::NAN), l.monitor_class.unwrap_or(f64::NAN), l.secs
        ))
    };
    let (full, full_log) = train(&plan.full, classes.len(), &fit, Some(&monitor), None, device, |l| report("full", l, &mut log));
    save(full.clone(), Variant::Full, &classes, plan, &full_log, out_dir, command)?;

    let sample: Vec<usize> = (0..fit.len()).step_by((fit.len() / 512).max(1)).collect();
    let batch = super::train::Batch::new(&fit, &sample, device);
    let (s_f1, s_head) = full.significance(batch.ppg);
    let c = Variant::Lightweight.channels();
    let (keep_f1, keep_head) = (top_k(&s_f1, c), top_k(&s_head, c));
    log(&format!("pruning: first convolution keeps kernels {keep_f1:?}; ECG head keeps {keep_head:?}"));
    let init = full.pruned(&keep_f1, &keep_head, classes.len(), device);
    let (light, light_log) = train(&plan.lightweight, classes.len(), &fit, Some(&monitor), Some(init), device, |l| report("lightweight", l, &mut log));
    save(light, Variant::Lightweight, &classes, plan, &light_log, out_dir, command)?;
    Ok(())
}

pub fn bundle_stem(variant: Variant) -> &'static str {
    match variant {
        Variant::Full => "cardioppg-af-full",
        Variant::Lightweight => "cardioppg-af-lightweight",
    }
}

fn save(net: Network, variant: Variant, classes: &[String], plan: &TrainPlan, log: &[EpochLog], out_dir: &Path, command: &str) -> Result<(), PipelineError> {
    let manifest = ModelManifest {
        name: MODEL_NAME.into(),
        version: MODEL_VERSION.into(),
        variant,
        classes: classes.to_vec(),
        trained_on: TRAINED_ON.into(),
        weights_file: String::new(),
        weights_sha256: String::new(),
        train_command: command.into(),
        train_config: serde_json::json!({ "plan": plan, "epochs": log }),
    };
    std::fs::create_dir_all(out_dir).map_err(|source| ModelError::Io { path: out_dir.into(), source })?;
    bundle::save(net, manifest, out_dir, bundle_stem(variant))?;
    Ok(())
}

/// The evaluation table of both shipped variants: held-out test patients, and the paper's
/// protocol on the train patients' held-out 20 % of cycles.
pub fn evaluate_models(data_dir: &Path, models_dir: &Path, device: &Device) -> Result<String, PipelineError> {
    let mut out = String::new();
    let test_rows = rows(data_dir, Split::Test)?;
    let mut sets: Option<(CycleSet, CycleSet, CycleSet, Vec<String>)> = None;
    let mut per_record = String::new();
    let _ = writeln!(out, "{}", evaluate::table_header());
    for variant in [Variant::Full, Variant::Lightweight] {
        let path = models_dir.join(format!("{}.json", bundle_stem(variant)));
        let LoadedModel { manifest, network, .. } = bundle::load(&path, device)?;
        let plan: TrainPlan = serde_json::from_value(manifest.train_config["plan"].clone())
            .map_err(|e| PipelineError::Other(format!("{}: train_config.plan: {e}", path.display())))?;
        if sets.is_none() {
            let test = extract_cycles(data_dir, &test_rows, &manifest.classes)?;
            let (fit, hold) = train_cycles(data_dir, &plan.data, &manifest.classes)?;
            sets = Some((test, fit, hold, manifest.classes.clone()));
        }
        let (test, _, hold, classes) = sets.as_ref().expect("sets were just built");
        if *classes != manifest.classes {
            return Err(PipelineError::Other(format!("{}: classes differ between the shipped variants", path.display())));
        }
        let positive = classes.iter().position(|c| c == POSITIVE_CLASS).ok_or_else(|| PipelineError::Other(format!("{}: no class {POSITIVE_CLASS}", path.display())))?;
        let name = format!("{} {} {:?}", manifest.name, manifest.version, variant);
        let held_out: SetResult = evaluate::score(test, &evaluate::predict(&network, test, device, 256), positive);
        let paper: SetResult = evaluate::score(hold, &evaluate::predict(&network, hold, device, 256), positive);
        let _ = writeln!(out, "{}", evaluate::table_row(&name, "held-out test patients", &held_out));
        let _ = writeln!(out, "{}", evaluate::table_row(&name, "paper: random 20 % of train patients' cycles", &paper));
        let _ = writeln!(per_record, "\nPer test record, {name}:\n\n{}", evaluate::record_table(&held_out));
    }
    if let Some((test, fit, hold, classes)) = &sets {
        // The variants' loop has already refused a class list without AF.
        let positive = classes.iter().position(|c| c == POSITIVE_CLASS).unwrap_or(0);
        let name = "Reference: mean train ECG cycle, class shares (ignores the PPG)";
        for (protocol, set) in [("held-out test patients", test), ("paper: random 20 % of train patients' cycles", hold)] {
            let pred = evaluate::mean_template_predictions(fit, set.len(), classes.len());
            let _ = writeln!(out, "{}", evaluate::table_row(name, protocol, &evaluate::score(set, &pred, positive)));
        }
        let oracle = evaluate::record_template_predictions(fit, hold, classes.len());
        let name = "Reference: the patient's own mean train ECG cycle (knows the patient, ignores the PPG)";
        let _ = writeln!(out, "{}", evaluate::table_row(name, "paper: random 20 % of train patients' cycles", &evaluate::score(hold, &oracle, positive)));
    }
    out.push_str(&rhythm_rows(data_dir, models_dir, &test_rows)?);
    out.push_str(&per_record);
    Ok(out)
}

/// The labelled MIMIC PERform AF records of `rows`, each with its PPG beat analysis (the rhythm
/// extension reads the pulse alone) and whether it is AF.
fn labelled_pulse_analyses(data_dir: &Path, rows: &[SplitRow]) -> Result<Vec<(SplitRow, bool, crate::dsp::beats::BeatAnalysis)>, PipelineError> {
    let mut out = Vec::new();
    for row in rows.iter().filter(|r| r.label.is_some()) {
        let (_, rec, ppg) = super::data::open_row(data_dir, row)?;
        let ppg = &rec.channels[ppg];
        let analysis = crate::dsp::beats::analyse_beats(&ppg.samples, ppg.sample_rate_hz, None);
        out.push((row.clone(), row.label.as_deref() == Some(POSITIVE_CLASS), analysis));
    }
    Ok(out)
}

/// What `cardioppg train-rhythm` fitted, with its leave-one-patient-out validation inside the
/// train patients (the test patients are not read).
pub struct RhythmFit {
    pub model: RhythmModel,
    /// Each train recording's mean P(AF) from a fit on the other patients, with its label.
    pub cv_recordings: Vec<(String, bool, f64)>,
    pub cv_window_auc: f64,
    pub cv_recording_auc: f64,
}

/// `cardioppg train-rhythm`: fits the rhythm extension on every window of the labelled train
/// patients, writes [`RHYTHM_FILE`] into `out_dir`, and validates the recipe patient by patient.
pub fn train_rhythm(data_dir: &Path, out_dir: &Path, command: &str) -> Result<RhythmFit, PipelineError> {
    let mut per_record = Vec::new();
    for (row, is_af, analysis) in labelled_pulse_analyses(data_dir, &rows(data_dir, Split::Train)?)? {
        let feats: Vec<_> = rhythm::windows(&rhythm::usable_intervals(&analysis)).into_iter().map(|(_, f)| (f, is_af)).collect();
        per_record.push((row, is_af, feats));
    }
    let all: Vec<_> = per_record.iter().flat_map(|r| r.2.iter().copied()).collect();
    let trained_on = "MIMIC PERform AF, labelled train patients of splits.csv (every full window of their usable pulses)";
    let model = RhythmModel::fit(&all, trained_on, command)?;
    let (mut win_scores, mut win_pos, mut cv_recordings) = (Vec::new(), Vec::new(), Vec::new());
    for (row, is_af, feats) in per_record.iter().filter(|r| !r.2.is_empty()) {
        let others: Vec<_> = per_record.iter().filter(|o| o.0.patient != row.patient).flat_map(|o| o.2.iter().copied()).collect();
        let m = RhythmModel::fit(&others, "", "")?;
        let probs: Vec<f64> = feats.iter().map(|(f, _)| m.probability(f)).collect();
        win_scores.extend(&probs);
        win_pos.extend(std::iter::repeat_n(*is_af, probs.len()));
        cv_recordings.push((row.record.clone(), *is_af, probs.iter().sum::<f64>() / probs.len() as f64));
    }
    let cv_recording_auc = evaluate::auc(&cv_recordings.iter().map(|r| r.2).collect::<Vec<_>>(), &cv_recordings.iter().map(|r| r.1).collect::<Vec<_>>());
    std::fs::create_dir_all(out_dir).map_err(|source| RhythmError::Io { path: out_dir.into(), source })?;
    model.save(&out_dir.join(RHYTHM_FILE))?;
    Ok(RhythmFit { model, cv_window_auc: evaluate::auc(&win_scores, &win_pos), cv_recording_auc, cv_recordings })
}

/// The rhythm extension's row (AUCs only: it generates no ECG) and its per-record table on the
/// held-out test patients; a note instead when `models_dir` has no extension file.
fn rhythm_rows(data_dir: &Path, models_dir: &Path, test_rows: &[SplitRow]) -> Result<String, PipelineError> {
    let path = models_dir.join(RHYTHM_FILE);
    if !path.exists() {
        return Ok(format!("\n(no rhythm extension: {} not found)\n", path.display()));
    }
    let model = RhythmModel::load(&path)?;
    let (mut beat_scores, mut beat_pos, mut rec_scores, mut rec_pos) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut table = String::from("| record | label | windows | median nRMSSD | median Shannon entropy | P(AF), rhythm |\n| --- | --- | --- | --- | --- | --- |\n");
    for (row, is_af, analysis) in labelled_pulse_analyses(data_dir, test_rows)? {
        let label = row.label.as_deref().unwrap_or("");
        let Some(a) = model.assess(&analysis) else {
            let _ = writeln!(table, "| {} | {label} | 0 | – | – | – |", row.record);
            continue;
        };
        for p in a.per_beat.iter().flatten() {
            beat_scores.push(*p);
            beat_pos.push(is_af);
        }
        rec_scores.push(a.af_probability);
        rec_pos.push(is_af);
        let _ = writeln!(table, "| {} | {label} | {} | {:.3} | {:.3} | {:.3} |", row.record, a.windows, a.median_nrmssd, a.median_shannon_entropy, a.af_probability);
    }
    Ok(format!(
        "| {} {} (extension, not the network: pulse-interval irregularity) | held-out test patients | – | – | – | {:.3} | {:.3} |\n\nPer test record, {} {} ({} windows of {} usable pulses fitted on):\n\n{table}",
        model.name,
        model.version,
        evaluate::auc(&beat_scores, &beat_pos),
        evaluate::auc(&rec_scores, &rec_pos),
        model.name,
        model.version,
        model.fitted_windows,
        model.window_beats,
    ))
}
