#!/usr/bin/env bash
# The VS Code extension's CI: install the pinned packages, type-check, lint, bundle,
# package the .vsix (with the server built by `cargo build --release`), and run its tests
# against that server. Any failing step fails the script.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v npm >/dev/null 2>&1; then
  echo "editors/vscode/ci.sh: node and npm are needed (node 20 or later)" >&2
  exit 1
fi

# The release build of the repository (CARGO_TARGET_DIR, when set, is relative to the root).
root="$(cd ../.. && pwd)"
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
binary="${STELLA_LSP_BIN:-$target/release/stella-lsp}"
if [ ! -x "$binary" ]; then
  echo "editors/vscode/ci.sh: no server at $binary; run cargo build --release first" >&2
  exit 1
fi
export STELLA_LSP_BIN="$binary"

npm ci --no-audit --no-fund
npm run check
npm run lint
npm run bundle

# The package carries the server for this machine, where the extension looks first after
# stella.server.path.
platform="$(node -p 'process.platform + "-" + process.arch')"
rm -rf server
mkdir -p "server/$platform"
# Without its line tables the binary is a fraction of the size.
if command -v strip >/dev/null 2>&1; then
  strip -o "server/$platform/stella-lsp" "$binary"
else
  cp "$binary" "server/$platform/stella-lsp"
fi
npx vsce package --no-dependencies --out stella-lsp.vsix
rm -rf server

npm test
