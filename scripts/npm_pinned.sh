# Sourced by the scripts that install a pinned npm package into .test-tools/ (install_axe.sh,
# install_esbuild.sh): `npm_pinned DEST PACKAGE@VERSION` installs it into DEST (gitignored).
# Installs Node.js and npm from Debian's packages when they are missing (as root).
npm_pinned() {
  local dest=$1 spec=$2
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    else
      echo "npm is missing: install Debian's nodejs and npm (sudo apt-get install nodejs npm)" >&2
      exit 1
    fi
  fi
  mkdir -p "$dest"
  # a package.json of its own, so npm installs here and not in a parent folder's project
  [ -f "$dest/package.json" ] || echo '{"name": "alliance-test-tools", "private": true}' > "$dest/package.json"
  npm install --prefix "$dest" --no-audit --no-fund --loglevel=error --save-exact "$spec" >/dev/null
}
