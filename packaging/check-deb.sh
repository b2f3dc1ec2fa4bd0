#!/usr/bin/env bash
# Installs the .deb into a throwaway Debian root and runs the installed app there as a new user
# would: apt resolves the package's Depends, the desktop entry and the .edf MIME type are
# registered by the system's triggers, the CLI reads a sample and writes a report, and the window
# starts under Xvfb, first on the welcome screen, then on a sample, with a screenshot of each.
#
#   packaging/check-deb.sh DEB ROOT OUT
#
# DEB:  the package (cargo deb --locked writes target/debian/cardioppg_<version>-1_amd64.deb)
# ROOT: a fresh root, made once as root with
#         debootstrap --variant=minbase bookworm ROOT http://deb.debian.org/debian
#       and the tools to drive it (none of them pulls Vulkan or the app's other Depends):
#         chroot ROOT apt-get install -y --no-install-recommends xvfb xauth x11-apps \
#           shared-mime-info desktop-file-utils xdg-utils poppler-utils
# OUT:  where the log and the screenshots go (welcome.png, workspace.png)
#
# Needs root (chroot, mounts) and ImageMagick's `convert` on the host for the screenshots.
set -euo pipefail
deb=$(realpath "$1"); root=$(realpath "$2"); out=$(realpath -m "$3")
mkdir -p "$out"
log="$out/check-deb.log"
: > "$log"
say() { echo "== $*" | tee -a "$log"; }
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/home/reviewer LANG=C.UTF-8 "$@"; }

for m in dev dev/pts proc; do
    mountpoint -q "$root/$m" || mount --bind "/$m" "$root/$m"
done
trap 'umount -l "$root/dev/pts" "$root/dev" "$root/proc" 2>/dev/null || true' EXIT

say "package"
dpkg-deb --info "$deb" | tee -a "$log"
dpkg-deb --contents "$deb" >> "$log"

say "install with apt (resolves Depends)"
cp "$deb" "$root/tmp/cardioppg.deb"
in_root apt-get install -y -q /tmp/cardioppg.deb >> "$log" 2>&1
in_root dpkg -s cardioppg | grep -E '^(Status|Version|Depends)' | tee -a "$log"
in_root dpkg -l | grep -E 'mesa-vulkan|libvulkan1' | tee -a "$log"

say "desktop entry and MIME type"
in_root desktop-file-validate /usr/share/applications/cardioppg.desktop | tee -a "$log"
mkdir -p "$root/home/reviewer"
sample=/usr/share/cardioppg/sample-data/mimic_perform_af_001_AF_60s.edf
in_root xdg-mime query filetype "$sample" | tee -a "$log" | grep -qx 'application/x-edf'
in_root xdg-mime query default application/x-edf | tee -a "$log" | grep -qx 'cardioppg.desktop'

say "CLI: the installed binary finds its model and samples"
in_root cardioppg info "$sample" 2>&1 | tee -a "$log"
in_root cardioppg report "$sample" -o /home/reviewer/report.pdf --heatmaps 0 --device cpu 2>&1 | tee -a "$log"
in_root pdfinfo /home/reviewer/report.pdf | grep -E '^Pages' | tee -a "$log"

# An X server in the root, the app on it, a screenshot once the app has drawn.
shoot() { # name, seconds to wait, app arguments…
    local name=$1 wait_secs=$2; shift 2
    in_root sh -c "Xvfb :7 -screen 0 1400x900x24 >/dev/null 2>&1 & xvfb=\$!; sleep 2; \
        DISPLAY=:7 cardioppg $* > /home/reviewer/$name.log 2>&1 & app=\$!; \
        for i in \$(seq $wait_secs); do sleep 1; grep -q 'network ran on' /home/reviewer/$name.log && break; done; sleep 3; \
        DISPLAY=:7 xwd -root -silent > /home/reviewer/$name.xwd; kill \$app \$xvfb; wait" || true
    cat "$root/home/reviewer/$name.log" >> "$log"
    convert "xwd:$root/home/reviewer/$name.xwd" "$out/$name.png"
    say "screenshot $out/$name.png"
}
say "window: first run, no file (welcome screen)"
rm -rf "$root/home/reviewer/.local/share/cardioppg"
shoot welcome 15
say "window: a sample from the command line (workspace)"
shoot workspace 120 "$sample"
say "settings written by the first run"
find "$root/home/reviewer/.local/share" -name settings.json -exec cat {} \; | tee -a "$log" || true
say "done"
