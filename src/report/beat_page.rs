//! One reviewed beat per page: its facts, three synchronised strips on true-scale ECG paper
//! (PPG with the top-20 % attribution highlighted, the real ECG, the GENERATED ECG), the
//! 300×300 IG heatmap laid out as the paper's Fig. 4 with its colour bar and settings, the
//! generated-vs-real overlay and the attribution per pulse phase.

use crate::analysis::Analysis;
use crate::explain::EcgMap;
use crate::explain::summary::{TOP_FRACTION, diverging_rgb, phase_attribution, phase_spans, top_fraction_mask};

use super::canvas::{BLACK, Canvas, GREY, PAGE_WIDTH_MM, Rgb};
use super::paper::Strip;
use super::prepare::strip_for;
use super::{MARGIN_MM, ReportBeat, ReportInput, STRIP_WIDTH_MM};

const PPG: Rgb = [30, 100, 200];
const GENERATED: Rgb = [200, 30, 160];
const HIGHLIGHT: Rgb = [255, 196, 110];
const USABLE: Rgb = [40, 170, 80];
const FLAGGED: Rgb = [230, 120, 0];
const BAND: Rgb = [232, 236, 242];
const SMALL_PT: f32 = 7.5;

pub fn draw(c: &mut Canvas, input: &ReportInput, beat: &ReportBeat, page_index: usize) {
    let analysis = &input.analysis;
    let (Some(beats), Some(model)) = (&analysis.beats, &analysis.model) else { return };
    let Some(b) = beats.beats.get(beat.index) else { return };
    c.text(MARGIN_MM, 26.0, 11.5, &format!("Beat page {} — beat {} at {:.2} s", page_index + 1, beat.index + 1, b.onset_secs), true, BLACK);
    c.text_fit(MARGIN_MM, 31.0, 8.5, STRIP_WIDTH_MM, &format!("Why this beat: {}", beat.choice.describe()), false, BLACK);
    let quality = b.quality_text();
    let probabilities = model.outputs.get(beat.index).and_then(Option::as_ref).map_or("network not run on this beat".to_string(), |o| {
        model.classes.iter().zip(&o.probabilities).map(|(k, p)| format!("P({k}) {p:.3}")).collect::<Vec<_>>().join(", ")
    });
    let fit = model.fits.get(beat.index).and_then(|f| *f).map_or("no real ECG cycle to compare".to_string(), |f| format!("GENERATED vs real: r {:.3}, rRMSE {:.3}", f.pearson_r, f.rrmse));
    c.text_fit(MARGIN_MM, 36.0, 8.0, STRIP_WIDTH_MM, &format!("{:.3} s ({:.0} bpm) · quality {quality} · {probabilities} · {fit}", b.duration_secs(), 60.0 / b.duration_secs().max(1e-3)), false, BLACK);

    let options = &input.options;
    let ppg = strip_for(analysis, beat.index, options, MARGIN_MM, 43.0, STRIP_WIDTH_MM, 24.0);
    let real = Strip { y_mm: 73.0, height_mm: 30.0, ..ppg };
    let generated = Strip { y_mm: 108.0, height_mm: 30.0, ..ppg };
    // The beat under review, behind the strips: on the PPG from onset to onset, on the ECGs
    // over the R–R span its GENERATED cycle stands for (earlier by the pulse arrival time).
    let band = |c: &mut Canvas, (t0, t1): (f64, f64), top: f32, bottom: f32| {
        let (x0, x1) = (ppg.x(t0).max(ppg.x_mm), ppg.x(t1).min(ppg.x_mm + ppg.width_mm));
        if x1 > x0 {
            c.fill_rect(x0, top, x1 - x0, bottom - top, BAND, 1.0);
        }
    };
    band(c, (b.onset_secs, b.onset_secs + b.duration_secs()), ppg.y_mm, ppg.y_mm + ppg.height_mm);
    band(c, analysis.generated_span_secs(beat.index), real.y_mm, generated.y_mm + generated.height_mm);
    ppg_strip(c, input, &ppg);
    real_strip(c, analysis, &real);
    generated_strip(c, input, &generated);
    if let Some(map) = &beat.ecg_map {
        heatmap(c, analysis, beat.index, map);
    } else {
        c.text(MARGIN_MM, 150.0, 8.5, "300×300 attribution map: not computed for this page (the report's heatmap limit).", false, GREY);
    }
    right_column(c, input, beat.index);
}

