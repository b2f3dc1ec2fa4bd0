//! Zero-phase Butterworth filtering and anti-aliased resampling to the analysis rate.
//!
//! Written here rather than taken from a crate: the only Rust crate with SciPy's `butter` +
//! `filtfilt` semantics (`sci-rs`) pulls nalgebra and ndarray-linalg machinery for ~150 lines of
//! arithmetic. The design follows SciPy exactly (analog prototype → pre-warped frequency
//! transform → bilinear transform, as in `scipy.signal.butter`), and [`filtfilt`] reproduces
//! `scipy.signal.filtfilt(b, a, x)` with its default odd padding of `3 * max(len(a), len(b))`
//! samples and `lfilter_zi` initial conditions (Gustafsson's steady-state start, as SciPy does).
//! The golden tests compare against SciPy outputs committed in `tests/data/golden/`.
//!
//! Filtering runs as cascaded second-order sections: the same LTI system as SciPy's (b, a)
//! polynomial form, numerically safer at low cut-offs (0.5 Hz at 125 Hz puts poles near z = 1).

use std::f64::consts::PI;

/// The rate every later step works at: the network's and MIMIC's 125 Hz.
pub const ANALYSIS_RATE_HZ: f64 = 125.0;

/// One biquad, `a0 = 1`: `b0 + b1 z⁻¹ + b2 z⁻²` over `1 + a1 z⁻¹ + a2 z⁻²`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Section {
    pub b: [f64; 3],
    pub a: [f64; 3],
}

