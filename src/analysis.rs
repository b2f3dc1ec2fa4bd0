//! The analysis of one recording: what the views read, immutably, each frame. Built off the UI
//! thread by the worker in stages (signals and beats first, then the network's outputs); each
//! stage is a new `Arc<Analysis>`, so a frame never sees a half-written result.

use std::sync::Arc;

use crate::dsp::beats::{BeatAnalysis, analyse_beats};
use crate::dsp::minmax::MinMaxPyramid;
use crate::io::Recording;
use crate::model::bundle::ModelManifest;
use crate::model::evaluate::{pearson, rrmse};
use crate::model::infer::{BeatOutput, ClassFinding, run_usable_beats_until, summarise};
use crate::model::Network;
use crate::model::rhythm::{RhythmAssessment, RhythmModel};

/// Fewer usable beats than this and a finding reads "unreadable": a 30-beat (about half a
/// minute) minimum, like the 30-s minimum of single-lead ECG rhythm apps, so that one or two
/// odd beats cannot carry a recording-level number.
pub const MIN_USABLE_BEATS: usize = 30;

#[derive(Debug)]
pub struct Analysis {
    pub recording: Arc<Recording>,
    /// One display pyramid per channel, same order as `recording.channels`.
    pub pyramids: Arc<Vec<MinMaxPyramid>>,
    /// Beats of the PPG channel (paired with the reference ECG when there is one); `None`
    /// when the recording has no channel with the PPG role.
    pub beats: Option<Arc<BeatAnalysis>>,
    /// The network's outputs; `None` until the model has run (or when it cannot).
    pub model: Option<Arc<ModelResults>>,
    /// Indices of the beats flagged by quality, for the list to jump from.
    pub flagged_beats: Arc<Vec<usize>>,
    /// Beat quality and probabilities binned over the whole recording, for the overview.
    pub overview: Arc<OverviewBins>,
    /// Median (PPG onset − R-peak) over the paired beats; 0 when none are paired. Places
    /// generated ECG cycles in time where a beat has no R-peak of its own.
    pub pulse_delay_secs: f64,
}

impl Analysis {
    pub fn new(recording: Recording) -> Self {
        let recording = Arc::new(recording);
        let pyramids = Arc::new(recording.channels.iter().map(|c| MinMaxPyramid::build(&c.samples)).collect());
        let beats = detect_beats(&recording).map(Arc::new);
        Self::assemble(recording, pyramids, beats, None)
    }

    fn assemble(recording: Arc<Recording>, pyramids: Arc<Vec<MinMaxPyramid>>, beats: Option<Arc<BeatAnalysis>>, model: Option<Arc<ModelResults>>) -> Self {
        let flagged_beats = Arc::new(beats.as_ref().map_or_else(Vec::new, |b| (0..b.beats.len()).filter(|&i| !b.beats[i].usable()).collect()));
        let overview = Arc::new(OverviewBins::new(recording.duration_secs(), beats.as_deref(), model.as_deref()));
        let pulse_delay_secs = beats.as_deref().map_or(0.0, median_pulse_delay_secs);
        Analysis { recording, pyramids, beats, model, flagged_beats, overview, pulse_delay_secs }
    }

    /// The same signals with changed channel roles: the display pyramids are reused; beats are
    /// recomputed because the roles decide which channels are the PPG and the reference ECG.
    pub fn with_roles_changed(&self, recording: Recording) -> Self {
        let beats = detect_beats(&recording).map(Arc::new);
        Self::assemble(Arc::new(recording), self.pyramids.clone(), beats, None)
    }

    /// Where beat `beat`'s GENERATED ECG cycle belongs in time, (start, end) in seconds. The
    /// network maps PPG cycle k to ECG cycle [R k, R k+1): there when the ECG gives it, else the
    /// PPG cycle moved back by the recording's median pulse arrival delay.
    pub fn generated_span_secs(&self, beat: usize) -> (f64, f64) {
        let Some(beats) = &self.beats else { return (0.0, 0.0) };
        let Some(b) = beats.beats.get(beat) else { return (0.0, 0.0) };
        let rate = beats.sample_rate_hz;
        match (b.r_peak, b.next_r_peak) {
            (Some(r0), Some(r1)) => (r0 as f64 / rate, r1 as f64 / rate),
            _ => (b.onset_secs - self.pulse_delay_secs, b.onset_secs + b.duration_secs() - self.pulse_delay_secs),
        }
    }

    pub fn with_model(&self, model: ModelResults) -> Self {
        Self::assemble(self.recording.clone(), self.pyramids.clone(), self.beats.clone(), Some(Arc::new(model)))
    }
}

