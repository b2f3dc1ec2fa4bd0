//! What the reviewer is looking at: the current beat, the strip's window and scale, the
//! selected class and heatmap cell, hover cursors. Views read and change only this; results
//! come from the analysis.

use crate::analysis::Analysis;
use crate::explain::summary::TOP_FRACTION;

use super::paper::{DEFAULT_GAIN_MM_PER_MV, DEFAULT_SCREEN_DPI, DEFAULT_SPEED_MM_PER_S, Paper};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Strip,
    Beat,
    Channels,
}

#[derive(Debug, Clone)]
pub struct ViewState {
    pub tab: Tab,
    /// Index into `BeatAnalysis::beats`.
    pub beat: usize,
    /// The class whose attributions colour the PPG and whose map the Beat view shows.
    pub class: usize,
    pub strip_start_secs: f64,
    /// Seconds the strip showed last frame (depends on paper speed and window width).
    pub strip_window_secs: f64,
    pub speed_mm_per_s: f32,
    pub gain_mm_per_mv: f32,
    pub screen_dpi: f32,
    /// Time under the pointer in any strip pane: one cursor for all panes.
    pub cursor_secs: Option<f64>,
    pub show_top_fraction: bool,
    pub rows_normalised: bool,
    /// Selected heatmap cell: (generated-ECG point, PPG point), both 0..300.
    pub cell: Option<(usize, usize)>,
    /// Hover on the beat view's waveforms: highlights the heatmap's row (ECG) or column (PPG).
    pub hover_ecg_point: Option<usize>,
    pub hover_ppg_point: Option<usize>,
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            tab: Tab::Strip,
            beat: 0,
            class: 0,
            strip_start_secs: 0.0,
            strip_window_secs: 10.0,
            speed_mm_per_s: DEFAULT_SPEED_MM_PER_S,
            gain_mm_per_mv: DEFAULT_GAIN_MM_PER_MV,
            screen_dpi: DEFAULT_SCREEN_DPI,
            cursor_secs: None,
            show_top_fraction: false,
            rows_normalised: false,
            cell: None,
            hover_ecg_point: None,
            hover_ppg_point: None,
        }
    }
}

impl ViewState {
    /// A fresh view of a newly opened recording, keeping the reviewer's display settings.
    pub fn reset_for_new_recording(&mut self) {
        *self = Self { tab: self.tab, speed_mm_per_s: self.speed_mm_per_s, gain_mm_per_mv: self.gain_mm_per_mv, screen_dpi: self.screen_dpi, show_top_fraction: self.show_top_fraction, rows_normalised: self.rows_normalised, ..Self::default() };
    }

    pub fn paper(&self, pixels_per_point: f32) -> Paper {
        Paper::new(self.speed_mm_per_s, self.gain_mm_per_mv, self.screen_dpi, pixels_per_point)
    }

    /// Selects beat `beat` (clamped) and scrolls the strip so it is in view.
    pub fn select_beat(&mut self, analysis: &Analysis, beat: usize) {
        let Some(beats) = &analysis.beats else { return };
        if beats.beats.is_empty() {
            return;
        }
        self.beat = beat.min(beats.beats.len() - 1);
        self.cell = None;
        let b = &beats.beats[self.beat];
        let end = b.onset_secs + b.duration_secs();
        if b.onset_secs < self.strip_start_secs || end > self.strip_start_secs + self.strip_window_secs {
            self.strip_start_secs = b.onset_secs - 0.25 * self.strip_window_secs;
        }
        self.clamp_strip(analysis.recording.duration_secs());
    }

    /// Moves by `delta` beats.
    pub fn step_beat(&mut self, analysis: &Analysis, delta: i64) {
        let target = (self.beat as i64 + delta).max(0) as usize;
        self.select_beat(analysis, target);
    }

    /// Pages the strip by `pages` windows.
    pub fn page_strip(&mut self, analysis: &Analysis, pages: f64) {
        self.strip_start_secs += pages * self.strip_window_secs * 0.9;
        self.clamp_strip(analysis.recording.duration_secs());
    }

    pub fn centre_strip_on(&mut self, analysis: &Analysis, secs: f64) {
        self.strip_start_secs = secs - self.strip_window_secs / 2.0;
        self.clamp_strip(analysis.recording.duration_secs());
    }

    pub fn clamp_strip(&mut self, duration_secs: f64) {
        let latest = (duration_secs - self.strip_window_secs).max(0.0);
        self.strip_start_secs = self.strip_start_secs.clamp(0.0, latest);
    }
}

/// The share of PPG points highlighted by "top 20 %".
pub fn top_fraction_label() -> String {
    format!("Highlight top {:.0} % |IG|", 100.0 * TOP_FRACTION)
}
