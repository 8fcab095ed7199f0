# One INTERFACE target carries the warning flags so every library opts in the same way.
add_library(azx_warnings INTERFACE)
target_compile_options(azx_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local
                                              -Wnon-virtual-dtor -Wno-missing-field-initializers)
