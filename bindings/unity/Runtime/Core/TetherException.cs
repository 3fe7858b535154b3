using System;

namespace Tether
{
    // A call the library refused at once (misuse or immediate state). Network
    // outcomes never throw: they arrive as events from Pump().
    public sealed class TetherException : Exception
    {
        public TetherException(TetherResult result, string detail)
            : base(TetherClient.ResultString(result) + (string.IsNullOrEmpty(detail) ? "" : ": " + detail))
        {
            Result = result;
            Detail = detail;
        }

        public TetherResult Result { get; private set; }
        public string Detail { get; private set; }
    }
}
