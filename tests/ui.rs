//! The review workspace clicked through as a person would, by accessible label, headless
//! (egui_kittest; snapshots rendered by wgpu on Mesa's lavapipe in CI). Every test works on
//! copies of the bundled samples in a temporary folder, so review sidecars never land in the
//! source tree, and computes attributions with few IG steps so that a CPU finishes in seconds.
#![cfg(feature = "gui")]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cardioppg::explain::{Baseline, IgSettings};
use cardioppg::io::OpenOptions;
use cardioppg::model::device::DevicePreference;
use cardioppg::review::{Edit, ReviewSession, Verdict};
use cardioppg::ui::view::Tab;
use cardioppg::ui::{AppConfig, ExportKind, ReviewApp};
use egui::{Key, Modifiers, Pos2};
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions};

const SAMPLE: &str = "mimic_perform_af_001_AF_60s.edf";
const WAIT: Duration = Duration::from_secs(300);

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let samples = dir.path().join("samples");
        std::fs::create_dir_all(&samples).unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
        for file in [SAMPLE, "mimic_perform_non_af_002_nonAF_60s.hea", "mimic_perform_non_af_002_nonAF_60s.dat", "README.md"] {
            std::fs::copy(source.join(file), samples.join(file)).unwrap();
        }
        // The notices the About window shows, as an installed package has them.
        std::fs::create_dir_all(samples.join("LICENSES")).unwrap();
        for entry in std::fs::read_dir(source.join("LICENSES")).unwrap().flatten() {
            std::fs::copy(entry.path(), samples.join("LICENSES").join(entry.file_name())).unwrap();
        }
        Workspace { dir }
    }

    fn sample(&self) -> PathBuf {
        self.dir.path().join("samples").join(SAMPLE)
    }

    fn config(&self) -> AppConfig {
        AppConfig {
            device: DevicePreference::Cpu,
            data_dir: self.dir.path().join("data"),
            open_options: OpenOptions::default(),
            sample_dir: Some(self.dir.path().join("samples")),
            class_map_settings: IgSettings { baseline: Baseline::DEFAULT_LOW_PASS, steps: 8, ..IgSettings::default() },
            beat_map_settings: IgSettings { steps: 4, ..IgSettings::default() },
        }
    }

    fn harness(&self, initial: Option<PathBuf>) -> Harness<'static, ReviewApp> {
        let config = self.config();
        Harness::builder().with_size([1400.0, 900.0]).build_eframe(move |cc| ReviewApp::new(&cc.egui_ctx, initial, config))
    }
}

