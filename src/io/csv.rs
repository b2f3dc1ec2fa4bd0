//! CSV reader: one header row naming the columns, one row per sample time, plain or gzip.
//! A time column gives the sample rate; without one the rate is assumed and the user told so.
//! Rows in errors and notices are file lines with the header as row 1, as a spreadsheet shows them.

use std::io::Read;
use std::path::Path;

use super::{
    Channel, Format, Metadata, OpenOptions, ReadError, ReadErrorKind, ReadResult, Reader,
    Recording, assumed_rate, read_all,
};

pub struct CsvReader;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Text compresses 5–20×; a stream beyond this expands only to exhaust memory (a gzip bomb).
const GZIP_MAX_RATIO: u64 = 200;
const GZIP_ALLOWANCE_BYTES: u64 = 64 << 20;
/// Steps may differ from the sampling step by this fraction (plus rounding) before sampling
/// counts as irregular.
const SPACING_TOLERANCE: f64 = 0.01;
const GAP_TOKENS: [&str; 6] = ["", "na", "n/a", "null", "none", "-"];
/// Each column costs ~100 bytes however short its name; this bounds memory per input byte.
const MAX_COLUMNS: usize = 4096;

impl Reader for CsvReader {
    fn name(&self) -> &'static str {
        "CSV"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &[".csv", ".csv.gz", ".txt"]
    }
    /// Plain text has no signature; only the gzip wrapper can be recognised by content.
    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(&GZIP_MAGIC)
    }
    fn read(&self, path: &Path, options: &OpenOptions) -> ReadResult<Recording> {
        read_bytes(path, &read_all(path, "file")?, options)
    }
}

/// Reads a CSV file, gzip-compressed or not, from its bytes.
pub fn read_bytes(path: &Path, bytes: &[u8], options: &OpenOptions) -> ReadResult<Recording> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return parse(path, bytes, options);
    }
    let limit_bytes = bytes.len() as u64 * GZIP_MAX_RATIO + GZIP_ALLOWANCE_BYTES;
    parse(path, &gunzip(path, bytes, limit_bytes)?, options)
}

fn gunzip(path: &Path, compressed: &[u8], limit_bytes: u64) -> ReadResult<Vec<u8>> {
    let mut text = Vec::new();
    let decoder = flate2::read::MultiGzDecoder::new(compressed);
    let result = decoder.take(limit_bytes + 1).read_to_end(&mut text);
    result.map_err(|e| ReadError::io(path, "gzip stream", e))?;
    if text.len() as u64 > limit_bytes {
        let value = format!("{} bytes expanding past {limit_bytes}", compressed.len());
        let why = "expands past 200 × its size + 64 MiB; refused as a possible gzip bomb";
        return invalid(path, "gzip stream", value, why);
    }
    Ok(text)
}

fn invalid<T>(
    path: &Path,
    field: impl Into<String>,
    value: impl Into<String>,
    why: impl Into<String>,
) -> ReadResult<T> {
    Err(ReadError::invalid(path, field, value, why))
}

/// One column's cells as read, before deciding whether it is a channel.
#[derive(Default)]
struct Column {
    name: String,
    values: Vec<f32>,
    numbers: usize,
    not_numbers: usize,
    first_not_number_row: u64,
}

/// The time column, with the decimals each time is written with: their rounding may exceed the
/// step (BIDMC writes 5 significant digits: 99.992, 100, 100.01, 100.02, 100.02, 100.03).
#[derive(Default)]
struct TimeColumn {
    index: usize,
    secs_per_unit: f64,
    times: Vec<f64>,
    decimals: Vec<i8>,
}

