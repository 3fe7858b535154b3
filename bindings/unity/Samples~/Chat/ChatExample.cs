// Chat sample: add a TetherBehaviour and this component to one GameObject,
// set the server url and a token, press Play, and type in the text field.
//
// Sending allocates only the JSON text: the delivery callback is one cached
// delegate (a lambda at the call would allocate a new one per send) and
// outcomes and states become text through switches, not Enum.ToString()
// (which boxes the enum and allocates on every call).
using System;
using System.Collections.Generic;
using System.Text;
using Tether;
using UnityEngine;

public sealed class ChatExample : MonoBehaviour
{
    public string channel = "lobby";

    private TetherClient client;
    private readonly List<string> lines = new List<string>();
    private readonly StringBuilder json = new StringBuilder(256);
    private string draft = "";

    private Action<TetherSendOutcome> onDelivered;
    private Action<TetherMessage> onMessage;
    private Action<TetherStateChange> onStateChanged;
    private Action<TetherPermissionDenied> onDenied;

    private void Start()
    {
        TetherBehaviour tether = GetComponent<TetherBehaviour>();
        client = tether != null ? tether.Client : null;
        if (client == null)
        {
            // No TetherBehaviour here, its client failed (already logged), or it is a duplicate being destroyed.
            enabled = false;
            return;
        }
        onDelivered = OnDelivered;
        onMessage = OnMessage;
        onStateChanged = OnStateChanged;
        onDenied = OnDenied;
        client.StateChanged += onStateChanged;
        client.PermissionDenied += onDenied;
        client.On(channel, onMessage);
    }

    private void OnDestroy()
    {
        if (client == null || client.IsDisposed) return;
        client.StateChanged -= onStateChanged;
        client.PermissionDenied -= onDenied;
        try
        {
            client.Off(channel, onMessage);
        }
        catch (TetherException)
        {
            // Closed or gave up: there is no subscription left to withdraw.
        }
    }

    private void OnGUI()
    {
        GUILayout.BeginArea(new Rect(10, 10, 500, 400));
        for (int i = 0; i < lines.Count; i++) GUILayout.Label(lines[i]);
        draft = GUILayout.TextField(draft);
        if (GUILayout.Button("Send") && draft.Length > 0 && !client.IsDisposed)
        {
            client.SendReliable(channel, ChatJson(draft), onDelivered);
            draft = "";
        }
        GUILayout.EndArea();
    }

    private void OnMessage(TetherMessage message) { Add(message.Json); }  // decoded only here

    private void OnDelivered(TetherSendOutcome outcome) { Add(OutcomeText(outcome)); }

    private void OnDenied(TetherPermissionDenied denied) { Add("denied: " + denied.Action + " on " + denied.Channel); }

    private void OnStateChanged(TetherStateChange change)
    {
        if (change.State == TetherState.Reconnecting)
        {
            Add("reconnecting (attempt " + change.Attempt.ToString() + ", in " + change.DelayMs.ToString() + " ms)");
        }
        else
        {
            Add(change.Resumed ? StateText(change.State) + " (resumed)" : StateText(change.State));
        }
    }

    private static string OutcomeText(TetherSendOutcome outcome)
    {
        switch (outcome)
        {
            case TetherSendOutcome.Acked: return "delivered";
            case TetherSendOutcome.TimedOut: return "not delivered: timed out";
            case TetherSendOutcome.Closed: return "not delivered: connection closed";
            case TetherSendOutcome.Cancelled: return "not delivered: cancelled";
            case TetherSendOutcome.PermissionDenied: return "not delivered: permission denied";
            case TetherSendOutcome.Overflow: return "not delivered: buffer full";
            case TetherSendOutcome.TooLarge: return "not delivered: too large for the server";
            default: return "not delivered";
        }
    }

    private static string StateText(TetherState state)
    {
        switch (state)
        {
            case TetherState.Idle: return "state: idle";
            case TetherState.Connecting: return "state: connecting";
            case TetherState.Authenticating: return "state: authenticating";
            case TetherState.Ready: return "state: ready";
            case TetherState.Reconnecting: return "state: reconnecting";
            case TetherState.Closed: return "state: closed";
            case TetherState.GaveUp: return "state: gave up";
            case TetherState.Unauthorized: return "state: unauthorized";
            default: return "state: unknown";
        }
    }

    // {"text":"..."} with the text escaped as a JSON string.
    private string ChatJson(string text)
    {
        json.Length = 0;
        json.Append("{\"text\":\"");
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '"' || c == '\\') json.Append('\\').Append(c);
            else if (c < ' ') json.Append("\\u00").Append(HexDigit(c >> 4)).Append(HexDigit(c & 15));
            else json.Append(c);
        }
        return json.Append("\"}").ToString();
    }

    private static char HexDigit(int value) { return (char)(value < 10 ? '0' + value : 'a' + value - 10); }

    private void Add(string line)
    {
        lines.Add(line);
        if (lines.Count > 20) lines.RemoveAt(0);
    }
}
