// A Tether client for C#: owns one native tether_client and turns what
// Pump() drains into C# events, per-channel handlers and send callbacks,
// all raised on the thread that calls Pump() (the main thread in a game).
// No Tasks, no callbacks from other threads. An idle Pump() allocates
// nothing; message payloads are decoded only when a handler reads them.
//
// Threads: Send*/Subscribe/Unsubscribe/Connect/Close may be called from any
// thread. Pump(), On()/Off() and the events belong to one thread.
using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using Tether.Native;

namespace Tether
{
    public sealed unsafe class TetherClient : IDisposable
    {
        private static readonly List<WeakReference<TetherClient>> live = new List<WeakReference<TetherClient>>();

        private IntPtr handle;
        private int pumpGeneration;  // odd while a Pump() is dispatching
        private ExceptionDispatchInfo dispatchError;  // the first handler exception of this Pump()
        private readonly ChannelRouter router = new ChannelRouter();
        private readonly object sendLock = new object();
        private readonly Dictionary<ulong, Action<TetherSendOutcome>> sendCallbacks =
            new Dictionary<ulong, Action<TetherSendOutcome>>();

        public TetherClient(TetherClientOptions options)
        {
            if (options == null) throw new ArgumentNullException("options");
            int result;
            using (var text = new TetherClientOptions.NativeText())
            {
                TetherConfig config = options.ToNative(text);
                result = TetherNative.tether_client_create(ref config, out handle);
            }
            if (result != 0) throw new TetherException((TetherResult)result, LastErrorOf(IntPtr.Zero));
            lock (live) live.Add(new WeakReference<TetherClient>(this));
        }

        ~TetherClient() { DestroyNative(); }

        // ---- events (raised inside Pump) -----------------------------------
        // Each subscriber is called on its own (see Handlers): one that throws
        // does not stop the rest, and one that disposes the client ends the
        // Pump(): no later subscriber or event runs.
        public event Action<TetherStateChange> StateChanged { add { stateChanged.Add(value); } remove { stateChanged.Remove(value); } }
        // Every message, after its channel handlers.
        public event Action<TetherMessage> MessageReceived { add { messageReceived.Add(value); } remove { messageReceived.Remove(value); } }
        // A reliable send's id.
        public event Action<ulong> Acked { add { acked.Add(value); } remove { acked.Remove(value); } }
        public event Action<ulong, TetherSendOutcome> SendFailed { add { sendFailed.Add(value); } remove { sendFailed.Remove(value); } }
        public event Action<TetherAuthInfo> Authenticated { add { authenticated.Add(value); } remove { authenticated.Remove(value); } }
        public event Action<TetherProblem> AuthFailed { add { authFailed.Add(value); } remove { authFailed.Remove(value); } }
        // The new token and its expiry (Unix ms).
        public event Action<string, long> TokenRefreshed { add { tokenRefreshed.Add(value); } remove { tokenRefreshed.Remove(value); } }
        // Call SetToken with a fresh one.
        public event Action<TetherProblem> TokenExpiring { add { tokenExpiring.Add(value); } remove { tokenExpiring.Remove(value); } }
        public event Action<TetherPermissionDenied> PermissionDenied { add { permissionDenied.Add(value); } remove { permissionDenied.Remove(value); } }
        public event Action<string> Subscribed { add { subscribed.Add(value); } remove { subscribed.Remove(value); } }
        public event Action<string> Unsubscribed { add { unsubscribed.Add(value); } remove { unsubscribed.Remove(value); } }
        // Protocol complaints; the session goes on.
        public event Action<TetherProblem> Error { add { error.Add(value); } remove { error.Remove(value); } }
        // e.g. "tls_verify_failed".
        public event Action<TetherProblem> TransportError { add { transportError.Add(value); } remove { transportError.Remove(value); } }
        public event Action<TetherLogLevel, string> Log { add { log.Add(value); } remove { log.Remove(value); } }

