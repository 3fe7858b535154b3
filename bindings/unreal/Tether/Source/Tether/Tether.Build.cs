// Links the prebuilt libtether for the target platform and stages what it
// needs at run time. Put the build outputs under ThirdParty/tether (see the
// plugin README, "Install" and "OpenSSL"):
//   include/tether/tether.h
//   lib/Win64/tether.dll + tether.lib          [libssl-3-x64.dll libcrypto-3-x64.dll]
//   lib/Mac/libtether.dylib                    [libssl.3.dylib libcrypto.3.dylib]
//   lib/Linux/libtether.so.0 (+ libtether.so)  [libssl.so.3 libcrypto.so.3]
//   lib/Android/arm64-v8a/libtether.so         [libssl.so libcrypto.so]
//   lib/IOS/libtether.a (static; OpenSSL comes from the engine's module)
// [...]: the OpenSSL shared libraries libtether was linked against. Each is
// staged next to libtether only if the file exists, so a libtether with
// OpenSSL linked in statically needs none of them.
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
			// Loaded explicitly from the plugin's Binaries folder at module
			// startup (FTetherModule), with that folder on the DLL search path
			// so tether.dll finds the OpenSSL DLLs staged beside it.
			PublicDelayLoadDLLs.Add("tether.dll");
			RuntimeDependencies.Add(Path.Combine(Binaries, "tether.dll"), Path.Combine(LibDir, "tether.dll"));
			StageIfPresent(LibDir, Binaries, "libssl-3-x64.dll", "libcrypto-3-x64.dll");
		}
		else if (Target.Platform == UnrealTargetPlatform.Mac)
		{
			PublicDelayLoadDLLs.Add(Path.Combine(LibDir, "libtether.dylib"));
			RuntimeDependencies.Add(Path.Combine(Binaries, "libtether.dylib"), Path.Combine(LibDir, "libtether.dylib"));
			// libtether.dylib must name these @loader_path/... (README, "OpenSSL").
			StageIfPresent(LibDir, Binaries, "libssl.3.dylib", "libcrypto.3.dylib");
			// Lets an @rpath/libtether.dylib install name resolve to the staged copy.
			PublicRuntimeLibraryPaths.Add(Binaries);
		}
		else if (Target.Platform == UnrealTargetPlatform.Linux)
		{
			PublicAdditionalLibraries.Add(Path.Combine(LibDir, "libtether.so"));
			// The SONAME the executable will look for.
			RuntimeDependencies.Add(Path.Combine(Binaries, "libtether.so.0"), Path.Combine(LibDir, "libtether.so.0"));
			StageIfPresent(LibDir, Binaries, "libssl.so.3", "libcrypto.so.3");
			// An RPATH (relative to $ORIGIN) to the plugin's Binaries/Linux, so the
			// game or editor module finds libtether.so.0 there. libtether.so.0
			// finds the OpenSSL libraries beside it only through its own RUNPATH
			// $ORIGIN (README, "Linux runtime path").
			PublicRuntimeLibraryPaths.Add(Binaries);
		}
		else if (Target.Platform == UnrealTargetPlatform.Android)
		{
			string AbiDir = Path.Combine(LibDir, "arm64-v8a");
			PublicAdditionalLibraries.Add(Path.Combine(AbiDir, "libtether.so"));
			// Packs libtether.so into the APK (libs/arm64-v8a).
			AdditionalPropertiesForReceipt.Add("AndroidPlugin", Path.Combine(ModuleDirectory, "Tether_APL.xml"));
			// Packs libssl.so and libcrypto.so beside it, only when both are there.
			bool bSsl = File.Exists(Path.Combine(AbiDir, "libssl.so"));
			bool bCrypto = File.Exists(Path.Combine(AbiDir, "libcrypto.so"));
			if (bSsl && bCrypto)
			{
				AdditionalPropertiesForReceipt.Add("AndroidPlugin", Path.Combine(ModuleDirectory, "Tether_OpenSSL_APL.xml"));
			}
			else if (bSsl || bCrypto)
			{
				System.Console.WriteLine("Tether: ThirdParty/tether/lib/Android/arm64-v8a has only one of libssl.so and libcrypto.so; neither is packaged");
			}
		}
		else if (Target.Platform == UnrealTargetPlatform.IOS)
		{
			PublicAdditionalLibraries.Add(Path.Combine(LibDir, "libtether.a"));
			PublicDefinitions.Add("TETHER_STATIC=1");
			// libtether.a leaves OpenSSL's symbols to the final link: the
			// engine's own OpenSSL (check its version: README, "OpenSSL").
			AddEngineThirdPartyPrivateStaticDependencies(Target, "OpenSSL");
		}
	}

	// Stages each named file of LibDir into the plugin's Binaries/<Platform>
	// (copied there at build time, packaged with the game), if it exists.
	private void StageIfPresent(string LibDir, string Binaries, params string[] FileNames)
	{
		foreach (string FileName in FileNames)
		{
			string Source = Path.Combine(LibDir, FileName);
			if (File.Exists(Source))
			{
				RuntimeDependencies.Add(Path.Combine(Binaries, FileName), Source);
			}
		}
	}
}
