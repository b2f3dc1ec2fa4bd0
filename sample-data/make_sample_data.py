#!/usr/bin/env python3
"""Build the sample recordings that CardioPPG Review ships in `sample-data/`.

Run from the repository root:

    pip install pyedflib wfdb numpy      # tested with pyedflib 0.1.42, wfdb 4.3.1, numpy 2.4
    python3 sample-data/make_sample_data.py [--src ../shared/data] [--out sample-data]

Inputs (real data, see each folder's README.md for provenance and licence):
    <src>/app-samples/*.csv                       four 60-s excerpts, `time_s,ppg,ecg`, 125 Hz
    <src>/mimic-perform-af/mimic_perform_*_wfdb/  original WFDB records (used to cross-check the
                                                  excerpts and for the original ADC gain/baseline)
    <src>/mimic-perform-af/mimic_perform_af_wfdb/LICENSE
    <src>/neurokit2-bio-resting/LICENSE_NeuroKit2_MIT.txt

Outputs (in <out>):
    mimic_perform_af_001_AF_60s.edf            EDF+C, PPG + ECG II, written with pyedflib
    mimic_perform_non_af_002_nonAF_60s.hea/.dat WFDB format 16, written with wfdb.wrsamp
    bidmc_01_60s.csv                           byte copy of the app-sample CSV
    neurokit2_bio_resting_60s_ppg.npy          1-D float32 PPG, 125 Hz
    LICENSES/NeuroKit2-MIT.txt                 copy of the NeuroKit2 licence
    LICENSES/MIMIC-PERform-AF-LICENSE.txt      copy of the dataset's own LICENSE file
The licence texts LICENSES/ODbL-1.0.txt and LICENSES/ODC-By-1.0.txt are checked in (see
README.md for where they come from); this script only checks that they are present.

Every written file is read back with the reference library and compared with the source
values; the script exits non-zero if any error exceeds half a quantisation step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from pathlib import Path

import numpy as np
import pyedflib
import wfdb

FS = 125  # Hz, all app samples
N = 7500  # 60 s

AF_CSV = "mimic_perform_af_001_AF_60s.csv"
NONAF_CSV = "mimic_perform_non_af_002_nonAF_60s.csv"
BIDMC_CSV = "bidmc_01_60s.csv"
NK_CSV = "neurokit2_bio_resting_60s_resampled125.csv"

AF_EDF = "mimic_perform_af_001_AF_60s.edf"
NONAF_REC = "mimic_perform_non_af_002_nonAF_60s"
NK_NPY = "neurokit2_bio_resting_60s_ppg.npy"

# EDF+ header (de-identified). edflib (inside pyedflib) caps the recording field at ~65
# characters and annotation texts at 40 characters, so both are kept short.
EDF_START = dt.datetime(2000, 1, 1, 0, 0, 0)  # fixed, NOT the (shifted) MIMIC date
EDF_ADMINCODE = "af_001_1070s"  # record mimic_perform_af_001, excerpt starting at 1070 s
EDF_EQUIPMENT = "MIMIC_PERform_AF_excerpt"  # edflib writes spaces as '_'
EDF_ANNOTATIONS = [  # (onset s, duration s or -1, text <= 40 chars)
    (0.0, -1, "Excerpt: mimic_perform_af_001 at 1070 s"),
    (0.0, 60.0, "Record-level label: atrial fibrillation"),
    (0.0, -1, "AF label: Bashar 2020 (CC BY 4.0)"),
    (0.0, -1, "Data: MIMIC PERform AF, ODbL 1.0"),
]

WFDB_COMMENTS = [
    "Excerpt of MIMIC PERform AF Dataset record mimic_perform_non_af_002, samples 35000-42499 "
    "(280 s to 340 s of the record), 125 Hz. Record-level label: non-AF (sinus rhythm per the "
    "dataset authors). ECG lead II. Digital values and ADC gain/baseline as in the original record.",
    "License: ODbL 1.0 (https://opendatacommons.org/licenses/odbl/1-0/). Source: Charlton PH, "
    "MIMIC PERform AF Dataset, https://doi.org/10.5281/zenodo.6807402; derived from the MIMIC-III "
    "Waveform Database, https://doi.org/10.13026/c2607m; AF labels: Bashar 2020, "
    "https://doi.org/10.6084/m9.figshare.12149091.v1 (CC BY 4.0). See README.md.",
]


def load_csv(path: Path) -> np.ndarray:
    """(N, 3) float64 array: time_s, ppg, ecg."""
    with open(path) as f:
        header = f.readline().strip()
    if header != "time_s,ppg,ecg":
        raise SystemExit(f"{path}: unexpected header {header!r}")
    a = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    if a.shape != (N, 3) or np.isnan(a).any():
        raise SystemExit(f"{path}: expected {N} complete rows, got {a.shape}")
    if np.abs(a[:, 0] - np.arange(N) / FS).max() > 1e-9:
        raise SystemExit(f"{path}: time column is not 0, 1/125, 2/125, ...")
    return a


def edf_range(x: np.ndarray, margin: float = 0.02) -> tuple[float, float]:
    """Physical min/max: data range widened by `margin` of the span, rounded outwards to
    3 decimals so the values fit the 8-character EDF fields exactly."""
    lo, hi = float(x.min()), float(x.max())
    pad = margin * (hi - lo)
    return float(np.floor((lo - pad) * 1000) / 1000), float(np.ceil((hi + pad) * 1000) / 1000)


def to_digital(x, pmin, pmax, dmin=-32768, dmax=32767) -> np.ndarray:
    step = (pmax - pmin) / (dmax - dmin)
    d = np.round((x - pmin) / step) + dmin
    return np.clip(d, dmin, dmax).astype(np.int32)


def write_af_edf(src_csv: Path, out: Path) -> dict:
    a = load_csv(src_csv)
    sigs = [("PPG", "NU", "Fingertip PPG, bedside monitor", a[:, 1]),
            ("ECG II", "mV", "ECG lead II, bedside monitor", a[:, 2])]
    w = pyedflib.EdfWriter(str(out), len(sigs), file_type=pyedflib.FILETYPE_EDFPLUS)
    digital = []
    try:
        for i, (label, unit, transducer, x) in enumerate(sigs):
            pmin, pmax = edf_range(x)
            w.setSignalHeader(i, {
                "label": label, "dimension": unit, "sample_frequency": FS,
                "physical_min": pmin, "physical_max": pmax,
                "digital_min": -32768, "digital_max": 32767,
                "transducer": transducer, "prefilter": "",
            })
            digital.append(to_digital(x, pmin, pmax))
        # data records: pyedflib's default duration, 1 s (checked on read-back below)
        # EDF+ patient field "X X X X": code, sex, birthdate, name all unknown/withheld.
        w.setPatientCode("X")
        w.setPatientName("X")
        w.setAdmincode(EDF_ADMINCODE)
        w.setEquipment(EDF_EQUIPMENT)
        w.setStartdatetime(EDF_START)
        for onset, duration, text in EDF_ANNOTATIONS:
            assert len(text) <= 40, text
            w.writeAnnotation(onset, duration, text)
        w.writeSamples(digital, digital=True)
    finally:
        w.close()

    # --- read back ---------------------------------------------------------------------
    raw = out.read_bytes()
    r = pyedflib.EdfReader(str(out))
    try:
        assert r.filetype == pyedflib.FILETYPE_EDFPLUS, r.filetype
        assert r.signals_in_file == 2 and r.datarecords_in_file == 60
        assert r.getStartdatetime() == EDF_START
        report = {"patient_field": raw[8:88].decode("ascii").rstrip(),
                  "recording_field": raw[88:168].decode("ascii").rstrip(),
                  "reserved": raw[192:236].decode("ascii").rstrip(),
                  "startdate": raw[168:176].decode(), "starttime": raw[176:184].decode()}
        assert report["patient_field"] == "X X X X", report
        assert report["recording_field"] == f"Startdate 01-JAN-2000 {EDF_ADMINCODE} X {EDF_EQUIPMENT}", report
        assert report["reserved"] == "EDF+C"
        assert raw[244:252] == b"1       ", raw[244:252]  # data record duration 1 s
        ns = int(raw[252:256])
        spr = [int(raw[256 + ns * 216 + 8 * k:256 + ns * 216 + 8 * k + 8]) for k in range(ns)]
        assert spr[:2] == [FS, FS], spr  # 125 samples per 1-s record
        errs = []
        for i, (label, unit, _, x) in enumerate(sigs):
            h = r.getSignalHeader(i)
            assert h["label"] == label and h["dimension"] == unit and h["sample_frequency"] == FS, h
            y = r.readSignal(i)
            step = (h["physical_max"] - h["physical_min"]) / (h["digital_max"] - h["digital_min"])
            err = float(np.abs(y - x).max())
            assert len(y) == N and err <= step / 2 + 1e-12, (label, err, step)
            errs.append((label, err, step, h["physical_min"], h["physical_max"]))
        onsets, durations, texts = r.readAnnotations()
        got = [(float(o), float(d), str(t)) for o, d, t in zip(onsets, durations, texts)]
        want = [(o, float(d), t) for o, d, t in EDF_ANNOTATIONS]
        assert got == want, (got, want)
    finally:
        r.close()
    report["errors"] = errs
    report["annotations"] = got
    return report


def write_nonaf_wfdb(src_csv: Path, src_wfdb: Path, out_dir: Path) -> dict:
    a = load_csv(src_csv)
    # The original record's ADC gain/baseline; the excerpt maps back to its exact digital values.
    orig = wfdb.rdrecord(str(src_wfdb), sampfrom=280 * FS, sampto=280 * FS + N, physical=False,
                         channels=[0, 1])
    gain = [float(g) for g in orig.adc_gain]
    base = [int(b) for b in orig.baseline]
    assert orig.units == ["NU", "mV"], orig.units
    d = np.round(a[:, 1:3] * np.array(gain) + np.array(base)).astype(np.int64)
    if not np.array_equal(d, orig.d_signal):
        raise SystemExit("non-AF excerpt does not match the original WFDB record at 280 s")
    wfdb.wrsamp(NONAF_REC, fs=FS, units=["NU", "mV"], sig_name=["PPG", "II"],
                d_signal=d, fmt=["16", "16"], adc_gain=gain, baseline=base,
                comments=WFDB_COMMENTS, write_dir=str(out_dir))

    # --- read back ---------------------------------------------------------------------
    r = wfdb.rdrecord(str(out_dir / NONAF_REC))
    assert r.fs == FS and r.sig_len == N and r.sig_name == ["PPG", "II"] and r.units == ["NU", "mV"]
    assert r.comments == WFDB_COMMENTS, r.comments
    errs = []
    for i, label in enumerate(r.sig_name):
        err = float(np.abs(r.p_signal[:, i] - a[:, 1 + i]).max())
        step = 1.0 / gain[i]
        assert err <= step / 2 + 1e-12, (label, err, step)
        errs.append((label, err, step))
    return {"header": (out_dir / f"{NONAF_REC}.hea").read_text(), "errors": errs,
            "gain": gain, "baseline": base}


def write_nk_npy(src_csv: Path, out: Path) -> dict:
    a = load_csv(src_csv)
    np.save(out, a[:, 1].astype(np.float32))
    y = np.load(out)
    assert y.dtype == np.float32 and y.shape == (N,)
    err = float(np.abs(y.astype(np.float64) - a[:, 1]).max())
    rel = float((np.abs(y.astype(np.float64) - a[:, 1]) / np.maximum(np.abs(a[:, 1]), 1e-30)).max())
    assert rel <= 2.0 ** -24 * 1.0001, rel
    return {"errors": [("ppg", err, rel)]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default="../shared/data", type=Path)
    ap.add_argument("--out", default="sample-data", type=Path)
    args = ap.parse_args()
    src, out = args.src, args.out
    samples = src / "app-samples"
    out.mkdir(parents=True, exist_ok=True)
    (out / "LICENSES").mkdir(exist_ok=True)

    rep = write_af_edf(samples / AF_CSV, out / AF_EDF)
    print(f"{AF_EDF}:")
    print(f"  patient field   {rep['patient_field']!r}")
    print(f"  recording field {rep['recording_field']!r}")
    print(f"  startdate/time  {rep['startdate']} {rep['starttime']}   reserved {rep['reserved']!r}")
    for label, err, step, pmin, pmax in rep["errors"]:
        print(f"  {label:7s} phys [{pmin}, {pmax}]  step {step:.3e}  max |err| {err:.3e}")
    for a in rep["annotations"]:
        print(f"  annotation {a}")

    rep = write_nonaf_wfdb(samples / NONAF_CSV,
                           src / "mimic-perform-af/mimic_perform_non_af_wfdb/mimic_perform_non_af_002", out)
    print(f"{NONAF_REC}.hea/.dat:")
    print("  " + rep["header"].replace("\n", "\n  ").rstrip())
    for label, err, step in rep["errors"]:
        print(f"  {label:7s} step {step:.3e}  max |err| {err:.3e}")

    shutil.copyfile(samples / BIDMC_CSV, out / BIDMC_CSV)
    assert (out / BIDMC_CSV).read_bytes() == (samples / BIDMC_CSV).read_bytes()
    load_csv(out / BIDMC_CSV)
    print(f"{BIDMC_CSV}: byte copy, max |err| 0")

    rep = write_nk_npy(samples / NK_CSV, out / NK_NPY)
    for label, err, rel in rep["errors"]:
        print(f"{NK_NPY}: float32, max |err| {err:.3e} (max relative {rel:.3e})")

    shutil.copyfile(src / "neurokit2-bio-resting/LICENSE_NeuroKit2_MIT.txt", out / "LICENSES/NeuroKit2-MIT.txt")
    shutil.copyfile(src / "mimic-perform-af/mimic_perform_af_wfdb/LICENSE", out / "LICENSES/MIMIC-PERform-AF-LICENSE.txt")
    for name in ("ODbL-1.0.txt", "ODC-By-1.0.txt"):
        if not (out / "LICENSES" / name).is_file():
            print(f"warning: LICENSES/{name} is missing (checked-in file, see README.md)", file=sys.stderr)
            return 1
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"total size of {out}: {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
