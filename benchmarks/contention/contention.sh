#!/bin/bash
# contention.sh SERVER_DLL STREAMS CONNECTIONS OUT_PREFIX [DURATION_S]
#
# Runs `e2e --modes analyze` (one round of DURATION_S, default 20, after a 5 s warm-up) against
# SERVER_DLL and attaches to the server process e2e starts: dotnet-counters (System.Runtime,
# per second, CSV) and dotnet-trace with the runtime's contention events and their stacks; then
# attributes every contention to the code that owns the lock (ContentionTrace). Needs
# `dotnet tool install --global dotnet-counters dotnet-trace` and a Release build of the
# benchmarks. Writes OUT_PREFIX.{e2e.log,counters.csv,nettrace,attribution.txt}.
set -eu
DLL=$1; STREAMS=$2; CONNECTIONS=$3; OUT=$4; DURATION=${5:-20}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export PATH=$PATH:$HOME/.dotnet/tools
TOOL=$(dirname "$(find "$HOME/.dotnet/tools/.store/dotnet-trace" -name Microsoft.Diagnostics.Tracing.TraceEvent.dll | head -1)")
PARSER="$HERE/ContentionTrace/bin/Release/net10.0/ContentionTrace.dll"
[ -f "$PARSER" ] || dotnet build "$HERE/ContentionTrace" -c Release -p:TraceEventDir="$TOOL" > /dev/null

dotnet "$ROOT/benchmarks/AlsAnalyzer.Benchmarks/bin/Release/net10.0/AlsAnalyzer.Benchmarks.dll" e2e --modes analyze \
  --streams "$STREAMS" --connections "$CONNECTIONS" --rounds 1 --duration "$DURATION" --warmup 5 --h2load off \
  --server "$DLL" > "$OUT.e2e.log" 2>&1 &
E2E=$!
SERVER=
for _ in $(seq 1 300); do
  for child in $(pgrep -P $E2E || true); do
    if tr '\0' ' ' < "/proc/$child/cmdline" 2>/dev/null | grep -q AlsAnalyzer.Server.dll; then SERVER=$child; fi
  done
  [ -n "$SERVER" ] && break
  sleep 0.1
done
[ -n "$SERVER" ] || { echo "no server process under e2e (pid $E2E)"; exit 1; }
sleep 1
dotnet-counters collect -p "$SERVER" --counters System.Runtime --format csv -o "$OUT.counters.csv" --refresh-interval 1 > /dev/null 2>&1 &
COUNTERS=$!
# The trace stops while the server still runs, so that its method names are resolved (rundown).
dotnet-trace collect -p "$SERVER" --providers Microsoft-Windows-DotNETRuntime:0x4000:4 \
  --duration "00:00:00:$((DURATION + 3))" -o "$OUT.nettrace" > /dev/null 2>&1
wait $E2E
wait $COUNTERS || true
grep -E "round 1|accounting" "$OUT.e2e.log"
dotnet "$PARSER" "$OUT.nettrace" > "$OUT.attribution.txt"
cat "$OUT.attribution.txt"
# Per-second monitor lock contentions over the seconds the server was busy (> 0.3 CPU-s/s).
python3 - "$OUT.counters.csv" <<'PY'
import csv, sys, statistics, collections
rows = collections.defaultdict(dict)
for r in csv.DictReader(open(sys.argv[1])):
    rows[r['Timestamp']][r['Counter Name']] = float(r['Mean/Increment'])
busy = [c['dotnet.monitor.lock_contentions ({contention} / 1 sec)'] for c in rows.values()
        if 'dotnet.monitor.lock_contentions ({contention} / 1 sec)' in c
        and sum(v for k, v in c.items() if k.startswith('dotnet.process.cpu.time')) > 0.3]
if busy:
    print(f"dotnet.monitor.lock_contentions per busy second: median {statistics.median(busy):.0f}, max {max(busy):.0f}, total {sum(busy):.0f} over {len(busy)} s")
PY
