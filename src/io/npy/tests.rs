//! Tests of the npy reader.

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
