#!/usr/bin/env bash
# Assembles the source form of libtether for Unity WebGL builds: the C/C++
# sources the browser build compiles (src/core, src/client, src/capi, the
# src/web transport and src/transport/close_info.cpp), every header they
# include, RapidJSON's headers among them, and a .meta for each file and
# folder that enables the C/C++ files for the WebGL player only. Unity
# compiles them with the Emscripten of the Unity release in use, so no
# prebuilt archive has to match it (see bindings/unity/README.md, "WebGL").
#
# The list of sources and include paths is CMake's own (the File API of an
# Emscripten configure in build-web/unity-package/cmake), so it follows the
# CMakeLists.txt files. The dependencies are em++'s (-MM). Unity passes no
# include paths for plugin sources, so every #include of a staged file is
# rewritten to a path relative to the including file; nothing else changes.
#
# Usage: ./scripts/unity-webgl-package.sh [--out DIR] [--check]
#   --out DIR  where to write the plugin folder (default:
#              bindings/unity/Runtime/Plugins/WebGL, ignored by git);
#              DIR is emptied first
#   --check    also compile every staged source with em++ without any -I
#              and compare each object with the one compiled from src/ with
#              CMake's flags (they must be identical), then link them with a
#              smoke test (-lwebsocket.js, as Unity's link needs) and run it
#              under node
set -euo pipefail
TETHER_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export TETHER_ROOT
# shellcheck source=lib/deps.sh
. "$TETHER_ROOT/scripts/lib/deps.sh"

out=$TETHER_ROOT/bindings/unity/Runtime/Plugins/WebGL
check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift ;;
    --check) check=1 ;;
    *) echo "usage: $0 [--out DIR] [--check]" >&2; exit 2 ;;
  esac
  shift
done

tether_install_packages cmake emscripten rapidjson-dev python3 nodejs
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}

# CMake's view of the browser build: sources, include paths, defines.
cmake_dir=$TETHER_ROOT/build-web/unity-package/cmake
mkdir -p "$cmake_dir/.cmake/api/v1/query"
: >"$cmake_dir/.cmake/api/v1/query/codemodel-v2"
emcmake cmake -S "$TETHER_ROOT" -B "$cmake_dir" -DCMAKE_BUILD_TYPE=Release -Wno-dev \
  >"$cmake_dir/../configure.log" 2>&1 || {
  tail -n 30 "$cmake_dir/../configure.log"
  echo "unity-webgl-package: the Emscripten configure failed (log: $cmake_dir/../configure.log)"
  exit 1
}

python3 - "$TETHER_ROOT" "$cmake_dir" "$out" "$check" <<'PY'
import glob, hashlib, json, os, re, shutil, subprocess, sys, tempfile

root, cmake_dir, out, check = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3]), sys.argv[4] == "1"
TARGETS = ["tether_core", "tether_transport", "tether_client", "tether"]

# ---- CMake File API: sources, include paths and defines of each target ----------
reply = os.path.join(cmake_dir, ".cmake/api/v1/reply")
index = json.load(open(sorted(glob.glob(os.path.join(reply, "index-*.json")))[-1]))
model_file = next(o["jsonFile"] for o in index["objects"] if o["kind"] == "codemodel")
model = json.load(open(os.path.join(reply, model_file)))
targets = {t["name"]: json.load(open(os.path.join(reply, t["jsonFile"])))
           for t in model["configurations"][0]["targets"] if t["name"] in TARGETS}
missing = [t for t in TARGETS if t not in targets]
if missing:
    sys.exit("unity-webgl-package: CMake has no target " + ", ".join(missing))

units = []  # (absolute source, include dirs, defines, flags)
for name in TARGETS:
    t = targets[name]
    source_dir = model["paths"]["source"]
    for s in t["sources"]:
        if "compileGroupIndex" not in s:
            continue
        group = t["compileGroups"][s["compileGroupIndex"]]
        path = s["path"] if os.path.isabs(s["path"]) else os.path.join(source_dir, s["path"])
        includes = [i["path"] for i in group.get("includes", [])]
        defines = [d["define"] for d in group.get("defines", [])]
        flags = " ".join(f["fragment"] for f in group.get("compileCommandFragments", []))
        units.append((os.path.realpath(path), includes, defines, flags))
for _, _, defines, _ in units:
    # Unity compiles plugin sources without our defines: there must be none that matter.
    extra = [d for d in defines if d not in ("TETHER_BUILDING",)]
    if extra:
        sys.exit("unity-webgl-package: a source needs defines Unity would not pass: %s" % extra)
all_includes = []
for _, includes, _, _ in units:
    for i in includes:
        if i not in all_includes:
            all_includes.append(i)

# Where each kind of file goes in the plugin folder.
rapidjson_root = None
for i in all_includes:
    if os.path.exists(os.path.join(i, "rapidjson/document.h")):
        rapidjson_root = os.path.realpath(os.path.join(i, "rapidjson"))
        break