        private readonly Handlers<Action<TetherStateChange>> stateChanged = new Handlers<Action<TetherStateChange>>();
        private readonly Handlers<Action<TetherMessage>> messageReceived = new Handlers<Action<TetherMessage>>();
        private readonly Handlers<Action<ulong>> acked = new Handlers<Action<ulong>>();
        private readonly Handlers<Action<ulong, TetherSendOutcome>> sendFailed = new Handlers<Action<ulong, TetherSendOutcome>>();
        private readonly Handlers<Action<TetherAuthInfo>> authenticated = new Handlers<Action<TetherAuthInfo>>();
        private readonly Handlers<Action<TetherProblem>> authFailed = new Handlers<Action<TetherProblem>>();
        private readonly Handlers<Action<string, long>> tokenRefreshed = new Handlers<Action<string, long>>();
        private readonly Handlers<Action<TetherProblem>> tokenExpiring = new Handlers<Action<TetherProblem>>();
        private readonly Handlers<Action<TetherPermissionDenied>> permissionDenied = new Handlers<Action<TetherPermissionDenied>>();
        private readonly Handlers<Action<string>> subscribed = new Handlers<Action<string>>();
        private readonly Handlers<Action<string>> unsubscribed = new Handlers<Action<string>>();
        private readonly Handlers<Action<TetherProblem>> error = new Handlers<Action<TetherProblem>>();
        private readonly Handlers<Action<TetherProblem>> transportError = new Handlers<Action<TetherProblem>>();
        private readonly Handlers<Action<TetherLogLevel, string>> log = new Handlers<Action<TetherLogLevel, string>>();

        // ---- library ---------------------------------------------------------
        public static uint NativeVersion { get { return TetherNative.tether_version(); } }
        public static string NativeVersionString { get { return Utf8.FromNative(TetherNative.tether_version_string()); } }

        public static string ResultString(TetherResult result)
        {
            return Utf8.FromNative(TetherNative.tether_result_string((int)result));
        }

        // Destroys every native client still alive: play-mode exit, domain reload, quit.
        public static void DestroyAll()
        {
            List<WeakReference<TetherClient>> clients;
            lock (live) clients = new List<WeakReference<TetherClient>>(live);
            foreach (WeakReference<TetherClient> reference in clients)
            {
                TetherClient client;
                if (reference.TryGetTarget(out client)) client.Dispose();
            }
        }

        // ---- state -----------------------------------------------------------
        // Connection 0's state, as of the last Pump().
        public TetherState State { get; private set; }
        public bool IsDisposed { get { return handle == IntPtr.Zero; } }
        public int PoolSize { get { return Check(TetherNative.tether_client_pool_size(Handle)); } }

        // ---- commands --------------------------------------------------------
        public void Connect() { Check(TetherNative.tether_client_connect(Handle)); }
        public void Close() { Check(TetherNative.tether_client_close(Handle)); }
        public void ReconnectNow() { Check(TetherNative.tether_client_reconnect_now(Handle)); }

        public void SetToken(string token)
        {
            if (token == null) throw new ArgumentNullException("token");
            byte[] buffer = Utf8.Scratch(Encoding.UTF8.GetMaxByteCount(token.Length) + 1);
            Utf8.WriteTerminated(token, buffer, 0);
            fixed (byte* text = buffer) Check(TetherNative.tether_client_set_token(Handle, text));
        }

        // Sends without throwing for refusals (QueueFull, PermissionDenied, ...);
        // misuse (null, disposed) still throws. messageId: see tether_client_send.
        public TetherResult TrySend(string channel, string json, bool reliable, out ulong messageId)
        {
            if (json == null) throw new ArgumentNullException("json");
            int offset;
            byte[] buffer = EncodeChannel(channel, Encoding.UTF8.GetMaxByteCount(json.Length), out offset);
            int length = Encoding.UTF8.GetBytes(json, 0, json.Length, buffer, offset);
            fixed (byte* bytes = buffer) return SendNative(bytes, bytes + offset, length, false, reliable, null, out messageId);
        }

        // The same with a payload that is already UTF-8 JSON: no encoding work.
        public TetherResult TrySend(string channel, byte[] utf8Json, int offset, int count, bool reliable,
                                    out ulong messageId)
        {
            if (utf8Json == null) throw new ArgumentNullException("utf8Json");
            if (offset < 0 || count < 0 || utf8Json.Length - offset < count) throw new ArgumentOutOfRangeException("count");
            byte[] buffer = EncodeChannel(channel);
            fixed (byte* name = buffer)
            fixed (byte* json = utf8Json)
            {
                return SendNative(name, json + offset, count, false, reliable, null, out messageId);
            }
        }

        // A reliable send; `onResolved` (optional) runs inside a later Pump()
        // with Acked or the reason it failed. Returns the message id.
        public ulong SendReliable(string channel, string json, Action<TetherSendOutcome> onResolved = null)
        {
            if (json == null) throw new ArgumentNullException("json");
            int offset;
            byte[] buffer = EncodeChannel(channel, Encoding.UTF8.GetMaxByteCount(json.Length), out offset);
            int length = Encoding.UTF8.GetBytes(json, 0, json.Length, buffer, offset);
            ulong messageId;
            TetherResult result;
            fixed (byte* bytes = buffer) result = SendNative(bytes, bytes + offset, length, false, true, onResolved, out messageId);
            Check((int)result);
            return messageId;
        }

