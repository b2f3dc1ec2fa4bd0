//! The shipped model bundles in `models/`: they load and verify, a fixed real cycle gives the
//! committed output (golden), the wgpu path agrees with the CPU path, and a damaged bundle is
//! refused with a message that names the file.

mod common;
use common::max_abs_diff;

use std::path::{Path, PathBuf};

use burn::prelude::*;
use cardioppg::model::bundle::{self, ModelError};
use cardioppg::model::infer::predict_cycles;
use cardioppg::model::pipeline::bundle_stem;
use cardioppg::model::{Network, Variant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn manifest(variant: Variant) -> PathBuf {
    root().join("models").join(format!("{}.json", bundle_stem(variant)))
}

/// The first `n` usable cycles of the non-AF MIMIC PERform sample excerpt.
fn sample_cycles(n: usize) -> Vec<f32> {
    common::usable_cycles(&common::sample_beats(), n)
}

// -> ([batch, 300] ECG, [batch, N] probabilities), flattened
fn run(net: &Network, cycles: &[f32], device: &Device) -> (Vec<f32>, Vec<f32>) {
    let p = predict_cycles(net, cycles, device);
    (p.ecg, p.probs)
}


#[test]
fn shipped_bundles_load_with_their_classes_and_sizes() {
    let cpu = Device::flex();
    for (variant, max_bytes) in [(Variant::Full, 1_000_000), (Variant::Lightweight, 400_000)] {
        let m = bundle::load(&manifest(variant), &cpu).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.manifest.variant, variant);
        assert_eq!(m.manifest.classes, ["AF", "non-AF"]);
        assert!(m.manifest.label().contains("trained on"), "{}", m.manifest.label());
        let weights = root().join("models").join(&m.manifest.weights_file);
        let size = std::fs::metadata(&weights).unwrap().len();
        assert!(size < max_bytes, "{}: {size} bytes", weights.display());
        let (_, probs) = run(&m.network, &sample_cycles(4), &cpu);
        for p in probs.chunks(2) {
            assert!((p[0] + p[1] - 1.0).abs() < 1e-5 && p.iter().all(|v| v.is_finite()), "{p:?}");
        }
    }
}

/// Golden outputs: pinned when the bundles were trained (provenance in
/// `tests/data/golden/README.md`); regenerate only after retraining, with `UPDATE_GOLDEN=1`.
#[test]
fn a_fixed_real_cycle_gives_the_committed_output() {
    let cpu = Device::flex();
    let cycles = sample_cycles(2);
    for variant in [Variant::Full, Variant::Lightweight] {
        let m = bundle::load(&manifest(variant), &cpu).unwrap();
        let (ecg, probs) = run(&m.network, &cycles, &cpu);
        let path = root().join(format!("tests/data/golden/model_{}_mimic_perform_non_af_002.txt", bundle_stem(variant)));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            let line = |v: &[f32]| v.iter().map(|x| format!("{x:.7e}")).collect::<Vec<_>>().join(" ");
            let text = format!(
                "# {} ({}) on the first 2 usable PPG cycles of sample-data/mimic_perform_non_af_002_nonAF_60s.hea, CPU (Flex)\n# weights_sha256 {}\necg {}\nprobs {}\n",
                m.manifest.label(),
                m.manifest.weights_file,
                m.manifest.weights_sha256,
                line(&ecg),
                line(&probs)
            );
            std::fs::write(&path, text).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let field = |name: &str| -> Vec<f32> {
            let line = text.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("{}: no line {name}", path.display()));
            line.split_whitespace().skip(1).map(|v| v.parse().unwrap()).collect()
        };
        assert!(text.contains(&m.manifest.weights_sha256), "{} pins other weights than the shipped ones", path.display());
        let (d_ecg, d_probs) = (max_abs_diff(&ecg, &field("ecg")), max_abs_diff(&probs, &field("probs")));
        assert!(d_ecg < 1e-4 && d_probs < 1e-4, "{variant:?}: ECG differs by {d_ecg}, probabilities by {d_probs}");
    }
}

/// The wgpu path (Mesa lavapipe in CI, a real GPU where there is one) against the CPU path.
/// Skips only where no wgpu adapter exists at all, unless `CARDIOPPG_REQUIRE_WGPU=1` (CI).
#[test]
fn wgpu_and_cpu_agree_within_1e_4() {
    let Some(gpu) = common::wgpu_device() else { return };
    let cpu = Device::flex();
    let cycles = sample_cycles(2);
    for variant in [Variant::Full, Variant::Lightweight] {
        let on_cpu = bundle::load(&manifest(variant), &cpu).unwrap();
        let on_gpu = bundle::load(&manifest(variant), &gpu.device).unwrap();
        let (ecg_c, p_c) = run(&on_cpu.network, &cycles, &cpu);
        let (ecg_g, p_g) = run(&on_gpu.network, &cycles, &gpu.device);
        let (d_ecg, d_p) = (max_abs_diff(&ecg_c, &ecg_g), max_abs_diff(&p_c, &p_g));
        assert!(d_ecg < 1e-4 && d_p < 1e-4, "{variant:?}: CPU and wgpu differ by {d_ecg} (ECG), {d_p} (probabilities)");
    }
}

