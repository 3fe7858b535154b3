// Catch2's main for the cluster tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