        public void SendUnreliable(string channel, string json)
        {
            ulong unused;
            Check((int)TrySend(channel, json, false, out unused));
        }

        // ---- binary payloads -------------------------------------------------
        // Bytes in any format of the game's, never checked or parsed; they
        // arrive as a TetherMessage with IsBinary set. The library copies them
        // before the call returns. A server older than binary payloads refuses
        // them: Unsupported while connected to it (see tether_client_send_bytes).

        // TrySend for bytes: refusals (QueueFull, Unsupported, ...) come back as the result.
        public TetherResult TrySendBytes(string channel, ReadOnlySpan<byte> data, bool reliable, out ulong messageId)
        {
            byte[] buffer = EncodeChannel(channel);
            fixed (byte* name = buffer)
            fixed (byte* bytes = &MemoryMarshal.GetReference(data))  // may be null when empty: allowed
            {
                return SendNative(name, bytes, data.Length, true, reliable, null, out messageId);
            }
        }

        public ulong SendReliable(string channel, byte[] data, Action<TetherSendOutcome> onResolved = null)
        {
            if (data == null) throw new ArgumentNullException("data");
            return SendReliable(channel, new ReadOnlySpan<byte>(data), onResolved);
        }

        public ulong SendReliable(string channel, ReadOnlySpan<byte> data, Action<TetherSendOutcome> onResolved = null)
        {
            byte[] buffer = EncodeChannel(channel);
            ulong messageId;
            TetherResult result;
            fixed (byte* name = buffer)
            fixed (byte* bytes = &MemoryMarshal.GetReference(data))
            {
                result = SendNative(name, bytes, data.Length, true, true, onResolved, out messageId);
            }
            Check((int)result);
            return messageId;
        }

        public void SendUnreliable(string channel, byte[] data)
        {
            if (data == null) throw new ArgumentNullException("data");
            SendUnreliable(channel, new ReadOnlySpan<byte>(data));
        }

        public void SendUnreliable(string channel, ReadOnlySpan<byte> data)
        {
            ulong unused;
            Check((int)TrySendBytes(channel, data, false, out unused));
        }

        public void Subscribe(string channel)
        {
            byte[] buffer = EncodeChannel(channel);
            fixed (byte* name = buffer) Check(TetherNative.tether_client_subscribe(Handle, name));
        }

        public void Unsubscribe(string channel)
        {
            byte[] buffer = EncodeChannel(channel);
            fixed (byte* name = buffer) Check(TetherNative.tether_client_unsubscribe(Handle, name));
        }

        // Subscribes and routes the channel's messages to `handler` (pump thread).
        public void On(string channel, Action<TetherMessage> handler)
        {
            if (handler == null) throw new ArgumentNullException("handler");
            Subscribe(channel);
            router.Add(channel, handler);
        }

        // Removes `handler`; unsubscribes when the channel has none left.
        public void Off(string channel, Action<TetherMessage> handler)
        {
            if (router.Remove(channel, handler)) Unsubscribe(channel);
        }

        // ---- the frame -------------------------------------------------------
        // Raises the events produced since the last Pump(). Call once per frame.
        // A handler that throws does not stop the others; the first exception
        // is rethrown when every event has been dispatched. A handler that
        // calls Dispose() ends the dispatch at once: the remaining events of
        // this Pump() are dropped. Returns the count.
        public int Pump()
        {
            IntPtr client = Handle;
            if ((pumpGeneration & 1) != 0) throw new InvalidOperationException("Pump() called from an event handler");
            // One native call per frame: the events come back as one array.
            TetherEvent* events;
            int count = Check(TetherNative.tether_client_pump_events(client, out events));
            if (count == 0) return 0;
            dispatchError = null;
            pumpGeneration++;
            try
            {
                // The event storage belongs to `client`: once Dispose() freed
                // it (handle is zero), nothing here may read an event again.
                for (int i = 0; i < count && handle == client; i++)
                {
                    try
                    {
                        Dispatch(events + i);
                    }
                    catch (Exception exception)
                    {
                        Capture(exception);
                    }
                }
            }
            finally
            {
                pumpGeneration++;
            }
            ExceptionDispatchInfo firstError = dispatchError;
            dispatchError = null;
            if (firstError != null) firstError.Throw();
            return count;
        }

