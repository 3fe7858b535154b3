// Per-channel message handlers, matched against the native channel bytes so
// that routing a message allocates nothing (no string is decoded).
// TetherClient calls the handlers itself (see Handlers).
using System;
using System.Collections.Generic;
using System.Text;

namespace Tether
{
    internal sealed unsafe class ChannelRouter
    {
        private sealed class Route
        {
            public string Channel;
            public byte[] Utf8Name;
            public readonly Handlers<Action<TetherMessage>> Handlers = new Handlers<Action<TetherMessage>>();
        }

        // A game listens on a handful of channels: a linear scan beats hashing.
        private readonly List<Route> routes = new List<Route>();

        public void Add(string channel, Action<TetherMessage> handler)
        {
            Route route = Find(channel);
            if (route == null)
            {
                route = new Route { Channel = channel, Utf8Name = Encoding.UTF8.GetBytes(channel) };
                routes.Add(route);
            }
            route.Handlers.Add(handler);
        }

        // Returns true when the channel has no handler left.
        public bool Remove(string channel, Action<TetherMessage> handler)
        {
            Route route = Find(channel);
            if (route == null) return true;
            route.Handlers.Remove(handler);
            if (!route.Handlers.IsEmpty) return false;
            routes.Remove(route);
            return true;
        }

        public void RemoveAll(string channel)
        {
            Route route = Find(channel);
            if (route != null) routes.Remove(route);
        }

        // The handlers of the channel named by these native bytes; null if none.
        public Action<TetherMessage>[] HandlersFor(byte* channel, uint length)
        {
            for (int i = 0; i < routes.Count; i++)
            {
                Route route = routes[i];
                if (Utf8.EqualsNative(route.Utf8Name, channel, length)) return route.Handlers.Current;
            }
            return null;
        }

        private Route Find(string channel)
        {
            for (int i = 0; i < routes.Count; i++)
            {
                if (routes[i].Channel == channel) return routes[i];
            }
            return null;
        }
    }
}
