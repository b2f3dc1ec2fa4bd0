//! A folder in, one PDF report and one summary row per recording out (`cardioppg batch`).
//! Recordings run in parallel, one per core; a file that fails gets its error in its row and
//! the batch goes on; a rerun skips recordings already done with the same file and model.
//! For a cohort, the same command spreads over a cluster (README: Slurm array, GNU parallel).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::headless::Headless;
use crate::io::{self, OpenOptions};
use crate::report::{NoneKnown, ReportOptions, write_pdf};

pub const SUMMARY_FILE: &str = "summary.csv";

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("cannot list the folder {}: {source}", .path.display())]
    List { path: PathBuf, source: std::io::Error },
    #[error("cannot create the output folder {}: {source}", .path.display())]
    Output { path: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}", .path.display())]
    Summary { path: PathBuf, source: std::io::Error },
}

#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub report: ReportOptions,
    pub open: OpenOptions,
    /// Recordings processed at once (default: one per core).
    pub threads: usize,
}

/// One summary row: a recording's numbers, or its error.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchRow {
    pub file: String,
    pub sha256: String,
    pub duration_secs: Option<f64>,
    pub detected_beats: Option<usize>,
    pub usable_beats: Option<usize>,
    pub heart_rate_bpm: Option<f64>,
    /// Per class of the model: (mean, sd) of the per-beat probability; `None` when unreadable.
    pub probabilities: Vec<Option<(f64, f64)>>,
    /// The rhythm extension's P(AF) (not the network); `None` when unreadable or absent.
    pub rhythm_af_probability: Option<f64>,
    pub model: String,
    pub model_weights_sha256: String,
    pub report: String,
    /// Of the report options and the saved review: a rerun with other options, or after the
    /// review changed, redoes the recording.
    pub inputs_sha256: String,
    /// Empty when the recording was processed; else the error, naming the file and field.
    pub error: String,
    /// Taken over from an earlier run (same file hash and model).
    pub skipped: bool,
}

/// The recordings in `dir` a reader claims by extension (WFDB by its `.hea`), sorted by name.
pub fn recordings_in(dir: &Path) -> Result<Vec<PathBuf>, BatchError> {
    let entries = std::fs::read_dir(dir).map_err(|source| BatchError::List { path: dir.to_path_buf(), source })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
            // Not WFDB signal files (the .hea names them), not our own outputs.
            let ours = name == SUMMARY_FILE || name.ends_with(".cardioppg.edf");
            io::readers().iter().any(|r| r.extensions().iter().any(|ext| name.ends_with(ext))) && !name.ends_with(".dat") && !ours
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Runs the batch; `done` hears every finished row (for a progress bar). Returns all rows in
/// file-name order; the summary CSV is rewritten atomically after every recording, so an
/// interrupted batch keeps what it finished.
pub fn run_batch(dir: &Path, out: &Path, headless: &Headless, options: &BatchOptions, done: &(dyn Fn(&BatchRow) + Sync)) -> Result<Vec<BatchRow>, BatchError> {
    std::fs::create_dir_all(out).map_err(|source| BatchError::Output { path: out.to_path_buf(), source })?;
    let files = recordings_in(dir)?;
    let classes = headless.model.manifest.classes.clone();
    let summary_path = out.join(SUMMARY_FILE);
    let previous = read_previous(&summary_path, &classes);
    // Rows of earlier runs stay until redone, so an interrupted rerun forgets nothing.
    let names: Vec<String> = files.iter().map(|p| file_name(p)).collect();
    let kept = previous.iter().filter(|(name, _)| names.contains(name)).map(|(n, r)| (n.clone(), r.clone())).collect();
    let rows: Mutex<BTreeMap<String, BatchRow>> = Mutex::new(kept);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(options.threads.max(1)).build().map_err(|e| BatchError::Output { path: out.to_path_buf(), source: std::io::Error::other(e) })?;
    let write_error = Mutex::new(None);
    pool.install(|| {
        files.par_iter().for_each(|path| {
            // A panic (a bug, or the GPU out of memory) fails this recording, not the batch.
            let row = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| process(path, out, headless, options, &previous))).unwrap_or_else(|_| BatchRow {
                file: file_name(path),
                error: format!("{}: internal error while processing (a panic); the batch went on", path.display()),
                ..BatchRow::default()
            });
            done(&row);
            let mut rows = rows.lock().unwrap_or_else(|e| e.into_inner());
            rows.insert(row.file.clone(), row);
            if let Err(e) = write_summary(&summary_path, &classes, rows.values()) {
                *write_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
            }
        });
    });
    if let Some(source) = write_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(BatchError::Summary { path: summary_path, source });
    }
    Ok(rows.into_inner().unwrap_or_else(|e| e.into_inner()).into_values().collect())
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// What besides the file and the network's weights decides a report: its options, the saved
/// review and the rhythm extension's file.
fn inputs_sha256(options: &ReportOptions, review: &crate::review::Review, rhythm_sha256: &str) -> String {
    let review = serde_json::to_string(review).unwrap_or_default();
    crate::model::bundle::sha256_hex(format!("{options:?}\n{review}\n{rhythm_sha256}").as_bytes())
}

