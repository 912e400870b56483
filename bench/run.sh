#!/usr/bin/env bash
# Issue 12's measurements, one command: `bench/run.sh [coldstart|benchmarks|all] [OUT]` (default: all, bench/out).
#   coldstart   publishes the native binaries (the slim `llmem` and `llmem-full`, which adds serve and plot) and the
#               JIT build, then times all three with hyperfine in ONE run
#   benchmarks  runs the BenchmarkDotNet suite (bench/LlmMem.Benchmarks) with the short job
# Prints Markdown for docs/performance.md: the machine, whether it was otherwise idle, and the tables.
# LLMEM_BENCH_REUSE=1 skips publishing when OUT already holds the builds.
# LLMEM_BENCH_BASELINE=PATH adds another native llmem (e.g. an earlier commit's) to the same hyperfine run.
# Needs the .NET 10 SDK and, for coldstart, hyperfine (Debian: apt-get install hyperfine). Not part of `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
out=${2:-bench/out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Other dotnet processes on a small machine skew every number: say whether there were any.
others() { pgrep -fa 'dotnet|llmem' | grep -v -e "$$" -e 'bench/run.sh' || true; }

machine() {
  echo "- Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM"
  echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "- .NET SDK $(dotnet --version); $(hyperfine --version 2>/dev/null || echo 'hyperfine not installed')"
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (src modified)')"
  local busy; busy=$(others)
  echo "- Other dotnet processes at start: ${busy:-none}"
  echo "- Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

coldstart() {
  local command='infer meta-llama/Llama-3.1-8B --format json'
  # LLMEM_BENCH_REUSE=1 times the binaries already in OUT again (a run disturbed by other processes), without publishing.
  if [ "${LLMEM_BENCH_REUSE:-0}" != 1 ] || [ ! -x "$out/aot/llmem" ] || [ ! -x "$out/aot/llmem-full" ]; then
    rm -rf "$out/aot" "$out/full" "$out/jit"
    # The slim llmem (serve and plot left out by the feature switch in LlmMem.Cli.csproj), then llmem-full copied
    # beside it: each in its own folder, because a publish deletes what the previous one into the same folder left.
    dotnet publish src/LlmMem.Cli -r linux-x64 -c Release -p:PublishAot=true -o "$out/aot" > "$out/aot-publish.log" 2>&1
    dotnet publish src/LlmMem.Cli -r linux-x64 -c Release -p:PublishAot=true -p:LlmMemFull=true -o "$out/full" > "$out/aot-full-publish.log" 2>&1
    cp "$out/full/llmem-full" "$out/aot/"
    dotnet publish src/LlmMem.Cli -c Release -o "$out/jit" > "$out/jit-publish.log" 2>&1
  fi
  local warnings; warnings=$(cat "$out/aot-publish.log" "$out/aot-full-publish.log" | grep -cE 'warning (IL|CS|CA)[0-9]+' || true)
  local binary
  for binary in "$out/aot/llmem" "$out/aot/llmem-full" ${LLMEM_BENCH_BASELINE:+"$LLMEM_BENCH_BASELINE"}; do
    if ! cmp -s <("$binary" $command) <(dotnet "$out/jit/llmem.dll" $command); then
      echo "$binary and the JIT build print different output for '$command'" >&2
      exit 1
    fi
  done

  local baseline=()
  if [ -n "${LLMEM_BENCH_BASELINE:-}" ]; then
    baseline=(-n "baseline: $LLMEM_BENCH_BASELINE $command" "$LLMEM_BENCH_BASELINE $command")
  fi
  hyperfine -N --warmup 5 --runs 30 --export-markdown "$out/coldstart.md" --export-json "$out/coldstart.json" \
    -n "AOT: llmem $command" "$out/aot/llmem $command" \
    -n "AOT: llmem-full $command" "$out/aot/llmem-full $command" \
    "${baseline[@]}" \
    -n "JIT: dotnet llmem.dll $command" "dotnet $out/jit/llmem.dll $command" > "$out/coldstart.log" 2>&1
  local busy; busy=$(others)
  echo "### Cold start"
  echo
  echo "Other dotnet processes right after hyperfine: ${busy:-none}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "AOT publishes: $warnings trim/AOT warnings; llmem $(stat -c %s "$out/aot/llmem") bytes, llmem-full $(stat -c %s "$out/aot/llmem-full") bytes${LLMEM_BENCH_BASELINE:+, baseline $(stat -c %s "$LLMEM_BENCH_BASELINE") bytes}."
  echo
  cat "$out/coldstart.md"
  echo
  # hyperfine's summary: how many times faster the first command ran than each other one.
  sed -n '/^Summary/,$p' "$out/coldstart.log" | sed 's/^ *//'
  echo
  # CPU time per run (user + sys), a steadier signal than wall time on a loaded machine.
  python3 - "$out/coldstart.json" <<'PY' 2>/dev/null || true
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"- {r['command']}: user+sys {1000 * (r['user'] + r['system']):.1f} ms, median {1000 * r['median']:.1f} ms")
PY
  echo
}

benchmarks() {
  dotnet run -c Release --project bench/LlmMem.Benchmarks -- --filter '*' --job short \
    --artifacts "$out/bdn" > "$out/benchmarks.log" 2>&1
  echo "### Benchmarks (BenchmarkDotNet, --job short)"
  for report in "$out"/bdn/results/*-report-github.md; do
    echo
    # Keep the environment header once; every report repeats it.
    sed -n '/^|/p' "$report" | sed "s/&#39;//g"
  done
  echo
  sed -n '/^BenchmarkDotNet v/,/^$/p' "$out"/bdn/results/*-report-github.md | head -6 | sed 's/^/    /'
}

machine
case "$what" in
  coldstart) coldstart ;;
  benchmarks) benchmarks ;;
  all) coldstart; benchmarks ;;
  *) echo "usage: bench/run.sh [coldstart|benchmarks|all] [OUT]" >&2; exit 2 ;;
esac
busy=$(others)
echo
echo "- Other dotnet processes at the end: ${busy:-none}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