        // ---- diagnostics -----------------------------------------------------
        public TetherStats PoolStats()
        {
            var stats = new TetherStats { StructSize = (uint)sizeof(TetherStats) };
            Check(TetherNative.tether_client_pool_stats(Handle, ref stats));
            return stats;
        }

        public TetherStats ConnectionStats(int index)
        {
            var stats = new TetherStats { StructSize = (uint)sizeof(TetherStats) };
            Check(TetherNative.tether_client_connection_stats(Handle, checked((uint)index), ref stats));
            return stats;
        }

        // A bad network for testing your game: latency each way and a frame drop rate.
        public void Simulate(long latencyMs, double dropRate)
        {
            Check(TetherNative.tether_client_simulate(Handle, latencyMs, dropRate));
        }

        public void SimulateCut(int connection = -1) { Check(TetherNative.tether_client_simulate_cut(Handle, connection)); }

        public void SetLogLevel(TetherLogLevel level) { Check(TetherNative.tether_client_set_log_level(Handle, (int)level)); }

        // ---- lifetime --------------------------------------------------------
        // Quick from any state; unresolved sends are abandoned without callbacks.
        // Allowed inside an event handler: that Pump() stops dispatching at
        // once and drops its remaining events. Call it on the pumping thread.
        public void Dispose()
        {
            DestroyNative();
            GC.SuppressFinalize(this);
            lock (live) live.RemoveAll(reference =>
            {
                TetherClient client;
                return !reference.TryGetTarget(out client) || client == this;
            });
        }

        // ---- internals -------------------------------------------------------
        internal bool IsCurrentPump(int generation)
        {
            return generation == pumpGeneration && handle != IntPtr.Zero;
        }

        private IntPtr Handle
        {
            get
            {
                IntPtr client = handle;
                if (client == IntPtr.Zero) throw new ObjectDisposedException("TetherClient");
                return client;
            }
        }

        private void DestroyNative()
        {
            IntPtr client = handle;
            handle = IntPtr.Zero;
            TetherNative.tether_client_destroy(client);  // NULL is a no-op
        }

        private static string LastErrorOf(IntPtr client)
        {
            return Utf8.FromNative(TetherNative.tether_client_last_error(client));
        }

        private int Check(int result)
        {
            if (result >= 0) return result;
            if ((TetherResult)result == TetherResult.InvalidHandle && handle == IntPtr.Zero)
            {
                throw new ObjectDisposedException("TetherClient");
            }
            throw new TetherException((TetherResult)result, LastErrorOf(handle));
        }

        // The channel as NUL-terminated UTF-8 at the start of the scratch
        // buffer, with `extra` bytes of room after it. `payloadOffset`: where the bytes after the NUL start.
        private static byte[] EncodeChannel(string channel, int extra, out int payloadOffset)
        {
            if (channel == null) throw new ArgumentNullException("channel");
            if (channel.IndexOf('\0') >= 0) throw new ArgumentException("channel contains a NUL character");
            byte[] buffer = Utf8.Scratch(Encoding.UTF8.GetMaxByteCount(channel.Length) + 1 + extra);
            payloadOffset = Utf8.WriteTerminated(channel, buffer, 0) + 1;
            return buffer;
        }

        private static byte[] EncodeChannel(string channel)
        {
            int unused;
            return EncodeChannel(channel, 0, out unused);
        }

        // `binary`: the payload is bytes (tether_client_send_bytes), else UTF-8 JSON.
        private TetherResult SendNative(byte* channel, byte* payload, int length, bool binary, bool reliable,
                                        Action<TetherSendOutcome> onResolved, out ulong messageId)
        {
            IntPtr client = Handle;
            uint flags = reliable ? TetherNative.SendReliable : 0u;
            if (onResolved == null)
            {
                return (TetherResult)SendOnce(client, channel, payload, length, binary, flags, out messageId);
            }
            // Held across the send so a Pump() on another thread cannot see the
            // ack before the callback is registered.
            lock (sendLock)
            {
                int result = SendOnce(client, channel, payload, length, binary, flags, out messageId);
                if (result == 0) sendCallbacks[messageId] = onResolved;
                return (TetherResult)result;
            }
        }

        private static int SendOnce(IntPtr client, byte* channel, byte* payload, int length, bool binary, uint flags,
                                    out ulong messageId)
        {
            return binary
                ? TetherNative.tether_client_send_bytes(client, channel, payload, (UIntPtr)length, flags, out messageId)
                : TetherNative.tether_client_send(client, channel, payload, (UIntPtr)length, flags, out messageId);
        }

