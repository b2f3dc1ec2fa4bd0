//! PhysioNet WFDB records: a text header (`.hea`) naming one or more binary signal files.
//! Header: <https://physionet.org/physiotools/wag/header-5.htm>; sample formats:
//! <https://physionet.org/physiotools/wag/signal-5.htm>. Single-segment records only.
//! Error fields number signals from 1, like the other readers (WFDB tools count from 0).

use super::{Channel, Format, Metadata, OpenOptions, ReadError, ReadErrorKind, ReadResult, Reader, Recording, StartDateTime};
use std::collections::HashMap;
use std::path::Path;

/// WFDB's sampling frequency when the record line states none.
const DEFAULT_SAMPLE_RATE_HZ: f64 = 250.0;
/// WFDB's ADC gain (digital units per physical unit) when a signal line states none or 0.
const DEFAULT_GAIN_PER_UNIT: f64 = 200.0;

pub struct WfdbReader;

impl Reader for WfdbReader {
    fn name(&self) -> &'static str { "WFDB" }
    fn extensions(&self) -> &'static [&'static str] { &[".hea", ".dat"] }
    /// WFDB files carry no signature: [`super::open`] falls back on the extension.
    fn sniff(&self, _head: &[u8]) -> bool { false }
    /// `path` is the header, a signal file with the header's stem, or the bare record name.
    fn read(&self, path: &Path, _options: &OpenOptions) -> ReadResult<Recording> {
        let header_path = match path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).as_deref() {
            Some("hea") => path.to_path_buf(),
            Some("dat") => path.with_extension("hea"),
            // Appended, not replaced: record names may contain dots ("rec.v2").
            _ => {
                let mut name = path.as_os_str().to_owned();
                name.push(".hea");
                name.into()
            }
        };
        let header_bytes = std::fs::read(&header_path).map_err(|source| {
            let companion = header_path.clone();
            if header_path == path { ReadError::io(path, "header", source) } else { ReadError::new(path, "header", ReadErrorKind::MissingCompanion { companion, source }) }
        })?;
        let dir = header_path.parent().unwrap_or(Path::new(""));
        let signal_file = |name: &str| {
            let file = dir.join(name);
            let missing = |source: std::io::Error| {
                ReadError::new(&header_path, format!("signal file {name}"), ReadErrorKind::MissingCompanion { companion: file.clone(), source })
            };
            // A header naming a device ("-" for stdin, /dev/zero) must not make us read forever.
            match std::fs::metadata(&file) {
                Ok(meta) if meta.is_file() => std::fs::read(&file).map_err(missing),
                Ok(_) => Err(missing(std::io::Error::other("not a regular file"))),
                Err(e) => Err(missing(e)),
            }
        };
        read_from_parts(&header_path, &header_bytes, &signal_file)
    }
}

#[derive(Debug)]
struct Header {
    sample_rate_hz: f64,
    /// `None` when absent or 0: the signal files' sizes decide.
    frames: Option<u64>,
    metadata: Metadata,
    signals: Vec<SignalSpec>,
}

/// One signal line of the header.
#[derive(Debug)]
struct SignalSpec {
    file_name: String,
    format: u16,
    samples_per_frame: u64,
    skew_frames: u64,
    byte_offset: u64,
    gain_per_unit: f64,
    baseline: i64,
    unit: String,
    checksum: Option<i64>,
    label: String,
}

