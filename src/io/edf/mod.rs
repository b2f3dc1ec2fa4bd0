//! EDF and EDF+ (continuous and discontinuous).
//!
//! Who reads what, and why (the conformance test in `tests/conformance.rs` holds both paths to
//! the same samples):
//! - [`header::parse_header`] (ours) validates every header field against the real file size
//!   first; nothing reaches a crate until the header is consistent.
//! - EDF+C: samples and annotations by the `edfplus` crate (the design's choice), after our TAL
//!   pre-check, because edfplus panics on over-long TAL onsets and drops malformed TALs silently;
//!   what it would drop is counted by our pass and told to the user.
//! - Plain EDF and EDF+D: our decoder ([`decode_records`]), because edfplus 0.1 rejects both
//!   ("Only EDF+ files are supported"; discontinuous onsets are an error there). With the header
//!   already validated, decoding 16-bit records is a few lines; `edf-rs` would add chrono and sha2
//!   and applies one channel's scaling to all channels in its record API.

pub mod header;
mod tal;
pub mod write;

use std::path::Path;

use header::{EdfHeader, EdfVariant, parse_header};

use super::{
    Annotation, Channel, Format, Metadata, OpenOptions, ReadError, ReadErrorKind, ReadResult, Reader, Recording,
};

/// EDF+D gaps are laid out as NaN on one time axis; beyond this many times the samples present
/// the file is too sparse for that and is refused rather than allocating without bound.
const MAX_GAP_EXPANSION: usize = 16;

pub struct EdfReader;

impl Reader for EdfReader {
    fn name(&self) -> &'static str {
        "EDF/EDF+"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &[".edf", ".rec", ".bdf"]
    }

    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(b"0       ") || head.starts_with(b"\xffBIOSEMI")
    }

    fn read(&self, path: &Path, _options: &OpenOptions) -> ReadResult<Recording> {
        let bytes = super::read_all(path, "file")?;
        let header = parse_header(path, &bytes, bytes.len() as u64)?;
        let own = decode_records(path, &bytes, &header)?;
        if header.variant != EdfVariant::PlusContinuous {
            return Ok(own);
        }
        read_with_edfplus(path, &header, own)
    }
}

/// Reads EDF/EDF+ from memory with our decoder alone (the fuzz target's entry point).
pub fn read_bytes(path: &Path, bytes: &[u8]) -> ReadResult<Recording> {
    let header = parse_header(path, bytes, bytes.len() as u64)?;
    decode_records(path, bytes, &header)
}

