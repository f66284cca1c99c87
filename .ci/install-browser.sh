#!/usr/bin/env bash
# Install Debian's chromium for the portal's browser tests (tests/test_portal_browser.py drives it
# with Playwright through executable_path; Playwright's own browsers are never downloaded).
# Idempotent: does nothing when chromium already runs.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && chromium --headless=new --no-sandbox --version >/dev/null 2>&1; then
    echo "chromium already installed: $(chromium --version 2>/dev/null | head -n1)"
    exit 0
fi
. "$(dirname "$0")/apt.sh"
apt_install chromium fonts-noto-cjk
command -v chromium >/dev/null 2>&1 || { echo "install-browser.sh: chromium still missing" >&2; exit 1; }
echo "Installed: $(chromium --version 2>/dev/null | head -n1)"
