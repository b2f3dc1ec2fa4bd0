//! Helpers shared by the integration tests (each test binary uses some of them).
#![allow(dead_code)]

use std::path::Path;

use cardioppg::dsp::beats::{BeatAnalysis, analyse_beats};
use cardioppg::dsp::cycles::CYCLE_LEN;
use cardioppg::model::device::{self, ComputeDevice, DevicePreference};

/// The beats of the non-AF MIMIC PERform sample excerpt's PPG, through the same beat analysis
/// and cycle normalisation as training.
pub fn sample_beats() -> BeatAnalysis {
    beats_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/mimic_perform_non_af_002_nonAF_60s.hea"))
}

/// The PPG beats of a recording (without its ECG).
pub fn beats_of(path: &Path) -> BeatAnalysis {
    let rec = cardioppg::io::open(path).unwrap();
    let ppg = &rec.channels[rec.ppg_channel().unwrap()];
    analyse_beats(&ppg.samples, ppg.sample_rate_hz, None)
}

/// The first `n` usable cycles of `a`, row-major.
pub fn usable_cycles(a: &BeatAnalysis, n: usize) -> Vec<f32> {
    let cycles: Vec<f32> = (0..a.beats.len()).filter(|&i| a.beats[i].usable()).take(n).flat_map(|i| a.ppg_cycle(i).unwrap().to_vec()).collect();
    assert_eq!(cycles.len(), n * CYCLE_LEN);
    cycles
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

pub fn max_abs(a: &[f32]) -> f32 {
    a.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// The wgpu device (Mesa lavapipe in CI, a real GPU where there is one). `None` — the test
/// skips — only where no wgpu adapter exists at all, and never under
/// `CARDIOPPG_REQUIRE_WGPU=1` (CI), where that fails instead.
pub fn wgpu_device() -> Option<ComputeDevice> {
    let gpu = device::select(DevicePreference::Gpu);
    if !gpu.is_gpu {
        assert!(std::env::var_os("CARDIOPPG_REQUIRE_WGPU").is_none_or(|v| v != "1"), "CARDIOPPG_REQUIRE_WGPU=1 but: {}", gpu.description);
        eprintln!("skipped: {}", gpu.description);
        return None;
    }
    eprintln!("wgpu device: {}", gpu.description);
    Some(gpu)
}

/// Runs a poppler-utils tool (`pdftotext`, `pdfinfo`, `pdffonts`, `pdftoppm`) on a PDF and
/// returns its stdout. `None` — the check is skipped — only where poppler is not installed, and
/// never under `CARDIOPPG_REQUIRE_POPPLER=1` (CI), where that fails instead.
pub fn poppler(tool: &str, args: &[&str]) -> Option<String> {
    match std::process::Command::new(tool).args(args).output() {
        Ok(out) => {
            assert!(out.status.success(), "{tool} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        }
        Err(e) => {
            assert!(std::env::var_os("CARDIOPPG_REQUIRE_POPPLER").is_none_or(|v| v != "1"), "CARDIOPPG_REQUIRE_POPPLER=1 but {tool} cannot run: {e}");
            eprintln!("skipping the {tool} check: {e}");
            None
        }
    }
}

/// The text of a PDF, pages in order (pdftotext -layout).
pub fn pdf_text(path: &Path) -> Option<String> {
    poppler("pdftotext", &["-layout", &path.display().to_string(), "-"])
}
