#!/usr/bin/env bash
# Writes Cargo.lock.pinned from Cargo.lock after a deliberate dependency change (a new
# crate in Cargo.toml, `cargo update`): the same file without its `source` lines, which
# name the registry the crates came from. scripts/setup.sh writes Cargo.lock back from
# it, and every build is `--locked` to it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 >/dev/null # resolves, so Cargo.lock matches Cargo.toml
grep -v '^source = ' Cargo.lock > Cargo.lock.pinned
echo "pin-crates: wrote Cargo.lock.pinned ($(grep -c '^\[\[package\]\]' Cargo.lock.pinned) packages)"
