//! The strip: PPG with the selected class's per-point attribution overlay, the real ECG and the
//! GENERATED ECG in synchronised panes on ECG paper: one time axis, one cursor, one gain.

use egui::{Align2, Color32, FontId, Painter, Pos2, Rect, Sense, Shape, Stroke, Ui, pos2, vec2};

use super::colors;
use super::paper::{GAINS_MM_PER_MV, Paper, SPEEDS_MM_PER_S};
use super::view::{ViewState, top_fraction_label};
use crate::analysis::Analysis;
use crate::dsp::beats::BeatAnalysis;
use crate::explain::AttributionCache;
use crate::explain::summary::{TOP_FRACTION, top_fraction_mask};
use crate::io::Channel;

/// More PPG samples than this in view and the per-sample overlay is skipped (zoom in for it).
const MAX_OVERLAY_SAMPLES: usize = 30_000;
const LABEL_FONT: FontId = FontId::proportional(12.0);

pub fn toolbar(ui: &mut Ui, view: &mut ViewState, analysis: &Analysis) {
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::from_label("speed")
            .selected_text(format!("{} mm/s", view.speed_mm_per_s))
            .show_ui(ui, |ui| {
                for s in SPEEDS_MM_PER_S {
                    ui.selectable_value(&mut view.speed_mm_per_s, s, format!("{s} mm/s"));
                }
            });
        egui::ComboBox::from_label("gain")
            .selected_text(format!("{} mm/mV", view.gain_mm_per_mv))
            .show_ui(ui, |ui| {
                for g in GAINS_MM_PER_MV {
                    ui.selectable_value(&mut view.gain_mm_per_mv, g, format!("{g} mm/mV"));
                }
            });
        if let Some(model) = &analysis.model {
            class_picker(ui, view, &model.classes);
        }
        ui.checkbox(&mut view.show_top_fraction, top_fraction_label());
        if let Some(t) = view.cursor_secs {
            ui.separator();
            ui.label(cursor_readout(analysis, t));
        }
    });
}

/// Time and amplitudes under the cursor, in the channels' own units (mV for the ECG).
pub fn cursor_readout(analysis: &Analysis, t: f64) -> String {
    let recording = &analysis.recording;
    let mut text = format!("cursor {t:.3} s");
    let at = |c: &Channel| c.samples.get((t * c.sample_rate_hz).round().max(0.0) as usize).copied().filter(|v| v.is_finite());
    if let Some(c) = recording.ppg_channel().map(|i| &recording.channels[i])
        && let Some(v) = at(c)
    {
        text.push_str(&format!(" · PPG {v:.3} {}", c.unit));
    }
    if let Some(c) = recording.ecg_channel().map(|i| &recording.channels[i])
        && let Some(v) = at(c)
    {
        match c.millivolts_per_unit() {
            Some(mv) => text.push_str(&format!(" · ECG {:.3} mV", f64::from(v) * mv)),
            None => text.push_str(&format!(" · ECG {v:.3} {}", c.unit)),
        }
    }
    text
}

pub fn class_picker(ui: &mut Ui, view: &mut ViewState, classes: &[String]) {
    let name = classes.get(view.class).cloned().unwrap_or_default();
    egui::ComboBox::from_label("attribution class").selected_text(name).show_ui(ui, |ui| {
        for (i, c) in classes.iter().enumerate() {
            ui.selectable_value(&mut view.class, i, c);
        }
    });
}