fn ppg_strip(c: &mut Canvas, input: &ReportInput, strip: &Strip) {
    let analysis = &input.analysis;
    let Some(channel) = analysis.recording.ppg_channel().map(|i| &analysis.recording.channels[i]) else { return };
    let rate = channel.sample_rate_hz;
    let range = strip.sample_range(rate, channel.samples.len());
    let (first, last) = (range.start, range.end);
    let visible = &channel.samples[range];
    c.stroke_rect(strip.x_mm, strip.y_mm, strip.width_mm, strip.height_mm, 0.2, GREY);
    let Some((lo, hi)) = crate::dsp::finite_range(visible).filter(|(lo, hi)| hi > lo) else {
        c.text(strip.x_mm + 2.0, strip.mid_y(), 8.0, "PPG: no finite samples here", false, FLAGGED);
        return;
    };
    let y = |v: f32| strip.y_mm + strip.height_mm - 1.5 - (v - lo) / (hi - lo) * (strip.height_mm - 3.0);
    let point = |k: usize| (strip.x(k as f64 / rate), y(channel.samples[k]));
    let class = input.highlight_class;
    let class_name = analysis.model.as_ref().and_then(|m| m.classes.get(class)).cloned().unwrap_or_default();
    let mut highlighted = 0;
    if let Some(beats) = &analysis.beats {
        for (&i, maps) in &input.class_maps {
            let b = &beats.beats[i];
            let (start, end) = ((b.onset_secs * rate).round() as usize, ((b.onset_secs + b.duration_secs()) * rate).round() as usize);
            if end <= first || start >= last || end <= start {
                continue;
            }
            highlighted += 1;
            let mask = top_fraction_mask(maps.class(class), TOP_FRACTION);
            let on = |k: usize| mask[((k - start) * mask.len() / (end - start)).min(mask.len() - 1)];
            let mut run = Vec::new();
            for k in start.max(first)..end.min(last) {
                if on(k) && channel.samples[k].is_finite() {
                    run.push(point(k));
                } else {
                    c.polyline(&run, 1.6, HIGHLIGHT);
                    run.clear();
                }
            }
            c.polyline(&run, 1.6, HIGHLIGHT);
        }
    }
    let trace: Vec<(f32, f32)> = (first..last).filter(|&k| channel.samples[k].is_finite()).map(point).collect();
    c.polyline(&trace, 0.3, PPG);
    if let Some(beats) = &analysis.beats {
        for b in beats.beats.iter().filter(|b| strip.contains_secs(b.onset_secs)) {
            let k = ((b.onset_secs * rate).round() as usize).min(channel.samples.len().saturating_sub(1));
            if channel.samples[k].is_finite() {
                let (x, yy) = point(k);
                c.fill_rect(x - 0.6, yy - 0.6, 1.2, 1.2, if b.usable() { USABLE } else { FLAGGED }, 1.0);
            }
        }
    }
    let unit = if channel.unit.is_empty() { "no unit" } else { &channel.unit };
    let overlay = if highlighted > 0 { format!("orange: the top {:.0} % attribution points for {class_name} (IG) on {highlighted} beats", 100.0 * TOP_FRACTION) } else { "attributions not computed".into() };
    c.text_fit(strip.x_mm, strip.y_mm - 1.2, SMALL_PT, strip.width_mm, &format!("PPG “{}” [{unit}], autoscaled, {} mm/s — {overlay}; dots: beat onsets (green usable, orange flagged)", channel.label, strip.speed_mm_per_s), false, PPG);
}

fn real_strip(c: &mut Canvas, analysis: &Analysis, strip: &Strip) {
    let recording = &analysis.recording;
    let Some(channel) = recording.ecg_channel().map(|i| &recording.channels[i]) else {
        c.stroke_rect(strip.x_mm, strip.y_mm, strip.width_mm, strip.height_mm, 0.2, GREY);
        c.text(strip.x_mm + 2.0, strip.mid_y(), 8.5, "No ECG in this file: the GENERATED ECG below cannot be checked against a recorded one.", false, GREY);
        return;
    };
    strip.draw_grid(c);
    let (scale_mv, unit_note) = channel.paper_scale_mv();
    let rate = channel.sample_rate_hz;
    let range = strip.sample_range(rate, channel.samples.len());
    let centre_mv = channel.median_mv(range.clone(), scale_mv);
    strip.draw_calibration(c, strip.mid_y() + strip.gain_mm_per_mv / 2.0, BLACK);
    strip.draw_trace(c, range.map(|k| (k as f64 / rate, f64::from(channel.samples[k]) * scale_mv)), centre_mv, 0.25, BLACK);
    let unit_note = unit_note.map_or(String::new(), |n| format!(" ({n})"));
    let label = format!("ECG {} (“{}”), recorded — {} mm/s, {} mm/mV, {}{unit_note}", channel.lead_label(), channel.label, strip.speed_mm_per_s, strip.gain_mm_per_mv, channel.filter_label());
    c.text_fit(strip.x_mm, strip.y_mm - 1.2, SMALL_PT, strip.width_mm, &label, false, BLACK);
}

