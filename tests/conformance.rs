//! One conformance test every reader must pass (as MNE-Python does for its readers):
//! 1. the same real excerpt (10 s of MIMIC PERform AF record 001, `tests/data/conformance/`) in
//!    every format loads to the same samples, within the format's quantisation;
//! 2. for every format, broken files — empty, truncated, lying headers, wrong magic, non-UTF-8
//!    labels, missing companion files — give a typed error that names the file and the field,
//!    never a panic or an abort, and no single allocation larger than a small multiple of the
//!    file's size (measured by the counting allocator below).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use cardioppg::io::{self, ChannelRole, OpenOptions, ReadError, ReadErrorKind, Recording};

// ---- the allocation guard -------------------------------------------------------------------

struct LargestAllocation;

thread_local! {
    static LARGEST_BYTES: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST_BYTES.try_with(|c| {
        if size > c.get() {
            c.set(size)
        }
    });
}

unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

/// Opens `path` and returns the result with the largest single allocation made meanwhile.
fn open_measured(path: &Path, options: &OpenOptions) -> (Result<Recording, ReadError>, usize) {
    LARGEST_BYTES.with(|c| c.set(0));
    let result = io::open_with(path, options);
    (result, LARGEST_BYTES.with(Cell::get))
}

/// "A small multiple of the file size": samples grow from 2 bytes (EDF/WFDB 16-bit) to f64 in
/// the edfplus path, so 8× plus fixed buffers (csv, gzip, headers) is the bound.
fn allocation_bound(file_bytes: u64) -> usize {
    8 * file_bytes as usize + 256 * 1024
}

// ---- fixtures -------------------------------------------------------------------------------

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance").join(name)
}

/// The excerpt as the source CSV holds it (6 decimals): PPG and ECG, 1250 samples at 125 Hz.
fn reference() -> (Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(fixture("excerpt.csv")).expect("reference CSV");
    let mut ppg = Vec::new();
    let mut ecg = Vec::new();
    for line in text.lines().skip(1) {
        let cols: Vec<f64> = line.split(',').map(|v| v.trim().parse().expect("number")).collect();
        ppg.push(cols[1]);
        ecg.push(cols[2]);
    }
    (ppg, ecg)
}

struct Expect {
    file: &'static str,
    /// Quantisation step per channel (PPG, ECG), in physical units; half of it is the tolerance.
    step: [f64; 2],
    /// The first `gap` samples are compared, then `gap_len` NaN samples (EDF+D only), then the rest.
    gap: Option<(usize, usize)>,
    options: OpenOptions,
}

fn expectations() -> Vec<Expect> {
    let steps: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).expect("expected.json")).expect("json");
    let step = |file: &str, channel: usize| -> f64 {
        steps["files"][file]["quantisation_step"][channel].as_f64().unwrap_or_else(|| panic!("step for {file}"))
    };
    let two = |file: &'static str, options: OpenOptions, gap: Option<(usize, usize)>| Expect {
        file,
        step: [step(file, 0), step(file, 1)],
        gap,
        options,
    };
    let npy_channels = OpenOptions { npy_layout: io::NpyLayout::Channels, ..OpenOptions::default() };
    vec![
        two("excerpt.csv", OpenOptions::default(), None),
        two("excerpt.csv.gz", OpenOptions::default(), None),
        two("excerpt_f32.npy", npy_channels.clone(), None),
        two("excerpt_f64.npy", npy_channels, None),
        two("excerpt.edf", OpenOptions::default(), None),
        two("excerpt_plus.edf", OpenOptions::default(), None),
        two("excerpt_plusd.edf", OpenOptions::default(), Some((625, 250))),
        two("excerpt_fmt16.hea", OpenOptions::default(), None),
        two("excerpt_fmt212.hea", OpenOptions::default(), None),
        two("excerpt_fmt80.hea", OpenOptions::default(), None),
    ]
}

fn assert_close(file: &str, what: &str, got: &[f32], want: &[f64], step: f64, gap: Option<(usize, usize)>) {
    let tolerance = step / 2.0 + 1e-6 * want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    let (split, gap_len) = gap.unwrap_or((want.len(), 0));
    assert_eq!(got.len(), want.len() + gap_len, "{file} {what}: sample count");
    for (i, g) in got.iter().enumerate() {
        let w = if i < split {
            want[i]
        } else if i < split + gap_len {
            assert!(g.is_nan(), "{file} {what}[{i}] should be a NaN gap, got {g}");
            continue;
        } else {
            want[i - gap_len]
        };
        assert!((f64::from(*g) - w).abs() <= tolerance, "{file} {what}[{i}]: got {g}, want {w} ± {tolerance}");
    }
}

