//! Colours with a meaning: a diverging map for signed attributions (ColorBrewer RdBu, blue
//! negative, white zero, red positive), quality and trace colours.

use egui::Color32;

pub const USABLE_BEAT: Color32 = Color32::from_rgb(40, 170, 80);
pub const FLAGGED_BEAT: Color32 = Color32::from_rgb(230, 120, 0);
pub const PPG: Color32 = Color32::from_rgb(30, 100, 200);
pub const REAL_ECG: Color32 = Color32::from_rgb(20, 20, 20);
/// The generated trace is never drawn in the real trace's colour.
pub const GENERATED_ECG: Color32 = Color32::from_rgb(200, 30, 160);
pub const CURSOR: Color32 = Color32::from_rgb(0, 150, 200);
pub const ANNOTATION: Color32 = Color32::from_rgb(200, 150, 0);
pub const HIGHLIGHT: Color32 = Color32::from_rgba_premultiplied(120, 110, 0, 120);
pub const CLASS_COLORS: [Color32; 4] =
    [Color32::from_rgb(200, 40, 40), Color32::from_rgb(40, 120, 200), Color32::from_rgb(40, 160, 80), Color32::from_rgb(150, 90, 200)];

const RDBU: [[f32; 3]; 5] = [[5.0, 48.0, 97.0], [67.0, 147.0, 195.0], [247.0, 247.0, 247.0], [214.0, 96.0, 77.0], [103.0, 0.0, 31.0]];

/// `value` in [-1, 1] (clamped) to RdBu; NaN is grey.
pub fn diverging(value: f32) -> Color32 {
    if !value.is_finite() {
        return Color32::GRAY;
    }
    let x = (value.clamp(-1.0, 1.0) + 1.0) * 2.0; // 0..4 across the 5 stops
    let i = (x.floor() as usize).min(3);
    let t = x - i as f32;
    let mix = |k: usize| (RDBU[i][k] + (RDBU[i + 1][k] - RDBU[i][k]) * t).round() as u8;
    Color32::from_rgb(mix(0), mix(1), mix(2))
}

pub fn class_color(class: usize) -> Color32 {
    CLASS_COLORS[class % CLASS_COLORS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_map_is_white_at_zero_and_saturates() {
        assert_eq!(diverging(0.0), Color32::from_rgb(247, 247, 247));
        assert_eq!(diverging(-1.0), Color32::from_rgb(5, 48, 97));
        assert_eq!(diverging(7.0), Color32::from_rgb(103, 0, 31));
        assert_eq!(diverging(f32::NAN), Color32::GRAY);
    }
}
