#include "TetherModule.h"

#include "HAL/PlatformProcess.h"
#include "Interfaces/IPluginManager.h"
#include "Misc/Paths.h"
#include "TetherNative.h"

DEFINE_LOG_CATEGORY(LogTether);

namespace
{
	// Written by StartupModule/ShutdownModule, read by UTetherSubsystem: all on
	// the game thread.
	bool GTetherAvailable = false;
	FString GTetherUnavailableReason;  // empty until StartupModule sets it

	void MarkUnavailable(const FString& Reason)
	{
		GTetherAvailable = false;
		GTetherUnavailableReason = Reason;
		UE_LOG(LogTether, Error, TEXT("%s; every Tether call fails (Connect returns false) until this is fixed"), *Reason);
	}
}

bool FTetherModule::IsAvailable()
{
	return GTetherAvailable;
}

FString FTetherModule::GetUnavailableReason()
{
	if (GTetherAvailable) return FString();
	return GTetherUnavailableReason.IsEmpty() ? FString(TEXT("the Tether module has not started")) : GTetherUnavailableReason;
}

void FTetherModule::StartupModule()
{
	GTetherAvailable = false;
	GTetherUnavailableReason.Reset();
#if PLATFORM_WINDOWS || PLATFORM_MAC
	// tether.dll / libtether.dylib are delay-loaded (Tether.Build.cs): nothing
	// may call into them before they are loaded from the plugin's Binaries
	// folder here, and nothing at all if that fails.
#if PLATFORM_WINDOWS
	const TCHAR* LibraryName = TEXT("tether.dll");
#else
	const TCHAR* LibraryName = TEXT("libtether.dylib");
#endif
	const FString BaseDir = IPluginManager::Get().FindPlugin(TEXT("Tether"))->GetBaseDir();
	const FString BinariesDir = FPaths::Combine(BaseDir, TEXT("Binaries"), FPlatformProcess::GetBinariesSubdirectory());
	const FString Path = FPaths::Combine(BinariesDir, LibraryName);
	// Windows does not look next to a DLL for the DLLs it imports: the staged
	// OpenSSL DLLs (libssl-3-x64.dll, libcrypto-3-x64.dll) are found through
	// this directory. A no-op on Mac, where libtether's install names say
	// where its dependencies are (see the plugin README).
	FPlatformProcess::PushDllDirectory(*BinariesDir);
	LibraryHandle = FPlatformProcess::GetDllHandle(*Path);
	FPlatformProcess::PopDllDirectory(*BinariesDir);
	if (LibraryHandle == nullptr)
	{
		MarkUnavailable(FString::Printf(TEXT("libtether failed to load: %s"), *Path));
		return;
	}
#if PLATFORM_MAC
	{
		// Should the module's own references to libtether not have been bound
		// when the module loaded (a weakly linked dylib whose install name did
		// not resolve), its functions are NULL even though the file loaded
		// above. Read the address through a volatile pointer, so the compiler
		// cannot assume it is non-null.
		uint32_t (*volatile Probe)(void) = &tether_version;
		if (Probe == nullptr)
		{
			FPlatformProcess::FreeDllHandle(LibraryHandle);
			LibraryHandle = nullptr;
			MarkUnavailable(FString::Printf(TEXT("libtether failed to load: %s (loaded, but the module's references "
				"to it are unbound: give libtether.dylib the install name @rpath/libtether.dylib)"), *Path));
			return;
		}
	}
#endif
#endif
	// Past this point libtether is loaded (or linked normally).
	const uint32_t Loaded = tether_version();
	if (Loaded >> 16 != TETHER_VERSION >> 16)
	{
		// Another major version: another ABI. Calling anything else is unsafe.
		MarkUnavailable(FString::Printf(TEXT("libtether %hs is incompatible with the plugin's tether.h (%d.%d)"),
			tether_version_string(), TETHER_VERSION_MAJOR, TETHER_VERSION_MINOR));
		return;
	}
	if (Loaded >> 8 != TETHER_VERSION >> 8)
	{
		UE_LOG(LogTether, Error, TEXT("libtether %hs does not match the plugin's tether.h (%d.%d)"),
			tether_version_string(), TETHER_VERSION_MAJOR, TETHER_VERSION_MINOR);
	}
	GTetherAvailable = true;
}

void FTetherModule::ShutdownModule()
{
	// Nothing may call in once the library is about to go.
	GTetherAvailable = false;
	GTetherUnavailableReason = TEXT("the Tether module has shut down");
	if (LibraryHandle != nullptr)
	{
		FPlatformProcess::FreeDllHandle(LibraryHandle);
		LibraryHandle = nullptr;
	}
}

IMPLEMENT_MODULE(FTetherModule, Tether)
