//! Tests of the EDF+C writer: everything is read back through our own reader (`crate::io::open`,
//! which reads EDF+C through edfplus) and, where bytes matter, through our header parser.

use std::path::{Path, PathBuf};

use super::fields::{outward, patient_identification, recording_identification, tal_seconds};
use super::*;
use crate::io::edf::header::{EdfHeader, SignalHeader, parse_header};
use crate::io::{Annotation, Format, Metadata, StartDateTime};

fn channel(label: &str, unit: &str, rate: f64, samples: Vec<f32>) -> Channel {
    Channel::new(label, unit, rate, samples)
}

fn sine(n: usize, rate: f64) -> Vec<f32> {
    (0..n).map(|i| (0.8 * (std::f64::consts::TAU * 1.3 * i as f64 / rate).sin() + 0.1) as f32).collect()
}

fn recording(channels: Vec<Channel>, annotations: Vec<Annotation>, start: Option<StartDateTime>) -> Recording {
    Recording {
        source_path: PathBuf::from("made-up.csv"),
        format: Format::Csv,
        metadata: Metadata { start, ..Metadata::default() },
        channels,
        annotations,
        notices: Vec::new(),
    }
}

fn start(nanosecond: u32) -> StartDateTime {
    StartDateTime { year: 2024, month: 3, day: 5, hour: 14, minute: 7, second: 9, nanosecond }
}

fn note(onset_secs: f64, duration_secs: Option<f64>, text: &str) -> Annotation {
    Annotation { onset_secs, duration_secs, text: text.into() }
}

/// Writes through the public file API and reads back with `crate::io::open`.
fn round_trip(rec: &Recording) -> (Vec<u8>, EdfHeader, Recording) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.edf");
    write_edf_plus(&path, rec).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let header = parse_header(&path, &bytes, bytes.len() as u64).unwrap();
    let back = crate::io::open(&path).unwrap();
    assert_eq!(back.format, Format::EdfPlusContinuous);
    (bytes, header, back)
}

/// Digital samples of data signal `signal`, straight from the records.
fn digital(bytes: &[u8], header: &EdfHeader, signal: usize) -> Vec<i16> {
    let before: usize = header.signals[..signal].iter().map(|s| s.samples_per_record * 2).sum();
    let len = header.signals[signal].samples_per_record * 2;
    (0..header.data_records)
        .flat_map(|r| {
            let at = header.header_bytes + r * header.record_bytes + before;
            bytes[at..at + len].chunks_exact(2).map(|p| i16::from_le_bytes([p[0], p[1]])).collect::<Vec<_>>()
        })
        .collect()
}

/// Every finite sample within half a quantisation step of the written header (plus the f32
/// rounding of the value read back); the length grown by the padding only.
fn assert_samples_close(original: &Channel, back: &Channel, signal: &SignalHeader, records: usize) {
    let step = (signal.physical_max - signal.physical_min) / f64::from(signal.digital_max - signal.digital_min);
    assert_eq!(back.samples.len(), records * signal.samples_per_record, "{}", original.label);
    assert!(back.samples.len() >= original.samples.len());
    for (i, (&x, &y)) in original.samples.iter().zip(&back.samples).enumerate() {
        if x.is_finite() {
            let tolerance = step / 2.0 * (1.0 + 1e-9) + f64::from(x.abs()) * f64::from(f32::EPSILON);
            let error = (f64::from(y) - f64::from(x)).abs();
            assert!(error <= tolerance, "{} sample {i}: {x} read back as {y} (step {step})", original.label);
        }
    }
}

fn gap_annotations(rec: &Recording) -> Vec<&Annotation> {
    rec.annotations.iter().filter(|a| a.text.starts_with("signal gap: ")).collect()
}

fn assert_annotation_eq(a: &Annotation, b: &Annotation) {
    assert_eq!(a.text, b.text);
    assert!((a.onset_secs - b.onset_secs).abs() <= 1e-6, "{a:?} vs {b:?}");
    match (a.duration_secs, b.duration_secs) {
        (None, None) => {}
        (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-6, "{a:?} vs {b:?}"),
        _ => panic!("duration differs: {a:?} vs {b:?}"),
    }
}

