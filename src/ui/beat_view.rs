//! One beat, as the paper's Fig. 4: the 300×300 IG map with the PPG cycle along the bottom and the
//! GENERATED ECG cycle along the left; click a cell and both waveforms get a cursor, hover a
//! waveform and the heatmap lights the matching row or column. Beside it: generated vs real ECG
//! with Pearson r and rRMSE, the attribution settings and completeness, and the selected class's
//! map summed per pulse phase.

use std::sync::Arc;

use egui::{Align2, Color32, ColorImage, FontId, Pos2, Rect, Sense, Shape, Stroke, TextureHandle, TextureOptions, Ui, pos2, vec2};

use super::colors;
use super::view::ViewState;
use crate::analysis::Analysis;
use crate::dsp::cycles::CYCLE_LEN;
use crate::explain::summary::{normalise_rows, phase_attribution, phase_spans};
use crate::explain::{AttributionCache, EcgMap};

/// What the beat view needs from the app besides the analysis.
pub struct BeatMapState<'a> {
    pub map: Option<&'a Arc<EcgMap>>,
    pub pending: bool,
    pub error: Option<&'a str>,
    /// The drawn map: (beat, rows normalised, texture, max |IG| of the map).
    pub texture: &'a mut Option<(usize, bool, TextureHandle, f32)>,
    pub steps: usize,
}

pub fn show(ui: &mut Ui, view: &mut ViewState, analysis: &Analysis, attributions: Option<&AttributionCache>, mut state: BeatMapState<'_>) {
    let Some(beats) = &analysis.beats else {
        ui.label("No PPG channel: no beats to show.");
        return;
    };
    let Some(beat) = beats.beats.get(view.beat) else {
        ui.label("No beats were detected in this recording.");
        return;
    };
    let rr_ms = beat.duration_secs() * 1000.0;
    ui.horizontal(|ui| {
        ui.strong(format!("Beat {} of {}", view.beat + 1, beats.beats.len()));
        ui.label(format!("at {:.2} s, {:.0} ms ({:.0} bpm)", beat.onset_secs, rr_ms, 60_000.0 / rr_ms));
        if beat.issues.is_empty() {
            ui.colored_label(colors::USABLE_BEAT, "quality: usable");
        } else {
            let reasons: Vec<&str> = beat.issues.iter().map(|r| r.describe()).collect();
            ui.colored_label(colors::FLAGGED_BEAT, format!("flagged: {}", reasons.join("; ")));
        }
    });
    if !beat.ppg_usable() {
        ui.label("The PPG of this beat is not usable, so the network does not run on it: no generated ECG, probabilities or attributions.");
        return;
    }
    let Some(ppg_cycle) = beats.ppg_cycle(view.beat) else { return };
    let real = beats.ecg_cycle(view.beat);
    let generated = analysis.model.as_ref().and_then(|m| m.outputs.get(view.beat)?.as_ref()).map(|o| o.generated_ecg.as_slice());

    ui.horizontal_top(|ui| {
        ui.vertical(|ui| heatmap_block(ui, view, ppg_cycle, generated, &mut state, rr_ms));
        ui.vertical(|ui| {
            side_panel(ui, view, analysis, attributions, generated, real, &state);
        });
    });
}

