//! NumPy `.npy` reader: 1-D or 2-D arrays of f32 or f64, either byte order, C or Fortran order.
//! The file stores no rate and no labels, so both are assumed and the user told so. The header is
//! checked against the file size before ndarray-npy sees it: ndarray-npy allocates whatever the
//! header's shape claims, so a forged shape would otherwise exhaust memory.

use std::path::Path;

use ndarray::{ArrayD, Axis};
use ndarray_npy::ReadNpyExt;
use ndarray_npy::npy::header::Header;

use super::{
    Annotation, Channel, ChannelRole, Format, Metadata, NpyLayout, OpenOptions, ReadError,
    ReadErrorKind, ReadResult, Reader, Recording, assumed_rate, read_all,
};

pub struct NpyReader;

const MAGIC: &[u8] = b"\x93NUMPY";
/// numpy itself refuses headers over 10 000 bytes by default; f4/f8 headers are under 128.
const MAX_HEADER_BYTES: usize = 65_536;
/// The header parser recurses per bracket; a real header nests two deep.
const MAX_HEADER_NESTING: usize = 8;
/// More rows than this are not simultaneous channels of one recording.
const MAX_CHANNELS: usize = 64;
const SEGMENT_GAP_SECS: f64 = 1.0;

impl Reader for NpyReader {
    fn name(&self) -> &'static str {
        "NumPy"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &[".npy"]
    }
    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(MAGIC)
    }
    fn read(&self, path: &Path, options: &OpenOptions) -> ReadResult<Recording> {
        read_bytes(path, &read_all(path, "file")?, options)
    }
}

/// What a checked header says.
struct Checked {
    f64_data: bool,
    shape: Vec<usize>,
}

