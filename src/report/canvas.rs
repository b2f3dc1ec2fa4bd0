//! Drawing on a PDF page in millimetres (y down, origin top left), so that ECG paper printed
//! from the report is true to scale: 1 mm here is 1 mm on paper.
//!
//! krilla does the PDF (vector paths, subset embedded fonts, images); skrifa, the font parser
//! krilla itself uses, measures text for layout.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size as FontSize};

/// PDF points per millimetre.
pub const PT_PER_MM: f32 = 72.0 / 25.4;
/// A4 portrait, in millimetres.
pub const PAGE_WIDTH_MM: f32 = 210.0;
pub const PAGE_HEIGHT_MM: f32 = 297.0;

/// DejaVu Sans (Bitstream Vera licence, `assets/fonts/LICENSE-DejaVu.txt`): bundled so that
/// every report embeds the same glyphs on any machine, µ, ±, → and accented names included.
/// The window uses it too, as the fallback for what egui's own font lacks (arrows, ≥, Σ).
pub static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

#[derive(Clone)]
pub struct Fonts {
    regular: Font,
    bold: Font,
}

impl Fonts {
    /// The bundled fonts; `None` only if the bundled files were not fonts (a build defect).
    pub fn bundled() -> Option<Self> {
        let load = |bytes: &'static [u8]| Font::new(bytes.into(), 0);
        Some(Self { regular: load(REGULAR)?, bold: load(BOLD)? })
    }
}

/// Advance width of `text` in millimetres at `size_pt` (no kerning: a few per cent wide at most,
/// which only makes wrapping conservative).
pub fn text_width_mm(text: &str, size_pt: f32, bold: bool) -> f32 {
    let Ok(font) = skrifa::FontRef::new(if bold { BOLD } else { REGULAR }) else { return 0.0 };
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(FontSize::new(size_pt), LocationRef::default());
    let width_pt: f32 = text.chars().map(|c| charmap.map(c).and_then(|g| metrics.advance_width(g)).unwrap_or(size_pt * 0.6)).sum();
    width_pt / PT_PER_MM
}

/// `text` broken into lines no wider than `width_mm` (words kept whole unless one alone is wider).
pub fn wrap(text: &str, size_pt: f32, width_mm: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if line.is_empty() || text_width_mm(&candidate, size_pt, false) <= width_mm {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            }
        }
        lines.push(line);
    }
    lines
}

pub type Rgb = [u8; 3];
pub const BLACK: Rgb = [0, 0, 0];
pub const GREY: Rgb = [110, 110, 110];

fn color([r, g, b]: Rgb) -> rgb::Color {
    rgb::Color::new(r, g, b)
}

fn mm(v: f32) -> f32 {
    v * PT_PER_MM
}

/// One page's drawing surface, in millimetres.
pub struct Canvas<'s, 'p> {
    surface: &'s mut Surface<'p>,
    fonts: &'s Fonts,
}

impl<'s, 'p> Canvas<'s, 'p> {
    pub fn new(surface: &'s mut Surface<'p>, fonts: &'s Fonts) -> Self {
        Self { surface, fonts }
    }

    /// Text with its baseline at `y_mm`.
    pub fn text(&mut self, x_mm: f32, y_mm: f32, size_pt: f32, text: &str, bold: bool, rgb: Rgb) {
        if text.is_empty() {
            return;
        }
        let font = if bold { self.fonts.bold.clone() } else { self.fonts.regular.clone() };
        self.surface.set_fill(Some(Fill { paint: color(rgb).into(), opacity: NormalizedF32::ONE, rule: Default::default() }));
        self.surface.set_stroke(None);
        self.surface.draw_text(Point::from_xy(mm(x_mm), mm(y_mm)), font, size_pt, text, false, TextDirection::Auto);
    }

    /// Text shrunk, if need be, to fit `max_width_mm` (labels that carry their settings).
    pub fn text_fit(&mut self, x_mm: f32, y_mm: f32, size_pt: f32, max_width_mm: f32, text: &str, bold: bool, rgb: Rgb) {
        let width = text_width_mm(text, size_pt, bold);
        let size = if width > max_width_mm { size_pt * max_width_mm / width } else { size_pt };
        self.text(x_mm, y_mm, size, text, bold, rgb);
    }

    /// Text ending at `x_mm`.
    pub fn text_right(&mut self, x_mm: f32, y_mm: f32, size_pt: f32, text: &str, bold: bool, rgb: Rgb) {
        let width = text_width_mm(text, size_pt, bold);
        self.text(x_mm - width, y_mm, size_pt, text, bold, rgb);
    }

