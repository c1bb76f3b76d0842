#!/bin/sh
# Test set-up (npm's pretest, after ensure-env.mjs): the tools the specs run that npm does not bring.
# systemd-analyze (Debian's systemd package) checks deploy/edgecoder.service in test/deploy.spec.ts:
# installed here when missing and we are root; otherwise one line says what to install, and that
# spec fails naming the tool (it never skips).
if command -v systemd-analyze >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "[setup] installing systemd-analyze (Debian package systemd) ..." >&2
  if apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd >/dev/null 2>&1 \
    && command -v systemd-analyze >/dev/null 2>&1; then
    exit 0
  fi
  echo "[setup] could not install Debian's systemd package (apt-get update && apt-get install systemd failed); test/deploy.spec.ts will fail" >&2
  exit 0
fi
echo "[setup] systemd-analyze is missing: install Debian's systemd package (apt-get install systemd) as root; test/deploy.spec.ts will fail until then" >&2
exit 0
