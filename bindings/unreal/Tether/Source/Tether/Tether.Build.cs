// Links the prebuilt libtether for the target platform. Put the build
// outputs under ThirdParty/tether (see the plugin README):
//   include/tether/tether.h
//   lib/Win64/tether.dll + tether.lib     lib/Mac/libtether.dylib
//   lib/Linux/libtether.so.0 (+ libtether.so symlink or copy)
//   lib/Android/arm64-v8a/libtether.so    lib/IOS/libtether.a (static)
using System.IO;
using UnrealBuildTool;

public class Tether : ModuleRules
{
	public Tether(ReadOnlyTargetRules Target) : base(Target)
	{
		PCHUsage = PCHUsageMode.UseExplicitOrSharedPCHs;
		PublicDependencyModuleNames.AddRange(new string[] { "Core", "CoreUObject", "Engine" });
		PrivateDependencyModuleNames.AddRange(new string[] { "Projects" });

		string ThirdParty = Path.Combine(PluginDirectory, "ThirdParty", "tether");
		string LibDir = Path.Combine(ThirdParty, "lib", Target.Platform.ToString());
		PublicIncludePaths.Add(Path.Combine(ThirdParty, "include"));
		string Binaries = Path.Combine(PluginDirectory, "Binaries", Target.Platform.ToString());

		if (Target.Platform == UnrealTargetPlatform.Win64)
		{
			PublicAdditionalLibraries.Add(Path.Combine(LibDir, "tether.lib"));
			// Loaded explicitly from the plugin's Binaries folder at module startup.
			PublicDelayLoadDLLs.Add("tether.dll");
			RuntimeDependencies.Add(Path.Combine(Binaries, "tether.dll"), Path.Combine(LibDir, "tether.dll"));
		}
		else if (Target.Platform == UnrealTargetPlatform.Mac)
		{
			PublicDelayLoadDLLs.Add(Path.Combine(LibDir, "libtether.dylib"));
			RuntimeDependencies.Add(Path.Combine(Binaries, "libtether.dylib"), Path.Combine(LibDir, "libtether.dylib"));
		}
		else if (Target.Platform == UnrealTargetPlatform.Linux)
		{
			PublicAdditionalLibraries.Add(Path.Combine(LibDir, "libtether.so"));
			// The SONAME the executable will look for.
			RuntimeDependencies.Add(Path.Combine(Binaries, "libtether.so.0"), Path.Combine(LibDir, "libtether.so.0"));
		}
		else if (Target.Platform == UnrealTargetPlatform.Android)
		{
			PublicAdditionalLibraries.Add(Path.Combine(LibDir, "arm64-v8a", "libtether.so"));
			AdditionalPropertiesForReceipt.Add("AndroidPlugin", Path.Combine(ModuleDirectory, "Tether_APL.xml"));
		}
		else if (Target.Platform == UnrealTargetPlatform.IOS)
		{
			PublicAdditionalLibraries.Add(Path.Combine(LibDir, "libtether.a"));
			PublicDefinitions.Add("TETHER_STATIC=1");
		}
	}
}
