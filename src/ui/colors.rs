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

/// `value` in [-1, 1] (clamped) to RdBu; NaN is grey.
pub fn diverging(value: f32) -> Color32 {
    crate::explain::summary::diverging_rgb(value).map_or(Color32::GRAY, |[r, g, b]| Color32::from_rgb(r, g, b))
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
