// Drop-in component: creates a TetherClient from the inspector settings,
// pumps it every frame in Update (so every event and callback runs on the
// main thread), and destroys it with the GameObject.
using System;
using UnityEngine;

namespace Tether
{
    [AddComponentMenu("Networking/Tether Client")]
    public sealed class TetherBehaviour : MonoBehaviour
    {
        [Tooltip("ws:// or wss:// address of the Tether server")]
        public string url = "wss://localhost:8080";
        [Tooltip("JWT; usually set from code after your login flow")]
        public string token = "";
        [Tooltip("Channels to subscribe to before connecting")]
        public string[] channels = new string[0];
        public bool connectOnStart = true;
        public bool dontDestroyOnLoad = true;
        public TetherLogLevel logLevel = TetherLogLevel.Warn;

        // Created in Awake; configure handlers on it in your own Awake/Start.
        public TetherClient Client { get; private set; }

        // Adjust options (pool size, timeouts, TLS) before the client exists.
        public static Action<TetherClientOptions> ConfigureOptions;

        private void Awake()
        {
            if (dontDestroyOnLoad) DontDestroyOnLoad(gameObject);
            var options = new TetherClientOptions(url, string.IsNullOrEmpty(token) ? null : token);
            options.Config.LogLevel = (int)logLevel;
            if (ConfigureOptions != null) ConfigureOptions(options);
            Client = new TetherClient(options);
            Client.Log += ForwardLog;
            foreach (string channel in channels) Client.Subscribe(channel);
        }

        private void Start()
        {
            if (connectOnStart) Client.Connect();
        }

        private void Update()
        {
            if (Client != null && !Client.IsDisposed) Client.Pump();
        }

        private void OnDestroy()
        {
            if (Client == null) return;
            Client.Dispose();
            Client = null;
        }

        private static void ForwardLog(TetherLogLevel level, string line)
        {
            switch (level)
            {
                case TetherLogLevel.Error: Debug.LogError("[Tether] " + line); break;
                case TetherLogLevel.Warn: Debug.LogWarning("[Tether] " + line); break;
                default: Debug.Log("[Tether] " + line); break;
            }
        }
    }
}
