#include "TetherModule.h"

#include "HAL/PlatformProcess.h"
#include "Interfaces/IPluginManager.h"
#include "Misc/Paths.h"
#include "TetherNative.h"

DEFINE_LOG_CATEGORY(LogTether);

void FTetherModule::StartupModule()
{
#if PLATFORM_WINDOWS || PLATFORM_MAC
#if PLATFORM_WINDOWS
	const TCHAR* LibraryName = TEXT("tether.dll");
#else
	const TCHAR* LibraryName = TEXT("libtether.dylib");
#endif
	const FString BaseDir = IPluginManager::Get().FindPlugin(TEXT("Tether"))->GetBaseDir();
	const FString Path =
		FPaths::Combine(BaseDir, TEXT("Binaries"), FPlatformProcess::GetBinariesSubdirectory(), LibraryName);
	LibraryHandle = FPlatformProcess::GetDllHandle(*Path);
	if (LibraryHandle == nullptr)
	{
		UE_LOG(LogTether, Error, TEXT("Cannot load %s; Tether calls will fail"), *Path);
		return;
	}
#endif
	if (tether_version() >> 8 != TETHER_VERSION >> 8)
	{
		UE_LOG(LogTether, Error, TEXT("libtether %hs does not match the plugin's tether.h (%d.%d)"),
			tether_version_string(), TETHER_VERSION_MAJOR, TETHER_VERSION_MINOR);
	}
}

void FTetherModule::ShutdownModule()
{
	if (LibraryHandle != nullptr)
	{
		FPlatformProcess::FreeDllHandle(LibraryHandle);
		LibraryHandle = nullptr;
	}
}

IMPLEMENT_MODULE(FTetherModule, Tether)
