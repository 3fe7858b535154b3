// P/Invoke declarations of tether.h, one to one. Everything here is
// blittable: calls marshal nothing and allocate nothing.
using System;
using System.Runtime.InteropServices;

namespace Tether.Native
{
    public static unsafe class TetherNative
    {
        // Platforms whose players link native plugins statically (a libtether.a
        // built with TETHER_STATIC) import from the player itself. On WebGL the
        // library is the source form that scripts/unity-webgl-package.sh stages
        // in Runtime/Plugins/WebGL: Unity compiles it with its own Emscripten
        // and links it into the player's wasm, so it is "__Internal" there too.
        // The editor always loads the desktop library, whatever the build target.
        // Scripting Define Symbols override the choice: TETHER_DYNAMIC_NATIVE
        // (e.g. a console build that ships libtether as a PRX or DLL) or
        // TETHER_STATIC_NATIVE (any other player linked statically).
#if TETHER_DYNAMIC_NATIVE || UNITY_EDITOR
        public const string Library = "tether";
#elif TETHER_STATIC_NATIVE || UNITY_IOS || UNITY_TVOS || UNITY_VISIONOS || UNITY_WEBGL || UNITY_SWITCH || UNITY_PS4 || UNITY_PS5 || UNITY_GAMECORE || UNITY_XBOXONE
        public const string Library = "__Internal";
#else
        public const string Library = "tether";
#endif

        // The header version this binding mirrors; compare with tether_version().
        public const uint VersionMajor = 0;
        public const uint VersionMinor = 2;
        public const uint VersionPatch = 0;
        public const uint Version = (VersionMajor << 16) | (VersionMinor << 8) | VersionPatch;

        public const uint SendReliable = 1;

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern uint tether_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr tether_version_string();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr tether_result_string(int result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr tether_state_string(uint state);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr tether_event_type_string(uint type);

        // The sized init: the library writes no more than this binding's struct holds.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_config_init_sized(ref TetherConfig config, uint structSize);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_create(ref TetherConfig config, out IntPtr client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern void tether_client_destroy(IntPtr client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_connect(IntPtr client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_close(IntPtr client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_reconnect_now(IntPtr client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_set_token(IntPtr client, byte* token);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_send(IntPtr client, byte* channel, byte* json, UIntPtr jsonLength,
                                                    uint flags, out ulong messageId);

        // `data` may be null when dataLength is 0.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_send_bytes(IntPtr client, byte* channel, byte* data, UIntPtr dataLength,
                                                          uint flags, out ulong messageId);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_subscribe(IntPtr client, byte* channel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_unsubscribe(IntPtr client, byte* channel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_pump(IntPtr client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern TetherEvent* tether_client_event(IntPtr client, uint index);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_pump_events(IntPtr client, out TetherEvent* events);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_pool_size(IntPtr client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_connection_stats(IntPtr client, uint index, ref TetherStats stats);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_pool_stats(IntPtr client, ref TetherStats stats);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_simulate(IntPtr client, long latencyMs, double dropRate);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_simulate_cut(IntPtr client, int index);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern int tether_client_set_log_level(IntPtr client, int level);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr tether_client_last_error(IntPtr client);
    }
}
