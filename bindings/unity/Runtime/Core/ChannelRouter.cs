// Per-channel message handlers, matched against the native channel bytes so
// that routing a message allocates nothing (no string is decoded).
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
            public Action<TetherMessage> Handlers;
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
            route.Handlers += handler;
        }

        // Returns true when the channel has no handler left.
        public bool Remove(string channel, Action<TetherMessage> handler)
        {
            Route route = Find(channel);
            if (route == null) return true;
            route.Handlers -= handler;
            if (route.Handlers != null) return false;
            routes.Remove(route);
            return true;
        }

        public void RemoveAll(string channel)
        {
            Route route = Find(channel);
            if (route != null) routes.Remove(route);
        }

        public void Dispatch(byte* channel, uint length, TetherMessage message)
        {
            for (int i = 0; i < routes.Count; i++)
            {
                Route route = routes[i];
                if (!Utf8.EqualsNative(route.Utf8Name, channel, length)) continue;
                Action<TetherMessage> handlers = route.Handlers;
                if (handlers != null) handlers(message);
                return;
            }
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
