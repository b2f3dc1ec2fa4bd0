//! The first page(s): who and what (provenance), the findings with the reviewer's verdicts,
//! beat quality and heart rate, the review with sign-off, and the list of beat pages.

use crate::analysis::MIN_USABLE_BEATS;
use crate::dsp::quality::QualityReason;
use crate::review::Verdict;

use super::canvas::{BLACK, GREY, PAGE_WIDTH_MM, Rgb, wrap};
use super::layout::{Cell, Row};
use super::{MARGIN_MM, NOT_A_DIAGNOSIS, ReportInput, utc_time};

const BODY_PT: f32 = 8.5;
const LINE_MM: f32 = 4.4;
const VALUE_X_MM: f32 = MARGIN_MM + 42.0;
const WARN: Rgb = [190, 80, 0];

/// The patient as the file names them, or that the export was anonymised.
pub fn patient_line(input: &ReportInput) -> String {
    let patient = input.analysis.recording.metadata.patient.trim();
    if input.options.anonymise {
        "patient: anonymised for export".into()
    } else if patient.is_empty() {
        "patient: not stated in the file".into()
    } else {
        format!("patient: {patient}")
    }
}

fn cell(x_mm: f32, text: impl Into<String>, bold: bool, rgb: Rgb) -> Cell {
    Cell { x_mm, text: text.into(), size_pt: BODY_PT, bold, rgb }
}

fn heading(rows: &mut Vec<Row>, text: &str) {
    rows.push(Row { height_mm: 3.0, rule: true, ..Row::default() });
    rows.push(Row { height_mm: 6.5, cells: vec![Cell { x_mm: MARGIN_MM, text: text.into(), size_pt: 11.5, bold: true, rgb: BLACK }], keep_with_next: true, ..Row::default() });
}

/// A labelled value, wrapped into the value column.
fn field(rows: &mut Vec<Row>, key: &str, value: &str, rgb: Rgb) {
    let width = PAGE_WIDTH_MM - MARGIN_MM - VALUE_X_MM;
    for (i, line) in wrap(value, BODY_PT, width).into_iter().enumerate() {
        let mut cells = vec![cell(VALUE_X_MM, line, false, rgb)];
        if i == 0 {
            cells.push(cell(MARGIN_MM, key, true, BLACK));
        }
        rows.push(Row { height_mm: LINE_MM, cells, ..Row::default() });
    }
}

fn text_block(rows: &mut Vec<Row>, text: &str, rgb: Rgb) {
    for line in wrap(text, BODY_PT, PAGE_WIDTH_MM - 2.0 * MARGIN_MM) {
        rows.push(Row { height_mm: LINE_MM, cells: vec![cell(MARGIN_MM, line, false, rgb)], ..Row::default() });
    }
}

pub fn rows(input: &ReportInput) -> Vec<Row> {
    let mut rows = vec![Row {
        height_mm: 9.0,
        cells: vec![Cell { x_mm: MARGIN_MM, text: "PPG review report".into(), size_pt: 16.0, bold: true, rgb: BLACK }],
        ..Row::default()
    }];
    identification(&mut rows, input);
    findings(&mut rows, input);
    quality(&mut rows, input);
    review(&mut rows, input);
    beat_pages(&mut rows, input);
    rows
}

