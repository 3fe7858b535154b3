// The C# binding (bindings/unity/Runtime/Core, compiled without UnityEngine)
// under Mono, against the real libtether and a real tether-server started by
// mono_runner.cpp. Prints PASS/FAIL per test; exit code 0 = all passed.
//
// Arguments: --url WS_URL --alice JWT --bob JWT --layout "tether_event.size=232;..."
// Protocol with the runner: printing "KILL_SERVER_NOW" makes it kill the
// server and start it again on the same port.
using System;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;
using Tether;
using Tether.Native;

internal static partial class TetherMonoTests
{
    private static string url, aliceToken, bobToken, layoutText;
    private static int failures;
    private const int DeadlineMs = 10000;

    private static int Main(string[] args)
    {
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--url") url = args[i + 1];
            else if (args[i] == "--alice") aliceToken = args[i + 1];
            else if (args[i] == "--bob") bobToken = args[i + 1];
            else if (args[i] == "--layout") layoutText = args[i + 1];
        }
        if (url == null || aliceToken == null || bobToken == null || layoutText == null)
        {
            Console.WriteLine("usage: TetherMonoTests.exe --url URL --alice JWT --bob JWT --layout LAYOUT");
            return 2;
        }
        Run("struct layout matches the C compiler's", StructLayoutMatchesC);
        Run("native version matches the binding", NativeVersionMatches);
        Run("an invalid config throws with the engine's reason", InvalidConfigThrows);
        Run("MaxPendingEventBytes: the library's default, and validated", MaxPendingEventBytesIsMirrored);
        Run("refused sends report why", RefusedSendsReportWhy);
        Run("connect, auth, reliable send acked on the pumping thread", ReliableSendIsAcked);
        Run("a channel handler receives another client's message", ChannelHandlerReceives);
        Run("reliable binary payloads come back byte for byte, each acked once", BinaryPayloadsRoundTrip);
        Run("binary sends from a span allocate nothing", BinarySendsAllocateNothing);
        Run("IoMode.Pump: the network moves only inside Pump, sends acked once", PumpModeMovesOnlyInsidePump);
        Run("an idle Pump allocates nothing", IdlePumpAllocatesNothing);
        Run("a message read after its Pump throws", MessageExpiresWithItsPump);
        Run("reconnects after the server restarts", ReconnectsAfterServerRestart);
        Run("dispose is final and DestroyAll is safe", DisposeIsFinal);
        Run("a channel handler that disposes the client ends the dispatch", DisposeInChannelHandlerStopsDispatch);
        Run("a send callback that disposes the client ends the dispatch", DisposeInSendCallbackStopsDispatch);
        Run("a throwing handler does not stop the others; Pump rethrows", ThrowingHandlerDoesNotStopOthers);
        Console.WriteLine(failures == 0 ? "ALL PASSED" : failures + " FAILED");
        return failures == 0 ? 0 : 1;
    }

    // ---- harness -------------------------------------------------------------

    private static void Run(string name, Action test)
    {
        try
        {
            test();
            Console.WriteLine("PASS " + name);
        }
        catch (Exception e)
        {
            failures++;
            Console.WriteLine("FAIL " + name + ": " + e);
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition) throw new Exception("check failed: " + what);
    }

    private static void PumpUntil(Func<bool> done, string what, params TetherClient[] clients)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(DeadlineMs);
        while (!done())
        {
            if (DateTime.UtcNow > deadline) throw new Exception("timed out waiting for " + what);
            foreach (TetherClient client in clients) client.Pump();
            Thread.Sleep(2);
        }
    }

    private static TetherClient NewClient(string token)
    {
        var options = new TetherClientOptions(url, token);
        options.Config.BackoffInitialMs = 50;
        options.Config.BackoffMaxMs = 200;
        options.Config.BackoffMaxAttempts = 0;
        options.Config.Seed = 7;
        return new TetherClient(options);
    }

    // Waits without pumping until the library has produced what `done` sees
    // in the live stats, then a little longer so every event is queued.
    private static void WaitWithoutPumping(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(DeadlineMs);
        while (!done())
        {
            if (DateTime.UtcNow > deadline) throw new Exception("timed out waiting for " + what);
            Thread.Sleep(2);
        }
        Thread.Sleep(100);
    }

    private static void ConnectReady(TetherClient client)
    {
        client.Connect();
        PumpUntil(() => client.State == TetherState.Ready, "Ready", client);
    }

    // ---- tests ---------------------------------------------------------------

    private static string Pascal(string snake)
    {
        var result = new System.Text.StringBuilder();
        foreach (string part in snake.Split('_')) result.Append(char.ToUpperInvariant(part[0])).Append(part.Substring(1));
        return result.ToString();
    }

    private static void StructLayoutMatchesC()
    {
        var types = new Dictionary<string, Type>
        {
            { "tether_event", typeof(TetherEvent) },
            { "tether_stats", typeof(TetherStats) },
            { "tether_config", typeof(TetherConfig) },
        };
        var fieldsSeen = new Dictionary<Type, int>();
        int compared = 0;
        foreach (string entry in layoutText.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries))
        {
            string[] keyValue = entry.Split('=');
            string[] names = keyValue[0].Split('.');
            int expected = int.Parse(keyValue[1]);
            Type type = types[names[0]];
            int actual = names[1] == "size" ? Marshal.SizeOf(type) : (int)Marshal.OffsetOf(type, Pascal(names[1]));
            Check(actual == expected, keyValue[0] + ": C# " + actual + ", C " + expected);
            if (names[1] != "size") fieldsSeen[type] = (fieldsSeen.ContainsKey(type) ? fieldsSeen[type] : 0) + 1;
            compared++;
        }
        foreach (Type type in types.Values)
        {
            int fields = type.GetFields(BindingFlags.Public | BindingFlags.Instance).Length;
            Check(fieldsSeen[type] == fields, type.Name + ": " + fields + " C# fields, " + fieldsSeen[type] + " in C");
        }
        Check(compared > 80, "layout lines compared: " + compared);
    }

    private static void NativeVersionMatches()
    {
        Check(TetherClient.NativeVersion == TetherNative.Version, "version " + TetherClient.NativeVersionString);
        Check(TetherClient.ResultString(TetherResult.QueueFull) == "queue full", "result string");
    }

    private static void InvalidConfigThrows()
    {
        var options = new TetherClientOptions(url, aliceToken);
        options.Config.HeartbeatTimeoutMs = options.Config.HeartbeatIntervalMs;
        try
        {
            new TetherClient(options).Dispose();
            throw new Exception("no exception");
        }
        catch (TetherException e)
        {
            Check(e.Result == TetherResult.InvalidConfig, "result " + e.Result);
            Check(e.Detail == "heartbeat timeout must be < heartbeat interval", "detail " + e.Detail);
        }
    }

    private static void MaxPendingEventBytesIsMirrored()
    {
        var options = new TetherClientOptions(url, aliceToken);
        Check(options.Config.MaxPendingEventBytes == 16777216, "default " + options.Config.MaxPendingEventBytes);
        options.Config.MaxPendingEventBytes = 65536;
        new TetherClient(options).Dispose();
        options.Config.MaxPendingEventBytes = 65535;
        try
        {
            new TetherClient(options).Dispose();
            throw new Exception("no exception");
        }
        catch (TetherException e)
        {
            Check(e.Result == TetherResult.InvalidConfig, "result " + e.Result);
            Check(e.Detail == "max_pending_event_bytes must be >= 65536", "detail " + e.Detail);
        }
    }

    private static void RefusedSendsReportWhy()
    {
        using (TetherClient client = NewClient(aliceToken))
        {
            ulong id;
            Check(client.TrySend("room:1", "{not json", true, out id) == TetherResult.InvalidPayload, "invalid json");
            Check(client.TrySend("", "1", false, out id) == TetherResult.InvalidChannel, "empty channel");
            Check(client.TrySend("room:1", "{\"ok\":1}", true, out id) == TetherResult.Ok && id != 0, "queued");
            try
            {
                client.SendReliable("room:1", "nope");
                throw new Exception("no exception");
            }
            catch (TetherException e)
            {
                Check(e.Result == TetherResult.InvalidPayload && e.Detail == "send: invalid_payload", e.Message);
            }
        }
    }

    private static void ReliableSendIsAcked()
    {
        using (TetherClient alice = NewClient(aliceToken))
        {
            TetherAuthInfo auth = null;
            alice.Authenticated += info => auth = info;
            var states = new List<TetherState>();
            alice.StateChanged += change => states.Add(change.State);
            ConnectReady(alice);
            PumpUntil(() => auth != null, "auth", alice);
            Check(auth.UserId == "alice", "user " + auth.UserId);
            Check(Array.IndexOf(auth.Permissions, "publish:*") >= 0, "permissions " + string.Join(",", auth.Permissions));
            Check(states[0] == TetherState.Connecting && states.Contains(TetherState.Authenticating), "states");

            int mainThread = Thread.CurrentThread.ManagedThreadId;
            int callbackThread = -1;
            TetherSendOutcome? outcome = null;
            ulong ackedId = 0;
            alice.Acked += id => ackedId = id;
            ulong sent = alice.SendReliable("room:1", "{\"n\":1}", result =>
            {
                outcome = result;
                callbackThread = Thread.CurrentThread.ManagedThreadId;
            });
            PumpUntil(() => outcome.HasValue, "ack", alice);
            Check(outcome == TetherSendOutcome.Acked, "outcome " + outcome);
            Check(ackedId == sent, "acked id");
            Check(callbackThread == mainThread, "callback on the pumping thread");
            TetherStats stats = alice.PoolStats();
            Check(stats.MessagesSent == 1 && stats.PendingAcks == 0, "stats");
            Check((TetherState)stats.State == TetherState.Ready, "stats state");
        }
    }

    private static void ChannelHandlerReceives()
    {
        using (TetherClient alice = NewClient(aliceToken))
        using (TetherClient bob = NewClient(bobToken))
        {
            var received = new List<string>();
            bool reliable = false;
            bool subscribed = false;
            bob.Subscribed += channel => subscribed |= channel == "room:5";
            bob.On("room:5", message =>
            {
                received.Add(message.Channel + " " + message.Json);
                reliable = message.IsReliable;
            });
            int otherChannel = 0;
            bob.On("room:6", message => otherChannel++);
            ConnectReady(bob);
            PumpUntil(() => subscribed, "subscribed", bob);
            ConnectReady(alice);
            alice.SendReliable("room:5", "{\"text\":\"héllo\"}");
            PumpUntil(() => received.Count == 1, "message", alice, bob);
            Check(received[0] == "room:5 {\"text\":\"héllo\"}", received[0]);
            Check(reliable, "reliable flag");
            Check(otherChannel == 0, "routed to its channel only");
        }
    }

    private static string Hex(byte[] bytes)
    {
        return bytes.Length == 0 ? "(empty)" : BitConverter.ToString(bytes);
    }

    private static void IdlePumpAllocatesNothing()
    {
        using (TetherClient alice = NewClient(aliceToken))
        {
            alice.StateChanged += change => { };
            ConnectReady(alice);
            alice.Pump();
            long before = GC.GetAllocatedBytesForCurrentThread();
            int events = 0;
            for (int i = 0; i < 1000; i++) events += alice.Pump();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Check(events == 0, "idle: " + events + " events");
            Check(allocated == 0, allocated + " bytes allocated by 1000 idle pumps");
        }
    }

    private static void MessageExpiresWithItsPump()
    {
        using (TetherClient alice = NewClient(aliceToken))
        {
            var kept = new List<TetherMessage>();
            alice.On("room:8", message => kept.Add(message));
            ConnectReady(alice);
            alice.SendUnreliable("room:8", "42");
            PumpUntil(() => kept.Count == 1, "echo", alice);
            try
            {
                string json = kept[0].Json;
                throw new Exception("read after pump returned " + json);
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    private static void ReconnectsAfterServerRestart()
    {
        using (TetherClient alice = NewClient(aliceToken))
        {
            var changes = new List<TetherStateChange>();
            alice.StateChanged += change => changes.Add(change);
            ConnectReady(alice);
            Console.WriteLine("KILL_SERVER_NOW");
            Console.Out.Flush();
            PumpUntil(() => alice.State == TetherState.Reconnecting, "Reconnecting", alice);
            TetherStateChange reconnecting = changes.Find(c => c.State == TetherState.Reconnecting);
            Check(reconnecting.Attempt >= 1 && reconnecting.DelayMs >= 0, "attempt/delay");
            Check(reconnecting.ClosedBy == TetherCloseInitiator.Transport, "closed by " + reconnecting.ClosedBy);
            TetherSendOutcome? outcome = null;
            alice.SendReliable("room:1", "\"while down\"", result => outcome = result);
            PumpUntil(() => changes.FindAll(c => c.State == TetherState.Ready).Count == 2, "Ready again", alice);
            PumpUntil(() => outcome.HasValue, "ack after reconnect", alice);
            Check(outcome == TetherSendOutcome.Acked, "outcome " + outcome);
            Check(alice.PoolStats().Reconnects == 1, "reconnects stat");
        }
    }

    private static void DisposeIsFinal()
    {
        TetherClient client = NewClient(aliceToken);
        client.Connect();
        client.Dispose();
        client.Dispose();
        Check(client.IsDisposed, "IsDisposed");
        try
        {
            client.Pump();
            throw new Exception("no exception");
        }
        catch (ObjectDisposedException)
        {
        }
        TetherClient other = NewClient(aliceToken);
        TetherClient.DestroyAll();
        Check(other.IsDisposed, "DestroyAll disposed a live client");
    }

    // Five messages wait for one Pump(); the first channel handler disposes
    // the client. Nothing after it may run (a second handler on the same
    // channel, MessageReceived, the other four messages), the message view
    // must refuse reads instead of touching the freed event, and Pump() must
    // return normally.
    private static void DisposeInChannelHandlerStopsDispatch()
    {
        const int Sent = 5;
        using (TetherClient bob = NewClient(bobToken))
        using (TetherClient alice = NewClient(aliceToken))  // a second Dispose is a no-op
        {
            bool subscribed = false;
            var calls = new List<string>();
            bool readAfterDisposeRefused = false;
            alice.Subscribed += channel => subscribed |= channel == "room:9";
            alice.On("room:9", message =>
            {
                calls.Add("first " + message.Json);
                alice.Dispose();
                try
                {
                    calls.Add("read after dispose " + message.Json);
                }
                catch (InvalidOperationException)
                {
                    readAfterDisposeRefused = true;
                }
            });
            alice.On("room:9", message => calls.Add("second"));
            alice.MessageReceived += message => calls.Add("all");
            alice.StateChanged += change => calls.Add("state " + change.State);
            ConnectReady(alice);
            PumpUntil(() => subscribed, "subscribed", alice);
            calls.Clear();

            ConnectReady(bob);
            for (int i = 0; i < Sent; i++) bob.SendUnreliable("room:9", i.ToString());
            WaitWithoutPumping(() => alice.PoolStats().MessagesReceived == Sent, "messages queued for alice");
            int pumped = alice.Pump();

            Console.WriteLine("  pumped " + pumped + " events; handler calls: " + string.Join(" | ", calls));
            Check(pumped >= Sent, "events waiting for the pump: " + pumped);
            Check(calls.Count == 1 && calls[0] == "first 0", "only the disposing handler ran: " + string.Join(" | ", calls));
            Check(readAfterDisposeRefused, "the message refused a read after Dispose");
            Check(alice.IsDisposed, "disposed");
        }
    }

    // Five reliable sends, each with a callback; their acks wait for one
    // Pump(). The first callback disposes the client: the Acked event of
    // that same ack must not run (it would read the freed event), nor any
    // later callback.
    private static void DisposeInSendCallbackStopsDispatch()
    {
        const int Sent = 5;
        using (TetherClient alice = NewClient(aliceToken))  // a second Dispose is a no-op
        {
            ConnectReady(alice);
            var calls = new List<string>();
            alice.Acked += id => calls.Add("acked " + id);
            alice.SendFailed += (id, outcome) => calls.Add("failed " + id);
            alice.StateChanged += change => calls.Add("state " + change.State);
            for (int i = 0; i < Sent; i++)
            {
                int n = i;
                alice.SendReliable("room:10", n.ToString(), outcome =>
                {
                    calls.Add("callback " + n + " " + outcome);
                    alice.Dispose();
                });
            }
            WaitWithoutPumping(() =>
            {
                TetherStats stats = alice.PoolStats();
                return stats.MessagesSent == Sent && stats.PendingAcks == 0;
            }, "every ack");
            int pumped = alice.Pump();

            Console.WriteLine("  pumped " + pumped + " events; handler calls: " + string.Join(" | ", calls));
            Check(pumped >= Sent, "events waiting for the pump: " + pumped);
            Check(calls.Count == 1 && calls[0] == "callback 0 Acked", "only the first callback ran: " + string.Join(" | ", calls));
            Check(alice.IsDisposed, "disposed");
        }
    }

    private static void ThrowingHandlerDoesNotStopOthers()
    {
        using (TetherClient alice = NewClient(aliceToken))
        {
            bool subscribed = false;
            alice.Subscribed += channel => subscribed |= channel == "room:11";
            var calls = new List<string>();
            alice.On("room:11", message => { throw new ApplicationException("first handler"); });
            alice.On("room:11", message => calls.Add("second " + message.Json));
            alice.MessageReceived += message => { throw new ApplicationException("all handler"); };
            alice.MessageReceived += message => calls.Add("all " + message.Json);
            ConnectReady(alice);
            PumpUntil(() => subscribed, "subscribed", alice);
            alice.SendUnreliable("room:11", "1");
            alice.SendUnreliable("room:11", "2");
            WaitWithoutPumping(() => alice.PoolStats().MessagesReceived == 2, "both echoes");
            Exception thrown = null;
            try
            {
                alice.Pump();
            }
            catch (ApplicationException e)
            {
                thrown = e;
            }
            Check(thrown != null && thrown.Message == "first handler", "Pump rethrew the first exception: " + thrown);
            Check(string.Join(" | ", calls) == "second 1 | all 1 | second 2 | all 2", "every other handler ran: " +
                  string.Join(" | ", calls));
            Check(alice.Pump() == 0, "the next Pump starts clean");
        }
    }
}
