//! The main window: menu and status bars, the welcome screen, and the review workspace
//! (overview, Strip / Beat / Channels tabs, findings and review panel). The app holds the
//! current immutable analysis and the reviewer's session; all heavy work is on the workers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use egui::{Color32, RichText, TextureHandle};

use super::help::{self, Shortcut};
use super::paper::{SPEEDS_MM_PER_S, step_choice};
use super::prefs::Prefs;
use super::side::{self, SideAction};
use super::view::{Tab, ViewState};
use super::worker::{Command, Event, KnownMaps, ModelInfo, Worker};
use super::{about, beat_view, channels, overview, settings, strip, welcome};
use crate::analysis::Analysis;
use crate::headless::Analysed;
use crate::report::ReportOptions;
use crate::explain::{AttributionCache, Baseline, EcgMap, IgSettings};
use crate::io::OpenOptions;
use crate::model::device::DevicePreference;
use crate::review::{Edit, ReviewSession};

/// How the app is set up: where it keeps its files, where the network runs, how attributions
/// are computed. Tests pass their own (a temporary data folder, few IG steps).
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub device: DevicePreference,
    /// Settings, recent files, and reviews of recordings in read-only folders.
    pub data_dir: PathBuf,
    pub open_options: OpenOptions,
    /// The bundled sample recordings the welcome screen lists.
    pub sample_dir: Option<PathBuf>,
    /// Per-class maps of every beat. Default: the low-pass ("blurred") baseline, whose
    /// completeness error was 0.5 % (median) against 89 % for the zero baseline (README).
    pub class_map_settings: IgSettings,
    /// The 300×300 map of the beat under review. Default: the paper's zero baseline, 64 steps.
    pub beat_map_settings: IgSettings,
}

impl AppConfig {
    pub fn for_user(open_options: OpenOptions) -> Self {
        let reviews = crate::review::default_fallback_dir();
        let data_dir = reviews.parent().map_or(reviews.clone(), |p| p.to_path_buf());
        Self {
            device: DevicePreference::Auto,
            data_dir,
            open_options,
            sample_dir: crate::io::samples::sample_data_dir(),
            class_map_settings: IgSettings { baseline: Baseline::DEFAULT_LOW_PASS, ..IgSettings::default() },
            beat_map_settings: IgSettings::default(),
        }
    }