fn copy_bundle(to: &Path) -> PathBuf {
    let m = bundle::read_manifest(&manifest(Variant::Full)).unwrap();
    std::fs::copy(manifest(Variant::Full), to.join("m.json")).unwrap();
    std::fs::copy(root().join("models").join(&m.weights_file), to.join(&m.weights_file)).unwrap();
    to.join(&m.weights_file)
}

#[test]
fn a_corrupted_weights_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let weights = copy_bundle(dir.path());
    let mut bytes = std::fs::read(&weights).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&weights, &bytes).unwrap();
    let err = bundle::load(&dir.path().join("m.json"), &Device::flex()).unwrap_err();
    assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&weights.display().to_string()) && msg.contains("corrupted"), "{msg}");

    std::fs::write(&weights, &bytes[..middle]).unwrap();
    assert!(matches!(bundle::load(&dir.path().join("m.json"), &Device::flex()), Err(ModelError::Checksum { .. })));
    std::fs::remove_file(&weights).unwrap();
    let msg = bundle::load(&dir.path().join("m.json"), &Device::flex()).unwrap_err().to_string();
    assert!(msg.contains(&weights.display().to_string()), "{msg}");
}

#[test]
fn a_broken_manifest_is_refused_naming_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    copy_bundle(dir.path());
    let path = dir.path().join("m.json");
    let good: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let cases: [(&str, Box<dyn Fn(&mut serde_json::Value)>); 4] = [
        ("classes", Box::new(|v| v["classes"] = serde_json::json!([]))),
        ("weights_sha256", Box::new(|v| v["weights_sha256"] = "abc".into())),
        ("variant", Box::new(|v| v["variant"] = "huge".into())),
        ("name", Box::new(|v| drop(v.as_object_mut().unwrap().remove("name")))),
    ];
    for (field, break_it) in cases {
        let mut v = good.clone();
        break_it(&mut v);
        std::fs::write(&path, v.to_string()).unwrap();
        let msg = bundle::load(&path, &Device::flex()).unwrap_err().to_string();
        assert!(msg.contains(&path.display().to_string()) && msg.contains(field), "{field}: {msg}");
    }
    // Two classes in the weights, five in the manifest: the weights do not fit.
    let mut v = good.clone();
    v["classes"] = serde_json::json!(["a", "b", "c", "d", "e"]);
    std::fs::write(&path, v.to_string()).unwrap();
    let err = bundle::load(&path, &Device::flex()).unwrap_err();
    assert!(matches!(err, ModelError::Weights { .. }), "{err}");
    std::fs::write(&path, &std::fs::read_to_string(manifest(Variant::Full)).unwrap()[..40]).unwrap();
    assert!(matches!(bundle::load(&path, &Device::flex()), Err(ModelError::Manifest { .. })));
}

/// The rhythm extension ships beside the network, loads with it, reads the AF sample's pulse
/// intervals as more irregular than the non-AF sample's, and a damaged file is refused by name.
#[test]
fn the_rhythm_extension_loads_beside_the_network_and_a_broken_one_is_refused() {
    use cardioppg::model::rhythm::{RHYTHM_FILE, RhythmError};
    let m = bundle::load(&manifest(Variant::Full), &Device::flex()).unwrap_or_else(|e| panic!("{e}"));
    let rhythm = m.rhythm.expect("models/ ships the rhythm extension");
    assert!(rhythm.name.contains("rhythm extension") && rhythm.train_command.starts_with("cardioppg train-rhythm"));
    let p = |beats: &cardioppg::dsp::beats::BeatAnalysis| rhythm.assess(beats).expect("a 1-minute excerpt holds a window").af_probability;
    let af = common::beats_of(&root().join("sample-data/mimic_perform_af_001_AF_60s.edf"));
    let non_af = common::sample_beats();
    assert!(p(&af) > 0.5 && p(&non_af) < 0.5, "AF sample {}, non-AF sample {}", p(&af), p(&non_af));

    let dir = tempfile::tempdir().unwrap();
    copy_bundle(dir.path());
    let path = dir.path().join(RHYTHM_FILE);
    std::fs::write(&path, "{\"name\": ").unwrap();
    let err = bundle::load(&dir.path().join("m.json"), &Device::flex()).unwrap_err();
    assert!(matches!(err, ModelError::Rhythm(RhythmError::Format { .. })), "{err}");
    assert!(err.to_string().contains(&path.display().to_string()), "{err}");
}
