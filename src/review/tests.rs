use std::fs;
use std::path::{Path, PathBuf};

use super::*;

/// A recording file in its own folder plus a separate fallback dir, all inside one temp dir.
struct Fixture {
    _root: tempfile::TempDir,
    recording: PathBuf,
    fallback_dir: PathBuf,
}

fn fixture(bytes: &[u8]) -> Fixture {
    let root = tempfile::tempdir().unwrap();
    let rec_dir = root.path().join("recordings");
    fs::create_dir(&rec_dir).unwrap();
    let recording = rec_dir.join("patient01.edf");
    fs::write(&recording, bytes).unwrap();
    let fallback_dir = root.path().join("data").join("reviews");
    Fixture { _root: root, recording, fallback_dir }
}

impl Fixture {
    fn open(&self) -> (ReviewSession, Vec<String>) {
        ReviewSession::open(&self.recording, &self.fallback_dir).unwrap()
    }

    fn fallback(&self) -> PathBuf {
        fallback_path(&self.recording, &self.fallback_dir)
    }
}

fn verdict(class: &str, verdict: Option<Verdict>) -> Edit {
    Edit::SetVerdict { class: class.to_owned(), verdict }
}

fn write_review(path: &Path, review: &Review) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, serde_json::to_vec_pretty(review).unwrap()).unwrap();
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn paths_are_named_after_the_recording() {
    let fx = fixture(b"x");
    assert_eq!(sidecar_path(&fx.recording), fx.recording.with_file_name("patient01.edf.cardioppg-review.json"));
    let name = fx.fallback().file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(fx.fallback().parent().unwrap(), fx.fallback_dir);
    assert!(name.ends_with("-patient01.edf.cardioppg-review.json"), "{name}");
    assert!(name[..16].bytes().all(|b| b.is_ascii_hexdigit()) && name.as_bytes()[16] == b'-', "{name}");
    // Same file name in another folder must not share the fallback.
    let other = fx.recording.parent().unwrap().parent().unwrap().join("patient01.edf");
    assert_ne!(fallback_path(&other, &fx.fallback_dir), fx.fallback());
}

#[test]
fn round_trip_restores_every_field() {
    let fx = fixture(b"recording bytes");
    let (mut session, warnings) = fx.open();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(!session.is_dirty());
    assert!(session.apply(Edit::SetReviewer("Dr. Ada".into())));
    assert!(session.apply(verdict("AF", Some(Verdict::Agree))));
    assert!(session.apply(verdict("PVC", Some(Verdict::Disagree))));
    assert!(session.apply(Edit::SetNotes("irregular RR,\nsee beat 12".into())));
    assert!(session.apply(Edit::SetBeatMark { beat: 12, mark: Some("ectopic?".into()) }));
    assert!(session.apply(Edit::SetBeatMark { beat: 40, mark: Some(String::new()) }));
    assert!(session.is_dirty());
    let saved_to = session.save().unwrap();
    assert_eq!(saved_to, sidecar_path(&fx.recording));
    assert_eq!(session.path(), saved_to);
    assert!(!session.is_dirty());
    assert_eq!(files_in(fx.recording.parent().unwrap()), ["patient01.edf", "patient01.edf.cardioppg-review.json"]);

    let (reopened, warnings) = fx.open();
    assert!(warnings.is_empty(), "{warnings:?}");
    let review = reopened.review();
    assert_eq!(review, session.review());
    assert_eq!(review.format_version, FORMAT_VERSION);
    assert_eq!(review.recording_file, "patient01.edf");
    assert_eq!(review.recording_sha256, crate::model::bundle::sha256_hex(b"recording bytes"));
    assert_eq!(review.reviewer, "Dr. Ada");
    assert_eq!(review.verdicts.get("AF"), Some(&Verdict::Agree));
    assert_eq!(review.verdicts.get("PVC"), Some(&Verdict::Disagree));
    assert_eq!(review.notes, "irregular RR,\nsee beat 12");
    assert_eq!(review.beat_marks.get(&12).map(String::as_str), Some("ectopic?"));
    assert_eq!(review.beat_marks.get(&40).map(String::as_str), Some(""));
    assert!(review.updated_unix_secs > 0);
    assert!(!reopened.can_undo(), "history is per session, not saved");
}