fn parse(path: &Path, text: &[u8], options: &OpenOptions) -> ReadResult<Recording> {
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    if text.trim_ascii().is_empty() {
        return Err(ReadError::new(path, "file", ReadErrorKind::Empty));
    }
    let first_line = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let header = String::from_utf8_lossy(first_line).trim().to_string();
    let delimiter = [b',', b'\t', b';']
        .into_iter()
        .find(|d| first_line.contains(d));
    let delimiter = delimiter.unwrap_or(b',');
    let mut reader = csv_reader(text, delimiter);
    let mut record = csv::ByteRecord::new();
    let mut next = |record: &mut csv::ByteRecord| {
        let result = reader.read_byte_record(record);
        result.map_err(|e| ReadError::invalid(path, "rows", "", e.to_string()))
    };

    next(&mut record)?;
    let names = record
        .iter()
        .map(|f| std::str::from_utf8(f).map(|s| s.trim().to_string()));
    let names = names.collect::<Result<Vec<_>, _>>();
    let names =
        names.map_err(|_| ReadError::new(path, "header row (row 1)", ReadErrorKind::NotText))?;
    if names.iter().all(|n| n.parse::<f64>().is_ok()) {
        let why = "the first row holds numbers; a header row naming the columns is required";
        return invalid(path, "header row", header, why);
    }
    if names.len() > MAX_COLUMNS {
        let why = format!("{} columns; at most {MAX_COLUMNS} are read", names.len());
        return Err(ReadError::new(
            path,
            "header row",
            ReadErrorKind::Unsupported(why),
        ));
    }
    let new_column = |name: &String| Column {
        name: name.clone(),
        ..Default::default()
    };
    let mut columns: Vec<Column> = names.iter().map(new_column).collect();
    let mut time = names.iter().enumerate().find_map(|(index, name)| {
        let secs_per_unit = time_unit_secs(name)?;
        Some(TimeColumn {
            index,
            secs_per_unit,
            ..Default::default()
        })
    });
    let mut notices = Vec::new();

    let mut rows = 0usize;
    while next(&mut record)? {
        let row = record.position().map_or(0, |p| p.line());
        if record.len() != columns.len() {
            let fields = record.len();
            let value: Vec<_> = record
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            let last = if next(&mut record)? {
                ""
            } else {
                "; the last line looks cut off"
            };
            let why = format!(
                "{fields} fields, but the header names {}{last}",
                columns.len()
            );
            return invalid(path, format!("row {row}"), value.join(","), why);
        }
        for (i, field) in record.iter().enumerate() {
            let not_text = || ReadError::new(path, format!("row {row}"), ReadErrorKind::NotText);
            let cell = std::str::from_utf8(field).map_err(|_| not_text())?;
            let column = &mut columns[i];
            let number = parse_number(cell, delimiter != b',');
            if let Some(t) = time.as_mut().filter(|t| t.index == i) {
                match number.filter(|v| v.is_finite()) {
                    Some(v) => {
                        t.times.push(v);
                        t.decimals.push(decimals(cell));
                    }
                    None if rows == 0 => {
                        let name = &column.name;
                        notices.push(format!("column `{name}` holds no times in numbers, so the time axis was not taken from it"));
                        time = None;
                    }
                    None => {
                        let field = format!("column `{}`, row {row}", column.name);
                        return invalid(path, field, cell, "every row needs a time in numbers");
                    }
                }
            }
            let value = match number {
                Some(v) if (v as f32).is_finite() => {
                    column.numbers += 1;
                    v as f32
                }
                Some(v) if v.is_nan() => f32::NAN,
                None if GAP_TOKENS.iter().any(|g| cell.eq_ignore_ascii_case(g)) => f32::NAN,
                _ => {
                    if column.not_numbers == 0 {
                        column.first_not_number_row = row;
                    }
                    column.not_numbers += 1;
                    f32::NAN
                }
            };
            column.values.push(value);
        }
        rows += 1;
    }
    if rows == 0 {
        return invalid(
            path,
            "data rows",
            header,
            "the header row is followed by no data rows",
        );
    }

    let (rate_hz, assumed) = match time.as_ref().filter(|t| t.times.len() >= 2) {
        Some(t) => {
            let row_of = |i| row_of_record(text, delimiter, i);
            let name = &columns[t.index].name;
            let rate_hz = rate_from_times(path, name, t, row_of, &mut notices)?;
            if options.sample_rate_hz.is_some_and(|given| given != rate_hz) {
                let notice = format!("the time column `{name}` gives {rate_hz} Hz");
                notices.push(format!("{notice}; the rate you set was not used"));
            }
            (rate_hz, false)
        }
        None => {
            let what = "This CSV file has no time column (or a single row), so it";
            let (rate_hz, assumed, notice) = assumed_rate(path, options, what)?;
            notices.extend(notice);
            (rate_hz, assumed)
        }
    };

    let requested = options.csv_columns.as_ref().filter(|r| !r.is_empty());
    let chosen: Vec<usize> = match requested {
        Some(wanted) => wanted
            .iter()
            .map(|w| find_column(path, &names, w))
            .collect::<ReadResult<_>>()?,
        None => (0..columns.len())
            .filter(|&i| time.as_ref().is_none_or(|t| t.index != i))
            .collect(),
    };
    let mut channels = Vec::new();
    for i in chosen {
        let column = &mut columns[i];
        if column.values.is_empty() {
            continue; // requested twice: already taken
        }
        let (name, cells) = (column.name.clone(), column.numbers + column.not_numbers);
        if column.numbers == 0 || column.not_numbers > column.numbers {
            let what = match cells {
                0 => "is empty".to_string(),
                _ => format!(
                    "holds text, not numbers ({} of {cells} filled cells)",
                    column.not_numbers
                ),
            };
            if requested.is_some() {
                return invalid(
                    path,
                    format!("column `{name}`"),
                    name,
                    format!("the column {what}"),
                );
            }
            if !(name.is_empty() && cells == 0) {
                notices.push(format!("column `{name}` {what}, so it was skipped"));
            }
            continue;
        }
        if column.not_numbers > 0 {
            let (n, row) = (column.not_numbers, column.first_not_number_row);
            let (s, are) = if n == 1 {
                ("", "is not a number and was")
            } else {
                ("s", "are not numbers and were")
            };
            notices.push(format!(
                "{n} cell{s} in column `{name}` {are} read as gaps; first at row {row}"
            ));
        }
        let (label, unit) = split_unit(&name);
        let label = if label.is_empty() {
            format!("column {}", i + 1)
        } else {
            label.to_string()
        };
        let mut channel = Channel::new(label, unit, rate_hz, std::mem::take(&mut column.values));
        channel.sample_rate_assumed = assumed;
        channels.push(channel);
    }
    if channels.is_empty() {
        return invalid(
            path,
            "columns",
            header,
            "no column holds numbers to show as a signal",
        );
    }
    let (metadata, annotations, source_path) = (Metadata::default(), Vec::new(), path.into());
    Ok(Recording {
        source_path,
        format: Format::Csv,
        metadata,
        channels,
        annotations,
        notices,
    })
}