/// The panes present (PPG, real ECG, generated ECG); a click selects the beat under it.
pub fn show(ui: &mut Ui, view: &mut ViewState, analysis: &Analysis, attributions: Option<&AttributionCache>) {
    let recording = &analysis.recording;
    let paper = view.paper(ui.ctx().pixels_per_point());
    let outer = ui.available_rect_before_wrap();
    let trace_left = outer.left() + paper.calibration_width() + 8.0;
    view.strip_window_secs = paper.window_secs(outer.right() - trace_left);
    view.clamp_strip(recording.duration_secs());
    let axis = TimeAxis { start_secs: view.strip_start_secs, left: trace_left, points_per_sec: paper.points_per_sec() };

    let ppg = recording.ppg_channel().map(|i| (i, &recording.channels[i]));
    let ecg = recording.ecg_channel().map(|i| &recording.channels[i]);
    let has_generated = analysis.model.is_some();
    let shares: Vec<(&str, f32)> = [(ppg.is_some(), ("PPG strip", 0.3)), (ecg.is_some(), ("Real ECG strip", 0.35)), (has_generated, ("Generated ECG strip", 0.35))]
        .into_iter()
        .filter_map(|(present, pane)| present.then_some(pane))
        .collect();
    if shares.is_empty() {
        ui.label("This recording has no PPG or ECG channel to draw: set channel roles in the Channels tab.");
        return;
    }
    let total: f32 = shares.iter().map(|s| s.1).sum();
    let mut top = outer.top();
    let mut hovered_secs = None;
    let mut clicked_secs = None;
    let mut first_pane = true;
    for (name, share) in shares {
        let height = (outer.height() - 4.0) * share / total;
        let rect = Rect::from_min_size(pos2(outer.left(), top), vec2(outer.width(), height - 4.0));
        top += height;
        let response = ui.allocate_rect(rect, Sense::click());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, name));
        if let Some(p) = response.hover_pos() {
            hovered_secs = Some(axis.secs(p.x));
        }
        if response.clicked()
            && let Some(p) = response.interact_pointer_pos()
        {
            clicked_secs = Some(axis.secs(p.x));
        }
        let painter = ui.painter_at(rect);
        match name {
            "PPG strip" => {
                let (index, channel) = ppg.expect("present");
                ppg_pane(&painter, rect, &axis, view, analysis, index, channel, attributions);
            }
            "Real ECG strip" => real_ecg_pane(&painter, rect, &axis, &paper, ecg.expect("present")),
            _ => generated_pane(&painter, rect, &axis, &paper, analysis),
        }
        if let Some(beats) = &analysis.beats {
            current_beat_band(&painter, rect, &axis, beats, view.beat);
        }
        annotation_lines(&painter, rect, &axis, recording, first_pane);
        first_pane = false;
    }
    if hovered_secs.is_some() {
        view.cursor_secs = hovered_secs;
    }
    if let Some(t) = view.cursor_secs {
        let x = axis.x(t);
        if (trace_left..=outer.right()).contains(&x) {
            ui.painter_at(outer).line_segment([pos2(x, outer.top()), pos2(x, outer.bottom())], Stroke::new(1.0, colors::CURSOR));
        }
    }
    if let (Some(t), Some(beats)) = (clicked_secs, &analysis.beats) {
        let beat = beats.beats.partition_point(|b| b.onset_secs <= t).saturating_sub(1);
        view.select_beat(analysis, beat);
    }
}

/// One time axis for every pane.
struct TimeAxis {
    start_secs: f64,
    left: f32,
    points_per_sec: f32,
}

impl TimeAxis {
    fn x(&self, secs: f64) -> f32 {
        self.left + ((secs - self.start_secs) as f32) * self.points_per_sec
    }
    fn secs(&self, x: f32) -> f64 {
        self.start_secs + f64::from((x - self.left) / self.points_per_sec)
    }
    fn visible(&self, secs: f64, rect: Rect) -> bool {
        (self.left..=rect.right()).contains(&self.x(secs))
    }
    /// Sample index range of a channel in view.
    fn samples(&self, channel: &Channel, rect: Rect) -> std::ops::Range<usize> {
        let rate = channel.sample_rate_hz;
        let first = (self.start_secs * rate).floor().max(0.0) as usize;
        let last = ((self.secs(rect.right()) * rate).ceil().max(0.0) as usize + 1).min(channel.samples.len());
        first.min(last)..last
    }
}

/// The file's annotations as lines on every pane, their text only on the top one, stacked so
/// that annotations at the same moment stay readable.
fn annotation_lines(painter: &Painter, rect: Rect, axis: &TimeAxis, recording: &crate::io::Recording, with_text: bool) {
    let mut last_x = f32::NEG_INFINITY;
    let mut row = 0;
    for a in recording.annotations.iter().filter(|a| axis.visible(a.onset_secs, rect)) {
        let x = axis.x(a.onset_secs);
        painter.line_segment([pos2(x, rect.top()), pos2(x, rect.bottom())], Stroke::new(1.0, colors::ANNOTATION));
        if with_text {
            row = if x - last_x < 150.0 { row + 1 } else { 0 };
            last_x = x;
            painter.text(pos2(x + 2.0, rect.bottom() - 2.0 - 13.0 * row as f32), Align2::LEFT_BOTTOM, &a.text, LABEL_FONT, colors::ANNOTATION);
        }
    }
}

