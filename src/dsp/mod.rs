//! Signal processing. No UI or model types here: everything is plain slices and numbers.

pub mod minmax;
pub mod filter;
pub mod ppg_beats;
pub mod ecg_peaks;
pub mod beats;
pub mod eval;
pub mod cycles;
pub mod quality;
pub mod bench;

/// Smallest and largest finite value; `None` when there is none (empty, all NaN or infinite).
pub fn finite_range(x: &[f32]) -> Option<(f32, f32)> {
    let (lo, hi) = x.iter().filter(|v| v.is_finite()).fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    (lo <= hi).then_some((lo, hi))
}

/// Median (the upper one for an even count); `None` when empty.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mid = values.len() / 2;
    Some(*values.select_nth_unstable_by(mid, f64::total_cmp).1)
}

/// Median of the values in `[centre − half_width, centre + half_width)`, clipped to the slice:
/// the "local median of the ~20 intervals around" a beat.
pub fn local_median(values: &[f64], centre: usize, half_width: usize) -> Option<f64> {
    let start = centre.saturating_sub(half_width).min(values.len());
    median(values[start..(centre + half_width).min(values.len())].to_vec())
}

#[cfg(test)]
mod tests {
    #[test]
    fn median_takes_the_middle_and_the_upper_of_two() {
        assert_eq!(super::median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(super::median(vec![4.0, 1.0, 3.0, 2.0]), Some(3.0));
        assert_eq!(super::median(vec![]), None);
        let v = [1.0, 9.0, 2.0, 8.0, 3.0];
        assert_eq!(super::local_median(&v, 2, 1), Some(9.0));
        assert_eq!(super::local_median(&v, 0, 2), Some(9.0));
        assert_eq!(super::local_median(&v, 4, 10), Some(3.0));
        assert_eq!(super::local_median(&[], 0, 10), None);
    }
}
