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
mod tests {
    use super::*;

    /// A `.npy` file as numpy writes it (version 1.0, header padded to 64 bytes).
    fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let order = if fortran { "True" } else { "False" };
        let dict = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
        let mut dict = dict.into_bytes();
        dict.resize((10 + dict.len() + 1).div_ceil(64) * 64 - 11, b' ');
        dict.push(b'\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((dict.len() as u16).to_le_bytes());
        out.extend(dict);
        out.extend(data);
        out
    }
    fn f32s(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }
    fn read(
        bytes: &[u8],
        npy_layout: NpyLayout,
        sample_rate_hz: Option<f64>,
    ) -> ReadResult<Recording> {
        let options = OpenOptions {
            npy_layout,
            sample_rate_hz,
            ..OpenOptions::default()
        };
        read_bytes(Path::new("x.npy"), bytes, &options)
    }
    /// Label, role, rate and samples of every channel, for one-line asserts.
    fn summary(rec: &Recording) -> Vec<String> {
        let one = |c: &Channel| {
            let assumed = if c.sample_rate_assumed {
                " assumed"
            } else {
                ""
            };
            format!(
                "{} {} {} Hz{assumed} {:?}",
                c.label, c.role, c.sample_rate_hz, c.samples
            )
        };
        rec.channels.iter().map(one).collect()
    }

    #[test]
    fn one_dimensional_f32_is_one_ppg_channel_at_an_assumed_rate() {
        let file = npy("<f4", false, "(4,)", &f32s(&[1.0, 2.0, 3.0, f32::INFINITY]));
        let rec = read(&file, NpyLayout::Auto, None).unwrap();
        assert_eq!(
            (summary(&rec), rec.format),
            (
                vec!["PPG PPG 125 Hz assumed [1.0, 2.0, 3.0, NaN]".to_string()],
                Format::Npy
            )
        );
        assert!(
            rec.notices[0].contains("125 Hz assumed"),
            "{:?}",
            rec.notices
        );
        assert!(
            rec.notices[1].contains("1 samples are infinite"),
            "{:?}",
            rec.notices
        );
        let given = read(
            &npy("<f4", false, "(2,)", &f32s(&[1.0, 2.0])),
            NpyLayout::Auto,
            Some(64.0),
        )
        .unwrap();
        assert_eq!(
            (summary(&given), given.notices.len()),
            (vec!["PPG PPG 64 Hz [1.0, 2.0]".to_string()], 0)
        );
    }

    #[test]
    fn big_endian_f64_in_fortran_order_reads_rows_as_channels() {
        let data: Vec<u8> = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let rec = read(&npy(">f8", true, "(2, 3)", &data), NpyLayout::Auto, None).unwrap();
        let expected = [
            "channel 1 PPG 125 Hz assumed [1.0, 2.0, 3.0]",
            "channel 2 other 125 Hz assumed [4.0, 5.0, 6.0]",
        ];
        assert_eq!(summary(&rec), expected);
        assert!(
            rec.notices[1].contains("2 channels") && rec.notices[1].contains("--npy-layout"),
            "{:?}",
            rec.notices
        );
        assert!(
            rec.notices[2].contains("channel 1 is assumed to be the PPG"),
            "{:?}",
            rec.notices
        );
    }