if rapidjson_root is None:
    sys.exit("unity-webgl-package: RapidJSON's headers are not on the include path")
prefixes = [(os.path.join(root, "src") + "/", "src/"),
            (os.path.join(root, "include") + "/", "include/"),
            (rapidjson_root + "/", "third_party/rapidjson/")]
def staged_name(real):
    for prefix, dest in prefixes:
        if real.startswith(prefix):
            return dest + real[len(prefix):]
    return None

# ---- em++ -MM: every file each source includes --------------------------------
files = {}  # real path -> staged relative path
for source, includes, defines, flags in units:
    cmd = ["em++", "-std=c++17", "-MM", "-MT", "x"] + ["-I" + i for i in includes] + \
          ["-D" + d for d in defines] + [source]
    deps = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for dep in deps.replace("\\\n", " ").split()[1:]:
        real = os.path.realpath(dep)
        name = staged_name(real)
        if name is None:
            if "/emscripten/" in real or "/emsdk/" in real or "/emscripten-" in real:
                continue  # Emscripten's own headers: Unity's Emscripten has them
            sys.exit("unity-webgl-package: %s includes %s, which is neither Tether's, RapidJSON's "
                     "nor Emscripten's" % (source, real))
        files[real] = name
sources = sorted(files[s] for s, _, _, _ in units)
basenames = [os.path.basename(s) for s in sources]
dupes = sorted({b for b in basenames if basenames.count(b) > 1})
if dupes:
    sys.exit("unity-webgl-package: sources with the same file name: %s" % dupes)

# ---- copy, rewriting includes to relative paths ------------------------------------
include_re = re.compile(r'^(\s*#\s*include\s*)([<"])([^>"]+)[>"]', re.M)
def resolve(real_file, quote, name):
    candidates = ([os.path.dirname(real_file)] if quote == '"' else []) + all_includes
    for d in candidates:
        p = os.path.join(d, name)
        if os.path.isfile(p):
            return os.path.realpath(p)
    return None

if os.path.isdir(out):
    shutil.rmtree(out)
os.makedirs(out)
rewritten = 0
for real, name in sorted(files.items(), key=lambda kv: kv[1]):
    text = open(real, encoding="utf-8").read()
    def fix(m):
        global rewritten
        target = resolve(real, m.group(2), m.group(3))
        if target is None or target not in files:
            return m.group(0)  # a system header, or one inside an #if not taken here
        rel = os.path.relpath(files[target], os.path.dirname(name))
        if m.group(2) == '"' and rel == m.group(3):
            return m.group(0)
        rewritten += 1
        return '%s"%s"' % (m.group(1), rel)
    text = include_re.sub(fix, text)
    dest = os.path.join(out, name)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "w", encoding="utf-8") as f:
        f.write(text)
    shutil.copymode(real, dest)
for lic in ("/usr/share/doc/rapidjson-dev/copyright",):
    if os.path.isfile(lic):
        shutil.copy(lic, os.path.join(out, "third_party/rapidjson/copyright.txt"))
with open(os.path.join(out, "README.txt"), "w") as f:
    f.write("Generated by scripts/unity-webgl-package.sh from the Tether sources: do not edit.\n"
            "Unity compiles the .c/.cpp files here into WebGL players only (see each .meta);\n"
            "the C# binding imports them from __Internal. See bindings/unity/README.md, WebGL.\n")

# ---- .meta files: stable GUIDs, C/C++ for the WebGL player only --------------------
# The folder Unity sees as the root: this package, or a project's Assets.
package_root = None
d = out
while d != os.path.dirname(d):
    manifest = os.path.join(d, "package.json")
    if (os.path.isfile(manifest) and '"com.tether.client"' in open(manifest).read()) or \
            os.path.basename(d) == "Assets":
        package_root = d
        break
    d = os.path.dirname(d)
def guid(path):
    key = os.path.relpath(path, package_root) if package_root else os.path.relpath(path, out)
    return hashlib.md5(("tether-unity-webgl:" + key).encode()).hexdigest()
FOLDER = "fileFormatVersion: 2\nguid: {g}\nfolderAsset: yes\nDefaultImporter:\n  externalObjects: {{}}\n" \
         "  userData: \n  assetBundleName: \n  assetBundleVariant: \n"
TEXT = "fileFormatVersion: 2\nguid: {g}\nTextScriptImporter:\n  externalObjects: {{}}\n" \
       "  userData: \n  assetBundleName: \n  assetBundleVariant: \n"
