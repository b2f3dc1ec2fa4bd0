//! Training and evaluation cycles from the shared datasets: every record of
//! `splits.csv` goes through the same beat step as the app (`dsp::beats::analyse_beats_with`,
//! with the detector the shipped networks were trained on, [`NETWORK_CYCLES_DETECTOR`]; cycles
//! min-max normalised by `dsp::cycles::normalise_cycle`), and its usable beats with an ECG
//! partner become (PPG cycle, ECG cycle, label) examples.

use std::path::{Path, PathBuf};

use crate::dsp::beats::{analyse_beats_with, PulseDetector};
use crate::dsp::cycles::CYCLE_LEN;
use crate::io::{ChannelRole, ReadError};

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}, line {line}: {what}")]
    Splits { path: PathBuf, line: usize, what: String },
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{path}: {what}")]
    Data { path: PathBuf, what: String },
}

/// One row of `splits.csv`: `dataset,record,patient,label,split`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitRow {
    pub dataset: String,
    pub record: String,
    pub patient: String,
    /// `None` for unlabelled records (BIDMC).
    pub label: Option<String>,
    pub split: Split,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

pub fn read_splits(path: &Path) -> Result<Vec<SplitRow>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io { path: path.into(), source })?;
    let bad = |line: usize, what: &str| DataError::Splits { path: path.into(), line, what: what.into() };
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 5 {
            return Err(bad(i + 1, "expected 5 fields: dataset,record,patient,label,split"));
        }
        let split = match f[4] {
            "train" => Split::Train,
            "test" => Split::Test,
            _ => return Err(bad(i + 1, "split must be train or test")),
        };
        let label = (f[3] != "unlabelled" && !f[3].is_empty()).then(|| f[3].to_string());
        rows.push(SplitRow { dataset: f[0].into(), record: f[1].into(), patient: f[2].into(), label, split });
    }
    Ok(rows)
}

/// Where a split row's signals live under the shared data folder.
pub fn record_path(data_dir: &Path, row: &SplitRow) -> Option<PathBuf> {
    match row.dataset.as_str() {
        "mimic-perform-af" => ["mimic_perform_af_wfdb", "mimic_perform_non_af_wfdb"]
            .iter()
            .map(|sub| data_dir.join("mimic-perform-af").join(sub).join(format!("{}.hea", row.record)))
            .find(|p| p.exists()),
        "bidmc" => Some(data_dir.join("bidmc").join("bidmc_csv").join(format!("{}_Signals.csv.gz", row.record)))
            .filter(|p| p.exists()),
        _ => None,
    }
}

/// What one record contributed.
#[derive(Debug, Clone)]
pub struct RecordCycles {
    pub row: SplitRow,
    pub ecg_lead: Option<String>,
    pub beats: usize,
    /// Usable beats (they are the examples).
    pub usable: usize,
    /// The ECG is not lead II: its cycles are kept for the class term only.
    pub ecg_excluded: bool,
}

/// Examples, row-major: `ppg` and `ecg` are `len() × 300`.
#[derive(Debug, Clone, Default)]
pub struct CycleSet {
    pub ppg: Vec<f32>,
    pub ecg: Vec<f32>,
    /// Index into the class list, or -1 for an unlabelled record.
    pub class: Vec<i32>,
    /// Whether the ECG term applies (lead II present).
    pub ecg_weight: Vec<f32>,
    /// Index into `records`.
    pub record: Vec<u32>,
    /// Beat index within the record's beat analysis.
    pub beat: Vec<u32>,
    pub records: Vec<RecordCycles>,
}

impl CycleSet {
    pub fn len(&self) -> usize {
        self.class.len()
    }
    pub fn is_empty(&self) -> bool {
        self.class.is_empty()
    }
    pub fn ppg_row(&self, i: usize) -> &[f32] {
        &self.ppg[i * CYCLE_LEN..(i + 1) * CYCLE_LEN]
    }
    pub fn ecg_row(&self, i: usize) -> &[f32] {
        &self.ecg[i * CYCLE_LEN..(i + 1) * CYCLE_LEN]
    }
    /// The examples at `indices`, in that order (records shared).
    pub fn subset(&self, indices: &[usize]) -> CycleSet {
        let mut out = CycleSet { records: self.records.clone(), ..Default::default() };
        for &i in indices {
            out.ppg.extend_from_slice(self.ppg_row(i));
            out.ecg.extend_from_slice(self.ecg_row(i));
            out.class.push(self.class[i]);
            out.ecg_weight.push(self.ecg_weight[i]);
            out.record.push(self.record[i]);
            out.beat.push(self.beat[i]);
        }
        out
    }
}