    fn review_fallback_dir(&self) -> PathBuf {
        self.data_dir.join("reviews")
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExportKind {
    Pdf,
    Edf,
}

enum Activity {
    Idle,
    Opening(PathBuf),
    /// The network over the usable beats.
    Running { done: usize, total: usize },
}

pub struct ReviewApp {
    worker: Worker,
    config: AppConfig,
    prefs: Prefs,
    device: Option<String>,
    model: Option<Result<ModelInfo, String>>,
    analysis: Option<Arc<Analysis>>,
    attributions: Option<Arc<AttributionCache>>,
    /// Counts opened analyses: beat maps from an older one are dropped.
    generation: u64,
    activity: Activity,
    /// The last error, shown in a banner; the app stays usable.
    error: Option<String>,
    file_dialog: Option<Receiver<Option<PathBuf>>>,
    /// A save dialog for an export is up.
    export_dialog: Option<(ExportKind, Receiver<Option<PathBuf>>)>,
    /// What the running export does, or how the last one ended.
    export_status: Option<String>,
    exporting: bool,
    view: ViewState,
    review: Option<ReviewSession>,
    review_status: String,
    review_warnings: Vec<String>,
    beat_maps: HashMap<usize, Arc<EcgMap>>,
    beat_map_pending: Option<usize>,
    beat_map_errors: HashMap<usize, String>,
    heatmap_texture: Option<(usize, bool, TextureHandle, f32)>,
    show_help: bool,
    show_settings: bool,
    about: about::About,
    /// The "network runs on the CPU" notice is up (no GPU, and not dismissed for good).
    cpu_notice: bool,
    /// Whether the network runs on a GPU, once the worker has said.
    is_gpu: Option<bool>,
    /// The reviewer typed in the Reviewer field since its last loss of focus: the name to
    /// remember then (edits to notes or marks of a colleague's review must not change it).
    reviewer_typed: bool,
    /// Time the user asked to see in the Channels tab (annotation clicked).
    jump_to_secs: Option<f64>,
}

impl ReviewApp {
    /// `initial`: a file to open at start (command line or recent file).
    pub fn new(ctx: &egui::Context, initial: Option<PathBuf>, config: AppConfig) -> Self {
        // egui's bundled font has no arrows, ≥, Σ or α, which the model card and the guide use.
        ctx.add_font(egui::epaint::text::FontInsert::new(
            "DejaVuSans",
            egui::FontData::from_static(crate::report::canvas::REGULAR),
            [egui::FontFamily::Proportional, egui::FontFamily::Monospace].into_iter().map(|family| egui::epaint::text::InsertFontFamily { family, priority: egui::epaint::text::FontPriority::Lowest }).collect(),
        ));
        let repaint = ctx.clone();
        let worker = Worker::spawn(config.device, config.class_map_settings, move || repaint.request_repaint());
        let (prefs, prefs_warning) = Prefs::load(&config.data_dir);
        let view = ViewState { screen_dpi: prefs.screen_dpi, speed_mm_per_s: prefs.speed_mm_per_s, gain_mm_per_mv: prefs.gain_mm_per_mv, ..ViewState::default() };
        let mut config = config;
        config.beat_map_settings.steps = prefs.heatmap_steps.unwrap_or(config.beat_map_settings.steps);
        config.beat_map_settings.baseline = prefs.heatmap_baseline.unwrap_or(config.beat_map_settings.baseline);
        let mut app = ReviewApp {
            worker,
            config,
            prefs,
            device: None,
            model: None,
            analysis: None,
            attributions: None,
            generation: 0,
            activity: Activity::Idle,
            error: prefs_warning,
            file_dialog: None,
            export_dialog: None,
            export_status: None,
            exporting: false,
            view,
            review: None,
            review_status: String::new(),
            review_warnings: Vec::new(),
            beat_maps: HashMap::new(),
            beat_map_pending: None,
            beat_map_errors: HashMap::new(),
            heatmap_texture: None,
            show_help: false,
            show_settings: false,
            about: about::About::default(),
            cpu_notice: false,
            is_gpu: None,
            reviewer_typed: false,
            jump_to_secs: None,
        };
        if let Some(path) = initial {
            app.open(path);
        }
        app
    }

    /// The analysis on screen (tests and benchmarks read it).
    pub fn analysis(&self) -> Option<&Arc<Analysis>> {
        self.analysis.as_ref()
    }

    pub fn view(&self) -> &ViewState {
        &self.view
    }

    pub fn view_mut(&mut self) -> &mut ViewState {
        &mut self.view
    }

    pub fn review(&self) -> Option<&ReviewSession> {
        self.review.as_ref()
    }

    pub fn attributions(&self) -> Option<&Arc<AttributionCache>> {
        self.attributions.as_ref()
    }

    /// Whether the 300×300 map of `beat` has arrived.
    pub fn has_beat_map(&self, beat: usize) -> bool {
        self.beat_maps.contains_key(&beat)
    }

    /// Where the network runs, once the worker has said.
    pub fn device(&self) -> Option<&str> {
        self.device.as_deref()
    }

    /// The error banner's text, if one is up.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// True while a file is opening or the network is running.
    pub fn is_busy(&self) -> bool {
        !matches!(self.activity, Activity::Idle)
    }

    pub fn open(&mut self, path: PathBuf) {
        self.error = None;
        self.worker.send(Command::OpenFile(path, self.config.open_options.clone()));
    }

    /// Installs an analysis built elsewhere (the frame-time benchmark), as if the worker had.
    pub fn show_analysis(&mut self, analysis: Arc<Analysis>) {
        self.analysis = Some(analysis);
        self.view.reset_for_new_recording();
    }

    /// rfd's async dialog on its own thread: the UI keeps drawing while it is up.
    fn show_open_dialog(&mut self, ctx: &egui::Context) {
        let (tx, rx) = channel();
        let dialog = rfd::AsyncFileDialog::new()
            .set_title("Open recording")
            .add_filter("Recordings (EDF, WFDB, NumPy, CSV)", &["edf", "rec", "hea", "dat", "npy", "csv", "gz", "txt"])
            .add_filter("All files", &["*"]);
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let picked = pollster::block_on(dialog.pick_file()).map(|f| f.path().to_path_buf());
            let _ = tx.send(picked);
            ctx.request_repaint();
        });
        self.file_dialog = Some(rx);
    }