fn generated_strip(c: &mut Canvas, input: &ReportInput, strip: &Strip) {
    let analysis = &input.analysis;
    let (Some(beats), Some(model)) = (&analysis.beats, &analysis.model) else { return };
    strip.draw_grid(c);
    strip.draw_calibration(c, strip.mid_y() + strip.gain_mm_per_mv / 2.0, GENERATED);
    for i in 0..beats.beats.len() {
        let Some(output) = model.outputs.get(i).and_then(Option::as_ref) else { continue };
        let (t0, t1) = analysis.generated_span_secs(i);
        if t1 < strip.start_secs || t0 > strip.start_secs + strip.window_secs() {
            continue;
        }
        let n = output.generated_ecg.len() as f64;
        // Normalised units (the cycle spans about 0..1) drawn as mV: 1 unit is the pulse height.
        let points = output.generated_ecg.iter().enumerate().map(|(k, &v)| (t0 + (t1 - t0) * k as f64 / n, f64::from(v)));
        strip.draw_trace(c, points, 0.5, 0.3, GENERATED);
    }
    c.text_right(strip.x_mm + strip.width_mm - 1.5, strip.y_mm + 5.5, 11.0, "GENERATED", true, GENERATED);
    c.text_fit(
        strip.x_mm,
        strip.y_mm - 1.2,
        SMALL_PT,
        strip.width_mm,
        &format!(
            "GENERATED ECG — synthetic, inferred from the PPG by {} {}; {} mm/s, normalised units drawn at {} mm per unit (pulse: 1 unit)",
            model.model_name, model.model_version, strip.speed_mm_per_s, strip.gain_mm_per_mv
        ),
        false,
        GENERATED,
    );
}

/// Fig. 4: rows = GENERATED-ECG points (drawn down the left), columns = PPG points (drawn
/// along the top); red raises the ECG point, blue lowers it.
fn heatmap(c: &mut Canvas, analysis: &Analysis, beat: usize, map: &EcgMap) {
    let (x, y, size) = (MARGIN_MM + 22.0, 170.0, 80.0);
    let n = map.generated_ecg.len().max(1);
    c.text_fit(MARGIN_MM, 146.0, 10.0, STRIP_WIDTH_MM, "Integrated Gradients: which PPG points made each GENERATED-ECG point (paper Fig. 4)", true, BLACK);
    let scale = map.attributions.iter().fold(0f32, |s, v| s.max(v.abs())).max(f32::MIN_POSITIVE);
    let pixels: Vec<[u8; 3]> = map.attributions.iter().map(|&v| diverging_rgb(v / scale).unwrap_or([128, 128, 128])).collect();
    c.image_rgb(x, y, size, size, &pixels, n as u32, (map.attributions.len() / n) as u32);
    c.stroke_rect(x, y, size, size, 0.2, BLACK);
    if let Some(cycle) = analysis.beats.as_ref().and_then(|b| b.ppg_cycle(beat)) {
        let (lo, hi) = crate::dsp::finite_range(cycle).unwrap_or((0.0, 1.0));
        let points: Vec<(f32, f32)> = cycle.iter().enumerate().map(|(j, &v)| (x + size * j as f32 / cycle.len() as f32, y - 2.0 - 16.0 * (v - lo) / (hi - lo).max(1e-6))).collect();
        c.polyline(&points, 0.3, PPG);
        c.text(x, y - 19.5, SMALL_PT, "PPG cycle (columns, onset → next onset)", false, PPG);
    }
    let (lo, hi) = crate::dsp::finite_range(&map.generated_ecg).unwrap_or((0.0, 1.0));
    let points: Vec<(f32, f32)> = map.generated_ecg.iter().enumerate().map(|(i, &v)| (x - 2.0 - 18.0 * (v - lo) / (hi - lo).max(1e-6), y + size * i as f32 / n as f32)).collect();
    c.polyline(&points, 0.3, GENERATED);
    c.text(MARGIN_MM, y + size + 4.0, SMALL_PT, "← GENERATED ECG cycle (rows, R → next R)", false, GENERATED);
    let bar_x = x + size + 3.0;
    for s in 0..40 {
        let v = 1.0 - 2.0 * (s as f32 + 0.5) / 40.0;
        c.fill_rect(bar_x, y + size * s as f32 / 40.0, 4.0, size / 40.0 + 0.05, diverging_rgb(v).unwrap_or([128, 128, 128]), 1.0);
    }
    c.stroke_rect(bar_x, y, 4.0, size, 0.15, BLACK);
    c.text(bar_x + 5.0, y + 2.5, SMALL_PT, &format!("+{scale:.2e}"), false, BLACK);
    c.text(bar_x + 5.0, y + size / 2.0 + 1.0, SMALL_PT, "0", false, BLACK);
    c.text(bar_x + 5.0, y + size, SMALL_PT, &format!("−{scale:.2e}"), false, BLACK);
    let caption = [
        format!("IG {}; {} steps used.", map.settings.describe(), map.steps_used),
        format!("Completeness: max |Σ IG − Δf| = {:.2e}, relative {:.2} %.", map.completeness.max_abs_error, 100.0 * map.completeness.relative_error),
    ];
    for (i, line) in caption.iter().enumerate() {
        c.text(MARGIN_MM, y + size + 9.0 + 4.0 * i as f32, SMALL_PT, line, false, BLACK);
    }
}

