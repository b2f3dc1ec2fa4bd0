//! What a report shows, gathered before any page is drawn: which beats get a page and why,
//! the attributions they need (reused from the workspace's cache where it has them, computed
//! otherwise), and the provenance printed on every report.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::analysis::Analysis;
use crate::dsp::cycles::CYCLE_LEN;
use crate::explain::{ClassMaps, EcgMap, Explainer};
use crate::model::evaluate::pearson;
use crate::review::Review;

use super::{ReportError, ReportOptions, paper::Strip};

/// Who and what produced the numbers in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    pub app_version: String,
    pub recording_sha256: String,
    pub model_name: String,
    pub model_version: String,
    pub model_variant: String,
    pub trained_on: String,
    pub weights_sha256: String,
    /// "CPU (2 threads)", "GPU: NVIDIA H100 (Vulkan)".
    pub device: String,
    pub created_unix_secs: u64,
}

/// Why a beat has a page.
#[derive(Debug, Clone, PartialEq)]
pub enum BeatChoice {
    /// The reviewer marked it, with this text (possibly empty).
    Marked(String),
    /// Its PPG cycle is the closest to the recording's median cycle.
    MostTypical,
    /// Its PPG cycle is the farthest from the recording's median cycle.
    LeastTypical,
}

impl BeatChoice {
    pub fn describe(&self) -> String {
        match self {
            BeatChoice::Marked(text) if text.trim().is_empty() => "marked by the reviewer".into(),
            BeatChoice::Marked(text) => format!("marked by the reviewer: “{}”", text.trim()),
            BeatChoice::MostTypical => "most typical beat (PPG cycle closest to the recording's median cycle)".into(),
            BeatChoice::LeastTypical => "least typical beat (PPG cycle farthest from the recording's median cycle)".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ReportBeat {
    pub index: usize,
    pub choice: BeatChoice,
    /// The 300×300 GENERATED-ECG map; `None` past [`ReportOptions::max_heatmaps`] or without a
    /// network output for the beat.
    pub ecg_map: Option<Arc<EcgMap>>,
}

/// Everything the pages draw.
#[derive(Debug, Clone)]
pub struct ReportInput {
    pub analysis: Arc<Analysis>,
    pub review: Review,
    /// Printed with the review: the file changed since it was saved, a sidecar set aside.
    pub review_warnings: Vec<String>,
    pub provenance: Provenance,
    pub options: ReportOptions,
    pub beats: Vec<ReportBeat>,
    /// Marked beats beyond [`ReportOptions::max_beats`]: listed on the summary, not drawn.
    pub marked_not_drawn: Vec<usize>,
    /// Class maps of every beat shown on a strip, by beat.
    pub class_maps: BTreeMap<usize, Arc<ClassMaps>>,
    /// The class whose attribution the strips highlight: the most probable one.
    pub highlight_class: usize,
}

/// Attributions the caller already has (the workspace's cache); the report computes the rest.
pub trait KnownAttributions {
    fn class_maps(&self, beat: usize) -> Option<Arc<ClassMaps>>;
    fn ecg_map(&self, beat: usize) -> Option<Arc<EcgMap>>;
}

/// Nothing known: the command line.
pub struct NoneKnown;

impl KnownAttributions for NoneKnown {
    fn class_maps(&self, _: usize) -> Option<Arc<ClassMaps>> {
        None
    }
    fn ecg_map(&self, _: usize) -> Option<Arc<EcgMap>> {
        None
    }
}

/// Gathers the report: beats, attributions, provenance. `progress` hears what is being computed.
pub fn prepare(
    analysis: Arc<Analysis>,
    review: Review,
    mut review_warnings: Vec<String>,
    provenance: Provenance,
    options: ReportOptions,
    ecg_explainer: &Explainer,
    class_explainer: &Explainer,
    known: &dyn KnownAttributions,
    progress: &mut dyn FnMut(&str),
) -> Result<ReportInput, ReportError> {
    let model = analysis.model.as_ref().ok_or(ReportError::NoModelResults)?;
    let highlight_class = (0..model.findings.len())
        .max_by(|&a, &b| model.findings[a].stats.mean_probability.total_cmp(&model.findings[b].stats.mean_probability))
        .unwrap_or(0);
    // Beat indices of a review of another version of the file may name other beats.
    let stale = !review.recording_sha256.is_empty() && review.recording_sha256 != provenance.recording_sha256;
    if stale {
        review_warnings.push(format!(
            "The review was saved for a different version of this file (SHA-256 {}…): its verdicts and notes are printed as saved; its beat marks are not used to choose the beat pages.",
            review.recording_sha256.chars().take(16).collect::<String>()
        ));
    }
    let unmarked = Review { beat_marks: Default::default(), ..review.clone() };
    let (chosen, marked_not_drawn) = select_beats(&analysis, if stale { &unmarked } else { &review }, options.max_beats);

    let mut class_maps = BTreeMap::new();
    let mut missing = Vec::new();
    for beat in chosen.iter().flat_map(|(b, _)| beats_on_strip(&analysis, *b, &options)) {
        if class_maps.contains_key(&beat) || missing.contains(&beat) {
            continue;
        }
        match known.class_maps(beat) {
            Some(maps) => drop(class_maps.insert(beat, maps)),
            None => missing.push(beat),
        }
    }
    if !missing.is_empty() {
        progress(&format!("attributions per class of {} beats on the strips", missing.len()));
        let beats = analysis.beats.as_ref().ok_or(ReportError::NoModelResults)?;
        let present: Vec<(usize, &[f32])> = missing.iter().filter_map(|&b| Some((b, beats.ppg_cycle(b)?))).collect();
        let cycles: Vec<f32> = present.iter().flat_map(|(_, c)| c.iter().copied()).collect();
        for ((beat, _), maps) in present.iter().zip(class_explainer.class_maps(&cycles)?) {
            class_maps.insert(*beat, Arc::new(maps));
        }
    }

    // Maps the reviewer already has cost nothing; up to `max_heatmaps` more are computed.
    let mut beats = Vec::new();
    let has_output = |index: usize| model.outputs.get(index).is_some_and(Option::is_some);
    let to_compute = chosen.iter().filter(|(b, _)| has_output(*b) && known.ecg_map(*b).is_none()).count().min(options.max_heatmaps);
    let mut computed = 0;
    for (index, choice) in chosen {
        let ecg_map = match (has_output(index), known.ecg_map(index)) {
            (false, _) => None,
            (true, Some(map)) => Some(map),
            (true, None) if computed >= to_compute => None,
            (true, None) => {
                computed += 1;
                progress(&format!("300×300 attribution map of beat {} ({computed} of {to_compute})", index + 1));
                let cycle = analysis.beats.as_ref().and_then(|b| b.ppg_cycle(index)).ok_or(ReportError::NoModelResults)?;
                Some(Arc::new(ecg_explainer.ecg_map(cycle)?))
            }
        };
        beats.push(ReportBeat { index, choice, ecg_map });
    }
    Ok(ReportInput { analysis, review, review_warnings, provenance, options, beats, marked_not_drawn, class_maps, highlight_class })
}

/// The reviewer's marked beats (up to `max`), or, when none is marked, the most and the least
/// typical of the beats the network ran on. Returns the rest of the marked beats separately.
pub fn select_beats(analysis: &Analysis, review: &Review, max: usize) -> (Vec<(usize, BeatChoice)>, Vec<usize>) {
    let count = analysis.beats.as_ref().map_or(0, |b| b.beats.len());
    let marked: Vec<(usize, BeatChoice)> = review.beat_marks.iter().filter(|(b, _)| **b < count).map(|(b, text)| (*b, BeatChoice::Marked(text.clone()))).collect();
    if !marked.is_empty() {
        let rest = marked.iter().skip(max).map(|(b, _)| *b).collect();
        return (marked.into_iter().take(max).collect(), rest);
    }
    let ranked = typicality(analysis);
    let mut chosen = Vec::new();
    if let Some(&(most, _)) = ranked.first() {
        chosen.push((most, BeatChoice::MostTypical));
    }
    if let Some(&(least, _)) = ranked.last().filter(|(b, _)| ranked.len() > 1 && Some(*b) != ranked.first().map(|r| r.0)) {
        chosen.push((least, BeatChoice::LeastTypical));
    }
    chosen.truncate(max);
    (chosen, Vec::new())
}

/// Beats the network ran on, most typical first: Pearson r of each normalised PPG cycle with
/// the point-wise median cycle (robust to the odd beats it is meant to find).
pub fn typicality(analysis: &Analysis) -> Vec<(usize, f64)> {
    let (Some(beats), Some(model)) = (&analysis.beats, &analysis.model) else { return Vec::new() };
    let ran: Vec<usize> = (0..beats.beats.len()).filter(|&i| model.outputs.get(i).is_some_and(Option::is_some)).collect();
    let cycles: Vec<&[f32]> = ran.iter().filter_map(|&i| beats.ppg_cycle(i)).collect();
    if cycles.len() != ran.len() || cycles.is_empty() {
        return Vec::new();
    }
    let median: Vec<f32> = (0..CYCLE_LEN)
        .map(|k| crate::dsp::median(cycles.iter().map(|c| f64::from(c[k])).collect()).unwrap_or(0.0) as f32)
        .collect();
    let mut ranked: Vec<(usize, f64)> = ran.iter().zip(&cycles).map(|(&i, c)| (i, pearson(c, &median))).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
}

/// The strip a beat's page shows: the page width of paper centred on the beat, kept inside the
/// recording.
pub fn strip_for(analysis: &Analysis, beat: usize, options: &ReportOptions, x_mm: f32, y_mm: f32, width_mm: f32, height_mm: f32) -> Strip {
    let mut strip = Strip { x_mm, y_mm, width_mm, height_mm, start_secs: 0.0, speed_mm_per_s: options.speed_mm_per_s, gain_mm_per_mv: options.gain_mm_per_mv };
    if let Some(b) = analysis.beats.as_ref().and_then(|b| b.beats.get(beat)) {
        let centre = b.onset_secs + b.duration_secs() / 2.0;
        let latest = (analysis.recording.duration_secs() - strip.window_secs()).max(0.0);
        strip.start_secs = (centre - strip.window_secs() / 2.0).clamp(0.0, latest);
    }
    strip
}

/// Beats with a network output whose PPG cycle overlaps the strip of `beat`'s page.
pub fn beats_on_strip(analysis: &Analysis, beat: usize, options: &ReportOptions) -> Vec<usize> {
    let (Some(beats), Some(model)) = (&analysis.beats, &analysis.model) else { return Vec::new() };
    let strip = strip_for(analysis, beat, options, 0.0, 0.0, super::STRIP_WIDTH_MM, 1.0);
    let end = strip.start_secs + strip.window_secs();
    (0..beats.beats.len())
        .filter(|&i| {
            let b = &beats.beats[i];
            b.onset_secs < end && b.onset_secs + b.duration_secs() > strip.start_secs && model.outputs.get(i).is_some_and(Option::is_some)
        })
        .collect()
}