/// Decodes the data records of a validated header. Handles all three variants.
pub fn decode_records(path: &Path, bytes: &[u8], header: &EdfHeader) -> ReadResult<Recording> {
    let record = |r: usize| {
        let start = header.header_bytes + r * header.record_bytes;
        &bytes[start..start + header.record_bytes]
    };
    let mut notices = header.notices.clone();

    // Pass 1: record onsets (EDF+ time-keeping TALs) and annotations.
    let mut onsets_secs = Vec::with_capacity(header.data_records);
    let mut annotations = Vec::new();
    let (mut malformed, mut non_utf8) = (0, 0);
    for r in 0..header.data_records {
        let mut offset = 0;
        let mut onset = None;
        for (s, signal) in header.signals.iter().enumerate() {
            let len = signal.samples_per_record * header::BYTES_PER_SAMPLE;
            if signal.is_annotation() && header.variant != EdfVariant::Edf {
                let tals = tal::parse_record_tals(&record(r)[offset..offset + len]);
                malformed += tals.malformed;
                non_utf8 += tals.non_utf8;
                let first_annotation_signal = header.signals.iter().position(|s| s.is_annotation()) == Some(s);
                if first_annotation_signal {
                    onset = tals.tals.first().filter(|t| t.texts.is_empty()).map(|t| t.onset_secs);
                }
                for tal in tals.tals.iter().filter(|t| !t.texts.is_empty()) {
                    for text in &tal.texts {
                        annotations.push(Annotation { onset_secs: tal.onset_secs, duration_secs: tal.duration_secs, text: text.clone() });
                    }
                }
            }
            offset += len;
        }
        let onset = match (header.variant, onset) {
            (EdfVariant::Edf, _) => r as f64 * header.record_duration_secs,
            (_, Some(onset)) => onset,
            (_, None) => {
                return Err(ReadError::invalid(path, format!("data record {} time-keeping annotation", r + 1), "", "missing or malformed"));
            }
        };
        onsets_secs.push(onset);
    }
    if malformed > 0 {
        notices.push(format!("{malformed} malformed EDF+ annotation(s) could not be read and were skipped"));
    }
    if non_utf8 > 0 {
        notices.push(format!("{non_utf8} EDF+ annotation(s) were not valid UTF-8; unreadable characters shown as \u{fffd}"));
    }
    let first_onset = onsets_secs.first().copied().unwrap_or(0.0);
    for a in &mut annotations {
        a.onset_secs -= first_onset;
    }
    annotations.sort_by(|a, b| a.onset_secs.total_cmp(&b.onset_secs));

    // Pass 2: samples, each record placed at its onset; gaps (EDF+D) stay NaN.
    let mut channels = Vec::new();
    let mut offset = 0;
    for signal in &header.signals {
        let len = signal.samples_per_record * header::BYTES_PER_SAMPLE;
        if signal.is_annotation() {
            offset += len;
            continue;
        }
        let rate_hz = header.sample_rate_hz(signal);
        let spr = signal.samples_per_record;
        let starts = record_starts(path, header, &onsets_secs, first_onset, rate_hz, spr)?;
        let total = starts.last().map_or(0, |s| s + spr);
        let mut samples = vec![f32::NAN; total];
        for (r, &start) in starts.iter().enumerate() {
            let raw = &record(r)[offset..offset + len];
            for (dst, pair) in samples[start..start + spr].iter_mut().zip(raw.chunks_exact(2)) {
                *dst = signal.to_physical(i16::from_le_bytes([pair[0], pair[1]]));
            }
        }
        channels.push(channel_from(signal, rate_hz, samples));
        offset += len;
    }
    if header.variant == EdfVariant::PlusDiscontinuous {
        let gaps = onsets_secs.windows(2).filter(|w| w[1] - w[0] > header.record_duration_secs + 1e-6).count();
        if gaps > 0 {
            notices.push(format!("discontinuous recording (EDF+D): {gaps} gap(s) shown as missing data"));
        }
    }
    Ok(Recording {
        source_path: path.to_path_buf(),
        format: format_of(header.variant),
        metadata: metadata_of(header),
        channels,
        annotations,
        notices,
    })
}

/// Sample index of each record's first sample. Records must not overlap; the layout must not
/// expand the data more than [`MAX_GAP_EXPANSION`] times.
fn record_starts(path: &Path, header: &EdfHeader, onsets_secs: &[f64], first_onset: f64, rate_hz: f64, spr: usize) -> ReadResult<Vec<usize>> {
    let present = onsets_secs.len().saturating_mul(spr);
    let limit = present.saturating_mul(MAX_GAP_EXPANSION).max(spr);
    let mut starts = Vec::with_capacity(onsets_secs.len());
    let mut next_free = 0usize;
    for (r, &onset) in onsets_secs.iter().enumerate() {
        let field = || format!("data record {} onset", r + 1);
        let start_f = ((onset - first_onset) * rate_hz).round();
        if !(start_f >= 0.0 && start_f.is_finite()) || start_f as usize + spr > limit {
            return Err(ReadError::invalid(path, field(), onset.to_string(), "outside the recording (onsets must grow and stay near the data present)"));
        }
        let start = start_f as usize;
        if start < next_free {
            return Err(ReadError::invalid(path, field(), onset.to_string(), "overlaps the previous data record"));
        }
        if header.variant == EdfVariant::PlusContinuous && start != next_free {
            return Err(ReadError::invalid(path, field(), onset.to_string(), "EDF+C records must be contiguous"));
        }
        starts.push(start);
        next_free = start + spr;
    }
    Ok(starts)
}

