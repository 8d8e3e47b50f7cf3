#!/usr/bin/env bash
# The system packages the notices need, and a check that they are the pinned ones.
#
# - fonts-wqy-microhei: WenQuanYi Micro Hei, TrueType outlines (fast to subset, small PDFs),
#   used by file path from templates/css/base.css: /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
# - libharfbuzz-subset0: lets WeasyPrint subset fonts with HarfBuzz instead of fontTools
#   (about 50 times faster with a CJK font)
# - poppler-utils: pdftotext/pdftoppm/pdffonts for the render tests
#
# Installs what is missing (through scripts/sysdeps.sh), then checks the font file's sha256:
# the text grid of the notices measures this very font, another version may misalign columns.
set -euo pipefail

FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
FONT_SHA256=2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3

here=$(cd "$(dirname "$0")" && pwd)
bash "$here/sysdeps.sh" fonts-wqy-microhei libharfbuzz-subset0 poppler-utils

if [ ! -f "$FONT" ]; then
    echo "fonts: $FONT is missing after installing fonts-wqy-microhei" >&2
    exit 1
fi
actual=$(sha256sum "$FONT" | cut -d' ' -f1)
if [ "$actual" != "$FONT_SHA256" ]; then
    echo "fonts: $FONT is not the pinned file (sha256 $actual); notices may render differently" >&2
    exit 1
fi
echo "fonts: $FONT is the pinned WenQuanYi Micro Hei"