#[test]
fn verdicts_are_lowercase_in_the_file() {
    let fx = fixture(b"r");
    let (mut session, _) = fx.open();
    session.apply(verdict("AF", Some(Verdict::Disagree)));
    let text = fs::read_to_string(session.save().unwrap()).unwrap();
    assert!(text.contains("\"AF\": \"disagree\""), "{text}");
}

#[test]
fn undo_redo_and_no_op_edits() {
    let fx = fixture(b"r");
    let (mut session, _) = fx.open();
    assert!(!session.undo() && !session.redo());
    session.apply(verdict("AF", Some(Verdict::Agree)));
    assert!(!session.apply(verdict("AF", Some(Verdict::Agree))), "same verdict again changes nothing");
    assert!(!session.apply(verdict("PVC", None)), "clearing an absent verdict changes nothing");
    session.apply(verdict("AF", Some(Verdict::Disagree)));

    assert!(session.undo());
    assert_eq!(session.review().verdicts.get("AF"), Some(&Verdict::Agree));
    assert!(session.undo(), "the no-op edits left no undo steps in between");
    assert!(session.review().verdicts.is_empty());
    assert!(!session.can_undo());
    assert!(session.redo());
    assert_eq!(session.review().verdicts.get("AF"), Some(&Verdict::Agree));
    assert!(session.can_redo());

    session.save().unwrap();
    assert!(session.undo(), "undo after save still works");
    assert!(session.is_dirty(), "undo changes the review, so it must be saved again");
    session.apply(verdict("HR", Some(Verdict::Agree)));
    assert!(!session.can_redo(), "a new edit clears the redo stack");
    assert!(!session.redo());
}

#[test]
fn typing_notes_is_one_undo_step() {
    let fx = fixture(b"r");
    let (mut session, _) = fx.open();
    session.apply(Edit::SetNotes("first".into()));
    session.apply(verdict("AF", Some(Verdict::Agree)));
    let mut typed = String::new();
    for letter in "sinus rhythm".chars() {
        typed.push(letter);
        assert!(session.apply(Edit::SetNotes(typed.clone())));
        session.save().unwrap(); // the UI saves after every letter; that must not split the step
    }
    assert!(session.undo());
    assert_eq!(session.review().notes, "first", "one undo removes the whole word");
    assert_eq!(session.review().verdicts.get("AF"), Some(&Verdict::Agree));
    assert!(session.redo());
    assert_eq!(session.review().notes, "sinus rhythm");

    // Redo ended the group: more typing is a new step.
    session.apply(Edit::SetNotes("sinus rhythm.".into()));
    session.undo();
    assert_eq!(session.review().notes, "sinus rhythm");

    // An explicit break (text box lost focus) also splits bouts of typing.
    session.apply(Edit::SetNotes("a".into()));
    session.end_undo_group();
    session.apply(Edit::SetNotes("ab".into()));
    session.undo();
    assert_eq!(session.review().notes, "a");
}

#[test]
fn text_fields_coalesce_separately() {
    let fx = fixture(b"r");
    let (mut session, _) = fx.open();
    session.apply(Edit::SetReviewer("D".into()));
    session.apply(Edit::SetReviewer("Dr".into()));
    session.apply(Edit::SetBeatMark { beat: 3, mark: Some("P".into()) });
    session.apply(Edit::SetBeatMark { beat: 3, mark: Some("PVC".into()) });
    session.apply(Edit::SetBeatMark { beat: 4, mark: Some("x".into()) });
    session.apply(Edit::SetReviewer("Dr.".into()));

    session.undo();
    assert_eq!(session.review().reviewer, "Dr", "reviewer typed after another field is its own step");
    session.undo();
    assert!(!session.review().beat_marks.contains_key(&4), "another beat is another step");
    session.undo();
    assert!(!session.review().beat_marks.contains_key(&3));
    session.undo();
    assert_eq!(session.review().reviewer, "");
    assert!(!session.can_undo());
}

#[test]
fn typing_back_to_the_start_leaves_nothing_to_undo() {
    let fx = fixture(b"r");
    let (mut session, _) = fx.open();
    session.apply(verdict("AF", Some(Verdict::Agree)));
    session.apply(Edit::SetNotes("x".into()));
    session.apply(Edit::SetNotes(String::new()));
    assert!(session.undo(), "the empty notes step is skipped, the verdict is undone");
    assert!(session.review().verdicts.is_empty());
}

