//! Helpers shared by the integration tests.

use cardioppg::model::device::{self, ComputeDevice, DevicePreference};

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
