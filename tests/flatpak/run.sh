#!/usr/bin/env bash
# Proves com.example.Pcq.json end to end without Flathub: builds a Flatpak runtime + SDK from
# Debian 12 packages (mmdebstrap), installs it into a private Flatpak installation, builds Pcq
# with flatpak-builder from a copy of the manifest that points at that runtime (libgit2 from
# Debian's own source tarball), then runs the sandboxed app twice: a headless download from a
# loopback server, and the window under Xvfb (screenshot).
#
# Everything lives in one temp dir that is removed on exit, with its own FLATPAK_USER_DIR,
# FLATPAK_SYSTEM_DIR and HOME: ~/.local/share/flatpak, /var/lib/flatpak and the repo tree are
# never touched. Needs root (mmdebstrap --mode=root) or working unprivileged user namespaces
# with subuids (--mode=unshare), network access to deb.debian.org, and the packages that
# .ci/install-deps lists under "tests/flatpak".
#
# Environment:
#   PCQ_FLATPAK_KEEP=DIR   keep the Debian tree as a tarball in DIR and reuse it next time
#                          (development only; CI builds it from scratch)
#   PCQ_FLATPAK_SHOT=FILE  copy the window screenshot (PNG) there
#   PCQ_FLATPAK_MIRROR     Debian mirror (default http://deb.debian.org/debian)
#   PCQ_FLATPAK_SECURITY_MIRROR  (default http://deb.debian.org/debian-security)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
manifest=$repo/com.example.Pcq.json