fn heatmap_block(ui: &mut Ui, view: &mut ViewState, ppg: &[f32], generated: Option<&[f32]>, state: &mut BeatMapState<'_>, rr_ms: f64) {
    let side = (ui.available_height() - 110.0).min(ui.available_width() * 0.55 - 90.0).clamp(150.0, 520.0);
    let (ecg_w, ppg_h, bar_w) = (70.0, 70.0, 60.0);
    let origin = ui.cursor().min;
    let total = Rect::from_min_size(origin, vec2(ecg_w + side + bar_w, side + ppg_h + 24.0));
    ui.allocate_rect(total, Sense::hover());
    let heat = Rect::from_min_size(origin + vec2(ecg_w, 0.0), vec2(side, side));
    let ecg_rect = Rect::from_min_size(origin, vec2(ecg_w - 4.0, side));
    let ppg_rect = Rect::from_min_size(pos2(heat.left(), heat.bottom() + 4.0), vec2(side, ppg_h - 4.0));
    let bar = Rect::from_min_size(pos2(heat.right() + 8.0, heat.top()), vec2(12.0, side));
    let cell_px = side / CYCLE_LEN as f32;

    let heat_response = ui.interact(heat, ui.scope_id().with("ig-heatmap"), Sense::click());
    heat_response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "IG heatmap"));
    let ecg_response = ui.interact(ecg_rect, ui.scope_id().with("beat-ecg"), Sense::click());
    ecg_response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "Generated ECG cycle"));
    let ppg_response = ui.interact(ppg_rect, ui.scope_id().with("beat-ppg"), Sense::click());
    ppg_response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "PPG cycle"));
    let cell_at = |p: Pos2| {
        let j = (((p.x - heat.left()) / cell_px) as usize).min(CYCLE_LEN - 1);
        let i = (((p.y - heat.top()) / cell_px) as usize).min(CYCLE_LEN - 1);
        (i, j)
    };
    let mut hover_cell = heat_response.hover_pos().map(cell_at);
    if heat_response.clicked()
        && let Some(p) = heat_response.interact_pointer_pos()
    {
        view.cell = Some(cell_at(p));
    }
    view.hover_ppg_point = ppg_response.hover_pos().map(|p| (((p.x - ppg_rect.left()) / cell_px) as usize).min(CYCLE_LEN - 1));
    view.hover_ecg_point = ecg_response.hover_pos().map(|p| (((p.y - ecg_rect.top()) / cell_px) as usize).min(CYCLE_LEN - 1));
    if ppg_response.clicked()
        && let Some(j) = view.hover_ppg_point
    {
        view.cell = Some((view.cell.map_or(CYCLE_LEN / 2, |c| c.0), j));
    }
    if ecg_response.clicked()
        && let Some(i) = view.hover_ecg_point
    {
        view.cell = Some((i, view.cell.map_or(CYCLE_LEN / 2, |c| c.1)));
    }

    let painter = ui.painter();
    painter.rect_filled(heat, 0.0, Color32::from_gray(235));
    let scale = match state.map {
        Some(map) => {
            let (texture, scale) = heatmap_texture(ui.ctx(), state.texture, view.beat, view.rows_normalised, map);
            painter.image(texture.id(), heat, Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)), Color32::WHITE);
            scale
        }
        None => {
            let text = match (state.error, state.pending) {
                (Some(e), _) => format!("Could not compute the map: {e}"),
                (None, true) => format!("Computing the 300×300 map: 300 × {} network evaluations…", state.steps),
                (None, false) => "The map is computed when this view is open.".to_string(),
            };
            painter.text(heat.center(), Align2::CENTER_CENTER, text, FontId::proportional(13.0), Color32::DARK_GRAY);
            hover_cell = None;
            0.0
        }
    };
    // Linked cursors: the hovered row/column and the selected cell, on the map and both traces.
    let faint = Stroke::new(1.0, Color32::from_rgba_unmultiplied(0, 0, 0, 90));
    let strong = Stroke::new(1.5, colors::CURSOR);
    if let Some(i) = view.hover_ecg_point.or(hover_cell.map(|c| c.0)) {
        let y = heat.top() + (i as f32 + 0.5) * cell_px;
        painter.line_segment([pos2(heat.left(), y), pos2(heat.right(), y)], faint);
    }
    if let Some(j) = view.hover_ppg_point.or(hover_cell.map(|c| c.1)) {
        let x = heat.left() + (j as f32 + 0.5) * cell_px;
        painter.line_segment([pos2(x, heat.top()), pos2(x, heat.bottom())], faint);
    }
    draw_cycle_horizontal(painter, ppg_rect, ppg, colors::PPG);
    if let Some(g) = generated {
        draw_cycle_vertical(painter, ecg_rect, g, colors::GENERATED_ECG);
    }
    painter.text(pos2(ecg_rect.center().x, ecg_rect.bottom() + 2.0), Align2::CENTER_TOP, "GENERATED\nECG", FontId::proportional(10.0), colors::GENERATED_ECG);
    if let Some((i, j)) = view.cell {
        let (x, y) = (heat.left() + (j as f32 + 0.5) * cell_px, heat.top() + (i as f32 + 0.5) * cell_px);
        painter.line_segment([pos2(x, ppg_rect.top()), pos2(x, ppg_rect.bottom())], strong);
        painter.line_segment([pos2(ecg_rect.left(), y), pos2(ecg_rect.right(), y)], strong);
        painter.circle_stroke(pos2(x, y), 4.0, strong);
    }
    painter.text(pos2(heat.center().x, ppg_rect.bottom() + 2.0), Align2::CENTER_TOP, format!("PPG cycle point, 0–299 over {rr_ms:.0} ms"), FontId::proportional(11.0), Color32::DARK_GRAY);
    colour_bar(painter, bar, scale, view.rows_normalised);
}

