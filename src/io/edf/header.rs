//! EDF/EDF+ header parsing and validation (Kemp et al. 1992; Kemp & Olivan 2003, EDF+ spec).
//!
//! Every number in the header is checked against the file's real size *before* anything is
//! allocated or handed to a crate: a forged record count or samples-per-record must produce an
//! error naming the field, never a 50 GB allocation.

use std::path::Path;

use super::super::{ReadError, ReadErrorKind, ReadResult, StartDateTime};

pub const FIXED_HEADER_BYTES: usize = 256;
pub const SIGNAL_HEADER_BYTES: usize = 256;
/// EDF stores 16-bit two's-complement little-endian samples.
pub const BYTES_PER_SAMPLE: usize = 2;
pub const ANNOTATION_LABEL: &str = "EDF Annotations";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdfVariant {
    Edf,
    PlusContinuous,
    PlusDiscontinuous,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SignalHeader {
    pub label: String,
    pub transducer: String,
    pub physical_dimension: String,
    pub physical_min: f64,
    pub physical_max: f64,
    pub digital_min: i32,
    pub digital_max: i32,
    pub prefilter: String,
    pub samples_per_record: usize,
}

impl SignalHeader {
    pub fn is_annotation(&self) -> bool {
        self.label == ANNOTATION_LABEL
    }

    /// Physical value of a digital sample, per the EDF spec's linear map. A value outside the
    /// declared digital range cannot be a measurement (the spec's digital minimum/maximum are
    /// the extremes that can occur): it is NaN, as writers use it to mark "no data" (our own
    /// export writes gaps and the last record's padding as −32768 below a −32767 minimum).
    pub fn to_physical(&self, digital: i16) -> f32 {
        if i32::from(digital) < self.digital_min || i32::from(digital) > self.digital_max {
            return f32::NAN;
        }
        let scale = (self.physical_max - self.physical_min) / f64::from(self.digital_max - self.digital_min);
        (self.physical_min + (f64::from(digital) - f64::from(self.digital_min)) * scale) as f32
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EdfHeader {
    pub variant: EdfVariant,
    pub patient: String,
    pub recording: String,
    /// None when the date or time fields are not valid; `notices` says why.
    pub start: Option<StartDateTime>,
    pub header_bytes: usize,
    pub data_records: usize,
    pub record_duration_secs: f64,
    pub signals: Vec<SignalHeader>,
    pub record_bytes: usize,
    pub notices: Vec<String>,
}

impl EdfHeader {
    pub fn sample_rate_hz(&self, signal: &SignalHeader) -> f64 {
        signal.samples_per_record as f64 / self.record_duration_secs
    }
}

/// Cuts fixed-width ASCII fields off the header, naming each for errors.
struct Fields<'a> {
    path: &'a Path,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    fn take(&mut self, width: usize, field: &str) -> ReadResult<String> {
        let end = self.pos + width;
        let raw = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| ReadError::truncated(self.path, field, end as u64, self.bytes.len() as u64))?;
        self.pos = end;
        // The EDF spec allows printable US-ASCII only in the header.
        if raw.iter().any(|b| !(0x20..=0x7e).contains(b)) {
            return Err(ReadError::new(self.path, field, ReadErrorKind::NotText));
        }
        Ok(String::from_utf8_lossy(raw).trim_end().to_string())
    }

    fn number<T: std::str::FromStr>(&mut self, width: usize, field: &str) -> ReadResult<T> {
        let text = self.take(width, field)?;
        text.trim()
            .parse::<T>()
            .map_err(|_| ReadError::invalid(self.path, field, text.trim(), "not a number"))
    }
}

