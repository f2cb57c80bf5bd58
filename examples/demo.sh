#!/usr/bin/env bash
# The README's first command: installs what is missing, builds weft and its
# examples, and runs the demo: rotated, the bundled file-rotation daemon, on
# the four jobs of the original asyncio sketch (two files rotated by
# interval, one by size, one at a local time of day) in a temporary
# directory, while a writer appends to the files for about 15 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
.ci/install-deps
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
echo "demo: building weft and its examples (build/demo) ..."
cmake -S . -B build/demo "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF >/dev/null
cmake --build build/demo -j "$(nproc)" >/dev/null
rotated=build/demo/examples/rotated/rotated

dir=$(mktemp -d "${TMPDIR:-/tmp}/rotated-demo.XXXXXX")
daily_at=$(date -d '+9 seconds' +%H:%M:%S)
sed -e "s|@DIR@|$dir|g" -e "s|@DAILY_AT@|$daily_at|g" examples/rotated/demo.toml >"$dir/demo.toml"
chmod 600 "$dir/demo.toml"   # as root, rotated refuses a configuration others may write

echo "demo: configuration $dir/demo.toml (file4 rotates daily at $daily_at local time):"
"$rotated" --config "$dir/demo.toml" --check
echo "demo: the time-triggered rotations of the next 12 s, as --schedule computes them"
echo "      (UTC, then local time with its offset; TZ=${TZ:-system default}):"
"$rotated" --config "$dir/demo.toml" --schedule "$(date -Iseconds)" "$(date -d '+12 seconds' -Iseconds)" | sed 's/^/  /'
echo "demo: and file4 (daily) over the next three days:"
"$rotated" --config "$dir/demo.toml" --schedule "$(date -Iseconds)" "$(date -d '+3 days' -Iseconds)" | grep /file4 | sed 's/^/  /'
echo
echo "demo: rotated runs for 15 s on one thread while a writer appends to the four files;"
echo "      each line below is one action, as it happens:"
"$rotated" --config "$dir/demo.toml" --foreground --state-dir "$dir/state" &
daemon=$!

# The writer: a numbered line to each file every 50 ms; file3 also gets a
# 120-byte record each time, so it passes 1 KiB about every half second.
record=$(printf '%0120d' 0)
end=$((SECONDS + 15))
n=0
while [ $SECONDS -lt $end ]; do
  n=$((n + 1))
  for f in file1 file2 file4; do echo "$f line $n" >>"$dir/$f"; done
  echo "file3 line $n $record" >>"$dir/file3"
  sleep 0.05
done

kill -TERM "$daemon"
status=0
wait "$daemon" || status=$?
echo
echo "demo: rotated exited with status $status after SIGTERM; the writer wrote $n lines to each file."
echo "demo: the files in $dir:"
(cd "$dir" && ls -l --time-style=+%H:%M:%S file* | awk '{printf "  %-12s %6s bytes  %s\n", $7, $5, $6}')
echo "demo: file2's versions 2..5 are gzipped: 'zcat $dir/file2.2.gz | head -3' shows"
zcat "$dir/file2.2.gz" 2>/dev/null | head -3 | sed 's/^/  /' || true
echo "demo: state file $dir/state/state:"
sed 's/^/  /' "$dir/state/state"