/// Beats of the recording's PPG channel, paired with its reference ECG; `None` without a PPG.
pub fn detect_beats(recording: &Recording) -> Option<BeatAnalysis> {
    let ppg = &recording.channels[recording.ppg_channel()?];
    let ecg = recording.ecg_channel().map(|i| &recording.channels[i]).map(|c| (c.samples.as_slice(), c.sample_rate_hz));
    Some(analyse_beats(&ppg.samples, ppg.sample_rate_hz, ecg))
}

/// Median (PPG onset − R-peak) over the paired beats; 0 when none are paired.
pub fn median_pulse_delay_secs(beats: &BeatAnalysis) -> f64 {
    let delays: Vec<f64> = beats.beats.iter().filter_map(|b| b.r_peak.map(|r| b.onset_secs - r as f64 / beats.sample_rate_hz)).collect();
    crate::dsp::median(delays).unwrap_or(0.0)
}

/// How closely the GENERATED ECG cycle follows the real one (both min–max normalised, the
/// paper's Pearson r and rRMSE).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeatFit {
    pub pearson_r: f64,
    pub rrmse: f64,
}

/// A class's recording-level finding, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub stats: ClassFinding,
    /// False with fewer than [`MIN_USABLE_BEATS`] usable beats: shown as "unreadable".
    pub readable: bool,
}

/// What the network said about a recording, with the model that said it.
#[derive(Debug, Clone)]
pub struct ModelResults {
    pub model_name: String,
    pub model_version: String,
    pub trained_on: String,
    pub classes: Vec<String>,
    /// Indexed by beat (`BeatAnalysis::beats`); `None` for beats the network does not run on.
    pub outputs: Vec<Option<BeatOutput>>,
    /// Indexed by beat; `None` without an output or without a real ECG cycle.
    pub fits: Vec<Option<BeatFit>>,
    pub findings: Vec<Finding>,
    /// The [`WORST_FITS`] beats with the lowest Pearson r, worst first.
    pub worst_fits: Vec<(usize, BeatFit)>,
    /// The rhythm extension's P(AF), when the model came with one; not the network's output.
    pub rhythm: Option<RhythmFinding>,
}

/// The rhythm extension on a recording ([`crate::model::rhythm`]): pulse-interval irregularity,
/// not the network. `assessment` is `None` when no window of usable pulses holds.
#[derive(Debug, Clone, PartialEq)]
pub struct RhythmFinding {
    /// "CardioPPG rhythm extension 1.0.1".
    pub model: String,
    pub trained_on: String,
    /// Of the extension's file.
    pub sha256: String,
    pub window_beats: usize,
    pub assessment: Option<RhythmAssessment>,
}

impl RhythmFinding {
    pub fn new(model: &RhythmModel, beats: &BeatAnalysis) -> Self {
        RhythmFinding {
            model: format!("{} {}", model.name, model.version),
            trained_on: model.trained_on.clone(),
            sha256: model.sha256.clone(),
            window_beats: model.window_beats,
            assessment: model.assess(beats),
        }
    }

    /// One line for texts and annotations; it ends in [`Self::SUMMARY_END`].
    pub fn summary(&self) -> String {
        match &self.assessment {
            Some(a) => format!(
                "{}: P(AF) {:.3} from pulse-interval irregularity over {} window{} of {} usable pulses (median nRMSSD {:.3}, Shannon entropy {:.2}) {}",
                self.model, a.af_probability, a.windows, if a.windows == 1 { "" } else { "s" }, self.window_beats, a.median_nrmssd, a.median_shannon_entropy, Self::SUMMARY_END
            ),
            None => format!("{}: unreadable, no window of {} usable pulses {}", self.model, self.window_beats, Self::SUMMARY_END),
        }
    }

    const SUMMARY_END: &str = "(rhythm extension beside the network, not a diagnosis)";

    /// Whether an annotation is one [`Self::summary`] wrote (re-exports replace it).
    pub fn wrote(text: &str) -> bool {
        text.ends_with(Self::SUMMARY_END)
    }
}

/// How many beats the "worst beats" list holds.
pub const WORST_FITS: usize = 10;

/// Beat indices, worst generated-vs-real fit first (lowest Pearson r).
fn worst_fits(fits: &[Option<BeatFit>], count: usize) -> Vec<(usize, BeatFit)> {
    let mut fits: Vec<(usize, BeatFit)> = fits.iter().enumerate().filter_map(|(i, f)| f.map(|f| (i, f))).collect();
    fits.sort_by(|a, b| a.1.pearson_r.total_cmp(&b.1.pearson_r));
    fits.truncate(count);
    fits
}