/// Reads a `.npy` file from its bytes.
pub fn read_bytes(path: &Path, bytes: &[u8], options: &OpenOptions) -> ReadResult<Recording> {
    let checked = check_header(path, bytes)?;
    let data_error =
        |e: ndarray_npy::ReadNpyError| ReadError::invalid(path, "npy data", "", e.to_string());
    let array: ArrayD<f32> = if checked.f64_data {
        ArrayD::<f64>::read_npy(bytes)
            .map_err(data_error)?
            .mapv(|v| v as f32)
    } else {
        ArrayD::<f32>::read_npy(bytes).map_err(data_error)?
    };
    let (rate_hz, assumed, rate_notice) = assumed_rate(path, options, "A NumPy .npy file")?;
    let mut notices: Vec<String> = rate_notice.into_iter().collect();
    let infinite = array.iter().filter(|v| v.is_infinite()).count();
    if infinite > 0 {
        notices.push(format!(
            "{infinite} samples are infinite (or beyond f32) and are shown as gaps"
        ));
    }
    let row_samples = |r: usize| -> Vec<f32> {
        let row = if array.ndim() == 1 {
            array.view()
        } else {
            array.index_axis(Axis(0), r)
        };
        row.iter().map(|&v| finite_or_nan(v)).collect()
    };
    let shape = &checked.shape;
    let (rows, cols) = if shape.len() == 1 {
        (1, shape[0])
    } else {
        (shape[0], shape[1])
    };
    let shape_text = format!("{shape:?}").replace('[', "(").replace(']', ")");
    let how_to_change = "change it with --npy-layout channels|segments";
    let layout = match options.npy_layout {
        _ if shape.len() == 1 || cols == 1 => None,
        NpyLayout::Auto if rows <= 8 && rows < cols => {
            notices.push(format!("array of shape {shape_text} read as {rows} channels × {cols} samples; {how_to_change}"));
            Some(NpyLayout::Channels)
        }
        NpyLayout::Auto => {
            notices.push(format!("array of shape {shape_text} read as {rows} separate segments of one PPG signal; {how_to_change}"));
            Some(NpyLayout::Segments)
        }
        chosen => Some(chosen),
    };
    let mut annotations = Vec::new();
    let channels = match layout {
        None => {
            if shape.len() == 2 {
                notices.push(format!(
                    "array of shape {shape_text} read as one PPG signal"
                ));
            }
            vec![Channel::new(
                "PPG",
                "",
                rate_hz,
                array.iter().map(|&v| finite_or_nan(v)).collect(),
            )]
        }
        Some(NpyLayout::Segments) => {
            // Segments are excerpts, not one continuous stretch: a NaN gap keeps analyses from
            // joining beats across them. Gaps never outgrow the segments, bounding memory.
            let gap = ((SEGMENT_GAP_SECS * rate_hz).round() as usize).clamp(1, cols);
            let mut samples = Vec::with_capacity(rows * cols + (rows - 1) * gap);
            for r in 0..rows {
                if r > 0 {
                    samples.resize(samples.len() + gap, f32::NAN);
                }
                let onset_secs = samples.len() as f64 / rate_hz;
                let duration_secs = Some(cols as f64 / rate_hz);
                annotations.push(Annotation {
                    onset_secs,
                    duration_secs,
                    text: format!("segment {}", r + 1),
                });
                samples.extend(row_samples(r));
            }
            let gap_secs = gap as f64 / rate_hz;
            notices.push(format!("the {rows} segments are shown one after another with {gap_secs} s of gap between them"));
            vec![Channel::new("PPG", "", rate_hz, samples)]
        }
        Some(_) => {
            if rows > MAX_CHANNELS {
                let reason = format!(
                    "{rows} channels is more than {MAX_CHANNELS}; read the rows as segments"
                );
                return Err(ReadError::new(
                    path,
                    "npy header: shape",
                    ReadErrorKind::Unsupported(reason),
                ));
            }
            let mut channels: Vec<Channel> = (0..rows)
                .map(|r| Channel::new(format!("channel {}", r + 1), "", rate_hz, row_samples(r)))
                .collect();
            channels[0].role = ChannelRole::Ppg;
            notices
                .push("channel 1 is assumed to be the PPG; set the roles if it is not".to_string());
            channels
        }
    };
    let channels = channels
        .into_iter()
        .map(|c| Channel {
            sample_rate_assumed: assumed,
            ..c
        })
        .collect();
    let (metadata, source_path) = (Metadata::default(), path.to_path_buf());
    Ok(Recording {
        source_path,
        format: Format::Npy,
        metadata,
        channels,
        annotations,
        notices,
    })
}

