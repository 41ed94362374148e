#!/bin/bash
# A manual screen-reader check with a real screen reader: Orca (GNOME's) reads Debian's
# Chromium on a virtual display, and what Orca says is printed, one line per utterance.
# Not a test (a person reads the transcript); docs/accessibility.md says what was found.
#
#   bash scripts/screen_reader/install.sh                 # once: orca, Xvfb, pulseaudio, xdotool
#   python run.py --demo --port 8765 &                    # prints the join link
#   bash scripts/screen_reader/check.sh URL scripts/screen_reader/join_accept_submit.keys
#
# The keys file is a bash snippet run on the virtual display (xdotool presses real keys).
# Orca blocks when speech-dispatcher has no sound card, so a PulseAudio null sink takes the
# sound. Slow on purpose: Orca needs a few seconds per event on a busy 2-core machine.
set -euo pipefail
URL=${1:?usage: check.sh URL KEYS_FILE}
KEYS=$(realpath "${2:?usage: check.sh URL KEYS_FILE}")
WORK=$(mktemp -d)
export XDG_RUNTIME_DIR="$WORK/run"; mkdir -m 700 "$XDG_RUNTIME_DIR"
DISPLAY_NO=$(( 90 + RANDOM % 9 ))
Xvfb ":$DISPLAY_NO" -screen 0 1280x900x24 >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
trap 'kill $XVFB 2>/dev/null; true' EXIT
export DISPLAY=":$DISPLAY_NO" WORK URL KEYS
sleep 1
dbus-run-session -- bash -c '
  /usr/libexec/at-spi-bus-launcher --launch-immediately >"$WORK/atspi.log" 2>&1 &
  pulseaudio -n --daemonize=no --exit-idle-time=-1 -L module-null-sink -L module-native-protocol-unix >"$WORK/pulse.log" 2>&1 &
  sleep 2; pactl set-default-sink null >/dev/null 2>&1 || true
  orca --replace --debug-file="$WORK/orca.debug" >"$WORK/orca.out" 2>&1 &
  ORCA=$!
  sleep 20
  chromium --no-sandbox --disable-gpu --force-renderer-accessibility --user-data-dir="$WORK/profile" \
    --no-first-run --window-position=0,0 --window-size=420,900 --app="$URL" >"$WORK/chromium.log" 2>&1 &
  CHROME=$!
  sleep 25
  bash "$KEYS"
  sleep 40
  import -window root "$WORK/last-screen.png" 2>/dev/null || true
  kill $CHROME; sleep 5; kill $ORCA 2>/dev/null || true
' >"$WORK/session.log" 2>&1
grep "SPEECH OUTPUT" "$WORK/orca.debug" | sed -e "s/^[0-9:.]* - SPEECH OUTPUT: //" -e "s/{.*}\$//"
echo "(Orca's full log, the screen at the end: $WORK)" >&2
