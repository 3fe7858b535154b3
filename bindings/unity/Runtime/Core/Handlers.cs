// The subscribers of one TetherClient event (or one channel), as an array
// that is replaced, never changed, when a subscriber comes or goes. Pump()
// calls them one at a time from the array it read, which allocates nothing
// and lets it stop between two subscribers (after one disposed the client)
// and keep going after one that throws. A subscriber added or removed
// during dispatch takes effect from the next event.
using System;
using System.Threading;

namespace Tether
{
    internal sealed class Handlers<T> where T : class
    {
        private static readonly T[] None = new T[0];
        private T[] current = None;

        // Never null; read it once and iterate that array.
        public T[] Current { get { return Volatile.Read(ref current); } }

        public bool IsEmpty { get { return Current.Length == 0; } }

        public void Add(T handler)
        {
            if (handler == null) return;
            T[] seen, updated;
            do
            {
                seen = Current;
                updated = new T[seen.Length + 1];
                Array.Copy(seen, updated, seen.Length);
                updated[seen.Length] = handler;
            } while (Interlocked.CompareExchange(ref current, updated, seen) != seen);
        }

        // Removes the last subscription equal to `handler`, as `-=` on an event does.
        public void Remove(T handler)
        {
            if (handler == null) return;
            T[] seen, updated;
            do
            {
                seen = Current;
                int index = Array.LastIndexOf(seen, handler);
                if (index < 0) return;
                updated = seen.Length == 1 ? None : new T[seen.Length - 1];
                Array.Copy(seen, 0, updated, 0, index);
                Array.Copy(seen, index + 1, updated, index, seen.Length - index - 1);
            } while (Interlocked.CompareExchange(ref current, updated, seen) != seen);
        }
    }
}