fn process(path: &Path, out: &Path, headless: &Headless, options: &BatchOptions, previous: &BTreeMap<String, BatchRow>) -> BatchRow {
    let file = file_name(path);
    let report_name = format!("{file}.pdf");
    let model = headless.model.manifest.label();
    let weights = headless.model.manifest.weights_sha256.clone();
    let mut row = BatchRow { file: file.clone(), model, model_weights_sha256: weights.clone(), report: report_name.clone(), ..BatchRow::default() };
    let (session, review_warnings) = match crate::review::ReviewSession::open(path, &crate::review::default_fallback_dir()) {
        Ok(s) => s,
        Err(e) => {
            row.error = e.to_string();
            return row;
        }
    };
    row.sha256 = session.recording_sha256().to_string();
    let rhythm_sha256 = headless.model.rhythm.as_ref().map_or("", |r| r.sha256.as_str());
    row.inputs_sha256 = inputs_sha256(&options.report, session.review(), rhythm_sha256);
    if let Some(old) = previous.get(&file) {
        let same = old.sha256 == row.sha256 && old.model_weights_sha256 == weights && old.inputs_sha256 == row.inputs_sha256;
        if same && old.error.is_empty() && out.join(&old.report).is_file() {
            return BatchRow { skipped: true, ..old.clone() };
        }
    }
    let analysed = match headless.analyse_reviewed(path, &options.open, &session, review_warnings) {
        Ok(a) => a,
        Err(e) => {
            row.error = e.to_string();
            return row;
        }
    };
    let a = &analysed.analysis;
    row.duration_secs = Some(a.recording.duration_secs());
    if let Some(beats) = &a.beats {
        row.detected_beats = Some(beats.summary.count);
        row.usable_beats = Some(beats.summary.usable_count);
        row.heart_rate_bpm = beats.summary.mean_heart_rate_bpm;
    }
    if let Some(model) = &a.model {
        row.probabilities = model.findings.iter().map(|f| f.readable.then_some((f.stats.mean_probability, f.stats.sd_probability))).collect();
        row.rhythm_af_probability = model.rhythm.as_ref().and_then(|r| r.assessment.as_ref()).map(|a| a.af_probability);
    }
    let result = headless.report(&analysed, options.report.clone(), &NoneKnown, &mut |_| {}).and_then(|input| {
        write_pdf(&out.join(&report_name), &input).map_err(|source| crate::headless::HeadlessError::Report { path: path.to_path_buf(), source })
    });
    if let Err(e) = result {
        row.error = e.to_string();
    }
    row
}

