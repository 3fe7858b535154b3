// Chat sample: add a TetherBehaviour and this component to one GameObject,
// set the server url and a token, press Play, and type in the text field.
using System.Collections.Generic;
using Tether;
using UnityEngine;

public sealed class ChatExample : MonoBehaviour
{
    public string channel = "lobby";

    private TetherBehaviour tether;
    private readonly List<string> lines = new List<string>();
    private string draft = "";

    private void Start()
    {
        tether = GetComponent<TetherBehaviour>();
        TetherClient client = tether.Client;
        client.StateChanged += change => Add(change.State == TetherState.Reconnecting
            ? "reconnecting (attempt " + change.Attempt + ", in " + change.DelayMs + " ms)"
            : "state: " + change.State + (change.Resumed ? " (resumed)" : ""));
        client.On(channel, message => Add(message.Json));  // decoded only here
        client.PermissionDenied += denied => Add("denied: " + denied.Action + " on " + denied.Channel);
    }

    private void OnGUI()
    {
        GUILayout.BeginArea(new Rect(10, 10, 500, 400));
        foreach (string line in lines) GUILayout.Label(line);
        draft = GUILayout.TextField(draft);
        if (GUILayout.Button("Send") && draft.Length > 0)
        {
            string json = "{\"text\":\"" + draft.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"}";
            tether.Client.SendReliable(channel, json, outcome => Add("delivery: " + outcome));
            draft = "";
        }
        GUILayout.EndArea();
    }

    private void Add(string line)
    {
        lines.Add(line);
        if (lines.Count > 20) lines.RemoveAt(0);
    }
}
