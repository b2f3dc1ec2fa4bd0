//! ECG paper: true millimetres on screen from a DPI calibration, the 1-mm/5-mm grid, and the
//! calibration pulse, as on a printed strip (25 mm/s, 10 mm/mV; small square 40 ms × 0.1 mV).

use egui::{Color32, Painter, Pos2, Rect, Stroke, pos2};

/// Speeds offered, mm/s; 12.5, 25 and 50 are the clinical ones, the others zoom further.
pub const SPEEDS_MM_PER_S: [f32; 6] = [5.0, 12.5, 25.0, 50.0, 100.0, 200.0];
pub const GAINS_MM_PER_MV: [f32; 3] = [5.0, 10.0, 20.0];
pub const DEFAULT_SPEED_MM_PER_S: f32 = 25.0;
pub const DEFAULT_GAIN_MM_PER_MV: f32 = 10.0;
/// A typical desktop monitor; the user calibrates against a ruler in Settings.
pub const DEFAULT_SCREEN_DPI: f32 = 96.0;

const MINOR: Color32 = Color32::from_rgb(250, 218, 221);
const MAJOR: Color32 = Color32::from_rgb(238, 160, 170);
const PAPER: Color32 = Color32::from_rgb(255, 250, 250);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paper {
    pub speed_mm_per_s: f32,
    pub gain_mm_per_mv: f32,
    /// egui points per physical millimetre: from the screen's DPI and egui's pixels per point.
    pub points_per_mm: f32,
}

impl Paper {
    pub fn new(speed_mm_per_s: f32, gain_mm_per_mv: f32, screen_dpi: f32, pixels_per_point: f32) -> Self {
        Self { speed_mm_per_s, gain_mm_per_mv, points_per_mm: points_per_mm(screen_dpi, pixels_per_point) }
    }

    pub fn points_per_sec(&self) -> f32 {
        self.speed_mm_per_s * self.points_per_mm
    }

    pub fn points_per_mv(&self) -> f32 {
        self.gain_mm_per_mv * self.points_per_mm
    }

    /// Seconds of signal across `width_points`.
    pub fn window_secs(&self, width_points: f32) -> f64 {
        f64::from(width_points / self.points_per_sec())
    }

    /// Pink paper: 1-mm minor and 5-mm major lines, anchored at the rect's top-left corner.
    pub fn draw_grid(&self, painter: &Painter, rect: Rect) {
        painter.rect_filled(rect, 0.0, PAPER);
        let mm = self.points_per_mm;
        // Below ~3 points per mm the minor grid is a grey wash: draw only major lines then.
        let step_mm = if mm < 3.0 { 5 } else { 1 };
        for (horizontal, extent) in [(false, rect.width()), (true, rect.height())] {
            let mut k = 0;
            loop {
                let offset = k as f32 * mm;
                if offset > extent {
                    break;
                }
                let color = if k % 5 == 0 { MAJOR } else { MINOR };
                let (a, b) = if horizontal {
                    (pos2(rect.left(), rect.top() + offset), pos2(rect.right(), rect.top() + offset))
                } else {
                    (pos2(rect.left() + offset, rect.top()), pos2(rect.left() + offset, rect.bottom()))
                };
                painter.line_segment([a, b], Stroke::new(if k % 5 == 0 { 0.8 } else { 0.5 }, color));
                k += step_mm;
            }
        }
    }

    /// The standard calibration pulse: 1 mV (or one unit) high, 200 ms wide, from `baseline`.
    pub fn draw_calibration(&self, painter: &Painter, baseline: Pos2, color: Color32) {
        let (w, h) = (0.2 * self.points_per_sec(), self.points_per_mv());
        let q = w / 4.0;
        let points = vec![
            baseline,
            pos2(baseline.x + q, baseline.y),
            pos2(baseline.x + q, baseline.y - h),
            pos2(baseline.x + q + w, baseline.y - h),
            pos2(baseline.x + q + w, baseline.y),
            pos2(baseline.x + 2.0 * q + w, baseline.y),
        ];
        painter.add(egui::Shape::line(points, Stroke::new(1.5, color)));
    }

    /// Width the calibration pulse takes, so traces can start after it.
    pub fn calibration_width(&self) -> f32 {
        0.2 * self.points_per_sec() * 1.5
    }
}

pub fn points_per_mm(screen_dpi: f32, pixels_per_point: f32) -> f32 {
    screen_dpi / 25.4 / pixels_per_point.max(0.1)
}

/// The next speed or gain in `choices` up (`steps` > 0) or down, staying at the ends.
pub fn step_choice(choices: &[f32], current: f32, steps: i32) -> f32 {
    let at = choices.iter().position(|&c| (c - current).abs() < 1e-3).unwrap_or(0) as i32;
    choices[(at + steps).clamp(0, choices.len() as i32 - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millimetres_are_true_at_the_calibrated_dpi() {
        // 96 dpi, no scaling: 25 mm/s is 94.49 points per second, 10 mm/mV 37.80 per mV.
        let p = Paper::new(25.0, 10.0, 96.0, 1.0);
        assert!((p.points_per_sec() - 25.0 * 96.0 / 25.4).abs() < 1e-3);
        assert!((p.points_per_mv() - 10.0 * 96.0 / 25.4).abs() < 1e-3);
        // HiDPI: twice the pixels per point, half the points per mm, same physical size.
        let hidpi = Paper::new(25.0, 10.0, 192.0, 2.0);
        assert!((hidpi.points_per_mm - p.points_per_mm).abs() < 1e-6);
        assert!((p.window_secs(p.points_per_sec() * 10.0) - 10.0).abs() < 1e-9);
    }

    #[test]
    fn zoom_steps_stop_at_the_ends_and_units_convert() {
        assert_eq!(step_choice(&SPEEDS_MM_PER_S, 25.0, 1), 50.0);
        assert_eq!(step_choice(&SPEEDS_MM_PER_S, 200.0, 1), 200.0);
        assert_eq!(step_choice(&SPEEDS_MM_PER_S, 5.0, -1), 5.0);
        let channel = |unit: &str| crate::io::Channel::new("ECG", unit, 125.0, vec![]);
        assert_eq!(channel("uV").millivolts_per_unit(), Some(1e-3));
        assert_eq!(channel("NU").millivolts_per_unit(), None);
    }
}