/// Extracts the usable cycles of `rows` (two worker threads; records stay in `rows` order).
pub fn extract_cycles(data_dir: &Path, rows: &[SplitRow], classes: &[String]) -> Result<CycleSet, DataError> {
    let results: Vec<Result<(RecordCycles, Vec<(u32, Vec<f32>, Vec<f32>)>), DataError>> = std::thread::scope(|s| {
        let half = rows.len().div_ceil(2);
        let handles: Vec<_> = rows.chunks(half.max(1)).map(|chunk| s.spawn(move || chunk.iter().map(|r| record_cycles(data_dir, r)).collect::<Vec<_>>())).collect();
        handles.into_iter().flat_map(|h| h.join().expect("cycle extraction thread panicked")).collect()
    });
    let mut set = CycleSet::default();
    for result in results {
        let (info, examples) = result?;
        let class = match &info.row.label {
            Some(label) => classes.iter().position(|c| c == label).map(|i| i as i32).ok_or_else(|| DataError::Data {
                path: data_dir.join("splits.csv"),
                what: format!("label {label:?} of {} is not one of the classes {classes:?}", info.row.record),
            })?,
            None => -1,
        };
        let record = set.records.len() as u32;
        for (beat, ppg, ecg) in examples {
            set.ppg.extend_from_slice(&ppg);
            set.ecg.extend_from_slice(&ecg);
            set.class.push(class);
            set.ecg_weight.push(if info.ecg_excluded { 0.0 } else { 1.0 });
            set.record.push(record);
            set.beat.push(beat);
        }
        set.records.push(info);
    }
    Ok(set)
}

type Examples = Vec<(u32, Vec<f32>, Vec<f32>)>;

/// The beat detector whose cycles the networks are trained and evaluated on. The shipped
/// networks (1.1.0) were trained before the hidden-pulse pass existed, on MSPTDfast v2's beats.
/// Keeping that detector here lets `cardioppg train` reproduce them and keeps `evaluate`'s
/// paper-protocol split theirs: that split is a seeded draw over each record's cycles in record
/// order, so one beat more in one record redraws every later record, and cycles the networks
/// were fitted on would be scored as held out. Switch to [`PulseDetector::default`] when the
/// networks are next retrained. (The app runs them on its own beats, the pass included; on the
/// held-out test patients that reads the same to two decimals: see `models/README.md`.)
pub const NETWORK_CYCLES_DETECTOR: PulseDetector = PulseDetector::MsptdFastV2;

/// A split row's recording with the index of its PPG channel; errors name the file.
pub(crate) fn open_row(data_dir: &Path, row: &SplitRow) -> Result<(PathBuf, crate::io::Recording, usize), DataError> {
    let path = record_path(data_dir, row).ok_or_else(|| DataError::Data {
        path: data_dir.join(&row.dataset),
        what: format!("record {} of splits.csv not found", row.record),
    })?;
    let rec = crate::io::open(&path)?;
    let ppg = rec.ppg_channel().ok_or_else(|| DataError::Data { path: path.clone(), what: "no PPG channel".into() })?;
    Ok((path, rec, ppg))
}

fn record_cycles(data_dir: &Path, row: &SplitRow) -> Result<(RecordCycles, Examples), DataError> {
    let (path, rec, ppg) = open_row(data_dir, row)?;
    let ppg = &rec.channels[ppg];
    let ecg = &rec.channels[rec.ecg_channel().ok_or_else(|| DataError::Data { path: path.clone(), what: "no ECG channel".into() })?];
    let ecg_lead = match &ecg.role {
        ChannelRole::Ecg { lead } => lead.clone(),
        _ => None,
    };
    let analysis = analyse_beats_with(&ppg.samples, ppg.sample_rate_hz, Some((&ecg.samples, ecg.sample_rate_hz)), NETWORK_CYCLES_DETECTOR);
    let mut examples = Vec::new();
    for (i, beat) in analysis.beats.iter().enumerate() {
        if !beat.usable() {
            continue;
        }
        if let (Some(p), Some(e)) = (analysis.ppg_cycle(i), analysis.ecg_cycle(i)) {
            examples.push((i as u32, p.to_vec(), e.to_vec()));
        }
    }
    let info = RecordCycles {
        row: row.clone(),
        ecg_excluded: ecg_lead.as_deref() != Some("II"),
        ecg_lead,
        beats: analysis.beats.len(),
        usable: examples.len(),
    };
    Ok((info, examples))
}