/// Reads a record from its header's bytes; `signal_file` resolves a file name from the header to
/// that file's bytes. [`WfdbReader::read`] is this plus the file system, so fuzzers can drive it.
pub fn read_from_parts(
    header_path: &Path,
    header_bytes: &[u8],
    signal_file: &dyn Fn(&str) -> ReadResult<Vec<u8>>,
) -> ReadResult<Recording> {
    let header = parse_header(header_path, header_bytes)?;
    let signals = &header.signals;
    let invalid = |i: usize, name: &str, value: u64, reason: &str| {
        ReadError::invalid(header_path, format!("signal {} {name}", i + 1), value.to_string(), reason)
    };
    // Signals sharing a file are interleaved frame by frame in header order. Grouping by name (WFDB
    // groups consecutive lines only) decodes each file once, which bounds memory by the files' sizes.
    let mut groups: Vec<(Vec<usize>, u64)> = Vec::new(); // (signals, samples per frame)
    let mut group_of_file: HashMap<&str, usize> = HashMap::new();
    for (i, s) in signals.iter().enumerate() {
        if layout(s.format).is_none() {
            let reason = format!("WFDB format {} (this reader handles 16, 61, 80, 160, 212, 24 and 32)", s.format);
            return Err(ReadError::new(header_path, format!("signal {} format", i + 1), ReadErrorKind::Unsupported(reason)));
        }
        let g = *group_of_file.entry(&s.file_name).or_insert_with(|| {
            groups.push((Vec::new(), 0));
            groups.len() - 1
        });
        let (members, frame_samples) = &mut groups[g];
        if let Some(&first) = members.first().filter(|&&first| signals[first].format != s.format) {
            return Err(invalid(i, "format", s.format.into(), &format!("differs from signal {} in the same file", first + 1)));
        }
        let sum = frame_samples.checked_add(s.samples_per_frame);
        *frame_samples = sum.ok_or_else(|| invalid(i, "samples per frame", s.samples_per_frame, "too large"))?;
        members.push(i);
    }

    // Every file's size is checked against the header before any sample is allocated.
    let mut files = Vec::with_capacity(groups.len());
    let mut shortest_frames = u64::MAX;
    for (members, frame_samples) in &groups {
        let first = &signals[members[0]];
        let field = format!("signal file {}", first.file_name);
        let mut bytes = signal_file(&first.file_name)?;
        let file_len = bytes.len() as u64;
        let start = usize::try_from(first.byte_offset).ok().filter(|&start| start <= bytes.len());
        bytes.drain(..start.ok_or_else(|| ReadError::truncated(header_path, &field, first.byte_offset, file_len))?);
        let (bytes_num, bytes_den, _) = layout(first.format).unwrap_or((1, 1, 0));
        let frames = (bytes.len() as u64).saturating_mul(bytes_den) / bytes_num / frame_samples;
        if let Some(claimed) = header.frames.filter(|&claimed| claimed > frames) {
            let needed = frame_samples.checked_mul(bytes_num).and_then(|n| n.checked_mul(claimed));
            let needed = needed.map(|n| n.div_ceil(bytes_den).saturating_add(first.byte_offset));
            return Err(ReadError::truncated(header_path, field, needed.unwrap_or(u64::MAX), file_len));
        }
        shortest_frames = shortest_frames.min(frames);
        files.push(bytes);
    }
    // Without a stated length WFDB reads until the first signal file ends.
    let frames = header.frames.unwrap_or(shortest_frames);
    if frames == 0 {
        return Err(ReadError::new(header_path, format!("signal file {}", signals[0].file_name), ReadErrorKind::Empty));
    }

    let mut channels: Vec<Option<Channel>> = vec![None; signals.len()];
    let mut notices = Vec::new();
    for ((members, frame_samples), bytes) in groups.iter().zip(&files) {
        let mut position_in_frame = 0;
        for &i in members {
            let s = &signals[i];
            let sample_rate_hz = header.sample_rate_hz * s.samples_per_frame as f64;
            if !sample_rate_hz.is_finite() {
                return Err(invalid(i, "samples per frame", s.samples_per_frame, "times the sampling frequency is no finite rate"));
            }
            let invalid_digital = layout(s.format).map_or(0, |(_, _, invalid)| invalid);
            // No overflow: the size checks above bound frames * frame_samples by the file's length.
            let count = usize::try_from(frames * s.samples_per_frame).unwrap_or(0);
            let (mut samples, mut checksum) = (Vec::with_capacity(count), 0i32);
            for frame in 0..frames {
                let first = frame * frame_samples + position_in_frame;
                for k in first..first + s.samples_per_frame {
                    let digital = decode(s.format, bytes, k as usize);
                    checksum = checksum.wrapping_add(digital);
                    let physical = (f64::from(digital) - s.baseline as f64) / s.gain_per_unit;
                    samples.push(if digital == invalid_digital { f32::NAN } else { physical as f32 });
                }
            }
            // WFDB's checksum is the 16-bit sum of the header's nsamp frames; a derived length may differ.
            if let Some(expected) = s.checksum.filter(|&c| header.frames.is_some() && c as i16 != checksum as i16) {
                let actual = checksum as i16;
                notices.push(format!("signal {} ({}): checksum {actual} differs from {expected} in the header: the file may be damaged", i + 1, s.label));
            }
            if s.skew_frames > 0 {
                // The first `skew` frames precede the record's start: shift left and NaN-fill the end.
                let skew = usize::try_from(s.skew_frames.saturating_mul(s.samples_per_frame)).unwrap_or(usize::MAX);
                samples.drain(..skew.min(count));
                samples.resize(count, f32::NAN);
            }
            channels[i] = Some(Channel::new(s.label.clone(), s.unit.clone(), sample_rate_hz, samples));
            position_in_frame += s.samples_per_frame;
        }
    }
    let channels = channels.into_iter().flatten().collect();
    let metadata = header.metadata;
    Ok(Recording { source_path: header_path.to_path_buf(), format: Format::Wfdb, metadata, channels, annotations: Vec::new(), notices })
}

