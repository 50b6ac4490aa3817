#!/usr/bin/env bash
# Prepare this checkout for `make run` (setup.sh run) or `make test` (setup.sh test):
# Debian packages when missing, then a virtualenv in .venv with the project installed.
# Safe to run again: it only does what is still missing.
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-run}

# Debian packages the project needs.  fonts-noto-cjk: the poster font (see README).
debs=(fonts-noto-cjk)
if [ "$purpose" = test ]; then
  # chromium: browser tests; poppler-utils: pdftoppm renders poster PDFs back to images.
  debs+=(chromium poppler-utils)
fi
if ! python3 -c 'import ensurepip' 2>/dev/null; then
  debs+=(python3-venv)
fi

missing=()
for pkg in "${debs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python packages, reinstalled only when pyproject.toml changes.
extras=""
[ "$purpose" = test ] && extras="[test]"
stamp=".venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)-${purpose}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ ! -f "$stamp" ] && [ ! -f ".venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)-test" ]; then
  echo "Installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".${extras}"
  touch "$stamp"
fi
