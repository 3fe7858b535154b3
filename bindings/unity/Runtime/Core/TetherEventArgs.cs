// What TetherClient's events carry. Messages are views over native memory,
// decoded only when read; the rarer events copy their text eagerly.
using System;
using Tether.Native;

namespace Tether
{
    // A received channel message. It reads the library's event storage
    // directly, so it is valid only inside the handler that received it:
    // reading it after that Pump() returned throws. Copy what you need.
    public unsafe struct TetherMessage
    {
        private readonly TetherClient owner;
        private readonly int generation;
        private readonly TetherEvent* native;

        internal TetherMessage(TetherClient owner, int generation, TetherEvent* native)
        {
            this.owner = owner;
            this.generation = generation;
            this.native = native;
        }

        private TetherEvent* Event
        {
            get
            {
                if (owner == null || !owner.IsCurrentPump(generation))
                {
                    throw new InvalidOperationException(
                        "TetherMessage read after the Pump() that delivered it; copy what you need in the handler");
                }
                return native;
            }
        }

        public string Channel { get { TetherEvent* e = Event; return Utf8.Decode(e->Channel, e->ChannelLen); } }
        // The JSON payload, decoded to a string on each read. A binary message
        // has none: reading it throws (use Data or Bytes).
        public string Json
        {
            get
            {
                TetherEvent* e = Event;
                if ((e->Flags & TetherEvent.FlagBinary) != 0)
                {
                    throw new InvalidOperationException("TetherMessage.Json read on a binary message; read Data or Bytes");
                }
                return Utf8.Decode(e->Data, e->DataLen);
            }
        }
        // Sent as bytes (SendReliable/SendUnreliable with byte[] or a span): the
        // payload is Data/Bytes, never parsed by anyone, and may hold any byte.
        public bool IsBinary { get { return (Event->Flags & TetherEvent.FlagBinary) != 0; } }
        // The payload without copying: a binary message's bytes, else the UTF-8
        // JSON. The span reads the library's memory and cannot check its own
        // lifetime: use it in the handler, and not after disposing the client.
        public ReadOnlySpan<byte> Data
        {
            get { TetherEvent* e = Event; return new ReadOnlySpan<byte>(e->Data, checked((int)e->DataLen)); }
        }
        // A copy of the payload to keep: a new array on each read.
        public byte[] Bytes { get { return Data.ToArray(); } }
        public int DataLength { get { return checked((int)Event->DataLen); } }
        public bool IsReliable { get { return (Event->Flags & TetherEvent.FlagReliable) != 0; } }
        // The sender's sequence for a reliable message, 0 for an unreliable one.
        public ulong MessageId { get { return Event->MessageId; } }
        // When the sender sent it, Unix ms.
        public long TimestampMs { get { return Event->TimestampMs; } }
        public int Connection { get { return (int)Event->Connection; } }

        // Copies the payload (as Data) into `buffer` without allocating; returns its length.
        public int CopyDataTo(byte[] buffer, int offset)
        {
            TetherEvent* e = Event;
            int length = checked((int)e->DataLen);
            if (buffer == null) throw new ArgumentNullException("buffer");
            if (offset < 0 || buffer.Length - offset < length) throw new ArgumentException("buffer too small");
            for (int i = 0; i < length; i++) buffer[offset + i] = e->Data[i];
            return length;
        }
    }

    public unsafe struct TetherStateChange
    {
        internal TetherStateChange(TetherEvent* e)
        {
            Connection = (int)e->Connection;
            State = (TetherState)e->State;
            Attempt = (int)e->Attempt;
            DelayMs = e->DelayMs;
            CloseCode = (int)e->CloseCode;
            ClosedBy = (TetherCloseInitiator)e->CloseInitiator;
            Reason = Utf8.Decode(e->Reason, e->ReasonLen);
            Resumed = (e->Flags & TetherEvent.FlagResumed) != 0;
        }

        public int Connection { get; private set; }
        public TetherState State { get; private set; }
        // Reconnecting: consecutive failed attempts so far, and the wait before the next.
        public int Attempt { get; private set; }
        public long DelayMs { get; private set; }
        // Reconnecting, Closed, GaveUp, Unauthorized: the close that led there.
        public int CloseCode { get; private set; }
        public TetherCloseInitiator ClosedBy { get; private set; }
        public string Reason { get; private set; }
        // Ready: the server kept the session; nothing was lost or repeated.
        public bool Resumed { get; private set; }
    }

    public sealed unsafe class TetherAuthInfo
    {
        internal TetherAuthInfo(TetherEvent* e)
        {
            Connection = (int)e->Connection;
            UserId = Utf8.Decode(e->UserId, e->UserIdLen);
            Session = Utf8.Decode(e->Session, e->SessionLen);
            string joined = Utf8.Decode(e->Permissions, e->PermissionsLen);
            Permissions = e->PermissionCount == 0 ? new string[0] : joined.Split('\n');
            ExpiresAtMs = e->ExpiresAtMs;
            Resumed = (e->Flags & TetherEvent.FlagResumed) != 0;
        }

        public int Connection { get; private set; }
        public string UserId { get; private set; }
        public string Session { get; private set; }
        public string[] Permissions { get; private set; }
        public long ExpiresAtMs { get; private set; }
        public bool Resumed { get; private set; }
    }

    public unsafe struct TetherPermissionDenied
    {
        internal TetherPermissionDenied(TetherEvent* e)
        {
            Connection = (int)e->Connection;
            Channel = Utf8.Decode(e->Channel, e->ChannelLen);
            Action = Utf8.Decode(e->Action, e->ActionLen);
            MessageId = e->MessageId;
            Code = Utf8.Decode(e->Code, e->CodeLen);
            Reason = Utf8.Decode(e->Reason, e->ReasonLen);
        }

        public int Connection { get; private set; }
        public string Channel { get; private set; }
        public string Action { get; private set; }  // "publish" or "subscribe"
        public ulong MessageId { get; private set; }  // your id for a reliable publish, else 0
        public string Code { get; private set; }
        public string Reason { get; private set; }
    }

    // Errors, auth failures, token warnings: a code and a human-readable reason.
    public unsafe struct TetherProblem
    {
        internal TetherProblem(TetherEvent* e)
        {
            Connection = (int)e->Connection;
            Code = Utf8.Decode(e->Code, e->CodeLen);
            Reason = Utf8.Decode(e->Reason, e->ReasonLen);
            CloseCode = (int)e->CloseCode;
            ExpiresAtMs = e->ExpiresAtMs;
        }

        public int Connection { get; private set; }
        // e.g. "tls_verify_failed", "token_expired", "malformed"
        public string Code { get; private set; }
        public string Reason { get; private set; }
        public int CloseCode { get; private set; }
        public long ExpiresAtMs { get; private set; }
    }
}
