//! The attributions of one recording, as the views ask for them: the per-class maps of every
//! usable beat computed once, in the background, nearest the beat under review first; the
//! 300×300 map of a beat computed on demand and kept.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use super::ig::{ClassMaps, EcgMap, ExplainError, Explainer};
use crate::dsp::beats::BeatAnalysis;
use crate::dsp::cycles::CYCLE_LEN;
use crate::model::infer::usable_beats;

/// Beats per background step: 8 beats × 64 steps fill one 512-sample chunk of a two-class model.
pub const BEATS_PER_STEP: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done_beats: usize,
    pub total_beats: usize,
    /// The background work ended (all done, cancelled or failed).
    pub finished: bool,
}

struct Shared {
    /// Indexed by beat; `None` until computed (and for beats that are not usable).
    class_maps: Mutex<Vec<Option<Arc<ClassMaps>>>>,
    done_beats: AtomicUsize,
    focus_beat: AtomicUsize,
    cancel: AtomicBool,
    finished: AtomicBool,
    error: Mutex<Option<ExplainError>>,
}

pub struct AttributionCache {
    shared: Arc<Shared>,
    usable_beats: Vec<usize>,
    cycles: Arc<Vec<f32>>,
    explainer: Explainer,
    ecg_maps: Mutex<HashMap<usize, Arc<EcgMap>>>,
    worker: Option<JoinHandle<()>>,
}

impl AttributionCache {
    /// Starts the background computation of every usable beat's per-class maps.
    pub fn start(explainer: Explainer, analysis: &BeatAnalysis) -> Self {
        let usable_beats = usable_beats(analysis);
        let shared = Arc::new(Shared {
            class_maps: Mutex::new(vec![None; analysis.beats.len()]),
            done_beats: AtomicUsize::new(0),
            focus_beat: AtomicUsize::new(0),
            cancel: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            error: Mutex::new(None),
        });
        let cycles = Arc::new(analysis.ppg_cycles.clone());
        let worker = {
            let (shared, beats, cycles, explainer) = (shared.clone(), usable_beats.clone(), cycles.clone(), explainer.clone());
            std::thread::Builder::new()
                .name("attributions".into())
                .spawn(move || {
                    // Marks the work finished even when it panics, so no one polls forever.
                    struct Finished(Arc<Shared>);
                    impl Drop for Finished {
                        fn drop(&mut self) {
                            if std::thread::panicking() {
                                *lock(&self.0.error) = Some(ExplainError::Worker("the attribution worker panicked".into()));
                            }
                            self.0.finished.store(true, Ordering::Release);
                        }
                    }
                    let _finished = Finished(shared.clone());
                    background(&shared, &beats, &cycles, &explainer);
                })
        };
        let worker = match worker {
            Ok(handle) => Some(handle),
            Err(e) => {
                *lock(&shared.error) = Some(ExplainError::Worker(e.to_string()));
                shared.finished.store(true, Ordering::Release);
                None
            }
        };
        Self { shared, usable_beats, cycles, explainer, ecg_maps: Mutex::new(HashMap::new()), worker }
    }

    /// The beats whose maps are (or will be) computed.
    pub fn usable_beats(&self) -> &[usize] {
        &self.usable_beats
    }

    pub fn class_maps(&self, beat: usize) -> Option<Arc<ClassMaps>> {
        lock(&self.shared.class_maps).get(beat).cloned().flatten()
    }

    pub fn progress(&self) -> Progress {
        Progress {
            done_beats: self.shared.done_beats.load(Ordering::Acquire),
            total_beats: self.usable_beats.len(),
            finished: self.shared.finished.load(Ordering::Acquire),
        }
    }

    /// The background work goes on from the step holding this beat.
    pub fn focus(&self, beat: usize) {
        self.shared.focus_beat.store(beat, Ordering::Release);
    }

    pub fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::Release);
    }

    /// Blocks until the background work ends; its error, if it failed.
    pub fn wait(&mut self) -> Result<(), ExplainError> {
        if let Some(handle) = self.worker.take()
            && handle.join().is_err()
        {
            let mut error = lock(&self.shared.error);
            error.get_or_insert(ExplainError::Worker("the attribution worker panicked".into()));
        }
        lock(&self.shared.error).clone().map_or(Ok(()), Err)
    }

    /// The beat's 300×300 map, computed in the calling thread the first time and kept. (Two
    /// threads asking for the same new beat at once both compute it; the app asks from one
    /// worker.)
    pub fn ecg_map(&self, beat: usize) -> Result<Arc<EcgMap>, ExplainError> {
        if let Some(map) = lock(&self.ecg_maps).get(&beat) {
            return Ok(map.clone());
        }
        let cycle = self.cycles.get(beat * CYCLE_LEN..(beat + 1) * CYCLE_LEN).ok_or(ExplainError::NoSuchBeat(beat))?;
        let map = Arc::new(self.explainer.ecg_map(cycle)?);
        lock(&self.ecg_maps).insert(beat, map.clone());
        Ok(map)
    }
}

/// Dropping cancels: the worker stops after its current step (a few seconds on a CPU) and is
/// not joined, so closing a recording never blocks the caller.
impl Drop for AttributionCache {
    fn drop(&mut self) {
        self.cancel();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn background(shared: &Shared, beats: &[usize], cycles: &[f32], explainer: &Explainer) {
    let steps: Vec<&[usize]> = beats.chunks(BEATS_PER_STEP).collect();
    let mut pending = vec![true; steps.len()];
    for _ in 0..steps.len() {
        if shared.cancel.load(Ordering::Acquire) {
            return;
        }
        // The pending step nearest the one holding the focused beat, either side.
        let focus = shared.focus_beat.load(Ordering::Acquire);
        let at = steps.iter().position(|s| s.last().is_some_and(|&b| b >= focus)).unwrap_or(steps.len() - 1);
        let Some(next) = (0..steps.len()).filter(|&k| pending[k]).min_by_key(|&k| k.abs_diff(at)) else { return };
        pending[next] = false;
        let batch: Vec<f32> = steps[next].iter().flat_map(|&b| cycles[b * CYCLE_LEN..(b + 1) * CYCLE_LEN].iter().copied()).collect();
        match explainer.class_maps(&batch) {
            Ok(maps) => {
                let mut store = lock(&shared.class_maps);
                for (&beat, map) in steps[next].iter().zip(maps) {
                    store[beat] = Some(Arc::new(map));
                }
                shared.done_beats.fetch_add(steps[next].len(), Ordering::AcqRel);
            }
            Err(e) => {
                *lock(&shared.error) = Some(e);
                return;
            }
        }
    }
}
