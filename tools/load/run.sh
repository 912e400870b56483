#!/usr/bin/env bash
# Issue 13, part 2: `llmem serve` under load, one command: `tools/load/run.sh` (from anywhere in the repository).
# Publishes llmem (Release, the Native AOT binary; the JIT build when AOT cannot be published), starts `llmem serve` on
# 127.0.0.1 (port 0: the kernel picks a free one and the server prints it), waits until it answers, and runs wrk
# closed-loop (each connection sends its next request when the last one is answered) at 1, 16 and 64 connections
# against the estimate API and the page. Prints a Markdown table and rewrites docs/robustness.md between its markers
# (only that part of the file). Exits 1 when a run had errors or missed the p99 target.
# Environment:
#   LOAD_DURATION=10s        per run (wrk's -d); LOAD_CONNECTIONS="1 16 64"
#   LOAD_REUSE=1             reuse the binary already in tools/load/out (no publish)
#   LOAD_JIT=1               the JIT build (dotnet llmem.dll) instead of Native AOT
#   LOAD_DOC=docs/robustness.md  where the table goes; LOAD_DOC= (empty) prints only
# Needs the .NET 10 SDK, wrk (Debian: apt-get install wrk), curl. Not part of `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out=$root/tools/load/out
duration=${LOAD_DURATION:-10s}
connections=${LOAD_CONNECTIONS:-1 16 64}
doc=${LOAD_DOC-docs/robustness.md}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The issue's targets: no errors at all, and an estimate's p99 at 16 connections within 20 ms.
readonly TARGET_P99_US=20000 TARGET_CONNECTIONS=16
# wrk's threads: at most 2 (this is a small machine; wrk needs threads <= connections).
readonly MAX_THREADS=2
# How long `llmem serve` may take to print its address and answer (a cold JIT start on a busy machine is a few seconds).
readonly READY_SECONDS=60

mkdir -p "$out"
publish() {
  if [ "${LOAD_REUSE:-0}" = 1 ] && [ -x "$out/aot/llmem-full" -o -f "$out/jit/llmem.dll" ]; then
    return
  fi

  rm -rf "$out/aot" "$out/jit"
  # The slim native `llmem` hands serve to llmem-full (README, "Native binary"): the server is llmem-full itself.
  if [ "${LOAD_JIT:-0}" != 1 ] && dotnet publish src/LlmMem.Cli -r linux-x64 -c Release -p:PublishAot=true -p:LlmMemFull=true -o "$out/aot" > "$out/publish.log" 2>&1; then
    return
  fi

  echo "load: Native AOT publish failed or LOAD_JIT=1; using the JIT build (see $out/publish.log)" >&2
  dotnet publish src/LlmMem.Cli -c Release -o "$out/jit" >> "$out/publish.log" 2>&1
}
publish
if [ "${LOAD_JIT:-0}" != 1 ] && [ -x "$out/aot/llmem-full" ]; then
  server=("$out/aot/llmem-full") kind="Native AOT llmem-full (linux-x64, Release)"
else
  server=(dotnet "$out/jit/llmem.dll") kind="JIT (dotnet llmem.dll, Release)"
fi

# The server: started here, stopped on any exit (SIGTERM lets ASP.NET Core shut down; SIGKILL if it has not within 10 s).
pid=""
stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}
trap stop EXIT
trap 'exit 130' INT TERM

# HF_HUB_OFFLINE=1: the catalog model needs no network, and nothing under load may reach one.
HF_HUB_OFFLINE=1 HF_HOME="$out/hf-home" "${server[@]}" serve --urls http://127.0.0.1:0 > "$out/serve.log" 2>&1 &
pid=$!
url=""
for _ in $(seq $((READY_SECONDS * 10))); do
  url=$(sed -n 's/^llmem: the web calculator is at \(http[^ ]*\).*/\1/p' "$out/serve.log" | head -1)
  if [ -n "$url" ] && curl -sf -o /dev/null "$url/api/gpus"; then break; fi
  kill -0 "$pid" 2>/dev/null || { echo "load: llmem serve exited:" >&2; cat "$out/serve.log" >&2; exit 1; }
  url=""
  sleep 0.1
done
[ -n "$url" ] || { echo "load: llmem serve did not answer within $READY_SECONDS s" >&2; exit 1; }

