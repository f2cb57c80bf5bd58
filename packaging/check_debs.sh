#!/usr/bin/env bash
# Builds weft's Debian packages (libweft-dev, rotated) with CPack, installs
# them on this machine with apt as a user would, checks what got installed,
# and removes them again, leaving the machine's packages and files as they
# were. Meant for a clean Debian 12 machine, as root (CI's `debs` stage):
#   1. a Release build of the library, rotated and its man page, then
#      `cpack -G DEB`;
#   2. refusal (exit 2, nothing touched) unless run as root where neither
#      package is known to dpkg and none of their files exists: a weft
#      installed from elsewhere is never replaced;
#   3. `apt-get install ./libweft-dev_*.deb ./rotated_*.deb`, which fetches
#      any dependency from the archive;
#   4. the installed rotated: `rotated --version`, its man page, its
#      hardened unit starting /usr/sbin/rotated, and its demo configuration
#      (/usr/share/doc/rotated/examples/demo.toml) checked, then run by the
#      daemon in a scratch directory until each of its four jobs rotated;
#   5. the consumer project (tests/package/consumer) built against the
#      installed libweft-dev, with find_package(weft) and with pkg-config,
#      and run;
#   6. `apt-get purge` of both packages and of whatever apt installed with
#      them; then dpkg's package list must be as before and none of the
#      packages' files left. This step runs even when an earlier one failed.
# Usage: packaging/check_debs.sh [BUILD_DIR]   (default build/deb)
# Exit status 0 when every check passed, 2 on refusal. Needs cmake, a C++20
# compiler, pandoc, dpkg-dev and pkg-config (.ci/install-deps).
set -euo pipefail
# No `| grep -q` below: under pipefail, grep -q's early exit can kill the
# writer with SIGPIPE and fail a check that matched (the man page grew past
# a pipe buffer and did exactly that); grep >/dev/null reads to the end.
cd "$(dirname "$0")/.."
build=${1:-build/deb}
packages=(libweft-dev rotated)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

step() { echo "=== check_debs: $*" >&2; }
fail() { echo "check_debs: FAILED: $*" >&2; exit 1; }
refuse() { echo "check_debs: REFUSED: $*; nothing was changed" >&2; exit 2; }
package_list() { dpkg-query -W -f='${Package}:${Architecture} ${Version} ${db:Status-Abbrev}\n' | sort; }

[ "$(id -u)" -eq 0 ] || refuse "it installs packages: run it as root (on a machine you can spare)"

step "build ($build)"
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF -DWEFT_BUILD_EXAMPLES=ON \
  -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target weft rotated rotated_man
rm -f "$build"/*.deb
(cd "$build" && cpack -G DEB >/dev/null)
debs=("$PWD/$(ls "$build"/libweft-dev_*.deb)" "$PWD/$(ls "$build"/rotated_*.deb)")
printf '%s\n' "${debs[@]}"
dpkg-deb --field "${debs[1]}" Depends

step "nothing of weft is on this machine yet"
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ -z "$status" ] || [ "$status" = not-installed ] ||
    refuse "package $p is $status here already: remove it first, or run this on a clean machine"
done
shipped=$(for deb in "${debs[@]}"; do dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -n 's#^\./#/#; /[^/]$/p'; done)
present=$(while read -r f; do if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi; done <<<"$shipped")
[ -z "$present" ] || refuse "files the packages would overwrite exist already (not from a package): $(echo $present | head -c 300)"

scratch=$(mktemp -d)
before=$scratch/packages.before
package_list >"$before"
installed=false
# Purges the packages and what apt brought with them; checks that the
# machine's packages are as before and none of the shipped files is left.
remove_packages() {
  local status=$?
  if $installed; then
    step "removal (apt-get purge)"
    local added
    added=$(comm -13 <(cut -d' ' -f1 "$before") <(package_list | cut -d' ' -f1) | sed 's/:.*//')
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $added >/dev/null || { echo "apt-get purge failed" >&2; status=1; }
    if ! diff "$before" <(package_list) >&2; then echo "check_debs: FAILED: the package list differs from before" >&2; status=1; fi
    local left
    left=$(while read -r f; do if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi; done <<<"$shipped")
    [ -z "$left" ] || { echo "check_debs: FAILED: left after purge: $left" >&2; status=1; }
  fi
  rm -rf "$scratch"
  [ "$status" -ne 0 ] || echo "check_debs: ok ($(basename "${debs[0]}"), $(basename "${debs[1]}"))"
  exit "$status"
}
trap remove_packages EXIT