fn pane_label(painter: &Painter, rect: Rect, text: &str, color: Color32) {
    painter.text(rect.left_top() + vec2(4.0, 2.0), Align2::LEFT_TOP, text, FontId::proportional(13.0), color);
}

fn current_beat_band(painter: &Painter, rect: Rect, axis: &TimeAxis, beats: &BeatAnalysis, beat: usize) {
    let Some(b) = beats.beats.get(beat) else { return };
    let (x0, x1) = (axis.x(b.onset_secs).max(axis.left), axis.x(b.onset_secs + b.duration_secs()).min(rect.right()));
    if x1 > x0 {
        painter.rect_filled(Rect::from_x_y_ranges(x0..=x1, rect.y_range()), 0.0, Color32::from_rgba_unmultiplied(0, 150, 200, 28));
    }
}

#[allow(clippy::too_many_arguments)]
fn ppg_pane(painter: &Painter, rect: Rect, axis: &TimeAxis, view: &ViewState, analysis: &Analysis, index: usize, channel: &Channel, attributions: Option<&AttributionCache>) {
    painter.rect_filled(rect, 0.0, Color32::WHITE);
    let range = axis.samples(channel, rect);
    let visible = &channel.samples[range.clone()];
    let Some((lo, hi)) = crate::dsp::finite_range(visible).filter(|(lo, hi)| hi > lo) else {
        pane_label(painter, rect, "PPG: no finite samples in view", Color32::DARK_RED);
        return;
    };
    let inner = rect.shrink2(vec2(0.0, 16.0));
    let y = |v: f32| inner.bottom() - (v - lo) / (hi - lo) * inner.height();
    let width_points = (rect.right() - axis.left).max(10.0) as usize;
    for line in analysis.pyramids[index].polylines(&channel.samples, channel.sample_rate_hz, axis.start_secs, axis.secs(rect.right()), width_points * 2) {
        let points: Vec<Pos2> = line.iter().map(|p| pos2(axis.x(p[0]), y(p[1] as f32))).collect();
        painter.add(Shape::line(points, Stroke::new(1.2, colors::PPG)));
    }
    let unit = if channel.unit.is_empty() { "no unit" } else { &channel.unit };
    let mut label = format!("{} [{unit}], autoscaled", channel.label);
    if let (Some(beats), Some(cache), Some(model)) = (&analysis.beats, attributions, &analysis.model) {
        if visible.len() > MAX_OVERLAY_SAMPLES {
            label.push_str(" — zoom in to see attributions");
        } else {
            let class = view.class.min(model.classes.len().saturating_sub(1));
            let drawn = attribution_overlay(painter, axis, rect, &y, view.show_top_fraction, class, beats, cache, channel);
            if drawn == 0 {
                label.push_str(" — IG for the beats in view: not computed yet");
            } else {
                label.push_str(&format!(" — IG for {} on {drawn} beats in view (colour: ±max |IG| in view; blue lowers, red raises)", model.classes[class]));
            }
        }
    }
    if let Some(beats) = &analysis.beats {
        let first = beats.beats.partition_point(|b| b.onset_secs < axis.start_secs);
        let last = beats.beats.partition_point(|b| b.onset_secs <= axis.secs(rect.right()));
        for b in &beats.beats[first..last.max(first)] {
            let index = (b.onset_secs * channel.sample_rate_hz).round() as usize;
            if let Some(&v) = channel.samples.get(index).filter(|v| v.is_finite()) {
                let color = if b.usable() { colors::USABLE_BEAT } else { colors::FLAGGED_BEAT };
                painter.circle_filled(pos2(axis.x(b.onset_secs), y(v)), 3.5, color);
            }
        }
    }
    pane_label(painter, rect, &label, colors::PPG);
}

