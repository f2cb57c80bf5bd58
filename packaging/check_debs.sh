#!/usr/bin/env bash
# Builds weft's Debian packages (libweft-dev, rotated) with CPack and checks
# them the way a user gets them, without touching this machine's /usr:
#   1. a Release build of the library, rotated and its man page, then
#      `cpack -G DEB`;
#   2. `apt-get install --simulate` of both .debs: their dependencies
#      resolve from Debian 12's archive (or this machine's packages);
#   3. `dpkg --root` installs both into an empty root (its own dpkg
#      database), as `apt-get install ./*.deb` would into /;
#   4. the installed rotated: --version, its man page, its unit naming
#      /usr/sbin/rotated, and its demo configuration checked and rotated
#      once (--once --force) in a scratch directory;
#   5. the consumer project (tests/package/consumer) built against the
#      installed libweft-dev with find_package(weft) and run;
#   6. `dpkg --root -r` of both leaves nothing behind.
# Usage: packaging/check_debs.sh [BUILD_DIR]   (default build/deb)
# Exit status 0 when every check passed. Needs cmake, a C++20 compiler,
# pandoc and dpkg-dev (.ci/install-deps).
set -euo pipefail
# No `| grep -q` below: under pipefail, grep -q's early exit can kill the
# writer with SIGPIPE and fail a check that matched (the man page grew past
# a pipe buffer and did exactly that); grep >/dev/null reads to the end.
cd "$(dirname "$0")/.."
build=${1:-build/deb}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

step() { echo "=== check_debs: $*" >&2; }
fail() { echo "check_debs: FAILED: $*" >&2; exit 1; }

step "build ($build)"
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF -DWEFT_BUILD_EXAMPLES=ON \
  -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target weft rotated rotated_man
rm -f "$build"/*.deb
(cd "$build" && cpack -G DEB >/dev/null)
dev_deb=$(ls "$build"/libweft-dev_*.deb)
rotated_deb=$(ls "$build"/rotated_*.deb)
echo "$dev_deb"; echo "$rotated_deb"

step "dependencies resolve (apt-get install --simulate)"
apt-get install --simulate -q "$PWD/$dev_deb" "$PWD/$rotated_deb" >/dev/null ||
  fail "apt-get cannot resolve the packages' dependencies"
dpkg-deb --field "$rotated_deb" Depends

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
root=$scratch/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
dpkg_root=(dpkg --root="$root" --log=/dev/null --force-depends --force-not-root --force-script-chrootless)

step "install into $root"
# (--force-depends: the empty root has no libc6; apt resolved them above.)
"${dpkg_root[@]}" -i "$dev_deb" "$rotated_deb" >/dev/null 2>"$scratch/dpkg.err" ||
  { cat "$scratch/dpkg.err" >&2; fail "dpkg -i"; }
libdir=usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for f in usr/sbin/rotated usr/lib/systemd/system/rotated.service usr/share/man/man8/rotated.8.gz \
         usr/share/doc/rotated/examples/demo.toml usr/include/weft/fiber.hpp "$libdir/libweft.a" \
         "$libdir/cmake/weft/weftConfig.cmake" "$libdir/pkgconfig/weft.pc"; do
  [ -e "$root/$f" ] || fail "$f is not installed"
done
"${dpkg_root[@]}" -L rotated | grep -x /usr/sbin/rotated >/dev/null || fail "dpkg does not list /usr/sbin/rotated"

step "the installed rotated"
rotated=$root/usr/sbin/rotated
"$rotated" --version | grep "^rotated " >/dev/null || fail "rotated --version"
grep -q '^ExecStart=/usr/sbin/rotated --config /etc/rotated.toml$' "$root/usr/lib/systemd/system/rotated.service" ||
  fail "the unit does not start /usr/sbin/rotated"
for key in ProtectSystem=strict PrivateTmp=true NoNewPrivileges=true ReadWritePaths=; do
  grep -q "^$key" "$root/usr/lib/systemd/system/rotated.service" || fail "the unit lacks $key"
done
zcat "$root/usr/share/man/man8/rotated.8.gz" | grep '^\.TH "rotated" "8"' >/dev/null || fail "no man page"
demo=$scratch/demo
mkdir -p "$demo"
sed -e "s#@DIR@#$demo#g" -e "s#@DAILY_AT@#12:34:56#" "$root/usr/share/doc/rotated/examples/demo.toml" > "$demo/demo.toml"
chmod 0600 "$demo/demo.toml"
for n in 1 2 3 4; do echo "line of file$n" > "$demo/file$n"; done
"$rotated" --config "$demo/demo.toml" --check || fail "--check of the demo configuration"
"$rotated" --config "$demo/demo.toml" --once --force --state-dir "$demo/state" || fail "--once --force of the demo"
for n in 1 2 3 4; do
  [ "$(cat "$demo/file$n.1")" = "line of file$n" ] || fail "file$n was not rotated"
  [ -e "$demo/file$n" ] && [ ! -s "$demo/file$n" ] || fail "no fresh empty file$n"
done

step "a consumer of the installed libweft-dev"
cmake -S tests/package/consumer -B "$scratch/consumer" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$root/usr" >/dev/null
cmake --build "$scratch/consumer" >/dev/null
"$scratch/consumer/app" | grep "^weft consumer: ok" >/dev/null || fail "the consumer did not run"

step "removal"
"${dpkg_root[@]}" --purge rotated libweft-dev >/dev/null
left=$(if [ -d "$root/usr" ]; then find "$root/usr" -type f | head -5; fi)
[ -z "$left" ] || fail "files left after removal: $left"
echo "check_debs: ok ($(basename "$dev_deb"), $(basename "$rotated_deb"))"