#[test]
fn the_same_excerpt_reads_the_same_in_every_format() {
    let (ppg, ecg) = reference();
    assert_eq!(ppg.len(), 1250);
    for e in expectations() {
        let path = fixture(e.file);
        let recording = io::open_with(&path, &e.options).unwrap_or_else(|err| panic!("{}: {err}", e.file));
        let ppg_i = recording.ppg_channel().unwrap_or_else(|| panic!("{}: no PPG channel", e.file));
        let ecg_i = recording
            .channels
            .iter()
            .position(|c| matches!(c.role, ChannelRole::Ecg { .. }))
            .or_else(|| (recording.channels.len() == 2).then_some(1))
            .unwrap_or_else(|| panic!("{}: no ECG channel", e.file));
        for i in [ppg_i, ecg_i] {
            assert!((recording.channels[i].sample_rate_hz - 125.0).abs() < 1e-9, "{}: rate", e.file);
        }
        assert_close(e.file, "PPG", &recording.channels[ppg_i].samples, &ppg, e.step[0], e.gap);
        assert_close(e.file, "ECG", &recording.channels[ecg_i].samples, &ecg, e.step[1], e.gap);
    }
}

#[test]
fn edfplus_crate_and_our_decoder_agree_on_edf_plus_c() {
    // EDF+C goes through the edfplus crate; plain EDF and EDF+D through our decoder. Both must
    // read the same EDF+C bytes to the same samples and annotations.
    let path = fixture("excerpt_plus.edf");
    let via_crate = io::open(&path).expect("edfplus path");
    let bytes = std::fs::read(&path).unwrap();
    let via_ours = io::edf::read_bytes(&path, &bytes).expect("our decoder");
    assert_eq!(via_crate.channels.len(), via_ours.channels.len());
    for (a, b) in via_crate.channels.iter().zip(&via_ours.channels) {
        assert_eq!(a.label, b.label);
        assert_eq!(a.samples.len(), b.samples.len());
        for (x, y) in a.samples.iter().zip(&b.samples) {
            assert!((x - y).abs() <= 1e-6 * x.abs().max(1.0), "{}: {x} vs {y}", a.label);
        }
    }
    assert_eq!(via_crate.annotations.len(), via_ours.annotations.len());
    for (a, b) in via_crate.annotations.iter().zip(&via_ours.annotations) {
        assert_eq!(a.text, b.text);
        assert!((a.onset_secs - b.onset_secs).abs() < 1e-6);
        assert_eq!(a.duration_secs, b.duration_secs);
    }
    assert!(via_ours.annotations.iter().any(|a| a.text == "conformance excerpt"));
}

// ---- broken files ---------------------------------------------------------------------------

/// A broken variant of a good fixture, and what the error must say.
struct Broken {
    name: String,
    /// Files to write into a fresh directory: (file name, bytes). The first is opened.
    files: Vec<(String, Vec<u8>)>,
    /// A substring the error's field must contain.
    field: &'static str,
}

