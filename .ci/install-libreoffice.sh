#!/usr/bin/env bash
# Install what the LibreOffice-based tests need: Calc (+ Writer for docx), the UNO
# bridge for Debian's system python, pdftoppm and a CJK font (Chinese labels must
# render in PDFs, otherwise glyphs become boxes). Idempotent: does nothing when
# everything already works, so CI caches / dev machines pay nothing.
set -euo pipefail

# fonts-crosextra-carlito: metric-compatible with Calibri, the workbooks' default font; without it
# LibreOffice measures column widths in a wider fallback font and prints every sheet at ~77%.
PACKAGES=(libreoffice-calc libreoffice-writer python3-uno poppler-utils fonts-noto-cjk fonts-crosextra-carlito)

ready() {
    command -v soffice >/dev/null 2>&1 \
        && /usr/bin/python3 -c 'import uno' >/dev/null 2>&1 \
        && command -v pdftoppm >/dev/null 2>&1 \
        && { ! command -v fc-list >/dev/null 2>&1 || { fc-list :lang=zh | grep -q . && fc-list | grep -qi carlito; }; }
}

if ready; then
    echo "LibreOffice toolchain already installed: $(soffice --version 2>/dev/null | head -n1)"
    exit 0
fi

. "$(dirname "$0")/apt.sh"
apt_install "${PACKAGES[@]}"

if ! ready; then
    echo "install-libreoffice.sh: packages installed but soffice / uno / pdftoppm still unusable" >&2
    exit 1
fi
echo "Installed: $(soffice --version 2>/dev/null | head -n1)"