#[test]
fn undo_history_is_capped() {
    let fx = fixture(b"r");
    let (mut session, _) = fx.open();
    for i in 0..UNDO_LIMIT + 20 {
        session.apply(verdict(&format!("class{i}"), Some(Verdict::Agree)));
    }
    let mut undone = 0;
    while session.undo() {
        undone += 1;
    }
    assert_eq!(undone, UNDO_LIMIT);
    assert_eq!(session.review().verdicts.len(), 20, "the oldest edits can no longer be undone");
}

#[test]
fn save_without_changes_writes_nothing() {
    let fx = fixture(b"r");
    let (mut session, _) = fx.open();
    assert_eq!(session.save().unwrap(), sidecar_path(&fx.recording));
    assert!(!sidecar_path(&fx.recording).exists());
}

#[test]
fn corrupt_sidecar_is_set_aside_not_overwritten() {
    let fx = fixture(b"r");
    let primary = sidecar_path(&fx.recording);
    let garbage = b"{\n  \"reviewer\": \"Dr. A\",\n  \"notes\": \"cut off mid-wr";
    fs::write(&primary, garbage).unwrap();

    let (mut session, warnings) = fx.open();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = &warnings[0];
    assert!(warning.starts_with(&format!("{}: not a review file (JSON error", primary.display())), "{warning}");
    assert!(warning.contains("line 3 column"), "{warning}");
    assert!(warning.ends_with(", starting a new review"), "{warning}");
    let aside: Vec<PathBuf> = fs::read_dir(fx.recording.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".cardioppg-review.json.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert!(warning.contains(&format!("kept as {}", aside[0].display())), "{warning}");
    assert_eq!(fs::read(&aside[0]).unwrap(), garbage, "the original bytes are preserved");
    assert!(!primary.exists());
    assert_eq!(session.review(), &Review::new("patient01.edf", crate::model::bundle::sha256_hex(b"r")));

    session.apply(Edit::SetNotes("new".into()));
    session.save().unwrap();
    assert_eq!(fs::read(&aside[0]).unwrap(), garbage, "saving the new review leaves it alone");
}

#[test]
fn review_from_a_newer_format_is_set_aside() {
    let fx = fixture(b"r");
    let primary = sidecar_path(&fx.recording);
    let future = Review { format_version: FORMAT_VERSION + 1, notes: "from the future".into(), ..Review::default() };
    write_review(&primary, &future);
    let (_, warnings) = fx.open();
    assert!(warnings[0].contains("newer CardioPPG Review"), "{warnings:?}");
    assert!(!primary.exists());
    assert!(files_in(primary.parent().unwrap()).iter().any(|n| n.contains(&format!("json.format{}-", FORMAT_VERSION + 1))));

    // A JSON object that is not a review at all (no format_version) is set aside too.
    fs::write(&primary, b"{\"hello\": 1}").unwrap();
    let (_, warnings) = fx.open();
    assert!(warnings[0].contains("no format_version"), "{warnings:?}");
    assert!(!primary.exists());
}

#[test]
fn unreadable_sidecar_is_an_error_not_a_fresh_start() {
    let fx = fixture(b"r");
    let primary = sidecar_path(&fx.recording);
    fs::create_dir(&primary).unwrap(); // present but cannot be read as a file
    let err = ReviewSession::open(&fx.recording, &fx.fallback_dir).unwrap_err();
    assert!(matches!(err, ReviewError::ReadSidecar { .. }), "{err:?}");
    assert!(err.to_string().contains(&primary.display().to_string()), "{err}");
}

#[test]
fn missing_recording_is_an_error_naming_it() {
    let fx = fixture(b"r");
    let missing = fx.recording.with_file_name("nope.edf");
    let err = ReviewSession::open(&missing, &fx.fallback_dir).unwrap_err();
    assert!(matches!(err, ReviewError::ReadRecording { .. }), "{err:?}");
    assert!(err.to_string().contains("nope.edf"), "{err}");
}

#[test]
fn changed_recording_is_detected_by_sha() {
    let fx = fixture(b"version 1");
    let (mut session, _) = fx.open();
    session.apply(verdict("AF", Some(Verdict::Agree)));
    session.save().unwrap();
    fs::write(&fx.recording, b"version 2").unwrap();

    let (mut session, warnings) = fx.open();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("the recording changed since this review was saved (SHA-256 differs"), "{warnings:?}");
    assert_eq!(session.review().verdicts.get("AF"), Some(&Verdict::Agree), "the review is still loaded");

    // Editing after the warning records the review against the recording as it is now.
    session.apply(Edit::SetNotes("re-checked".into()));
    session.save().unwrap();
    let (session, warnings) = fx.open();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(session.review().recording_sha256, crate::model::bundle::sha256_hex(b"version 2"));
}

