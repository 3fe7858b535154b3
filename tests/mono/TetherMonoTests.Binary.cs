// TetherMonoTests, continued: binary payloads through the C# binding.
using System;
using System.Collections.Generic;
using Tether;

internal static partial class TetherMonoTests
{
    // Payloads that JSON text could not carry: NUL, 0xFF, invalid UTF-8, every
    // byte value, pseudo-random bytes, and nothing at all. Alice sends each one
    // reliably on a channel she subscribes to (the last from a span over the
    // middle of a larger array) and must get each back, in order, as a binary
    // message with the same bytes; every send resolves Acked exactly once,
    // still so after a later JSON message's ack and echo.
    private static void BinaryPayloadsRoundTrip()
    {
        const string Channel = "room:12";
        var random = new Random(12);
        var noise = new byte[3000];
        random.NextBytes(noise);
        var everyByte = new byte[512];
        for (int i = 0; i < everyByte.Length; i++) everyByte[i] = (byte)(i < 256 ? i : 511 - i);
        byte[][] payloads =
        {
            new byte[] { 0x00 },
            new byte[] { 0xFF },
            new byte[] { 0x00, 0xFF, 0x00, 0x00, 0xFF },
            new byte[0],
            new byte[] { 0x7B, 0x22, 0x6E, 0x22, 0x3A, 0x00, 0x7D },  // {"n":NUL}
            new byte[] { 0xC3, 0x28, 0xED, 0xA0, 0x80, 0xF8 },  // invalid UTF-8
            everyByte,
            noise,
        };
        var spanSource = new byte[noise.Length + 20];
        Array.Copy(noise, 0, spanSource, 10, noise.Length);
        int expected = payloads.Length + 1;  // the last is sent again from a span

        using (TetherClient alice = NewClient(aliceToken))
        {
            bool subscribed = false;
            var received = new List<byte[]>();
            var problems = new List<string>();
            var jsonEcho = new List<string>();
            alice.Subscribed += channel => subscribed |= channel == Channel;
            alice.Error += problem => problems.Add(problem.Code + ": " + problem.Reason);
            alice.On(Channel, message =>
            {
                if (!message.IsBinary)
                {
                    jsonEcho.Add(message.Json);
                    return;
                }
                byte[] bytes = message.Bytes;
                ReadOnlySpan<byte> view = message.Data;
                var copied = new byte[bytes.Length + 1];
                int copiedLength = message.CopyDataTo(copied, 1);
                bool same = view.Length == bytes.Length && message.DataLength == bytes.Length &&
                            copiedLength == bytes.Length;
                for (int i = 0; same && i < bytes.Length; i++) same = view[i] == bytes[i] && copied[i + 1] == bytes[i];
                if (!same) problems.Add("Data, Bytes and CopyDataTo disagree on message " + received.Count);
                if (!message.IsReliable || message.MessageId == 0) problems.Add("not reliable: message " + received.Count);
                try
                {
                    problems.Add("Json read on a binary message returned " + message.Json);
                }
                catch (InvalidOperationException)
                {
                }
                received.Add(bytes);
            });
            var resolved = new Dictionary<ulong, List<TetherSendOutcome>>();
            var ackedEvents = new Dictionary<ulong, int>();
            alice.Acked += id => ackedEvents[id] = (ackedEvents.ContainsKey(id) ? ackedEvents[id] : 0) + 1;
            alice.SendFailed += (id, outcome) => problems.Add("send " + id + " failed: " + outcome);
            ConnectReady(alice);
            PumpUntil(() => subscribed, "subscribed", alice);

            var sent = new List<ulong>();
            for (int i = 0; i <= payloads.Length; i++)
            {
                var outcomes = new List<TetherSendOutcome>();
                ulong id = i < payloads.Length
                    ? alice.SendReliable(Channel, payloads[i], outcomes.Add)
                    : alice.SendReliable(Channel, new ReadOnlySpan<byte>(spanSource, 10, noise.Length), outcomes.Add);
                Check(id != 0 && !resolved.ContainsKey(id), "a new message id: " + id);
                resolved[id] = outcomes;
                sent.Add(id);
            }
            PumpUntil(() => received.Count == expected && sent.TrueForAll(id => resolved[id].Count > 0),
                      "every binary echo and ack", alice);
            // A reliable JSON message after them: once its echo and ack are
            // in, a repeated ack or echo of the binary ones would be too.
            TetherSendOutcome? lastOutcome = null;
            alice.SendReliable(Channel, "{\"after\":\"binary\"}", outcome => lastOutcome = outcome);
            PumpUntil(() => lastOutcome.HasValue && jsonEcho.Count == 1, "the JSON message's echo and ack", alice);

            Console.WriteLine("  " + received.Count + " binary messages back (" + sent.Count + " sent), " +
                              ackedEvents.Count + " acked ids; problems: " + string.Join(" | ", problems));
            Check(problems.Count == 0, "no problems: " + string.Join(" | ", problems));
            Check(received.Count == expected, "binary messages: " + received.Count);
            for (int i = 0; i < expected; i++)
            {
                byte[] want = i < payloads.Length ? payloads[i] : noise;
                string got = Hex(received[i]);
                Check(got == Hex(want), "message " + i + ": got " + received[i].Length + " bytes (" +
                      (got.Length <= 48 ? got : got.Substring(0, 48) + "...") + "), sent " + want.Length);
            }
            foreach (ulong id in sent)
            {
                Check(resolved[id].Count == 1 && resolved[id][0] == TetherSendOutcome.Acked,
                      "send " + id + " resolved once as Acked: " + string.Join(",", resolved[id]));
                Check(ackedEvents.ContainsKey(id) && ackedEvents[id] == 1,
                      "one Acked event for " + id + ": " + (ackedEvents.ContainsKey(id) ? ackedEvents[id] : 0));
            }
            Check(lastOutcome == TetherSendOutcome.Acked && jsonEcho[0] == "{\"after\":\"binary\"}",
                  "JSON after binary: " + lastOutcome + " " + jsonEcho[0]);
            Check(ackedEvents.Count == sent.Count + 1, "acked ids: " + ackedEvents.Count);
        }
    }

    // Unreliable and reliable binary sends from a span over a reused buffer:
    // the channel goes through the per-thread scratch buffer and the bytes
    // are pinned, so nothing is allocated once the scratch buffer exists.
    private static void BinarySendsAllocateNothing()
    {
        using (TetherClient alice = NewClient(aliceToken))
        {
            var buffer = new byte[64];
            for (int i = 0; i < buffer.Length; i++) buffer[i] = (byte)(255 - i);
            alice.SendUnreliable("room:13", new ReadOnlySpan<byte>(buffer, 0, 1));  // warms the scratch buffer
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++)
            {
                alice.SendUnreliable("room:13", new ReadOnlySpan<byte>(buffer, i % 8, 32));
                alice.SendReliable("room:13", new ReadOnlySpan<byte>(buffer, 0, i % 64));
            }
            ulong id;
            TetherResult result = alice.TrySendBytes("room:13", buffer, true, out id);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Check(result == TetherResult.Ok && id != 0, "TrySendBytes: " + result + " id " + id);
            Check(allocated == 0, allocated + " bytes allocated by 201 binary sends");
            Check(alice.PoolStats().Queued == 202, "queued while offline: " + alice.PoolStats().Queued);
        }
    }
}
