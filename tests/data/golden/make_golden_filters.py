"""Writes the SciPy reference outputs that src/dsp/filter.rs is tested against.

Run from the repository root:  python3 tests/data/golden/make_golden_filters.py
Input: the first 2500 rows (20 s at 125 Hz) of sample-data/bidmc_01_60s.csv (columns ppg, ecg).
"""
import csv
import numpy as np
import scipy
import scipy.signal as ss

OUT = "tests/data/golden/"
rows = list(csv.DictReader(open("sample-data/bidmc_01_60s.csv")))[:2500]
ppg = np.array([float(r["ppg"]) for r in rows], dtype=np.float32).astype(np.float64)
ecg = np.array([float(r["ecg"]) for r in rows], dtype=np.float32).astype(np.float64)
fs = 125.0


def write(name, values, what):
    with open(OUT + name, "w") as f:
        f.write(f"# {what}\n# scipy {scipy.__version__}, numpy {np.__version__}; one value per line\n")
        for v in values:
            f.write(f"{v:.9e}\n")


write("filter_input_ppg.txt", ppg, "input: sample-data/bidmc_01_60s.csv column ppg, rows 1-2500, as float32")
write("filter_input_ecg.txt", ecg, "input: sample-data/bidmc_01_60s.csv column ecg, rows 1-2500, as float32")
cases = [
    ("filtfilt_ppg_bp2_0.5_8.txt", ppg, (2, [0.5, 8.0], "bandpass")),
    ("filtfilt_ecg_bp2_5_15.txt", ecg, (2, [5.0, 15.0], "bandpass")),
    ("filtfilt_ecg_lp8_20.txt", ecg, (8, 20.0, "lowpass")),
    ("filtfilt_ppg_hp3_0.5.txt", ppg, (3, 0.5, "highpass")),
]
for name, x, (order, wn, btype) in cases:
    b, a = ss.butter(order, wn, btype=btype, fs=fs)
    y = ss.filtfilt(b, a, x)  # default padtype='odd', padlen=3*max(len(a), len(b))
    write(name, y, f"scipy.signal.filtfilt(*scipy.signal.butter({order}, {wn}, btype='{btype}', fs={fs}), x) on the {'ppg' if x is ppg else 'ecg'} input")
print("ok")
