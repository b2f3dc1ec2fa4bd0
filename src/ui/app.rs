//! The main window: a menu bar, the channel list, and the stacked channel plots.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use egui::{Color32, RichText};
use egui_plot::{Line, MarkerShape, Plot, PlotPoints, Points, VLine};

use super::worker::{Command, Event, Worker};
use crate::analysis::Analysis;
use crate::io::{ChannelRole, OpenOptions, RoleSource};

/// Seconds shown when a recording opens: an ECG strip's worth, or all of a short file.
const INITIAL_WINDOW_SECS: f64 = 20.0;
const ANNOTATION_COLOR: Color32 = Color32::from_rgb(200, 150, 0);
const USABLE_BEAT_COLOR: Color32 = Color32::from_rgb(40, 170, 80);
const FLAGGED_BEAT_COLOR: Color32 = Color32::from_rgb(230, 120, 0);
const R_PEAK_COLOR: Color32 = Color32::from_rgb(250, 250, 250);

enum Status {
    Idle,
    Opening(PathBuf),
    Failed(String),
}

pub struct ReviewApp {
    worker: Worker,
    analysis: Option<Arc<Analysis>>,
    status: Status,
    file_dialog: Option<Receiver<Option<PathBuf>>>,
    open_options: OpenOptions,
    /// A time the user asked to see (annotation clicked): the plots centre on it next frame.
    jump_to_secs: Option<f64>,
}

impl ReviewApp {
    /// `initial`: a file to open at start (command line or bundled sample); `open_options` apply
    /// to every file opened (sample rate for NumPy/CSV, CSV columns, NumPy layout).
    pub fn new(ctx: &egui::Context, initial: Option<PathBuf>, open_options: OpenOptions) -> Self {
        let repaint = ctx.clone();
        let worker = Worker::spawn(move || repaint.request_repaint());
        let app = ReviewApp { worker, analysis: None, status: Status::Idle, file_dialog: None, open_options, jump_to_secs: None };
        if let Some(path) = initial {
            app.open(path);
        }
        app
    }

    fn open(&self, path: PathBuf) {
        self.worker.send(Command::OpenFile(path, self.open_options.clone()));
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

    fn poll(&mut self, ctx: &egui::Context) {
        while let Some(event) = self.worker.try_recv() {
            match event {
                Event::Opening(path) => self.status = Status::Opening(path),
                Event::Opened(analysis) => {
                    self.analysis = Some(analysis);
                    self.status = Status::Idle;
                }
                Event::OpenFailed(message) => self.status = Status::Failed(message),
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
    }

    fn menu_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if ui.button("Open…").on_hover_text("Open an EDF/EDF+, WFDB, NumPy or CSV recording (or drop a file on the window)").clicked() {
                self.show_open_dialog(ui.ctx());
            }
            ui.separator();
            match &self.status {
                Status::Idle => {
                    if let Some(a) = &self.analysis {
                        ui.label(format!("{}", a.recording.source_path.display()));
                    } else {
                        ui.label("No recording open");
                    }
                }
                Status::Opening(path) => {
                    ui.spinner();
                    ui.label(format!("Opening {}…", path.display()));
                }
                Status::Failed(message) => {
                    ui.colored_label(Color32::from_rgb(200, 40, 40), format!("Could not open: {message}"));
                }
            }
        });
    }