fn channel_from(signal: &header::SignalHeader, rate_hz: f64, samples: Vec<f32>) -> Channel {
    let mut channel = Channel::new(signal.label.clone(), signal.physical_dimension.clone(), rate_hz, samples);
    channel.transducer = signal.transducer.clone();
    channel.prefilter = signal.prefilter.clone();
    channel
}

fn format_of(variant: EdfVariant) -> Format {
    match variant {
        EdfVariant::Edf => Format::Edf,
        EdfVariant::PlusContinuous => Format::EdfPlusContinuous,
        EdfVariant::PlusDiscontinuous => Format::EdfPlusDiscontinuous,
    }
}

/// EDF+ structures the two identification fields into sub-fields; they are listed by name.
fn metadata_of(header: &EdfHeader) -> Metadata {
    let mut fields = Vec::new();
    if header.variant != EdfVariant::Edf {
        let patient_names = ["patient code", "sex", "birthdate", "patient name"];
        for (name, value) in patient_names.iter().zip(header.patient.split_whitespace()) {
            fields.push(((*name).to_string(), value.replace('_', " ")));
        }
        let recording_names = ["startdate marker", "start date", "admin code", "technician", "equipment"];
        for (name, value) in recording_names.iter().zip(header.recording.split_whitespace()).skip(1) {
            fields.push(((*name).to_string(), value.replace('_', " ")));
        }
    }
    Metadata { patient: header.patient.clone(), recording: header.recording.clone(), start: header.start, fields }
}

/// EDF+C through edfplus. `own` is our decode of the same bytes: it supplies the notices (what
/// edfplus would drop silently) and the metadata, and its layout check already ran.
fn read_with_edfplus(path: &Path, header: &EdfHeader, own: Recording) -> ReadResult<Recording> {
    let crate_error = |detail: String| ReadError::new(path, "EDF+ data records (edfplus)", ReadErrorKind::Invalid { value: String::new(), reason: detail });
    let result = std::panic::catch_unwind(|| -> Result<(Vec<Vec<f64>>, Vec<edfplus::Annotation>), String> {
        let mut reader = edfplus::EdfReader::open(path).map_err(|e| e.to_string())?;
        let signals = reader.header().signals.clone();
        let mut samples = Vec::with_capacity(signals.len());
        for (i, s) in signals.iter().enumerate() {
            samples.push(reader.read_physical_samples(i, s.samples_in_file.max(0) as usize).map_err(|e| e.to_string())?);
        }
        Ok((samples, reader.annotations().to_vec()))
    });
    let (samples, annotations) = match result {
        Ok(Ok(read)) => read,
        Ok(Err(e)) => return Err(crate_error(e)),
        Err(_) => return Err(crate_error("the edfplus crate failed on this file".into())),
    };
    let data_signals: Vec<_> = header.signals.iter().filter(|s| !s.is_annotation()).collect();
    if samples.len() != data_signals.len() {
        return Err(crate_error(format!("edfplus found {} signals, the header declares {}", samples.len(), data_signals.len())));
    }
    // edfplus scales out-of-range "no data" values like data; our decode has them as NaN.
    let nan_in_ours = |c: usize, k: usize| own.channels.get(c).and_then(|ch| ch.samples.get(k)).is_some_and(|v| v.is_nan());
    let channels = data_signals
        .iter()
        .zip(samples)
        .enumerate()
        .map(|(c, (signal, values))| {
            let values = values.into_iter().enumerate().map(|(k, v)| if nan_in_ours(c, k) { f32::NAN } else { v as f32 }).collect();
            channel_from(signal, header.sample_rate_hz(signal), values)
        })
        .collect();
    // edfplus gives onsets in 100 ns units from the first record's onset, as our decoder does.
    let annotations = annotations
        .into_iter()
        .map(|a| Annotation {
            onset_secs: a.onset as f64 / 1e7,
            duration_secs: (a.duration >= 0).then(|| a.duration as f64 / 1e7),
            text: a.description,
        })
        .collect();
    Ok(Recording { channels, annotations, ..own })
}
