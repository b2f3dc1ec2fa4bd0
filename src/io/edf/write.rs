//! EDF+C writer: a [`Recording`] as a continuous EDF+ file (Kemp & Olivan 2003, edfplus.info)
//! that our reader, edfplus and other EDF+ readers read back.
//!
//! Why not the `edfplus` crate's writer: edfplus 0.1 gives every data record a fixed 120-byte
//! annotation signal, silently drops (`break`) the annotations that do not fit and truncates long
//! texts. An export carries one to three annotations a second (every beat, quality flags,
//! reviewer marks) and must lose none, so here the annotation signal is sized to the fullest
//! record, and what cannot be written is an error, never a silent loss.
//!
//! Choices:
//! - Record duration: the first of 1, 2, …, 60 s, then 0.5 … 0.01 s (for rates too high for
//!   whole seconds), in which every channel has a whole number of samples (within 1e-6) and at
//!   most 32767. Whole seconds come first because every record also carries a time-keeping TAL
//!   and an annotation signal of at least 120 bytes.
//! - Scaling: 16 bits; data use −32767..=32767 and −32768 means "no data" (NaN and other
//!   non-finite samples, the padding). The physical extremes come from the finite samples,
//!   rounded outward into their 8 characters (a flat or empty channel gets min − 1 … max + 1),
//!   and the digital values are computed from the extremes *as written*, so that a reader, which
//!   has only the header's strings, recovers every sample within half a quantisation step.
//! - Gaps: each run of missing samples also becomes a `signal gap: <label>` annotation with its
//!   onset and duration, so that a reader unaware of the "no data" value still sees the gap.
//! - Padding: all channels span the same number of records, the last one padded with "no data";
//!   read back, a channel is longer than written, the longest by less than one record.
//! - Sub-second start: the header holds whole seconds; the fraction is the first record's
//!   time-keeping onset ("+0.5"), and every TAL onset counts from the header's second.

mod annotations;
mod fields;

use std::path::{Path, PathBuf};

use super::header::{ANNOTATION_LABEL, BYTES_PER_SAMPLE, FIXED_HEADER_BYTES, SIGNAL_HEADER_BYTES};
use crate::io::{Channel, Recording};
use annotations::Entry;
use fields::{outward, printable_ascii, put, short_field, truncated};

/// Digital value of a missing sample; data use the symmetric range above it.
const NO_DATA: i16 = i16::MIN;
const DIGITAL_MIN: i16 = -i16::MAX;
const DIGITAL_MAX: i16 = i16::MAX;
/// The annotation signal is never smaller than this (120 bytes, as edfplus and EDFbrowser write).
const MIN_ANNOTATION_SAMPLES: usize = 60;
/// Record durations tried after the whole seconds 1..=60, for rates too high for those.
const SUBSECOND_RECORDS: [f64; 7] = [0.5, 0.25, 0.2, 0.1, 0.05, 0.02, 0.01];

/// Why a recording could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The recording cannot be written as EDF+C as it is; `field` names the channel, annotation
    /// or header field at fault.
    #[error("{}{}: {}", file_prefix(.path.as_deref()), .field, .reason)]
    Invalid { path: Option<PathBuf>, field: String, reason: String },
    #[error("{}: cannot be written: {}", .path.display(), .source)]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn file_prefix(path: Option<&Path>) -> String {
    path.map(|p| format!("{}: ", p.display())).unwrap_or_default()
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> WriteError {
    WriteError::Invalid { path: None, field: field.into(), reason: reason.into() }
}

fn channel_field(index: usize, label: &str) -> String {
    format!("channel {} {label:?}", index + 1)
}

/// Writes `recording` as EDF+C: every channel at its own rate, every `recording.annotations`
/// entry, header from `recording.metadata`. The file is replaced atomically.
pub fn write_edf_plus(path: &Path, recording: &Recording) -> Result<(), WriteError> {
    let bytes = edf_plus_bytes(recording).map_err(|e| match e {
        WriteError::Invalid { field, reason, .. } => WriteError::Invalid { path: Some(path.to_path_buf()), field, reason },
        io => io,
    })?;
    crate::review::write_atomic(path, &bytes).map_err(|source| WriteError::Io { path: path.to_path_buf(), source })
}