fn heatmap_texture<'t>(ctx: &egui::Context, slot: &'t mut Option<(usize, bool, TextureHandle, f32)>, beat: usize, rows_normalised: bool, map: &EcgMap) -> (&'t TextureHandle, f32) {
    let stale = !matches!(slot, Some((b, n, _, _)) if *b == beat && *n == rows_normalised);
    if stale {
        let scale = map.attributions.iter().fold(0f32, |s, v| s.max(v.abs()));
        let pixels = if rows_normalised {
            // Row-normalised values are in [0, 1]: the white-to-red half of the map.
            normalise_rows(&map.attributions, CYCLE_LEN).into_iter().map(colors::diverging).collect()
        } else {
            let divisor = scale.max(f32::MIN_POSITIVE);
            map.attributions.iter().map(|&v| colors::diverging(v / divisor)).collect()
        };
        let image = ColorImage::new([CYCLE_LEN, CYCLE_LEN], pixels);
        *slot = Some((beat, rows_normalised, ctx.load_texture("ig-heatmap", image, TextureOptions::NEAREST), scale));
    }
    let (_, _, texture, scale) = slot.as_ref().expect("filled above");
    (texture, *scale)
}

fn colour_bar(painter: &egui::Painter, bar: Rect, scale: f32, rows_normalised: bool) {
    let steps = 64;
    for k in 0..steps {
        let v = 1.0 - 2.0 * (k as f32 + 0.5) / steps as f32;
        let v = if rows_normalised { (v + 1.0) / 2.0 } else { v };
        let r = Rect::from_min_size(pos2(bar.left(), bar.top() + bar.height() * k as f32 / steps as f32), vec2(bar.width(), bar.height() / steps as f32 + 0.5));
        painter.rect_filled(r, 0.0, colors::diverging(v));
    }
    let font = FontId::proportional(10.0);
    let (top, bottom) = if rows_normalised { ("1 (row max)".to_string(), "0 (row min)".to_string()) } else { (format!("+{scale:.2e}"), format!("−{scale:.2e}")) };
    painter.text(bar.right_top() + vec2(3.0, 0.0), Align2::LEFT_TOP, top, font.clone(), Color32::DARK_GRAY);
    painter.text(bar.right_bottom() + vec2(3.0, 0.0), Align2::LEFT_BOTTOM, bottom, font.clone(), Color32::DARK_GRAY);
    if !rows_normalised {
        painter.text(pos2(bar.right() + 3.0, bar.center().y), Align2::LEFT_CENTER, "0", font, Color32::DARK_GRAY);
    }
}

/// A cycle's range for drawing; a flat (or non-finite) one gets a unit band so it draws level.
fn min_max(x: &[f32]) -> (f32, f32) {
    match crate::dsp::finite_range(x) {
        Some((lo, hi)) if hi > lo => (lo, hi),
        Some((lo, _)) => (lo - 1.0, lo + 1.0),
        None => (-1.0, 1.0),
    }
}

fn draw_cycle_horizontal(painter: &egui::Painter, rect: Rect, cycle: &[f32], color: Color32) {
    let (lo, hi) = min_max(cycle);
    let n = cycle.len().max(2) as f32;
    let points: Vec<Pos2> = cycle.iter().enumerate().map(|(k, &v)| pos2(rect.left() + (k as f32 + 0.5) / n * rect.width(), rect.bottom() - (v - lo) / (hi - lo) * rect.height())).collect();
    painter.rect_stroke(rect, 0.0, Stroke::new(0.5, Color32::from_gray(200)), egui::StrokeKind::Inside);
    painter.add(Shape::line(points, Stroke::new(1.3, color)));
}

/// ECG point 0 at the top, amplitude growing to the right: the heatmap's rows read across.
fn draw_cycle_vertical(painter: &egui::Painter, rect: Rect, cycle: &[f32], color: Color32) {
    let (lo, hi) = min_max(cycle);
    let n = cycle.len().max(2) as f32;
    let points: Vec<Pos2> = cycle.iter().enumerate().map(|(k, &v)| pos2(rect.left() + (v - lo) / (hi - lo) * rect.width(), rect.top() + (k as f32 + 0.5) / n * rect.height())).collect();
    painter.rect_stroke(rect, 0.0, Stroke::new(0.5, Color32::from_gray(200)), egui::StrokeKind::Inside);
    painter.add(Shape::line(points, Stroke::new(1.3, color)));
}