#[test]
fn leftover_temp_file_does_not_break_open() {
    let fx = fixture(b"r");
    let (mut session, _) = fx.open();
    session.apply(Edit::SetNotes("saved".into()));
    let primary = session.save().unwrap();
    // A save killed between create and rename leaves a partial temp file behind.
    let tmp = primary.with_file_name("patient01.edf.cardioppg-review.json.tmp4242");
    fs::write(&tmp, b"{\"notes\": \"half").unwrap();

    let (mut session, warnings) = fx.open();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(session.review().notes, "saved");
    session.apply(Edit::SetNotes("saved again".into()));
    session.save().unwrap();
    assert_eq!(fx.open().0.review().notes, "saved again");
    let own_tmp = format!("patient01.edf.cardioppg-review.json.tmp{}", std::process::id());
    assert!(!files_in(primary.parent().unwrap()).contains(&own_tmp), "a finished save leaves no temp file");
}

#[test]
fn unwritable_primary_falls_back_and_stays_there() {
    let fx = fixture(b"r");
    let (mut session, _) = fx.open();
    session.fail_primary_write = Some(std::io::ErrorKind::ReadOnlyFilesystem);
    session.apply(Edit::SetNotes("on a CD".into()));
    assert_eq!(session.save().unwrap(), fx.fallback());
    assert!(session.uses_fallback());
    assert_eq!(session.path(), fx.fallback());
    assert!(!sidecar_path(&fx.recording).exists());

    session.fail_primary_write = None;
    session.apply(Edit::SetNotes("on a CD, still".into()));
    assert_eq!(session.save().unwrap(), fx.fallback(), "the choice is remembered");
    let (reopened, warnings) = fx.open();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(reopened.review().notes, "on a CD, still");
    assert_eq!(reopened.path(), fx.fallback());
}

#[test]
fn other_write_errors_are_reported_not_redirected() {
    let fx = fixture(b"r");
    let (mut session, _) = fx.open();
    session.apply(Edit::SetNotes("x".into()));
    let primary = sidecar_path(&fx.recording);
    fs::create_dir(&primary).unwrap(); // the rename onto it fails, and not for lack of permission
    let err = session.save().unwrap_err();
    assert!(matches!(err, ReviewError::Write { .. }), "{err:?}");
    assert!(err.to_string().contains(&primary.display().to_string()), "{err}");
    assert!(session.is_dirty() && !session.uses_fallback());
    assert_eq!(files_in(fx.recording.parent().unwrap()).len(), 2, "the temp file was removed");
}

#[cfg(unix)]
#[test]
fn read_only_folder_falls_back() {
    use std::os::unix::fs::PermissionsExt;
    let fx = fixture(b"r");
    let rec_dir = fx.recording.parent().unwrap().to_path_buf();
    fs::set_permissions(&rec_dir, fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores permission bits; then the fault-injection test above covers the fallback.
    let probe = rec_dir.join("probe");
    let permissions_enforced = fs::File::create(&probe).is_err();
    let _ = fs::remove_file(&probe);

    let (mut session, _) = fx.open();
    session.apply(Edit::SetReviewer("Dr. B".into()));
    let saved = session.save();
    fs::set_permissions(&rec_dir, fs::Permissions::from_mode(0o755)).unwrap();
    let saved = saved.unwrap();
    if permissions_enforced {
        assert_eq!(saved, fx.fallback());
        assert!(session.uses_fallback());
        assert_eq!(files_in(&rec_dir), ["patient01.edf"], "no temp file or sidecar in the read-only folder");
    }
    assert_eq!(fx.open().0.review().reviewer, "Dr. B");
}

#[test]
fn newer_of_primary_and_fallback_wins() {
    let fx = fixture(b"r");
    let sha = crate::model::bundle::sha256_hex(b"r");
    let old = Review { notes: "older".into(), updated_unix_secs: 1_000, ..Review::new("patient01.edf", sha.clone()) };
    let new = Review { notes: "newer".into(), updated_unix_secs: 2_000, ..Review::new("patient01.edf", sha) };
    let primary = sidecar_path(&fx.recording);

    write_review(&primary, &old);
    write_review(&fx.fallback(), &new);
    let (session, warnings) = fx.open();
    assert_eq!(session.review().notes, "newer");
    assert_eq!(session.path(), fx.fallback());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains(&format!("using {}", fx.fallback().display())), "{warnings:?}");

    write_review(&primary, &new);
    write_review(&fx.fallback(), &old);
    let (session, warnings) = fx.open();
    assert_eq!(session.review().notes, "newer");
    assert_eq!(session.path(), primary);
    assert!(warnings[0].contains(&format!("using {}", primary.display())), "{warnings:?}");
    assert_eq!(fs::read_to_string(fx.fallback()).unwrap(), serde_json::to_string_pretty(&old).unwrap(), "the loser is left as it was");
}