#[test]
fn bundled_samples_round_trip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| ["edf", "hea", "csv", "npy"].iter().any(|ext| p.extension().is_some_and(|e| e == *ext)))
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "{files:?}");
    for file in files {
        let original = crate::io::open(&file).unwrap();
        let (_, header, back) = round_trip(&original);
        let name = file.display();
        assert_eq!(back.channels.len(), original.channels.len(), "{name}");
        for (i, (o, b)) in original.channels.iter().zip(&back.channels).enumerate() {
            assert_eq!(b.label, short_field(&o.label, 16), "{name}");
            assert_eq!(b.unit, short_field(&o.unit, 8), "{name}");
            assert!((b.sample_rate_hz - o.sample_rate_hz).abs() <= 1e-9 * o.sample_rate_hz, "{name}");
            assert_samples_close(o, b, &header.signals[i], header.data_records);
        }
        let expected_start = match original.metadata.start {
            Some(s) => StartDateTime { nanosecond: 0, ..s },
            None => StartDateTime { year: 1985, month: 1, day: 1, hour: 0, minute: 0, second: 0, nanosecond: 0 },
        };
        assert_eq!(back.metadata.start, Some(expected_start), "{name}");
        let gaps = original.channels.iter().any(|c| c.samples.iter().any(|v| !v.is_finite()));
        if !gaps {
            assert_eq!(back.annotations.len(), original.annotations.len(), "{name}");
        }
        for a in &original.annotations {
            let found = back.annotations.iter().find(|b| b.text == a.text && (b.onset_secs - a.onset_secs).abs() <= 1e-6);
            assert_annotation_eq(a, found.unwrap_or_else(|| panic!("{name}: {a:?} not read back")));
        }
    }
}

#[test]
fn three_thousand_annotations_all_come_back_in_order() {
    let long: String = "é→ab".chars().cycle().take(500).collect();
    let annotations: Vec<Annotation> = (0..3000)
        .map(|i| {
            let duration = (i % 7 == 0).then(|| f64::from(i % 5) * 0.013);
            let text = if i == 1234 { long.clone() } else { format!("beat {i}") };
            Annotation { onset_secs: f64::from(i) * 0.02, duration_secs: duration, text }
        })
        .collect();
    let rec = recording(vec![channel("PPG", "NU", 125.0, sine(7500, 125.0))], annotations.clone(), Some(start(0)));
    let (_, header, back) = round_trip(&rec);
    // Far more than edfplus's fixed 120 bytes: 50 TALs plus an 875-byte text in one record.
    assert!(header.signals[1].samples_per_record * 2 > 1000);
    assert_eq!(back.annotations.len(), annotations.len());
    for (a, b) in annotations.iter().zip(&back.annotations) {
        assert_annotation_eq(a, b);
    }
    assert_eq!(back.annotations[1234].text, long);
}

#[test]
fn mixed_rates_flat_empty_gappy_and_subsecond_start() {
    let n = 1300; // 10.4 s at 125 Hz: not a whole number of 2-s records
    let mut gappy = sine(n, 125.0);
    gappy[250..375].fill(f32::NAN);
    let channels = vec![
        channel("Pléth µ", "µV", 125.0, sine(n, 125.0)),
        channel("Half", "mV", 62.5, sine(n / 2, 62.5)),
        channel("Flat", "V", 125.0, vec![3.3; n]),
        channel("All NaN", "", 125.0, vec![f32::NAN; n]),
        channel("Gappy", "NU", 125.0, gappy),
    ];
    let rec = recording(channels, vec![note(1.25, None, "mark")], Some(start(500_000_000)));
    let (bytes, header, back) = round_trip(&rec);

    assert_eq!(header.record_duration_secs, 2.0);
    assert_eq!(header.data_records, 6);
    assert_eq!(back.channels[0].label, "Pl?th u");
    assert_eq!(back.channels[0].unit, "uV");
    assert_eq!(back.channels[1].sample_rate_hz, 62.5);
    for (i, (o, b)) in rec.channels.iter().zip(&back.channels).enumerate() {
        assert_samples_close(o, b, &header.signals[i], header.data_records);
    }
    let flat = &header.signals[2];
    assert!(flat.physical_min < 3.3 && flat.physical_max > 3.3);
    assert!(back.channels[2].samples[..n].iter().all(|&v| (v - 3.3).abs() < 1e-4));

    // Missing samples and the padding are "no data", and the gaps are annotated.
    let all_nan = digital(&bytes, &header, 3);
    assert!(all_nan.iter().all(|&d| d == i16::MIN));
    let gappy = digital(&bytes, &header, 4);
    assert!(gappy[250..375].iter().all(|&d| d == i16::MIN));
    assert!(gappy[..250].iter().chain(&gappy[375..n]).all(|&d| d != i16::MIN));
    assert!(gappy[n..].iter().all(|&d| d == i16::MIN) && gappy.len() == 1500);
    let gaps = gap_annotations(&back);
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert_annotation_eq(gaps[0], &note(0.0, Some(10.4), "signal gap: All NaN"));
    assert_annotation_eq(gaps[1], &note(2.0, Some(1.0), "signal gap: Gappy"));

    // Whole seconds in the header, the half second in the first time-keeping TAL.
    assert_eq!(back.metadata.start, Some(start(0)));
    let tal_at = header.header_bytes + header.signals[..5].iter().map(|s| s.samples_per_record * 2).sum::<usize>();
    assert!(bytes[tal_at..].starts_with(b"+0.5\x14\x14\0"));
    let second_record = tal_at + header.record_bytes;
    assert!(bytes[second_record..].starts_with(b"+2.5\x14\x14\0"));
    let mark = back.annotations.iter().find(|a| a.text == "mark").unwrap();
    assert_annotation_eq(mark, &note(1.25, None, "mark"));
}