/// Steps frames until `done` holds (the workers run on their own threads meanwhile).
fn step_until(harness: &mut Harness<'_, ReviewApp>, what: &str, done: impl Fn(&ReviewApp) -> bool) {
    let start = Instant::now();
    while !done(harness.state()) {
        assert!(start.elapsed() < WAIT, "timed out after {WAIT:?} waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run_steps(3);
}

fn analysed(app: &ReviewApp) -> bool {
    app.analysis().is_some_and(|a| a.model.is_some()) && app.attributions().is_some_and(|c| c.progress().finished)
}

fn click_at(harness: &mut Harness<'_, ReviewApp>, pos: Pos2) {
    harness.hover_at(pos);
    harness.step();
    harness.drag_at(pos);
    harness.step();
    harness.drop_at(pos);
    harness.run_steps(2);
}

fn snapshot(harness: &mut Harness<'_, ReviewApp>, name: &str) {
    harness.remove_cursor();
    harness.run_steps(2);
    // Text antialiasing differs slightly between Mesa versions; layout changes move far more
    // than 0.5 % of the pixels.
    let options = SnapshotOptions::new().threshold(2.0).max_failed_pixels(1400 * 900 / 200);
    harness.snapshot_options(name, &options);
}

#[test]
fn a_reviewer_opens_a_sample_steps_beats_links_cursors_notes_and_finds_it_all_on_reopening() {
    let ws = Workspace::new();
    let mut harness = ws.harness(None);
    harness.run_steps(3);
    // The welcome screen lists the bundled samples.
    harness.get_by_label(&format!("Open {SAMPLE}")).click();
    step_until(&mut harness, "the network and the attributions", analysed);
    harness.get_by_label("P(AF)");
    harness.get_by_label_contains("not a diagnosis");
    harness.get_by_label_contains("Device: CPU");
    harness.get_by_label_contains("Model: CardioPPG-AF");
    // The rhythm extension sits apart from the network's findings, named as what it is.
    harness.get_by_label("Rhythm extension (not the network)");
    harness.get_by_label_contains("P(AF) from pulse-interval irregularity");
    harness.get_by_label("Generated ECG strip");
    snapshot(&mut harness, "strip");

    // Arrows page beats.
    harness.key_press(Key::ArrowRight);
    harness.key_press(Key::ArrowRight);
    harness.run_steps(2);
    assert_eq!(harness.state().view().beat, 2);
    let beats = harness.state().analysis().unwrap().beats.as_ref().unwrap().beats.len();
    harness.get_by_label(&format!("beat 3 / {beats}"));
    harness.key_press(Key::End);
    harness.run_steps(2);
    assert_eq!(harness.state().view().beat, beats - 1);
    harness.key_press(Key::Home);
    harness.run_steps(2);
    assert_eq!(harness.state().view().beat, 0);
    // A usable beat for the heatmap.
    let usable = cardioppg::model::infer::usable_beats(harness.state().analysis().unwrap().beats.as_ref().unwrap());
    let beat = usable[2];
    for _ in 0..beat {
        harness.key_press(Key::ArrowRight);
    }
    harness.run_steps(2);
    assert_eq!(harness.state().view().beat, beat);

    // The Beat view computes the 300x300 map; a click on a cell moves both linked cursors.
    harness.get_by_label("Beat").click();
    harness.run_steps(2);
    assert_eq!(harness.state().view().tab, Tab::Beat);
    step_until(&mut harness, "the beat's 300x300 map", |app| !app.is_busy() && app.has_beat_map(beat));
    let heat = harness.get_by_label("IG heatmap").rect();
    let (i, j) = (225usize, 75usize);
    let cell = Pos2::new(heat.left() + (j as f32 + 0.5) / 300.0 * heat.width(), heat.top() + (i as f32 + 0.5) / 300.0 * heat.height());
    click_at(&mut harness, cell);
    assert_eq!(harness.state().view().cell, Some((i, j)));
    harness.get_by_label_contains(&format!("ECG cursor: point {i} "));
    harness.get_by_label_contains(&format!("PPG cursor: point {j} "));
    harness.get_by_label_contains("Completeness:");
    harness.remove_cursor();
    harness.run_steps(2);
    snapshot(&mut harness, "beat");

    // Agree with a finding, write a note, mark the beat; each is saved at once.
    harness.get_all_by_label("Agree").next().unwrap().click();
    harness.run_steps(2);
    let note = "Irregular RR; generated QRS plausible.";
    harness.get_by_label("Notes").focus();
    harness.run_steps(1);
    harness.get_by_label("Notes").type_text(note);
    harness.run_steps(2);
    let review = harness.state().review().unwrap();
    assert_eq!(review.review().notes, note);
    assert_eq!(review.review().verdicts.get("AF"), Some(&Verdict::Agree));
    let sidecar = review.path().to_path_buf();
    assert!(std::fs::read_to_string(&sidecar).unwrap().contains(note), "{} lacks the note", sidecar.display());

    // Undo / redo with the keyboard (outside the text field): the note is one undo step.
    harness.key_press(Key::Escape);
    harness.get_by_label("Overview").hover();
    harness.run_steps(2);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_steps(2);
    assert_eq!(harness.state().review().unwrap().review().notes, "");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Y);
    harness.run_steps(2);
    assert_eq!(harness.state().review().unwrap().review().notes, note);
    harness.key_press(Key::M);
    harness.run_steps(2);
    assert!(harness.state().review().unwrap().review().beat_marks.contains_key(&beat));
    drop(harness);

    // Reopen: everything entered is back, from the file on disk.
    let mut harness = ws.harness(Some(ws.sample()));
    step_until(&mut harness, "the reopened recording", |app| app.review().is_some());
    let review = harness.state().review().unwrap().review().clone();
    assert_eq!(review.notes, note);
    assert_eq!(review.verdicts.get("AF"), Some(&Verdict::Agree));
    assert!(review.beat_marks.contains_key(&beat));
    assert!(harness.query_all_by_value(note).next().is_some(), "the note is shown again");
    harness.get_by_label_contains(&format!("beat {}: marked", beat + 1));

    // The report from the workspace carries the reviewer's state (the save dialog itself is
    // rfd's; the export behind it is what is tested).
    step_until(&mut harness, "the network on the reopened recording", analysed);
    harness.get_by_label("Export PDF…");
    let pdf = ws.dir.path().join("from-workspace.pdf");
    harness.state_mut().export(ExportKind::Pdf, pdf.clone());
    step_until(&mut harness, "the PDF export", |app| !app.is_exporting());
    assert_eq!(harness.state().export_status(), Some(format!("Exported {}", pdf.display()).as_str()));
    if let Some(text) = common::pdf_text(&pdf) {
        assert!(text.contains(note) && text.contains("agrees"), "the workspace's review is in the report:\n{text}");
    }
}

#[test]
fn a_file_the_app_cannot_read_shows_the_readers_error_and_the_app_stays_usable() {
    let ws = Workspace::new();
    let bad = ws.dir.path().join("samples").join("truncated.edf");
    let bytes = std::fs::read(ws.sample()).unwrap();
    std::fs::write(&bad, &bytes[..300]).unwrap();
    let mut harness = ws.harness(Some(bad.clone()));
    step_until(&mut harness, "the error", |app| !app.is_busy() && app.error().is_some());
    let error = harness.state().error().unwrap().to_string();
    assert!(error.contains("truncated.edf"), "the error names the file: {error}");
    harness.get_by_label_contains("truncated.edf");
    // Still usable: the welcome screen opens a good file.
    harness.get_by_label(&format!("Open {SAMPLE}")).click();
    step_until(&mut harness, "the good file", |app| app.analysis().is_some_and(|a| a.model.is_some()));
    assert!(harness.state().error().is_none());
}

#[test]
fn the_help_overlay_lists_every_shortcut() {
    let ws = Workspace::new();
    let mut harness = ws.harness(None);
    harness.run_steps(2);
    harness.key_press(Key::F1);
    harness.run_steps(2);
    harness.get_by_label("Keyboard shortcuts");
    for (_, _, _, what) in cardioppg::ui::help::SHORTCUTS {
        assert!(harness.query_all_by_label(what).next().is_some(), "help lacks {what}");
    }
    snapshot(&mut harness, "help");
}

#[test]
fn a_first_run_on_the_cpu_says_so_settings_persist_and_about_shows_versions_card_and_licences() {
    let ws = Workspace::new();
    let mut harness = ws.harness(None);
    step_until(&mut harness, "the worker's device", |app| app.device().is_some());
    // No GPU in tests (the CPU is asked for): the notice is up, in words, not as an error.
    harness.get_by_label_contains("No GPU was found, so the network runs on the CPU");
    assert!(harness.state().error().is_none());
    snapshot(&mut harness, "first-run");

    harness.get_by_label("Settings").click();
    harness.run_steps(2);
    harness.get_by_label("Reviewer name").focus();
    harness.run_steps(1);
    harness.get_by_label("Reviewer name").type_text("Dr. Ana Ruiz");
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    harness.get_by_label("Don't show again").click();
    harness.state_mut().view_mut().speed_mm_per_s = 50.0;
    harness.run_steps(3);
    let settings = std::fs::read_to_string(ws.dir.path().join("data/settings.json")).unwrap();
    assert!(settings.contains("Dr. Ana Ruiz") && settings.contains("\"cpu_notice_dismissed\": true"), "{settings}");
    // Two harnesses in one test: their snapshot results are checked together at the end.
    let mut snapshots = harness.take_snapshot_results();
    drop(harness);

    // The next run: no notice, the strip at the speed last set, and the name in a new review.
    let mut harness = ws.harness(Some(ws.sample()));
    step_until(&mut harness, "the sample", |app| app.device().is_some() && app.analysis().is_some_and(|a| a.model.is_some()));
    assert!(harness.query_by_label_contains("No GPU was found").is_none());
    assert_eq!(harness.state().view().speed_mm_per_s, 50.0);
    assert_eq!(harness.get_by_label("Reviewer").value().as_deref(), Some("Dr. Ana Ruiz"));
    harness.get_by_label("Sign off").click();
    harness.run_steps(2);
    let review = harness.state().review().unwrap().review().clone();
    assert_eq!(review.reviewer, "Dr. Ana Ruiz");
    assert!(review.signed_off_unix_secs.is_some());

    // A colleague's review: editing its notes must not make their name the remembered one.
    let other = ws.dir.path().join("samples/mimic_perform_non_af_002_nonAF_60s.hea");
    let (mut colleague, _) = ReviewSession::open(&other, &ws.dir.path().join("data/reviews")).unwrap();
    colleague.apply(Edit::SetReviewer("Dr. Colleague".into()));
    colleague.save().unwrap();
    harness.state_mut().open(other.clone());
    // Waits for the attributions too, so the snapshot below has no progress bar in it.
    step_until(&mut harness, "the colleague's recording", |app| analysed(app) && app.analysis().is_some_and(|a| a.recording.source_path == other));
    assert_eq!(harness.state().review().unwrap().review().reviewer, "Dr. Colleague");
    harness.get_by_label("Notes").focus();
    harness.run_steps(1);
    harness.get_by_label("Notes").type_text("second opinion");
    harness.run_steps(1);
    harness.get_by_label("Reviewer").focus();
    harness.run_steps(2);
    assert_eq!(harness.state().review().unwrap().review().notes, "second opinion");
    let settings = std::fs::read_to_string(ws.dir.path().join("data/settings.json")).unwrap();
    assert!(settings.contains("Dr. Ana Ruiz") && !settings.contains("Dr. Colleague"), "{settings}");

    harness.get_by_label("Help").click();
    harness.run_steps(2);
    harness.get_by_label("About CardioPPG Review").click();
    harness.run_steps(3);
    harness.get_by_label(&format!("CardioPPG Review {}", env!("CARGO_PKG_VERSION")));
    harness.get_by_label("Network runs on");
    let device = harness.state().device().unwrap().to_string();
    assert!(device.starts_with("CPU"), "{device}");
    harness.get_by_label(&device);
    harness.get_by_label("Weights SHA-256");
    harness.get_by_label_contains("rhythm extension 1.0.1 (not the network), fitted on");
    harness.get_by_label("burn");
    harness.get_by_label("Model card").click();
    harness.run_steps(3);
    harness.get_by_label_contains("Not a diagnostic device.");
    harness.get_by_label_contains("Intended use");
    snapshot(&mut harness, "about-model-card");
    harness.get_by_label("Licences").click();
    harness.run_steps(3);
    harness.get_by_label("MIT OR Apache-2.0, at your option.");
    harness.get_by_label("sample-data/LICENSES/ODbL-1.0.txt");
    harness.get_by_label("LICENSE-DejaVu.txt");
    harness.get_by_label_contains("Rust crates compiled in");
    snapshots.extend_harness(&mut harness);
    snapshots.unwrap();
}
