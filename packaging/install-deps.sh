#!/bin/sh
# Install the Debian 12 packages approverd needs to build and test, only when
# some are missing (fast no-op otherwise). Needs root when it installs.
set -eu
PKGS="build-essential pkg-config dpkg-dev debhelper fakeroot lintian clang libclang-rt-14-dev libpam0g-dev sudo
libsodium-dev libcurl4-openssl-dev libjansson-dev libinih-dev libcmocka-dev
pamtester libpam-wrapper libpamtest0-dev mandoc util-linux python3 procps
openssh-server openssh-client"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages and not root; run: sudo apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
