#!/usr/bin/env bash
# Idempotent machine setup for the build: each step checks first and does nothing when
# already done, so `npm test` / `npm start` can run it every time.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# 0. Cargo.lock, from the committed pins: Cargo.lock.pinned is Cargo.lock without the
#    `source` lines that name the registry (the repository names no registry's host);
#    the pinned versions and checksums are all there. Each registry crate's source is
#    the one cargo itself gives Cargo.toml's dependencies. Builds are `--locked`, so a
#    dependency change without new pins (scripts/pin-crates.sh) fails loudly.
if [ -f Cargo.lock.pinned ] && ! { [ -f Cargo.lock ] && grep -v '^source = ' Cargo.lock | cmp -s - Cargo.lock.pinned; }; then
  registry=$(cargo metadata --no-deps --offline --format-version 1 | grep -o '"source":"registry+[^"]*"' | head -n 1 | sed 's/^"source":"//; s/"$//')
  if [ -z "$registry" ]; then
    echo "setup: cargo metadata named no registry source for Cargo.toml's dependencies" >&2
    exit 1
  fi
  [ -f Cargo.lock ] && echo "setup: Cargo.lock differs from Cargo.lock.pinned; rewriting it (after a deliberate update, run scripts/pin-crates.sh)"
  awk -v source="$registry" '/^checksum = /{ print "source = \"" source "\"" } { print }' Cargo.lock.pinned > Cargo.lock
  echo "setup: wrote Cargo.lock from Cargo.lock.pinned"
fi

# 1. The wasm target for rustc.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. The wasm-bindgen CLI, which must equal the crate version pinned with `=` in
#    Cargo.toml exactly. No --locked: its lockfile asks for a crate version the registry
#    here lacks.
want=$(sed -n 's/^wasm-bindgen *= *"=\([0-9.]*\)".*/\1/p' Cargo.toml)
if [ -z "$want" ]; then
  echo "setup: no exact wasm-bindgen pin (wasm-bindgen = \"=x.y.z\") found in Cargo.toml" >&2
  exit 1
fi
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "setup: installing wasm-bindgen-cli $want (found: ${have:-none}); takes a few minutes"
  # --force: cargo may remember an install whose binary is gone.
  cargo install --force wasm-bindgen-cli --version "$want"
fi

# 3. Root dev dependencies (binaryen's wasm-opt, miniflare, typescript), when
#    node_modules is missing or older than the manifest / lockfile.
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || { [ -f package-lock.json ] && [ package-lock.json -nt "$stamp" ]; }; then
  echo "setup: installing npm dev dependencies"
  if [ -f package-lock.json ]; then npm ci; else npm install; fi
fi

# 4. Chromium from Debian's packages, for the validator page's tests (playwright-core
#    drives /usr/bin/chromium; it never downloads a browser).
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing chromium (apt); takes a couple of minutes"
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium
fi

# 5. Firefox ESR from Debian's packages, for the pages' smoke test in Firefox
#    (tests/js/page/firefox.test.mjs: puppeteer-core drives /usr/bin/firefox-esr over
#    WebDriver BiDi; it never downloads a browser).
if [ ! -x /usr/bin/firefox-esr ]; then
  echo "setup: installing firefox-esr (apt); takes a couple of minutes"
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq firefox-esr
fi

# 6. PostgreSQL from Debian's packages, for the receiver's tests and benches on a real
#    server (scripts/pg-cluster.mjs starts a throwaway cluster with its binaries; the
#    package's own cluster and service are never used).
if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' > /dev/null; then
  echo "setup: installing postgresql (apt); takes a minute or two"
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql
fi
