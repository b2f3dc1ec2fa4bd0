#!/usr/bin/env bash
# Installs the .deb into a throwaway Debian root and runs the installed app there as a new user
# would: apt resolves the package's Depends, dpkg's triggers register the desktop entry and the
# .edf MIME type, the CLI reads a sample and writes a report, and the window starts under Xvfb,
# first on the welcome screen, then on a sample, with a screenshot of each; last, the README's
# user guide is clicked through to a signed PDF report (packaging/walkthrough.sh).
#
#   sudo packaging/check-deb.sh DEB ROOT OUT
#
# DEB:  the package (packaging/build-deb.sh writes target/debian/cardioppg_<version>-1_amd64.deb)
# ROOT: a fresh root, made once with
#         debootstrap --variant=minbase bookworm ROOT http://deb.debian.org/debian
#       plus the tools that drive it (none of them pulls Vulkan or the app's other Depends):
#         chroot ROOT apt-get install -y --no-install-recommends xvfb xauth x11-apps \
#           shared-mime-info desktop-file-utils xdg-utils libfile-mimeinfo-perl poppler-utils \
#           xdotool zenity
# OUT:  where the log, the screenshots and the PDFs go (welcome.png, workspace.png, report.pdf,
#       walk-*.png, signed-report.pdf)
#
# Needs root (chroot, mounts) and ImageMagick's `convert` on the host for the screenshots.
set -euo pipefail
deb=$(realpath "$1"); root=$(realpath "$2"); out=$(realpath -m "$3")
mkdir -p "$out"
log="$out/check-deb.log"
: > "$log"
say() { echo "== $*" | tee -a "$log"; }

# Unmount only what this script mounted, in reverse order, even when a step fails.
mounted=()
cleanup() {
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}" || umount -l "${mounted[i]}" || true; done
}
trap cleanup EXIT
for m in dev dev/pts proc; do
    if ! mountpoint -q "$root/$m"; then
        mount --bind "/$m" "$root/$m"
        mounted+=("$root/$m")
    fi
done

as_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
# The new user: a fresh home, no settings, no reviews; a runtime folder as a login session has.
as_user() { chroot --userspec=reviewer:reviewer "$root" env -i PATH=/usr/bin:/bin HOME=/home/reviewer LANG=C.UTF-8 XDG_RUNTIME_DIR=/tmp/runtime-reviewer "$@"; }

say "package"
dpkg-deb --info "$deb" | tee -a "$log"
dpkg-deb --contents "$deb" >> "$log"

say "install with apt (resolves Depends)"
# A root reused from an earlier check first loses the package and what only it pulled in.
if as_root dpkg -s cardioppg >/dev/null 2>&1; then
    as_root apt-get purge -y -q cardioppg >> "$log" 2>&1
    as_root apt-get autoremove -y -q --purge >> "$log" 2>&1
fi
as_root dpkg -l | grep -E 'mesa-vulkan|libvulkan1' | tee -a "$log" || echo "(no Vulkan in the root before the install)" | tee -a "$log"
cp "$deb" "$root/tmp/cardioppg.deb"
as_root apt-get install -y -q /tmp/cardioppg.deb > "$out/apt-install.log" 2>&1
cat "$out/apt-install.log" >> "$log"
grep -E 'newly installed' "$out/apt-install.log" | tee -a "$log"
as_root dpkg -s cardioppg | grep -E '^(Status|Version|Depends)' | tee -a "$log"
as_root dpkg -l | grep -E 'mesa-vulkan|libvulkan1' | tee -a "$log"
as_root sh -c 'id reviewer >/dev/null 2>&1 && userdel -r reviewer 2>/dev/null; useradd -m reviewer; rm -rf /tmp/runtime-reviewer; install -d -m 700 -o reviewer -g reviewer /tmp/runtime-reviewer'

say "desktop entry and MIME type"
as_root desktop-file-validate /usr/share/applications/cardioppg.desktop | tee -a "$log"
sample=/usr/share/cardioppg/sample-data/mimic_perform_af_001_AF_60s.edf
test "$(as_user xdg-mime query filetype "$sample" | tee -a "$log")" = application/x-edf
test "$(as_user xdg-mime query default application/x-edf | tee -a "$log")" = cardioppg.desktop

say "CLI: the installed binary finds its model and samples"
as_user cardioppg info "$sample" 2>&1 | tee -a "$log"
as_user cardioppg report "$sample" -o /home/reviewer/report.pdf --heatmaps 0 --device cpu 2>&1 | tee -a "$log"
as_user pdfinfo /home/reviewer/report.pdf | grep -E '^Pages' | tee -a "$log"
cp "$root/home/reviewer/report.pdf" "$out/report.pdf"

# An X server in the root, the app on it as the user, a screenshot once it has drawn (after the
# network's results when a file is given, which the app announces on stderr).
cat > "$root/tmp/shoot.sh" <<'EOF'
#!/bin/sh
# shoot.sh NAME WAIT_SECS SETTLE_SECS [app arguments...]
name=$1; wait_secs=$2; settle_secs=$3; shift 3
Xvfb :7 -screen 0 1400x900x24 -nolisten tcp >/dev/null 2>&1 & xvfb=$!
sleep 2
DISPLAY=:7 cardioppg "$@" > "$HOME/$name.log" 2>&1 & app=$!
i=0
while [ "$i" -lt "$wait_secs" ] && ! grep -q 'network ran on' "$HOME/$name.log"; do sleep 1; i=$((i + 1)); done
sleep "$settle_secs"
DISPLAY=:7 xwd -root -silent > "$HOME/$name.xwd"
kill "$app" "$xvfb"
wait
EOF
chmod 755 "$root/tmp/shoot.sh"
shoot() {
    as_user /tmp/shoot.sh "$@" || true
    cat "$root/home/reviewer/$1.log" >> "$log"
    convert "xwd:$root/home/reviewer/$1.xwd" "$out/$1.png"
    say "screenshot $out/$1.png"
}
say "window: first run, no file (welcome screen)"
shoot welcome 15 3
say "window: a sample from the command line (workspace)"
# Settles long enough for the background attributions of every beat (the PPG overlay).
shoot workspace 180 90 "$sample"
say "settings the first runs wrote"
cat "$root/home/reviewer/.local/share/cardioppg/settings.json" | tee -a "$log"

say "the user guide clicked through: open a sample, sign off, Export PDF… (walkthrough.sh)"
cp "$(dirname "$0")/walkthrough.sh" "$root/tmp/walkthrough.sh"
as_user sh /tmp/walkthrough.sh 2>&1 | tee -a "$log"
for f in "$root"/home/reviewer/walk/*.xwd; do convert "xwd:$f" "$out/walk-$(basename "$f" .xwd).png"; done
cp "$root/home/reviewer/signed-report.pdf" "$out/signed-report.pdf"
say "done"
