// The Unity-only half of the binding (Runtime/Unity, Samples~) compiled by
// mcs against UnityStub.cs, once per platform define set (see
// CMakeLists.txt), and run under Mono.
//
//   --expect-library NAME  TetherNative.Library must be NAME for this define set
//   --behaviour            also drive TetherBehaviour as the engine would, with
//                          the real libtether (no server: nothing connects)
//
// Prints PASS/FAIL per test; exit code 0 = all passed.
using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Threading;
using Tether;
using Tether.Native;
using UnityEngine;

internal static class TetherUnityTests
{
    private static int failures;

    private static int Main(string[] args)
    {
        string expectedLibrary = null;
        bool behaviour = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--expect-library" && i + 1 < args.Length) expectedLibrary = args[++i];
            else if (args[i] == "--behaviour") behaviour = true;
        }
        if (expectedLibrary == null)
        {
            Console.WriteLine("usage: TetherUnityTests.exe --expect-library NAME [--behaviour]");
            return 2;
        }
        Run("DllImport library is " + expectedLibrary, () =>
            Check(TetherNative.Library == expectedLibrary, "TetherNative.Library is " + TetherNative.Library));
        if (behaviour)
        {
            Run("play-mode start resets the statics and destroys live clients", StaticsResetOnPlayModeStart);
            Run("a client that cannot be created logs once and disables the component", FailedCreateDisables);
            Run("a second persistent TetherBehaviour destroys itself with a warning", SecondPersistentInstanceLeaves);
            Run("resume from pause or focus skips the reconnect wait", ResumeReconnectsNow);
        }
        Console.WriteLine(failures == 0 ? "ALL PASSED" : failures + " FAILED");
        return failures == 0 ? 0 : 1;
    }

    // ---- harness -------------------------------------------------------------

    // Each test is a play session of its own.
    private static void Run(string name, Action test)
    {
        Stub.Reset();
        EnterPlayMode();
        try
        {
            test();
            Console.WriteLine("PASS " + name);
        }
        catch (Exception e)
        {
            failures++;
            Console.WriteLine("FAIL " + name + ": " + e);
            foreach (string line in Stub.Logs) Console.WriteLine("  unity log: " + line);
        }
        finally
        {
            TetherClient.DestroyAll();
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition) throw new Exception("check failed: " + what);
    }

    // Unity calls these by name, whatever their access.
    private static void Message(MonoBehaviour target, string method, params object[] arguments)
    {
        MethodInfo info = target.GetType().GetMethod(method, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        if (info == null) throw new Exception(target.GetType().Name + " has no " + method);
        try
        {
            info.Invoke(target, arguments);
        }
        catch (TargetInvocationException e)
        {
            throw new Exception(method + " threw", e.InnerException);
        }
    }

    // What the engine does on entering play mode: every
    // [RuntimeInitializeOnLoadMethod(SubsystemRegistration)] method runs.
    private static int EnterPlayMode()
    {
        int ran = 0;
        foreach (Type type in typeof(TetherBehaviour).Assembly.GetTypes())
        {
            foreach (MethodInfo method in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            {
                var attribute = (RuntimeInitializeOnLoadMethodAttribute)Attribute.GetCustomAttribute(
                    method, typeof(RuntimeInitializeOnLoadMethodAttribute));
                if (attribute == null || attribute.loadType != RuntimeInitializeLoadType.SubsystemRegistration) continue;
                method.Invoke(null, null);
                ran++;
            }
        }
        return ran;
    }

    private static TetherBehaviour NewBehaviour(string objectName, string url, bool persistent)
    {
        var tether = new GameObject(objectName).AddComponent<TetherBehaviour>();
        tether.url = url;
        tether.dontDestroyOnLoad = persistent;
        tether.connectOnStart = false;
        return tether;
    }

    // A local port nothing listens on: connecting is refused at once.
    private static string RefusedUrl()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return "ws://127.0.0.1:" + port;
    }

    // ---- tests ---------------------------------------------------------------

    private static void StaticsResetOnPlayModeStart()
    {
        TetherBehaviour.ConfigureOptions = options => options.Config.PoolSize = 2;
        TetherBehaviour kept = NewBehaviour("Network", RefusedUrl(), true);
        Message(kept, "Awake");
        TetherClient client = kept.Client;
        Check(client != null && client.PoolSize == 2, "ConfigureOptions applied");
        Check(TetherBehaviour.Persistent == kept, "persistent instance recorded");

        // Play mode ends without a domain reload (the object is gone, the statics stay), then starts again.
        int ran = EnterPlayMode();
        Check(ran >= 2, "SubsystemRegistration methods run: " + ran);
        Check(TetherBehaviour.ConfigureOptions == null, "ConfigureOptions cleared");
        Check(TetherBehaviour.Persistent == null, "Persistent cleared");
        Check(client.IsDisposed, "the previous session's client was destroyed");
    }

    private static void FailedCreateDisables()
    {
        foreach (bool throwInConfigure in new[] { false, true })
        {
            Stub.Reset();
            TetherBehaviour.ConfigureOptions = null;
            if (throwInConfigure) TetherBehaviour.ConfigureOptions = options => { throw new InvalidOperationException("bad options"); };
            TetherBehaviour broken = NewBehaviour("Network", throwInConfigure ? RefusedUrl() : "not a url", true);
            broken.connectOnStart = true;
            Message(broken, "Awake");
            string why = throwInConfigure ? "ConfigureOptions throws" : "invalid url";
            Check(!broken.enabled, why + ": component disabled");
            Check(broken.Client == null, why + ": no client");
            Check(TetherBehaviour.Persistent == null && Stub.KeptAcrossScenes.Count == 0, why + ": not kept across scenes");
            // Unity would not call these on a disabled component; none may throw anyway.
            Message(broken, "Start");
            Message(broken, "Update");
            Message(broken, "OnApplicationPause", false);
            Message(broken, "OnApplicationFocus", true);
            Message(broken, "OnDestroy");
            Check(Stub.Logs.Count == 1 && Stub.Count("error: [Tether] cannot create the client") == 1,
                  why + ": one error logged: " + string.Join(" | ", Stub.Logs));
            string expected = throwInConfigure ? "bad options" : "invalid config";
            Check(Stub.Logs[0].Contains(expected), why + ": the log names the cause: " + Stub.Logs[0]);
        }
    }

    private static void SecondPersistentInstanceLeaves()
    {
        string url = RefusedUrl();
        TetherBehaviour first = NewBehaviour("Network", url, true);
        Message(first, "Awake");
        Check(TetherBehaviour.Persistent == first && Stub.KeptAcrossScenes.Contains(first.gameObject), "first kept");

        // The same scene loaded again brings its own copy.
        TetherBehaviour second = NewBehaviour("Network (reloaded)", url, true);
        Message(second, "Awake");
        Check(Stub.Count("warning: [Tether] another TetherBehaviour") == 1, "one warning: " + string.Join(" | ", Stub.Logs));
        Check(Stub.Destroyed.Contains(second.gameObject), "the duplicate destroyed its GameObject");
        Check(!Stub.KeptAcrossScenes.Contains(second.gameObject), "the duplicate is not kept");
        Check(second.Client == null && !second.enabled, "the duplicate made no client");
        Check(TetherBehaviour.Persistent == first && !first.Client.IsDisposed, "the first one is untouched");
        Message(second, "Start");
        Message(second, "OnDestroy");
        Check(TetherBehaviour.Persistent == first, "destroying the duplicate leaves the first in place");

        // A scene-local client beside the persistent one is fine.
        TetherBehaviour local = NewBehaviour("Lobby", url, false);
        Message(local, "Awake");
        Check(local.Client != null && local.enabled && Stub.Count("warning:") == 1, "a non-persistent one coexists");
        Message(local, "OnDestroy");

        TetherClient firstClient = first.Client;
        Message(first, "OnDestroy");
        Check(firstClient.IsDisposed && TetherBehaviour.Persistent == null, "OnDestroy disposes and clears Persistent");
        TetherBehaviour next = NewBehaviour("Network", url, true);
        Message(next, "Awake");
        Check(TetherBehaviour.Persistent == next && next.Client != null, "a new one can take over");
        Message(next, "OnDestroy");
    }

    private static void ResumeReconnectsNow()
    {
        TetherBehaviour.ConfigureOptions = options =>
        {
            // Far longer than the test: only ReconnectNow can start the next attempt.
            options.Config.BackoffInitialMs = 60000;
            options.Config.BackoffMaxMs = 60000;
            options.Config.BackoffJitter = (uint)TetherJitter.None;
            options.Config.BackoffMaxAttempts = 0;
        };
        TetherBehaviour tether = NewBehaviour("Network", RefusedUrl(), false);
        tether.connectOnStart = true;
        Message(tether, "Awake");
        int connecting = 0;
        tether.Client.StateChanged += change => { if (change.State == TetherState.Connecting) connecting++; };
        Message(tether, "Start");

        // Runs frames until `done` or `ms` pass; returns `done`.
        Func<Func<bool>, int, bool> frames = (done, ms) =>
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(ms);
            while (!done() && DateTime.UtcNow < deadline)
            {
                Message(tether, "Update");
                Thread.Sleep(5);
            }
            return done();
        };
        const int Quiet = 300, Soon = 3000;  // a resume's attempt starts within milliseconds
        Action waitingToRetry = () =>
            Check(frames(() => tether.Client.State == TetherState.Reconnecting, Soon), "refused, waiting 60 s");

        waitingToRetry();
        Check(connecting == 1, "one attempt: " + connecting);

        Message(tether, "OnApplicationPause", true);   // going to the background
        Message(tether, "OnApplicationFocus", false);
        frames(() => false, Quiet);
        Check(connecting == 1, "losing focus or pausing does not reconnect: " + connecting);

        Message(tether, "OnApplicationPause", false);  // back from the background
        Check(frames(() => connecting == 2, Soon), "resume from pause starts an attempt now: " + connecting);
        waitingToRetry();

        Message(tether, "OnApplicationFocus", true);
        Check(frames(() => connecting == 3, Soon), "regained focus starts an attempt now: " + connecting);
        waitingToRetry();

        tether.reconnectOnResume = false;
        Message(tether, "OnApplicationPause", false);
        Message(tether, "OnApplicationFocus", true);
        frames(() => false, Quiet);
        Check(connecting == 3, "reconnectOnResume off: no attempt: " + connecting);
        Message(tether, "OnDestroy");
    }
}