    fn channel_list(&mut self, ui: &mut egui::Ui) {
        ui.heading("Channels");
        let Some(analysis) = self.analysis.clone() else {
            ui.label("Open a recording to list its channels.");
            return;
        };
        let recording = &analysis.recording;
        egui::Grid::new("channel-grid").striped(true).num_columns(4).show(ui, |ui| {
            ui.strong("Label");
            ui.strong("Role");
            ui.strong("Rate");
            ui.strong("Unit");
            ui.end_row();
            for (i, channel) in recording.channels.iter().enumerate() {
                ui.label(&channel.label);
                let mut role = channel.role.clone();
                egui::ComboBox::from_id_salt(("role", i)).selected_text(role.to_string()).show_ui(ui, |ui| {
                    let lead = match &channel.role {
                        ChannelRole::Ecg { lead } => lead.clone(),
                        _ => None,
                    };
                    ui.selectable_value(&mut role, ChannelRole::Ppg, "PPG");
                    ui.selectable_value(&mut role, ChannelRole::Ecg { lead: lead.clone() }, ChannelRole::Ecg { lead }.to_string());
                    ui.selectable_value(&mut role, ChannelRole::Other, "other");
                });
                if role != channel.role {
                    self.worker.send(Command::SetChannelRole { channel: i, role });
                }
                let rate = format!("{} Hz{}", trim_float(channel.sample_rate_hz), if channel.sample_rate_assumed { " (assumed)" } else { "" });
                ui.label(rate);
                ui.label(if channel.unit.is_empty() { "—" } else { &channel.unit });
                ui.end_row();
            }
        });
        if recording.channels.iter().any(|c| c.role_source == RoleSource::UserOverride) {
            ui.small("Roles you changed are kept for this session.");
        }
        ui.separator();
        ui.heading("Beats");
        match &analysis.beats {
            None => {
                ui.label("No channel has the PPG role: set one above to detect beats.");
            }
            Some(beats) => {
                let s = &beats.summary;
                ui.label(format!("Detected: {}", s.count));
                ui.label(format!("Usable: {} ({:.1} %)", s.usable_count, 100.0 * s.usable_share));
                match s.mean_heart_rate_bpm {
                    Some(hr) => ui.label(format!("Mean heart rate: {hr:.0} bpm")),
                    None => ui.label("Mean heart rate: no usable beats"),
                };
                ui.label(format!("R-peaks in the reference ECG: {}", beats.r_peaks.len()));
                for note in &beats.notes {
                    ui.label(RichText::new(format!("Note: {note}")).small());
                }
                ui.horizontal(|ui| {
                    ui.colored_label(USABLE_BEAT_COLOR, "usable beat");
                    ui.colored_label(FLAGGED_BEAT_COLOR, "flagged beat");
                });
            }
        }
        ui.separator();
        ui.heading("Recording");
        ui.label(format!("Format: {}", recording.format));
        ui.label(format!("Duration: {}", format_duration(recording.duration_secs())));
        match &recording.metadata.start {
            Some(start) => ui.label(format!("Start: {start}")),
            None => ui.label("Start: not stated in the file"),
        };
        if !recording.metadata.patient.is_empty() {
            ui.label(format!("Patient: {}", recording.metadata.patient));
        }
        if !recording.annotations.is_empty() {
            egui::CollapsingHeader::new(format!("Annotations ({})", recording.annotations.len())).default_open(true).show(ui, |ui| {
                egui::ScrollArea::vertical().max_height(220.0).show(ui, |ui| {
                    for annotation in &recording.annotations {
                        let text = format!("{:>8.2} s  {}", annotation.onset_secs, annotation.text);
                        if ui.link(text).on_hover_text("Show this moment").clicked() {
                            self.jump_to_secs = Some(annotation.onset_secs);
                        }
                    }
                });
            });
        }
        for notice in &recording.notices {
            ui.label(RichText::new(format!("Note: {notice}")).small());
        }
    }