fn csv_reader(text: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    let mut builder = csv::ReaderBuilder::new();
    builder
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter);
    builder.trim(csv::Trim::All).from_reader(text)
}

/// The file row of data record `index`: found again only on the error path, so that no table of
/// rows is kept while reading.
fn row_of_record(text: &[u8], delimiter: u8, index: usize) -> u64 {
    let record = csv_reader(text, delimiter)
        .into_byte_records()
        .nth(index + 1);
    record
        .and_then(|r| r.ok()?.position().map(|p| p.line()))
        .unwrap_or(0)
}

/// The sample rate from the time column. The step is the mean step (robust to times rounded
/// more coarsely than the step) or else the median step; errors name the column and the row.
fn rate_from_times(
    path: &Path,
    name: &str,
    t: &TimeColumn,
    row_of: impl Fn(usize) -> u64,
    notices: &mut Vec<String>,
) -> ReadResult<f64> {
    let (times, n) = (&t.times, t.times.len());
    let field = |i: usize| format!("column `{name}`, row {}", row_of(i));
    let not_increasing = |i: usize| {
        let why = "times must increase from row to row";
        invalid(path, field(i), times[i].to_string(), why)
    };
    if let Some(i) = (1..n).find(|&i| times[i] < times[i - 1]) {
        return not_increasing(i);
    }
    let steps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let mut sorted = steps.clone();
    let median = *sorted
        .select_nth_unstable_by(steps.len() / 2, f64::total_cmp)
        .1;
    let mean = (times[n - 1] - times[0]) / (n - 1) as f64;
    let unit = |i: usize| 10f64.powi(-i32::from(t.decimals[i]));
    let misfit = |step: f64, rounding: bool| {
        (1..n).find(|&i| {
            let (d, coarsest) = (steps[i - 1], unit(i).max(unit(i - 1)));
            // Rounding repeats a time only where the step is clearly finer than the decimals
            // written; a repeat at a coarser step is a duplicated row.
            let repeat_ok = rounding && step < 0.9 * coarsest;
            let slack = if rounding {
                (unit(i) + unit(i - 1)) / 2.0
            } else {
                0.0
            };
            let off = (d - step).abs() > SPACING_TOLERANCE * step + slack;
            step <= 0.0 || (d <= 0.0 && !repeat_ok) || off
        })
    };
    let step = match (misfit(mean, true), misfit(median, true)) {
        (None, _) => mean,
        (_, None) => median,
        (_, Some(i)) if steps[i - 1] <= 0.0 => return not_increasing(i),
        (_, Some(i)) => {
            let value = format!("step {} after {}", steps[i - 1], times[i - 1]);
            let why = format!("irregular sampling is not supported; the usual step is {median}");
            return invalid(path, field(i), value, why);
        }
    };
    let mut rate_hz = 1.0 / (step * t.secs_per_unit);
    if (rate_hz - rate_hz.round()).abs() <= 1e-6 * rate_hz {
        rate_hz = rate_hz.round();
    }
    if !(rate_hz > 0.0 && rate_hz <= 1.0e6) {
        let why = "the sample rate must be above 0 and at most 1 MHz";
        return invalid(
            path,
            format!("column `{name}`"),
            format!("{rate_hz} Hz"),
            why,
        );
    }
    if let Some(i) = misfit(step, false) {
        let row = row_of(i);
        notices.push(format!("times in column `{name}` are written with too few decimals for the sampling step from row {row} on (they repeat or jump); the rate {rate_hz} Hz was derived from all times"));
    }
    Ok(rate_hz)
}