PLUGIN = """fileFormatVersion: 2
guid: {g}
PluginImporter:
  externalObjects: {{}}
  serializedVersion: 2
  iconMap: {{}}
  executionOrder: {{}}
  defineConstraints: []
  isPreloaded: 0
  isOverridable: 0
  isExplicitlyReferenced: 0
  validateReferences: 1
  platformData:
  - first:
      : Any
    second:
      enabled: 0
      settings:
        Exclude Editor: 1
        Exclude Linux64: 1
        Exclude OSXUniversal: 1
        Exclude WebGL: 0
        Exclude Win: 1
        Exclude Win64: 1
  - first:
      Any: 
    second:
      enabled: 0
      settings: {{}}
  - first:
      Editor: Editor
    second:
      enabled: 0
      settings:
        DefaultValueInitialized: true
  - first:
      WebGL: WebGL
    second:
      enabled: 1
      settings: {{}}
  userData: 
  assetBundleName: 
  assetBundleVariant: 
"""
def write_meta(path, template):
    with open(path + ".meta", "w") as f:
        f.write(template.format(g=guid(path)))
metas = 0
for dirpath, dirnames, filenames in os.walk(out):
    for d in dirnames:
        write_meta(os.path.join(dirpath, d), FOLDER); metas += 1
    for fn in filenames:
        if fn.endswith(".meta"):
            continue
        p = os.path.join(dirpath, fn)
        write_meta(p, PLUGIN if fn.endswith((".c", ".cc", ".cpp", ".h", ".hpp")) else TEXT); metas += 1
# The plugin folder itself and, up to the package (or Assets), the folders above it.
d = out
while package_root and d != package_root and d.startswith(package_root):
    if not os.path.exists(d + ".meta"):
        write_meta(d, FOLDER); metas += 1
    d = os.path.dirname(d)

headers = len(files) - len(sources)
print("unity-webgl-package: %d sources, %d headers (%d rewritten #includes), %d .meta files in %s"
      % (len(sources), headers, rewritten, metas, out))

if not check:
    sys.exit(0)

# ---- --check: same objects without include paths; link and run a smoke test ----------
work = tempfile.mkdtemp(prefix="tether-unity-webgl-")
try:
    identical, objects = 0, []
    for source, includes, defines, flags in units:
        name = files[source]
        base = name.replace("/", "_")
        common = ["em++", "-std=c++17", "-O2", "-DNDEBUG", "-w", "-c"]
        ref = os.path.join(work, base + ".ref.o")
        staged = os.path.join(work, base + ".o")
        subprocess.run(common + ["-I" + i for i in includes] + ["-D" + d for d in defines] +
                       [source, "-o", ref], check=True)
        # As Unity would: no -I, no -D, from another directory.
        subprocess.run(common + [os.path.join(out, name), "-o", staged], check=True, cwd=work)
        objects.append(staged)
        if open(ref, "rb").read() == open(staged, "rb").read():
            identical += 1
        else:
            print("unity-webgl-package: check: %s compiles differently from its staged copy" % name)
    smoke = os.path.join(work, "smoke.c")
    with open(smoke, "w") as f:
        f.write(r'''
#include <stdio.h>
#include "tether/tether.h"
int main(void) {
  tether_config config;
  tether_client* client = NULL;
  const char* pins[1] = {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="};
  int ok = 1, result;
  if (tether_version() != TETHER_VERSION) { printf("smoke: version mismatch\n"); ok = 0; }
  tether_config_init(&config);
  config.url = "wss://127.0.0.1:1/ws";
  config.token = "t";
  config.tls_pins = pins;
  config.tls_pin_count = 1;
  result = tether_client_create(&config, &client);
  if (result != TETHER_ERROR_INVALID_CONFIG) { printf("smoke: pins gave %s\n", tether_result_string(result)); ok = 0; }
  tether_config_init(&config);
  config.url = "ws://127.0.0.1:1/ws";
  config.token = "t";
  result = tether_client_create(&config, &client);
  if (result != TETHER_OK || client == NULL) { printf("smoke: create gave %s\n", tether_result_string(result)); ok = 0; }
  if (client) {
    if (tether_client_pump(client) < 0) { printf("smoke: pump failed\n"); ok = 0; }
    tether_client_destroy(client);
  }
  printf("smoke: %s (%s)\n", ok ? "ok" : "FAILED", tether_version_string());
  return ok ? 0 : 1;
}
''')
    js = os.path.join(work, "smoke.js")
    subprocess.run(["emcc", "-O2", "-I", os.path.join(out, "include"), smoke] + objects +
                   ["-lwebsocket.js", "-sWASM_ASYNC_COMPILATION=0", "-sSINGLE_FILE=1", "-o", js], check=True, cwd=work)
    run = subprocess.run(["node", js], capture_output=True, text=True, cwd=work)
    print(run.stdout.strip())
    print("unity-webgl-package: check: %d/%d objects identical to CMake-flag builds; smoke test %s"
          % (identical, len(units), "passed" if run.returncode == 0 else "FAILED"))
    if run.returncode != 0 or identical != len(units):
        sys.stderr.write(run.stderr[-2000:])
        sys.exit(1)
finally:
    shutil.rmtree(work, ignore_errors=True)
PY
