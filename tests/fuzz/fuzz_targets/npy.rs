//! NumPy `.npy`, in both 2-D layouts.
#![no_main]
use std::path::Path;

use cardioppg::io::{NpyLayout, OpenOptions, npy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for npy_layout in [NpyLayout::Auto, NpyLayout::Segments] {
        let options = OpenOptions { npy_layout, ..OpenOptions::default() };
        let _ = npy::read_bytes(Path::new("fuzz.npy"), data, &options);
    }
});