/// Parses and validates the header. `file_len_bytes` is the real size of the file on disk.
pub fn parse_header(path: &Path, bytes: &[u8], file_len_bytes: u64) -> ReadResult<EdfHeader> {
    if file_len_bytes == 0 {
        return Err(ReadError::new(path, "header", ReadErrorKind::Empty));
    }
    if bytes.first() == Some(&0xff) && bytes.get(1..8) == Some(b"BIOSEMI") {
        return Err(ReadError::new(path, "version", ReadErrorKind::Unsupported("BDF (24-bit) files".into())));
    }
    if bytes.len() < FIXED_HEADER_BYTES {
        return Err(ReadError::truncated(path, "header", FIXED_HEADER_BYTES as u64, bytes.len() as u64));
    }
    let mut f = Fields { path, bytes, pos: 0 };
    let version = f.take(8, "version")?;
    if version != "0" {
        return Err(ReadError::new(path, "version", ReadErrorKind::WrongMagic(format!("EDF version is {version:?}, expected \"0\""))));
    }
    let patient = f.take(80, "local patient identification")?;
    let recording = f.take(80, "local recording identification")?;
    let date = f.take(8, "start date")?;
    let time = f.take(8, "start time")?;
    let header_bytes: usize = f.number(8, "number of bytes in header")?;
    let reserved = f.take(44, "reserved")?;
    let data_records_field: i64 = f.number(8, "number of data records")?;
    let record_duration_secs: f64 = f.number(8, "duration of a data record")?;
    let signal_count: usize = f.number(4, "number of signals")?;

    let variant = match reserved.get(..5) {
        Some("EDF+C") => EdfVariant::PlusContinuous,
        Some("EDF+D") => EdfVariant::PlusDiscontinuous,
        _ => EdfVariant::Edf,
    };
    if signal_count == 0 {
        return Err(ReadError::invalid(path, "number of signals", "0", "must be at least 1"));
    }
    let expected_header_bytes = signal_count
        .checked_add(1)
        .and_then(|n| n.checked_mul(SIGNAL_HEADER_BYTES))
        .ok_or_else(|| ReadError::invalid(path, "number of signals", signal_count.to_string(), "too large"))?;
    if header_bytes != expected_header_bytes {
        return Err(ReadError::invalid(
            path,
            "number of bytes in header",
            header_bytes.to_string(),
            format!("{signal_count} signals need {expected_header_bytes}"),
        ));
    }
    if (expected_header_bytes as u64) > file_len_bytes || bytes.len() < expected_header_bytes {
        return Err(ReadError::truncated(path, "signal headers", expected_header_bytes as u64, file_len_bytes));
    }
    if !(record_duration_secs.is_finite() && record_duration_secs > 0.0) {
        return Err(ReadError::invalid(path, "duration of a data record", record_duration_secs.to_string(), "must be a positive number of seconds"));
    }

    let signals = parse_signal_headers(&mut f, signal_count)?;
    let mut record_bytes: usize = 0;
    for (i, s) in signals.iter().enumerate() {
        record_bytes = s
            .samples_per_record
            .checked_mul(BYTES_PER_SAMPLE)
            .and_then(|b| record_bytes.checked_add(b))
            .ok_or_else(|| ReadError::invalid(path, signal_field(i, "samples per data record"), s.samples_per_record.to_string(), "too large"))?;
    }
    let annotation_signals = signals.iter().filter(|s| s.is_annotation()).count();
    if variant != EdfVariant::Edf && annotation_signals == 0 {
        return Err(ReadError::invalid(path, "reserved", reserved, "EDF+ file without an \"EDF Annotations\" signal"));
    }

    let mut notices = Vec::new();
    let data_bytes = file_len_bytes - expected_header_bytes as u64;
    let data_records = match data_records_field {
        -1 => {
            notices.push("the header's record count is -1 (file still being written): counted from the file size".into());
            (data_bytes / record_bytes as u64) as usize
        }
        n if n < 0 => return Err(ReadError::invalid(path, "number of data records", n.to_string(), "must be -1 or at least 0")),
        n => {
            let needed = (n as u64).checked_mul(record_bytes as u64).and_then(|b| b.checked_add(expected_header_bytes as u64));
            match needed {
                Some(needed) if needed <= file_len_bytes => {
                    if needed < file_len_bytes {
                        notices.push(format!("{} bytes after the last data record were ignored", file_len_bytes - needed));
                    }
                    n as usize
                }
                Some(needed) => return Err(ReadError::truncated(path, "number of data records", needed, file_len_bytes)),
                None => return Err(ReadError::invalid(path, "number of data records", n.to_string(), "larger than any file")),
            }
        }
    };

    let start = parse_start(&date, &time, &recording);
    if start.is_none() {
        notices.push(format!("start date/time {date:?} {time:?} is not valid (dd.mm.yy hh.mm.ss): start time unknown"));
    }
    Ok(EdfHeader {
        variant,
        patient,
        recording,
        start,
        header_bytes,
        data_records,
        record_duration_secs,
        signals,
        record_bytes,
        notices,
    })
}

fn signal_field(index: usize, name: &str) -> String {
    format!("signal {} {name}", index + 1)
}

