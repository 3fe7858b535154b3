// Drop-in component: creates a TetherClient from the inspector settings,
// pumps it every frame in Update (so every event and callback runs on the
// main thread), and destroys it with the GameObject.
//
// With dontDestroyOnLoad it is a singleton: the first one to come alive
// keeps its GameObject across scene loads, and one that comes alive later
// (e.g. the same scene loaded again) destroys its own GameObject with a warning.
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
        [Tooltip("Keep this GameObject across scene loads; a later copy destroys itself")]
        public bool dontDestroyOnLoad = true;
        [Tooltip("On resume from background or focus regained, skip any reconnect wait (mobile)")]
        public bool reconnectOnResume = true;
        public TetherLogLevel logLevel = TetherLogLevel.Warn;

        // Created in Awake; configure handlers on it in your own Awake/Start.
        // Null if creating it failed (the error was logged and this component disabled).
        public TetherClient Client { get; private set; }

        // The instance kept across scene loads (dontDestroyOnLoad), or null.
        public static TetherBehaviour Persistent { get; private set; }

        // Adjust options (pool size, timeouts, TLS) before the client exists.
        // Cleared when play mode starts, so a handler from an earlier play
        // session never runs (the editor may keep statics without a domain reload).
        public static Action<TetherClientOptions> ConfigureOptions;

        // Runs on entering play mode even with domain reload disabled.
        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.SubsystemRegistration)]
        private static void ResetStatics()
        {
            ConfigureOptions = null;
            Persistent = null;
        }

        private void Awake()
        {
            if (dontDestroyOnLoad && Persistent != null && Persistent != this)
            {
                Debug.LogWarning("[Tether] another TetherBehaviour is already kept across scenes (on '" +
                                 Persistent.gameObject.name + "'); destroying the duplicate on '" + gameObject.name + "'",
                                 this);
                enabled = false;
                Destroy(gameObject);
                return;
            }
            try
            {
                Client = CreateClient();
            }
            catch (Exception exception)
            {
                // One log entry; disabled, so Start and Update never run without a client.
                Debug.LogError("[Tether] cannot create the client, TetherBehaviour disabled: " + exception, this);
                enabled = false;
                return;
            }
            if (dontDestroyOnLoad)
            {
                Persistent = this;
                DontDestroyOnLoad(gameObject);
            }
        }

        private TetherClient CreateClient()
        {
            var options = new TetherClientOptions(url, string.IsNullOrEmpty(token) ? null : token);
            options.Config.LogLevel = (int)logLevel;
            if (ConfigureOptions != null) ConfigureOptions(options);
            var client = new TetherClient(options);
            try
            {
                client.Log += ForwardLog;
                foreach (string channel in channels) client.Subscribe(channel);
            }
            catch
            {
                client.Dispose();
                throw;
            }
            return client;
        }

        private void Start()
        {
            if (connectOnStart && Client != null && !Client.IsDisposed) Client.Connect();
        }

        private void Update()
        {
            if (Client != null && !Client.IsDisposed) Client.Pump();
        }

        // Mobile: the OS froze the process while in the background, so the
        // link may be dead. ReconnectNow skips a pending backoff wait (it is a
        // no-op while the client still believes it is connected; the overdue
        // heartbeat then finds out). See README "Mobile lifecycle".
        private void OnApplicationPause(bool paused)
        {
            if (!paused) ReconnectAfterResume();
        }

        private void OnApplicationFocus(bool focused)
        {
            if (focused) ReconnectAfterResume();
        }

        private void ReconnectAfterResume()
        {
            if (reconnectOnResume && Client != null && !Client.IsDisposed) Client.ReconnectNow();
        }

        private void OnDestroy()
        {
            if (Persistent == this) Persistent = null;
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