/// Bytes per sample as a fraction (format 212 packs two samples in 3 bytes), and the digital
/// value WFDB writes for "no sample here", as [`decode`] returns it.
fn layout(format: u16) -> Option<(u64, u64, i32)> {
    Some(match format {
        80 => (1, 1, -128),
        16 | 61 | 160 => (2, 1, i16::MIN.into()),
        212 => (3, 2, -2048),
        24 => (3, 1, -(1 << 23)),
        32 => (4, 1, i32::MIN),
        _ => return None,
    })
}

/// Sample `k` of a signal file's sample stream, as a signed digital value.
fn decode(format: u16, data: &[u8], k: usize) -> i32 {
    // In range after the size checks; the zero fallback only keeps a logic slip from panicking.
    let b = |i: usize| data.get(i).copied().unwrap_or(0);
    match format {
        16 => i16::from_le_bytes([b(2 * k), b(2 * k + 1)]).into(),
        61 => i16::from_be_bytes([b(2 * k), b(2 * k + 1)]).into(),
        80 => i32::from(b(k)) - 128,
        160 => i32::from(u16::from_le_bytes([b(2 * k), b(2 * k + 1)])) - 32768,
        24 => i32::from_le_bytes([0, b(3 * k), b(3 * k + 1), b(3 * k + 2)]) >> 8,
        32 => i32::from_le_bytes([b(4 * k), b(4 * k + 1), b(4 * k + 2), b(4 * k + 3)]),
        212 => {
            // Two 12-bit samples in 3 bytes; the middle byte holds both high nibbles, the first's low.
            let (base, middle) = (k / 2 * 3, i32::from(b(k / 2 * 3 + 1)));
            let raw = if k.is_multiple_of(2) { i32::from(b(base)) | (middle & 0x0f) << 8 } else { i32::from(b(base + 2)) | (middle & 0xf0) << 4 };
            (raw << 20) >> 20
        }
        _ => 0,
    }
}

fn parse<T: std::str::FromStr>(path: &Path, field: &str, token: &str) -> ReadResult<T> {
    token.parse().map_err(|_| ReadError::invalid(path, field, token, "not a valid number here"))
}