/// Bins across the recording (a few per screen pixel): whether each holds flagged or usable
/// beats and the mean probability per class, so an overview frame costs the same for 60 s or
/// 24 h.
#[derive(Debug, Clone, Default)]
pub struct OverviewBins {
    pub bin_secs: f64,
    /// Per bin: 0 no beat, 1 usable beats only, 2 some flagged beat.
    pub quality: Vec<u8>,
    /// Per bin and class (row-major, `bins × classes`): mean probability; NaN without outputs.
    pub probabilities: Vec<f32>,
    pub classes: usize,
}

pub const OVERVIEW_BINS: usize = 4096;

impl OverviewBins {
    fn new(duration_secs: f64, beats: Option<&BeatAnalysis>, model: Option<&ModelResults>) -> Self {
        let bins = OVERVIEW_BINS;
        let bin_secs = (duration_secs / bins as f64).max(1e-9);
        let Some(beats) = beats else { return Self { bin_secs, quality: vec![0; bins], ..Self::default() } };
        let bin_of = |secs: f64| ((secs / bin_secs) as usize).min(bins - 1);
        let mut quality = vec![0u8; bins];
        for b in &beats.beats {
            let q = &mut quality[bin_of(b.onset_secs)];
            *q = (*q).max(if b.usable() { 1 } else { 2 });
        }
        let classes = model.map_or(0, |m| m.classes.len());
        let mut sums = vec![0f64; bins * classes];
        let mut counts = vec![0u32; bins];
        for (b, output) in beats.beats.iter().zip(model.map_or(&[][..], |m| &m.outputs[..])) {
            let Some(output) = output else { continue };
            let bin = bin_of(b.onset_secs);
            counts[bin] += 1;
            for (k, &p) in output.probabilities.iter().enumerate().take(classes) {
                sums[bin * classes + k] += f64::from(p);
            }
        }
        let probabilities = sums.iter().enumerate().map(|(i, s)| if counts[i / classes.max(1)] == 0 { f32::NAN } else { (s / f64::from(counts[i / classes])) as f32 }).collect();
        Self { bin_secs, quality, probabilities, classes }
    }
}

/// Why the network's run stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// The network on every usable beat, `batch_size` cycles per pass. `keep_going` is asked between
/// batches (false cancels), `progress(done, total)` told after each.
pub fn run_model(
    net: &Network,
    manifest: &ModelManifest,
    beats: &BeatAnalysis,
    rhythm: Option<&RhythmModel>,
    device: &burn::tensor::Device,
    batch_size: usize,
    keep_going: impl Fn() -> bool,
    progress: impl FnMut(usize, usize),
) -> Result<ModelResults, Cancelled> {
    let outputs = run_usable_beats_until(net, beats, device, batch_size, keep_going, progress).ok_or(Cancelled)?;
    let mut by_beat: Vec<Option<BeatOutput>> = vec![None; beats.beats.len()];
    for output in outputs {
        let beat = output.beat;
        by_beat[beat] = Some(output);
    }
    let mut results = results_from_outputs(manifest, beats, by_beat);
    results.rhythm = rhythm.map(|m| RhythmFinding::new(m, beats));
    Ok(results)
}

/// Findings and fits from per-beat outputs (indexed by beat).
pub fn results_from_outputs(manifest: &ModelManifest, beats: &BeatAnalysis, outputs: Vec<Option<BeatOutput>>) -> ModelResults {
    let fits: Vec<Option<BeatFit>> = outputs
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let (o, real) = (o.as_ref()?, beats.ecg_cycle(i)?);
            Some(BeatFit { pearson_r: pearson(&o.generated_ecg, real), rrmse: rrmse(&o.generated_ecg, real) })
        })
        .collect();
    let present: Vec<BeatOutput> = outputs.iter().flatten().cloned().collect();
    let findings = summarise(&present, &manifest.classes)
        .into_iter()
        .map(|stats| Finding { readable: stats.usable_beats >= MIN_USABLE_BEATS, stats })
        .collect();
    let worst_fits = worst_fits(&fits, WORST_FITS);
    ModelResults {
        worst_fits,
        model_name: manifest.name.clone(),
        model_version: manifest.version.clone(),
        trained_on: manifest.trained_on.clone(),
        classes: manifest.classes.clone(),
        outputs,
        fits,
        findings,
        rhythm: None,
    }
}
