//! The annotation signal's content: every annotation (and every NaN gap) as a TAL, placed in
//! the data record whose time span holds its onset.

use super::fields::{tal_duration, tal_seconds};
use super::{WriteError, channel_field, invalid};
use crate::io::Recording;

/// The most bytes the annotation signal can hold in one data record (32767 samples).
pub const MAX_RECORD_BYTES: usize = i16::MAX as usize * 2;

/// One annotation, its TAL already encoded.
pub struct Entry {
    /// The onset as the TAL says it: from the header's start second, rounded to 100 ns.
    tal_onset: f64,
    tal: Vec<u8>,
}

/// Every annotation of `recording` plus one `signal gap: <label>` per run of missing samples,
/// sorted by onset. `labels` are the channel labels as written; `subsecond` is the start's
/// fraction of a second, which TAL onsets include (they count from the header's whole second).
pub fn collect(recording: &Recording, labels: &[String], subsecond: f64) -> Result<Vec<Entry>, WriteError> {
    let mut entries = Vec::with_capacity(recording.annotations.len());
    for (i, a) in recording.annotations.iter().enumerate() {
        let field = || format!("annotation {} {:?}", i + 1, preview(&a.text));
        if !a.onset_secs.is_finite() {
            return Err(invalid(field(), format!("onset {} s is not a finite number", a.onset_secs)));
        }
        if let Some(d) = a.duration_secs.filter(|d| !(d.is_finite() && *d >= 0.0)) {
            return Err(invalid(field(), format!("duration {d} s is not a finite number of seconds ≥ 0")));
        }
        let entry = encode(a.onset_secs, a.duration_secs, &a.text, subsecond);
        // Even alone in a record, after the time-keeping TAL, this one would not fit.
        if entry.tal.len() + 32 > MAX_RECORD_BYTES {
            let reason = format!("{} bytes of text; at most about {} fit in one EDF+ data record", a.text.len(), MAX_RECORD_BYTES - 64);
            return Err(invalid(field(), reason));
        }
        entries.push(entry);
    }
    for (c, channel) in recording.channels.iter().enumerate() {
        let rate = channel.sample_rate_hz;
        let text = format!("signal gap: {}", labels[c]);
        let mut samples = channel.samples.iter().map(|v| !v.is_finite()).enumerate().peekable();
        while let Some((start, missing)) = samples.next() {
            if !missing {
                continue;
            }
            let mut end = start + 1;
            while samples.next_if(|&(_, m)| m).is_some() {
                end += 1;
            }
            let (onset, duration) = (start as f64 / rate, (end - start) as f64 / rate);
            if !(onset.is_finite() && duration.is_finite()) {
                return Err(invalid(channel_field(c, &channel.label), "gap times are not finite at this sample rate"));
            }
            entries.push(encode(onset, Some(duration), &text, subsecond));
        }
    }
    entries.sort_by(|a, b| a.tal_onset.total_cmp(&b.tal_onset));
    Ok(entries)
}

/// The annotation bytes of each of `records` data records of `record_secs` each, starting with
/// its time-keeping TAL; `None` when one record would need more than [`MAX_RECORD_BYTES`].
pub fn layout(entries: &[Entry], records: usize, record_secs: f64, subsecond: f64) -> Option<Vec<Vec<u8>>> {
    if records == 0 {
        return Some(Vec::new());
    }
    // Onsets are compared as written, so that rounding to 100 ns cannot move one out of its record.
    let onset_text = |r: usize| tal_seconds(subsecond + r as f64 * record_secs);
    let record_onset = |r: usize| onset_text(r).parse::<f64>().unwrap_or(f64::NAN);
    let mut per_record: Vec<Vec<&Entry>> = vec![Vec::new(); records];
    for entry in entries {
        let t = entry.tal_onset;
        let mut r = (((t - subsecond) / record_secs).floor().max(0.0) as usize).min(records - 1);
        // Division can land one record off near a boundary; the onsets decide.
        while r + 1 < records && t >= record_onset(r + 1) {
            r += 1;
        }
        while r > 0 && t < record_onset(r) {
            r -= 1;
        }
        per_record[r].push(entry);
    }
    // edfplus 0.1's reader stops at a TAL with a '-' onset and drops the rest of its record, so
    // onsets before the start go last in record 0 (our decoder reads them wherever they are).
    per_record[0].sort_by_key(|e| e.tal_onset < 0.0);
    let mut out = Vec::with_capacity(records);
    for (r, entries) in per_record.into_iter().enumerate() {
        let mut bytes = format!("{}\x14\x14\0", onset_text(r)).into_bytes();
        for entry in entries {
            bytes.extend_from_slice(&entry.tal);
        }
        if bytes.len() > MAX_RECORD_BYTES {
            return None;
        }
        out.push(bytes);
    }
    Some(out)
}

/// `+onset[\x15duration]\x14text\x14\0`, the text's separator bytes made spaces (they would end
/// the TAL early); UTF-8 is kept as EDF+ allows it in annotations.
fn encode(onset_secs: f64, duration_secs: Option<f64>, text: &str, subsecond: f64) -> Entry {
    let onset = tal_seconds(subsecond + onset_secs);
    let mut tal = onset.clone().into_bytes();
    if let Some(d) = duration_secs {
        tal.push(0x15);
        tal.extend_from_slice(tal_duration(d).as_bytes());
    }
    tal.push(0x14);
    tal.extend(text.bytes().map(|b| if matches!(b, 0x00 | 0x14 | 0x15) { b' ' } else { b }));
    tal.extend_from_slice(b"\x14\0");
    let tal_onset = onset.parse::<f64>().unwrap_or(subsecond + onset_secs);
    Entry { tal_onset, tal }
}

/// The start of a text, for error messages.
fn preview(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}