/// Splits `text` at `separator` and parses the number after it; `default` when there is none.
fn split_number<'a>(path: &Path, field: &str, text: &'a str, separator: char, default: u64) -> ReadResult<(&'a str, u64)> {
    match text.split_once(separator) {
        Some((head, number)) => Ok((head, parse(path, field, number)?)),
        None => Ok((text, default)),
    }
}

fn parse_header(path: &Path, bytes: &[u8]) -> ReadResult<Header> {
    let text = std::str::from_utf8(bytes).map_err(|_| ReadError::new(path, "header", ReadErrorKind::NotText))?;
    if text.trim().is_empty() {
        return Err(ReadError::new(path, "header", ReadErrorKind::Empty));
    }
    let mut metadata = Metadata::default();
    let mut lines = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        match line.strip_prefix('#') {
            Some(comment) => metadata.fields.push(("WFDB comment".into(), comment.trim().into())),
            None => lines.push(line),
        }
    }
    let record_line = lines.first().ok_or_else(|| ReadError::invalid(path, "record line", "", "the header holds only comments"))?;
    let mut tokens = record_line.split_whitespace();
    let name = tokens.next().unwrap_or_default();
    if let Some((_, segments)) = name.split_once('/') {
        let reason = format!("multi-segment records ({segments} segments); open one segment's header instead");
        return Err(ReadError::new(path, "record line: number of segments", ReadErrorKind::Unsupported(reason)));
    }
    let nsig: u64 = parse(path, "record line: number of signals", tokens.next().unwrap_or_default())?;
    if nsig == 0 {
        let reason = "records without signals".into();
        return Err(ReadError::new(path, "record line: number of signals", ReadErrorKind::Unsupported(reason)));
    }
    // The counter frequency and base after '/' only relabel time; the samples do not need them.
    let rate_field = "record line: sampling frequency";
    let rate_text = tokens.next().map(|t| t.split('/').next().unwrap_or_default());
    let sample_rate_hz = rate_text.map_or(Ok(DEFAULT_SAMPLE_RATE_HZ), |t| parse(path, rate_field, t))?;
    if !(sample_rate_hz.is_finite() && sample_rate_hz > 0.0) {
        return Err(ReadError::invalid(path, rate_field, sample_rate_hz.to_string(), "must be a positive number of Hz"));
    }
    let frames = tokens.next().map(|t| parse::<u64>(path, "record line: number of samples", t)).transpose()?.filter(|&n| n > 0);
    let time_text = tokens.next();
    let time = time_text.map(|t| parse_time(t).ok_or_else(|| ReadError::invalid(path, "record line: base time", t, "expected hh:mm:ss")));
    let date = tokens.next().map(|d| parse_date(d).ok_or_else(|| ReadError::invalid(path, "record line: base date", d, "expected dd/mm/yyyy")));
    match (time.transpose()?, date.transpose()?) {
        (Some((hour, minute, second, nanosecond)), Some((day, month, year))) => {
            metadata.start = Some(StartDateTime { year, month, day, hour, minute, second, nanosecond });
        }
        // A time of day without a date is no StartDateTime; keep it visible anyway.
        _ => metadata.fields.extend(time_text.map(|t| ("WFDB base time".to_string(), t.to_string()))),
    }
    metadata.recording = name.to_string();

    let signal_lines = &lines[1..];
    if (signal_lines.len() as u64) < nsig {
        let reason = format!("the record line announces {nsig} signals, the header has {} signal lines", signal_lines.len());
        return Err(ReadError::invalid(path, format!("signal {} line", signal_lines.len() + 1), "", reason));
    }
    let signals = signal_lines.iter().take(nsig as usize).enumerate();
    let signals = signals.map(|(i, line)| parse_signal(path, i + 1, line)).collect::<ReadResult<_>>()?;
    Ok(Header { sample_rate_hz, frames, metadata, signals })
}