#[test]
fn corrupt_primary_with_good_fallback_uses_the_fallback() {
    let fx = fixture(b"r");
    let good = Review { notes: "kept".into(), updated_unix_secs: 5, ..Review::new("patient01.edf", crate::model::bundle::sha256_hex(b"r")) };
    write_review(&fx.fallback(), &good);
    fs::write(sidecar_path(&fx.recording), b"\0\0\0").unwrap();
    let (session, warnings) = fx.open();
    assert_eq!(session.review(), &good);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].ends_with(&format!(", using the review at {}", fx.fallback().display())), "{warnings:?}");
}

#[test]
fn sign_off_is_an_undoable_edit_and_a_later_change_is_flagged_until_signed_again() {
    let fx = fixture(b"recording");
    let (mut session, _) = fx.open();
    session.apply(Edit::SetReviewer("Dr Lee".into()));
    assert!(session.apply(Edit::SignOff { at: Some(1_700_000_000), edited_after: false }));
    assert_eq!(session.review().signed_off_unix_secs, Some(1_700_000_000));
    assert!(!session.review().changed_after_sign_off());
    session.apply(Edit::SetNotes("second look".into()));
    assert!(session.review().changed_after_sign_off(), "a note after signing is flagged");
    session.apply(Edit::SignOff { at: Some(1_700_000_100), edited_after: false });
    assert!(!session.review().changed_after_sign_off(), "signing again covers it");
    session.save().unwrap();
    let (reopened, _) = fx.open();
    assert_eq!(reopened.review().signed_off_unix_secs, Some(1_700_000_100));
    drop(reopened);
    assert!(session.undo());
    assert_eq!(session.review().signed_off_unix_secs, Some(1_700_000_000), "undo restores the earlier sign-off");
    assert!(session.review().changed_after_sign_off(), "…which did not cover the note written after it");
}

#[test]
fn a_version_1_review_is_read_and_saved_as_the_current_version() {
    let fx = fixture(b"recording");
    let old = Review { format_version: 1, notes: "from version 1".into(), ..Review::new("patient01.edf", "") };
    write_review(&sidecar_path(&fx.recording), &old);
    let (mut session, warnings) = fx.open();
    assert_eq!(session.review().notes, "from version 1", "{warnings:?}");
    session.apply(Edit::SetReviewer("Dr Lee".into()));
    session.save().unwrap();
    let saved: Review = serde_json::from_slice(&fs::read(sidecar_path(&fx.recording)).unwrap()).unwrap();
    assert_eq!((saved.format_version, saved.notes.as_str()), (FORMAT_VERSION, "from version 1"));
}

#[test]
fn a_new_review_starts_with_the_remembered_name_which_is_saved_with_the_first_edit_only() {
    let fx = fixture(b"recording bytes");
    let (mut session, _) = fx.open();
    session.start_with_reviewer("  Dr. Ana Ruiz ");
    assert_eq!(session.review().reviewer, "Dr. Ana Ruiz");
    assert!(!session.is_dirty() && !session.can_undo(), "not an edit");
    assert!(!sidecar_path(&fx.recording).exists(), "opening writes nothing");
    assert!(session.apply(Edit::SetNotes("sinus".into())));
    session.save().unwrap();
    let (mut reopened, _) = fx.open();
    assert_eq!(reopened.review().reviewer, "Dr. Ana Ruiz");
    // A review that has its own name keeps it.
    reopened.start_with_reviewer("Someone Else");
    assert_eq!(reopened.review().reviewer, "Dr. Ana Ruiz");
}
