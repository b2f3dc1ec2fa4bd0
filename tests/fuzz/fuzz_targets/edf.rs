//! EDF/EDF+: our header validator and decoder on arbitrary bytes; when they accept an EDF+C file,
//! the same bytes also go through the full reader, so the edfplus crate is fuzzed behind them.
#![no_main]
use std::path::Path;

use cardioppg::io::{OpenOptions, Reader, edf};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.edf");
    if let Ok(recording) = edf::read_bytes(path, data) {
        if recording.format == cardioppg::io::Format::EdfPlusContinuous {
            let dir = std::env::temp_dir().join(format!("cardioppg-fuzz-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join("input.edf");
            if std::fs::write(&file, data).is_ok() {
                let _ = edf::EdfReader.read(&file, &OpenOptions::default());
            }
        }
    }
});