# The bodies: what the page sends for a vLLM estimate on an H100, and a QLoRA training step.
cat > "$out/infer.json" <<'JSON'
{"model": "llama-3.1-8b", "engine": "vllm", "gpu": "h100-sxm-80gb", "context": 8192, "max_num_seqs": 64}
JSON
cat > "$out/train.json" <<'JSON'
{"model": "llama-3.1-8b", "method": "qlora", "rank": 16, "context": 2048, "checkpointing": "full", "gpu": "rtx-4090"}
JSON
for body in infer train; do
  status=$(curl -s -o "$out/$body.answer" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$out/$body.json" "$url/api/$body")
  [ "$status" = 200 ] || { echo "load: POST /api/$body answered $status: $(head -c 300 "$out/$body.answer")" >&2; exit 1; }
done

load_average() { cut -d' ' -f1-3 /proc/loadavg; }
machine_before=$(load_average)
busy_before=$( (pgrep -fa 'dotnet|vstest|testhost|csc|MSBuild' | grep -v -e "$out" || true) | wc -l)

# One wrk run: prints "name|connections|requests/s|p50 ms|p99 ms|errors" and whether the target holds.
failed=0
rows=()
run() { # name method path body connections
  local name=$1 method=$2 path=$3 body=$4 c=$5 threads line
  threads=$(( c < MAX_THREADS ? c : MAX_THREADS ))
  line=$(LOAD_METHOD=$method LOAD_BODY=$body wrk -t "$threads" -c "$c" -d "$duration" --timeout 10s --latency \
    -s tools/load/wrk.lua "$url$path" | grep '^LOAD ' || true)
  [ -n "$line" ] || { echo "load: wrk printed no summary for $name at $c connections" >&2; failed=1; return; }
  local requests duration_us p50 p99 non2xx socket timeouts
  requests=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<< "$line")
  duration_us=$(sed -n 's/.* duration_us=\([0-9]*\).*/\1/p' <<< "$line")
  p50=$(sed -n 's/.* p50_us=\([0-9]*\).*/\1/p' <<< "$line")
  p99=$(sed -n 's/.* p99_us=\([0-9]*\).*/\1/p' <<< "$line")
  non2xx=$(sed -n 's/.* non2xx=\([0-9]*\).*/\1/p' <<< "$line")
  socket=$(sed -n 's/.* socket_errors=\([0-9]*\).*/\1/p' <<< "$line")
  timeouts=$(sed -n 's/.* timeouts=\([0-9]*\).*/\1/p' <<< "$line")
  local errors=$((non2xx + socket + timeouts)) verdict=""
  [ "$errors" = 0 ] || { failed=1; verdict=" ✗ errors"; }
  if [ "$name" = "POST /api/infer" ] && [ "$c" = "$TARGET_CONNECTIONS" ]; then
    if [ "$p99" -le "$TARGET_P99_US" ]; then verdict="$verdict ✓ p99 target"; else failed=1; verdict="$verdict ✗ p99 over $((TARGET_P99_US / 1000)) ms"; fi
  fi
  rows+=("| $name | $c | $threads | $requests | $(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1e6) }') | $(awk -v u="$p50" 'BEGIN { printf "%.2f", u / 1000 }') | $(awk -v u="$p99" 'BEGIN { printf "%.2f", u / 1000 }') | $non2xx / $socket / $timeouts$verdict |")
  echo "load: ${rows[-1]}" >&2
}

# A short unreported warm-up per endpoint (first requests fill the catalog and GPU caches; the JIT build compiles).
for target in "POST /api/infer|$out/infer.json" "GET /|" "POST /api/train|$out/train.json"; do
  name=${target%%|*} body=${target#*|}
  LOAD_METHOD=${name%% *} LOAD_BODY=$body wrk -t 1 -c 4 -d 2s -s tools/load/wrk.lua "$url${name#* }" > /dev/null
done

for target in "POST /api/infer|$out/infer.json" "GET /|" "POST /api/train|$out/train.json"; do
  name=${target%%|*} body=${target#*|}
  for c in $connections; do
    run "$name" "${name%% *}" "${name#* }" "$body" "$c"
  done
done

machine_after=$(load_average)
# A load average above half the cores at start means other work shared the CPU: say so beside the figures.
busy_note=""
if awk -v l="${machine_before%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  busy_note="The machine was busy during this run (load average ${machine_before%% *} on $(nproc) cores at the start): the tails
(p99) show the scheduler as much as the server; compare the static page's p99 with the estimate's.
"
fi
section=$(cat <<EOF
Measured by \`tools/load/run.sh\` (wrk, closed loop, $duration per row, after a 2 s warm-up per endpoint; the server and
wrk share the machine). Targets: 0 errors; p99 ≤ $((TARGET_P99_US / 1000)) ms for \`POST /api/infer\` at $TARGET_CONNECTIONS connections.

- Machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores (nproc)
- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (src modified)')
- Binary: $kind; $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)
- Load average before / after: $machine_before / $machine_after; other .NET build or test processes at start: $busy_before
- Bodies: infer \`$(tr -d '\n' < "$out/infer.json")\`; train \`$(tr -d '\n' < "$out/train.json")\`

$busy_note
| Endpoint | Connections | wrk threads | Requests | Requests/s | p50 (ms) | p99 (ms) | Errors: non-2xx / socket / timeouts |
|---|---:|---:|---:|---:|---:|---:|---|
$(printf '%s\n' "${rows[@]}")
EOF
)
echo "$section"

# Rewrite only the text between the markers; add the section (with its markers) when the file has none.
if [ -n "$doc" ]; then
  begin='<!-- load:begin (tools/load/run.sh writes between these markers) -->' end='<!-- load:end -->'
  [ -f "$doc" ] || printf '# Robustness\n' > "$doc"
  if ! grep -qF "$begin" "$doc"; then
    printf '\n## Server under load\n\n%s\n%s\n' "$begin" "$end" >> "$doc"
  fi
  printf '%s\n' "$section" > "$out/section.md"
  awk -v begin="$begin" -v end="$end" -v file="$out/section.md" '
    $0 == begin { print; while ((getline line < file) > 0) print line; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }' "$doc" > "$out/doc.tmp"
  mv "$out/doc.tmp" "$doc"
  echo "load: wrote the table into $doc" >&2
fi

exit "$failed"
