//! The recording with the analysis in it, as EDF+ that EDFbrowser and other EDF tools open:
//! every original channel, the GENERATED ECG as an extra channel labelled so, and the beats,
//! their quality flags, the findings and the reviewer's marks and verdicts as annotations.

use std::path::Path;

use crate::analysis::Analysis;
use crate::io::edf::write::{WriteError, write_edf_plus};
use crate::io::{Annotation, Channel, ChannelRole, Recording, RoleSource};
use crate::review::{Review, Verdict};

/// Label of the generated channel (EDF labels hold 16 characters).
pub const GENERATED_LABEL: &str = "GENERATED ECG";

/// Writes the export atomically.
pub fn export_edf(path: &Path, analysis: &Analysis, review: &Review) -> Result<(), WriteError> {
    write_edf_plus(path, &with_results(analysis, review))
}

/// The recording plus the generated channel and the annotations of the analysis and review.
pub fn with_results(analysis: &Analysis, review: &Review) -> Recording {
    let mut recording = (*analysis.recording).clone();
    // Exporting an export again replaces what the earlier one wrote instead of doubling it.
    if let Some(i) = recording.channels.iter().position(|c| c.label == GENERATED_LABEL) {
        recording.channels.remove(i);
        recording.annotations.retain(|a| !written_by_us(&a.text));
    }
    if let Some(channel) = generated_channel(analysis) {
        recording.channels.push(channel);
    }
    recording.annotations.extend(annotations(analysis, review));
    recording.annotations.sort_by(|a, b| a.onset_secs.total_cmp(&b.onset_secs));
    recording
}

/// The GENERATED ECG at the beat analysis rate, each cycle resampled into the span it stands
/// for ([`Analysis::generated_span_secs`]); NaN (written as a gap) where no beat has an output.
fn generated_channel(analysis: &Analysis) -> Option<Channel> {
    let (beats, model) = (analysis.beats.as_ref()?, analysis.model.as_ref()?);
    let rate = beats.sample_rate_hz;
    let mut samples = vec![f32::NAN; (beats.duration_secs * rate).round() as usize];
    for (i, output) in model.outputs.iter().enumerate() {
        let Some(output) = output else { continue };
        let (t0, t1) = analysis.generated_span_secs(i);
        let (k0, k1) = ((t0 * rate).round().max(0.0) as usize, ((t1 * rate).round().max(0.0) as usize).min(samples.len()));
        let n = output.generated_ecg.len();
        for k in k0..k1 {
            // Linear interpolation of the 300-point cycle at this sample's phase.
            let phase = (k - k0) as f64 / (k1 - k0) as f64 * (n - 1) as f64;
            let (j, frac) = (phase.floor() as usize, (phase - phase.floor()) as f32);
            let next = output.generated_ecg[(j + 1).min(n - 1)];
            samples[k] = output.generated_ecg[j] * (1.0 - frac) + next * frac;
        }
    }
    let mut channel = Channel::new(GENERATED_LABEL, "NU", rate, samples);
    channel.role = ChannelRole::Other;
    channel.role_source = RoleSource::DetectedFromLabel;
    channel.transducer = format!("synthetic: {} {} from the PPG, not recorded", model.model_name, model.model_version);
    channel.prefilter = "normalised units (cycle min-max 0..1)".into();
    Some(channel)
}

/// The annotation texts [`annotations`] (and the writer's gap notes) produce.
fn written_by_us(text: &str) -> bool {
    let beat = text.strip_prefix("beat ").is_some_and(|rest| rest.split(' ').next().is_some_and(|n| n.parse::<usize>().is_ok()));
    beat || ["review mark beat ", "review: ", "signal gap: "].iter().any(|p| text.starts_with(p)) || text.contains("(model output, not a diagnosis)") || text.contains(") unreadable (") || crate::analysis::RhythmFinding::wrote(text)
}

fn annotations(analysis: &Analysis, review: &Review) -> Vec<Annotation> {
    let mut out = Vec::new();
    let note = |onset_secs: f64, duration_secs: Option<f64>, text: String| Annotation { onset_secs, duration_secs, text };
    if let Some(model) = &analysis.model {
        for f in &model.findings {
            let text = if f.readable {
                format!("{} {}: P({}) {:.3} ± {:.3} over the {} beats with a usable PPG (model output, not a diagnosis)", model.model_name, model.model_version, f.stats.class, f.stats.mean_probability, f.stats.sd_probability, f.stats.usable_beats)
            } else {
                format!("{} {}: P({}) unreadable ({} usable beats)", model.model_name, model.model_version, f.stats.class, f.stats.usable_beats)
            };
            out.push(note(0.0, None, text));
        }
        if let Some(r) = &model.rhythm {
            out.push(note(0.0, None, r.summary()));
        }
    }
    for (class, verdict) in &review.verdicts {
        let verdict = match verdict {
            Verdict::Agree => "agrees",
            Verdict::Disagree => "disagrees",
        };
        let who = if review.reviewer.trim().is_empty() { "reviewer" } else { review.reviewer.trim() };
        out.push(note(0.0, None, format!("review: {who} {verdict} with {class}")));
    }
    if let Some(beats) = &analysis.beats {
        for (i, b) in beats.beats.iter().enumerate() {
            out.push(note(b.onset_secs, Some(b.duration_secs()), format!("beat {} {}", i + 1, b.quality_text())));
        }
        for (&beat, text) in &review.beat_marks {
            if let Some(b) = beats.beats.get(beat) {
                out.push(note(b.onset_secs, Some(b.duration_secs()), format!("review mark beat {}: {}", beat + 1, text.trim())));
            }
        }
    }
    out
}
