#!/bin/sh
# The README's user guide, done by a script with the mouse and keyboard (xdotool) on the
# installed package, as a new user: open the AF sample from the welcome screen, wait for the
# network, type a reviewer name, Sign off, Export PDF… through the file dialog (GTK, via zenity),
# and check the PDF. Screenshots of each step go to $HOME/walk/.
#
# packaging/check-deb.sh runs it last, as the new user, in the root it installed the package in
# (which has xdotool, zenity and poppler-utils). The click positions are those of a 1400×900 screen with
# the CPU notice showing (check-deb.sh's workspace.png), i.e. a machine without a GPU.
set -eu
out=$HOME/walk
rm -rf "$out" "$HOME/.local/share/cardioppg" && mkdir -p "$out"
Xvfb :8 -screen 0 1400x900x24 -nolisten tcp >/dev/null 2>&1 & xvfb=$!
sleep 2
export DISPLAY=:8
cardioppg > "$out/app.log" 2>&1 & app=$!
trap 'kill $app $xvfb 2>/dev/null || true' EXIT
step() { sleep "${2:-1}"; xwd -root -silent > "$out/$1.xwd"; echo "step $1"; }
# egui sees the pointer arrive, then the press: one frame each.
click() { xdotool mousemove "$1" "$2"; sleep 0.5; xdotool click 1; sleep 0.5; }
wait_for() { # seconds, then a shell test
    secs=$1; shift
    i=0
    while [ "$i" -lt "$secs" ] && ! eval "$*"; do sleep 1; i=$((i + 1)); done
    eval "$*"
}

# Xvfb has no window manager: give the windows the keyboard focus by hand.
focus() { xdotool windowfocus --sync "$(xdotool search --sync --onlyvisible "$@" | head -1)"; }
step 1-welcome 8
focus --name "CardioPPG Review"
click 137 214                                   # "Open mimic_perform_af_001_AF_60s.edf"
wait_for 180 "grep -q 'network ran on' '$out/app.log'"
step 2-opened 3
click 148 321                                   # the Reviewer field
xdotool type --delay 40 "Dr. Walk Through"
xdotool key Return
click 38 452                                    # "Sign off"
step 3-signed 2
click 260 12                                    # "Export PDF…"
# Without a desktop portal (no session bus here) rfd falls back to zenity's GTK dialog.
wait_for 30 "xdotool search --onlyvisible --class zenity >/dev/null 2>&1"
focus --class zenity
step 4-dialog 3
# The GTK save dialog has the focus in its name field, filled with the suggested name; a full
# path there saves elsewhere (the sample's folder is read-only).
xdotool key ctrl+a
xdotool type --delay 20 "$HOME/signed-report.pdf"
xdotool key Return
wait_for 900 "test -s '$HOME/signed-report.pdf'"
step 5-exported 5
pdftotext "$HOME/signed-report.pdf" "$out/report.txt"
grep -q "Dr. Walk Through" "$out/report.txt"
grep -qi "signed off" "$out/report.txt"
pdfinfo "$HOME/signed-report.pdf" | grep Pages
ls "$HOME/.local/share/cardioppg/reviews/"
echo "walkthrough: signed report written, $(wc -c < "$HOME/signed-report.pdf") bytes"