/// A number as written; with `;` or tab delimiters also with a decimal comma ("0,5").
fn parse_number(cell: &str, decimal_comma: bool) -> Option<f64> {
    cell.parse::<f64>().ok().or_else(|| {
        let comma = decimal_comma && cell.contains(',') && !cell.contains('.');
        comma.then(|| cell.replacen(',', ".", 1).parse().ok())?
    })
}

/// Decimal places a number is written with ("479.98" → 2, "1e-3" → 3, "480" → 0).
fn decimals(cell: &str) -> i8 {
    let (mantissa, exponent) = match cell.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (cell, 0),
    };
    let fraction = mantissa
        .split_once(['.', ','])
        .map_or(0, |(_, f)| f.len() as i32);
    (fraction - exponent).clamp(-30, 30) as i8
}

/// `"PPG [NU]"` → `("PPG", "NU")`, `"ecg (mV)"` → `("ecg", "mV")`, `"RESP"` → `("RESP", "")`.
fn split_unit(name: &str) -> (&str, &str) {
    for (open, close) in [('[', ']'), ('(', ')')] {
        let split = name.strip_suffix(close).and_then(|s| s.rsplit_once(open));
        if let Some((label, unit)) = split.filter(|(label, _)| !label.trim().is_empty()) {
            return (label.trim(), unit.trim());
        }
    }
    (name, "")
}

fn unit_secs(unit: &str) -> Option<f64> {
    match unit.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => Some(1.0),
        "ms" | "msec" | "millisecond" | "milliseconds" => Some(1e-3),
        "us" | "µs" | "μs" | "microseconds" => Some(1e-6),
        "min" => Some(60.0),
        _ => None,
    }
}

/// Seconds per unit when `name` names a time column ("time", "Time [s]", "t_ms", "timestamp").
/// An unknown unit ("Time [samples]") makes it an ordinary column.
fn time_unit_secs(name: &str) -> Option<f64> {
    let (label, bracket_unit) = split_unit(name);
    let lower = label.to_ascii_lowercase();
    let (base, suffix_unit) = match lower.rsplit_once(['_', ' ', '-']) {
        Some((base, unit)) if unit_secs(unit).is_some() => (base, unit),
        _ => (lower.as_str(), ""),
    };
    let names_time = matches!(base, "t" | "seconds" | "secs" | "ms") || base.contains("time");
    let unit = [bracket_unit, suffix_unit]
        .into_iter()
        .find(|u| !u.is_empty());
    match unit {
        _ if !names_time => None,
        Some(unit) => unit_secs(unit),
        None => unit_secs(base).or(Some(1.0)),
    }
}

fn find_column(path: &Path, names: &[String], wanted: &str) -> ReadResult<usize> {
    let wanted = wanted.trim();
    let unit_free = |n: &String| split_unit(n).0.eq_ignore_ascii_case(wanted);
    let found = (names.iter().position(|n| n == wanted))
        .or_else(|| names.iter().position(|n| n.eq_ignore_ascii_case(wanted)))
        .or_else(|| names.iter().position(unit_free));
    let why = || format!("no such column; the columns are: {}", names.join(", "));
    found.map_or_else(
        || invalid(path, format!("column `{wanted}`"), wanted, why()),
        Ok,
    )
}

#[cfg(test)]
mod tests;