    /// Asks where to save (rfd, async like the open dialog), then hands the export to the worker.
    fn show_export_dialog(&mut self, ctx: &egui::Context, kind: ExportKind) {
        let Some(analysis) = &self.analysis else { return };
        let stem = analysis.recording.source_path.file_name().map_or("recording".into(), |n| n.to_string_lossy().into_owned());
        let (name, filter, ext) = match kind {
            ExportKind::Pdf => (format!("{stem}.report.pdf"), "PDF report", "pdf"),
            ExportKind::Edf => (format!("{stem}.cardioppg.edf"), "EDF+ recording", "edf"),
        };
        let mut dialog = rfd::AsyncFileDialog::new().set_title("Export").set_file_name(name).add_filter(filter, &[ext]);
        // Beside the recording, unless that folder is read-only (the installed samples): then home.
        let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")).map(PathBuf::from);
        if let Some(dir) = analysis.recording.source_path.parent().filter(|d| is_writable(d)).map(Path::to_path_buf).or(home) {
            dialog = dialog.set_directory(dir);
        }
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let picked = pollster::block_on(dialog.save_file()).map(|f| f.path().to_path_buf());
            let _ = tx.send(picked);
            ctx.request_repaint();
        });
        self.export_dialog = Some((kind, rx));
    }

    /// Exports what is on screen with the reviewer's state to `path` (the tests call it directly).
    pub fn export(&mut self, kind: ExportKind, path: PathBuf) {
        let (Some(analysis), Some(session)) = (&self.analysis, &self.review) else {
            self.export_status = Some("Nothing to export: open a recording first.".into());
            return;
        };
        if analysis.model.is_none() {
            self.export_status = Some("Nothing to export yet: the network has not finished on this recording.".into());
            return;
        }
        let analysed = Analysed {
            analysis: analysis.clone(),
            review: session.review().clone(),
            recording_sha256: session.recording_sha256().to_string(),
            review_warnings: self.review_warnings.clone(),
        };
        self.exporting = true;
        self.export_status = Some(format!("Exporting {}…", path.display()));
        self.worker.send(match kind {
            ExportKind::Pdf => {
                let options = ReportOptions { anonymise: self.prefs.anonymise_exports, ig: self.config.beat_map_settings, class_ig: self.config.class_map_settings, ..ReportOptions::default() };
                let known = Arc::new(KnownMaps { cache: self.attributions.clone(), beat_maps: self.beat_maps.clone() });
                Command::ExportPdf { path, analysed, options, known }
            }
            ExportKind::Edf => Command::ExportEdf { path, analysed },
        });
    }

    /// An export is running (tests wait for it).
    pub fn is_exporting(&self) -> bool {
        self.exporting
    }

    pub fn export_status(&self) -> Option<&str> {
        self.export_status.as_deref()
    }

    fn poll(&mut self, ctx: &egui::Context) {
        while let Some(event) = self.worker.try_recv() {
            self.handle(event);
        }
        if let Some((kind, rx)) = &self.export_dialog
            && let Ok(picked) = rx.try_recv()
        {
            let kind = *kind;
            self.export_dialog = None;
            if let Some(path) = picked {
                self.export(kind, path);
            }
        }
        if let Some(rx) = &self.file_dialog
            && let Ok(picked) = rx.try_recv()
        {
            self.file_dialog = None;
            if let Some(path) = picked {
                self.open(path);
            }
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect());
        if let Some(path) = dropped.into_iter().next() {
            self.open(path);
        }
        // Attributions fill in from their own thread without events: look again soon.
        if self.attributions.as_ref().is_some_and(|c| !c.progress().finished) || self.beat_map_pending.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Ready { device, is_gpu, model } => {
                self.cpu_notice = !is_gpu && !self.prefs.cpu_notice_dismissed;
                self.is_gpu = Some(is_gpu);
                if let Err(e) = &model {
                    self.error = Some(format!("The model could not be loaded, so only signals and beats are shown: {e}"));
                }
                self.device = Some(device);
                self.model = Some(model);
            }
            Event::Opening(path) => self.activity = Activity::Opening(path),
            Event::Opened(analysis) => {
                let new_file = self.analysis.as_ref().is_none_or(|a| a.recording.source_path != analysis.recording.source_path);
                self.generation += 1;
                self.beat_maps.clear();
                self.beat_map_errors.clear();
                self.beat_map_pending = None;
                self.heatmap_texture = None;
                self.attributions = None;
                if new_file {
                    self.view.reset_for_new_recording();
                    self.open_review(&analysis);
                    self.prefs.remember(&analysis.recording.source_path);
                    self.save_prefs();
                }
                let has_model = matches!(self.model, Some(Ok(_))) && analysis.beats.is_some();
                self.activity = if has_model { Activity::Running { done: 0, total: 0 } } else { Activity::Idle };
                self.analysis = Some(analysis);
            }
            Event::OpenFailed(message) => {
                self.activity = Activity::Idle;
                self.error = Some(message);
            }
            Event::Progress { done, total } => self.activity = Activity::Running { done, total },
            Event::ModelDone(analysis) => {
                self.activity = Activity::Idle;
                let ran_on = analysis.model.as_ref().map_or(0, |m| m.outputs.iter().flatten().count());
                // One line on stderr per analysed file: scripts (and the Xvfb test) wait for it.
                eprintln!("cardioppg: {}: network ran on the {ran_on} beats with a usable PPG", analysis.recording.source_path.display());
                self.analysis = Some(analysis);
            }
            Event::Cancelled => {
                self.activity = Activity::Idle;
                self.error = Some("Cancelled: the network's results are incomplete; open the file again to rerun.".into());
            }
            Event::Attributions(cache) => {
                cache.focus(self.view.beat);
                self.attributions = Some(cache);
            }
            Event::ExportProgress(step) => self.export_status = Some(step),
            Event::Exported(result) => {
                self.exporting = false;
                self.export_status = Some(match result {
                    Ok(path) => format!("Exported {}", path.display()),
                    Err(e) => format!("Export failed: {e}"),
                });
            }
            Event::BeatMap { generation, beat, settings, result } => {
                if generation != self.generation || settings != self.config.beat_map_settings {
                    return;
                }
                if self.beat_map_pending == Some(beat) {
                    self.beat_map_pending = None;
                }
                match result {
                    Ok(map) => {
                        self.beat_maps.insert(beat, map);
                    }
                    Err(e) => {
                        self.beat_map_errors.insert(beat, e);
                    }
                }
            }
        }
    }

    fn open_review(&mut self, analysis: &Analysis) {
        self.review = None;
        self.review_warnings.clear();
        match ReviewSession::open(&analysis.recording.source_path, &self.config.review_fallback_dir()) {
            Ok((mut session, warnings)) => {
                session.start_with_reviewer(&self.prefs.reviewer_name);
                self.review_status = format!("Review file: {}", describe_review_path(&session));
                self.review_warnings = warnings;
                self.review = Some(session);
            }
            Err(e) => self.review_status = format!("The review cannot be kept: {e}"),
        }
    }

    fn save_prefs(&mut self) {
        if let Err(e) = self.prefs.save(&self.config.data_dir) {
            self.error = Some(format!("Settings not saved: {e}"));
        }
    }

    /// Every review change: applied, then saved at once, so a crash loses nothing entered.
    fn review_action(&mut self, action: SideAction) {
        let Some(session) = &mut self.review else { return };
        let changed = match action {
            SideAction::Edit(edit) => {
                self.reviewer_typed |= matches!(edit, Edit::SetReviewer(_));
                session.apply(edit)
            }
            SideAction::Undo => session.undo(),
            SideAction::Redo => session.redo(),
            SideAction::EndUndoGroup => {
                session.end_undo_group();
                // The name typed last is the one new reviews start with.
                let typed = session.review().reviewer.trim().to_string();
                if std::mem::take(&mut self.reviewer_typed) && !typed.is_empty() && typed != self.prefs.reviewer_name {
                    self.prefs.reviewer_name = typed;
                    self.save_prefs();
                }
                return;
            }
            SideAction::JumpToBeat(beat) => {
                if let Some(a) = self.analysis.clone() {
                    self.select_beat(&a, beat);
                }
                return;
            }
        };
        if changed {
            self.review_status = match session.save() {
                Ok(_) => format!("Saved: {}", describe_review_path(session)),
                Err(e) => format!("NOT SAVED: {e}"),
            };
        }
    }

    fn select_beat(&mut self, analysis: &Analysis, beat: usize) {
        self.view.select_beat(analysis, beat);
        if let Some(cache) = &self.attributions {
            cache.focus(self.view.beat);
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        let pressed = help::pressed(ctx);
        let analysis = self.analysis.clone();
        for shortcut in pressed {
            match shortcut {
                Shortcut::Help => self.show_help = !self.show_help,
                Shortcut::Open => self.show_open_dialog(ctx),
                Shortcut::Undo => self.review_action(SideAction::Undo),
                Shortcut::Redo | Shortcut::RedoAlt => self.review_action(SideAction::Redo),
                _ => {}
            }
            let Some(a) = &analysis else { continue };
            let beats = a.beats.as_ref().map_or(0, |b| b.beats.len());
            match shortcut {
                Shortcut::NextBeat => self.select_beat(a, self.view.beat + 1),
                Shortcut::PreviousBeat => self.select_beat(a, self.view.beat.saturating_sub(1)),
                Shortcut::FirstBeat => self.select_beat(a, 0),
                Shortcut::LastBeat => self.select_beat(a, beats.saturating_sub(1)),
                Shortcut::PageForward => self.view.page_strip(a, 1.0),
                Shortcut::PageBack => self.view.page_strip(a, -1.0),
                Shortcut::ZoomIn => self.view.speed_mm_per_s = step_choice(&SPEEDS_MM_PER_S, self.view.speed_mm_per_s, 1),
                Shortcut::ZoomOut => self.view.speed_mm_per_s = step_choice(&SPEEDS_MM_PER_S, self.view.speed_mm_per_s, -1),
                Shortcut::StripTab => self.view.tab = Tab::Strip,
                Shortcut::BeatTab => self.view.tab = Tab::Beat,
                Shortcut::MarkBeat => {
                    let beat = self.view.beat;
                    let marked = self.review.as_ref().is_some_and(|r| r.review().beat_marks.contains_key(&beat));
                    let mark = (!marked).then(|| "marked".to_string());
                    self.review_action(SideAction::Edit(Edit::SetBeatMark { beat, mark }));
                }
                _ => {}
            }
        }
    }

    /// Asks for the current beat's 300×300 map when the Beat view needs it.
    fn request_beat_map(&mut self) {
        let Some(analysis) = &self.analysis else { return };
        let (Some(beats), Some(_)) = (&analysis.beats, &analysis.model) else { return };
        let beat = self.view.beat;
        if self.beat_maps.contains_key(&beat) || self.beat_map_errors.contains_key(&beat) || self.beat_map_pending == Some(beat) {
            return;
        }
        let Some(cycle) = analysis.model.as_ref().and_then(|m| m.outputs.get(beat)?.as_ref()).and_then(|_| beats.ppg_cycle(beat)) else { return };
        self.beat_map_pending = Some(beat);
        self.worker.send(Command::ExplainBeat { generation: self.generation, beat, cycle: cycle.to_vec(), settings: self.config.beat_map_settings });
    }

    fn menu_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if ui.button("Open…").on_hover_text("Open an EDF/EDF+, WFDB, NumPy or CSV recording (Ctrl+O, or drop a file on the window)").clicked() {
                self.show_open_dialog(ui.ctx());
            }
            let mut picked = None;
            ui.menu_button("Recent", |ui| {
                if self.prefs.recent.is_empty() {
                    ui.label("No recent files");
                }
                for path in &self.prefs.recent {
                    if ui.button(path.display().to_string()).clicked() {
                        picked = Some(path.clone());
                    }
                }
            });
            ui.menu_button("Samples", |ui| {
                if let Some(dir) = &self.config.sample_dir {
                    for (file, what) in welcome::SAMPLES {
                        if ui.button(file).on_hover_text(what).clicked() {
                            picked = Some(dir.join(file));
                        }
                    }
                }
            });
            if let Some(path) = picked {
                self.open(path);
            }
            let can_export = !self.exporting && self.analysis.as_ref().is_some_and(|a| a.model.is_some());
            if ui.add_enabled(can_export, egui::Button::new("Export PDF…")).on_hover_text("The annotated report with your review: findings, marked beats on ECG paper, heatmaps").clicked() {
                self.show_export_dialog(ui.ctx(), ExportKind::Pdf);
            }
            if ui.add_enabled(can_export, egui::Button::new("Export EDF+…")).on_hover_text("The recording with the GENERATED ECG channel and beats, flags and marks as annotations").clicked() {
                self.show_export_dialog(ui.ctx(), ExportKind::Edf);
            }
            if ui.button("Settings").clicked() {
                self.show_settings = !self.show_settings;
            }
            ui.menu_button("Help", |ui| {
                if ui.button("Keyboard shortcuts (F1)").clicked() {
                    self.show_help = !self.show_help;
                }
                if ui.button("About CardioPPG Review").clicked() {
                    self.about.open = true;
                }
                if ui.button("Model card").clicked() {
                    self.about.open = true;
                    self.about.tab = about::Tab::ModelCard;
                }
            });
            ui.separator();
            match &self.activity {
                Activity::Idle => {
                    if let Some(a) = &self.analysis {
                        let path = &a.recording.source_path;
                        let name = path.file_name().map_or(path.display().to_string(), |n| n.to_string_lossy().into_owned());
                        ui.label(RichText::new(name).strong()).on_hover_text(path.display().to_string());
                    } else {
                        ui.label("No recording open");
                    }
                }
                Activity::Opening(path) => {
                    ui.spinner();
                    ui.label(format!("Opening {}…", path.display()));
                }
                Activity::Running { done, total } => {
                    let fraction = if *total == 0 { 0.0 } else { *done as f32 / *total as f32 };
                    ui.add(egui::ProgressBar::new(fraction).desired_width(220.0).text(format!("Network: {done} of {total} beats")));
                    if ui.button("Cancel").clicked() {
                        self.worker.cancel();
                        if let Some(c) = &self.attributions {
                            c.cancel();
                        }
                    }
                }
            }
        });
        if self.cpu_notice {
            ui.horizontal_wrapped(|ui| {
                let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
                ui.colored_label(Color32::from_rgb(40, 90, 150), format!("No GPU was found, so the network runs on the CPU ({threads} threads). The results are the same; the beat heatmap takes longer (minutes at 64 steps; fewer steps in Settings)."));
                if ui.small_button("OK").clicked() {
                    self.cpu_notice = false;
                }
                if ui.small_button("Don't show again").clicked() {
                    self.cpu_notice = false;
                    self.prefs.cpu_notice_dismissed = true;
                    self.save_prefs();
                }
            });
        }
        if let Some(error) = self.error.clone() {
            ui.horizontal(|ui| {
                ui.colored_label(Color32::from_rgb(190, 30, 30), format!("Problem: {error}"));
                if ui.small_button("Dismiss").clicked() {
                    self.error = None;
                }
            });
        }
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("Device: {}", self.device.as_deref().unwrap_or("starting…")));
            ui.separator();
            match &self.model {
                Some(Ok(m)) => ui.label(format!("Model: {} {} ({}), trained on {} · weights SHA-256 {}…", m.name, m.version, m.variant, m.trained_on, &m.sha256[..m.sha256.len().min(12)])),
                Some(Err(_)) => ui.colored_label(Color32::from_rgb(190, 30, 30), "Model: not loaded"),
                None => ui.label("Model: loading…"),
            };
            if let Some(cache) = &self.attributions {
                ui.separator();
                let p = cache.progress();
                if p.finished && p.done_beats == p.total_beats {
                    ui.label(format!("Attributions: all {} beats", p.total_beats));
                } else {
                    ui.add(egui::ProgressBar::new(p.done_beats as f32 / p.total_beats.max(1) as f32).desired_width(140.0).text(format!("IG {} / {}", p.done_beats, p.total_beats)));
                    if !p.finished && ui.small_button("Stop").on_hover_text("Stop computing attributions").clicked() {
                        cache.cancel();
                    }
                }
            }
            ui.separator();
            ui.label(RichText::new(&self.review_status).small());
            if let Some(status) = &self.export_status {
                ui.separator();
                if self.exporting {
                    ui.spinner();
                }
                ui.label(RichText::new(status).small());
            }
        });
    }

    fn settings_window(&mut self, ctx: &egui::Context) {
        let changed = settings::window(ctx, &mut self.show_settings, &mut self.prefs, &mut self.view, &self.config.class_map_settings, &mut self.config.beat_map_settings);
        if changed.show_cpu_notice {
            self.cpu_notice = self.is_gpu == Some(false);
        }
        if changed.heatmap {
            self.beat_maps.clear();
            self.beat_map_errors.clear();
            self.beat_map_pending = None;
            self.heatmap_texture = None;
        }
        // The paper's scale is changed from the strip's toolbar, the keys and Settings: keep
        // what was set last, once the pointer is up (a slider drag saves once).
        let view = (self.view.screen_dpi, self.view.speed_mm_per_s, self.view.gain_mm_per_mv);
        let scale_changed = view != (self.prefs.screen_dpi, self.prefs.speed_mm_per_s, self.prefs.gain_mm_per_mv);
        if changed.prefs || (scale_changed && !ctx.input(|i| i.pointer.any_down())) {
            (self.prefs.screen_dpi, self.prefs.speed_mm_per_s, self.prefs.gain_mm_per_mv) = view;
            self.save_prefs();
        }
    }

    fn workspace(&mut self, ui: &mut egui::Ui, analysis: &Arc<Analysis>) {
        let mut actions = Vec::new();
        let mut commands = Vec::new();
        egui::Panel::left("side-panel").resizable(true).default_size(320.0).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                let model = self.model.as_ref().and_then(|m| m.as_ref().ok());
                let review = self.review.as_ref().map(ReviewSession::review);
                side::findings(ui, analysis, model, review, &mut actions);
                ui.separator();
                let (undo, redo) = self.review.as_ref().map_or((false, false), |r| (r.can_undo(), r.can_redo()));
                side::review_panel(ui, review, self.view.beat, undo, redo, &mut actions);
                for w in &self.review_warnings {
                    ui.colored_label(Color32::from_rgb(170, 90, 0), w);
                }
                ui.separator();
                side::beat_lists(ui, analysis, &mut actions);
            });
        });
        egui::CentralPanel::default().show(ui, |ui| {
            overview::show(ui, &mut self.view, analysis);
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.view.tab, Tab::Strip, "Strip");
                ui.selectable_value(&mut self.view.tab, Tab::Beat, "Beat");
                ui.selectable_value(&mut self.view.tab, Tab::Channels, "Channels");
                ui.separator();
                if let Some(beats) = &analysis.beats {
                    if ui.button("< Previous beat").clicked() {
                        actions.push(SideAction::JumpToBeat(self.view.beat.saturating_sub(1)));
                    }
                    ui.label(format!("beat {} / {}", (self.view.beat + 1).min(beats.beats.len()), beats.beats.len()));
                    if ui.button("Next beat >").clicked() {
                        actions.push(SideAction::JumpToBeat(self.view.beat + 1));
                    }
                }
            });
            ui.separator();
            match self.view.tab {
                Tab::Strip => {
                    strip::toolbar(ui, &mut self.view, analysis);
                    strip::show(ui, &mut self.view, analysis, self.attributions.as_deref());
                }
                Tab::Beat => {
                    self.request_beat_map();
                    let beat = self.view.beat;
                    let state = beat_view::BeatMapState {
                        map: self.beat_maps.get(&beat),
                        pending: self.beat_map_pending == Some(beat),
                        error: self.beat_map_errors.get(&beat).map(String::as_str),
                        texture: &mut self.heatmap_texture,
                        steps: self.config.beat_map_settings.steps,
                    };
                    egui::ScrollArea::both().show(ui, |ui| beat_view::show(ui, &mut self.view, analysis, self.attributions.as_deref(), state));
                }
                Tab::Channels => {
                    ui.columns(2, |cols| {
                        egui::ScrollArea::vertical().id_salt("channel-list").show(&mut cols[0], |ui| channels::channel_list(ui, analysis, &mut commands, &mut self.jump_to_secs));
                        channels::plots(&mut cols[1], analysis, &mut self.jump_to_secs);
                    });
                }
            }
        });
        for action in actions {
            self.review_action(action);
        }
        for command in commands {
            self.worker.send(command);
        }
    }

    /// One frame of the whole window (eframe calls it; so do the tests and the frame benchmark).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.poll(&ctx);
        self.shortcuts(&ctx);
        egui::Panel::top("menu-bar").show(ui, |ui| self.menu_bar(ui));
        egui::Panel::bottom("status-bar").show(ui, |ui| self.status_bar(ui));
        match self.analysis.clone() {
            Some(analysis) => self.workspace(ui, &analysis),
            None => {
                let mut picked = None;
                egui::CentralPanel::default().show(ui, |ui| picked = welcome::show(ui, self.config.sample_dir.as_deref(), &self.prefs.recent));
                if let Some(path) = picked {
                    self.open(path);
                }
            }
        }
        help::overlay(&ctx, &mut self.show_help);
        self.settings_window(&ctx);
        let info = about::Context { device: self.device.as_deref(), model: self.model.as_ref(), data_dir: &self.config.data_dir, sample_dir: self.config.sample_dir.as_deref() };
        self.about.window(&ctx, info);
    }
}

/// Whether a file can be created in `dir` (permissions alone do not tell: ACLs, read-only
/// mounts), by creating and removing an empty probe file.
fn is_writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".cardioppg-write-probe-{}", std::process::id()));
    let created = std::fs::OpenOptions::new().write(true).create_new(true).open(&probe).is_ok();
    if created {
        let _ = std::fs::remove_file(&probe);
    }
    created
}

/// The review file's name and where it is, without the folder (which the tooltip-free status
/// bar has no room for): next to the recording, or in the app's data folder.
fn describe_review_path(session: &ReviewSession) -> String {
    let name = session.path().file_name().map_or_else(|| session.path().display().to_string(), |n| n.to_string_lossy().into_owned());
    if session.uses_fallback() { format!("{name} (in the app's data folder: the recording's folder is read-only)") } else { format!("{name} (next to the recording)") }
}

impl eframe::App for ReviewApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}
