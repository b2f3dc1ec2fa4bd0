//! The reviewer's work on one recording: who reviewed, agree/disagree per class, notes and beat
//! marks, with undo/redo, kept in a sidecar JSON next to the recording (see [`sidecar`]).
//!
//! The UI saves after every edit, so a crash or kill loses nothing already entered; saving is an
//! atomic replace, never a half-written file. No egui types here: the review is testable headless.

mod sidecar;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub use sidecar::{default_fallback_dir, fallback_path, sidecar_path, write_atomic};

/// The sidecar format this build writes; files with a newer one are set aside, never overwritten.
/// 2 added the sign-off; 1 is still read (its missing fields read as "not signed off"), and a
/// build that knows only 1 sets a 2 aside instead of dropping the sign-off on its next save.
pub const FORMAT_VERSION: u32 = 2;

/// How many undo steps are kept; older ones are dropped first.
pub const UNDO_LIMIT: usize = 500;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Agree,
    Disagree,
}

/// What is saved in the sidecar. Missing fields read as empty so that hand-edited or older files
/// still open; `format_version` 0 (missing) marks a JSON file that is not a review.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(default)]
pub struct Review {
    pub format_version: u32,
    /// File name of the recording (for WFDB, the `.hea`).
    pub recording_file: String,
    /// Of the recording file's bytes, so a review of a file that changed since is detected.
    pub recording_sha256: String,
    pub reviewer: String,
    /// Class name -> verdict; an absent class is not reviewed yet.
    pub verdicts: BTreeMap<String, Verdict>,
    pub notes: String,
    /// Beat index -> the reviewer's label or comment for that beat.
    pub beat_marks: BTreeMap<usize, String>,
    /// When the content last changed (not when it was last written), seconds since the Unix epoch.
    pub updated_unix_secs: u64,
    /// When the reviewer signed the review off, seconds since the Unix epoch; `None` until then.
    /// A later content change leaves it in place but [`Review::changed_after_sign_off`] tells.
    pub signed_off_unix_secs: Option<u64>,
    /// Content changed after the sign-off (undoing that change still counts: it was seen
    /// unsigned); signing again clears it.
    pub edited_after_sign_off: bool,
}

impl Review {
    /// Signed off, then edited: the sign-off no longer covers what the review says.
    pub fn changed_after_sign_off(&self) -> bool {
        self.signed_off_unix_secs.is_some() && self.edited_after_sign_off
    }

    pub fn new(recording_file: impl Into<String>, recording_sha256: impl Into<String>) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            recording_file: recording_file.into(),
            recording_sha256: recording_sha256.into(),
            ..Self::default()
        }
    }
}

/// One change to a review. `None` clears a verdict or a beat mark; `Some(String::new())` keeps
/// an empty beat mark (a flagged beat without comment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    SetReviewer(String),
    SetVerdict { class: String, verdict: Option<Verdict> },
    SetNotes(String),
    SetBeatMark { beat: usize, mark: Option<String> },
    /// Signs the review off at a time (seconds since the Unix epoch), or withdraws the sign-off;
    /// `edited_after` is the "changed since signing" flag to set (false when signing now; undo
    /// restores the earlier value).
    SignOff { at: Option<u64>, edited_after: bool },
}

/// Consecutive edits of the same text field share one undo step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TextField {
    Reviewer,
    Notes,
    BeatMark(usize),
}

impl Edit {
    fn text_field(&self) -> Option<TextField> {
        match self {
            Edit::SetReviewer(_) => Some(TextField::Reviewer),
            Edit::SetNotes(_) => Some(TextField::Notes),
            Edit::SetBeatMark { beat, .. } => Some(TextField::BeatMark(*beat)),
            Edit::SetVerdict { .. } | Edit::SignOff { .. } => None,
        }
    }

    /// Applies `self` to `review`; returns the edit that undoes it, or `None` if nothing changed.
    fn apply_to(self, review: &mut Review) -> Option<Edit> {
        let inverse = self.apply_content(review)?;
        if !matches!(inverse, Edit::SignOff { .. }) {
            review.edited_after_sign_off |= review.signed_off_unix_secs.is_some();
        }
        Some(inverse)
    }

