//! Tests of the csv reader.

use super::*;
use std::io::Write;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

fn read(text: &str, options: &OpenOptions) -> ReadResult<Recording> {
    read_bytes(Path::new("x.csv"), text.as_bytes(), options)
}
fn files(dir: &str, suffix: &str) -> Vec<std::path::PathBuf> {
    let entries = std::fs::read_dir(format!("{DATA}/{dir}")).unwrap();
    let paths = entries.map(|e| e.unwrap().path());
    let mut paths: Vec<_> = paths
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    paths.sort();
    paths
}
/// Label, unit, role, rate, samples and gaps of every channel, for one-line asserts.
fn summary(rec: &Recording) -> Vec<String> {
    let one = |c: &Channel| {
        let assumed = if c.sample_rate_assumed {
            " assumed"
        } else {
            ""
        };
        let (n, nan) = (
            c.samples.len(),
            c.samples.iter().filter(|v| v.is_nan()).count(),
        );
        format!(
            "{} [{}] {} {} Hz{assumed} n={n} nan={nan}",
            c.label, c.unit, c.role, c.sample_rate_hz
        )
    };
    rec.channels.iter().map(one).collect()
}
fn columns(names: &[&str]) -> OpenOptions {
    let csv_columns = Some(names.iter().map(|n| n.to_string()).collect());
    OpenOptions {
        csv_columns,
        ..OpenOptions::default()
    }
}
fn gzip(text: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(text).unwrap();
    encoder.finish().unwrap()
}
fn kind(err: &ReadError) -> String {
    format!("{:?}", err.kind)
        .split([' ', '('])
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn app_samples_open_at_125_hz() {
    if crate::io::samples::shared_data_dir().is_none() {
        return;
    }
    let paths = files("app-samples", ".csv");
    assert_eq!(paths.len(), 5);
    for path in paths {
        let rec = CsvReader.read(&path, &OpenOptions::default()).unwrap();
        assert_eq!(rec.format, Format::Csv);
        if path.ends_with("manifest.csv") {
            continue; // a table about the samples, not a recording; it opens all the same
        }
        let expected = [
            "ppg [] PPG 125 Hz n=7500 nan=0",
            "ecg [] ECG (lead unknown) 125 Hz n=7500 nan=0",
        ];
        assert_eq!(summary(&rec), expected, "{path:?}");
        assert!(rec.notices.is_empty(), "{:?}", rec.notices);
    }
}

#[test]
fn all_53_bidmc_records_open_with_pleth_and_lead_ii() {
    if crate::io::samples::shared_data_dir().is_none() {
        return;
    }
    let paths = files("bidmc/bidmc_csv", "_Signals.csv.gz");
    assert_eq!(paths.len(), 53);
    for path in &paths {
        let rec = crate::io::open(path).unwrap();
        let summary = summary(&rec);
        assert!(
            summary.contains(&"PLETH [] PPG 125 Hz n=60001 nan=0".into()),
            "{summary:?}"
        );
        assert!(
            summary.contains(&"II [] ECG lead II 125 Hz n=60001 nan=0".into()),
            "{summary:?}"
        );
        assert!(
            summary
                .iter()
                .all(|c| c.ends_with(" 125 Hz n=60001 nan=0") && !c.starts_with("Time"))
        );
        // Times are written with 5 significant digits, so from 100 s on they repeat.
        assert!(
            rec.notices.iter().any(|n| n.contains("too few decimals")),
            "{:?}",
            rec.notices
        );
    }
    let rec = crate::io::open_with(&paths[0], &columns(&["ii", "PLETH"])).unwrap();
    assert_eq!(
        rec.channels
            .iter()
            .map(|c| c.label.as_str())
            .collect::<Vec<_>>(),
        ["II", "PLETH"]
    );
}

#[test]
fn neurokit_resting_file_without_time_column_takes_an_assumed_or_given_rate() {
    if crate::io::samples::shared_data_dir().is_none() {
        return;
    }
    let path = format!("{DATA}/neurokit2-bio-resting/bio_resting_5min_100hz.csv");
    let rec = CsvReader
        .read(Path::new(&path), &OpenOptions::default())
        .unwrap();
    let expected = [
        "ECG [] ECG (lead unknown) 125 Hz assumed n=30000 nan=0",
        "PPG [] PPG 125 Hz assumed n=30000 nan=0",
        "RSP [] other 125 Hz assumed n=30000 nan=0",
    ];
    assert_eq!(summary(&rec), expected);
    assert!(
        rec.notices[0].contains("no time column") && rec.notices[0].contains("125 Hz assumed")
    );
    let given = OpenOptions {
        sample_rate_hz: Some(100.0),
        ..OpenOptions::default()
    };
    let rec = CsvReader.read(Path::new(&path), &given).unwrap();
    assert_eq!(
        (summary(&rec)[1].as_str(), rec.notices.len()),
        ("PPG [] PPG 100 Hz n=30000 nan=0", 0)
    );
}

#[test]
fn time_units_labels_units_and_gaps() {
    let text =
        "t [ms],PPG [NU],ecg (mV),note\n0,1,2,x\n4,,NaN,y\n8,NA,3,z\n12,abc,4,w\n16,null,5,v\n";
    let rec = read(text, &OpenOptions::default()).unwrap();
    let expected = [
        "PPG [NU] PPG 250 Hz n=5 nan=4",
        "ecg [mV] ECG (lead unknown) 250 Hz n=5 nan=1",
    ];
    assert_eq!(summary(&rec), expected);
    let skipped =
        "column `note` holds text, not numbers (5 of 5 filled cells), so it was skipped";
    let gaps =
        "1 cell in column `PPG [NU]` is not a number and was read as gaps; first at row 5";
    assert_eq!(rec.notices, [gaps, skipped]);
    let semicolons = read(
        "Time (s);PPG\r\n0,0;0,5\r\n0,5;1,5\r\n1,0;2\r\n",
        &OpenOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (
            summary(&semicolons)[0].as_str(),
            semicolons.channels[0].samples[1]
        ),
        ("PPG [] PPG 2 Hz n=3 nan=0", 1.5)
    );
    let tabs = read(
        "\u{feff}time_s\tppg\n0.00\t1\n0.01\t2\n0.02\t3\n",
        &OpenOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (summary(&tabs), tabs.notices.len()),
        (vec!["ppg [] PPG 100 Hz n=3 nan=0".to_string()], 0)
    );
}

#[test]
fn requested_columns_are_found_or_named() {
    let text = "time,ppg,ecg,note\n0,1,2,a\n1,2,3,b\n";
    assert_eq!(
        read(text, &columns(&["ecg"])).unwrap().channels[0].label,
        "ecg"
    );
    let err = read(text, &columns(&["ppg", "spo2"])).unwrap_err();
    assert_eq!(
        (err.field.as_str(), kind(&err).as_str()),
        ("column `spo2`", "Invalid")
    );
    assert!(
        err.to_string()
            .contains("the columns are: time, ppg, ecg, note"),
        "{err}"
    );
    let err = read(text, &columns(&["note"])).unwrap_err();
    assert_eq!(
        (err.field.as_str(), kind(&err).as_str()),
        ("column `note`", "Invalid")
    );
}

#[test]
fn malformed_files_name_the_field() {
    let cases: [(&[u8], &str, &str); 10] = [
        (b"", "file", "Empty"),
        (b" \n\n", "file", "Empty"),
        (b"time_s,ppg\n", "data rows", "Invalid"),
        (b"0,1\n0.01,2\n", "header row", "Invalid"),
        (b"time_s,ppg\n0,1\n0.01,2\n0.0", "row 4", "Invalid"),
        (b"time_s,ppg\n0,1\n0.01,\xff\n", "row 3", "NotText"),
        (b"a,b\nx,y\n", "columns", "Invalid"),
        (
            b"time_s,ppg\n0,1\n0.01,2\n0.005,3\n",
            "column `time_s`, row 4",
            "Invalid",
        ),
        (
            b"time_s,ppg\n0.00,1\n0.01,2\n0.02,3\n0.05,4\n0.06,5\n",
            "column `time_s`, row 5",
            "Invalid",
        ),
        (
            b"time_s,ppg\n0,1\n0.01,2\nlate,3\n",
            "column `time_s`, row 4",
            "Invalid",
        ),
    ];
    for (bytes, field, expected_kind) in cases {
        let err = read_bytes(Path::new("x.csv"), bytes, &OpenOptions::default()).unwrap_err();
        assert_eq!(
            (err.field.as_str(), kind(&err).as_str()),
            (field, expected_kind),
            "{err}"
        );
    }
    // A repeated time at 100 Hz written with 2 decimals is a duplicated row, not rounding.
    let rows: Vec<String> = (0..50)
        .map(|i| format!("{:.2},{i}", f64::from(i.max(1) - 1) / 100.0))
        .collect();
    let err = read(
        &format!("time_s,ppg\n{}\n", rows.join("\n")),
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.field, "column `time_s`, row 3", "{err}");
    assert!(err.to_string().contains("must increase"), "{err}");
    let err = read("time_s,ppg\n0,1\n0.01,2\n0.0", &OpenOptions::default()).unwrap_err();
    assert!(err.to_string().contains("cut off"), "{err}");
    let err = read(
        "time_s,ppg\n0.00,1\n0.01,2\n0.02,3\n0.05,4\n",
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("irregular sampling"), "{err}");
}

#[test]
fn gzip_is_read_and_bombs_are_refused() {
    let path = Path::new("x.csv.gz");
    let rec = read_bytes(
        path,
        &gzip(b"time_s,ppg\n0,1\n0.5,2\n"),
        &OpenOptions::default(),
    )
    .unwrap();
    assert_eq!(summary(&rec), ["ppg [] PPG 2 Hz n=2 nan=0"]);
    assert!(CsvReader.sniff(b"\x1f\x8b\x08") && !CsvReader.sniff(b"time_s,ppg"));
    let err = gunzip(path, &gzip(&[b'0'; 10_000]), 1000).unwrap_err();
    assert_eq!(
        (err.field.as_str(), kind(&err).as_str()),
        ("gzip stream", "Invalid")
    );
    // Concatenated gzip members of 1 MiB of zeros each: ~1000:1, past 200:1 + 64 MiB at 100 MiB.
    let member = gzip(&vec![0u8; 1 << 20]);
    let err = read_bytes(path, &member.repeat(100), &OpenOptions::default()).unwrap_err();
    assert_eq!(
        (err.field.as_str(), kind(&err).as_str()),
        ("gzip stream", "Invalid")
    );
    let err =
        read_bytes(path, &member[..member.len() - 10], &OpenOptions::default()).unwrap_err();
    assert_eq!(
        (err.field.as_str(), kind(&err).as_str()),
        ("gzip stream", "Io")
    );
}
