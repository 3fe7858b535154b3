// WebGL builds: Tether's browser transport calls Emscripten's WebSocket API
// (emscripten/websocket.h), whose JavaScript half Emscripten links only when
// asked with -lwebsocket.js. Unity has no setting for it in the Player
// Settings window, so this adds it to PlayerSettings.WebGL.emscriptenArgs
// (saved in ProjectSettings) before each WebGL build, and warns when the
// plugin sources that scripts/unity-webgl-package.sh stages are missing.
using System.IO;
using UnityEditor;
using UnityEditor.Build;
using UnityEditor.Build.Reporting;
using UnityEngine;

namespace Tether.Build
{
    internal sealed class TetherWebGLBuild : IPreprocessBuildWithReport
    {
        internal const string WebSocketLibrary = "-lwebsocket.js";

        public int callbackOrder { get { return 0; } }

        public void OnPreprocessBuild(BuildReport report)
        {
            if (report.summary.platform != BuildTarget.WebGL) return;

            string args = PlayerSettings.WebGL.emscriptenArgs ?? "";
            if (System.Array.IndexOf(args.Split(' ', '\t'), WebSocketLibrary) < 0)
            {
                PlayerSettings.WebGL.emscriptenArgs = (args.Trim() + " " + WebSocketLibrary).Trim();
                Debug.Log("Tether: added " + WebSocketLibrary + " to PlayerSettings.WebGL.emscriptenArgs " +
                          "(Emscripten's WebSocket API, used by Tether's WebGL transport).");
            }

            var package = UnityEditor.PackageManager.PackageInfo.FindForAssembly(typeof(TetherWebGLBuild).Assembly);
            if (package != null &&
                !File.Exists(Path.Combine(package.resolvedPath, "Runtime/Plugins/WebGL/src/capi/api_library.cpp")))
            {
                Debug.LogWarning("Tether: no WebGL plugin sources in " + package.resolvedPath +
                                 "/Runtime/Plugins/WebGL. Unless the project has libtether for WebGL elsewhere, " +
                                 "the link will fail on undefined tether_* symbols: run " +
                                 "scripts/unity-webgl-package.sh (see the package README, WebGL).");
            }
        }
    }
}
