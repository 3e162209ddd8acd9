#!/usr/bin/env sh
# Writes the seed corpus of every fuzz target under fuzz/corpus/<target>/: the payload
# fixtures (valid and invalid), planned bodies, snapshots, op sequences and argument
# texts (examples/fuzz_corpus.rs says which). Safe to run again: seeds are named by
# content. Run from anywhere; `scripts/fuzz.sh` minimises the corpus afterwards.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
nice -n 10 cargo run --quiet --example fuzz_corpus -- fuzz/corpus