/// Colours each visible beat's PPG samples by the class's attribution at that cycle point.
#[allow(clippy::too_many_arguments)]
fn attribution_overlay(painter: &Painter, axis: &TimeAxis, rect: Rect, y: &dyn Fn(f32) -> f32, top: bool, class: usize, beats: &BeatAnalysis, cache: &AttributionCache, channel: &Channel) -> usize {
    let first = beats.beats.partition_point(|b| b.onset_secs + b.duration_secs() < axis.start_secs);
    let last = beats.beats.partition_point(|b| b.onset_secs <= axis.secs(rect.right()));
    let maps: Vec<(usize, std::sync::Arc<crate::explain::ClassMaps>)> = (first..last.max(first)).filter_map(|i| cache.class_maps(i).map(|m| (i, m))).collect();
    let scale = maps.iter().flat_map(|(_, m)| m.class(class).iter()).fold(0f32, |s, v| s.max(v.abs()));
    if scale <= 0.0 {
        return 0;
    }
    let rate = channel.sample_rate_hz;
    for (i, maps) in &maps {
        let b = &beats.beats[*i];
        let attributions = maps.class(class);
        let mask = top.then(|| top_fraction_mask(attributions, TOP_FRACTION));
        let (start, end) = ((b.onset_secs * rate).round() as usize, ((b.onset_secs + b.duration_secs()) * rate).round() as usize);
        let end = end.min(channel.samples.len().saturating_sub(1));
        let point = |k: usize| ((k - start) * attributions.len() / (end - start).max(1)).min(attributions.len() - 1);
        for k in start..end {
            let (v0, v1) = (channel.samples[k], channel.samples[k + 1]);
            if !(v0.is_finite() && v1.is_finite()) {
                continue;
            }
            let (p0, p1) = (pos2(axis.x(k as f64 / rate), y(v0)), pos2(axis.x((k + 1) as f64 / rate), y(v1)));
            let j = point(k);
            if mask.as_ref().is_some_and(|m| m[j]) {
                painter.line_segment([p0, p1], Stroke::new(7.0, colors::HIGHLIGHT));
            }
            painter.line_segment([p0, p1], Stroke::new(2.5, colors::diverging(attributions[j] / scale)));
        }
    }
    maps.len()
}

fn real_ecg_pane(painter: &Painter, rect: Rect, axis: &TimeAxis, paper: &Paper, channel: &Channel) {
    paper.draw_grid(painter, rect);
    let range = axis.samples(channel, rect);
    let (scale_mv, unit_note) = channel.paper_scale_mv();
    let visible = &channel.samples[range.clone()];
    let centre_mv = channel.median_mv(range.clone(), scale_mv);
    let mid = rect.center().y;
    paper.draw_calibration(painter, pos2(rect.left() + 4.0, mid + 0.5 * paper.points_per_mv()), colors::REAL_ECG);
    let points: Vec<Pos2> = range
        .clone()
        .zip(visible)
        .filter(|(_, v)| v.is_finite())
        .map(|(k, &v)| pos2(axis.x(k as f64 / channel.sample_rate_hz), mid - ((f64::from(v) * scale_mv - centre_mv) as f32) * paper.points_per_mv()))
        .collect();
    painter.add(Shape::line(points, Stroke::new(1.3, colors::REAL_ECG)));
    let unit_note = unit_note.map_or(String::new(), |n| format!(" ({n})"));
    pane_label(painter, rect, &format!("ECG {} ({}) — {} mm/s, {} mm/mV, {}{unit_note}", channel.lead_label(), channel.label, paper.speed_mm_per_s, paper.gain_mm_per_mv, channel.filter_label()), colors::REAL_ECG);
}

fn generated_pane(painter: &Painter, rect: Rect, axis: &TimeAxis, paper: &Paper, analysis: &Analysis) {
    paper.draw_grid(painter, rect);
    let (Some(beats), Some(model)) = (&analysis.beats, &analysis.model) else { return };
    let mid = rect.center().y;
    paper.draw_calibration(painter, pos2(rect.left() + 4.0, mid + 0.5 * paper.points_per_mv()), colors::GENERATED_ECG);
    let first = beats.beats.partition_point(|b| b.onset_secs + b.duration_secs() < axis.start_secs);
    let last = beats.beats.partition_point(|b| b.onset_secs <= axis.secs(rect.right()) + 2.0);
    for i in first..last.max(first) {
        let Some(output) = model.outputs.get(i).and_then(Option::as_ref) else { continue };
        let (t0, t1) = analysis.generated_span_secs(i);
        let n = output.generated_ecg.len();
        let points: Vec<Pos2> = output
            .generated_ecg
            .iter()
            .enumerate()
            .map(|(k, &v)| pos2(axis.x(t0 + (t1 - t0) * k as f64 / n as f64), mid - (v - 0.5) * paper.points_per_mv()))
            .collect();
        painter.add(Shape::line(points, Stroke::new(1.5, colors::GENERATED_ECG)));
    }
    pane_label(
        painter,
        rect,
        &format!(
            "GENERATED ECG — synthetic, inferred from the PPG by {} {}; normalised units drawn as mV (pulse: 1 unit); one cycle per usable beat",
            model.model_name, model.model_version
        ),
        colors::GENERATED_ECG,
    );
}
