// Mirrors of the enums in tether.h. Values are ABI: they never change.
namespace Tether
{
    public enum TetherResult
    {
        Ok = 0,
        InvalidArgument = -1,
        InvalidHandle = -2,
        InvalidConfig = -3,
        InvalidPayload = -4,
        PayloadTooLarge = -5,
        QueueFull = -6,
        PermissionDenied = -7,
        WrongState = -8,
        InvalidChannel = -9,
        OutOfMemory = -10,
        Internal = -11,
        Unsupported = -12,     // a binary payload, and the server's connection does not take binary
    }

    public enum TetherState : uint
    {
        Idle = 0,
        Connecting = 1,
        Authenticating = 2,
        Ready = 3,
        Reconnecting = 4,
        Closed = 5,
        GaveUp = 6,
        Unauthorized = 7,
    }

    public enum TetherEventType : uint
    {
        StateChanged = 1,
        Message = 2,
        Ack = 3,
        SendFailed = 4,
        AuthOk = 5,
        AuthFailed = 6,
        TokenRefreshed = 7,
        TokenExpiring = 8,
        PermissionDenied = 9,
        Subscribed = 10,
        Unsubscribed = 11,
        Error = 12,
        TransportError = 13,
        Log = 14,
    }

    public enum TetherSendOutcome : uint
    {
        Acked = 0,
        TimedOut = 1,
        Closed = 2,
        Cancelled = 3,
        PermissionDenied = 4,
        Overflow = 5,
        TooLarge = 6,          // the server refused it as larger than its limits; never resent
        Unsupported = 7,       // binary, queued while offline; the server it reached does not take binary
    }

    public enum TetherCloseInitiator : uint
    {
        Local = 0,
        Remote = 1,
        Transport = 2,
    }

    // Where the client's network work runs (TetherConfig.IoMode).
    public enum TetherIoMode : uint
    {
        Thread = 0,  // an internal thread (the default)
        Pump = 1,    // inside Pump(), on the game's thread: pump at least every heartbeat timeout
    }

    public enum TetherLogLevel
    {
        Debug = 0,
        Info = 1,
        Warn = 2,
        Error = 3,
        Off = 4,
    }

    public enum TetherBalanceStrategy : uint
    {
        RoundRobin = 0,
        LeastMessages = 1,
        Random = 2,
        StickyChannel = 3,
    }

    public enum TetherJitter : uint
    {
        None = 0,
        Full = 1,
        Decorrelated = 2,
    }
}
