#!/usr/bin/env bash
# Install Debian's headless-capable Chromium and its chromedriver when missing (used by `make test`:
# tests/test_digest_render.py screenshots the HTML digest with chromium; tests/test_ui_browser.py
# drives the reading room through chromedriver with selenium).  Nothing downloads a browser of its
# own.  Idempotent.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "chromium or chromedriver is missing and this user cannot install them; run: apt-get install -y chromium chromium-driver" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core