    fn plots(&mut self, ui: &mut egui::Ui) {
        let Some(analysis) = self.analysis.clone() else {
            ui.centered_and_justified(|ui| ui.label("Open a recording (File → Open…, or drop a file here)."));
            return;
        };
        let recording = &analysis.recording;
        let count = recording.channels.len().max(1) as f32;
        let height = ((ui.available_height() - 28.0 * count) / count).max(90.0);
        let link = egui::Id::unique("channel-time-axis");
        let window_secs = recording.duration_secs().clamp(1.0, INITIAL_WINDOW_SECS);
        let jump_to_secs = self.jump_to_secs.take();
        egui::ScrollArea::vertical().show(ui, |ui| {
            for (i, channel) in recording.channels.iter().enumerate() {
                let unit = if channel.unit.is_empty() { "no unit" } else { &channel.unit };
                ui.label(RichText::new(format!("{} — {} [{}]", channel.label, channel.role, unit)).strong());
                let pyramid = &analysis.pyramids[i];
                Plot::new(format!("channel-plot-{i}"))
                    .height(height)
                    .link_axis(link, [true, false])
                    .link_cursor(link, [true, false])
                    .default_x_bounds(0.0, window_secs)
                    .auto_bounds([false, true])
                    .allow_zoom([true, false])
                    .allow_scroll([true, false])
                    .x_axis_label("time (s)")
                    .show(ui, |plot_ui| {
                        if let Some(t) = jump_to_secs {
                            let width = plot_ui.plot_bounds().width();
                            plot_ui.set_plot_bounds_x(t - width / 2.0..=t + width / 2.0);
                        }
                        let bounds = plot_ui.plot_bounds();
                        let width_px = plot_ui.transform().frame().width().max(100.0) as usize;
                        let color = role_color(&channel.role);
                        for points in pyramid.polylines(&channel.samples, channel.sample_rate_hz, bounds.min()[0], bounds.max()[0], width_px * 2) {
                            plot_ui.line(Line::new(channel.label.clone(), points).color(color).width(1.2));
                        }
                        if let Some(beats) = &analysis.beats {
                            let (start, end) = (bounds.min()[0], bounds.max()[0]);
                            if Some(i) == recording.ppg_channel() {
                                beat_markers(plot_ui, beats, channel, start, end);
                            }
                            if Some(i) == recording.ecg_channel() {
                                // R-peaks are sorted sample indices: only the visible ones are looked at.
                                let secs = |r: usize| r as f64 / beats.sample_rate_hz;
                                let first = beats.r_peaks.partition_point(|&r| secs(r) < start);
                                let last = beats.r_peaks.partition_point(|&r| secs(r) <= end);
                                let times = beats.r_peaks[first..last.max(first)].iter().map(|&r| secs(r));
                                let points = marker_points(channel, times);
                                plot_ui.points(Points::new("R-peak", points).color(R_PEAK_COLOR).shape(MarkerShape::Down).radius(3.5));
                            }
                        }
                        // The file's own annotations, hoverable by name, on every channel.
                        for annotation in recording.annotations.iter().filter(|a| (bounds.min()[0]..=bounds.max()[0]).contains(&a.onset_secs)) {
                            plot_ui.vline(VLine::new(annotation.text.clone(), annotation.onset_secs).color(ANNOTATION_COLOR).width(1.0));
                        }
                    });
            }
        });
    }
}

impl eframe::App for ReviewApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.poll(ui.ctx());
        egui::Panel::top("menu-bar").show(ui, |ui| self.menu_bar(ui));
        egui::Panel::left("channel-list").resizable(true).default_size(330.0).show(ui, |ui| self.channel_list(ui));
        egui::CentralPanel::default().show(ui, |ui| self.plots(ui));
    }
}

/// Pulse onsets on the PPG, coloured by quality: bad beats stay visible, flagged.
fn beat_markers(plot_ui: &mut egui_plot::PlotUi, beats: &crate::dsp::beats::BeatAnalysis, channel: &crate::io::Channel, start: f64, end: f64) {
    // Beats are in onset order: a frame touches only the visible ones, not all of a 24-h file.
    let first = beats.beats.partition_point(|b| b.onset_secs < start);
    let last = beats.beats.partition_point(|b| b.onset_secs <= end);
    let (usable, flagged): (Vec<_>, Vec<_>) = beats.beats[first..last.max(first)].iter().partition(|b| b.usable());
    for (name, group, color) in [("usable beat", usable, USABLE_BEAT_COLOR), ("flagged beat", flagged, FLAGGED_BEAT_COLOR)] {
        let points = marker_points(channel, group.iter().map(|b| b.onset_secs));
        plot_ui.points(Points::new(name, points).color(color).shape(MarkerShape::Circle).filled(true).radius(3.5));
    }
}

/// Markers placed on the channel's own trace at the given times.
fn marker_points(channel: &crate::io::Channel, times_secs: impl Iterator<Item = f64>) -> PlotPoints<'static> {
    times_secs
        .filter_map(|t| {
            let index = (t * channel.sample_rate_hz).round() as usize;
            let y = *channel.samples.get(index)?;
            y.is_finite().then_some([t, f64::from(y)])
        })
        .collect()
}

fn role_color(role: &ChannelRole) -> Color32 {
    match role {
        ChannelRole::Ppg => Color32::from_rgb(30, 100, 200),
        ChannelRole::Ecg { .. } => Color32::from_rgb(200, 40, 40),
        ChannelRole::Other => Color32::from_gray(110),
    }
}

pub(crate) fn trim_float(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub(crate) fn format_duration(secs: f64) -> String {
    let total = secs.round() as u64;
    match total {
        0..60 => format!("{secs:.1} s"),
        60..3600 => format!("{} min {:02} s", total / 60, total % 60),
        _ => format!("{} h {:02} min {:02} s", total / 3600, total / 60 % 60, total % 60),
    }
}
