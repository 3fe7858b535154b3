// TetherMonoTests, continued: TetherIoMode.Pump through the C# binding.
using System;
using System.Collections.Generic;
using System.Threading;
using Tether;

internal static partial class TetherMonoTests
{
    // With IoMode = Pump the network moves only inside Pump(): left alone for
    // 300 ms after Connect, the client has not even authenticated (its live
    // stats say so). Pumped, it connects, and reliable sends to a channel it
    // subscribes to come back as messages, each acked exactly once, with every
    // callback on the pumping thread; a threaded client on the same channel
    // receives them too.
    private static void PumpModeMovesOnlyInsidePump()
    {
        const string Channel = "room:21";
        const int Sent = 50;
        var options = new TetherClientOptions(url, aliceToken);
        options.Config.IoMode = (uint)TetherIoMode.Pump;
        options.Config.Seed = 21;
        using (var alice = new TetherClient(options))
        using (TetherClient bob = NewClient(bobToken))
        {
            int mainThread = Thread.CurrentThread.ManagedThreadId;
            bool aliceSubscribed = false, bobSubscribed = false;
            var echoes = new List<string>();
            var bobGot = new List<string>();
            var acks = new Dictionary<ulong, int>();
            var problems = new List<string>();
            alice.Subscribed += channel => aliceSubscribed |= channel == Channel;
            bob.Subscribed += channel => bobSubscribed |= channel == Channel;
            alice.On(Channel, message =>
            {
                if (Thread.CurrentThread.ManagedThreadId != mainThread) problems.Add("handler off the pumping thread");
                echoes.Add(message.Json);
            });
            bob.On(Channel, message => bobGot.Add(message.Json));
            alice.Acked += id => acks[id] = (acks.ContainsKey(id) ? acks[id] : 0) + 1;
            alice.SendFailed += (id, outcome) => problems.Add("send " + id + " failed: " + outcome);
            alice.Subscribe(Channel);
            bob.Subscribe(Channel);
            ConnectReady(bob);
            PumpUntil(() => bobSubscribed, "bob subscribed", bob);

            alice.Connect();
            Thread.Sleep(300);
            Check((TetherState)alice.PoolStats().State != TetherState.Ready, "ready without a single Pump");
            PumpUntil(() => alice.State == TetherState.Ready && aliceSubscribed, "alice ready and subscribed", alice);

            var sent = new List<ulong>();
            for (int i = 0; i < Sent; i++) sent.Add(alice.SendReliable(Channel, "{\"n\":" + i + "}"));
            PumpUntil(() => echoes.Count == Sent && acks.Count == Sent && bobGot.Count == Sent, "echoes and acks",
                      alice, bob);
            for (int i = 0; i < Sent; i++)
            {
                Check(echoes[i] == "{\"n\":" + i + "}", "echo " + i + ": " + echoes[i]);
                Check(bobGot[i] == echoes[i], "bob's " + i + ": " + bobGot[i]);
                Check(acks.ContainsKey(sent[i]) && acks[sent[i]] == 1, "send " + sent[i] + " acked once");
            }
            Check(problems.Count == 0, string.Join("; ", problems));
        }
    }
}
