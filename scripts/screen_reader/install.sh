#!/bin/bash
# What scripts/screen_reader/check.sh needs (Debian): not needed by the test suite.
set -e
apt-get update -q
apt-get install -y -q orca xvfb dbus-x11 at-spi2-core speech-dispatcher espeak-ng pulseaudio xdotool imagemagick chromium
