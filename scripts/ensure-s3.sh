#!/usr/bin/env bash
# Makes a real S3-compatible server available for the tests of the s3 artifact store, and prints
# how to reach it as KEY=value lines (ENTRENAR_TEST_S3_ENDPOINT, ENTRENAR_TEST_S3_BUCKET,
# ENTRENAR_TEST_S3_ACCESS_KEY_ID, ENTRENAR_TEST_S3_SECRET_ACCESS_KEY, ENTRENAR_TEST_S3_REGION, and
# ENTRENAR_TEST_S3_STARTED_PID when this call started the server rather than found it running).
#
# The server is SeaweedFS (`weed mini`: master, volume, filer and S3 gateway in one process),
# bound to 127.0.0.1 only, with its data under /tmp, telemetry off, and one access key.
# Its `weed` binary is built once from the Go module proxy at a pinned version and cached outside
# the work tree (the first build takes about 9 minutes on 2 cores; later runs reuse it).
#
# Idempotent: a server this script started earlier and still answering is reused.
#   bash scripts/ensure-s3.sh          start (or reuse) the server, print its settings
#   bash scripts/ensure-s3.sh --build  only build (or find) the cached binary, print its path
#   bash scripts/ensure-s3.sh --stop   stop the server this script started
# With ENTRENAR_TEST_S3_ENDPOINT already set, nothing is built or started: the given settings are
# printed back (point the tests at another service that way).
set -euo pipefail

SEAWEEDFS_MODULE=github.com/seaweedfs/seaweedfs
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6

cache_dir="${ENTRENAR_S3_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/entrenar-tracking}"
weed="$cache_dir/seaweedfs-$SEAWEEDFS_VERSION/weed"
state_dir="${ENTRENAR_TEST_S3_STATE_DIR:-/tmp/entrenar-test-s3-$(id -u)}"
s3_port="${ENTRENAR_TEST_S3_PORT:-8433}"
bucket=entrenar-test
access_key=entrenar-test-access
secret_key=entrenar-test-secret-key
region=us-east-1
endpoint="http://127.0.0.1:${s3_port}"

log() { echo "ensure-s3: $*" >&2; }

print_settings() {
  echo "ENTRENAR_TEST_S3_ENDPOINT=$1"
  echo "ENTRENAR_TEST_S3_BUCKET=$2"
  echo "ENTRENAR_TEST_S3_ACCESS_KEY_ID=$3"
  echo "ENTRENAR_TEST_S3_SECRET_ACCESS_KEY=$4"
  echo "ENTRENAR_TEST_S3_REGION=$5"
}

