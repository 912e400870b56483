#!/usr/bin/env bash
# Issue 13's fuzzing, one command: `fuzz/run.sh TARGET SECONDS [EXECS] [OUT]` (OUT defaults to fuzz/out).
#   TARGET   gguf | safetensors (header and index) | config (config.json) | hub (model-info and tree answers) | hubcache (llmem's cached files.json)
#   SECONDS  the campaign's wall-clock length (afl-fuzz -V); EXECS, when given, also stops it after about that many executions (-E)
# Publishes fuzz/LlmMem.Fuzz, instruments LlmMem.Formats.dll and LlmMem.dll with sharpfuzz (the local tool in
# .config/dotnet-tools.json), writes the target's seeds (built by the reader tests' builders), runs afl-fuzz under nice,
# then prints the campaign's figures and replays every crash and hang it saved (fuzz/LlmMem.Fuzz `replay`).
# A finding is fixed in the reader and its input added to tests/LlmMem.Formats.Tests/TestData/fuzz/TARGET/ (FuzzFindingsTests).
# Needs the .NET 10 SDK and AFL++ (Debian: apt-get install afl++). Not part of `dotnet test`; results in docs/robustness.md.
# LLMEM_FUZZ_REUSE=1 skips publishing and instrumenting when OUT already holds both builds.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET SECONDS [EXECS] [OUT]}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS [EXECS] [OUT]}
execs=${3:-}
out=${4:-fuzz/out}
case "$target" in
  gguf) dict=fuzz/dictionaries/gguf.dict ;;
  safetensors|config|hub|hubcache) dict=fuzz/dictionaries/json.dict ;;
  *) echo "unknown target '$target' (gguf, safetensors, config, hub, hubcache)" >&2; exit 2 ;;
esac
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Two copies of one build: instrumented code writes AFL's coverage map, which exists only under afl-fuzz, so seeds and
# replays run the plain copy.
build=$out/build
afl=$out/build-afl

if [ "${LLMEM_FUZZ_REUSE:-0}" != 1 ] || [ ! -f "$afl/.instrumented" ]; then
  rm -rf "$build" "$afl"
  dotnet tool restore > /dev/null
  dotnet publish fuzz/LlmMem.Fuzz -c Release -o "$build" > "$out/publish.log" 2>&1 || { cat "$out/publish.log" >&2; exit 1; }
  cp -r "$build" "$afl"
  # Coverage feedback from the readers and the domain they fill (shapes, parameter counts); not from the BCL.
  for dll in LlmMem.Formats.dll LlmMem.dll; do
    dotnet sharpfuzz "$afl/$dll" > "$out/instrument-$dll.log" 2>&1 || { cat "$out/instrument-$dll.log" >&2; exit 1; }
  done
  touch "$afl/.instrumented"
fi

campaign=$out/$target
rm -rf "$campaign"
mkdir -p "$campaign"
dotnet "$build/LlmMem.Fuzz.dll" seeds "$target" "$campaign/seeds"

# AFL_SKIP_BIN_CHECK: the target is `dotnet`, not an afl-instrumented binary (SharpFuzz speaks AFL's fork-server protocol).
# No system tuning (no root): skip the CPU-governor and core-pattern checks instead.
limits=(-V "$seconds")
[ -n "$execs" ] && limits+=(-E "$execs")
started=$(date -u '+%Y-%m-%d %H:%M UTC')
AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
  nice -n 10 afl-fuzz -i "$campaign/seeds" -o "$campaign/findings" -x "$dict" -t 5000 -m none "${limits[@]}" \
  -- dotnet "$afl/LlmMem.Fuzz.dll" fuzz "$target" > "$campaign/afl.log" 2>&1 || { tail -30 "$campaign/afl.log" >&2; exit 1; }

stats=$campaign/findings/default/fuzzer_stats
stat() { sed -n "s/^$1 *: //p" "$stats"; }
echo "## $target"
echo "- Started: $started; machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores (shared), $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "- afl-fuzz $(stat afl_version), SharpFuzz $(sed -n 's/.*"version": "\(.*\)".*/\1/p' .config/dotnet-tools.json | head -1), .NET SDK $(dotnet --version)"
echo "- Executions: $(stat execs_done) in $(stat run_time) s ($(stat execs_per_sec) exec/s)"
echo "- Corpus: $(stat corpus_count) inputs from $(ls "$campaign/seeds" | wc -l) seeds; edges covered $(stat bitmap_cvg); stability $(stat stability)"
echo "- Crashes: $(stat saved_crashes); hangs: $(stat saved_hangs)"
echo "- Command: fuzz/run.sh $*"
found=$(find "$campaign/findings/default/crashes" "$campaign/findings/default/hangs" -type f -name 'id:*' 2>/dev/null || true)
if [ -n "$found" ]; then
  echo
  echo "Replay of what it saved:"
  # shellcheck disable=SC2086
  dotnet "$build/LlmMem.Fuzz.dll" replay "$target" $found | sed 's/^/    /' || true
fi
