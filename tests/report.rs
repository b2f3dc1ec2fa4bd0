//! The PDF report, the batch and the EDF+ export on the bundled sample recordings, read back the
//! way a user's tools read them: poppler for the PDF (text, pages, embedded fonts, rendered
//! pages), the project's own EDF reader for the export.

mod common;

use std::path::{Path, PathBuf};

use cardioppg::batch::{BatchOptions, run_batch};
use cardioppg::headless::Headless;
use cardioppg::io::OpenOptions;
use cardioppg::model::device::{DevicePreference, select};
use cardioppg::report::{NoneKnown, ReportOptions, write_pdf};
use cardioppg::review::{Edit, ReviewSession, Verdict};
use common::{pdf_text, poppler};

const SAMPLE: &str = "mimic_perform_af_001_AF_60s.edf";

fn sample_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data")
}

/// Few IG steps: the tests check the report, not the attributions' accuracy.
fn quick_options() -> ReportOptions {
    let mut options = ReportOptions { max_heatmaps: 1, ..ReportOptions::default() };
    options.ig.steps = 4;
    options.class_ig.steps = 4;
    options
}

fn headless() -> Headless {
    Headless::load(select(DevicePreference::Cpu)).expect("the bundled model loads")
}

/// A copy of the AF sample with a signed review: two marked beats, a verdict and a note.
fn reviewed_sample(dir: &Path) -> PathBuf {
    let path = dir.join(SAMPLE);
    std::fs::copy(sample_data().join(SAMPLE), &path).unwrap();
    let (mut session, _) = ReviewSession::open(&path, &dir.join("fallback")).unwrap();
    session.apply(Edit::SetReviewer("Dr Ana Müller".into()));
    session.apply(Edit::SetVerdict { class: "AF".into(), verdict: Some(Verdict::Agree) });
    session.apply(Edit::SetNotes("Irregularly irregular pulse; generated QRS plausible.".into()));
    session.apply(Edit::SetBeatMark { beat: 10, mark: Some("ectopic?".into()) });
    session.apply(Edit::SetBeatMark { beat: 40, mark: Some(String::new()) });
    session.apply(Edit::SignOff { at: Some(cardioppg::review::now_unix_secs()), edited_after: false });
    session.save().unwrap();
    path
}

#[test]
fn the_report_carries_provenance_findings_review_and_a_page_per_marked_beat() {
    let dir = tempfile::tempdir().unwrap();
    let path = reviewed_sample(dir.path());
    let headless = headless();
    let analysed = headless.analyse(&path, &OpenOptions::default()).unwrap();
    let input = headless.report(&analysed, quick_options(), &NoneKnown, &mut |_| {}).unwrap();
    assert_eq!(input.beats.iter().map(|b| b.index).collect::<Vec<_>>(), vec![10, 40], "the marked beats get pages");
    assert!(input.beats[0].ecg_map.is_some() && input.beats[1].ecg_map.is_none(), "one heatmap, as asked");
    let out = dir.path().join("report.pdf");
    write_pdf(&out, &input).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "a PDF file");

    let Some(text) = pdf_text(&out) else { return };
    let patient = analysed.analysis.recording.metadata.patient.trim().to_string();
    for expected in [
        SAMPLE,
        &analysed.recording_sha256,
        &headless.model.manifest.weights_sha256,
        &headless.model.manifest.name,
        "not a diagnosis",
        "GENERATED",
        "Dr Ana Müller",
        "Irregularly irregular pulse",
        "signed off",
        "agrees",
        "ectopic?",
        "25 mm/s, 10 mm/mV",
        "Completeness",
        "upstroke",
        "page 1 of 3",
        "page 3 of 3",
        &format!("CardioPPG Review {}", env!("CARGO_PKG_VERSION")),
    ] {
        assert!(text.contains(expected), "the report lacks {expected:?}:\n{text}");
    }
    let flowing = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flowing.contains("from pulse-interval irregularity") && flowing.contains("(rhythm extension beside the network, not a diagnosis)"), "the rhythm extension, named:\n{text}");
    if !patient.is_empty() {
        assert!(text.contains(&patient), "the patient field {patient:?} is printed");
    }
    let info = poppler("pdfinfo", &[&out.display().to_string()]).unwrap();
    assert!(info.lines().any(|l| l.starts_with("Pages:") && l.trim_end().ends_with(" 3")), "{info}");
    assert!(info.contains("A4"), "A4 pages: {info}");
    let fonts = poppler("pdffonts", &[&out.display().to_string()]).unwrap();
    let dejavu: Vec<&str> = fonts.lines().filter(|l| l.contains("DejaVuSans")).collect();
    assert!(!dejavu.is_empty(), "the bundled font is used: {fonts}");
    // Columns: name type encoding emb sub uni object ID.
    assert!(dejavu.iter().all(|l| l.split_whitespace().rev().nth(4) == Some("yes")), "every font embedded: {fonts}");
    // The pages as a person sees them, kept for looking at (target/tmp/report-*.png).
    let pngs = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report");
    poppler("pdftoppm", &["-png", "-r", "80", &out.display().to_string(), &pngs.display().to_string()]).unwrap();
    std::fs::copy(&out, Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.pdf")).unwrap();
}