fn side_panel(ui: &mut Ui, view: &mut ViewState, analysis: &Analysis, attributions: Option<&AttributionCache>, generated: Option<&[f32]>, real: Option<&[f32]>, state: &BeatMapState<'_>) {
    let beats = analysis.beats.as_ref().expect("checked by the caller");
    let rr_ms = beats.beats[view.beat].duration_secs() * 1000.0;
    // Cursor readouts: what the linked cursors point at, in words (and for screen readers).
    match view.cell {
        Some((i, j)) => {
            ui.label(format!("ECG cursor: point {i} of the GENERATED cycle"));
            ui.label(format!("PPG cursor: point {j} ({:.0} ms after the onset)", j as f64 / CYCLE_LEN as f64 * rr_ms));
            if let Some(map) = state.map {
                ui.label(format!("IG of PPG point {j} on generated-ECG point {i}: {:+.3e}", map.attributions[i * CYCLE_LEN + j]));
            }
        }
        None => {
            ui.label("Click the heatmap or a waveform to place the linked cursors.");
        }
    }
    ui.checkbox(&mut view.rows_normalised, "Normalise rows (as the paper's Fig. 4)");
    if let Some(map) = state.map {
        ui.label(format!("Map settings: {}; {} steps used", map.settings.describe(), map.steps_used));
        ui.label(format!(
            "Completeness: Σ IG over each row vs generated − baseline ECG: max error {:.2e}, relative {:.2} %",
            map.completeness.max_abs_error,
            100.0 * map.completeness.relative_error
        ));
    }
    ui.separator();
    // Generated vs real ECG, overlaid.
    let (rect, response) = ui.allocate_exact_size(vec2(ui.available_width().min(420.0), 150.0), Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "Generated vs real ECG"));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::WHITE);
    if let Some(r) = real {
        draw_cycle_horizontal(&painter, rect, r, colors::REAL_ECG);
    }
    if let Some(g) = generated {
        draw_cycle_horizontal(&painter, rect, g, colors::GENERATED_ECG);
    }
    if let Some((i, _)) = view.cell {
        let x = rect.left() + (i as f32 + 0.5) / CYCLE_LEN as f32 * rect.width();
        painter.line_segment([pos2(x, rect.top()), pos2(x, rect.bottom())], Stroke::new(1.5, colors::CURSOR));
    }
    painter.text(rect.left_top() + vec2(4.0, 2.0), Align2::LEFT_TOP, "real ECG", FontId::proportional(11.0), colors::REAL_ECG);
    painter.text(rect.left_top() + vec2(4.0, 15.0), Align2::LEFT_TOP, "GENERATED ECG", FontId::proportional(11.0), colors::GENERATED_ECG);
    match analysis.model.as_ref().and_then(|m| m.fits.get(view.beat).copied().flatten()) {
        Some(fit) => ui.label(format!("Pearson r = {:.3}, rRMSE = {:.3} (both cycles min–max normalised)", fit.pearson_r, fit.rrmse)),
        None if real.is_none() => ui.label("No real ECG cycle for this beat: r and rRMSE need one."),
        None => ui.label("Waiting for the network."),
    };
    ui.separator();
    class_summary(ui, view, analysis, attributions);
}

fn class_summary(ui: &mut Ui, view: &mut ViewState, analysis: &Analysis, attributions: Option<&AttributionCache>) {
    let (Some(model), Some(beats)) = (&analysis.model, &analysis.beats) else { return };
    super::strip::class_picker(ui, view, &model.classes);
    let class = view.class.min(model.classes.len().saturating_sub(1));
    let Some(maps) = attributions.and_then(|c| c.class_maps(view.beat)) else {
        let progress = attributions.map(|c| c.progress());
        ui.label(match progress {
            Some(p) => format!("Per-class attributions: {} of {} beats computed…", p.done_beats, p.total_beats),
            None => "Per-class attributions are not available.".to_string(),
        });
        return;
    };
    ui.label(format!(
        "P({}) of this beat: {:.3} (baseline input: {:.3}); {}; completeness error {:.2} %",
        model.classes[class],
        maps.probabilities[class],
        maps.baseline_probabilities[class],
        maps.settings.describe(),
        100.0 * maps.completeness[class].relative_error
    ));
    let spans = phase_spans(&beats.beats[view.beat].fiducials);
    egui::Grid::new("phase-table").striped(true).num_columns(4).show(ui, |ui| {
        ui.strong("pulse phase");
        ui.strong("cycle points");
        ui.strong("Σ IG (signed)");
        ui.strong("share of |IG|");
        ui.end_row();
        for p in phase_attribution(maps.class(class), &spans) {
            ui.label(p.phase.label());
            ui.label(format!("{}–{}", p.start, p.end.saturating_sub(1)));
            ui.label(format!("{:+.3e}", p.sum));
            ui.label(format!("{:.0} %", 100.0 * p.share_of_magnitude));
            ui.end_row();
        }
    });
}