/// Same as [`write_edf_plus`], into memory.
pub fn edf_plus_bytes(recording: &Recording) -> Result<Vec<u8>, WriteError> {
    let channels = &recording.channels;
    if channels.is_empty() {
        return Err(invalid("channels", "an EDF+ file needs at least one channel"));
    }
    let start = recording.metadata.start.as_ref();
    if let Some((s, problem)) = start.and_then(|s| fields::start_problem(s).map(|p| (s, p))) {
        return Err(invalid("start date/time", format!("{s}: {problem}")));
    }
    let labels = labels(channels)?;
    let scales = channels.iter().enumerate().map(|(i, c)| Scale::new(i, c)).collect::<Result<Vec<_>, _>>()?;
    let subsecond = start.map_or(0.0, |s| f64::from(s.nanosecond) / 1e9);
    let entries = annotations::collect(recording, &labels, subsecond)?;
    let layout = choose_layout(channels, &entries, subsecond)?;

    let mut out = header(recording, &labels, &scales, &layout)?;
    let annotation_bytes = layout.annotation_samples * BYTES_PER_SAMPLE;
    let record_bytes = layout.samples_per_record.iter().sum::<usize>() * BYTES_PER_SAMPLE + annotation_bytes;
    out.reserve(layout.records.saturating_mul(record_bytes));
    for (r, tal) in layout.tals.iter().enumerate() {
        for ((channel, scale), &n) in channels.iter().zip(&scales).zip(&layout.samples_per_record) {
            for k in r * n..(r + 1) * n {
                let digital = channel.samples.get(k).map_or(NO_DATA, |&x| scale.digital(x));
                out.extend_from_slice(&digital.to_le_bytes());
            }
        }
        out.extend_from_slice(tal);
        out.resize(out.len() + annotation_bytes - tal.len(), 0);
    }
    Ok(out)
}

/// Labels as written (and as the reader gives them back); a data channel must not take the
/// annotation signal's label, or readers would parse its samples as TALs.
fn labels(channels: &[Channel]) -> Result<Vec<String>, WriteError> {
    let mut labels = Vec::with_capacity(channels.len());
    for (i, channel) in channels.iter().enumerate() {
        let label = short_field(&channel.label, 16);
        if label == ANNOTATION_LABEL {
            return Err(invalid(channel_field(i, &channel.label), "this label is reserved for the EDF+ annotation signal"));
        }
        labels.push(label);
    }
    Ok(labels)
}

/// One channel's physical range as written and the linear map onto the digital range.
struct Scale {
    physical_min: String,
    physical_max: String,
    /// The written extremes parsed back, the numbers a reader scales by.
    min: f64,
    step: f64,
}

impl Scale {
    fn new(index: usize, channel: &Channel) -> Result<Self, WriteError> {
        let (lo, hi) = channel
            .samples
            .iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(f64::from(v)), hi.max(f64::from(v))));
        // EDF needs min < max; a flat line sits in the middle of a range of 2.
        let (lo, hi) = if lo < hi {
            (lo, hi)
        } else if lo == hi {
            (lo - 1.0, hi + 1.0)
        } else {
            (-1.0, 1.0)
        };
        let too_wide = || {
            let reason = format!("sample values {lo} … {hi} do not fit the 8-character physical minimum/maximum fields");
            invalid(channel_field(index, &channel.label), reason)
        };
        let physical_min = outward(lo, false).ok_or_else(too_wide)?;
        let physical_max = outward(hi, true).ok_or_else(too_wide)?;
        let min: f64 = physical_min.parse().map_err(|_| too_wide())?;
        let max: f64 = physical_max.parse().map_err(|_| too_wide())?;
        let step = (max - min) / (f64::from(DIGITAL_MAX) - f64::from(DIGITAL_MIN));
        Ok(Scale { physical_min, physical_max, min, step })
    }

    fn digital(&self, x: f32) -> i16 {
        if !x.is_finite() {
            return NO_DATA;
        }
        let d = ((f64::from(x) - self.min) / self.step).round() + f64::from(DIGITAL_MIN);
        d.clamp(f64::from(DIGITAL_MIN), f64::from(DIGITAL_MAX)) as i16
    }
}

struct Layout {
    record_secs: f64,
    samples_per_record: Vec<usize>,
    records: usize,
    /// Each record's annotation bytes, before zero padding.
    tals: Vec<Vec<u8>>,
    annotation_samples: usize,
}

/// The first record duration that fits every channel and whose fullest record's annotations
/// fit the annotation signal.
fn choose_layout(channels: &[Channel], entries: &[Entry], subsecond: f64) -> Result<Layout, WriteError> {
    for (record_secs, samples_per_record) in record_durations(channels)? {
        let records = channels.iter().zip(&samples_per_record).map(|(c, &n)| c.samples.len().div_ceil(n)).max().unwrap_or(0);
        // One record even without samples: the annotations need somewhere to be.
        let records = records.max(1);
        if let Some(tals) = annotations::layout(entries, records, record_secs, subsecond) {
            let fullest = tals.iter().map(Vec::len).max().unwrap_or(0);
            let annotation_samples = fullest.div_ceil(BYTES_PER_SAMPLE).max(MIN_ANNOTATION_SAMPLES);
            return Ok(Layout { record_secs, samples_per_record, records, tals, annotation_samples });
        }
    }
    let reason = format!(
        "more than {} bytes fall into one data record at every record duration that fits the channels",
        annotations::MAX_RECORD_BYTES
    );
    Err(invalid("annotations", reason))
}