    #[test]
    fn many_rows_are_segments_joined_with_gaps() {
        let values: Vec<f32> = (0..40).map(|v| v as f32).collect();
        let file = npy("<f4", false, "(10, 4)", &f32s(&values));
        let rec = read(&file, NpyLayout::Auto, Some(2.0)).unwrap();
        let ppg = &rec.channels[0];
        assert_eq!(
            (rec.channels.len(), ppg.samples.len(), &ppg.role),
            (1, 10 * 4 + 9 * 2, &ChannelRole::Ppg)
        );
        assert_eq!(
            format!("{:?}", &ppg.samples[..7]),
            "[0.0, 1.0, 2.0, 3.0, NaN, NaN, 4.0]"
        );
        let second = &rec.annotations[1];
        assert_eq!(
            (
                rec.annotations.len(),
                second.onset_secs,
                second.text.as_str()
            ),
            (10, 3.0, "segment 2")
        );
        assert!(
            rec.notices[0].contains("10 separate segments"),
            "{:?}",
            rec.notices
        );
        assert_eq!(
            read(&file, NpyLayout::Channels, Some(2.0))
                .unwrap()
                .channels
                .len(),
            10
        );
        let few = npy("<f4", false, "(2, 3)", &f32s(&[0.0; 6]));
        assert_eq!(
            read(&few, NpyLayout::Segments, None)
                .unwrap()
                .annotations
                .len(),
            2
        );
        let column = read(
            &npy("<f4", false, "(3, 1)", &f32s(&[0.0; 3])),
            NpyLayout::Auto,
            None,
        )
        .unwrap();
        assert_eq!(summary(&column), ["PPG PPG 125 Hz assumed [0.0, 0.0, 0.0]"]);
    }

    #[test]
    fn malformed_files_name_the_field() {
        let one = f32s(&[1.0]);
        let mut long_header = b"\x93NUMPY\x01\x00\xff\xff".to_vec();
        long_header.extend(b"{'descr': '<f4'");
        let f4 = |shape: &str, data: &[u8]| npy("<f4", false, shape, data);
        let cases: [(Vec<u8>, &str, &str); 14] = [
            (vec![], "file", "Empty"),
            (b"NUMPY\x01\x00".to_vec(), "npy header: magic", "WrongMagic"),
            (
                b"\x93NUMPY\x09\x00".to_vec(),
                "npy header: version",
                "Unsupported",
            ),
            (long_header, "npy header", "Truncated"),
            (
                f4("(1000000000000,)", &one),
                "npy header: shape",
                "Truncated",
            ),
            (
                f4("(4611686018427387904, 8)", &one),
                "npy header: shape",
                "Invalid",
            ),
            (f4("(4,)", &f32s(&[1.0, 2.0, 3.0])), "npy data", "Truncated"),
            (f4("(2,)", &f32s(&[1.0, 2.0, 3.0])), "npy data", "Invalid"),
            (f4("(0,)", &[]), "npy header: shape", "Invalid"),
            (
                npy("<i4", false, "(1,)", &one),
                "npy header: dtype",
                "Unsupported",
            ),
            (f4("()", &one), "npy header: shape", "Unsupported"),
            (f4("(1, 1, 1)", &one), "npy header: shape", "Unsupported"),
            (
                f4("((((((((((1,),),),),),),),),)", &one),
                "npy header",
                "Invalid",
            ),
            (f4("[1] + 'x'", &one), "npy header", "Invalid"),
        ];
        for (bytes, field, kind) in cases {
            let err = read(&bytes, NpyLayout::Auto, None).unwrap_err();
            let kind_name = format!("{:?}", err.kind)
                .split([' ', '('])
                .next()
                .unwrap()
                .to_string();
            assert_eq!(
                (err.field.as_str(), kind_name.as_str()),
                (field, kind),
                "{err}"
            );
            assert!(err.to_string().starts_with("x.npy: "));
        }
        let err = read(&npy("<i4", false, "(1,)", &one), NpyLayout::Auto, None).unwrap_err();
        assert!(err.to_string().contains("<i4"), "{err}");
    }

    #[test]
    fn files_on_disk_are_recognised_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("windows.bin");
        let data = [1.0f64, 2.0, 3.0].map(f64::to_le_bytes).concat();
        std::fs::write(&path, npy("<f8", false, "(3,)", &data)).unwrap();
        let rec = crate::io::open(&path).unwrap();
        assert_eq!(
            (rec.format, summary(&rec)),
            (
                Format::Npy,
                vec!["PPG PPG 125 Hz assumed [1.0, 2.0, 3.0]".to_string()]
            )
        );
        assert!(NpyReader.sniff(b"\x93NUMPY\x01\x00") && !NpyReader.sniff(b"time_s,ppg"));
    }
}