/// A digital filter as cascaded sections, plus the order of its (b, a) polynomial form, which
/// sets `filtfilt`'s padding.
#[derive(Debug, Clone, PartialEq)]
pub struct Sos {
    pub sections: Vec<Section>,
    /// Degree of the transfer function's denominator (2N for an order-N band-pass).
    pub polynomial_order: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Band {
    LowPass { cutoff_hz: f64 },
    HighPass { cutoff_hz: f64 },
    BandPass { low_hz: f64, high_hz: f64 },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    #[error("cut-off {cutoff_hz} Hz must lie strictly between 0 and the Nyquist frequency {nyquist_hz} Hz")]
    CutoffOutOfRange { cutoff_hz: f64, nyquist_hz: f64 },
    #[error("filter order must be 1 to 10, got {0}")]
    BadOrder(usize),
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct C(f64, f64);
impl C {
    fn add(self, o: C) -> C { C(self.0 + o.0, self.1 + o.1) }
    fn sub(self, o: C) -> C { C(self.0 - o.0, self.1 - o.1) }
    fn mul(self, o: C) -> C { C(self.0 * o.0 - self.1 * o.1, self.0 * o.1 + self.1 * o.0) }
    fn scale(self, k: f64) -> C { C(self.0 * k, self.1 * k) }
    fn div(self, o: C) -> C {
        let d = o.0 * o.0 + o.1 * o.1;
        C((self.0 * o.0 + self.1 * o.1) / d, (self.1 * o.0 - self.0 * o.1) / d)
    }
    fn sqrt(self) -> C {
        let r = (self.0 * self.0 + self.1 * self.1).sqrt();
        let re = ((r + self.0) / 2.0).max(0.0).sqrt();
        let im = ((r - self.0) / 2.0).max(0.0).sqrt();
        C(re, if self.1 < 0.0 { -im } else { im })
    }
}

/// Butterworth design, as `scipy.signal.butter(order, Wn, btype, fs=sample_rate_hz)`
/// (Butterworth 1930; bilinear transform with frequency pre-warping).
pub fn butter(order: usize, band: Band, sample_rate_hz: f64) -> Result<Sos, FilterError> {
    if order == 0 || order > 10 {
        return Err(FilterError::BadOrder(order));
    }
    let nyquist_hz = sample_rate_hz / 2.0;
    let check = |f: f64| {
        if f > 0.0 && f < nyquist_hz { Ok(f) } else { Err(FilterError::CutoffOutOfRange { cutoff_hz: f, nyquist_hz }) }
    };
    // Pre-warp as SciPy does with fs = 2 after normalising by Nyquist.
    let warp = |f: f64| 4.0 * (PI * (f / nyquist_hz) / 2.0).tan();
    // Analog prototype poles (scipy.signal.buttap), unit cut-off, k = 1.
    let proto: Vec<C> = (0..order)
        .map(|i| {
            let m = -(order as f64) + 1.0 + 2.0 * i as f64;
            let th = PI * m / (2.0 * order as f64);
            C(-th.cos(), -th.sin())
        })
        .collect();
    let (zeros, poles, gain) = match band {
        Band::LowPass { cutoff_hz } => {
            let wo = warp(check(cutoff_hz)?);
            (Vec::new(), proto.iter().map(|p| p.scale(wo)).collect::<Vec<_>>(), wo.powi(order as i32))
        }
        Band::HighPass { cutoff_hz } => {
            let wo = warp(check(cutoff_hz)?);
            let p: Vec<C> = proto.iter().map(|p| C(wo, 0.0).div(*p)).collect();
            let prod = proto.iter().fold(C(1.0, 0.0), |acc, p| acc.mul(p.scale(-1.0)));
            (vec![C(0.0, 0.0); order], p, 1.0 / prod.0)
        }
        Band::BandPass { low_hz, high_hz } => {
            let (w1, w2) = (warp(check(low_hz)?), warp(check(high_hz)?));
            if w2 <= w1 {
                return Err(FilterError::CutoffOutOfRange { cutoff_hz: high_hz, nyquist_hz });
            }
            let (bw, wo) = (w2 - w1, (w1 * w2).sqrt());
            let mut p = Vec::with_capacity(2 * order);
            for q in &proto {
                let lp = q.scale(bw / 2.0);
                let root = lp.mul(lp).sub(C(wo * wo, 0.0)).sqrt();
                p.push(lp.add(root));
                p.push(lp.sub(root));
            }
            (vec![C(0.0, 0.0); order], p, bw.powi(order as i32))
        }
    };
    Ok(bilinear_to_sos(&zeros, &poles, gain))
}

/// Bilinear transform with fs = 2 (scipy.signal.bilinear_zpk), then pairing into biquads.
fn bilinear_to_sos(zeros: &[C], poles: &[C], gain: f64) -> Sos {
    let fs2 = C(4.0, 0.0);
    let map = |s: &C| fs2.add(*s).div(fs2.sub(*s));
    let mut zd: Vec<C> = zeros.iter().map(map).collect();
    let pd: Vec<C> = poles.iter().map(map).collect();
    zd.extend(std::iter::repeat_n(C(-1.0, 0.0), poles.len() - zeros.len()));
    let num = zeros.iter().fold(C(1.0, 0.0), |acc, z| acc.mul(fs2.sub(*z)));
    let den = poles.iter().fold(C(1.0, 0.0), |acc, p| acc.mul(fs2.sub(*p)));
    let k = gain * num.div(den).0;

    // Poles: conjugate pairs → one section each; real poles two at a time.
    let mut pole_quads: Vec<[f64; 3]> = Vec::new();
    let mut real_poles: Vec<f64> = Vec::new();
    for p in &pd {
        if p.1.abs() < 1e-12 {
            real_poles.push(p.0);
        } else if p.1 > 0.0 {
            pole_quads.push([1.0, -2.0 * p.0, p.0 * p.0 + p.1 * p.1]);
        }
    }
    for pair in real_poles.chunks(2) {
        pole_quads.push(match pair {
            [a, b] => [1.0, -(a + b), a * b],
            [a] => [1.0, -a, 0.0],
            _ => unreachable!(),
        });
    }
    // Zeros are all real here (±1); hand them out two per section, first-order where odd.
    let mut zero_vals: Vec<f64> = zd.iter().map(|z| z.0).collect();
    zero_vals.sort_by(|a, b| a.total_cmp(b));
    let mut sections = Vec::with_capacity(pole_quads.len());
    for (i, a) in pole_quads.into_iter().enumerate() {
        let first_order = a[2] == 0.0;
        let take = if first_order { 1 } else { 2 };
        // Pair a +1 zero with a -1 zero where both exist (band-pass), so every section is bounded.
        let mut zs = Vec::with_capacity(2);
        for _ in 0..take {
            if zero_vals.is_empty() {
                break;
            }
            let pick = if zs.len() == 1 && zs[0] < 0.0 { zero_vals.len() - 1 } else { 0 };
            zs.push(zero_vals.remove(pick));
        }
        let mut b = match zs.as_slice() {
            [z1, z2] => [1.0, -(z1 + z2), z1 * z2],
            [z1] => [1.0, -z1, 0.0],
            _ => [1.0, 0.0, 0.0],
        };
        if i == 0 {
            b.iter_mut().for_each(|v| *v *= k);
        }
        sections.push(Section { b, a });
    }
    Sos { sections, polynomial_order: poles.len() }
}

impl Sos {
    /// Causal filtering with the steady-state initial state for a constant input `x0`
    /// (SciPy's `lfilter_zi(b, a) * x0`, section by section).
    fn run(&self, x: &mut [f64]) {
        let Some(&x0) = x.first() else { return };
        let mut level = x0;
        for s in &self.sections {
            let (b, a) = (s.b, s.a);
            let dc = (b[0] + b[1] + b[2]) / (1.0 + a[1] + a[2]);
            let y_ss = dc * level;
            // Transposed direct form II state for constant input `level`, output `y_ss`.
            let mut z1 = b[2] * level - a[2] * y_ss;
            let mut z0 = y_ss - b[0] * level;
            for v in x.iter_mut() {
                let xi = *v;
                let yi = b[0] * xi + z0;
                z0 = b[1] * xi - a[1] * yi + z1;
                z1 = b[2] * xi - a[2] * yi;
                *v = yi;
            }
            level = y_ss;
        }
    }
}

/// Zero-phase forward-backward filtering, as `scipy.signal.filtfilt(b, a, x)` with the default
/// `padtype='odd'`, `padlen = 3 * max(len(a), len(b))`. Shorter inputs (SciPy raises) get the
/// longest padding that fits (`len - 1`); an empty input gives an empty output.
/// Input must be finite: fill NaN gaps first ([`fill_gaps`]).
pub fn filtfilt(sos: &Sos, x: &[f32]) -> Vec<f32> {
    let n = x.len();
    if n < 2 {
        return x.to_vec();
    }
    let pad = (3 * (sos.polynomial_order + 1)).min(n - 1);
    let mut ext = Vec::with_capacity(n + 2 * pad);
    let (first, last) = (f64::from(x[0]), f64::from(x[n - 1]));
    ext.extend((1..=pad).rev().map(|i| 2.0 * first - f64::from(x[i])));
    ext.extend(x.iter().map(|&v| f64::from(v)));
    ext.extend((1..=pad).map(|i| 2.0 * last - f64::from(x[n - 1 - i])));
    sos.run(&mut ext);
    ext.reverse();
    sos.run(&mut ext);
    ext.reverse();
    ext[pad..pad + n].iter().map(|&v| v as f32).collect()
}

/// Replaces NaN runs by straight lines between their finite neighbours (held flat at the ends),
/// so IIR filters see no NaN. Returns `None` when nothing is finite.
pub fn fill_gaps(x: &[f32]) -> Option<Vec<f32>> {
    let first = x.iter().position(|v| v.is_finite())?;
    let mut out = x.to_vec();
    out[..first].fill(x[first]);
    let mut prev = first;
    for i in first + 1..x.len() {
        if x[i].is_finite() {
            if i > prev + 1 {
                let (a, b) = (x[prev], x[i]);
                let span = (i - prev) as f32;
                for (k, slot) in out[prev + 1..i].iter_mut().enumerate() {
                    *slot = a + (b - a) * (k as f32 + 1.0) / span;
                }
            }
            prev = i;
        }
    }
    let held = x[prev];
    out[prev + 1..].fill(held);
    Some(out)
}

/// Resamples to [`ANALYSIS_RATE_HZ`]. Downsampling first low-passes at 0.4 × 125 Hz = 50 Hz
/// (order-8 Butterworth, zero-phase, so ≥ 30 dB down at the new Nyquist and more above it),
/// then interpolates with a cubic (Catmull-Rom) kernel; upsampling (50–125 Hz inputs) only
/// interpolates. NaN samples stay NaN (the nearest output samples are set to NaN).
/// `None` when the rate is not a finite positive number or nothing is finite.
pub fn resample_to_analysis_rate(x: &[f32], sample_rate_hz: f64) -> Option<Vec<f32>> {
    resample(x, sample_rate_hz, ANALYSIS_RATE_HZ)
}

/// As [`resample_to_analysis_rate`], to any output rate.
pub fn resample(x: &[f32], rate_in_hz: f64, rate_out_hz: f64) -> Option<Vec<f32>> {
    if !(rate_in_hz.is_finite() && rate_in_hz > 0.0 && rate_out_hz.is_finite() && rate_out_hz > 0.0) {
        return None;
    }
    if x.is_empty() {
        return Some(Vec::new());
    }
    if !x.iter().any(|v| v.is_finite()) {
        return None;
    }
    if (rate_in_hz - rate_out_hz).abs() < 1e-9 {
        return Some(x.to_vec());
    }
    let filled = fill_gaps(x)?;
    let smooth = if rate_in_hz > rate_out_hz {
        let cutoff_hz = 0.4 * rate_out_hz;
        match butter(8, Band::LowPass { cutoff_hz }, rate_in_hz) {
            Ok(sos) => filtfilt(&sos, &filled),
            Err(_) => filled,
        }
    } else {
        filled
    };
    let n = x.len();
    let ratio = rate_in_hz / rate_out_hz;
    let n_out = ((n - 1) as f64 / ratio).floor() as usize + 1;
    let at = |i: isize| f64::from(smooth[i.clamp(0, n as isize - 1) as usize]);
    let mut out = Vec::with_capacity(n_out);
    for k in 0..n_out {
        let pos = k as f64 * ratio;
        let i = pos.floor() as isize;
        let t = pos - i as f64;
        let (p0, p1, p2, p3) = (at(i - 1), at(i), at(i + 1), at(i + 2));
        let v = p1
            + 0.5 * t * (p2 - p0 + t * (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3 + t * (3.0 * (p1 - p2) + p3 - p0)));
        let nearest = (pos.round() as usize).min(n - 1);
        out.push(if x[nearest].is_nan() { f32::NAN } else { v as f32 });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn golden(name: &str) -> Vec<f64> {
        let path = format!("{}/tests/data/golden/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.trim().parse().unwrap())
            .collect()
    }

    fn close(got: &[f32], want: &[f64], rel: f64) {
        assert_eq!(got.len(), want.len());
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let err = got.iter().zip(want).fold(0.0f64, |m, (g, w)| m.max((f64::from(*g) - w).abs()));
        assert!(err <= rel * scale, "max abs error {err} > {rel} × {scale}");
    }

    #[test]
    fn filtfilt_matches_scipy_on_real_ppg_and_ecg() {
        let ppg: Vec<f32> = golden("filter_input_ppg.txt").iter().map(|&v| v as f32).collect();
        let ecg: Vec<f32> = golden("filter_input_ecg.txt").iter().map(|&v| v as f32).collect();
        let bp = butter(2, Band::BandPass { low_hz: 0.5, high_hz: 8.0 }, 125.0).unwrap();
        close(&filtfilt(&bp, &ppg), &golden("filtfilt_ppg_bp2_0.5_8.txt"), 1e-5);
        let bp = butter(2, Band::BandPass { low_hz: 5.0, high_hz: 15.0 }, 125.0).unwrap();
        close(&filtfilt(&bp, &ecg), &golden("filtfilt_ecg_bp2_5_15.txt"), 1e-5);
        let lp = butter(8, Band::LowPass { cutoff_hz: 20.0 }, 125.0).unwrap();
        close(&filtfilt(&lp, &ecg), &golden("filtfilt_ecg_lp8_20.txt"), 1e-5);
        let hp = butter(3, Band::HighPass { cutoff_hz: 0.5 }, 125.0).unwrap();
        close(&filtfilt(&hp, &ppg), &golden("filtfilt_ppg_hp3_0.5.txt"), 1e-5);
    }

    #[test]
    fn short_inputs_and_bad_designs_do_not_panic() {
        let bp = butter(2, Band::BandPass { low_hz: 0.5, high_hz: 8.0 }, 125.0).unwrap();
        assert!(filtfilt(&bp, &[]).is_empty());
        assert_eq!(filtfilt(&bp, &[1.0]), vec![1.0]);
        assert_eq!(filtfilt(&bp, &[1.0, 2.0, 3.0]).len(), 3);
        assert!(butter(2, Band::LowPass { cutoff_hz: 70.0 }, 125.0).is_err());
        assert!(butter(0, Band::LowPass { cutoff_hz: 7.0 }, 125.0).is_err());
    }

    #[test]
    fn resampling_keeps_a_pulse_band_tone_at_any_rate() {
        for rate in [50.0, 64.0, 100.0, 128.0, 200.0, 250.0, 256.0, 360.0, 500.0, 512.0, 1000.0] {
            let n = (20.0 * rate) as usize;
            let x: Vec<f32> = (0..n).map(|i| (2.0 * PI * 3.0 * i as f64 / rate).sin() as f32).collect();
            let y = resample_to_analysis_rate(&x, rate).unwrap();
            let expected_len = ((n - 1) as f64 * 125.0 / rate).floor() as usize + 1;
            assert_eq!(y.len(), expected_len, "{rate}");
            // Away from the edges, the 3 Hz tone is reproduced within 0.5 %.
            for (k, v) in y.iter().enumerate().skip(250).take(y.len() - 500) {
                let want = (2.0 * PI * 3.0 * k as f64 / 125.0).sin();
                assert!((f64::from(*v) - want).abs() < 5e-3, "{rate} Hz, sample {k}: {v} vs {want}");
            }
        }
    }

    #[test]
    fn resampling_suppresses_what_would_alias() {
        // 100 Hz at 1000 Hz would fold to 25 Hz at 125 Hz without the anti-alias filter.
        let x: Vec<f32> = (0..20_000).map(|i| (2.0 * PI * 100.0 * i as f64 / 1000.0).sin() as f32).collect();
        let y = resample_to_analysis_rate(&x, 1000.0).unwrap();
        let peak = y[250..y.len() - 250].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(peak < 0.01, "aliased amplitude {peak}");
    }

    #[test]
    fn gaps_are_bridged_for_filtering_and_kept_as_nan_after_resampling() {
        let x = [f32::NAN, 1.0, f32::NAN, f32::NAN, 4.0, f32::NAN];
        assert_eq!(fill_gaps(&x).unwrap(), vec![1.0, 1.0, 2.0, 3.0, 4.0, 4.0]);
        assert!(fill_gaps(&[f32::NAN; 4]).is_none());
        let mut y: Vec<f32> = (0..2000).map(|i| (i as f32 * 0.01).sin()).collect();
        y[1000..1100].fill(f32::NAN);
        let r = resample(&y, 250.0, 125.0).unwrap();
        assert!(r[520].is_nan() && r[400].is_finite());
        assert!(resample(&y, f64::NAN, 125.0).is_none());
    }
}
