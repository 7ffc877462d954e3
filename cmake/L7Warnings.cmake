# Warnings are errors on l7's own code; third-party headers come in as SYSTEM includes.
function(l7_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                                           -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 at -O3 reports false positives: -Wrestrict on std::string operator+ (GCC bug
    # 105329) and -Wnull-dereference inside Asio's scheduler once inlined into our code.
    target_compile_options(${target} PRIVATE -Wno-restrict)
  else()
    target_compile_options(${target} PRIVATE -Wnull-dereference)
  endif()
endfunction()
