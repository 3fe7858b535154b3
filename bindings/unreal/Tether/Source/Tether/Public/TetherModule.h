#pragma once

#include "CoreMinimal.h"
#include "Modules/ModuleManager.h"

DECLARE_LOG_CATEGORY_EXTERN(LogTether, Log, All);

// Loads libtether where the platform needs it loaded by path (Windows, Mac:
// a delay-loaded library), and records whether it may be called at all.
class TETHER_API FTetherModule : public IModuleInterface
{
public:
	virtual void StartupModule() override;
	virtual void ShutdownModule() override;

	// False when nothing may call into libtether: on Windows and Mac until
	// StartupModule has loaded it (and after ShutdownModule), or if it failed
	// to load; on any platform if its major version is not the one of the
	// plugin's tether.h. On Linux, Android and iOS the library is linked
	// normally (the module itself would not load without it), so this is true
	// once the module has started. Game thread.
	static bool IsAvailable();

	// Why IsAvailable() is false, e.g. "libtether failed to load: <path>";
	// empty while it is true.
	static FString GetUnavailableReason();

private:
	void* LibraryHandle = nullptr;
};