#[test]
fn an_anonymised_report_leaves_the_patient_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SAMPLE);
    std::fs::copy(sample_data().join(SAMPLE), &path).unwrap();
    let headless = headless();
    let analysed = headless.analyse(&path, &OpenOptions::default()).unwrap();
    let patient = analysed.analysis.recording.metadata.patient.trim().to_string();
    let options = ReportOptions { anonymise: true, max_heatmaps: 0, ..quick_options() };
    let input = headless.report(&analysed, options, &NoneKnown, &mut |_| {}).unwrap();
    assert_eq!(input.beats.len(), 2, "no marks: the most and the least typical beat");
    let out = dir.path().join("anon.pdf");
    write_pdf(&out, &input).unwrap();
    let Some(text) = pdf_text(&out) else { return };
    assert!(text.contains("anonymised"), "{text}");
    assert!(text.contains("most typical") && text.contains("least typical"), "{text}");
    assert!(patient.is_empty() || !text.contains(&patient), "the patient field {patient:?} must not appear");
    assert!(!text.contains(SAMPLE) && !text.contains("2000-01-01"), "file name and date withheld:\n{text}");
}

#[test]
fn a_batch_over_the_samples_writes_one_pdf_and_row_each_reports_failures_and_skips_on_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let input_dir = dir.path().join("in");
    std::fs::create_dir_all(&input_dir).unwrap();
    let mut expected = Vec::new();
    for entry in std::fs::read_dir(sample_data()).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if ["edf", "hea", "dat", "csv", "npy"].iter().any(|e| name.ends_with(e)) {
            std::fs::copy(&p, input_dir.join(&name)).unwrap();
            if !name.ends_with(".dat") {
                expected.push(name);
            }
        }
    }
    std::fs::write(input_dir.join("broken.edf"), b"0       not really an EDF header").unwrap();
    let out = dir.path().join("out");
    let headless = headless();
    let options = BatchOptions { report: ReportOptions { max_heatmaps: 0, ..quick_options() }, open: OpenOptions::default(), threads: 2 };
    let rows = run_batch(&input_dir, &out, &headless, &options, &|_| {}).unwrap();
    let broken = rows.iter().find(|r| r.file == "broken.edf").expect("the broken file has a row");
    assert!(broken.error.contains("broken.edf"), "the error names the file: {}", broken.error);
    for name in &expected {
        let row = rows.iter().find(|r| &r.file == name).unwrap_or_else(|| panic!("no row for {name}"));
        assert!(row.error.is_empty(), "{name}: {}", row.error);
        assert!(out.join(&row.report).is_file(), "{name}: no PDF");
        assert_eq!(row.sha256.len(), 64);
        assert!(row.usable_beats.unwrap() > 30 && row.heart_rate_bpm.unwrap() > 30.0, "{row:?}");
        assert!(row.probabilities.iter().all(Option::is_some), "readable findings: {row:?}");
    }
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(csv.lines().count(), expected.len() + 2, "header + one row per recording:\n{csv}");
    assert!(csv.lines().next().unwrap().starts_with("file,sha256,duration_secs,detected_beats,usable_beats,heart_rate_bpm,p_AF_mean"));

    let rerun = run_batch(&input_dir, &out, &headless, &options, &|_| {}).unwrap();
    for row in &rerun {
        assert_eq!(row.skipped, row.error.is_empty(), "done recordings are skipped, failed ones retried: {row:?}");
    }
    assert_eq!(std::fs::read_to_string(out.join("summary.csv")).unwrap(), csv, "the rerun keeps the same summary");
}

