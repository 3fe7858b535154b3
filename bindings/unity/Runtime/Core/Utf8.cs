// UTF-8 between managed strings and native text, without allocating on the
// send path: encoding goes into a per-thread scratch buffer that is reused.
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Tether
{
    internal static unsafe class Utf8
    {
        [ThreadStatic] private static byte[] scratch;

        // A per-thread buffer of at least `bytes` bytes, reused from call to call.
        public static byte[] Scratch(int bytes)
        {
            byte[] buffer = scratch;
            if (buffer == null || buffer.Length < bytes)
            {
                int size = 256;
                while (size < bytes) size *= 2;
                buffer = new byte[size];
                scratch = buffer;
            }
            return buffer;
        }

        // Writes `text` and a terminating NUL at `offset`; returns the byte count without the NUL.
        public static int WriteTerminated(string text, byte[] buffer, int offset)
        {
            int length = Encoding.UTF8.GetBytes(text, 0, text.Length, buffer, offset);
            buffer[offset + length] = 0;
            return length;
        }

        public static string Decode(byte* bytes, uint length)
        {
            if (bytes == null || length == 0) return string.Empty;
            return Encoding.UTF8.GetString(bytes, checked((int)length));
        }

        // NUL-terminated static text from the library (result names, last error).
        public static string FromNative(IntPtr text)
        {
            if (text == IntPtr.Zero) return string.Empty;
            byte* start = (byte*)text;
            int length = 0;
            while (start[length] != 0) length++;
            return Encoding.UTF8.GetString(start, length);
        }

        // A NUL-terminated copy in unmanaged memory, for config strings; free with FreeHGlobal.
        public static IntPtr AllocNative(string text)
        {
            if (text == null) return IntPtr.Zero;
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            IntPtr memory = Marshal.AllocHGlobal(bytes.Length + 1);
            Marshal.Copy(bytes, 0, memory, bytes.Length);
            Marshal.WriteByte(memory, bytes.Length, 0);
            return memory;
        }

        public static bool EqualsNative(byte[] utf8, byte* bytes, uint length)
        {
            if (utf8.Length != length) return false;
            for (int i = 0; i < utf8.Length; i++)
            {
                if (utf8[i] != bytes[i]) return false;
            }
            return true;
        }
    }
}