/// Checks magic, version, header length, dtype and shape against the file's size, so that
/// ndarray-npy only ever allocates what the file holds.
fn check_header(path: &Path, bytes: &[u8]) -> ReadResult<Checked> {
    if bytes.is_empty() {
        return Err(ReadError::new(path, "file", ReadErrorKind::Empty));
    }
    if !bytes.starts_with(MAGIC) {
        let reason = "a NumPy .npy file starts with \\x93NUMPY".to_string();
        return Err(ReadError::new(
            path,
            "npy header: magic",
            ReadErrorKind::WrongMagic(reason),
        ));
    }
    let truncated =
        |needed: usize| ReadError::truncated(path, "npy header", needed as u64, bytes.len() as u64);
    let Some(&[version, minor]) = bytes.get(6..8) else {
        return Err(truncated(8));
    };
    let len_bytes = if version == 1 { 2 } else { 4 };
    if !(1..=3).contains(&version) || minor != 0 {
        let reason = format!("npy format version {version}.{minor}; versions 1.0 to 3.0 are read");
        return Err(ReadError::new(
            path,
            "npy header: version",
            ReadErrorKind::Unsupported(reason),
        ));
    }
    let prefix = 8 + len_bytes;
    let len_field = bytes.get(8..prefix).ok_or_else(|| truncated(prefix))?;
    let header_len = len_field
        .iter()
        .rev()
        .fold(0usize, |acc, &b| acc << 8 | usize::from(b));
    let data_start = prefix + header_len;
    if data_start > bytes.len() {
        return Err(truncated(data_start));
    }
    let dict = &bytes[prefix..data_start];
    let mut depth = 0usize;
    let max_depth = dict.iter().fold(0, |max, &b| {
        depth = match b {
            b'(' | b'[' | b'{' => depth + 1,
            b')' | b']' | b'}' => depth.saturating_sub(1),
            _ => depth,
        };
        max.max(depth)
    });
    if header_len > MAX_HEADER_BYTES || max_depth > MAX_HEADER_NESTING {
        let value = String::from_utf8_lossy(&dict[..dict.len().min(80)]).into_owned();
        return Err(ReadError::invalid(
            path,
            "npy header",
            value,
            "not a header numpy writes (too long or too deeply nested)",
        ));
    }
    let header = Header::from_reader(&mut &bytes[..data_start]).map_err(|e| {
        // The crate names a rejected key only in its message ("illegal value for key shape"); a
        // syntax error echoes the whole header, so only that phrasing names a field.
        let message = e.to_string();
        let field = [
            ("shape", "npy header: shape"),
            ("descr", "npy header: dtype"),
            ("fortran_order", "npy header: fortran_order"),
        ]
        .into_iter()
        .find(|(key, _)| message.contains(&format!("for key {key}")))
        .map_or("npy header", |(_, field)| field);
        ReadError::invalid(path, field, String::from_utf8_lossy(dict).trim(), message)
    })?;

    let dtype = header
        .type_descriptor
        .as_string()
        .cloned()
        .unwrap_or_else(|| header.type_descriptor.to_string());
    let item_bytes = match dtype.as_str() {
        "<f4" | ">f4" => 4usize,
        "<f8" | ">f8" => 8,
        _ => {
            let reason = format!(
                "dtype {dtype}; only float32 and float64 arrays (<f4, >f4, <f8, >f8) are read"
            );
            return Err(ReadError::new(
                path,
                "npy header: dtype",
                ReadErrorKind::Unsupported(reason),
            ));
        }
    };
    let shape = header.shape;
    if shape.is_empty() || shape.len() > 2 {
        let reason = format!("a {}-D array; signals are 1-D or 2-D", shape.len());
        return Err(ReadError::new(
            path,
            "npy header: shape",
            ReadErrorKind::Unsupported(reason),
        ));
    }
    let data_bytes = bytes.len() - data_start;
    let needed = shape
        .iter()
        .try_fold(item_bytes, |acc, &d| acc.checked_mul(d));
    let shape_text = format!("{shape:?}");
    match needed {
        Some(0) => Err(ReadError::invalid(
            path,
            "npy header: shape",
            shape_text,
            "the array holds no samples",
        )),
        // A copy cut off in transfer keeps most of its data; a shape claiming far more is forged.
        Some(needed) if needed > data_bytes && data_bytes >= needed / 2 => Err(
            ReadError::truncated(path, "npy data", needed as u64, data_bytes as u64),
        ),
        Some(needed) if needed > data_bytes => Err(ReadError::truncated(
            path,
            "npy header: shape",
            needed as u64,
            data_bytes as u64,
        )),
        Some(needed) if needed < data_bytes => {
            let reason = format!(
                "{} bytes follow the {needed} bytes of data the shape describes",
                data_bytes - needed
            );
            Err(ReadError::invalid(path, "npy data", shape_text, reason))
        }
        Some(_) => Ok(Checked {
            f64_data: item_bytes == 8,
            shape,
        }),
        None => Err(ReadError::invalid(
            path,
            "npy header: shape",
            shape_text,
            "the shape's size overflows",
        )),
    }
}

fn finite_or_nan(v: f32) -> f32 {
    if v.is_finite() { v } else { f32::NAN }
}

#[cfg(test)]
mod tests;
