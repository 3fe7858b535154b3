// Just enough of UnityEngine and UnityEditor for mcs to compile
// bindings/unity/Runtime/Unity and Samples~ outside Unity, and for
// TetherUnityTests.cs to drive TetherBehaviour the way the engine would
// (serialized fields set, then Awake, Start, Update and messages). Calls with
// effects the tests check (Debug.Log*, Destroy, DontDestroyOnLoad) are
// recorded in Stub. Test-only: never shipped with the package.
using System;
using System.Collections.Generic;

#pragma warning disable 67  // events nobody raises here

namespace UnityEngine
{
    public static class Stub
    {
        public static readonly List<string> Logs = new List<string>();  // "error: ...", "warning: ...", "log: ..."
        public static readonly List<Object> Destroyed = new List<Object>();
        public static readonly List<Object> KeptAcrossScenes = new List<Object>();

        public static void Reset()
        {
            Logs.Clear();
            Destroyed.Clear();
            KeptAcrossScenes.Clear();
        }

        public static int Count(string prefix)
        {
            int count = 0;
            foreach (string line in Logs) if (line.StartsWith(prefix, StringComparison.Ordinal)) count++;
            return count;
        }
    }

    public class Object
    {
        public string name = "";

        public static void Destroy(Object target) { Stub.Destroyed.Add(target); }
        public static void DontDestroyOnLoad(Object target) { Stub.KeptAcrossScenes.Add(target); }
    }

    public sealed class GameObject : Object
    {
        private readonly List<Component> components = new List<Component>();

        public GameObject(string name) { this.name = name; }

        // Unlike Unity, does not call Awake: the test sets fields first, as a scene load would.
        public T AddComponent<T>() where T : Component, new()
        {
            var component = new T();
            component.gameObject = this;
            components.Add(component);
            return component;
        }

        public T GetComponent<T>() where T : class
        {
            foreach (Component component in components)
            {
                T match = component as T;
                if (match != null) return match;
            }
            return null;
        }
    }

    public class Component : Object
    {
        public GameObject gameObject { get; internal set; }
        public T GetComponent<T>() where T : class { return gameObject.GetComponent<T>(); }
    }

    public class Behaviour : Component
    {
        public bool enabled = true;
    }

    public class MonoBehaviour : Behaviour
    {
    }

    public static class Debug
    {
        public static void Log(object message) { Stub.Logs.Add("log: " + message); }
        public static void Log(object message, Object context) { Log(message); }
        public static void LogWarning(object message) { Stub.Logs.Add("warning: " + message); }
        public static void LogWarning(object message, Object context) { LogWarning(message); }
        public static void LogError(object message) { Stub.Logs.Add("error: " + message); }
        public static void LogError(object message, Object context) { LogError(message); }
        public static void LogException(Exception exception) { Stub.Logs.Add("exception: " + exception); }
        public static void LogException(Exception exception, Object context) { LogException(exception); }
    }

    public static class Application
    {
        public static event Action quitting;
    }

    public enum RuntimeInitializeLoadType
    {
        AfterSceneLoad = 0,
        BeforeSceneLoad = 1,
        AfterAssembliesLoaded = 2,
        BeforeSplashScreen = 3,
        SubsystemRegistration = 4,
    }

    [AttributeUsage(AttributeTargets.Method)]
    public sealed class RuntimeInitializeOnLoadMethodAttribute : Attribute
    {
        public RuntimeInitializeOnLoadMethodAttribute() { loadType = RuntimeInitializeLoadType.AfterSceneLoad; }
        public RuntimeInitializeOnLoadMethodAttribute(RuntimeInitializeLoadType loadType) { this.loadType = loadType; }
        public RuntimeInitializeLoadType loadType { get; private set; }
    }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class TooltipAttribute : Attribute
    {
        public TooltipAttribute(string tooltip) { }
    }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class AddComponentMenuAttribute : Attribute
    {
        public AddComponentMenuAttribute(string menuName) { }
    }

    public struct Rect
    {
        public Rect(float x, float y, float width, float height) { }
    }

    public static class GUILayout
    {
        public static void BeginArea(Rect screenRect) { }
        public static void EndArea() { }
        public static void Label(string text) { }
        public static string TextField(string text) { return text; }
        public static bool Button(string text) { return false; }
    }
}

namespace UnityEditor
{
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class InitializeOnLoadMethodAttribute : Attribute
    {
    }

    public static class AssemblyReloadEvents
    {
        public delegate void AssemblyReloadCallback();
        public static event AssemblyReloadCallback beforeAssemblyReload;
    }

    public enum PlayModeStateChange
    {
        EnteredEditMode,
        ExitingEditMode,
        EnteredPlayMode,
        ExitingPlayMode,
    }

    public static class EditorApplication
    {
        public static event Action<PlayModeStateChange> playModeStateChanged;
    }
}
