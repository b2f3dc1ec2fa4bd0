//! The real binary in a real window: started under Xvfb on a copy of a bundled sample, left to
//! run the network, then photographed with ImageMagick's `import`. The screenshot is kept at
//! `target/tmp/xvfb-window.png` for a person (or CI's artifacts) to look at.
#![cfg(feature = "gui")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const SAMPLE: &str = "mimic_perform_af_001_AF_60s.edf";

fn have(program: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {program}")]).stdout(Stdio::null()).status().is_ok_and(|s| s.success())
}

#[test]
fn the_real_binary_shows_a_sample_in_a_window_under_xvfb() {
    if !(have("xvfb-run") && have("import")) {
        assert!(std::env::var_os("CARDIOPPG_REQUIRE_XVFB").is_none_or(|v| v != "1"), "CARDIOPPG_REQUIRE_XVFB=1 but xvfb-run or import (imagemagick) is missing");
        eprintln!("note: xvfb-run or import not found; the real-window test is skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sample = dir.path().join(SAMPLE);
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data").join(SAMPLE), &sample).unwrap();
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("xvfb-window.png");
    let _ = std::fs::remove_file(&shot);
    let ready = dir.path().join("ready");
    // The app prints one line when the network has run; the script waits for it (or for the
    // app to die), photographs the screen, then closes the app.
    let script = format!(
        r#"app="$1"; "$app" "$2" > "$3.log" 2>&1 & pid=$!
for i in $(seq 1 240); do grep -q "network ran on" "$3.log" && touch "$3" && break; kill -0 $pid 2>/dev/null || break; sleep 0.5; done
sleep 2; import -window root "$4"; kill $pid 2>/dev/null; wait $pid; true"#
    );
    let mut child = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1600x1000x24", "bash", "-c", &script, "xvfb-script", env!("CARGO_BIN_EXE_cardioppg")])
        .arg(&sample)
        .arg(&ready)
        .arg(&shot)
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let stderr = BufReader::new(child.stderr.take().unwrap()).lines().map_while(Result::ok).filter(|l| !l.contains("XDG_RUNTIME_DIR")).collect::<Vec<_>>();
    let status = child.wait().unwrap();
    let log = std::fs::read_to_string(ready.with_extension("log")).unwrap_or_default();
    assert!(status.success(), "xvfb-run failed after {:?}: {stderr:?}\napp log:\n{log}", start.elapsed());
    assert!(ready.exists(), "the app never reported the network's results:\n{log}");
    assert!(!log.contains("panicked"), "the app panicked:\n{log}");
    let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("{}: {e}", shot.display()));
    assert_eq!(&png[1..4], b"PNG");
    let (width, height) = (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
    assert_eq!((width, height), (1600, 1000));
    // An empty X screen compresses to a few kB; a window full of traces and text does not.
    assert!(png.len() > 60_000, "the screenshot looks empty ({} bytes): {}", png.len(), shot.display());
}