app_id=com.example.Pcq
rt_id=org.pcq.Debian.Sdk # one tree serves as runtime and as SDK
rt_branch=12
suite=bookworm
mirror=${PCQ_FLATPAK_MIRROR:-http://deb.debian.org/debian}
security_mirror=${PCQ_FLATPAK_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
keep=${PCQ_FLATPAK_KEEP:-}
shot_copy=${PCQ_FLATPAK_SHOT:-}

# The runtime: what the manifest's modules need to build (the GNOME SDK's part), what Pcq needs
# to run (the GNOME Platform's part), and what flatpak-builder runs inside the SDK.
packages=(
  # toolchain: meson for Pcq, cmake for libgit2
  build-essential meson ninja-build pkg-config cmake
  # Pcq's libraries
  libglib2.0-dev libgtk-4-dev libadwaita-1-dev libsoup-3.0-dev libjson-glib-dev libsqlite3-dev
  libsecret-1-dev zlib1g-dev
  # libgit2 from Debian's tarball: it drops the bundled deps/, so http-parser comes from here
  libhttp-parser-dev
  # Pcq's build tools: msgfmt, desktop-file-validate, appstreamcli, glib-compile-schemas
  gettext desktop-file-utils appstream libglib2.0-bin
  # flatpak-builder 1.2 runs appstream-compose (appstream-glib's) in the SDK; eu-strip and
  # debugedit it runs on the host
  appstream-util
  # at run time: TLS, settings, fonts, icons, image loaders, MIME data, CA certificates
  glib-networking gsettings-desktop-schemas fonts-cantarell fonts-dejavu-core
  adwaita-icon-theme hicolor-icon-theme librsvg2-common shared-mime-info ca-certificates
)

# ---- bookkeeping: steps with timings, a temp dir, processes we started

timings=()
step_name=
step_start=$SECONDS
end_step() {
  if [ -n "$step_name" ]; then
    timings+=("$(printf '%5ds  %s' $((SECONDS - step_start)) "$step_name")")
    step_name=
  fi
}
step() {
  end_step
  step_name=$1
  step_start=$SECONDS
  printf '\n---- flatpak: %s (%ds)\n' "$1" "$SECONDS"
}
print_timings() {
  end_step
  printf '\n---- flatpak: timings\n'
  printf '%s\n' "${timings[@]}"
  printf '%5ds  total\n' "$SECONDS"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/pcq-flatpak.XXXXXX")
server_pid=  # the loopback HTTP server
bounded_pid= # the `timeout` of the long command running now

# Runs a long command under a time limit, in the background so that a signal to this script
# (Ctrl+C, CI's TERM) reaches its trap at once: cleanup then stops the command through its
# `timeout`, which passes the signal on to the command's process group.
bounded() { # SECONDS COMMAND…
  local secs=$1 rc=0
  shift
  timeout --kill-after=20 "$secs" "$@" &
  bounded_pid=$!
  wait "$bounded_pid" || rc=$?
  bounded_pid=
  return "$rc"
}

cleanup() {
  local rc=$? pid mnt
  set +e
  for pid in $bounded_pid $server_pid; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  # Nothing should stay mounted below $work (mmdebstrap unmounts its /proc, /sys and /dev
  # when stopped, a document portal might leave a FUSE mount); unmount what did, and never
  # let rm cross into another file system.
  awk -v w="$work" 'index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r mnt; do
      umount -l "$mnt" 2>/dev/null || fusermount -uz "$mnt" 2>/dev/null
    done
  chmod -R u+w "$work" 2>/dev/null
  rm -rf --one-file-system "$work"
  if [ "$rc" -ne 0 ]; then
    print_timings
    echo "flatpak: FAILED (exit status $rc)" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A private Flatpak world.
export FLATPAK_USER_DIR=$work/flatpak-user
export FLATPAK_SYSTEM_DIR=$work/flatpak-system
export HOME=$work/home
export XDG_DATA_HOME=$HOME/.local/share XDG_CONFIG_HOME=$HOME/.config XDG_CACHE_HOME=$HOME/.cache
export XDG_STATE_HOME=$HOME/.local/state
export XDG_RUNTIME_DIR=$work/xdg-runtime
unset DBUS_SESSION_BUS_ADDRESS WAYLAND_DISPLAY DISPLAY XAUTHORITY
mkdir -p "$FLATPAK_USER_DIR" "$FLATPAK_SYSTEM_DIR" "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

arch=$(flatpak --default-arch)
echo "flatpak: work dir $work; $(flatpak --version), flatpak-builder $(flatpak-builder --version | awk '{print $2}'), mmdebstrap $(mmdebstrap --version | awk '{print $2}')"

# ---- 1. Debian 12 tree

step "Debian $suite tree (mmdebstrap)"
tree=$work/tree
sources=(
  "deb $mirror $suite main"
  "deb $mirror $suite-updates main"
  "deb $security_mirror $suite-security main"
)
mm_args=(
  --variant=apt
  --aptopt='APT::Install-Recommends "false"'
  # no documentation, manuals or translations but German (the one Pcq ships)
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/gtk-doc/*'
  --dpkgopt='path-exclude=/usr/share/help/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-include=/usr/share/locale/de/*'
  --dpkgopt='path-include=/usr/share/locale/locale.alias'
  --include="$(IFS=,; echo "${packages[*]}")"
)
if [ "$(id -u)" -eq 0 ]; then
  mm_mode=root
else
  mm_mode=unshare
fi
run_mmdebstrap() { # TARGET [OPTION…]
  local target=$1
  shift
  bounded 900 mmdebstrap --mode="$mm_mode" --quiet "${mm_args[@]}" "$@" \
    "$suite" "$target" "${sources[@]}"
}
if [ -n "$keep" ] || [ "$mm_mode" != root ]; then
  # As a tarball: reusable (PCQ_FLATPAK_KEEP), and the way out of an unshare'd build.
  tar_dir=${keep:-$work}
  mkdir -p "$tar_dir"
  key=$(printf '%s\n' "$mm_mode" "${sources[@]}" "${mm_args[@]}" | sha256sum | cut -c1-16)
  tarball=$tar_dir/debian-$suite-$key.tar
  if [ -f "$tarball" ]; then
    echo "reusing $tarball"
  else
    run_mmdebstrap "$tarball.part" --format=tar
    mv "$tarball.part" "$tarball"
  fi
  mkdir "$tree"
  tar -C "$tree" --numeric-owner -xpf "$tarball"
  [ -n "$keep" ] || rm -f "$tarball"
else
  run_mmdebstrap "$tree"
fi
echo "Debian tree: $(du -sh "$tree" | cut -f1), $(dpkg-query --admindir="$tree/var/lib/dpkg" -W | wc -l) packages"

# ---- 2. the tree as a Flatpak runtime

step "runtime $rt_id//$rt_branch: files, export, install"
rt=$work/runtime
files=$rt/files
mkdir "$rt"
# Flatpak mounts files/ at /usr and links each /etc entry to /usr/etc. Debian is usr-merged,
# so /usr is everything but /etc (flatpak makes /bin, /lib, /lib64, /sbin links into /usr).
mv "$tree/usr" "$files"
cp -a "$tree/etc" "$files/etc"
rm -rf "$tree"

# Relative links that leave /etc (os-release -> ../usr/lib/os-release, mtab -> ../proc/...)
# would point into /usr/usr from /usr/etc: make them absolute.
while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  rel=${link#"$files"/etc/}
  abs=$(realpath -m -s "/etc/$(dirname "$rel")/$target")
  case $abs in
    /etc/*) ;;
    *) ln -sfn "$abs" "$link" ;;
  esac
done < <(find "$files/etc" -type l -lname '[!/]*' -print0)

# The loader cache. flatpak regenerates it at every first start of an app with the runtime's
# bin/ldconfig and etc/ld.so.conf (ld.so.conf.d is not mounted there, so include it as
# /usr/etc); a runtime without bin/ldconfig gets LD_LIBRARY_PATH=/app/lib instead.
rm -f "$files/etc/ld.so.cache"
cat >"$files/etc/ld.so.conf" <<'EOF'
include /run/flatpak/ld.so.conf.d/app-*.conf
include /app/etc/ld.so.conf
/app/lib
include /run/flatpak/ld.so.conf.d/runtime-*.conf
include /usr/etc/ld.so.conf.d/*.conf
EOF
ln -s ../sbin/ldconfig "$files/bin/ldconfig"

# dpkg's triggers ran in the tree; make sure their caches made it.
multiarch=$(basename "$(dirname "$(find "$files/lib" -maxdepth 2 -name libc.so.6 | head -n 1)")")
for f in share/glib-2.0/schemas/gschemas.compiled lib/$multiarch/gio/modules/giomodule.cache \
         lib/$multiarch/gdk-pixbuf-2.0/2.10.0/loaders.cache \
         share/icons/Adwaita/icon-theme.cache share/mime/mime.cache; do
  if [ ! -s "$files/$f" ]; then
    echo "runtime: $f is missing" >&2
    exit 1
  fi
done

cat >"$rt/metadata" <<EOF
[Runtime]
name=$rt_id
runtime=$rt_id/$arch/$rt_branch
sdk=$rt_id/$arch/$rt_branch
EOF

# bare-user-only: no compression, and a local pull hardlinks instead of copying.
ostree init --repo="$work/rt-repo" --mode=bare-user-only
bounded 600 flatpak build-export --runtime --files=files \
  --subject="Debian $suite as a Pcq test runtime" "$work/rt-repo" "$rt" "$rt_branch"
rm -rf "$rt"
flatpak --user remote-add --no-gpg-verify pcq-debian "file://$work/rt-repo"
bounded 600 flatpak --user install --noninteractive -y pcq-debian "$rt_id//$rt_branch"

# The loader cache as an app will see it (flatpak builds it from the runtime's ld.so.conf).
bounded 60 flatpak run --command=sh "$rt_id//$rt_branch" -c '
  set -e
  ls -l /etc/ld.so.cache /etc/ld.so.conf
  ldconfig -p | grep -F "libgtk-4.so.1 "
  for pc in gtk4 libadwaita-1 libsoup-3.0 json-glib-1.0 sqlite3 libsecret-1 zlib; do
    echo "$pc $(pkg-config --modversion $pc)"
  done' || { echo "runtime: ld.so.cache or pkg-config broken in the sandbox" >&2; exit 1; }

# ---- 3. libgit2: Debian's source tarball in place of the upstream one

step "libgit2 source from Debian $suite (apt-get source --print-uris)"
aptdir=$work/apt
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
# Only $suite itself: the security archive's pool serves binaries but its source files are
# not always reachable, and the orig tarball of a point release is the same.
printf 'deb-src %s %s main\n' "$mirror" "$suite" >"$aptdir/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$aptdir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
  -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache"
  -o Dir::State::Status=/dev/null -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)"
)
bounded 180 apt-get "${apt_opts[@]}" -qq update
# 'URL' NAME SIZE SHA256:HASH, one line each for the .dsc, the orig tarball, the Debian part;
# apt took the hashes from the signed Sources index.
bounded 60 apt-get "${apt_opts[@]}" source --print-uris libgit2 >"$aptdir/print-uris" 2>/dev/null
grep "^'" "$aptdir/print-uris" >"$aptdir/uris" || true
dsc_url=$(awk '$2 ~ /\.dsc$/ { gsub("\x27", "", $1); print $1 }' "$aptdir/uris")
read -r orig_url orig_name orig_sha < <(awk '$2 ~ /\.orig\.tar\./ { gsub("\x27", "", $1); sub("SHA256:", "", $4); print $1, $2, $4 }' "$aptdir/uris")
if [ -z "$dsc_url" ] || [ -z "${orig_sha:-}" ]; then
  echo "libgit2: no source package found in $mirror $suite" >&2
  cat "$aptdir/uris" >&2
  exit 1
fi
# Cross-check with the .dsc itself.
bounded 60 curl -fsS -o "$aptdir/libgit2.dsc" "$dsc_url"
if ! grep -q "^ $orig_sha [0-9]* $orig_name\$" "$aptdir/libgit2.dsc"; then
  echo "libgit2: $orig_name's sha256 $orig_sha is not in $dsc_url" >&2
  exit 1
fi
echo "libgit2: $orig_url"
echo "         sha256 $orig_sha"

# ---- 4. Pcq's source and the manifest copy

step "source copy and manifest copy"
src=$work/pcq-src
mkdir "$src"
# The tracked files as they are on disk, plus new files not yet committed (.gitignore'd ones,
# build dirs among them, stay out); never the repo's own build dirs.
(
  cd "$repo"
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' f; do
        case $f in build/* | build-*/* | .flatpak-builder/*) continue ;; esac
        [ -e "$f" ] || [ -L "$f" ] || continue
        printf '%s\0' "$f"
      done | xargs -0 -r cp -a --parents -t "$src"
  else # not a Git checkout (an unpacked archive): everything but build output
    tar -cf - --exclude='./build' --exclude='./build-*' --exclude='./_build' \
      --exclude='./builddir' --exclude='./.flatpak-builder' . | tar -C "$src" -xf -
  fi
)
echo "copied $(find "$src" -type f | wc -l) files of $repo"

mkdir "$work/manifest"
test_manifest=$work/manifest/$app_id.json
python3 - "$manifest" "$test_manifest" "$rt_id" "$rt_branch" "$src" "$orig_url" "$orig_sha" <<'EOF'
import json
import sys

src, dst, rt_id, branch, pcq_src, url, sha = sys.argv[1:]
with open(src) as f:
    m = json.load(f)
m["runtime"] = rt_id
m["sdk"] = rt_id
m["runtime-version"] = branch
found = set()
for mod in m["modules"]:
    if not isinstance(mod, dict):
        continue
    if mod["name"] == "libgit2":
        found.add("libgit2")
        mod["sources"] = [{"type": "archive", "url": url, "sha256": sha}]
        # Debian's +ds tarball has no deps/ (the bundled http-parser): use the system one.
        mod["config-opts"] = mod.get("config-opts", []) + ["-DUSE_HTTP_PARSER=system"]
    elif mod["name"] == "pcq":
        for s in mod["sources"]:
            if s.get("type") == "dir":
                found.add("pcq")
                s["path"] = pcq_src
missing = {"libgit2", "pcq"} - found
if missing:
    sys.exit("manifest: no module %s" % ", ".join(sorted(missing)))
with open(dst, "w") as f:
    json.dump(m, f, indent=2)
EOF
diff -u "$manifest" "$test_manifest" || true

# ---- 5. flatpak-builder

step "flatpak-builder --install"
cd "$work"
bounded 1500 flatpak-builder --user --install --force-clean \
  --disable-rofiles-fuse --disable-updates --state-dir="$work/fb-state" \
  --repo="$work/app-repo" "$work/fb-build" "$test_manifest"
flatpak --user list --columns=application,branch,runtime
# libgit2 is the module's, found through the loader cache flatpak built with /app/lib; Pcq
# loads it through libpcq-git.so (in libdir/pcq: lib/ in the GNOME runtime, the multiarch
# folder in this Debian one). pcq (headless) links no GTK; pcq-window does.
bounded 60 flatpak run --command=sh "$app_id" -c '
  set -e
  ldconfig -p | grep -F "libgit2.so"
  ldd /app/bin/pcq | grep -E "libsecret|libsoup"
  ! ldd /app/bin/pcq | grep -E "libadwaita|libgtk"
  ldd /app/libexec/pcq-window | grep -E "libadwaita"
  git_module=$(find /app/lib -name libpcq-git.so | head -n 1)
  [ -n "$git_module" ]
  ldd "$git_module" | grep -F "libgit2.so" | grep -qF "=> /app/lib/"
  ! ldd /app/bin/pcq /app/libexec/pcq-window "$git_module" | grep -F "not found"' ||
  { echo "pcq: its libraries do not resolve in the sandbox" >&2; exit 1; }

# ---- 6. headless downloads in the sandbox, from a loopback server

step "headless download in the sandbox"
srv=$work/srv
out=$work/out
mkdir -p "$srv" "$out"
printf 'Pcq in a Flatpak sandbox\n' >"$srv/hello.txt"
head -c 3000000 /dev/urandom >"$srv/random.bin"
python3 -c 'import json; print(json.dumps({"n": list(range(5000))}))' >"$srv/data.json"

python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$srv" >"$work/http.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^Serving HTTP on [^ ]* port \([0-9]*\).*/\1/p' "$work/http.log")
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "http server did not start:" >&2
  cat "$work/http.log" >&2
  exit 1
fi
urls=()
for f in hello.txt random.bin data.json; do
  urls+=("http://127.0.0.1:$port/$f")
done
echo "serving $srv on 127.0.0.1:$port"

rc=0
bounded 120 flatpak run --filesystem="$out" "$app_id" \
  --headless -o "$out" "${urls[@]}" || rc=$?
echo "pcq --headless exit status $rc"
ls -l "$out"
[ "$rc" -eq 0 ] || exit 1
for f in hello.txt random.bin data.json; do
  cmp "$srv/$f" "$out/$f"
done
echo "3 files arrived byte-identical"
kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=

# ---- 7. the window under Xvfb

step "window under Xvfb (screenshot)"
shot=$work/pcq-window.png
export PCQ_SHOT=$shot PCQ_APP_ID=$app_id PCQ_APP_LOG=$work/window.log
bounded 180 xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- bash -c '
  set -u
  flatpak run "$PCQ_APP_ID" >"$PCQ_APP_LOG" 2>&1 &
  pid=$!
  win=
  for _ in $(seq 120); do
    win=$(xdotool search --onlyvisible --name "." 2>/dev/null | head -n 1)
    [ -n "$win" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if [ -z "$win" ]; then
    echo "no window was mapped" >&2
    kill "$pid" 2>/dev/null
    exit 1
  fi
  sleep 3 # the first frames
  echo "window $win: \"$(xdotool getwindowname "$win")\" $(xdotool getwindowgeometry "$win" | tr -s "\n " " ")"
  import -window root "$PCQ_SHOT"
  alive=0
  kill -0 "$pid" 2>/dev/null && alive=1
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ "$alive" -eq 1 ] || { echo "pcq exited before the screenshot" >&2; exit 1; }
' || { echo "window step failed; pcq said:" >&2; cat "$work/window.log" >&2; exit 1; }
echo "pcq's output:"
sed 's/^/  | /' "$work/window.log"
colours=$(identify -format '%k' "$shot")
echo "screenshot: $(identify -format '%wx%h' "$shot"), $colours colours"
if [ -n "$shot_copy" ]; then
  cp "$shot" "$shot_copy"
  echo "screenshot copied to $shot_copy"
fi
if [ "$colours" -lt 64 ]; then
  echo "the screenshot is (nearly) blank; pcq said:" >&2
  cat "$work/window.log" >&2
  exit 1
fi

print_timings
echo "flatpak: all passed"
