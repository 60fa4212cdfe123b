#!/usr/bin/env bash
# Installs VS Code's open build, code-server 4.96.4 (the last whose engines allow Node 20), from
# the npm registry, with no other network: its postinstall would fetch a git dependency and
# prebuilt binaries, so it is skipped and its work redone here from source. Also installs
# Debian's chromium and ripgrep. The install is kept in .vscode-test/; a second run takes
# seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=4.96.4
TARGET=.vscode-test/code-server-$VERSION
STAMP=$TARGET/.installed

system_packages() {
    local missing=()
    command -v chromium >/dev/null || missing+=(chromium)
    command -v rg >/dev/null || missing+=(ripgrep)
    dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
    dpkg -s build-essential >/dev/null 2>&1 || missing+=(build-essential)
    dpkg -s pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    [ ${#missing[@]} -eq 0 ] && return
    echo "installing Debian packages: ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

system_packages
if [ -f "$STAMP" ]; then
    exit 0
fi

echo "installing code-server $VERSION into $TARGET"
rm -rf "$TARGET"
mkdir -p "$TARGET"
# The native modules build against the headers of the Node that runs them.
NODEDIR=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
if [ ! -f "$NODEDIR/include/node/node.h" ]; then
    echo "no Node headers under $NODEDIR/include/node: install Node 20 with its headers" >&2
    exit 1
fi
export npm_config_nodedir=$NODEDIR
quiet=(--no-audit --no-fund --loglevel=error)

(cd "$TARGET" && npm init -y >/dev/null && \
    npm install "code-server@$VERSION" --ignore-scripts "${quiet[@]}")
CODE="$TARGET/node_modules/code-server"
(cd "$TARGET" && npm rebuild argon2 --build-from-source --foreground-scripts >/dev/null)

VSCODE="$CODE/lib/vscode"
# The same version and hash as the git dependency, from the registry.
sed -i 's#"git+ssh://git@github.com/microsoft/vscode-proxy-agent.git\#[0-9a-f]*"#"https://registry.npmjs.org/@vscode/proxy-agent/-/proxy-agent-0.27.0.tgz"#' \
    "$VSCODE/npm-shrinkwrap.json"
(cd "$VSCODE" && npm install --omit=dev --ignore-scripts "${quiet[@]}" && \
    npm rebuild @parcel/watcher @vscode/spdlog @vscode/deviceid kerberos native-watchdog \
        node-pty --foreground-scripts >/dev/null)

# What the skipped postinstall would have linked.
mkdir -p "$VSCODE/node_modules/@vscode/ripgrep/bin"
ln -sf "$(command -v rg)" "$VSCODE/node_modules/@vscode/ripgrep/bin/rg"
ln -sfn node_modules "$VSCODE/node_modules.asar"
ln -sf code-linux.sh "$VSCODE/bin/remote-cli/code-server"
ln -sf browser-linux.sh "$VSCODE/bin/helpers/browser.sh"
touch "$STAMP"
echo "code-server $VERSION installed"