/// `file format[xspf][:skew][+offset] [gain[(baseline)][/units] [adcres [adczero [initval [checksum [blocksize [description]]]]]]]`
fn parse_signal(path: &Path, number: usize, line: &str) -> ReadResult<SignalSpec> {
    let field = |name: &str| format!("signal {number} {name}");
    let mut tokens = line.split_whitespace();
    let file_name = tokens.next().unwrap_or_default().to_string();
    let spec = tokens.next().unwrap_or_default();
    let (spec, byte_offset) = split_number(path, &field("byte offset"), spec, '+', 0)?;
    let (spec, skew_frames) = split_number(path, &field("skew"), spec, ':', 0)?;
    let (spec, samples_per_frame) = split_number(path, &field("samples per frame"), spec, 'x', 1)?;
    let format = parse(path, &field("format"), spec)?;
    if samples_per_frame == 0 {
        return Err(ReadError::invalid(path, field("samples per frame"), "0", "must be at least 1"));
    }
    // An absent gain is WFDB's gain 0, which means "uncalibrated, use 200".
    let gain_text = tokens.next().unwrap_or("0");
    let (gain_text, unit) = gain_text.split_once('/').unwrap_or((gain_text, "mV"));
    let (gain_text, baseline) = match gain_text.split_once('(') {
        Some((gain, baseline)) => {
            let missing = || ReadError::invalid(path, field("baseline"), baseline, "missing ')'");
            (gain, Some(parse::<i64>(path, &field("baseline"), baseline.strip_suffix(')').ok_or_else(missing)?)?))
        }
        None => (gain_text, None),
    };
    let gain: f64 = parse(path, &field("gain"), gain_text)?;
    if !gain.is_finite() {
        return Err(ReadError::invalid(path, field("gain"), gain_text, "must be a finite number"));
    }
    // Parsed although unused, so that a garbled line is reported rather than half-read.
    let mut next_number = |name: &str| tokens.next().map(|t| parse::<i64>(path, &field(name), t)).transpose();
    let (_resolution, adc_zero) = (next_number("ADC resolution")?, next_number("ADC zero")?);
    let (_initial_value, checksum, _block_size) = (next_number("initial value")?, next_number("checksum")?, next_number("block size")?);
    let label = tokens.collect::<Vec<_>>().join(" ");
    Ok(SignalSpec {
        file_name,
        format,
        samples_per_frame,
        skew_frames,
        byte_offset,
        gain_per_unit: if gain == 0.0 { DEFAULT_GAIN_PER_UNIT } else { gain },
        baseline: baseline.or(adc_zero).unwrap_or(0),
        unit: unit.to_string(),
        checksum,
        label: if label.is_empty() { format!("signal {number}") } else { label },
    })
}

/// `[[hh:]mm:]ss[.fraction]` → (hour, minute, second, nanosecond).
fn parse_time(text: &str) -> Option<(u8, u8, u8, u32)> {
    let (clock, fraction) = text.split_once('.').unwrap_or((text, ""));
    let parts: Vec<u8> = clock.split(':').map(|part| part.parse().ok()).collect::<Option<_>>()?;
    let (hour, minute, second) = match parts[..] {
        [s] => (0, 0, s),
        [m, s] => (0, m, s),
        [h, m, s] => (h, m, s),
        _ => return None,
    };
    let fraction_ok = fraction.len() <= 9 && fraction.bytes().all(|b| b.is_ascii_digit());
    let nanosecond = if fraction.is_empty() { 0 } else { format!("{fraction:0<9}").parse().ok()? };
    (hour < 24 && minute < 60 && second <= 60 && fraction_ok).then_some((hour, minute, second, nanosecond))
}

/// `dd/mm/yyyy` → (day, month, year).
fn parse_date(text: &str) -> Option<(u8, u8, i32)> {
    let mut parts = text.split('/');
    let (day, month, year) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    (parts.next().is_none() && (1..=31).contains(&day) && (1..=12).contains(&month)).then_some((day, month, year))
}

#[cfg(test)]
mod tests;
