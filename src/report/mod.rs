//! The annotated PDF report a cardiologist files and a researcher attaches: provenance
//! (file and model checksums, app version, device), findings with the reviewer's verdicts and
//! sign-off, beat quality, and one page per reviewed beat with true-scale ECG paper strips
//! (PPG with its top-20 % attribution, real ECG, GENERATED ECG), the 300×300 IG heatmap and the
//! attribution per pulse phase. Conventions from Holter/Kardia reports (design/product.md).
//!
//! [`prepare`] gathers what is shown (and computes missing attributions); [`render`] draws it.

mod beat_page;
pub mod canvas;
mod layout;
pub mod paper;
pub mod prepare;
mod summary_page;

use std::path::{Path, PathBuf};

use crate::explain::{ExplainError, IgSettings};

pub use prepare::{BeatChoice, KnownAttributions, NoneKnown, Provenance, ReportBeat, ReportInput, prepare};

/// Content width of an A4 page with 12-mm margins: 7.44 s of paper at 25 mm/s.
pub const STRIP_WIDTH_MM: f32 = canvas::PAGE_WIDTH_MM - 2.0 * MARGIN_MM;
pub const MARGIN_MM: f32 = 12.0;

/// The "not a diagnosis" wording of every automated result.
pub const NOT_A_DIAGNOSIS: &str =
    "Automated model output for review by a qualified clinician. It is not a diagnosis. The GENERATED ECG is synthetic: inferred from the PPG, never recorded.";

#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// Leave out the patient and recording identification the file holds.
    pub anonymise: bool,
    /// At most this many beat pages (marked beats beyond it are listed, not drawn).
    pub max_beats: usize,
    /// 300×300 heatmaps for the first this many beat pages (each costs one IG map).
    pub max_heatmaps: usize,
    /// How the 300×300 maps are computed when the report computes them (the paper's zero
    /// baseline by default, as the workspace's beat map).
    pub ig: IgSettings,
    /// How the per-class maps are computed when the report computes them (the low-pass
    /// baseline by default, as the workspace's: completeness is far better than from zero).
    pub class_ig: IgSettings,
    pub speed_mm_per_s: f32,
    pub gain_mm_per_mv: f32,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            anonymise: false,
            max_beats: 6,
            max_heatmaps: 3,
            ig: IgSettings::default(),
            class_ig: IgSettings { baseline: crate::explain::Baseline::DEFAULT_LOW_PASS, ..IgSettings::default() },
            speed_mm_per_s: 25.0,
            gain_mm_per_mv: 10.0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the network has not run on this recording (no PPG channel or no usable beats), so there is nothing to report")]
    NoModelResults,
    #[error("attributions for the report: {0}")]
    Explain(#[from] ExplainError),
    #[error("the bundled report font could not be loaded")]
    Font,
    #[error("writing the PDF: {0}")]
    Pdf(String),
    #[error("cannot write the report {}: {source}", .path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// The report as PDF bytes.
pub fn render(input: &ReportInput) -> Result<Vec<u8>, ReportError> {
    layout::render(input)
}

/// Renders and writes atomically: a crash never leaves half a report under the final name.
pub fn write_pdf(path: &Path, input: &ReportInput) -> Result<(), ReportError> {
    let bytes = render(input)?;
    crate::review::write_atomic(path, &bytes).map_err(|source| ReportError::Write { path: path.to_path_buf(), source })
}

/// Seconds since the Unix epoch as "2026-11-24 14:05 UTC" (civil-from-days, H. Hinnant).
pub fn utc_time(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let secs_of_day = unix_secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", secs_of_day / 3600, secs_of_day % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_time_matches_known_dates() {
        assert_eq!(utc_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_time(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_time(1_795_528_800), "2026-11-24 14:00 UTC");
    }
}
