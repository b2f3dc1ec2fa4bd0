//! Min/max decimation for display: a pyramid of per-block minima and maxima, so drawing any
//! window of a 24-hour recording touches at most a few thousand values (the approach of
//! mne-qt-browser and other long-recording viewers, whose users complain when it is missing).

/// Block sizes grow by this factor from one level to the next.
const FANOUT: usize = 4;

#[derive(Debug, Clone)]
struct Level {
    block_samples: usize,
    /// Per block: minimum and maximum over its finite samples; NaN when it has none (a gap).
    min: Vec<f32>,
    max: Vec<f32>,
}

/// A min/max pyramid over one channel's samples.
#[derive(Debug, Clone, Default)]
pub struct MinMaxPyramid {
    levels: Vec<Level>,
}

/// What to draw for one visible window: contiguous runs of points, broken at gaps.
pub type Polylines = Vec<Vec<[f64; 2]>>;

impl MinMaxPyramid {
    pub fn build(samples: &[f32]) -> Self {
        let mut levels: Vec<Level> = Vec::new();
        let mut block = FANOUT;
        while block < samples.len() {
            let level = match levels.last() {
                None => reduce(samples.chunks(block).map(|c| min_max(c.iter().copied()))),
                Some(prev) => reduce(
                    prev.min
                        .chunks(FANOUT)
                        .zip(prev.max.chunks(FANOUT))
                        .map(|(lo, hi)| (min_max(lo.iter().copied()).0, min_max(hi.iter().copied()).1)),
                ),
            };
            levels.push(Level { block_samples: block, ..level });
            block *= FANOUT;
        }
        MinMaxPyramid { levels }
    }

    /// Points to draw `samples[first..last)` (times in seconds from `sample_rate_hz`) with about
    /// `max_points` points: raw samples when few enough, else a min/max envelope.
    pub fn polylines(&self, samples: &[f32], sample_rate_hz: f64, start_secs: f64, end_secs: f64, max_points: usize) -> Polylines {
        let n = samples.len();
        let to_index = |t: f64| ((t * sample_rate_hz).floor().max(0.0) as usize).min(n);
        let (first, last) = (to_index(start_secs), (to_index(end_secs) + 1).min(n));
        if first >= last || sample_rate_hz <= 0.0 {
            return Vec::new();
        }
        let max_points = max_points.max(2);
        let wanted_block = (last - first) / (max_points / 2).max(1);
        let level = self.levels.iter().rev().find(|l| l.block_samples <= wanted_block);
        let mut lines: Polylines = Vec::new();
        let mut current: Vec<[f64; 2]> = Vec::new();
        {
            let mut push = |x: f64, y: f32| {
                if y.is_nan() {
                    if !current.is_empty() {
                        lines.push(std::mem::take(&mut current));
                    }
                } else {
                    current.push([x, f64::from(y)]);
                }
            };
            match level {
                None => {
                    for (i, &y) in samples.iter().enumerate().take(last).skip(first) {
                        push(i as f64 / sample_rate_hz, y);
                    }
                }
                Some(level) => {
                    let b = level.block_samples;
                    for k in first / b..last.div_ceil(b).min(level.min.len()) {
                        // Draw min then max at the block's start: a vertical stroke per block.
                        let x = (k * b) as f64 / sample_rate_hz;
                        push(x, level.min[k]);
                        push(x, level.max[k]);
                    }
                }
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        lines
    }
}

fn min_max(values: impl Iterator<Item = f32>) -> (f32, f32) {
    values.filter(|v| !v.is_nan()).fold((f32::NAN, f32::NAN), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

fn reduce(blocks: impl Iterator<Item = (f32, f32)>) -> Level {
    let (min, max) = blocks.unzip();
    Level { block_samples: 0, min, max }
}

/// Times what drawing costs on 24 h of 125-Hz samples: building the pyramid once, then one
/// frame's query (the points a 2000-px-wide plot needs) at zoom levels from 10 s to 24 h.
pub fn bench_24h_display() -> String {
    use std::fmt::Write;
    use std::time::Instant;
    let rate_hz = 125.0;
    let n = (24.0 * 3600.0 * rate_hz) as usize;
    let samples: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.05).sin() + 0.3 * ((i as f32) * 0.0007).sin()).collect();
    let t = Instant::now();
    let pyramid = MinMaxPyramid::build(&samples);
    let build_secs = t.elapsed().as_secs_f64();
    let mut out = String::new();
    let _ = writeln!(out, "24 h at 125 Hz ({n} samples): pyramid built once in {:.0} ms", build_secs * 1e3);
    for window_secs in [10.0f64, 600.0, 3600.0, 6.0 * 3600.0, 24.0 * 3600.0] {
        // A pan: 200 frames, each a slightly shifted window, as dragging produces.
        let frames = 200;
        let t = Instant::now();
        let mut points = 0;
        for f in 0..frames {
            let start = (f as f64 / frames as f64) * (24.0 * 3600.0 - window_secs).max(0.0);
            points += pyramid.polylines(&samples, rate_hz, start, start + window_secs, 4000).iter().map(Vec::len).sum::<usize>();
        }
        let per_frame_ms = t.elapsed().as_secs_f64() * 1e3 / frames as f64;
        let _ = writeln!(out, "window {:>7.0} s: {per_frame_ms:.3} ms per frame ({} points drawn)", window_secs, points / frames);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_keeps_every_extreme() {
        // A spike in a long flat signal must survive decimation at every zoom level.
        let mut samples = vec![0.0f32; 1_000_000];
        samples[123_457] = 5.0;
        samples[987_001] = -3.0;
        let pyramid = MinMaxPyramid::build(&samples);
        for max_points in [100, 1000, 4000] {
            let lines = pyramid.polylines(&samples, 125.0, 0.0, 8000.0, max_points);
            let ys: Vec<f64> = lines.iter().flatten().map(|p| p[1]).collect();
            assert!(ys.len() <= max_points * 2 + 8, "{} points for {max_points}", ys.len());
            assert!(ys.contains(&5.0) && ys.contains(&-3.0));
        }
    }

    #[test]
    fn few_samples_are_drawn_raw() {
        let samples: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let lines = MinMaxPyramid::build(&samples).polylines(&samples, 10.0, 1.0, 2.0, 1000);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].first(), Some(&[1.0, 10.0]));
        assert_eq!(lines[0].last(), Some(&[2.0, 20.0]));
    }

    #[test]
    fn gaps_break_the_line() {
        let mut samples = vec![1.0f32; 50];
        samples[20..30].fill(f32::NAN);
        let lines = MinMaxPyramid::build(&samples).polylines(&samples, 1.0, 0.0, 50.0, 1000);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 20);
        assert_eq!(lines[1].len(), 20);
    }

    #[test]
    fn all_nan_and_empty_inputs_draw_nothing() {
        let nan = vec![f32::NAN; 10_000];
        assert!(MinMaxPyramid::build(&nan).polylines(&nan, 125.0, 0.0, 80.0, 200).is_empty());
        assert!(MinMaxPyramid::build(&[]).polylines(&[], 125.0, 0.0, 80.0, 200).is_empty());
    }
}
