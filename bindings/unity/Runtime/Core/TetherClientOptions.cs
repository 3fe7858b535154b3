// How to create a TetherClient. Text settings are properties here; every
// numeric setting is in `Config`, the tether_config mirror, pre-filled with
// the library's documented defaults (see tether.h for each one).
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Tether.Native;

namespace Tether
{
    public sealed class TetherClientOptions
    {
        public TetherClientOptions()
        {
            TetherNative.tether_config_init_sized(ref Config, (uint)Marshal.SizeOf(typeof(TetherConfig)));
        }

        public TetherClientOptions(string url, string token) : this()
        {
            Url = url;
            Token = token;
        }

        public string Url;         // ws:// or wss://
        public string[] Urls;      // more servers; connection i starts on entry i % count and moves to the next after a failure
        public string Token;       // the JWT; may also come later through SetToken
        public string TlsCaFile;   // extra trusted CAs (PEM file)
        public string TlsCaPem;    // extra trusted CAs (PEM text)
        public string[] TlsPins;   // base64(SHA-256(SPKI)) of accepted server keys

        // Numeric settings, e.g. options.Config.PoolSize = 2. Its string and
        // array pointers are ignored: the properties above replace them.
        // Config.MaxPendingEvents and Config.MaxPendingEventBytes bound what
        // waits for Pump() while the game is not pumping (a loading screen, a
        // long frame): at either limit inbound reliable messages wait on the
        // connection and unreliable ones are dropped.
        public TetherConfig Config;

        // The text fields as native memory for tether_client_create; Dispose frees it.
        internal sealed class NativeText : IDisposable
        {
            private readonly List<IntPtr> allocations = new List<IntPtr>();

            public IntPtr Text(string text)
            {
                IntPtr memory = Utf8.AllocNative(text);
                if (memory != IntPtr.Zero) allocations.Add(memory);
                return memory;
            }

            public IntPtr TextArray(string[] texts)
            {
                if (texts == null || texts.Length == 0) return IntPtr.Zero;
                IntPtr array = Marshal.AllocHGlobal(IntPtr.Size * texts.Length);
                allocations.Add(array);
                for (int i = 0; i < texts.Length; i++) Marshal.WriteIntPtr(array, i * IntPtr.Size, Text(texts[i]));
                return array;
            }

            public void Dispose()
            {
                foreach (IntPtr memory in allocations) Marshal.FreeHGlobal(memory);
                allocations.Clear();
            }
        }

        internal TetherConfig ToNative(NativeText text)
        {
            TetherConfig native = Config;
            native.Url = text.Text(Url);
            native.Urls = text.TextArray(Urls);
            native.UrlCount = Urls == null ? 0u : (uint)Urls.Length;
            native.Token = text.Text(Token);
            native.TlsCaFile = text.Text(TlsCaFile);
            native.TlsCaPem = text.Text(TlsCaPem);
            native.TlsPins = text.TextArray(TlsPins);
            native.TlsPinCount = TlsPins == null ? 0u : (uint)TlsPins.Length;
            return native;
        }
    }
}