build_weed() {
  if [[ -x "$weed" ]]; then
    return
  fi
  command -v go >/dev/null || {
    log "Go is needed to build SeaweedFS's weed (or set ENTRENAR_TEST_S3_ENDPOINT and friends to another S3 service)"
    exit 1
  }
  mkdir -p "$(dirname "$weed")"
  local started=$SECONDS
  log "building weed $SEAWEEDFS_VERSION from the Go module proxy (once; about 9 minutes on 2 cores)"
  # The module's go.mod has replace directives, so `go install module@version` refuses it:
  # build it as the main module from its (read-only) copy in the module cache instead.
  local source
  source=$(GOFLAGS='' GOTOOLCHAIN=local go mod download -json "$SEAWEEDFS_MODULE@$SEAWEEDFS_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [[ -z "$source" || ! -d "$source" ]]; then
    log "could not download $SEAWEEDFS_MODULE@$SEAWEEDFS_VERSION"
    exit 1
  fi
  GOFLAGS="-buildvcs=false -mod=readonly" GOTOOLCHAIN=local CGO_ENABLED=0 \
    go -C "$source" build -trimpath -ldflags "-s -w" -o "$weed.partial" ./weed >&2
  mv -f "$weed.partial" "$weed"
  log "built $weed in $((SECONDS - started)) s"
}

# A signed request to the S3 endpoint (curl signs with AWS SigV4); prints the HTTP status.
s3_status() {
  local method=$1 path=$2
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X "$method" \
    --aws-sigv4 "aws:amz:${region}:s3" --user "${access_key}:${secret_key}" "${endpoint}${path}" || true
}

server_pid() {
  local pid
  pid=$(cat "$state_dir/weed.pid" 2>/dev/null || true)
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && grep -q weed "/proc/$pid/cmdline" 2>/dev/null; then
    echo "$pid"
  fi
}

stop_server() {
  local pid
  pid=$(server_pid)
  if [[ -z "$pid" ]]; then
    return
  fi
  kill "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
  fi
  rm -f "$state_dir/weed.pid"
  log "stopped SeaweedFS (pid $pid)"
}

start_server() {
  if (exec 3<>"/dev/tcp/127.0.0.1/${s3_port}") 2>/dev/null; then
    log "127.0.0.1:${s3_port} is taken by another program; set ENTRENAR_TEST_S3_PORT to a free port"
    exit 1
  fi
  rm -rf "$state_dir/data"
  mkdir -p "$state_dir/data"
  # Every component on 127.0.0.1, on ports next to the S3 port (each gRPC port is +10000).
  AWS_ACCESS_KEY_ID="$access_key" AWS_SECRET_ACCESS_KEY="$secret_key" setsid "$weed" mini \
    -dir="$state_dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -bucket="$bucket" \
    -s3.port="$s3_port" -master.port=$((s3_port + 1100)) -volume.port=$((s3_port + 1107)) \
    -filer.port=$((s3_port + 555)) -admin.port=$((s3_port + 4200)) -admin.port.legacy=0 \
    -filer.localSocket="$state_dir/filer.sock" -s3.localSocket="$state_dir/s3.sock" \
    -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false \
    </dev/null >"$state_dir/weed.log" 2>&1 9>&- &
  echo $! >"$state_dir/weed.pid"
  local started=$SECONDS
  for _ in $(seq 1 600); do
    if [[ "$(s3_status HEAD "/$bucket")" == 200 ]]; then
      log "SeaweedFS S3 on $endpoint (pid $(cat "$state_dir/weed.pid"), ready in $((SECONDS - started)) s, log $state_dir/weed.log)"
      return
    fi
    if [[ -z "$(server_pid)" ]]; then
      log "SeaweedFS exited while starting; its log:"
      tail -n 40 "$state_dir/weed.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  log "SeaweedFS did not answer on $endpoint within 60 s; its log:"
  tail -n 40 "$state_dir/weed.log" >&2
  stop_server
  exit 1
}

case "${1:-}" in
  --stop)
    stop_server
    exit 0
    ;;
  --build)
    build_weed
    echo "$weed"
    exit 0
    ;;
  "") ;;
  *)
    log "unknown argument: $1 (expected --build or --stop)"
    exit 2
    ;;
esac

if [[ -n "${ENTRENAR_TEST_S3_ENDPOINT:-}" ]]; then
  print_settings "$ENTRENAR_TEST_S3_ENDPOINT" "${ENTRENAR_TEST_S3_BUCKET:?with ENTRENAR_TEST_S3_ENDPOINT set, set ENTRENAR_TEST_S3_BUCKET too}" \
    "${ENTRENAR_TEST_S3_ACCESS_KEY_ID:-${AWS_ACCESS_KEY_ID:-}}" "${ENTRENAR_TEST_S3_SECRET_ACCESS_KEY:-${AWS_SECRET_ACCESS_KEY:-}}" \
    "${ENTRENAR_TEST_S3_REGION:-${AWS_REGION:-$region}}"
  exit 0
fi

command -v curl >/dev/null || {
  log "curl is needed (apt-get install curl)"
  exit 1
}
mkdir -p "$state_dir"
# One caller at a time builds and starts (npm test and .ci/run may both call this).
exec 9>"$state_dir/lock"
flock 9

if [[ -n "$(server_pid)" && "$(s3_status HEAD "/$bucket")" == 200 ]]; then
  log "reusing SeaweedFS on $endpoint (pid $(server_pid))"
  print_settings "$endpoint" "$bucket" "$access_key" "$secret_key" "$region"
else
  stop_server
  build_weed
  start_server
  print_settings "$endpoint" "$bucket" "$access_key" "$secret_key" "$region"
  # Tells the caller it started the server, so it knows to stop it (--stop) when done.
  echo "ENTRENAR_TEST_S3_STARTED_PID=$(server_pid)"
fi
