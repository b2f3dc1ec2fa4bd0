//! Where the network runs: the local GPU through burn's wgpu backend when a hardware adapter
//! exists, else the CPU (burn's Flex backend). The choice is reported to the user.

use burn::tensor::{Device, DeviceKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DevicePreference {
    /// A hardware GPU when there is one, else the CPU.
    #[default]
    Auto,
    /// wgpu even on a software adapter (Mesa lavapipe) — for parity tests.
    Gpu,
    Cpu,
}

#[derive(Debug, Clone)]
pub struct ComputeDevice {
    pub device: Device,
    pub is_gpu: bool,
    /// What the user is told, e.g. "GPU: NVIDIA H100 (Vulkan)" or "CPU (no GPU adapter found)".
    pub description: String,
}

impl ComputeDevice {
    pub fn cpu(reason: &str) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let description = if reason.is_empty() { format!("CPU ({threads} threads)") } else { format!("CPU ({threads} threads; {reason})") };
        Self { device: Device::flex(), is_gpu: false, description }
    }
}

/// Adapters wgpu can see: (name, backend, device type).
pub fn adapters() -> Vec<(String, String, wgpu::DeviceType)> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
        .into_iter()
        .map(|a| {
            let info = a.get_info();
            (info.name, format!("{:?}", info.backend), info.device_type)
        })
        .collect()
}

pub fn select(preference: DevicePreference) -> ComputeDevice {
    if preference == DevicePreference::Cpu {
        return ComputeDevice::cpu("");
    }
    let found = adapters();
    let hardware = found.iter().find(|(_, _, t)| matches!(t, wgpu::DeviceType::DiscreteGpu | wgpu::DeviceType::IntegratedGpu | wgpu::DeviceType::VirtualGpu));
    match (hardware, preference) {
        (Some((name, backend, _)), _) => ComputeDevice { device: Device::wgpu(DeviceKind::DefaultDevice), is_gpu: true, description: format!("GPU: {name} ({backend})") },
        (None, DevicePreference::Gpu) => match found.iter().find(|(_, _, t)| *t == wgpu::DeviceType::Cpu) {
            Some((name, backend, _)) => ComputeDevice { device: Device::wgpu(DeviceKind::Cpu), is_gpu: true, description: format!("GPU path on a software adapter: {name} ({backend})") },
            None => ComputeDevice::cpu("no wgpu adapter found"),
        },
        (None, _) if found.is_empty() => ComputeDevice::cpu("no GPU adapter found"),
        // A software rasteriser (lavapipe, llvmpipe) is far slower than the CPU backend.
        (None, _) => ComputeDevice::cpu("only a software GPU adapter found"),
    }
}
