//! The analysis of one recording: what the views read, immutably, each frame. Built off the UI
//! thread by the worker; later stages (model outputs, attributions) join it here.

use std::sync::Arc;

use crate::dsp::beats::{BeatAnalysis, analyse_beats};
use crate::dsp::minmax::MinMaxPyramid;
use crate::io::Recording;

#[derive(Debug)]
pub struct Analysis {
    pub recording: Arc<Recording>,
    /// One display pyramid per channel, same order as `recording.channels`.
    pub pyramids: Arc<Vec<MinMaxPyramid>>,
    /// Beats of the PPG channel (paired with the reference ECG when there is one); `None`
    /// when the recording has no channel with the PPG role.
    pub beats: Option<BeatAnalysis>,
}

impl Analysis {
    pub fn new(recording: Recording) -> Self {
        let recording = Arc::new(recording);
        let pyramids = Arc::new(recording.channels.iter().map(|c| MinMaxPyramid::build(&c.samples)).collect());
        let beats = detect_beats(&recording);
        Analysis { recording, pyramids, beats }
    }

    /// The same signals with changed channel roles: the display pyramids are reused; beats are
    /// recomputed because the roles decide which channels are the PPG and the reference ECG.
    pub fn with_roles_changed(&self, recording: Recording) -> Self {
        let beats = detect_beats(&recording);
        Analysis { recording: Arc::new(recording), pyramids: self.pyramids.clone(), beats }
    }
}

/// Beats of the recording's PPG channel, paired with its reference ECG; `None` without a PPG.
pub fn detect_beats(recording: &Recording) -> Option<BeatAnalysis> {
    let ppg = &recording.channels[recording.ppg_channel()?];
    let ecg = recording.ecg_channel().map(|i| &recording.channels[i]).map(|c| (c.samples.as_slice(), c.sample_rate_hz));
    Some(analyse_beats(&ppg.samples, ppg.sample_rate_hz, ecg))
}