#[test]
fn a_third_of_a_hundred_hertz_needs_three_second_records() {
    let rate = 100.0 / 3.0;
    let rec = recording(vec![channel("Slow", "NU", rate, sine(2000, rate)), channel("PPG", "NU", 125.0, sine(7500, 125.0))], vec![], None);
    let (_, header, back) = round_trip(&rec);
    assert_eq!(header.record_duration_secs, 3.0);
    assert_eq!(header.signals[0].samples_per_record, 100);
    assert!((back.channels[0].sample_rate_hz - rate).abs() < 1e-9);
    for (i, (o, b)) in rec.channels.iter().zip(&back.channels).enumerate() {
        assert_samples_close(o, b, &header.signals[i], header.data_records);
    }
}

#[test]
fn record_duration_is_the_first_that_fits_every_channel() {
    let secs = |rates: &[f64]| {
        let channels: Vec<Channel> = rates.iter().map(|&r| channel("x", "", r, vec![])).collect();
        record_durations(&channels).unwrap()[0].0
    };
    assert_eq!(secs(&[125.0]), 1.0);
    assert_eq!(secs(&[125.0, 62.5]), 2.0);
    assert_eq!(secs(&[100.0 / 3.0]), 3.0);
    assert_eq!(secs(&[125.0, 62.5, 100.0 / 3.0]), 6.0);
    assert_eq!(secs(&[40_000.0]), 0.5);
}

fn error_of(rec: &Recording) -> String {
    edf_plus_bytes(rec).expect_err("must not be written").to_string()
}

#[test]
fn unwritable_recordings_are_errors_naming_the_channel() {
    assert!(error_of(&recording(vec![], vec![], None)).contains("at least one channel"));
    let with_second = |rate: f64| {
        let ppg = channel("PPG", "NU", 125.0, sine(250, 125.0));
        recording(vec![ppg, channel("Pleth", "NU", rate, sine(250, 125.0))], vec![], None)
    };
    for rate in [0.0, f64::NAN, f64::INFINITY, -125.0] {
        let message = error_of(&with_second(rate));
        assert!(message.starts_with("channel 2 \"Pleth\": sample rate"), "{message}");
    }
    let message = error_of(&with_second(127.123457));
    assert_eq!(
        message,
        "channel 2 \"Pleth\": sample rate 127.123457 Hz has no record duration up to 60 s that holds a whole number of samples (at most 32767)"
    );
    let clash = recording(vec![channel("A", "", 1.0 / 60.0, vec![]), channel("B", "", 1.0 / 7.0, vec![])], vec![], None);
    assert!(error_of(&clash).starts_with("channel 2 \"B\": sample rate"), "{}", error_of(&clash));

    // Through the file API the message also names the file, and nothing is left behind.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.edf");
    let message = write_edf_plus(&path, &with_second(f64::NAN)).unwrap_err().to_string();
    assert!(message.starts_with(&format!("{}: channel 2 \"Pleth\"", path.display())), "{message}");
    assert!(!path.exists());
    let missing_dir = dir.path().join("no such folder").join("out.edf");
    let error = write_edf_plus(&missing_dir, &with_second(125.0)).unwrap_err();
    assert!(matches!(error, WriteError::Io { .. }) && error.to_string().contains("no such folder"), "{error}");
}

