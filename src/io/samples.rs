//! Where the bundled sample recordings live (see [`crate::resources`]: an installed package, the
//! source tree, or where `CARDIOPPG_SAMPLE_DATA` says), and the project's shared research data.

use std::path::{Path, PathBuf};

/// The sample the app opens when started with no file: the EDF+ excerpt, which shows channels,
/// roles and annotations at once.
pub const DEFAULT_SAMPLE: &str = "mimic_perform_af_001_AF_60s.edf";

pub fn sample_data_dir() -> Option<PathBuf> {
    crate::resources::bundled_dir("sample-data", "CARDIOPPG_SAMPLE_DATA", DEFAULT_SAMPLE)
}

pub fn default_sample() -> Option<PathBuf> {
    sample_data_dir().map(|dir| dir.join(DEFAULT_SAMPLE))
}

/// The project's shared research data (`../shared/data` beside the repository, or
/// `CARDIOPPG_SHARED_DATA`), used by evaluation, training and the tests on real recordings.
/// Tests skip when it is absent on a newcomer's machine; CI sets `CARDIOPPG_REQUIRE_SHARED_DATA=1`
/// so that a missing folder fails there instead of skipping.
pub fn shared_data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("CARDIOPPG_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if dir.join("splits.csv").is_file() {
        return Some(dir);
    }
    if std::env::var_os("CARDIOPPG_REQUIRE_SHARED_DATA").is_some_and(|v| v == "1") {
        panic!("CARDIOPPG_REQUIRE_SHARED_DATA=1 but {} has no splits.csv", dir.display());
    }
    eprintln!("note: {} not found; tests on the shared research data are skipped", dir.display());
    None
}
