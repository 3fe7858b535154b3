// Native clients own sockets and a thread; they must not outlive play mode
// or survive a domain reload (the managed side that could destroy them is
// gone afterwards). These hooks destroy every client at those moments.
#if UNITY_EDITOR
using UnityEditor;
#endif
using UnityEngine;

namespace Tether
{
    internal static class TetherLifetime
    {
        // Runs on entering play mode even with domain reload disabled.
        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.SubsystemRegistration)]
        private static void OnPlayModeStart()
        {
            TetherClient.DestroyAll();
            Application.quitting -= TetherClient.DestroyAll;
            Application.quitting += TetherClient.DestroyAll;
        }

#if UNITY_EDITOR
        [InitializeOnLoadMethod]
        private static void HookEditor()
        {
            AssemblyReloadEvents.beforeAssemblyReload += TetherClient.DestroyAll;
            EditorApplication.playModeStateChanged += state =>
            {
                if (state == PlayModeStateChange.ExitingPlayMode) TetherClient.DestroyAll();
            };
        }
#endif
    }
}