#[test]
fn odd_input_never_panics() {
    let ppg = || channel("PPG", "NU", 125.0, sine(250, 125.0));
    let with = |channels: Vec<Channel>, annotations: Vec<Annotation>| recording(channels, annotations, None);
    let huge = "x".repeat(100_000);
    let cases = [
        (with(vec![channel("Wild", "", 125.0, vec![1e30, -1e30])], vec![]), Some("channel 1 \"Wild\"")),
        (with(vec![channel("EDF Annotations", "", 125.0, vec![0.0])], vec![]), Some("channel 1 \"EDF Annotations\"")),
        (with(vec![channel("Slow", "", 1e-9, vec![0.0])], vec![]), Some("channel 1 \"Slow\"")),
        (with(vec![channel("Fast", "", 1e7, vec![0.0])], vec![]), Some("channel 1 \"Fast\"")),
        (with(vec![ppg()], vec![note(1.0, None, &huge)]), Some("annotation 1 \"xxx")),
        (with(vec![ppg()], vec![note(f64::NAN, None, "n")]), Some("annotation 1 \"n\"")),
        (with(vec![ppg()], vec![note(1.0, Some(-1.0), "d")]), Some("annotation 1 \"d\"")),
        (recording(vec![ppg()], vec![], Some(StartDateTime { month: 13, ..start(0) })), Some("start date/time")),
        (with(vec![channel("Odd", "", 125.0, vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1.0])], vec![]), None),
        (with(vec![channel("Empty", "", 125.0, vec![])], vec![note(3.0, None, ""), note(-2.0, None, "before")]), None),
        (with(vec![ppg()], vec![note(1e300, Some(1e300), "far \0\x14\x15 away")]), None),
    ];
    for (rec, error) in cases {
        match (edf_plus_bytes(&rec), error) {
            (Err(e), Some(field)) => assert!(e.to_string().starts_with(field), "{e}"),
            (Ok(bytes), None) => {
                parse_header(Path::new("x.edf"), &bytes, bytes.len() as u64).unwrap();
            }
            (result, _) => panic!("{:?}: {:?}", rec.channels[0].label, result.map(|b| b.len())),
        }
    }
}

#[test]
fn onsets_before_the_start_and_separator_bytes_survive() {
    let annotations = vec![note(-0.5, None, "before"), note(0.25, None, "a\x14b\x15c\0d"), note(70.0, Some(1.0), "after")];
    let rec = recording(vec![channel("PPG", "NU", 125.0, sine(1250, 125.0))], annotations, None);
    let bytes = edf_plus_bytes(&rec).unwrap();
    // Our decoder reads every TAL, the negative one included.
    let ours = crate::io::edf::read_bytes(Path::new("x.edf"), &bytes).unwrap();
    let texts: Vec<&str> = ours.annotations.iter().map(|a| a.text.as_str()).collect();
    assert_eq!(texts, ["before", "a b c d", "after"]);
    assert_annotation_eq(&ours.annotations[0], &note(-0.5, None, "before"));
    // edfplus (the EDF+C path of `open`) stops at a '-' onset: placed last, it costs no other.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.edf");
    write_edf_plus(&path, &rec).unwrap();
    let back = crate::io::open(&path).unwrap();
    assert!(back.annotations.iter().any(|a| a.text == "a b c d"));
    assert_annotation_eq(back.annotations.iter().find(|a| a.text == "after").unwrap(), &note(70.0, Some(1.0), "after"));
}

