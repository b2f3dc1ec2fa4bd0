//! Tests of the wfdb reader.

use super::*;
use crate::io::ChannelRole;

fn read(header: &[u8], files: &[(&str, Vec<u8>)]) -> ReadResult<Recording> {
    let lookup = |name: &str| {
        let found = files.iter().find(|(n, _)| *n == name).map(|(_, bytes)| bytes.clone());
        let missing = ReadErrorKind::MissingCompanion { companion: name.into(), source: std::io::ErrorKind::NotFound.into() };
        found.ok_or_else(|| ReadError::new(Path::new("t.hea"), format!("signal file {name}"), missing))
    };
    read_from_parts(Path::new("t.hea"), header, &lookup)
}

fn le16(values: &[i16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn assert_samples(channel: &Channel, expected: &[f32]) {
    let same = |(a, e): (&f32, &f32)| a == e || a.is_nan() && e.is_nan();
    assert!(channel.samples.len() == expected.len() && channel.samples.iter().zip(expected).all(same), "{:?} != {expected:?}", channel.samples);
}

#[test]
fn parses_header_variants() {
    let text = "# made by hand\r\n100 2 360/1000(0) 650000 12:30:15.250 25/12/2001\r\n\
                100.dat 212 200(1024)/uV 11 1024 995 -22131 0 MLII lead\r\n100.dat 212x4:2+512 0 11 7\r\n# end";
    let h = parse_header(Path::new("t.hea"), text.as_bytes()).unwrap();
    assert_eq!((h.sample_rate_hz, h.frames, h.metadata.recording.as_str()), (360.0, Some(650_000), "100"));
    let start = StartDateTime { year: 2001, month: 12, day: 25, hour: 12, minute: 30, second: 15, nanosecond: 250_000_000 };
    assert_eq!(h.metadata.start, Some(start));
    let comment = |t: &str| ("WFDB comment".to_string(), t.to_string());
    assert_eq!(h.metadata.fields, [comment("made by hand"), comment("end")]);
    let (a, b) = (&h.signals[0], &h.signals[1]);
    assert_eq!((a.gain_per_unit, a.baseline, a.unit.as_str(), a.checksum, a.label.as_str()), (200.0, 1024, "uV", Some(-22131), "MLII lead"));
    assert_eq!((b.samples_per_frame, b.skew_frames, b.byte_offset), (4, 2, 512));
    // Gain 0 means 200, an absent baseline is the ADC zero, absent units are mV.
    assert_eq!((b.gain_per_unit, b.baseline, b.unit.as_str(), b.label.as_str()), (200.0, 7, "mV", "signal 2"));

    let h = parse_header(Path::new("t.hea"), b"r 1\nr.dat 16").unwrap();
    let s = &h.signals[0];
    assert_eq!((h.sample_rate_hz, h.frames, h.metadata.start), (250.0, None, None));
    assert_eq!((s.format, s.gain_per_unit, s.baseline, s.unit.as_str(), s.checksum), (16, 200.0, 0, "mV", None));
    // nsamp 0 means unknown; a time without a date is kept as a field.
    let h = parse_header(Path::new("t.hea"), b"r 1 125 0 8:05\nr.dat 16 100(-5)/\n").unwrap();
    assert_eq!((h.frames, h.signals[0].baseline, h.signals[0].unit.as_str()), (None, -5, ""));
    assert!(h.metadata.fields.contains(&("WFDB base time".into(), "8:05".into())));
}

#[test]
fn formats_16_212_80_decode_known_bytes_with_invalid_as_nan() {
    let header = b"r 2 100 2\nr.dat 16 10(0)/NU 16 0 0 50 0 PPG\nr.dat 16 100(-100) 16 0 0 -32468 0 ECG II\n";
    let r = read(header, &[("r.dat", le16(&[100, -32768, -50, 300]))]).unwrap();
    assert_samples(&r.channels[0], &[10.0, -5.0]);
    assert_samples(&r.channels[1], &[f32::NAN, 4.0]);
    assert_eq!((r.ppg_channel(), r.ecg_channel(), r.channels[1].unit.as_str()), (Some(0), Some(1), "mV"));
    assert!(r.notices.is_empty(), "checksums match: {:?}", r.notices);
    let r = read(b"r 1 100 2\nr.dat 16 1 16 0 0 99\n", &[("r.dat", le16(&[1, 2]))]).unwrap();
    assert!(r.notices[0].contains("checksum 3 differs from 99"), "{:?}", r.notices);

    // 212: (-2048 invalid, 2047), (-1, 5), then an odd last sample 100 in two bytes.
    let data = vec![0x00, 0x78, 0xff, 0xff, 0x0f, 0x05, 0x64, 0x00];
    let r = read(b"r 1 360 5\nr.dat 212 1\n", &[("r.dat", data.clone())]).unwrap();
    assert_samples(&r.channels[0], &[f32::NAN, 2047.0, -1.0, 5.0, 100.0]);
    let e = read(b"r 1 360 6\nr.dat 212 1\n", &[("r.dat", data)]).unwrap_err();
    assert!(matches!(e.kind, ReadErrorKind::Truncated { needed_bytes: 9, available_bytes: 8 }), "{e}");

    let r = read(b"r 1 100\nr.dat 80 2(1)\n", &[("r.dat", vec![0, 129, 255, 1])]).unwrap();
    assert_samples(&r.channels[0], &[f32::NAN, 0.0, 63.0, -64.0]);
    assert_eq!((decode(61, &[1, 2], 0), decode(160, &[0, 0x80], 0), decode(160, &[0, 0], 0)), (258, 0, -32768));
    assert_eq!((decode(24, &[0xff, 0xff, 0xff], 0), decode(24, &[0, 0, 0x80], 0)), (-1, -(1 << 23)));
    assert_eq!(decode(32, &(-5i32).to_le_bytes(), 0), -5);
}

#[test]
fn multiple_files_samples_per_frame_byte_offset_and_skew() {
    let r = read(b"m 2 100 3\na.dat 16x2 1\nb.dat 80 1\n", &[("a.dat", le16(&[1, 2, 3, 4, 5, 6])), ("b.dat", vec![129, 130, 131])]).unwrap();
    assert_samples(&r.channels[0], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_samples(&r.channels[1], &[1.0, 2.0, 3.0]);
    assert_eq!((r.channels[0].sample_rate_hz, r.channels[1].sample_rate_hz), (200.0, 100.0));
    // One file with frames [a, a, b]; no nsamp, so 7 samples make 2 whole frames.
    let r = read(b"s 2 100\ns.dat 16x2 1\ns.dat 16 1\n", &[("s.dat", le16(&[1, 2, 10, 3, 4, 20, 9]))]).unwrap();
    assert_samples(&r.channels[0], &[1.0, 2.0, 3.0, 4.0]);
    assert_samples(&r.channels[1], &[10.0, 20.0]);
    let data = [&[0xaa, 0xbb, 0xcc, 0xdd][..], &le16(&[7, 8])].concat();
    assert_samples(&read(b"o 1 100\no.dat 16+4 1\n", &[("o.dat", data.clone())]).unwrap().channels[0], &[7.0, 8.0]);
    assert_samples(&read(b"o 1 100\no.dat 16:1+4 1\n", &[("o.dat", data)]).unwrap().channels[0], &[8.0, f32::NAN]);
}

#[test]
fn lying_headers_give_the_right_error_and_field() {
    let cases: [(&[u8], &str, &str); 20] = [
        (b"", "Empty", "header"),
        (b" \n\t\n", "Empty", "header"),
        (b"r 1 125\xff\nr.dat 16\n", "NotText", "header"),
        (b"# only a comment\n", "Invalid", "record line"),
        (b"r/3 2 125\n", "Unsupported", "record line: number of segments"),
        (b"r -1 125\n", "Invalid", "record line: number of signals"),
        (b"r 1000000000 125\nr.dat 16\n", "Invalid", "signal 2 line"),
        (b"r 1 nan\nr.dat 16\n", "Invalid", "record line: sampling frequency"),
        (b"r 1 125 -5\nr.dat 16\n", "Invalid", "record line: number of samples"),
        (b"r 1 125 10 25:00:00\nr.dat 16\n", "Invalid", "record line: base time"),
        (b"r 1 125 1000000000000000\nr.dat 16\n", "Truncated", "signal file r.dat"),
        (b"r 1 125\nr.dat 16x1000000000\n", "Empty", "signal file r.dat"),
        (b"r 1 125 3\nr.dat 16x1000000000\n", "Truncated", "signal file r.dat"),
        (b"r 2 125 1\nr.dat 16x18446744073709551615\nr.dat 16x1\n", "Invalid", "signal 2 samples per frame"),
        (b"r 1 125 1\nr.dat 16+18446744073709551615\n", "Truncated", "signal file r.dat"),
        (b"r 1 125\nr.dat 16x-2\n", "Invalid", "signal 1 samples per frame"),
        (b"r 1 125\nr.dat 16 abc(0)/mV\n", "Invalid", "signal 1 gain"),
        (b"r 1 125\nr.dat 310\n", "Unsupported", "signal 1 format"),
        (b"r 2 125\nr.dat 16\nr.dat 80\n", "Invalid", "signal 2 format"),
        (b"r 1 125\nmissing.dat 16\n", "MissingCompanion", "signal file missing.dat"),
    ];
    for (header, kind, field) in cases {
        let e = read(header, &[("r.dat", le16(&[1, 2]))]).expect_err(&String::from_utf8_lossy(header));
        let ok = format!("{:?}", e.kind).starts_with(kind) && e.field == field && e.path == Path::new("t.hea");
        assert!(ok, "{}: got {e}", String::from_utf8_lossy(header));
    }
}

#[test]
fn mutated_headers_never_panic() {
    let base = b"r 2 125/10(3) 4 10:00:00 01/02/2003\nr.dat 16x2:1+2 100(5)/mV 12 0 0 0 0 PPG\nr.dat 16 200 12 0 0 0 0 ECG\n";
    let (alphabet, mut state) = (b"0123456789x:+/()-. \n#e", 0x2545_f491_4f6c_dd1d_u64);
    let mut next = |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    for _ in 0..5000 {
        let mut header = base.to_vec();
        for _ in 0..1 + next(4) {
            let at = next(header.len());
            header[at] = alphabet[next(alphabet.len())];
        }
        let _ = read(&header, &[("r.dat", le16(&[1, -32768, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14][..next(15)]))]);
    }
}

#[test]
fn read_accepts_header_signal_file_or_record_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rec.v2.hea"), "rec.v2 1 50 2\nrec.v2.dat 16 1 16 0 0 7 0 Pleth\n").unwrap();
    std::fs::write(dir.path().join("rec.v2.dat"), le16(&[3, 4])).unwrap();
    for name in ["rec.v2.hea", "rec.v2.dat", "rec.v2"] {
        let r = WfdbReader.read(&dir.path().join(name), &OpenOptions::default()).unwrap();
        assert_eq!((r.format, r.channels[0].role.clone(), r.channels[0].samples.len(), r.notices.len()), (Format::Wfdb, ChannelRole::Ppg, 2, 0));
    }
    assert_eq!(crate::io::open(&dir.path().join("rec.v2.hea")).unwrap().channels.len(), 1);
    let e = WfdbReader.read(&dir.path().join("other.dat"), &OpenOptions::default()).unwrap_err();
    assert!(matches!(e.kind, ReadErrorKind::MissingCompanion { .. }) && e.field == "header", "{e}");
    // A directory (or a device) named as signal file is refused, not read.
    std::fs::write(dir.path().join("d.hea"), "d 1 50\n. 16\n").unwrap();
    let e = WfdbReader.read(&dir.path().join("d.hea"), &OpenOptions::default()).unwrap_err();
    assert!(matches!(e.kind, ReadErrorKind::MissingCompanion { .. }) && e.field == "signal file .", "{e}");
}

#[test]
fn opens_every_mimic_perform_record_and_matches_the_csv_excerpt() {
    let Some(shared) = crate::io::samples::shared_data_dir() else { return };
    let root = shared.join("mimic-perform-af");
    let mut opened = 0;
    for folder in ["mimic_perform_af_wfdb", "mimic_perform_non_af_wfdb"] {
        let records = std::fs::read_to_string(root.join(folder).join("RECORDS")).expect("the shared MIMIC PERform data");
        for name in records.split_whitespace() {
            let r = WfdbReader.read(&root.join(folder).join(name), &OpenOptions::default()).unwrap_or_else(|e| panic!("{e}"));
            // Every header carries checksums: no notice means every sample decoded as written.
            assert!(r.notices.is_empty(), "{name}: {:?}", r.notices);
            assert!(r.ppg_channel().is_some() && r.ecg_channel().is_some(), "{name}");
            assert!(r.channels.iter().all(|c| c.sample_rate_hz == 125.0 && c.samples.len() == 150_001), "{name}");
            opened += 1;
        }
    }
    assert_eq!(opened, 35);

    let r = WfdbReader.read(&root.join("mimic_perform_af_wfdb/mimic_perform_af_001.hea"), &OpenOptions::default()).unwrap();
    assert!(r.metadata.fields[0].1.contains("p000946"));
    let (ppg, ecg) = (&r.channels[r.ppg_channel().unwrap()], &r.channels[r.ecg_channel().unwrap()]);
    assert_eq!(ecg.role, ChannelRole::Ecg { lead: Some("II".into()) });
    let csv = std::fs::read_to_string(shared.join("app-samples/mimic_perform_af_001_AF_60s.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!((lines[0], lines.len()), ("time_s,ppg,ecg", 1 + 7500));
    let start = 1070 * 125;
    for (row, line) in lines[1..].iter().enumerate() {
        let values: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        for (channel, expected) in [(ppg, values[1]), (ecg, values[2])] {
            let actual = f64::from(channel.samples[start + row]);
            assert!((actual - expected).abs() < 1e-5, "{} row {row}: {actual} vs {expected}", channel.label);
        }
    }
}

#[test]
fn opens_the_shipped_sample_record() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/mimic_perform_non_af_002_nonAF_60s.hea");
    let r = WfdbReader.read(&path, &OpenOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.notices.is_empty() && r.channels.iter().all(|c| c.samples.len() == 7500), "{:?}", r.notices);
    assert_eq!((r.ppg_channel(), r.channels[1].role.clone()), (Some(0), ChannelRole::Ecg { lead: Some("II".into()) }));
}
