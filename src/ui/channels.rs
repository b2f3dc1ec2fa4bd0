//! The Channels tab: every channel of the file with its role (which the user can change), the
//! beat summary, the file's header and annotations, and each channel plotted as recorded.

use egui::{Color32, RichText};
use egui_plot::{Line, MarkerShape, Plot, PlotPoints, Points, VLine};

use super::colors::{ANNOTATION as ANNOTATION_COLOR, FLAGGED_BEAT as FLAGGED_BEAT_COLOR, USABLE_BEAT as USABLE_BEAT_COLOR};
use super::worker::Command;
use crate::analysis::Analysis;
use crate::io::{ChannelRole, RoleSource};

/// Seconds shown when a recording opens: an ECG strip's worth, or all of a short file.
const INITIAL_WINDOW_SECS: f64 = 20.0;
const R_PEAK_COLOR: Color32 = Color32::from_rgb(250, 250, 250);

pub fn channel_list(ui: &mut egui::Ui, analysis: &Analysis, commands: &mut Vec<Command>, jump_to_secs: &mut Option<f64>) {
    ui.heading("Channels");
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
                commands.push(Command::SetChannelRole { channel: i, role });
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
            if s.no_ecg_match_count > 0 {
                ui.label(RichText::new(format!("{} more have a usable PPG but no matching R-peak", s.no_ecg_match_count)).small());
            }
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
                        *jump_to_secs = Some(annotation.onset_secs);
                    }
                }
            });
        });
    }
    for notice in &recording.notices {
        ui.label(RichText::new(format!("Note: {notice}")).small());
    }
}

pub fn plots(ui: &mut egui::Ui, analysis: &Analysis, jump_to_secs: &mut Option<f64>) {
    let recording = &analysis.recording;
    let count = recording.channels.len().max(1) as f32;
    let height = ((ui.available_height() - 28.0 * count) / count).max(90.0);
    let link = egui::Id::unique("channel-time-axis");
    let window_secs = recording.duration_secs().clamp(1.0, INITIAL_WINDOW_SECS);
    let jump_to_secs = jump_to_secs.take();
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
