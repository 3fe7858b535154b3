# Shared by scripts/*.sh: install what Tether needs from Debian packages.
# Idempotent: only missing packages are installed; apt-get runs as root
# (or through sudo when available).

TETHER_PACKAGES=(
  cmake make g++ pkg-config
  libwebsocketpp-dev libasio-dev libssl-dev rapidjson-dev catch2
  openssl
  ccache     # CI runs on a warm cache: rebuilds of unchanged files are free
  mono-mcs mono-runtime  # the C# binding's tests
  redis-server libhiredis-dev  # the cluster broker (tether-server --redis) and its tests
)
# scripts/fuzz.sh: clang 14; libclang-rt-14-dev holds the -fsanitize=fuzzer
# runtime (clang-14 only recommends it), libfuzzer-14-dev libFuzzer itself.
TETHER_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev libfuzzer-14-dev)
TETHER_PACKAGES+=("${TETHER_FUZZ_PACKAGES[@]}")

tether_missing_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  echo "${missing[@]:-}"
}

tether_install_packages() {
  local missing
  missing=$(tether_missing_packages "$@")
  [ -z "$missing" ] && return 0
  echo "installing: $missing"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "error: missing packages ($missing) and not root; install them first" >&2
      return 1
    fi
  fi
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

# Configures and builds into $1 with extra CMake arguments after it.
# Later arguments of the form --target NAME limit the build to those targets.
tether_build() {
  local build_dir=$1
  shift
  local cmake_args=() build_args=()
  while [ $# -gt 0 ]; do
    if [ "$1" = --target ]; then build_args+=(--target "$2"); shift 2
    else cmake_args+=("$1"); shift; fi
  done
  if command -v ccache >/dev/null; then
    # Paths relative to the checkout, so a fresh clone elsewhere hits the cache.
    export CCACHE_BASEDIR="$TETHER_ROOT" CCACHE_NOHASHDIR=1
    cmake_args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S "$TETHER_ROOT" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${cmake_args[@]}" >/dev/null &&
    cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)" "${build_args[@]}"
}