fn broken(name: &str, files: Vec<(String, Vec<u8>)>, field: &'static str) -> Broken {
    Broken { name: name.into(), files, field }
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn set_field(bytes: &mut [u8], offset: usize, width: usize, value: &str) {
    let mut padded = value.as_bytes().to_vec();
    padded.resize(width, b' ');
    bytes[offset..offset + width].copy_from_slice(&padded);
}

/// Offset of a per-signal EDF header field (the fields are stored column by column).
fn edf_signal_field(ns: usize, field_start_per_signal: usize, width: usize, signal: usize) -> usize {
    256 + ns * field_start_per_signal + signal * width
}

fn edf_cases(file: &str) -> Vec<Broken> {
    let good = read(file);
    let ns: usize = std::str::from_utf8(&good[252..256]).unwrap().trim().parse().unwrap();
    let one = |name: &str, bytes: Vec<u8>, field| broken(&format!("{file}: {name}"), vec![(file.to_string(), bytes)], field);
    let with = |offset, width, value: &str| {
        let mut b = good.clone();
        set_field(&mut b, offset, width, value);
        b
    };
    // Per-signal field starts, in units of ns: label 16, transducer 80, dimension 8, pmin 8,
    // pmax 8, dmin 8, dmax 8, prefilter 80, samples per record 8.
    let (pmin, pmax, spr) = (16 + 80 + 8, 16 + 80 + 8 + 8, 16 + 80 + 8 + 8 + 8 + 8 + 8 + 80);
    let mut non_utf8 = good.clone();
    non_utf8[256] = 0xff;
    non_utf8[257] = 0xfe;
    vec![
        one("empty", Vec::new(), "header"),
        one("truncated in the header", good[..200].to_vec(), "header"),
        one("truncated in the data", good[..good.len() - 1000].to_vec(), "number of data records"),
        one("huge record count", with(236, 8, "99999999"), "number of data records"),
        one("negative record count", with(236, 8, "-5"), "number of data records"),
        one("zero samples per record", with(edf_signal_field(ns, spr, 8, 0), 8, "0"), "samples per data record"),
        one("negative samples per record", with(edf_signal_field(ns, spr, 8, 1), 8, "-1"), "samples per data record"),
        one("huge samples per record", with(edf_signal_field(ns, spr, 8, 0), 8, "99999999"), "number of data records"),
        one("negative header size", with(184, 8, "-256"), "number of bytes in header"),
        one("physical min = max", {
            let mut b = with(edf_signal_field(ns, pmin, 8, 0), 8, "1");
            set_field(&mut b, edf_signal_field(ns, pmax, 8, 0), 8, "1");
            b
        }, "physical minimum/maximum"),
        one("wrong magic", with(0, 8, "9"), "version"),
        one("non-UTF-8 label", non_utf8, "signal 1 label"),
        one("huge signal count", with(252, 4, "9999"), "number of bytes in header"),
        one("zero record duration", with(244, 8, "0"), "duration of a data record"),
    ]
}

fn wfdb_cases(stem: &str) -> Vec<Broken> {
    let hea = String::from_utf8(read(&format!("{stem}.hea"))).unwrap();
    let dat = read(&format!("{stem}.dat"));
    let hea_name = format!("{stem}.hea");
    let dat_name = format!("{stem}.dat");
    let pair = |name: &str, h: Vec<u8>, d: Vec<u8>, field| {
        broken(&format!("{stem}: {name}"), vec![(hea_name.clone(), h), (dat_name.clone(), d)], field)
    };
    let record_line_index = hea.lines().position(|l| !l.starts_with('#') && !l.trim().is_empty()).unwrap();
    let with_record_line = |f: &dyn Fn(&[&str]) -> String| -> Vec<u8> {
        let lines: Vec<String> = hea
            .lines()
            .enumerate()
            .map(|(i, l)| if i == record_line_index { f(&l.split_whitespace().collect::<Vec<_>>()) } else { l.to_string() })
            .collect();
        (lines.join("\n") + "\n").into_bytes()
    };
    let nsamp = |value: &'static str| with_record_line(&move |w: &[&str]| format!("{} {} {} {value}", w[0], w[1], w[2]));
    let mut non_utf8 = hea.clone().into_bytes();
    let last_line_start = non_utf8[..non_utf8.len() - 1].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    let end = non_utf8.len() - 1;
    non_utf8[end - 2] = 0xff;
    let _ = last_line_start;
    vec![
        pair("empty header", Vec::new(), dat.clone(), "header"),
        pair("empty signal file", hea.clone().into_bytes(), Vec::new(), "signal file"),
        pair("truncated signal file", hea.clone().into_bytes(), dat[..dat.len() / 2].to_vec(), "signal file"),
        pair("huge sample count", nsamp("999999999999"), dat.clone(), "signal file"),
        pair("negative sample count", nsamp("-5"), dat.clone(), "number of samples"),
        pair("huge signal count", with_record_line(&|w: &[&str]| format!("{} 99999999 {}", w[0], w[2..].join(" "))), dat.clone(), "signal"),
        pair("zero sampling frequency", with_record_line(&|w: &[&str]| format!("{} {} 0 {}", w[0], w[1], w[3..].join(" "))), dat.clone(), "frequency"),
        pair("wrong magic (binary header)", dat[..64].to_vec(), dat.clone(), "header"),
        pair("non-UTF-8 label", non_utf8, dat.clone(), "header"),
        broken(&format!("{stem}: missing signal file"), vec![(hea_name.clone(), hea.clone().into_bytes())], "signal file"),
        broken(&format!("{stem}: missing header"), vec![(dat_name.clone(), dat.clone())], "header"),
    ]
}

fn npy_cases() -> Vec<Broken> {
    let file = "excerpt_f64.npy";
    let good = read(file);
    let header_len = u16::from_le_bytes([good[8], good[9]]) as usize;
    let header = String::from_utf8(good[10..10 + header_len].to_vec()).unwrap().trim_end().to_string();
    let with_header = |new: &str| {
        let mut h = new.to_string();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut b = good[..8].to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend_from_slice(&good[10 + header_len..]);
        b
    };
    let one = |name: &str, bytes: Vec<u8>, field| broken(&format!("{file}: {name}"), vec![(file.to_string(), bytes)], field);
    let shape_start = header.find("'shape'").unwrap();
    let shape_end = header[shape_start..].find(')').unwrap() + shape_start + 1;
    let shape = |s: &str| with_header(&format!("{}'shape': {s}{}", &header[..shape_start], &header[shape_end..]));
    let mut non_utf8 = good.clone();
    non_utf8[12] = 0xff;
    vec![
        one("empty", Vec::new(), "file"),
        one("truncated in the header", good[..20].to_vec(), "npy header"),
        one("truncated in the data", good[..good.len() - 100].to_vec(), "npy data"),
        one("huge shape", shape("(2, 999999999999)"), "shape"),
        one("zero-length axis", shape("(0, 1250)"), "shape"),
        one("negative shape", shape("(2, -1250)"), "shape"),
        one("wrong magic", {
            let mut b = good.clone();
            b[1] = b'X';
            b
        }, "npy"),
        one("non-UTF-8 header", non_utf8, "npy header"),
    ]
}

fn csv_cases() -> Vec<Broken> {
    let file = "excerpt.csv";
    let good = read(file);
    let one = |name: &str, bytes: Vec<u8>, field| broken(&format!("{file}: {name}"), vec![(file.to_string(), bytes)], field);
    let mut non_utf8 = good.clone();
    non_utf8[2] = 0xff;
    let mut bad_gz = read("excerpt.csv.gz");
    let cut = bad_gz.len() / 2;
    bad_gz.truncate(cut);
    let header_end = good.iter().position(|&b| b == b'\n').unwrap();
    vec![
        one("empty", Vec::new(), "file"),
        one("truncated mid-row", good[..good.len() - 17].to_vec(), "row"),
        one("header only", good[..=header_end].to_vec(), "data rows"),
        one("non-UTF-8 label", non_utf8, "header"),
        one("binary garbage", read("excerpt_f64.npy")[10..].to_vec(), ""),
        one("non-monotonic time", {
            let text = String::from_utf8(good.clone()).unwrap().replacen("\n0.016000,", "\n0.001000,", 1);
            text.into_bytes()
        }, "time_s"),
        broken(&format!("{file}: truncated gzip"), vec![("excerpt.csv.gz".into(), bad_gz)], "gzip"),
    ]
}

#[test]
fn broken_files_give_named_typed_errors_without_panic_or_huge_allocation() {
    let mut cases = Vec::new();
    cases.extend(edf_cases("excerpt.edf"));
    cases.extend(edf_cases("excerpt_plus.edf"));
    cases.extend(edf_cases("excerpt_plusd.edf"));
    cases.extend(wfdb_cases("excerpt_fmt16"));
    cases.extend(wfdb_cases("excerpt_fmt212"));
    cases.extend(npy_cases());
    cases.extend(csv_cases());
    let mut failures = Vec::new();
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &case.files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let target = dir.path().join(&case.files[0].0);
        let file_bytes: u64 = case.files.iter().map(|(_, b)| b.len() as u64).sum();
        let (result, largest) = open_measured(&target, &OpenOptions::default());
        let problem = match &result {
            Ok(_) => Some("opened without an error".to_string()),
            Err(e) if e.path.file_name() != target.file_name() && !e.path.starts_with(dir.path()) => {
                Some(format!("error names {} instead of the file", e.path.display()))
            }
            Err(e) if !e.field.contains(case.field) => Some(format!("field {:?} does not mention {:?} ({e})", e.field, case.field)),
            Err(_) if largest > allocation_bound(file_bytes) => {
                Some(format!("largest allocation {largest} bytes for a {file_bytes}-byte input"))
            }
            Err(_) => None,
        };
        if let Some(problem) = problem {
            failures.push(format!("{}: {problem}", case.name));
        } else if let Err(e) = &result {
            println!("ok  {:<55} {e}", case.name);
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn a_missing_file_names_itself() {
    let path = fixture("no-such-recording.edf");
    let err = io::open(&path).unwrap_err();
    assert_eq!(err.path, path);
    assert!(matches!(err.kind, ReadErrorKind::Io(_)));
}
