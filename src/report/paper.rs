//! ECG paper on the page, true to scale: 1-mm and 5-mm grid, a 1-mV calibration pulse, and
//! traces at the chosen speed (mm/s) and gain (mm/mV), as a printed 12-lead or Holter strip.

use super::canvas::{Canvas, Rgb};

const MINOR: Rgb = [250, 205, 205];
const MAJOR: Rgb = [235, 140, 140];

/// A rectangle of paper showing `start_secs ..` at `speed_mm_per_s`.
#[derive(Debug, Clone, Copy)]
pub struct Strip {
    pub x_mm: f32,
    pub y_mm: f32,
    pub width_mm: f32,
    pub height_mm: f32,
    pub start_secs: f64,
    pub speed_mm_per_s: f32,
    pub gain_mm_per_mv: f32,
}

impl Strip {
    pub fn window_secs(&self) -> f64 {
        f64::from(self.width_mm / self.speed_mm_per_s)
    }

    pub fn x(&self, secs: f64) -> f32 {
        self.x_mm + ((secs - self.start_secs) as f32) * self.speed_mm_per_s
    }

    pub fn contains_secs(&self, secs: f64) -> bool {
        (self.start_secs..=self.start_secs + self.window_secs()).contains(&secs)
    }

    /// Samples of a channel at `rate_hz` (of `len`) that fall on the strip.
    pub fn sample_range(&self, rate_hz: f64, len: usize) -> std::ops::Range<usize> {
        let first = (self.start_secs * rate_hz).floor().max(0.0) as usize;
        let last = (((self.start_secs + self.window_secs()) * rate_hz).ceil() as usize).min(len);
        first.min(last)..last
    }

    pub fn mid_y(&self) -> f32 {
        self.y_mm + self.height_mm / 2.0
    }

    /// Whole millimetres from the strip's left edge, so the grid starts on a 5-mm line.
    pub fn draw_grid(&self, c: &mut Canvas) {
        let (w, h) = (self.width_mm.floor() as usize, self.height_mm.floor() as usize);
        let (mut minor, mut major) = (Vec::new(), Vec::new());
        for i in 0..=w {
            let x = self.x_mm + i as f32;
            let seg = [(x, self.y_mm), (x, self.y_mm + h as f32)];
            if i % 5 == 0 { major.push(seg) } else { minor.push(seg) }
        }
        for j in 0..=h {
            let y = self.y_mm + j as f32;
            let seg = [(self.x_mm, y), (self.x_mm + w as f32, y)];
            if j % 5 == 0 { major.push(seg) } else { minor.push(seg) }
        }
        c.segments(&minor, 0.08, MINOR);
        c.segments(&major, 0.18, MAJOR);
    }

    /// The 1-mV pulse, 200 ms wide, standing on `baseline_y_mm` at the strip's left edge.
    pub fn draw_calibration(&self, c: &mut Canvas, baseline_y_mm: f32, rgb: Rgb) {
        let (x0, w, h) = (self.x_mm + 1.0, 0.2 * self.speed_mm_per_s, self.gain_mm_per_mv);
        let pulse = [(x0, baseline_y_mm), (x0 + 1.0, baseline_y_mm), (x0 + 1.0, baseline_y_mm - h), (x0 + 1.0 + w, baseline_y_mm - h), (x0 + 1.0 + w, baseline_y_mm), (x0 + 2.0 + w, baseline_y_mm)];
        c.polyline(&pulse, 0.3, rgb);
    }

    /// Width the calibration pulse takes, so traces can start after it.
    pub fn calibration_width_mm(&self) -> f32 {
        3.0 + 0.2 * self.speed_mm_per_s
    }

    /// `(secs, mV)` points around `centre_mv`, clipped to the strip; a NaN breaks the line.
    pub fn draw_trace(&self, c: &mut Canvas, points: impl IntoIterator<Item = (f64, f64)>, centre_mv: f64, width_mm: f32, rgb: Rgb) {
        let left = self.x_mm + self.calibration_width_mm();
        let (top, bottom) = (self.y_mm, self.y_mm + self.height_mm);
        let mut run: Vec<(f32, f32)> = Vec::new();
        for (secs, mv) in points {
            let x = self.x(secs);
            if !mv.is_finite() || x < left || x > self.x_mm + self.width_mm {
                c.polyline(&run, width_mm, rgb);
                run.clear();
                continue;
            }
            let y = (self.mid_y() - ((mv - centre_mv) as f32) * self.gain_mm_per_mv).clamp(top, bottom);
            run.push((x, y));
        }
        c.polyline(&run, width_mm, rgb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_is_25_mm_at_the_standard_speed() {
        let strip = Strip { x_mm: 12.0, y_mm: 0.0, width_mm: 186.0, height_mm: 30.0, start_secs: 10.0, speed_mm_per_s: 25.0, gain_mm_per_mv: 10.0 };
        assert_eq!(strip.x(11.0) - strip.x(10.0), 25.0);
        assert!((strip.window_secs() - 7.44).abs() < 1e-6);
        assert!(strip.contains_secs(17.0) && !strip.contains_secs(17.5));
    }
}
