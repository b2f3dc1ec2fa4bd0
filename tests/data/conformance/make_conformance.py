#!/usr/bin/env python3
"""Write one real 10-s PPG + ECG excerpt in every format CardioPPG Review reads, plus
`expected.json`, for the reader conformance test.

Run from the repository root:

    pip install pyedflib wfdb numpy      # tested with pyedflib 0.1.42, wfdb 4.3.1, numpy 2.4
    python3 tests/data/conformance/make_conformance.py [--src ../shared/data] [--out tests/data/conformance]

Source: the first 10 s (1250 samples at 125 Hz) of
<src>/app-samples/mimic_perform_af_001_AF_60s.csv (MIMIC PERform AF Dataset, record
mimic_perform_af_001 from 1070 s, ODbL 1.0 -- see README.md).

Every file is read back with the reference library (numpy / gzip+csv / pyedflib / wfdb) and
with the small EDF parser below, and compared with the source within half a quantisation
step; the script exits non-zero otherwise. The same numbers go into expected.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyedflib
import wfdb

FS = 125
N = 1250  # 10 s
SRC_CSV = "app-samples/mimic_perform_af_001_AF_60s.csv"
LABELS = ("PPG", "ECG II")
UNITS = ("NU", "mV")
START = dt.datetime(2000, 1, 1)  # fixed, not the (shifted) MIMIC date

PATIENT = "X X X X"  # EDF+ patient field: code, sex, birthdate, name all "X"
PLUS_RECORDING = "Startdate 01-JAN-2000 mimic_perform_af_001_1070s X MIMIC_PERform_AF_excerpt"
PLAIN_RECORDING = "MIMIC PERform AF excerpt: mimic_perform_af_001, 1070-1080 s, ODbL 1.0"
TRANSDUCERS = ("Fingertip PPG, bedside monitor", "ECG lead II, bedside monitor")

# excerpt_plusd.edf: record k holds excerpt samples k*125 .. k*125+124 and starts at ONSETS[k].
PLUSD_ONSETS = [0, 1, 2, 3, 4, 7, 8, 9, 10, 11]

# WFDB gains (digital units per physical unit) per format; baseline centres the data.
WFDB_GAINS = {"16": (10000.0, 10000.0), "212": (1000.0, 1000.0), "80": (100.0, 100.0)}
WFDB_DIGITAL_RANGE = {"16": (-32768, 32767), "212": (-2048, 2047), "80": (-128, 127)}  # min = NaN marker


# ---------------------------------------------------------------------------------------------
# source

def load_source(src: Path) -> np.ndarray:
    path = src / SRC_CSV
    with open(path) as f:
        assert f.readline().strip() == "time_s,ppg,ecg"
    a = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)[:N]
    assert a.shape == (N, 3) and not np.isnan(a).any()
    assert np.abs(a[:, 0] - np.arange(N) / FS).max() < 1e-9
    return a[:, 1:3].T.copy()  # (2, N): row 0 PPG, row 1 ECG


# ---------------------------------------------------------------------------------------------
# EDF helpers

def edf_range(x: np.ndarray, margin: float = 0.02) -> tuple[float, float]:
    """Data range widened by `margin` of the span, rounded outwards to 3 decimals (fits the
    8-character EDF field exactly, so writer and reader use the same numbers)."""
    lo, hi = float(x.min()), float(x.max())
    pad = margin * (hi - lo)
    return float(np.floor((lo - pad) * 1000) / 1000), float(np.ceil((hi + pad) * 1000) / 1000)


def to_digital(x, pmin, pmax, dmin, dmax) -> np.ndarray:
    step = (pmax - pmin) / (dmax - dmin)
    return np.clip(np.round((x - pmin) / step) + dmin, dmin, dmax).astype(np.int16)


def field(value, width: int) -> bytes:
    s = str(value)
    b = s.encode("ascii")
    if len(b) > width:
        raise ValueError(f"EDF header field {s!r} longer than {width}")
    return b.ljust(width, b" ")


def num(v: float) -> str:
    """Shortest decimal text for an EDF number field (max 8 chars)."""
    s = repr(float(v))
    if s.endswith(".0"):
        s = s[:-2]
    assert len(s) <= 8, s
    return s


def edf_header(reserved: str, patient: str, recording: str, n_records: int, signals: list[dict]) -> bytes:
    ns = len(signals)
    h = b"".join([
        field("0", 8), field(patient, 80), field(recording, 80),
        field(START.strftime("%d.%m.%y"), 8), field(START.strftime("%H.%M.%S"), 8),
        field(256 * (ns + 1), 8), field(reserved, 44), field(n_records, 8),
        field(1, 8),  # data record duration, s
        field(ns, 4),
    ])
    for key, width in [("label", 16), ("transducer", 80), ("unit", 8), ("pmin", 8), ("pmax", 8),
                       ("dmin", 8), ("dmax", 8), ("prefilter", 80), ("spr", 8)]:
        for s in signals:
            v = s[key]
            h += field(num(v) if key in ("pmin", "pmax") else v, width)
    h += b" " * 32 * ns
    assert len(h) == 256 * (ns + 1)
    return h


def signal_defs(x: np.ndarray, drange=((-32768, 32767), (-32768, 32767))) -> list[dict]:
    out = []
    for i in range(2):
        pmin, pmax = edf_range(x[i])
        dmin, dmax = drange[i]
        out.append({"label": LABELS[i], "transducer": TRANSDUCERS[i], "unit": UNITS[i], "pmin": pmin,
                    "pmax": pmax, "dmin": dmin, "dmax": dmax, "prefilter": "", "spr": FS})
    return out


ANNOT_SIGNAL = {"label": "EDF Annotations", "transducer": "", "unit": "", "pmin": -1.0, "pmax": 1.0,
                "dmin": -32768, "dmax": 32767, "prefilter": "", "spr": 16}  # 32 bytes per record


def write_plain_edf(path: Path, x: np.ndarray) -> None:
    # The ECG channel deliberately uses digital -20000..20000 so a reader must take
    # digital min/max from the header instead of assuming -32768..32767.
    sigs = signal_defs(x, drange=((-32768, 32767), (-20000, 20000)))
    d = [to_digital(x[i], s["pmin"], s["pmax"], s["dmin"], s["dmax"]) for i, s in enumerate(sigs)]
    body = b"".join(d[0][k * FS:(k + 1) * FS].astype("<i2").tobytes() + d[1][k * FS:(k + 1) * FS].astype("<i2").tobytes()
                    for k in range(N // FS))
    path.write_bytes(edf_header("", PATIENT, PLAIN_RECORDING, N // FS, sigs) + body)


def timekeeping_tal(onset: float) -> bytes:
    """EDF+ time-keeping TAL that opens each data record: "+<onset>" 0x14 0x14 0x00."""
    return ("+" + num(onset) + "\x14\x14\x00").encode("ascii")


def write_plusd_edf(path: Path, x: np.ndarray, onsets=PLUSD_ONSETS, reserved="EDF+D") -> None:
    sigs = signal_defs(x)
    d = [to_digital(x[i], s["pmin"], s["pmax"], s["dmin"], s["dmax"]) for i, s in enumerate(sigs)]
    nbytes = ANNOT_SIGNAL["spr"] * 2
    body = b""
    for k, onset in enumerate(onsets):
        t = timekeeping_tal(onset)
        body += d[0][k * FS:(k + 1) * FS].astype("<i2").tobytes() + d[1][k * FS:(k + 1) * FS].astype("<i2").tobytes()
        body += t.ljust(nbytes, b"\x00")
    path.write_bytes(edf_header(reserved, PATIENT, PLUS_RECORDING, len(onsets), sigs + [ANNOT_SIGNAL]) + body)


def write_plus_edf_pyedflib(path: Path, x: np.ndarray) -> None:
    sigs = signal_defs(x)
    w = pyedflib.EdfWriter(str(path), 2, file_type=pyedflib.FILETYPE_EDFPLUS)
    try:
        for i, s in enumerate(sigs):
            w.setSignalHeader(i, {"label": s["label"], "dimension": s["unit"], "sample_frequency": FS,
                                  "physical_min": s["pmin"], "physical_max": s["pmax"],
                                  "digital_min": s["dmin"], "digital_max": s["dmax"],
                                  "transducer": s["transducer"], "prefilter": ""})
        w.setPatientCode("X")
        w.setPatientName("X")
        w.setAdmincode("af_001_1070s")  # edflib caps the recording field at ~65 characters
        w.setEquipment("MIMIC_PERform_AF_excerpt")
        w.setStartdatetime(START)
        w.writeAnnotation(1.5, 2.0, "conformance excerpt")
        w.writeSamples([to_digital(x[i], s["pmin"], s["pmax"], s["dmin"], s["dmax"]).astype(np.int32)
                        for i, s in enumerate(sigs)], digital=True)
    finally:
        w.close()


def parse_edf(path: Path) -> dict:
    """Minimal independent EDF/EDF+ reader (header, physical samples per record, TALs)."""
    raw = path.read_bytes()
    g = lambda a, b: raw[a:b].decode("ascii").strip()
    ns = int(g(252, 256))
    nrec = int(g(236, 244))
    hdr = {"version": g(0, 8), "patient": g(8, 88), "recording": g(88, 168), "startdate": g(168, 176),
           "starttime": g(176, 184), "header_bytes": int(g(184, 192)), "reserved": g(192, 236),
           "n_records": nrec, "record_duration": float(g(244, 252)), "ns": ns}
    assert hdr["header_bytes"] == 256 * (ns + 1)
    off = 256
    cols = {}
    for key, width in [("label", 16), ("transducer", 80), ("unit", 8), ("pmin", 8), ("pmax", 8),
                       ("dmin", 8), ("dmax", 8), ("prefilter", 80), ("spr", 8), ("reserved", 32)]:
        cols[key] = [g(off + i * width, off + (i + 1) * width) for i in range(ns)]
        off += width * ns
    sigs = [{k: cols[k][i] for k in cols} for i in range(ns)]
    for s in sigs:
        for k in ("pmin", "pmax"):
            s[k] = float(s[k])
        for k in ("dmin", "dmax", "spr"):
            s[k] = int(s[k])
    rec_bytes = sum(2 * s["spr"] for s in sigs)
    assert len(raw) == hdr["header_bytes"] + nrec * rec_bytes
    data = [[] for _ in sigs]
    tals = []
    for r in range(nrec):
        p = hdr["header_bytes"] + r * rec_bytes
        for i, s in enumerate(sigs):
            chunk = raw[p:p + 2 * s["spr"]]
            p += 2 * s["spr"]
            if s["label"] == "EDF Annotations":
                tals.append(chunk)
            else:
                dig = np.frombuffer(chunk, "<i2").astype(np.float64)
                step = (s["pmax"] - s["pmin"]) / (s["dmax"] - s["dmin"])
                data[i].append(s["pmin"] + (dig - s["dmin"]) * step)
    rec_onsets, annots = [], []
    for chunk in tals:
        items = [t for t in chunk.split(b"\x00") if t]
        first = True
        for item in items:
            parts = item.split(b"\x14")
            ts = parts[0].split(b"\x15")
            onset = float(ts[0])
            dur = float(ts[1]) if len(ts) > 1 else None
            texts = [t.decode("utf-8") for t in parts[1:] if t]
            if first:
                rec_onsets.append(onset)  # time-keeping TAL of this data record
                first = False
            annots += [(onset, dur, t) for t in texts]
    return {"header": hdr, "signals": sigs, "records": data, "record_onsets": rec_onsets, "annotations": annots}


def edf_expected_signal(parsed: dict, i: int) -> np.ndarray:
    """What a reader must produce for signal i: records placed at their onsets (EDF+D) or
    back-to-back (EDF, EDF+C), gaps filled with NaN."""
    recs = parsed["records"][i]
    spr = parsed["signals"][i]["spr"]
    fs = spr / parsed["header"]["record_duration"]
    onsets = parsed["record_onsets"] or [k * parsed["header"]["record_duration"] for k in range(len(recs))]
    total = int(round((onsets[-1] + parsed["header"]["record_duration"]) * fs))
    y = np.full(total, np.nan)
    for o, r in zip(onsets, recs):
        s = int(round(o * fs))
        y[s:s + spr] = r
    return y


# ---------------------------------------------------------------------------------------------
# WFDB

def write_wfdb(out: Path, x: np.ndarray, fmt: str) -> dict:
    gains = WFDB_GAINS[fmt]
    lo, hi = WFDB_DIGITAL_RANGE[fmt]
    base, dsig = [], []
    for i in range(2):
        mid = 0.5 * (x[i].min() + x[i].max())
        b = -int(round(mid * gains[i]))
        d = np.round(x[i] * gains[i] + b).astype(np.int64)
        assert d.min() > lo and d.max() <= hi, (fmt, i, d.min(), d.max())  # lo is the NaN marker
        base.append(b)
        dsig.append(d)
    name = f"excerpt_fmt{fmt}"
    wfdb.wrsamp(name, fs=FS, units=list(UNITS), sig_name=list(LABELS), d_signal=np.stack(dsig, axis=1),
                fmt=[fmt, fmt], adc_gain=list(gains), baseline=base,
                comments=[f"Conformance excerpt, WFDB format {fmt}: first 10 s of mimic_perform_af_001_AF_60s "
                          "(MIMIC PERform AF record mimic_perform_af_001 from 1070 s), ECG lead II.",
                          "License: ODbL 1.0 (https://opendatacommons.org/licenses/odbl/1-0/); "
                          "see tests/data/conformance/README.md for attribution."],
                write_dir=str(out))
    return {"gain": list(gains), "baseline": base}


# ---------------------------------------------------------------------------------------------

def csv_text(x: np.ndarray) -> str:
    lines = ["time_s,ppg,ecg"]
    lines += [f"{k / FS:.6f},{x[0, k]:.6f},{x[1, k]:.6f}" for k in range(N)]
    return "\n".join(lines) + "\n"


def channel(label, unit, step, tol, role, **extra):
    c = {"label": label, "unit": unit, "role": role, "step": step, "tolerance_abs": tol}
    c.update(extra)
    return c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default="../shared/data", type=Path)
    ap.add_argument("--out", default="tests/data/conformance", type=Path)
    args = ap.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    x = load_source(args.src)
    roles = ("ppg", "ecg")
    FLOAT_EPS = 1e-9  # allowance for float64 arithmetic in a reader's scaling
    files: dict[str, dict] = {}
    report: list[str] = []

    def check(name: str, y: np.ndarray, steps, rel=False) -> list[float]:
        """Compare (2, N) y with the source; return max |error| per channel."""
        assert y.shape == x.shape, (name, y.shape)
        errs = []
        for i in range(2):
            e = np.abs(y[i] - x[i])
            lim = steps[i] * np.maximum(np.abs(x[i]), 1.0) if rel else steps[i] / 2 + FLOAT_EPS
            assert np.all(e <= lim), (name, i, float(e.max()), steps[i])
            errs.append(float(e.max()))
        report.append(f"{name:34s} max|err| PPG {errs[0]:.3e}  ECG {errs[1]:.3e}   (step {steps[0]:.3e} / {steps[1]:.3e})")
        return errs

    # --- CSV and CSV.gz ------------------------------------------------------------------------
    text = csv_text(x)
    (out / "excerpt.csv").write_text(text)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("ascii"))
    (out / "excerpt.csv.gz").write_bytes(buf.getvalue())
    for name, raw in [("excerpt.csv", (out / "excerpt.csv").read_bytes()),
                      ("excerpt.csv.gz", gzip.decompress((out / "excerpt.csv.gz").read_bytes()))]:
        a = np.loadtxt(io.StringIO(raw.decode("ascii")), delimiter=",", skiprows=1)
        assert raw.decode("ascii").splitlines()[0] == "time_s,ppg,ecg"
        assert np.abs(a[:, 0] - np.arange(N) / FS).max() < 1e-12
        errs = check(name, a[:, 1:].T, (1e-6, 1e-6))
        files[name] = {"format": "csv.gz" if name.endswith(".gz") else "csv", "sample_rate_hz": FS,
                       "sample_rate_source": "time_s column (step 0.008 s)", "n_samples": N,
                       "columns": ["time_s", "ppg", "ecg"],
                       "channels": [channel(c, None, 1e-6, 0.5e-6 + FLOAT_EPS, r) for c, r in zip(("ppg", "ecg"), roles)],
                       "python_max_abs_error": errs}

    # --- NumPy ---------------------------------------------------------------------------------
    np.save(out / "excerpt_f64.npy", x.astype("<f8"))
    np.save(out / "excerpt_f32.npy", x.astype("<f4"))
    np.save(out / "excerpt_ppg_f64.npy", x[0].astype("<f8"))
    y = np.load(out / "excerpt_f64.npy")
    assert y.dtype == np.dtype("<f8") and y.shape == (2, N)
    errs = check("excerpt_f64.npy", y, (0.0, 0.0))
    files["excerpt_f64.npy"] = {"format": "npy", "dtype": "<f8", "shape": [2, N], "layout": "channels x samples (row 0 PPG, row 1 ECG)",
                                "sample_rate_hz": FS, "sample_rate_source": "assumed (npy has no rate)", "n_samples": N,
                                "channels": [channel(None, None, 0.0, FLOAT_EPS, r) for r in roles],
                                "python_max_abs_error": errs}
    y = np.load(out / "excerpt_f32.npy")
    assert y.dtype == np.dtype("<f4") and y.shape == (2, N)
    errs = check("excerpt_f32.npy", y.astype(np.float64), (2.0 ** -24, 2.0 ** -24), rel=True)
    files["excerpt_f32.npy"] = {"format": "npy", "dtype": "<f4", "shape": [2, N], "layout": "channels x samples (row 0 PPG, row 1 ECG)",
                                "sample_rate_hz": FS, "sample_rate_source": "assumed (npy has no rate)", "n_samples": N,
                                "channels": [channel(None, None, 2.0 ** -24, 1e-7, r, step_kind="relative (float32 rounding: |err| <= 2^-24 * |x|)",
                                                     tolerance_rel=1e-7) for r in roles],
                                "python_max_abs_error": errs}
    y = np.load(out / "excerpt_ppg_f64.npy")
    assert y.dtype == np.dtype("<f8") and y.shape == (N,)
    e = float(np.abs(y - x[0]).max())
    assert e == 0.0
    report.append(f"{'excerpt_ppg_f64.npy':22s} max|err| PPG {e:.3e}")
    files["excerpt_ppg_f64.npy"] = {"format": "npy", "dtype": "<f8", "shape": [N], "layout": "1-D, one channel (PPG)",
                                    "sample_rate_hz": FS, "sample_rate_source": "assumed (npy has no rate)", "n_samples": N,
                                    "channels": [channel(None, None, 0.0, FLOAT_EPS, "ppg")],
                                    "python_max_abs_error": [e]}

    # --- EDF (plain), EDF+C (pyedflib), EDF+D (hand-written) -------------------------------------
    write_plain_edf(out / "excerpt.edf", x)
    write_plus_edf_pyedflib(out / "excerpt_plus.edf", x)
    write_plusd_edf(out / "excerpt_plusd.edf", x)

    for name, kind in [("excerpt.edf", "edf"), ("excerpt_plus.edf", "edf+c"), ("excerpt_plusd.edf", "edf+d")]:
        p = parse_edf(out / name)
        h = p["header"]
        sigs = [s for s in p["signals"] if s["label"] != "EDF Annotations"]
        steps = [(s["pmax"] - s["pmin"]) / (s["dmax"] - s["dmin"]) for s in sigs]
        assert [s["label"] for s in sigs] == list(LABELS) and [s["unit"] for s in sigs] == list(UNITS)
        assert h["patient"] == PATIENT and h["startdate"] == "01.01.00" and h["starttime"] == "00.00.00"
        assert h["record_duration"] == 1.0 and all(s["spr"] == FS for s in sigs)
        # (a) own parser, records concatenated = the excerpt
        own = np.stack([np.concatenate(p["records"][i]) for i in range(2)])
        errs = check(name + " (own parser)", own, steps)
        # (b) pyedflib. edflib refuses EDF+D ("The file is discontinuous and cannot be read"), so for
        # excerpt_plusd.edf it reads a twin written by the same code with "EDF+C" and onsets 0..9,
        # which checks the header, annotation signal and record layout of the hand-written writer.
        pypath = out / name
        if kind == "edf+d":
            pypath = Path(tempfile.mkdtemp()) / "plusd_as_plusc.edf"
            write_plusd_edf(pypath, x, onsets=list(range(10)), reserved="EDF+C")
        r = pyedflib.EdfReader(str(pypath))
        try:
            py = np.stack([r.readSignal(i) for i in range(2)])
            for i in range(2):
                sh = r.getSignalHeader(i)
                assert sh["label"] == LABELS[i] and sh["dimension"] == UNITS[i] and sh["sample_frequency"] == FS
            pyann = [(float(o), float(d), str(t)) for o, d, t in zip(*r.readAnnotations())]
            ftype = r.filetype
        finally:
            r.close()
        errs_py = check(name + (" (pyedflib, EDF+C twin)" if kind == "edf+d" else " (pyedflib)"), py, steps)
        entry = {"format": kind, "sample_rate_hz": FS, "record_duration_s": 1.0, "n_records": h["n_records"],
                 "reserved_field": h["reserved"], "patient_field": h["patient"], "recording_field": h["recording"],
                 "startdate": h["startdate"], "starttime": h["starttime"],
                 "channels": [channel(s["label"], s["unit"], st, st / 2 + FLOAT_EPS, rl, physical_min=s["pmin"],
                                      physical_max=s["pmax"], digital_min=s["dmin"], digital_max=s["dmax"],
                                      transducer=s["transducer"])
                              for s, st, rl in zip(sigs, steps, roles)],
                 "python_max_abs_error": [max(a, b) for a, b in zip(errs, errs_py)]}
        if kind == "edf":
            assert h["reserved"] == "" and ftype == pyedflib.FILETYPE_EDF
            assert p["record_onsets"] == [] and pyann == []
            entry["n_samples"] = N
            entry["annotations"] = []
        elif kind == "edf+c":
            assert h["reserved"] == "EDF+C" and ftype == pyedflib.FILETYPE_EDFPLUS
            assert p["record_onsets"] == [float(k) for k in range(10)]
            want = [(1.5, 2.0, "conformance excerpt")]
            assert [a for a in p["annotations"]] == want and pyann == want, (p["annotations"], pyann)
            entry["n_samples"] = N
            entry["annotations"] = [{"onset_s": 1.5, "duration_s": 2.0, "text": "conformance excerpt"}]
        else:
            assert h["reserved"] == "EDF+D" and ftype == pyedflib.FILETYPE_EDFPLUS  # (twin file)
            assert p["record_onsets"] == [float(o) for o in PLUSD_ONSETS] and p["annotations"] == [] and pyann == []
            # what a reader must produce: 12 s = 1500 samples, NaN for 5 s <= t < 7 s
            for i in range(2):
                y = edf_expected_signal(p, i)
                assert y.shape == (1500,)
                assert np.all(np.isnan(y[625:875])) and not np.isnan(y[:625]).any() and not np.isnan(y[875:]).any()
                e1 = np.abs(y[:625] - x[i, :625]).max()
                e2 = np.abs(y[875:] - x[i, 625:]).max()
                assert max(e1, e2) <= steps[i] / 2 + FLOAT_EPS
            report.append(f"{name:22s} gap layout checked: 625 samples, 250 NaN, 625 samples")
            entry["n_samples"] = 1500
            entry["n_stored_samples"] = N
            entry["annotations"] = []
            entry["record_onsets_s"] = [float(o) for o in PLUSD_ONSETS]
            entry["gaps"] = [{"start_s": 5.0, "end_s": 7.0, "start_sample": 625, "n_samples": 250}]
            entry["expected_layout"] = [
                {"out_samples": [0, 625], "source_samples": [0, 625], "time_s": [0.0, 5.0]},
                {"out_samples": [625, 875], "nan": True, "time_s": [5.0, 7.0]},
                {"out_samples": [875, 1500], "source_samples": [625, 1250], "time_s": [7.0, 12.0]},
            ]
        files[name] = entry

    # --- WFDB ----------------------------------------------------------------------------------
    for fmt in ("16", "212", "80"):
        info = write_wfdb(out, x, fmt)
        name = f"excerpt_fmt{fmt}"
        r = wfdb.rdrecord(str(out / name))
        assert r.fs == FS and r.sig_len == N and r.sig_name == list(LABELS) and r.units == list(UNITS)
        assert r.fmt == [fmt, fmt] and list(r.adc_gain) == info["gain"] and list(r.baseline) == info["baseline"]
        steps = [1.0 / g for g in info["gain"]]
        errs = check(name + ".hea", r.p_signal.T, steps)
        lo, hi = WFDB_DIGITAL_RANGE[fmt]
        files[name + ".hea"] = {
            "format": "wfdb", "wfdb_fmt": fmt, "dat_file": name + ".dat", "sample_rate_hz": FS, "n_samples": N,
            "header_text": (out / f"{name}.hea").read_text(),
            "channels": [channel(LABELS[i], UNITS[i], steps[i], steps[i] / 2 + FLOAT_EPS, roles[i],
                                 adc_gain=info["gain"][i], baseline=info["baseline"][i],
                                 digital_nan_marker=lo, digital_max=hi)
                         for i in range(2)],
            "python_max_abs_error": errs}

    # Flat per-file array [PPG, ECG] of quantisation steps (physical units per digital unit), read by
    # tests/conformance.rs; half a step is the tolerance there. For float32 npy it is the absolute
    # equivalent of float32 rounding, 2^-23 * max(|x|, 1), so that half of it bounds the error.
    for name, entry in files.items():
        if entry.get("dtype") == "<f4":
            entry["quantisation_step"] = [2.0 ** -23 * max(1.0, float(np.abs(x[i]).max())) for i in range(2)]
        else:
            entry["quantisation_step"] = [c["step"] for c in entry["channels"]]

    expected = {
        "description": "Reader conformance: every file holds the same real 10-s excerpt (PPG + ECG lead II, 125 Hz). "
                       "A reader passes when, for every file, each channel equals reference.ppg / reference.ecg "
                       "sample by sample within channels[i].tolerance_abs (= step/2 + 1e-9; for float32 npy "
                       "1e-7, i.e. 2^-24 relative for |x| < 1.67), has the listed label, unit and sample rate, "
                       "and has n_samples samples. excerpt_plusd.edf has 1500 samples laid out as in "
                       "expected_layout (625 source samples, 250 NaN for the 5-7 s gap, 625 source samples). "
                       "See README.md.",
        "source": {"file": "shared/data/app-samples/mimic_perform_af_001_AF_60s.csv", "rows": [0, N],
                   "dataset": "MIMIC PERform AF Dataset", "record": "mimic_perform_af_001", "record_start_s": 1070,
                   "record_label": "AF", "ecg_lead": "II", "license": "ODbL-1.0"},
        "sample_rate_hz": FS,
        "n_samples": N,
        "reference": {"ppg": [round(float(v), 6) for v in x[0]], "ecg": [round(float(v), 6) for v in x[1]]},
        "files": files,
    }
    # reference values are exact 6-decimal numbers; json keeps them as written
    assert np.array_equal(np.array(expected["reference"]["ppg"]), x[0])
    assert np.array_equal(np.array(expected["reference"]["ecg"]), x[1])
    (out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")

    print("\n".join(report))
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"total size of {out}: {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