/// Signal headers are stored field by field: all labels, then all transducers, and so on.
fn parse_signal_headers(f: &mut Fields, n: usize) -> ReadResult<Vec<SignalHeader>> {
    fn column<T>(f: &mut Fields, n: usize, mut each: impl FnMut(&mut Fields, usize) -> ReadResult<T>) -> ReadResult<Vec<T>> {
        (0..n).map(|i| each(f, i)).collect()
    }
    let labels = column(f, n, |f, i| f.take(16, &signal_field(i, "label")))?;
    let transducers = column(f, n, |f, i| f.take(80, &signal_field(i, "transducer type")))?;
    let dimensions = column(f, n, |f, i| f.take(8, &signal_field(i, "physical dimension")))?;
    let pmins = column(f, n, |f, i| f.number::<f64>(8, &signal_field(i, "physical minimum")))?;
    let pmaxs = column(f, n, |f, i| f.number::<f64>(8, &signal_field(i, "physical maximum")))?;
    let dmins = column(f, n, |f, i| f.number::<i32>(8, &signal_field(i, "digital minimum")))?;
    let dmaxs = column(f, n, |f, i| f.number::<i32>(8, &signal_field(i, "digital maximum")))?;
    let prefilters = column(f, n, |f, i| f.take(80, &signal_field(i, "prefiltering")))?;
    let spr = column(f, n, |f, i| f.number::<i64>(8, &signal_field(i, "samples per data record")))?;
    column(f, n, |f, i| f.take(32, &signal_field(i, "reserved")))?;

    let path = f.path;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let label = labels[i].trim().to_string();
        if spr[i] < 1 {
            return Err(ReadError::invalid(path, signal_field(i, "samples per data record"), spr[i].to_string(), "must be at least 1"));
        }
        let is_annotation = label == ANNOTATION_LABEL;
        if !is_annotation {
            if !(pmins[i].is_finite() && pmaxs[i].is_finite()) || pmins[i] == pmaxs[i] {
                return Err(ReadError::invalid(
                    path,
                    signal_field(i, "physical minimum/maximum"),
                    format!("{} / {}", pmins[i], pmaxs[i]),
                    "must be two different finite numbers",
                ));
            }
            let digital_ok = dmins[i] < dmaxs[i] && dmins[i] >= i32::from(i16::MIN) && dmaxs[i] <= i32::from(i16::MAX);
            if !digital_ok {
                return Err(ReadError::invalid(
                    path,
                    signal_field(i, "digital minimum/maximum"),
                    format!("{} / {}", dmins[i], dmaxs[i]),
                    "must satisfy -32768 <= minimum < maximum <= 32767",
                ));
            }
        }
        out.push(SignalHeader {
            label,
            transducer: transducers[i].clone(),
            physical_dimension: dimensions[i].trim().to_string(),
            physical_min: pmins[i],
            physical_max: pmaxs[i],
            digital_min: dmins[i],
            digital_max: dmaxs[i],
            prefilter: prefilters[i].clone(),
            samples_per_record: spr[i] as usize,
        });
    }
    Ok(out)
}

/// `dd.mm.yy` and `hh.mm.ss`; EDF+ puts the four-digit year in the recording field
/// ("Startdate 02-MAR-2002 …") because the header's two-digit year is ambiguous after 2084.
fn parse_start(date: &str, time: &str, recording: &str) -> Option<StartDateTime> {
    let three = |s: &str| -> Option<[u8; 3]> {
        let parts: Vec<&str> = s.trim().split('.').collect();
        if parts.len() != 3 || parts.iter().any(|p| p.len() != 2) {
            return None;
        }
        let mut out = [0u8; 3];
        for (o, p) in out.iter_mut().zip(parts) {
            *o = p.parse().ok()?;
        }
        Some(out)
    };
    let [day, month, yy] = three(date)?;
    let [hour, minute, second] = three(time)?;
    let mut year = if yy >= 85 { 1900 + i32::from(yy) } else { 2000 + i32::from(yy) };
    if let Some(rest) = recording.strip_prefix("Startdate ") {
        let y = rest.split_whitespace().next().and_then(|d| d.rsplit('-').next()).and_then(|y| y.parse::<i32>().ok());
        if let Some(y) = y.filter(|y| y % 100 == i32::from(yy)) {
            year = y;
        }
    }
    let valid = (1..=31).contains(&day) && (1..=12).contains(&month) && hour < 24 && minute < 60 && second < 60;
    valid.then_some(StartDateTime { year, month, day, hour, minute, second, nanosecond: 0 })
}
