// Catch2 v2 needs a main from CATCH_CONFIG_MAIN; v3 links Catch2::Catch2WithMain instead.
#if !__has_include(<catch2/catch_all.hpp>)
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#endif
