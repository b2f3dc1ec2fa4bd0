//! CSV, plain and gzip (the reader detects gzip by its magic bytes).
#![no_main]
use std::path::Path;

use cardioppg::io::{OpenOptions, csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = csv::read_bytes(Path::new("fuzz.csv"), data, &OpenOptions::default());
});
