// Blittable mirrors of tether_config, tether_event and tether_stats: same
// fields, same order, C names in PascalCase, so [StructLayout(Sequential)]
// reproduces the C layout on 32- and 64-bit targets without custom
// marshaling. tests/mono checks every offset against the C compiler's.
using System;
using System.Runtime.InteropServices;

namespace Tether.Native
{
    [StructLayout(LayoutKind.Sequential)]
    public struct TetherConfig
    {
        public uint StructSize;
        public uint UrlCount;
        public IntPtr Url;                  // const char*
        public IntPtr Urls;                 // const char* const*
        public uint PoolSize;
        public uint BalanceStrategy;        // TetherBalanceStrategy
        public long BackoffInitialMs;
        public long BackoffMaxMs;
        public double BackoffDecay;
        public long BackoffStableMs;
        public uint BackoffJitter;          // TetherJitter
        public uint BackoffMaxAttempts;
        public long ConnectTimeoutMs;
        public long HeartbeatIntervalMs;
        public long HeartbeatTimeoutMs;
        public long AckTimeoutMs;
        public uint AckMaxRetries;
        public uint MaxInFlight;
        public ulong QueueMaxMessages;
        public ulong QueueMaxBytes;
        public uint ReceiveWindow;
        public uint MaxMessageBytes;
        public IntPtr Token;                // const char*
        public IntPtr TlsCaFile;            // const char*
        public IntPtr TlsCaPem;             // const char*
        public IntPtr TlsPins;              // const char* const*
        public uint TlsPinCount;
        public uint TlsVerifyPeer;
        public long AuthTimeoutMs;
        public long RefreshLeadMs;
        public long RefreshTimeoutMs;
        public ulong MaxPendingEvents;
        public ulong Seed;
        public int LogLevel;                // TetherLogLevel
        public uint IoMode;                 // TetherIoMode

        // Added in 0.2. A 0.1 library writes a smaller StructSize and ignores these.
        public ulong MaxPendingEventBytes;
    }

    // Pointers are owned by the native client and valid only until its next
    // pump (see tether.h); TetherClient never lets them escape a Pump().
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct TetherEvent
    {
        public uint Type;                   // TetherEventType
        public uint Connection;
        public long TimeMs;
        public ulong MessageId;
        public long ExpiresAtMs;
        public long TimestampMs;
        public long DelayMs;
        public uint State;                  // TetherState
        public uint Attempt;
        public uint CloseCode;
        public uint CloseInitiator;         // TetherCloseInitiator
        public uint Outcome;                // TetherSendOutcome
        public uint Flags;
        public uint LogLevel;               // TetherLogLevel
        public uint Reserved0;
        public byte* Channel;
        public byte* Data;
        public byte* Code;
        public byte* Reason;
        public byte* Action;
        public byte* Token;
        public byte* UserId;
        public byte* Session;
        public byte* Permissions;
        public IntPtr ReservedPtr;
        public uint ChannelLen;
        public uint DataLen;
        public uint CodeLen;
        public uint ReasonLen;
        public uint ActionLen;
        public uint TokenLen;
        public uint UserIdLen;
        public uint SessionLen;
        public uint PermissionsLen;
        public uint PermissionCount;
        public fixed ulong Reserved[4];

        public const uint FlagReliable = 1;
        public const uint FlagResumed = 2;
        public const uint FlagBinary = 4;
        public const uint FlagRecovered = 8;  // AuthOk with FlagResumed: another cluster node took the session over
    }

    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct TetherStats
    {
        public uint StructSize;
        public uint State;                  // TetherState
        public ulong MessagesSent;
        public ulong MessagesReceived;
        public ulong BytesSent;
        public ulong BytesReceived;
        public ulong Errors;
        public ulong Reconnects;
        public ulong PendingAcks;
        public ulong Queued;
        public ulong Routed;
        public ulong SimDropped;
        public double RttMs;
        public ulong UrlIndex;              // server entry (Url first, then Urls) in use or tried next
        public fixed ulong Reserved[7];
    }
}
