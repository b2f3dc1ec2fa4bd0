//! Where the files the app ships (the model, the sample recordings) are found, in the order a
//! user's override, an installed package and a source checkout would put them:
//!
//! 1. the folder an environment variable names (`CARDIOPPG_MODELS`, `CARDIOPPG_SAMPLE_DATA`);
//! 2. beside the installed binary: `../share/cardioppg/<name>` (the .deb, any prefix, so an
//!    unpacked package runs from where it was unpacked), `../Resources/<name>` (a macOS .app),
//!    `<name>` next to the executable (the Windows installer);
//! 3. the source tree the binary was built from (`cargo run`).
//!
//! A candidate counts only if it holds `marker`, so a half-installed folder is passed over.

use std::path::{Path, PathBuf};

pub fn bundled_dir(name: &str, env_var: &str, marker: &str) -> Option<PathBuf> {
    candidates(name, std::env::var_os(env_var).map(PathBuf::from), exe_dir().as_deref()).into_iter().find(|dir| dir.join(marker).is_file())
}

/// The full licence texts of the compiled-in crates (`packaging/third-party.py --texts`), which
/// packages install beside the documentation and a source build may have in `target/`.
pub fn licence_texts() -> Option<PathBuf> {
    const NAME: &str = "third-party-licenses.txt";
    let mut out = installed(exe_dir().as_deref(), "../share/doc/cardioppg", NAME);
    out.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join(NAME));
    out.into_iter().find(|p| p.is_file())
}

fn exe_dir() -> Option<PathBuf> {
    std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf))
}

/// Where each platform's package puts `name`: under `linux_share` beside the binary (the .deb),
/// in a macOS .app's `Resources`, next to a Windows `.exe`.
fn installed(exe_dir: Option<&Path>, linux_share: &str, name: &str) -> Vec<PathBuf> {
    exe_dir.map_or_else(Vec::new, |bin| vec![bin.join(linux_share).join(name), bin.join("../Resources").join(name), bin.join(name)])
}

fn candidates(name: &str, from_env: Option<PathBuf>, exe_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = from_env.into_iter().collect();
    out.extend(installed(exe_dir, "../share/cardioppg", name));
    out.push(Path::new(env!("CARGO_MANIFEST_DIR")).join(name));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_comes_first_then_the_install_layouts_then_the_source_tree() {
        let c = candidates("models", Some("/opt/m".into()), Some(Path::new("/usr/bin")));
        assert_eq!(c[0], Path::new("/opt/m"));
        assert_eq!(c[1], Path::new("/usr/bin/../share/cardioppg/models"));
        assert_eq!(c[2], Path::new("/usr/bin/../Resources/models"));
        assert_eq!(c[3], Path::new("/usr/bin/models"));
        assert_eq!(c[4], Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
    }

    #[test]
    fn a_folder_without_the_marker_is_passed_over() {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join("usr/bin");
        let share = root.path().join("usr/share/cardioppg/models");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&share).unwrap();
        let found = |exe_dir: &Path| candidates("models", None, Some(exe_dir)).into_iter().find(|d| d.join("m.json").is_file());
        // Empty install folder: the source tree's models/ has no m.json either.
        assert_eq!(found(&bin), None);
        std::fs::write(share.join("m.json"), "{}").unwrap();
        assert_eq!(found(&bin).map(|d| d.canonicalize().unwrap()), Some(share.canonicalize().unwrap()));
    }
}