        private bool Disposed { get { return handle == IntPtr.Zero; } }

        private void Capture(Exception exception)
        {
            if (dispatchError == null) dispatchError = ExceptionDispatchInfo.Capture(exception);
        }

        // Each Raise calls the subscribers one at a time and stops as soon as
        // one of them disposed the client.
        private void Raise<T>(Action<T>[] handlers, T value)
        {
            for (int i = 0; i < handlers.Length && !Disposed; i++)
            {
                try
                {
                    handlers[i](value);
                }
                catch (Exception exception)
                {
                    Capture(exception);
                }
            }
        }

        private void Raise<T1, T2>(Action<T1, T2>[] handlers, T1 first, T2 second)
        {
            for (int i = 0; i < handlers.Length && !Disposed; i++)
            {
                try
                {
                    handlers[i](first, second);
                }
                catch (Exception exception)
                {
                    Capture(exception);
                }
            }
        }

        private void Resolve(ulong messageId, TetherSendOutcome outcome)
        {
            Action<TetherSendOutcome> callback;
            lock (sendLock)
            {
                if (!sendCallbacks.TryGetValue(messageId, out callback)) return;
                sendCallbacks.Remove(messageId);
            }
            try
            {
                callback(outcome);
            }
            catch (Exception exception)
            {
                Capture(exception);
            }
        }

        // Every field of `e` that a case needs is read before the first
        // handler runs: a handler may dispose the client, which frees `e`.
        private void Dispatch(TetherEvent* e)
        {
            switch ((TetherEventType)e->Type)
            {
                case TetherEventType.StateChanged:
                    if (e->Connection == 0) State = (TetherState)e->State;
                    if (!stateChanged.IsEmpty) Raise(stateChanged.Current, new TetherStateChange(e));
                    break;
                case TetherEventType.Message:
                {
                    // A view over `e`: it checks that the client is alive before each read.
                    var message = new TetherMessage(this, pumpGeneration, e);
                    Action<TetherMessage>[] routed = router.HandlersFor(e->Channel, e->ChannelLen);
                    if (routed != null) Raise(routed, message);
                    Raise(messageReceived.Current, message);
                    break;
                }
                case TetherEventType.Ack:
                {
                    ulong messageId = e->MessageId;
                    Resolve(messageId, TetherSendOutcome.Acked);
                    Raise(acked.Current, messageId);
                    break;
                }
                case TetherEventType.SendFailed:
                {
                    ulong messageId = e->MessageId;
                    var outcome = (TetherSendOutcome)e->Outcome;
                    Resolve(messageId, outcome);
                    Raise(sendFailed.Current, messageId, outcome);
                    break;
                }
                case TetherEventType.AuthOk:
                    if (!authenticated.IsEmpty) Raise(authenticated.Current, new TetherAuthInfo(e));
                    break;
                case TetherEventType.AuthFailed:
                    if (!authFailed.IsEmpty) Raise(authFailed.Current, new TetherProblem(e));
                    break;
                case TetherEventType.TokenRefreshed:
                    if (!tokenRefreshed.IsEmpty) Raise(tokenRefreshed.Current, Utf8.Decode(e->Token, e->TokenLen), e->ExpiresAtMs);
                    break;
                case TetherEventType.TokenExpiring:
                    if (!tokenExpiring.IsEmpty) Raise(tokenExpiring.Current, new TetherProblem(e));
                    break;
                case TetherEventType.PermissionDenied:
                    if (!permissionDenied.IsEmpty) Raise(permissionDenied.Current, new TetherPermissionDenied(e));
                    break;
                case TetherEventType.Subscribed:
                    if (!subscribed.IsEmpty) Raise(subscribed.Current, Utf8.Decode(e->Channel, e->ChannelLen));
                    break;
                case TetherEventType.Unsubscribed:
                    if (!unsubscribed.IsEmpty) Raise(unsubscribed.Current, Utf8.Decode(e->Channel, e->ChannelLen));
                    break;
                case TetherEventType.Error:
                    if (!error.IsEmpty) Raise(error.Current, new TetherProblem(e));
                    break;
                case TetherEventType.TransportError:
                    if (!transportError.IsEmpty) Raise(transportError.Current, new TetherProblem(e));
                    break;
                case TetherEventType.Log:
                    if (!log.IsEmpty) Raise(log.Current, (TetherLogLevel)e->LogLevel, Utf8.Decode(e->Reason, e->ReasonLen));
                    break;
            }
        }
    }
}