fn identification(rows: &mut Vec<Row>, input: &ReportInput) {
    let recording = &input.analysis.recording;
    let meta = &recording.metadata;
    let p = &input.provenance;
    let stated = |s: &str| if s.trim().is_empty() { "(not stated in the file)".to_string() } else { s.trim().to_string() };
    heading(rows, "Recording");
    if input.options.anonymise {
        field(rows, "Patient", "anonymised for export (identification fields of the file left out)", BLACK);
    } else {
        field(rows, "Patient", &stated(&meta.patient), BLACK);
        field(rows, "Recording field", &stated(&meta.recording), BLACK);
        for (name, value) in &meta.fields {
            field(rows, name, value, BLACK);
        }
    }
    let start = match meta.start {
        None => "(not stated in the file)".to_string(),
        // Dates identify: an anonymised report keeps the year only.
        Some(s) if input.options.anonymise => format!("{} (date and time withheld: anonymised)", s.year),
        Some(s) => format!("{s} (clock time as recorded)"),
    };
    field(rows, "Start", &start, BLACK);
    let secs = recording.duration_secs();
    field(rows, "Duration", &format!("{secs:.1} s ({}:{:02}:{:02} h:min:s)", (secs / 3600.0) as u64, (secs % 3600.0 / 60.0) as u64, (secs % 60.0) as u64), BLACK);
    field(rows, "File", &format!("{} ({})", super::layout::file_name(input), recording.format), BLACK);
    field(rows, "File SHA-256", &p.recording_sha256, BLACK);
    field(rows, "Signals", &signals_line(input), BLACK);
    for notice in &recording.notices {
        field(rows, "Reading notice", notice, WARN);
    }
    field(rows, "Application", &format!("CardioPPG Review {}", p.app_version), BLACK);
    field(rows, "Model", &format!("{} {} ({}), trained on {}", p.model_name, p.model_version, p.model_variant, p.trained_on), BLACK);
    field(rows, "Model weights SHA-256", &p.weights_sha256, BLACK);
    if let Some(r) = input.analysis.model.as_ref().and_then(|m| m.rhythm.as_ref()) {
        field(rows, "Rhythm extension", &format!("{} (pulse-interval irregularity, not the network), fitted on {}; file SHA-256 {}", r.model, r.trained_on, r.sha256), BLACK);
    }
    field(rows, "Computed on", &p.device, BLACK);
    field(rows, "Report created", &utc_time(p.created_unix_secs), BLACK);
}

fn signals_line(input: &ReportInput) -> String {
    let recording = &input.analysis.recording;
    let describe = |i: usize| {
        let c = &recording.channels[i];
        format!("“{}” at {} Hz{}", c.label, c.sample_rate_hz, if c.sample_rate_assumed { " (rate assumed)" } else { "" })
    };
    let ppg = recording.ppg_channel().map_or("no PPG channel".into(), |i| format!("PPG {}", describe(i)));
    let ecg = recording.ecg_channel().map_or("no ECG in the file: the GENERATED ECG cannot be checked against a real one".into(), |i| {
        format!("reference ECG {} ({})", describe(i), recording.channels[i].role)
    });
    format!("{ppg}; {ecg}")
}

fn findings(rows: &mut Vec<Row>, input: &ReportInput) {
    heading(rows, "Findings");
    text_block(rows, NOT_A_DIAGNOSIS, BLACK);
    let Some(model) = &input.analysis.model else { return };
    let columns = [MARGIN_MM, MARGIN_MM + 30.0, MARGIN_MM + 72.0, MARGIN_MM + 100.0, MARGIN_MM + 148.0];
    let header = ["class", "P (mean ± sd)", "usable beats", "result", "reviewer"];
    rows.push(Row { height_mm: LINE_MM + 1.0, cells: columns.iter().zip(header).map(|(&x, h)| cell(x, h, true, BLACK)).collect(), ..Row::default() });
    let best = input.highlight_class;
    for (k, f) in model.findings.iter().enumerate() {
        let (p, result, rgb) = if !f.readable {
            ("—".to_string(), format!("unreadable (< {MIN_USABLE_BEATS} beats)"), WARN)
        } else {
            let result = if k == best { "highest probability" } else { "" };
            (format!("{:.3} ± {:.3}", f.stats.mean_probability, f.stats.sd_probability), result.to_string(), BLACK)
        };
        let verdict = match input.review.verdicts.get(&f.stats.class) {
            Some(Verdict::Agree) => "agrees",
            Some(Verdict::Disagree) => "disagrees",
            None => "not reviewed",
        };
        let values = [f.stats.class.clone(), p, f.stats.usable_beats.to_string(), result, verdict.to_string()];
        rows.push(Row { height_mm: LINE_MM, cells: columns.iter().zip(values).map(|(&x, v)| cell(x, v, false, rgb)).collect(), ..Row::default() });
    }
    let category = match model.findings.get(best) {
        Some(f) if f.readable => format!(
            "Result category: the model's output favours {} (mean probability {:.2} over the {} beats with a usable PPG; the recording-level value is the mean of the per-beat probabilities).",
            f.stats.class, f.stats.mean_probability, f.stats.usable_beats
        ),
        _ => format!("Result category: unreadable — fewer than {MIN_USABLE_BEATS} beats were good enough for the network."),
    };
    text_block(rows, &category, BLACK);
    if let Some(r) = &model.rhythm {
        text_block(rows, &format!("Beside the network — {}.", r.summary()), BLACK);
    }
}

