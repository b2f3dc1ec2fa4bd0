//! The package configurations name real files and agree with each other, and the licence list
//! matches what is locked. The .deb itself is built and installed by packaging/check-deb.sh (a
//! release build is too slow for CI); this catches the drift that would break it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The lines of one `[section]` of a TOML file, up to the next table header.
fn section<'a>(toml: &'a str, header: &str) -> Vec<&'a str> {
    let mut lines = toml.lines().skip_while(|l| l.trim() != header);
    assert!(lines.next().is_some(), "Cargo.toml has no {header}");
    lines.take_while(|l| !l.starts_with('[')).collect()
}

/// The quoted strings of a line, in order.
fn strings(line: &str) -> Vec<&str> {
    line.split('"').skip(1).step_by(2).collect()
}

/// Files a cargo-deb source matches: a path, or a directory glob ending in `/*`.
fn matches(source: &str) -> Vec<PathBuf> {
    match source.strip_suffix("/*") {
        Some(dir) => std::fs::read_dir(root().join(dir)).map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect()).unwrap_or_default(),
        None => vec![root().join(source)].into_iter().filter(|p| p.is_file()).collect(),
    }
}

#[test]
fn every_file_the_debian_package_names_exists_and_lands_where_the_app_looks() {
    let toml = read("Cargo.toml");
    let deb = section(&toml, "[package.metadata.deb]");
    let assets: Vec<(String, String)> = deb.iter().filter(|l| l.trim_start().starts_with("[\"")).map(|l| {
        let s = strings(l);
        (s[0].to_string(), s[1].to_string())
    }).collect();
    assert!(assets.len() >= 10, "{assets:?}");
    for (source, _) in &assets {
        if source.starts_with("target/") {
            continue; // built by cargo deb
        }
        assert!(!matches(source).is_empty(), "asset {source} matches no file");
    }
    let dest = |source: &str| assets.iter().find(|(s, _)| s == source).map(|(_, d)| d.as_str()).unwrap_or_else(|| panic!("{source} not packaged"));
    assert_eq!(dest("target/release/cardioppg"), "usr/bin/");
    // src/resources.rs looks in ../share/cardioppg/<name> beside the binary.
    assert_eq!(dest("models/*"), "usr/share/cardioppg/models/");
    assert_eq!(dest("sample-data/*"), "usr/share/cardioppg/sample-data/");
    assert_eq!(dest("sample-data/LICENSES/*"), "usr/share/cardioppg/sample-data/LICENSES/");
    assert_eq!(dest("packaging/linux/cardioppg.desktop"), "usr/share/applications/");
    assert_eq!(dest("packaging/linux/cardioppg.xml"), "usr/share/mime/packages/");
    assert_eq!(dest("assets/icon-256.png"), "usr/share/icons/hicolor/256x256/apps/cardioppg.png");
    // The model's weights, manifest and card all ship.
    let models: BTreeSet<String> = matches("models/*").iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for needed in ["README.md", "cardioppg-af-full.json", "cardioppg-af-full.bpk"] {
        assert!(models.contains(needed), "models/{needed} missing: {models:?}");
    }
    let licence = deb.iter().find(|l| l.starts_with("license-file")).expect("license-file");
    assert!(root().join(strings(licence)[0]).is_file(), "{licence}");
    let depends = deb.iter().find(|l| l.starts_with("depends")).expect("depends");
    for lib in ["libvulkan1", "mesa-vulkan-drivers | vulkan-icd", "libxkbcommon-x11-0"] {
        assert!(depends.contains(lib), "Depends lacks {lib}: {depends}");
    }
}