#[test]
fn header_is_printable_ascii_of_the_declared_length() {
    let mut rec = recording(
        vec![channel("Pléth µ\t", "µV", 125.0, sine(300, 125.0)), channel("ECG II", "mV", 62.5, sine(150, 62.5))],
        vec![note(0.5, None, "x")],
        Some(start(250_000_000)),
    );
    rec.channels[0].transducer = "Fingerclip → LED".into();
    rec.channels[0].prefilter = "HP:0.1Hz LP:40Hz".into();
    rec.metadata.patient = "Jean Dupré".into();
    let bytes = edf_plus_bytes(&rec).unwrap();
    let ns = rec.channels.len() + 1;
    let header_len = 256 * (ns + 1);
    assert!(bytes[..header_len].iter().all(|b| (0x20..=0x7e).contains(b)));
    assert_eq!(&bytes[..8], b"0       ");
    assert_eq!(&bytes[8..88], format!("{:<80}", "X X X Jean_Dupr?").as_bytes());
    assert_eq!(&bytes[88..168], format!("{:<80}", "Startdate 05-MAR-2024 X X X").as_bytes());
    assert_eq!(&bytes[168..184], b"05.03.2414.07.09");
    assert_eq!(&bytes[184..192], format!("{header_len:<8}").as_bytes());
    assert!(bytes[192..236].starts_with(b"EDF+C"));
    let header = parse_header(Path::new("x.edf"), &bytes, bytes.len() as u64).unwrap();
    assert!(header.notices.is_empty(), "{:?}", header.notices);
    assert_eq!(header.header_bytes, header_len);
    assert_eq!(header.data_records * header.record_bytes, bytes.len() - header_len);
    assert_eq!(&bytes[236..244], format!("{:<8}", header.data_records).as_bytes());
    let labels: Vec<&str> = header.signals.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["Pl?th u", "ECG II", "EDF Annotations"]);
    assert_eq!(header.signals[0].transducer, "Fingerclip ? LED");
    assert_eq!(header.signals[0].prefilter, "HP:0.1Hz LP:40Hz");
    assert_eq!((header.signals[0].digital_min, header.signals[0].digital_max), (-32767, 32767));
    assert_eq!((header.signals[2].digital_min, header.signals[2].digital_max), (-32768, 32767));
    assert!(header.signals[2].samples_per_record >= 60);
}

#[test]
fn identification_fields() {
    assert_eq!(patient_identification(""), "X X X X");
    assert_eq!(patient_identification("MCH-0234567 F 02-MAY-1951 Haagse_Harry"), "MCH-0234567 F 02-MAY-1951 Haagse_Harry");
    assert_eq!(patient_identification("Jean Dupré"), "X X X Jean_Dupr?");
    assert_eq!(patient_identification(&"é".repeat(200)).len(), 80);
    assert_eq!(recording_identification("Startdate 02-MAR-2002 PSG-1234/2002 NN Telemetry03", None), "Startdate 02-MAR-2002 PSG-1234/2002 NN Telemetry03");
    assert_eq!(recording_identification("MIMIC excerpt", Some(&start(0))), "Startdate 05-MAR-2024 X X X");
    assert_eq!(recording_identification("MIMIC excerpt", None), "Startdate X X X X");
}

#[test]
fn numbers_fit_their_fields_and_round_outward() {
    assert_eq!(outward(0.123456789, false).as_deref(), Some("0.123456"));
    assert_eq!(outward(0.123456789, true).as_deref(), Some("0.123457"));
    assert_eq!(outward(-1234.56789, false).as_deref(), Some("-1234.57"));
    assert_eq!(outward(-1234.56789, true).as_deref(), Some("-1234.56"));
    assert_eq!(outward(2.5, false).as_deref(), Some("2.5"));
    assert_eq!(outward(-0.0, true).as_deref(), Some("0"));
    assert_eq!(outward(99_999_999.5, true), None);
    assert_eq!(outward(f64::NAN, true), None);
    for v in [0.1f64, 0.3, 1.0 / 3.0, -2.675, 12345.678, -0.000_012_3, 1e-9] {
        let down: f64 = outward(v, false).unwrap().parse().unwrap();
        let up: f64 = outward(v, true).unwrap().parse().unwrap();
        assert!(down <= v && v <= up, "{v}: {down} {up}");
    }
    assert_eq!(tal_seconds(0.5), "+0.5");
    assert_eq!(tal_seconds(-0.0), "+0");
    assert_eq!(tal_seconds(-0.000_000_01), "+0");
    assert_eq!(tal_seconds(12.000_000_04), "+12");
    assert_eq!(tal_seconds(-2.0), "-2");
    assert_eq!(tal_seconds(0.123_456_78), "+0.1234568");
}