fn quality(rows: &mut Vec<Row>, input: &ReportInput) {
    heading(rows, "Beats, signal quality and heart rate");
    let Some(beats) = &input.analysis.beats else {
        text_block(rows, "No channel has the PPG role: no beats.", WARN);
        return;
    };
    let s = &beats.summary;
    field(rows, "Beats", &format!("{} detected, {} usable ({:.1} %), {} flagged", s.count, s.usable_count, 100.0 * s.usable_share, s.count - s.usable_count), BLACK);
    field(rows, "Heart rate", &s.mean_heart_rate_bpm.map_or("no usable beats".into(), |hr| format!("{hr:.1} bpm (mean over usable beats, from PPG onsets)")), BLACK);
    let reasons = [
        QualityReason::NanGap,
        QualityReason::EcgGap,
        QualityReason::Clipping,
        QualityReason::ImplausibleDuration,
        QualityReason::LowTemplateCorrelation,
        QualityReason::FlatLine,
        QualityReason::MissingEcgMatch,
    ];
    let counts: Vec<String> = reasons
        .iter()
        .map(|&r| (r, beats.beats.iter().filter(|b| b.issues.contains(&r)).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| format!("{}: {n}", r.describe()))
        .collect();
    field(rows, "Flags", &if counts.is_empty() { "none".to_string() } else { counts.join("; ") }, BLACK);
    for note in &beats.notes {
        field(rows, "Note", &note.to_string(), WARN);
    }
    if let Some(model) = &input.analysis.model {
        let fits: Vec<_> = model.fits.iter().flatten().collect();
        let text = if fits.is_empty() {
            "no real ECG cycles to compare with".to_string()
        } else {
            let n = fits.len() as f64;
            let (r, e) = (fits.iter().map(|f| f.pearson_r).sum::<f64>() / n, fits.iter().map(|f| f.rrmse).sum::<f64>() / n);
            let sd_r = (fits.iter().map(|f| (f.pearson_r - r).powi(2)).sum::<f64>() / n).sqrt();
            format!("Pearson r {r:.3} ± {sd_r:.3}, rRMSE {e:.3} (means over {} beats with a real ECG cycle)", fits.len())
        };
        field(rows, "GENERATED vs real ECG", &text, BLACK);
    }
}

fn review(rows: &mut Vec<Row>, input: &ReportInput) {
    heading(rows, "Review");
    let r = &input.review;
    field(rows, "Reviewer", if r.reviewer.trim().is_empty() { "(not entered)" } else { r.reviewer.trim() }, BLACK);
    let sign_off = match r.signed_off_unix_secs {
        Some(t) if r.changed_after_sign_off() => (format!("signed off {} — the review was changed after signing", utc_time(t)), WARN),
        Some(t) => (format!("signed off {}", utc_time(t)), BLACK),
        None => ("not signed off".to_string(), WARN),
    };
    field(rows, "Sign-off", &sign_off.0, sign_off.1);
    for warning in &input.review_warnings {
        field(rows, "Review warning", warning, WARN);
    }
    field(rows, "Notes", if r.notes.trim().is_empty() { "(none)" } else { &r.notes }, BLACK);
    let beats = input.analysis.beats.as_ref();
    let at = |b: usize| beats.and_then(|a| a.beats.get(b)).map_or(String::new(), |x| format!(" at {:.2} s", x.onset_secs));
    if r.beat_marks.is_empty() {
        field(rows, "Marked beats", "none", BLACK);
    }
    for (i, (beat, text)) in r.beat_marks.iter().enumerate() {
        let text = if text.trim().is_empty() { "(no label)".to_string() } else { text.trim().to_string() };
        field(rows, if i == 0 { "Marked beats" } else { "" }, &format!("beat {}{}: {text}", beat + 1, at(*beat)), BLACK);
    }
}

fn beat_pages(rows: &mut Vec<Row>, input: &ReportInput) {
    heading(rows, "Beat pages");
    if input.beats.is_empty() {
        text_block(rows, "No beat could be drawn: the network ran on no beat.", WARN);
    }
    for (n, b) in input.beats.iter().enumerate() {
        let heatmap = if b.ecg_map.is_some() { "with heatmap" } else { "no heatmap" };
        field(rows, &format!("Beat page {}", n + 1), &format!("beat {}: {} ({heatmap})", b.index + 1, b.choice.describe()), BLACK);
    }
    if !input.marked_not_drawn.is_empty() {
        let list: Vec<String> = input.marked_not_drawn.iter().map(|b| (b + 1).to_string()).collect();
        text_block(rows, &format!("Marked but not drawn (page limit {}): beats {}.", input.options.max_beats, list.join(", ")), GREY);
    }
}