#[test]
fn the_desktop_entry_opens_edf_files_with_the_packaged_icon() {
    let desktop = read("packaging/linux/cardioppg.desktop");
    let key = |k: &str| desktop.lines().find_map(|l| l.strip_prefix(&format!("{k}="))).unwrap_or_else(|| panic!("no {k}="));
    assert_eq!(key("Type"), "Application");
    assert_eq!(key("Exec"), "cardioppg %f");
    assert_eq!(key("Icon"), "cardioppg");
    let types: Vec<&str> = key("MimeType").split(';').filter(|t| !t.is_empty()).collect();
    let mime = read("packaging/linux/cardioppg.xml");
    for t in &types {
        assert!(mime.contains(&format!("type=\"{t}\"")), "{t} is not defined in cardioppg.xml");
    }
    assert!(types.contains(&"application/x-edf"));
    assert!(mime.contains("pattern=\"*.edf\""));
    // The magic must be what an EDF header starts with: the version field "0" and 7 spaces.
    let sample = std::fs::read(root().join("sample-data/mimic_perform_af_001_AF_60s.edf")).unwrap();
    assert_eq!(&sample[..8], b"0       ");
    assert!(mime.contains("value=\"0       \""));
    // desktop-file-validate knows the spec's keys and categories.
    let desktop_path = root().join("packaging/linux/cardioppg.desktop");
    if let Some(out) = desktop_tool("desktop-file-validate", &[desktop_path.as_os_str()]) {
        assert!(out.status.success() && out.stdout.is_empty(), "desktop-file-validate: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }
}

/// Runs a desktop tool if it is installed; CI installs them and sets
/// CARDIOPPG_REQUIRE_DESKTOP_TOOLS=1, so there a missing tool fails instead of skipping.
fn desktop_tool(program: &str, args: &[&std::ffi::OsStr]) -> Option<std::process::Output> {
    match std::process::Command::new(program).args(args).output() {
        Ok(out) => Some(out),
        Err(e) if std::env::var_os("CARDIOPPG_REQUIRE_DESKTOP_TOOLS").is_some_and(|v| v == "1") => panic!("CARDIOPPG_REQUIRE_DESKTOP_TOOLS=1 but {program} cannot run: {e}"),
        Err(e) => {
            eprintln!("note: {program} not run ({e}); apt-get install desktop-file-utils shared-mime-info");
            None
        }
    }
}

#[test]
fn shared_mime_info_accepts_the_mime_types_and_maps_edf_files_to_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("packages")).unwrap();
    std::fs::copy(root().join("packaging/linux/cardioppg.xml"), dir.path().join("packages/cardioppg.xml")).unwrap();
    let Some(out) = desktop_tool("update-mime-database", &[dir.path().as_os_str()]) else { return };
    let stderr = String::from_utf8_lossy(&out.stderr);
    // It also notes that a temporary folder is not on XDG_DATA_DIRS; parse errors and warnings
    // are what count.
    let complaints = stderr.lines().filter(|l| l.to_lowercase().contains("error") || l.to_lowercase().contains("warning")).count();
    assert!(out.status.success() && complaints == 0, "update-mime-database: {stderr}");
    let globs = std::fs::read_to_string(dir.path().join("globs2")).unwrap();
    assert!(globs.lines().any(|l| l.ends_with(":application/x-edf:*.edf")), "{globs}");
    assert!(globs.lines().any(|l| l.ends_with(":application/x-wfdb-header:*.hea")), "{globs}");
    let magic = std::fs::read(dir.path().join("magic")).unwrap();
    let entry: &[u8] = b"[50:application/x-edf]";
    assert!(magic.windows(entry.len()).any(|w| w == entry), "the EDF magic is compiled in");
}

#[test]
fn the_manual_page_covers_every_command_of_the_binary() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_cardioppg")).arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let commands: Vec<&str> = help.lines().skip_while(|l| !l.starts_with("Commands:")).skip(1).take_while(|l| l.starts_with("  ")).filter_map(|l| l.split_whitespace().next()).filter(|c| *c != "help").collect();
    assert!(commands.len() >= 8, "{help}");
    let page = read("packaging/linux/cardioppg.1").replace("\\-", "-");
    for c in commands {
        assert!(page.contains(&format!("B {c}")) || page.contains(&format!("fB{c}")), "cardioppg.1 does not describe `{c}`");
    }
}

#[test]
fn a_command_whose_reader_has_closed_the_pipe_ends_quietly_instead_of_panicking() {
    // As in `cardioppg info FILE | head -0`: the read end is gone before the first write.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cardioppg"))
        .args(["info", "--device", "cpu"])
        .arg(root().join("sample-data/mimic_perform_af_001_AF_60s.edf"))
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !stderr.contains("panicked"), "{:?}: {stderr}", out.status);
}

#[test]
fn the_macos_and_windows_bundle_configuration_names_existing_files() {
    let toml = read("Cargo.toml");
    let packager = section(&toml, "[package.metadata.packager]");
    let value = |k: &str| packager.iter().find(|l| l.starts_with(&format!("{k} ="))).map(|l| strings(l)).unwrap_or_else(|| panic!("packager has no {k}"));
    assert!(root().join(value("license-file")[0]).is_file());
    for icon in value("icons") {
        assert!(root().join(icon).is_file(), "icon {icon}");
    }
    let resources: Vec<Vec<&str>> = packager.iter().filter(|l| l.trim_start().starts_with("{ src")).map(|l| strings(l)).collect();
    let targets: Vec<&str> = resources.iter().map(|r| r[1]).collect();
    assert!(targets.contains(&"models") && targets.contains(&"sample-data"), "{targets:?}");
    for r in resources.iter().filter(|r| !r[0].starts_with("target/")) {
        assert!(root().join(r[0]).exists(), "resource {}", r[0]);
    }
    let associations: Vec<&&str> = packager.iter().filter(|l| l.contains("extensions")).collect();
    assert!(associations.iter().any(|l| l.contains("\"edf\"") && l.contains("application/x-edf")), "{associations:?}");
}

#[test]
fn the_third_party_licence_list_matches_cargo_lock() {
    let lock = read("Cargo.lock");
    let mut locked = BTreeSet::new();
    for package in lock.split("[[package]]").skip(1) {
        let field = |k: &str| package.lines().find_map(|l| l.strip_prefix(&format!("{k} = \""))?.strip_suffix('"').map(str::to_string));
        if field("source").is_some() {
            locked.insert((field("name").unwrap(), field("version").unwrap()));
        }
    }
    let listed: BTreeSet<(String, String)> = read("packaging/third-party.tsv").lines().skip(1).map(|l| {
        let f: Vec<&str> = l.split('\t').collect();
        assert!(f.len() == 4 && !f[2].is_empty(), "bad row: {l}");
        (f[0].to_string(), f[1].to_string())
    }).collect();
    let missing: Vec<_> = locked.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&locked).collect();
    assert!(missing.is_empty() && stale.is_empty(), "packaging/third-party.tsv is out of date (run python3 packaging/third-party.py): missing {missing:?}, not locked {stale:?}");
}
