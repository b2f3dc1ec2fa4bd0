//! The whole recording at a glance: the PPG min/max envelope, beat quality, the probability
//! timeline per class, and the strip's window, which the user drags or clicks to move.

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Shape, Stroke, Ui, pos2, vec2};

use super::colors;
use super::view::ViewState;
use crate::analysis::Analysis;

pub const HEIGHT: f32 = 120.0;

pub fn show(ui: &mut Ui, view: &mut ViewState, analysis: &Analysis) {
    let rect = Rect::from_min_size(ui.cursor().min, vec2(ui.available_width(), HEIGHT));
    let response = ui.allocate_rect(rect, Sense::click_and_drag());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "Overview"));
    let duration = analysis.recording.duration_secs().max(1e-3);
    let x_of = |secs: f64| rect.left() + (secs / duration) as f32 * rect.width();
    let secs_of = |x: f32| f64::from((x - rect.left()) / rect.width()) * duration;
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(248));
    let trace = Rect::from_min_max(rect.min, pos2(rect.right(), rect.top() + HEIGHT * 0.5));
    let ticks = Rect::from_min_max(pos2(rect.left(), trace.bottom() + 2.0), pos2(rect.right(), trace.bottom() + 10.0));
    let timeline = Rect::from_min_max(pos2(rect.left(), ticks.bottom() + 3.0), rect.max);

    if let Some(index) = analysis.recording.ppg_channel() {
        let channel = &analysis.recording.channels[index];
        let lines = analysis.pyramids[index].polylines(&channel.samples, channel.sample_rate_hz, 0.0, duration, rect.width() as usize * 2);
        let (lo, hi) = lines.iter().flatten().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p[1]), hi.max(p[1])));
        if hi > lo {
            for line in lines {
                let points: Vec<Pos2> = line.iter().map(|p| pos2(x_of(p[0]), trace.bottom() - ((p[1] - lo) / (hi - lo)) as f32 * trace.height())).collect();
                painter.add(Shape::line(points, Stroke::new(1.0, colors::PPG)));
            }
        }
    }
    let bins = &analysis.overview;
    // One tick per pixel column: orange when any beat in it is flagged, else green.
    let columns = rect.width().max(1.0) as usize;
    let bins_per_column = bins.quality.len() as f64 / columns as f64;
    let bin_range = |c: usize| ((c as f64 * bins_per_column) as usize)..(((c + 1) as f64 * bins_per_column).ceil() as usize).min(bins.quality.len());
    for c in 0..columns {
        let state = bins.quality[bin_range(c)].iter().copied().max().unwrap_or(0);
        if state > 0 {
            let color = if state == 2 { colors::FLAGGED_BEAT } else { colors::USABLE_BEAT };
            let x = rect.left() + c as f32 + 0.5;
            painter.line_segment([pos2(x, ticks.top()), pos2(x, ticks.bottom())], Stroke::new(1.0, color));
        }
    }
    if let Some(model) = &analysis.model {
        probability_timeline(&painter, timeline, analysis, &model.classes, &bin_range, columns);
    }
    if let Some(b) = analysis.beats.as_ref().and_then(|beats| beats.beats.get(view.beat)) {
        let x = x_of(b.onset_secs);
        painter.line_segment([pos2(x, rect.top()), pos2(x, rect.bottom())], Stroke::new(1.0, colors::CURSOR));
    }
    let window = Rect::from_x_y_ranges(x_of(view.strip_start_secs)..=x_of(view.strip_start_secs + view.strip_window_secs).max(x_of(view.strip_start_secs) + 3.0), rect.y_range());
    painter.rect_filled(window, 0.0, Color32::from_rgba_unmultiplied(0, 120, 200, 40));
    painter.rect_stroke(window, 0.0, Stroke::new(1.5, Color32::from_rgb(0, 100, 180)), egui::StrokeKind::Inside);

    if response.dragged() {
        view.strip_start_secs += f64::from(response.drag_delta().x / rect.width()) * duration;
        view.clamp_strip(duration);
    } else if response.clicked()
        && let Some(p) = response.interact_pointer_pos()
    {
        let t = secs_of(p.x);
        view.centre_strip_on(analysis, t);
        if let Some(beats) = &analysis.beats {
            let beat = beats.beats.partition_point(|b| b.onset_secs <= t).saturating_sub(1);
            view.beat = beat.min(beats.beats.len().saturating_sub(1));
            view.cell = None;
        }
    }
    response.on_hover_text("Drag the window, or click to jump there");
}

/// Per pixel column, the mean probability of each class over the beats in it.
fn probability_timeline(painter: &egui::Painter, rect: Rect, analysis: &Analysis, classes: &[String], bin_range: &dyn Fn(usize) -> std::ops::Range<usize>, columns: usize) {
    let bins = &analysis.overview;
    painter.line_segment([pos2(rect.left(), rect.center().y), pos2(rect.right(), rect.center().y)], Stroke::new(0.5, Color32::from_gray(200)));
    // Lines join neighbouring beats and break across gaps longer than MAX_GAP_SECS (no usable
    // beats there: the timeline must not draw a probability over them).
    let secs_per_column = analysis.recording.duration_secs() / columns as f64;
    for k in 0..bins.classes.min(classes.len()) {
        let mut line: Vec<Pos2> = Vec::new();
        let mut last_column = None;
        for c in 0..columns {
            let (mut sum, mut n) = (0f64, 0u32);
            for bin in bin_range(c) {
                let p = bins.probabilities[bin * bins.classes + k];
                if p.is_finite() {
                    sum += f64::from(p);
                    n += 1;
                }
            }
            if n == 0 {
                continue;
            }
            if last_column.is_some_and(|l: usize| (c - l) as f64 * secs_per_column > MAX_GAP_SECS) {
                flush(painter, &mut line, k);
            }
            line.push(pos2(rect.left() + c as f32 + 0.5, rect.bottom() - (sum / f64::from(n)) as f32 * rect.height()));
            last_column = Some(c);
        }
        flush(painter, &mut line, k);
        painter.text(pos2(rect.right() - 4.0, rect.top() + 12.0 * k as f32), Align2::RIGHT_TOP, format!("P({})", classes[k]), FontId::proportional(11.0), colors::class_color(k));
    }
}

/// Longest stretch without usable beats that the probability line bridges.
const MAX_GAP_SECS: f64 = 5.0;

fn flush(painter: &egui::Painter, line: &mut Vec<Pos2>, class: usize) {
    let points = std::mem::take(line);
    match points.len() {
        0 => {}
        1 => {
            painter.circle_filled(points[0], 1.5, colors::class_color(class));
        }
        _ => {
            painter.add(Shape::line(points, Stroke::new(1.2, colors::class_color(class))));
        }
    }
}