    fn apply_content(self, review: &mut Review) -> Option<Edit> {
        match self {
            Edit::SetReviewer(new) => {
                (review.reviewer != new).then(|| Edit::SetReviewer(std::mem::replace(&mut review.reviewer, new)))
            }
            Edit::SetNotes(new) => (review.notes != new).then(|| Edit::SetNotes(std::mem::replace(&mut review.notes, new))),
            Edit::SetVerdict { class, verdict } => {
                let old = match verdict {
                    Some(v) => review.verdicts.insert(class.clone(), v),
                    None => review.verdicts.remove(&class),
                };
                (old != verdict).then_some(Edit::SetVerdict { class, verdict: old })
            }
            Edit::SignOff { at, edited_after } => (review.signed_off_unix_secs != at || review.edited_after_sign_off != edited_after).then(|| Edit::SignOff {
                at: std::mem::replace(&mut review.signed_off_unix_secs, at),
                edited_after: std::mem::replace(&mut review.edited_after_sign_off, edited_after),
            }),
            Edit::SetBeatMark { beat, mark } => {
                let old = match mark.clone() {
                    Some(m) => review.beat_marks.insert(beat, m),
                    None => review.beat_marks.remove(&beat),
                };
                (old != mark).then_some(Edit::SetBeatMark { beat, mark: old })
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("cannot read the recording {}: {source}", .path.display())]
    ReadRecording { path: PathBuf, source: io::Error },
    #[error("cannot read the review file {}: {source}", .path.display())]
    ReadSidecar { path: PathBuf, source: io::Error },
    #[error("the review file {} is unreadable and could not be moved aside ({source}); it was left untouched", .path.display())]
    SetAside { path: PathBuf, source: io::Error },
    #[error("cannot create the review folder {}: {source}", .path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("cannot write the review file {}: {source}", .path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot serialise the review for {}: {source}", .path.display())]
    Serialize { path: PathBuf, source: serde_json::Error },
}

/// Where the session writes: next to the recording, or in the fallback dir once the recording's
/// folder proved unwritable (or held an unreadable sidecar that could not be moved aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Primary,
    Fallback,
}

/// One open review: the review, its undo/redo history and where it is saved.
#[derive(Debug)]
pub struct ReviewSession {
    review: Review,
    /// Inverse edits, newest last.
    undo: VecDeque<Edit>,
    /// Forward edits undone, newest last; cleared by any new edit.
    redo: Vec<Edit>,
    /// The text field the newest undo step is still absorbing edits for.
    open_group: Option<TextField>,
    dirty: bool,
    /// SHA-256 of the recording as opened; adopted into the review on the first change.
    recording_sha256_now: String,
    recording_file_now: String,
    primary_path: PathBuf,
    fallback_path: PathBuf,
    target: Target,
    /// The primary path holds a file we could not read or move aside: never write there.
    primary_blocked: bool,
    #[cfg(test)]
    fail_primary_write: Option<io::ErrorKind>,
}

impl ReviewSession {
    pub fn review(&self) -> &Review {
        &self.review
    }

    /// SHA-256 of the recording file as opened now.
    pub fn recording_sha256(&self) -> &str {
        &self.recording_sha256_now
    }

    /// A review nobody has named yet starts with `name` (the reviewer remembered in the app's
    /// settings). Not an edit: nothing to undo, nothing written until the reviewer changes
    /// something, and then the name is saved with it.
    pub fn start_with_reviewer(&mut self, name: &str) {
        if self.review.reviewer.trim().is_empty() && !name.trim().is_empty() {
            self.review.reviewer = name.trim().to_string();
        }
    }

    /// Applies `edit`; returns false (and records no undo step) when it changes nothing.
    pub fn apply(&mut self, edit: Edit) -> bool {
        let field = edit.text_field();
        let Some(inverse) = edit.apply_to(&mut self.review) else {
            return false;
        };
        self.redo.clear();
        // While typing into one field the oldest inverse (the value before typing) is kept.
        if field.is_none() || field != self.open_group {
            self.push_undo(inverse);
        }
        self.open_group = field;
        self.touch();
        true
    }

    pub fn undo(&mut self) -> bool {
        self.open_group = None;
        // A coalesced group can end where it began (typed, then deleted): skip such empty steps.
        while let Some(inverse) = self.undo.pop_back() {
            if let Some(forward) = inverse.apply_to(&mut self.review) {
                self.redo.push(forward);
                self.touch();
                return true;
            }
        }
        false
    }

    pub fn redo(&mut self) -> bool {
        self.open_group = None;
        while let Some(forward) = self.redo.pop() {
            if let Some(inverse) = forward.apply_to(&mut self.review) {
                self.push_undo(inverse);
                self.touch();
                return true;
            }
        }
        false
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Makes the next text edit start a new undo step, e.g. when a text box loses focus, so that
    /// two separate bouts of typing into the notes are undone separately.
    pub fn end_undo_group(&mut self) {
        self.open_group = None;
    }

    /// Where the review is (or will be) saved.
    pub fn path(&self) -> &std::path::Path {
        match self.target {
            Target::Primary => &self.primary_path,
            Target::Fallback => &self.fallback_path,
        }
    }

    /// True when saving goes to the app's data dir instead of next to the recording.
    pub fn uses_fallback(&self) -> bool {
        self.target == Target::Fallback
    }

    /// Changed since opened or last saved.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    fn push_undo(&mut self, inverse: Edit) {
        self.undo.push_back(inverse);
        while self.undo.len() > UNDO_LIMIT {
            self.undo.pop_front();
        }
    }

    /// The reviewer saw the "recording changed" warning and kept working: from now on the review
    /// is about the recording as it is now.
    fn touch(&mut self) {
        self.dirty = true;
        self.review.updated_unix_secs = now_unix_secs();
        self.review.format_version = FORMAT_VERSION;
        self.review.recording_sha256.clone_from(&self.recording_sha256_now);
        self.review.recording_file.clone_from(&self.recording_file_now);
    }
}

pub fn now_unix_secs() -> u64 {
    // A clock before 1970 is a broken clock; 0 still sorts as "oldest", which is harmless.
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