/// Generated vs real cycle overlay and the attribution per pulse phase for every class.
fn right_column(c: &mut Canvas, input: &ReportInput, beat: usize) {
    let analysis = &input.analysis;
    let (Some(beats), Some(model)) = (&analysis.beats, &analysis.model) else { return };
    let (x, w) = (140.0, PAGE_WIDTH_MM - MARGIN_MM - 140.0);
    let mut y = 154.0;
    c.text_fit(x, y, 8.5, w, "GENERATED (magenta) vs real (black)", true, BLACK);
    let (top, h) = (y + 2.0, 26.0);
    c.stroke_rect(x, top, w, h, 0.2, GREY);
    let mut draw = |cycle: &[f32], rgb: Rgb| {
        let (lo, hi) = crate::dsp::finite_range(cycle).unwrap_or((0.0, 1.0));
        let points: Vec<(f32, f32)> = cycle.iter().enumerate().map(|(k, &v)| (x + w * k as f32 / cycle.len() as f32, top + h - 1.0 - (h - 2.0) * (v - lo) / (hi - lo).max(1e-6))).collect();
        c.polyline(&points, 0.3, rgb);
    };
    if let Some(real) = beats.ecg_cycle(beat) {
        draw(real, BLACK);
    }
    if let Some(o) = model.outputs.get(beat).and_then(Option::as_ref) {
        draw(&o.generated_ecg, GENERATED);
    }
    y = top + h + 4.0;
    let fit = model.fits.get(beat).and_then(|f| *f).map_or("no real ECG cycle: fit not measurable".into(), |f| format!("Pearson r {:.3}, rRMSE {:.3} (min–max normalised)", f.pearson_r, f.rrmse));
    c.text_fit(x, y, SMALL_PT, w, &fit, false, BLACK);
    y += 8.0;
    c.text(x, y, 8.5, "Attribution per pulse phase", true, BLACK);
    let Some(maps) = input.class_maps.get(&beat) else {
        c.text(x, y + 5.0, SMALL_PT, "not computed", false, GREY);
        return;
    };
    let spans = phase_spans(&beats.beats[beat].fiducials);
    for (k, class) in model.classes.iter().enumerate() {
        y += 5.0;
        c.text_fit(x, y, SMALL_PT, w, &format!("{class}: P {:.3}, completeness error {:.2} %", maps.probabilities.get(k).copied().unwrap_or(f32::NAN), 100.0 * maps.completeness.get(k).map_or(f64::NAN, |e| e.relative_error)), true, BLACK);
        for p in phase_attribution(maps.class(k), &spans) {
            y += 3.8;
            c.text(x + 2.0, y, SMALL_PT, p.phase.label(), false, BLACK);
            c.text_right(x + w - 14.0, y, SMALL_PT, &format!("{:+.2e}", p.sum), false, BLACK);
            c.text_right(x + w, y, SMALL_PT, &format!("{:.0} %", 100.0 * p.share_of_magnitude), false, BLACK);
        }
    }
    c.paragraph(x, y + 1.0, w, 6.5, &format!("Σ IG signed; share of Σ|IG|. {}", maps.settings.describe()), GREY);
}