fn header(classes: &[String]) -> Vec<String> {
    let mut h: Vec<String> = ["file", "sha256", "duration_secs", "detected_beats", "usable_beats", "heart_rate_bpm"].map(String::from).to_vec();
    for c in classes {
        h.push(format!("p_{c}_mean"));
        h.push(format!("p_{c}_sd"));
    }
    h.extend(["p_AF_rhythm_extension", "model", "model_weights_sha256", "inputs_sha256", "report", "error"].map(String::from));
    h
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

fn write_summary<'a>(path: &Path, classes: &[String], rows: impl Iterator<Item = &'a BatchRow>) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let record_err = |e: csv::Error| std::io::Error::other(e.to_string());
    w.write_record(header(classes)).map_err(record_err)?;
    for r in rows {
        let mut rec = vec![r.file.clone(), r.sha256.clone(), opt(r.duration_secs.map(|d| format!("{d:.3}"))), opt(r.detected_beats), opt(r.usable_beats), opt(r.heart_rate_bpm.map(|h| format!("{h:.1}")))];
        for k in 0..classes.len() {
            match r.probabilities.get(k).copied().flatten() {
                Some((m, s)) => rec.extend([format!("{m:.4}"), format!("{s:.4}")]),
                None => rec.extend([String::new(), String::new()]),
            }
        }
        rec.extend([opt(r.rhythm_af_probability.map(|p| format!("{p:.4}"))), r.model.clone(), r.model_weights_sha256.clone(), r.inputs_sha256.clone(), if r.error.is_empty() { r.report.clone() } else { String::new() }, r.error.clone()]);
        w.write_record(rec).map_err(record_err)?;
    }
    let bytes = w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
    crate::review::write_atomic(path, &bytes)
}

/// Rows of an earlier run, by file name; an unreadable summary means nothing is skipped. Columns
/// are read by name, so a summary written by a version with other columns still keeps its rows
/// (they are redone when their inputs differ, and an interrupted rerun loses none of them).
fn read_previous(path: &Path, classes: &[String]) -> BTreeMap<String, BatchRow> {
    let Ok(mut reader) = csv::Reader::from_path(path) else { return BTreeMap::new() };
    let Ok(head) = reader.headers().cloned() else { return BTreeMap::new() };
    let column = |name: &str| head.iter().position(|h| h == name);
    let Some(file_col) = column("file") else { return BTreeMap::new() };
    let mut rows = BTreeMap::new();
    for record in reader.records().filter_map(Result::ok) {
        let get = |name: &str| column(name).and_then(|i| record.get(i)).unwrap_or("").to_string();
        let probabilities = classes
            .iter()
            .map(|c| Some((get(&format!("p_{c}_mean")).parse().ok()?, get(&format!("p_{c}_sd")).parse().ok()?)))
            .collect();
        let row = BatchRow {
            file: record.get(file_col).unwrap_or("").to_string(),
            sha256: get("sha256"),
            duration_secs: get("duration_secs").parse().ok(),
            detected_beats: get("detected_beats").parse().ok(),
            usable_beats: get("usable_beats").parse().ok(),
            heart_rate_bpm: get("heart_rate_bpm").parse().ok(),
            probabilities,
            rhythm_af_probability: get("p_AF_rhythm_extension").parse().ok(),
            model: get("model"),
            model_weights_sha256: get("model_weights_sha256"),
            inputs_sha256: get("inputs_sha256"),
            report: get("report"),
            error: get("error"),
            skipped: false,
        };
        rows.insert(row.file.clone(), row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_with_other_columns_keeps_its_rows_and_a_round_trip_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SUMMARY_FILE);
        let classes = vec!["AF".to_string(), "non-AF".to_string()];
        // As version 0.1.0 with model 1.0.0 wrote it: no rhythm column.
        std::fs::write(
            &path,
            "file,sha256,duration_secs,detected_beats,usable_beats,heart_rate_bpm,p_AF_mean,p_AF_sd,p_non-AF_mean,p_non-AF_sd,model,model_weights_sha256,inputs_sha256,report,error\n\
             a.edf,abc,60.000,86,85,89.0,0.6620,0.0590,0.3380,0.0590,CardioPPG-AF 1.0.0,d1fc,ffee,a.edf.pdf,\n",
        )
        .unwrap();
        let old = read_previous(&path, &classes);
        let row = &old["a.edf"];
        assert_eq!((row.usable_beats, row.probabilities[0], row.rhythm_af_probability), (Some(85), Some((0.662, 0.059)), None));
        assert_eq!((row.model_weights_sha256.as_str(), row.report.as_str()), ("d1fc", "a.edf.pdf"));

        let mut new = row.clone();
        new.rhythm_af_probability = Some(0.88);
        write_summary(&path, &classes, [&new].into_iter()).unwrap();
        assert_eq!(read_previous(&path, &classes)["a.edf"], new);
        std::fs::write(&path, "name,size\n1,2\n").unwrap();
        assert!(read_previous(&path, &classes).is_empty());
    }
}