#[test]
fn the_edf_export_round_trips_through_our_reader_with_the_generated_channel_and_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let path = reviewed_sample(dir.path());
    let headless = headless();
    let analysed = headless.analyse(&path, &OpenOptions::default()).unwrap();
    let out = dir.path().join("export.edf");
    cardioppg::export::export_edf(&out, &analysed.analysis, &analysed.review).unwrap();
    let back = cardioppg::io::open(&out).unwrap();
    let original = &analysed.analysis.recording;
    assert_eq!(back.channels.len(), original.channels.len() + 1);
    for (a, b) in original.channels.iter().zip(&back.channels) {
        assert_eq!((a.label.as_str(), a.sample_rate_hz), (b.label.as_str(), b.sample_rate_hz));
        assert_eq!(a.samples.len(), b.samples.len(), "{}", a.label);
        let (lo, hi) = cardioppg::dsp::finite_range(&a.samples).unwrap();
        let step = f64::from(hi - lo) / 65534.0;
        for (x, y) in a.samples.iter().zip(&b.samples) {
            assert!((f64::from(*x) - f64::from(*y)).abs() <= step, "{}: {x} vs {y}", a.label);
        }
    }
    let generated = back.channels.last().unwrap();
    assert_eq!(generated.label, cardioppg::export::GENERATED_LABEL);
    assert!(generated.transducer.contains("synthetic"), "{}", generated.transducer);
    assert_eq!(generated.role, cardioppg::io::ChannelRole::Other, "read back, the generated trace is not a recorded ECG");
    assert_eq!(back.ecg_channel(), original.ecg_channel(), "the reference ECG is still the recorded one");
    let texts: Vec<&str> = back.annotations.iter().map(|a| a.text.as_str()).collect();
    let beats = analysed.analysis.beats.as_ref().unwrap();
    assert_eq!(texts.iter().filter(|t| t.starts_with("beat ")).count(), beats.beats.len(), "every beat annotated");
    assert!(texts.iter().any(|t| t.contains("review mark beat 11: ectopic?")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("Dr Ana Müller agrees with AF")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("not a diagnosis")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("rhythm extension") && t.contains("P(AF)")), "{texts:?}");
    // Exporting the export again replaces the generated channel and our annotations.
    let again = dir.path().join("again.edf");
    let reread = cardioppg::analysis::Analysis::new(back.clone()).with_model(analysed.analysis.model.as_deref().unwrap().clone());
    cardioppg::export::export_edf(&again, &reread, &analysed.review).unwrap();
    let twice = cardioppg::io::open(&again).unwrap();
    assert_eq!(twice.channels.len(), back.channels.len(), "one GENERATED channel");
    assert_eq!(twice.annotations.len(), back.annotations.len(), "no doubled annotations");
    let onset = back.annotations.iter().find(|a| a.text == "beat 1 usable" || a.text.starts_with("beat 1 ")).unwrap().onset_secs;
    assert!((onset - beats.beats[0].onset_secs).abs() < 1e-6);
}
