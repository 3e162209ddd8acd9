#!/usr/bin/env bash
# Fuzzes every target in fuzz/ (or the ones named as arguments) for ${FUZZ_SECONDS:-60}
# seconds each, one after another, then minimises each target's corpus in place
# (cargo fuzz cmin), so what is committed under fuzz/corpus/ stays small. Crashes land
# in fuzz/artifacts/<target>/; the script goes on to the next target and fails at the
# end. The minimised corpus is replayed by plain `cargo test` (tests/fuzz_corpus.rs).
#
#   scripts/fuzz.sh                  # every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh apply payload
#
# Needs the nightly toolchain (rustup toolchain install nightly); installs cargo-fuzz
# when it is missing. Runs under `nice`: the machine may be shared.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${FUZZ_SECONDS:-60}"
# Inputs stay under 4 KiB: enough for every shape of input (a page of ~50 members), few
# enough bytes that the committed corpus stays small (examples/fuzz_corpus.rs: same bound).
max_len="${FUZZ_MAX_LEN:-4096}"
export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz: the nightly toolchain is missing: rustup toolchain install nightly" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz (a few minutes, once)"
  nice -n 10 cargo install cargo-fuzz
fi

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
fi
[ -d fuzz/corpus/payload ] || fuzz/make_corpus.sh

failed=()
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  echo "fuzz: $t for ${seconds}s"
  # -timeout: an input that takes seconds is a finding too (quadratic work on hostile input).
  # --sanitizer none: the core is safe Rust (no unsafe outside the wasm-only SIMD scan),
  # so AddressSanitizer finds nothing more and costs 2-3x the speed; overflow checks and
  # debug assertions stay on (cargo fuzz's default).
  # apply reads its input as a list of operations: longer inputs are longer scenarios,
  # so it starts at full length rather than growing inputs slowly (-len_control).
  extra=()
  [ "$t" = apply ] && extra=(-len_control=0 -max_len=1024)
  # fuzz/regressions/<target>: inputs of past findings, read as seeds (new inputs go to
  # the first folder only), never minimised away.
  seeds=()
  [ -d "fuzz/regressions/$t" ] && seeds=("fuzz/regressions/$t")
  if ! nice -n 10 cargo +nightly fuzz run --sanitizer none "$t" "fuzz/corpus/$t" "${seeds[@]}" -- \
      -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -print_final_stats=1 "${extra[@]}"; then
    failed+=("$t")
    continue
  fi
  echo "fuzz: minimising fuzz/corpus/$t"
  nice -n 10 cargo +nightly fuzz cmin --sanitizer none "$t" "fuzz/corpus/$t" -- -max_len="$max_len"
done

du -sh fuzz/corpus
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz: all targets passed"
