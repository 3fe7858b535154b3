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
using System.Text;
using Tether.Native;

namespace Tether
{
    public sealed unsafe class TetherClient : IDisposable
    {
        private static readonly List<WeakReference<TetherClient>> live = new List<WeakReference<TetherClient>>();

        private IntPtr handle;
        private int pumpGeneration;  // odd while a Pump() is dispatching
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
        public event Action<TetherStateChange> StateChanged;
        public event Action<TetherMessage> MessageReceived;  // every message, after its channel handlers
        public event Action<ulong> Acked;                     // a reliable send's id
        public event Action<ulong, TetherSendOutcome> SendFailed;
        public event Action<TetherAuthInfo> Authenticated;
        public event Action<TetherProblem> AuthFailed;
        public event Action<string, long> TokenRefreshed;     // new token, expiry (Unix ms)
        public event Action<TetherProblem> TokenExpiring;     // call SetToken with a fresh one
        public event Action<TetherPermissionDenied> PermissionDenied;
        public event Action<string> Subscribed;
        public event Action<string> Unsubscribed;
        public event Action<TetherProblem> Error;             // protocol complaints; the session goes on
        public event Action<TetherProblem> TransportError;    // e.g. "tls_verify_failed"
        public event Action<TetherLogLevel, string> Log;

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
            fixed (byte* bytes = buffer) return SendNative(bytes, bytes + offset, length, reliable, null, out messageId);
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
                return SendNative(name, json + offset, count, reliable, null, out messageId);
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
            fixed (byte* bytes = buffer) result = SendNative(bytes, bytes + offset, length, true, onResolved, out messageId);
            Check((int)result);
            return messageId;
        }

        public void SendUnreliable(string channel, string json)
        {
            ulong unused;
            Check((int)TrySend(channel, json, false, out unused));
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
        // is rethrown when every event has been dispatched. Returns the count.
        public int Pump()
        {
            IntPtr client = Handle;
            if ((pumpGeneration & 1) != 0) throw new InvalidOperationException("Pump() called from an event handler");
            int count = Check(TetherNative.tether_client_pump(client));
            if (count == 0) return 0;
            ExceptionDispatchInfo firstError = null;
            pumpGeneration++;
            try
            {
                for (uint i = 0; i < (uint)count && handle == client; i++)
                {
                    TetherEvent* e = TetherNative.tether_client_event(client, i);
                    if (e == null) break;
                    try
                    {
                        Dispatch(e);
                    }
                    catch (Exception exception)
                    {
                        if (firstError == null) firstError = ExceptionDispatchInfo.Capture(exception);
                    }
                }
            }
            finally
            {
                pumpGeneration++;
            }
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

        private TetherResult SendNative(byte* channel, byte* json, int length, bool reliable,
                                        Action<TetherSendOutcome> onResolved, out ulong messageId)
        {
            IntPtr client = Handle;
            uint flags = reliable ? TetherNative.SendReliable : 0u;
            if (onResolved == null)
            {
                return (TetherResult)TetherNative.tether_client_send(client, channel, json, (UIntPtr)length, flags,
                                                                     out messageId);
            }
            // Held across the send so a Pump() on another thread cannot see the
            // ack before the callback is registered.
            lock (sendLock)
            {
                int result = TetherNative.tether_client_send(client, channel, json, (UIntPtr)length, flags, out messageId);
                if (result == 0) sendCallbacks[messageId] = onResolved;
                return (TetherResult)result;
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
            callback(outcome);
        }

        private void Dispatch(TetherEvent* e)
        {
            switch ((TetherEventType)e->Type)
            {
                case TetherEventType.StateChanged:
                    if (e->Connection == 0) State = (TetherState)e->State;
                    if (StateChanged != null) StateChanged(new TetherStateChange(e));
                    break;
                case TetherEventType.Message:
                {
                    var message = new TetherMessage(this, pumpGeneration, e);
                    router.Dispatch(e->Channel, e->ChannelLen, message);
                    if (MessageReceived != null) MessageReceived(message);
                    break;
                }
                case TetherEventType.Ack:
                    Resolve(e->MessageId, TetherSendOutcome.Acked);
                    if (Acked != null) Acked(e->MessageId);
                    break;
                case TetherEventType.SendFailed:
                    Resolve(e->MessageId, (TetherSendOutcome)e->Outcome);
                    if (SendFailed != null) SendFailed(e->MessageId, (TetherSendOutcome)e->Outcome);
                    break;
                case TetherEventType.AuthOk:
                    if (Authenticated != null) Authenticated(new TetherAuthInfo(e));
                    break;
                case TetherEventType.AuthFailed:
                    if (AuthFailed != null) AuthFailed(new TetherProblem(e));
                    break;
                case TetherEventType.TokenRefreshed:
                    if (TokenRefreshed != null) TokenRefreshed(Utf8.Decode(e->Token, e->TokenLen), e->ExpiresAtMs);
                    break;
                case TetherEventType.TokenExpiring:
                    if (TokenExpiring != null) TokenExpiring(new TetherProblem(e));
                    break;
                case TetherEventType.PermissionDenied:
                    if (PermissionDenied != null) PermissionDenied(new TetherPermissionDenied(e));
                    break;
                case TetherEventType.Subscribed:
                    if (Subscribed != null) Subscribed(Utf8.Decode(e->Channel, e->ChannelLen));
                    break;
                case TetherEventType.Unsubscribed:
                    if (Unsubscribed != null) Unsubscribed(Utf8.Decode(e->Channel, e->ChannelLen));
                    break;
                case TetherEventType.Error:
                    if (Error != null) Error(new TetherProblem(e));
                    break;
                case TetherEventType.TransportError:
                    if (TransportError != null) TransportError(new TetherProblem(e));
                    break;
                case TetherEventType.Log:
                    if (Log != null) Log((TetherLogLevel)e->LogLevel, Utf8.Decode(e->Reason, e->ReasonLen));
                    break;
            }
        }
    }
}