    /// Wrapped text from `y_mm` down; returns the y below the last line.
    pub fn paragraph(&mut self, x_mm: f32, y_mm: f32, width_mm: f32, size_pt: f32, text: &str, rgb: Rgb) -> f32 {
        let line_mm = size_pt * 1.35 / PT_PER_MM;
        let mut y = y_mm;
        for line in wrap(text, size_pt, width_mm) {
            y += line_mm;
            self.text(x_mm, y, size_pt, &line, false, rgb);
        }
        y + line_mm * 0.3
    }

    /// An open polyline; runs of fewer than two points draw nothing.
    pub fn polyline(&mut self, points_mm: &[(f32, f32)], width_mm: f32, rgb: Rgb) {
        self.stroke_path(points_mm, width_mm, rgb, None);
    }

    pub fn dashed(&mut self, points_mm: &[(f32, f32)], width_mm: f32, rgb: Rgb, dash_mm: f32) {
        self.stroke_path(points_mm, width_mm, rgb, Some(dash_mm));
    }

    fn stroke_path(&mut self, points_mm: &[(f32, f32)], width_mm: f32, rgb: Rgb, dash_mm: Option<f32>) {
        if points_mm.len() < 2 {
            return;
        }
        let mut builder = PathBuilder::new();
        builder.move_to(mm(points_mm[0].0), mm(points_mm[0].1));
        for &(x, y) in &points_mm[1..] {
            builder.line_to(mm(x), mm(y));
        }
        let Some(path) = builder.finish() else { return };
        self.surface.set_fill(None);
        self.surface.set_stroke(Some(Stroke {
            paint: color(rgb).into(),
            width: mm(width_mm),
            dash: dash_mm.map(|d| StrokeDash { array: vec![mm(d), mm(d)], offset: 0.0 }),
            ..Default::default()
        }));
        self.surface.draw_path(&path);
    }

    /// Many separate straight segments with one stroke (grid lines): one path, small file.
    pub fn segments(&mut self, segments_mm: &[[(f32, f32); 2]], width_mm: f32, rgb: Rgb) {
        let mut builder = PathBuilder::new();
        for [(x0, y0), (x1, y1)] in segments_mm {
            builder.move_to(mm(*x0), mm(*y0));
            builder.line_to(mm(*x1), mm(*y1));
        }
        let Some(path) = builder.finish() else { return };
        self.surface.set_fill(None);
        self.surface.set_stroke(Some(Stroke { paint: color(rgb).into(), width: mm(width_mm), ..Default::default() }));
        self.surface.draw_path(&path);
    }

    pub fn fill_rect(&mut self, x_mm: f32, y_mm: f32, w_mm: f32, h_mm: f32, rgb: Rgb, opacity: f32) {
        let Some(rect) = Rect::from_xywh(mm(x_mm), mm(y_mm), mm(w_mm.max(0.01)), mm(h_mm.max(0.01))) else { return };
        let mut builder = PathBuilder::new();
        builder.push_rect(rect);
        let Some(path) = builder.finish() else { return };
        self.surface.set_stroke(None);
        self.surface.set_fill(Some(Fill { paint: color(rgb).into(), opacity: NormalizedF32::new(opacity.clamp(0.0, 1.0)).unwrap_or(NormalizedF32::ONE), rule: Default::default() }));
        self.surface.draw_path(&path);
    }

    pub fn stroke_rect(&mut self, x_mm: f32, y_mm: f32, w_mm: f32, h_mm: f32, width_mm: f32, rgb: Rgb) {
        let (x1, y1) = (x_mm + w_mm, y_mm + h_mm);
        self.polyline(&[(x_mm, y_mm), (x1, y_mm), (x1, y1), (x_mm, y1), (x_mm, y_mm)], width_mm, rgb);
    }

    /// An RGB raster drawn into a rectangle, pixels kept sharp (a heatmap is data, not a photo).
    pub fn image_rgb(&mut self, x_mm: f32, y_mm: f32, w_mm: f32, h_mm: f32, rgb: &[Rgb], width_px: u32, height_px: u32) {
        let rgba: Vec<u8> = rgb.iter().flat_map(|&[r, g, b]| [r, g, b, 255]).collect();
        let image = krilla::image::Image::from_rgba8(rgba, width_px, height_px);
        let Some(size) = Size::from_wh(mm(w_mm), mm(h_mm)) else { return };
        self.surface.push_transform(&Transform::from_translate(mm(x_mm), mm(y_mm)));
        self.surface.draw_image(image, size);
        self.surface.pop();
    }
}
