//! WFDB: the first byte says where the header text ends; the rest is the signal file that
//! every file name in the header resolves to.
#![no_main]
use std::path::Path;

use cardioppg::io::wfdb;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else { return };
    let cut = (usize::from(split) * rest.len() / 255).min(rest.len());
    let (header, signal) = rest.split_at(cut);
    let _ = wfdb::read_from_parts(Path::new("fuzz.hea"), header, &|_name: &str| Ok(signal.to_vec()));
});
