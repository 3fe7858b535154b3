// The one place the plugin includes tether.h. UnrealBuildTool defines
// TETHER_API for this module (named "Tether") as its own export macro; the
// library header defines a TETHER_API of its own. Park UBT's while the
// header declares the library's imports, then restore it.
#pragma once

#pragma push_macro("TETHER_API")
#undef TETHER_API
#include "tether/tether.h"
#undef TETHER_API
#pragma pop_macro("TETHER_API")