step "apt-get install ./libweft-dev_*.deb ./rotated_*.deb"
installed=true
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${debs[@]}" >"$scratch/apt.log" 2>&1 ||
  { cat "$scratch/apt.log" >&2; fail "apt-get install"; }
for p in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p")" = installed ] || fail "$p is not installed"
done

step "the installed rotated"
[ "$(command -v rotated)" = /usr/sbin/rotated ] || fail "rotated is not /usr/sbin/rotated on root's PATH"
rotated --version | grep "^rotated " >/dev/null || fail "rotated --version"
rotated --version
unit=/usr/lib/systemd/system/rotated.service
grep '^ExecStart=/usr/sbin/rotated --config /etc/rotated.toml$' "$unit" >/dev/null || fail "the unit does not start /usr/sbin/rotated"
for key in ProtectSystem=strict PrivateTmp=true NoNewPrivileges=true ReadWritePaths=; do
  grep "^$key" "$unit" >/dev/null || fail "the unit lacks $key"
done
zcat /usr/share/man/man8/rotated.8.gz | grep '^\.TH "rotated" "8"' >/dev/null || fail "no man page"

step "the demo configuration, run by the installed daemon"
demo=$scratch/demo
mkdir -p "$demo"
sed -e "s#@DIR@#$demo#g" -e "s#@DAILY_AT@#$(date -d '+4 seconds' +%H:%M:%S)#" \
  /usr/share/doc/rotated/examples/demo.toml >"$demo/demo.toml"
chmod 0600 "$demo/demo.toml"
for n in 1 2 3 4; do echo "line of file$n" >"$demo/file$n"; done
rotated --config "$demo/demo.toml" --check || fail "--check of the demo configuration"
rotated --config "$demo/demo.toml" --foreground --state-dir "$demo/state" >"$demo/log" 2>&1 &
daemon=$!
# Every job rotates within a few seconds: file1 every 3 s, file2 every 2 s
# (its second version gzipped), file3 past 1 KiB (inotify wakes it),
# file4 at a local time 4 s from now.
wanted=(file1.1 file2.2.gz file3.1 file4.1)
for _ in $(seq 100); do
  [ -s "$demo/file3.1" ] || printf '%01100d\n' 3 >>"$demo/file3"
  all=true
  for f in "${wanted[@]}"; do [ -e "$demo/$f" ] || all=false; done
  $all && break
  sleep 0.2
done
kill -TERM "$daemon"
wait "$daemon" || { cat "$demo/log" >&2; fail "the daemon did not exit 0 on SIGTERM"; }
for f in "${wanted[@]}"; do [ -e "$demo/$f" ] || { cat "$demo/log" >&2; fail "$f was not made within 20 s"; }; done
[ "$(cat "$demo/file4.1")" = "line of file4" ] || fail "file4.1 does not hold file4's line"
zcat "$demo/file2.2.gz" >/dev/null || fail "file2.2.gz is not gzip"
echo "demo: $(grep -c " rotated $demo/" "$demo/log" || true) rotations, each job at least once"

step "a consumer of the installed libweft-dev"
cmake -S tests/package/consumer -B "$scratch/consumer" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
found=$(sed -n 's/^weft_DIR:[A-Z]*=//p' "$scratch/consumer/CMakeCache.txt")
[ "$found" = "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/cmake/weft" ] || fail "find_package found weft at '$found'"
cmake --build "$scratch/consumer" >/dev/null
"$scratch/consumer/app" | grep "^weft consumer: ok" >/dev/null || fail "the find_package consumer did not run"
cflags=$(pkg-config --cflags weft) && libs=$(pkg-config --libs weft) || fail "pkg-config does not know weft"
# shellcheck disable=SC2086
c++ -std=c++20 $cflags tests/package/consumer/main.cpp -o "$scratch/app-pc" $libs ||
  fail "the consumer does not build with pkg-config's flags"
"$scratch/app-pc" | grep "^weft consumer: ok" >/dev/null || fail "the pkg-config consumer did not run"
echo "consumer: find_package(weft) at $found, pkg-config $(pkg-config --modversion weft)"
