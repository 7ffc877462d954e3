# Warnings are errors on l7's own code; third-party headers come in as SYSTEM includes.
function(l7_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                                           -Wnull-dereference -Wimplicit-fallthrough)
endfunction()