/// Every candidate record duration that holds a whole number of samples of every channel, in
/// order of preference, with each channel's samples per record.
fn record_durations(channels: &[Channel]) -> Result<Vec<(f64, Vec<usize>)>, WriteError> {
    let candidates = || (1..=60).map(f64::from).chain(SUBSECOND_RECORDS);
    let samples_in = |rate: f64, secs: f64| {
        let exact = rate * secs;
        let n = exact.round();
        ((exact - n).abs() <= 1e-6 && (1.0..=f64::from(i16::MAX)).contains(&n)).then_some(n as usize)
    };
    let mut common: Vec<f64> = candidates().collect();
    for (i, channel) in channels.iter().enumerate() {
        let rate = channel.sample_rate_hz;
        let field = || channel_field(i, &channel.label);
        if !(rate.is_finite() && rate > 0.0) {
            return Err(invalid(field(), format!("sample rate {rate} Hz is not a positive number")));
        }
        if candidates().all(|secs| samples_in(rate, secs).is_none()) {
            let reason = format!(
                "sample rate {rate} Hz has no record duration up to 60 s that holds a whole number of samples (at most 32767)"
            );
            return Err(invalid(field(), reason));
        }
        common.retain(|&secs| samples_in(rate, secs).is_some());
        if common.is_empty() {
            let reason = format!("sample rate {rate} Hz shares no record duration up to 60 s with the channels before it");
            return Err(invalid(field(), reason));
        }
    }
    let per_channel = |secs: f64| channels.iter().map(|c| samples_in(c.sample_rate_hz, secs)).collect::<Option<Vec<_>>>();
    Ok(common.into_iter().filter_map(|secs| Some((secs, per_channel(secs)?))).collect())
}

/// One signal's header fields as text.
struct SignalText {
    label: String,
    transducer: String,
    unit: String,
    physical_min: String,
    physical_max: String,
    digital_min: String,
    digital_max: String,
    prefilter: String,
    samples_per_record: String,
}

fn header(recording: &Recording, labels: &[String], scales: &[Scale], layout: &Layout) -> Result<Vec<u8>, WriteError> {
    let signal_count = recording.channels.len() + 1;
    if signal_count > 9999 {
        return Err(invalid("channels", format!("{} channels; the header's 4-character signal count allows 9998", signal_count - 1)));
    }
    if layout.records > 99_999_999 {
        return Err(invalid("number of data records", format!("{} records do not fit its 8 characters", layout.records)));
    }
    let header_bytes = FIXED_HEADER_BYTES + signal_count * SIGNAL_HEADER_BYTES;
    let metadata = &recording.metadata;
    let start = metadata.start.as_ref();
    let (date, time) = fields::start_fields(start);
    let mut h = Vec::with_capacity(header_bytes);
    put(&mut h, "0", 8);
    put(&mut h, &fields::patient_identification(&metadata.patient), 80);
    put(&mut h, &fields::recording_identification(&metadata.recording, start), 80);
    put(&mut h, &date, 8);
    put(&mut h, &time, 8);
    put(&mut h, &header_bytes.to_string(), 8);
    put(&mut h, "EDF+C", 44);
    put(&mut h, &layout.records.to_string(), 8);
    put(&mut h, &fields::seconds_field(layout.record_secs), 8);
    put(&mut h, &signal_count.to_string(), 4);

    let free_text = |text: &str| truncated(&printable_ascii(text), 80).to_string();
    let mut signals: Vec<SignalText> = recording
        .channels
        .iter()
        .zip(labels)
        .zip(scales)
        .zip(&layout.samples_per_record)
        .map(|(((channel, label), scale), n)| SignalText {
            label: label.clone(),
            transducer: free_text(&channel.transducer),
            unit: short_field(&channel.unit, 8),
            physical_min: scale.physical_min.clone(),
            physical_max: scale.physical_max.clone(),
            digital_min: DIGITAL_MIN.to_string(),
            digital_max: DIGITAL_MAX.to_string(),
            prefilter: free_text(&channel.prefilter),
            samples_per_record: n.to_string(),
        })
        .collect();
    signals.push(SignalText {
        label: ANNOTATION_LABEL.into(),
        transducer: String::new(),
        unit: String::new(),
        physical_min: "-1".into(),
        physical_max: "1".into(),
        digital_min: i16::MIN.to_string(),
        digital_max: i16::MAX.to_string(),
        prefilter: String::new(),
        samples_per_record: layout.annotation_samples.to_string(),
    });
    // Signal headers are stored field by field: all labels, then all transducers, and so on.
    let columns: [(usize, fn(&SignalText) -> &str); 10] = [
        (16, |s| &s.label),
        (80, |s| &s.transducer),
        (8, |s| &s.unit),
        (8, |s| &s.physical_min),
        (8, |s| &s.physical_max),
        (8, |s| &s.digital_min),
        (8, |s| &s.digital_max),
        (80, |s| &s.prefilter),
        (8, |s| &s.samples_per_record),
        (32, |_| ""),
    ];
    for (width, text) in columns {
        for signal in &signals {
            put(&mut h, text(signal), width);
        }
    }
    Ok(h)
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
