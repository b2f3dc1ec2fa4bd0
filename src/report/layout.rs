//! The document: summary pages (rows paginated, so long notes or many marks flow onto more
//! pages), then one page per reviewed beat; every page framed with which recording it is about
//! and "page i of n".

use krilla::Document;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;

use super::canvas::{BLACK, Canvas, Fonts, GREY, PAGE_HEIGHT_MM, PAGE_WIDTH_MM, PT_PER_MM, Rgb};
use super::{MARGIN_MM, ReportError, ReportInput, beat_page, summary_page};

/// Top of the content area, below the running header.
pub const CONTENT_TOP_MM: f32 = 20.0;
/// Bottom of the content area, above the footer.
pub const CONTENT_BOTTOM_MM: f32 = PAGE_HEIGHT_MM - 16.0;

/// One line of the summary: cells at fixed x positions, or a horizontal rule.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub height_mm: f32,
    pub cells: Vec<Cell>,
    pub rule: bool,
    /// Starts a new page when it would be the last row on a page (headings).
    pub keep_with_next: bool,
}

#[derive(Debug, Clone)]
pub struct Cell {
    pub x_mm: f32,
    pub text: String,
    pub size_pt: f32,
    pub bold: bool,
    pub rgb: Rgb,
}

pub fn render(input: &ReportInput) -> Result<Vec<u8>, ReportError> {
    let fonts = Fonts::bundled().ok_or(ReportError::Font)?;
    let summary = paginate(summary_page::rows(input));
    let total = summary.len() + input.beats.len();
    let mut document = Document::new();
    let title = format!("CardioPPG Review report: {}", file_name(input));
    document.set_metadata(
        Metadata::new()
            .title(title)
            .creator(format!("CardioPPG Review {}", input.provenance.app_version))
            .producer("krilla".to_string()),
    );
    let settings = || PageSettings::from_wh(PAGE_WIDTH_MM * PT_PER_MM, PAGE_HEIGHT_MM * PT_PER_MM).expect("A4 is a valid page size");
    for (i, rows) in summary.iter().enumerate() {
        let mut page = document.start_page_with(settings());
        let mut surface = page.surface();
        let mut c = Canvas::new(&mut surface, &fonts);
        frame(&mut c, input, i + 1, total);
        draw_rows(&mut c, rows);
        surface.finish();
        page.finish();
    }
    for (i, beat) in input.beats.iter().enumerate() {
        let mut page = document.start_page_with(settings());
        let mut surface = page.surface();
        let mut c = Canvas::new(&mut surface, &fonts);
        frame(&mut c, input, summary.len() + i + 1, total);
        beat_page::draw(&mut c, input, beat, i);
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

/// The file's name, or, anonymised, "recording" and the start of its hash: clinical file names
/// often carry a record number or the patient's name.
pub fn file_name(input: &ReportInput) -> String {
    if input.options.anonymise {
        return format!("recording {}", input.provenance.recording_sha256.chars().take(12).collect::<String>());
    }
    let path = &input.analysis.recording.source_path;
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The running header and footer: which recording (file name, start of its SHA-256, patient
/// unless anonymised), the not-a-diagnosis line, and the page number.
fn frame(c: &mut Canvas, input: &ReportInput, page: usize, total: usize) {
    let right = PAGE_WIDTH_MM - MARGIN_MM;
    c.text(MARGIN_MM, 11.0, 8.0, &format!("CardioPPG Review report — {}", file_name(input)), true, BLACK);
    c.text_right(right, 11.0, 8.0, &summary_page::patient_line(input), false, BLACK);
    c.polyline(&[(MARGIN_MM, 13.0), (right, 13.0)], 0.2, GREY);
    let footer_y = PAGE_HEIGHT_MM - 9.0;
    c.polyline(&[(MARGIN_MM, footer_y - 4.0), (right, footer_y - 4.0)], 0.2, GREY);
    let sha = &input.provenance.recording_sha256;
    c.text(MARGIN_MM, footer_y, 7.0, &format!("File SHA-256 {}…  ·  model output, not a diagnosis  ·  GENERATED ECG is synthetic", sha.chars().take(16).collect::<String>()), false, GREY);
    c.text_right(right, footer_y, 8.0, &format!("page {page} of {total}"), false, BLACK);
}

fn paginate(rows: Vec<Row>) -> Vec<Vec<Row>> {
    let room = CONTENT_BOTTOM_MM - CONTENT_TOP_MM;
    let mut pages = vec![Vec::new()];
    let mut used = 0.0;
    let mut rows = rows.into_iter().peekable();
    while let Some(row) = rows.next() {
        let next = if row.keep_with_next { rows.peek().map_or(0.0, |r| r.height_mm) } else { 0.0 };
        if used + row.height_mm + next > room && used > 0.0 {
            pages.push(Vec::new());
            used = 0.0;
        }
        used += row.height_mm;
        pages.last_mut().expect("one page at least").push(row);
    }
    pages
}

fn draw_rows(c: &mut Canvas, rows: &[Row]) {
    let mut y = CONTENT_TOP_MM;
    for row in rows {
        y += row.height_mm;
        if row.rule {
            c.polyline(&[(MARGIN_MM, y - row.height_mm / 2.0), (PAGE_WIDTH_MM - MARGIN_MM, y - row.height_mm / 2.0)], 0.2, GREY);
        }
        for cell in &row.cells {
            // Baselines sit a quarter-line above the row's bottom.
            c.text(cell.x_mm, y - row.height_mm * 0.25, cell.size_pt, &cell.text, cell.bold, cell.rgb);
        }
    }
}
